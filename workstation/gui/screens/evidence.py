"""Evidence: every item in a lazily loaded table, a filter, and a preview pane."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from chain_of_custody.case import T_ITEM, T_WARN, Case
from workstation.gui.fmt import count, local_time, size, utc_tooltip
from workstation.gui.screens.messages import MessagesView
from workstation.gui.tables import Column, PagedTableModel, Segment, contains
from workstation.gui.views import ReadOnlyTable
from workstation.queries import T_EXTRACTION, T_MESSAGE

MAX_PREVIEW_MESSAGES = 400
THREAD_CONTEXT = 15  # messages shown before and after the one chosen


def items_model(case: Case, tz: str) -> PagedTableModel:
    """Every item of the case in acquisition order."""
    warn_count = sa.select(sa.func.count()).where(T_WARN.c.item_id == T_ITEM.c.id).scalar_subquery()
    extractors = (
        sa.select(sa.func.count()).where(T_EXTRACTION.c.item_id == T_ITEM.c.id).scalar_subquery()
    )
    columns = [
        Column("Name", T_ITEM.c.name),
        Column("Type", T_ITEM.c.mime),
        Column("Size", T_ITEM.c.size, size),
        Column("SHA-256", T_ITEM.c.sha256),
        Column("Acquired", T_ITEM.c.acquired_at, lambda v: local_time(v, tz), utc_tooltip),
        Column("Extractors", extractors, lambda v: str(v) if v else ""),
        Column("Warnings", warn_count, lambda v: str(v) if v else ""),
        Column("Path", T_ITEM.c.path),
        Column("Id", T_ITEM.c.id),
    ]
    segments = [Segment(sa.true(), (T_ITEM.c.ledger_seq,))]
    return PagedTableModel(case.engine, columns, segments, T_ITEM.c.case_id == case.case_id)


def item_filter(text: str, dialect: str) -> sa.ColumnElement[bool] | None:
    """Items whose name, path, type or SHA-256 contains ``text`` (None for an empty filter)."""
    text = text.strip()
    if not text:
        return None
    columns = (T_ITEM.c.name, T_ITEM.c.path, T_ITEM.c.mime, T_ITEM.c.sha256)
    return sa.or_(*(contains(c, text, dialect) for c in columns))


ITEM_ID_COLUMN = 8


class EvidenceScreen(QWidget):
    """Items and messages in lazily loaded tables, each with a filter, and a preview pane."""

    def __init__(self) -> None:
        super().__init__()
        self.case: Case | None = None
        self.tz = "Europe/London"
        self.model: PagedTableModel | None = None
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        items_tab = QWidget()
        items_layout = QVBoxLayout(items_tab)
        items_layout.setContentsMargins(0, 0, 0, 0)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter items by name, path, type or SHA-256 (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        items_layout.addWidget(self.filter)
        self.table = ReadOnlyTable(multi=False)
        items_layout.addWidget(self.table, 1)
        self.count = QLabel("")
        items_layout.addWidget(self.count)
        self.tabs.addTab(items_tab, "Items")
        self.messages = MessagesView()
        self.messages.message_chosen.connect(self.show_message)
        self.tabs.addTab(self.messages, "Messages")
        split.addWidget(self.tabs)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMaximumHeight(260)
        right_layout.addWidget(self.picture)
        self.preview = QTextBrowser()
        self.preview.setOpenLinks(False)
        right_layout.addWidget(self.preview)
        split.addWidget(right)
        split.setSizes([780, 500])
        layout.addWidget(split, 1)

    def focus_filter(self) -> None:
        """Ctrl+F: the filter of the table on show."""
        target = self.filter if self.tabs.currentIndex() == 0 else self.messages.filter
        target.setFocus()
        target.selectAll()

    def load(self, case: Case, tz: str) -> None:
        self.case, self.tz = case, tz
        self.model = items_model(case, tz)
        self.model.scan_progress.connect(self._counted)
        self.table.setModel(self.model)
        self.table.set_widths((220, 150, 80, 150, 170, 70, 70, 300, 80))
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self._apply_filter(self.filter.text())
        self.messages.show_messages(case, tz)
        self.preview.setHtml("<p>Select an item or a message to see its details.</p>")

    def refresh(self) -> None:
        if self.model is not None:
            self.model.refresh()
        if self.messages.model is not None:
            self.messages.model.refresh()

    def _counted(self, rows: int) -> None:
        scanning = self.model is not None and self.model.scanning
        self.count.setText(count(rows, "item") + (" found so far…" if scanning else ""))

    def _apply_filter(self, text: str) -> None:
        if self.model is not None and self.case is not None:
            self.model.set_filter(item_filter(text, self.case.engine.dialect.name))

    def selected_item(self) -> tuple[str, str] | None:
        """The SHA-256 and name of the selected item, if any."""
        if self.model is None:
            return None
        rows = self.table.selectionModel().selectedRows()
        record = self.model.row(rows[0].row()) if rows else None
        return None if record is None else (str(record[3]), str(record[0]))

    def _selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        if self.model is None or self.case is None or not selected.indexes():
            return
        row = self.model.row(selected.indexes()[0].row())
        if row is not None:
            self.show_item(str(row[ITEM_ID_COLUMN]))

    def show_item(self, item_id: str) -> None:
        """Fill the preview pane for one item."""
        assert self.case is not None
        with self.case.engine.connect() as conn:
            item = conn.execute(sa.select(T_ITEM).where(T_ITEM.c.id == item_id)).one()
            warnings = [
                w.text
                for w in conn.execute(
                    sa.select(T_WARN.c.text)
                    .where(T_WARN.c.item_id == item_id)
                    .order_by(T_WARN.c.ledger_seq)
                )
            ]
            extractions = conn.execute(
                sa.select(T_EXTRACTION).where(T_EXTRACTION.c.item_id == item_id)
            ).all()
            messages = conn.execute(
                sa.select(T_MESSAGE)
                .where(T_MESSAGE.c.item_id == item_id)
                .order_by(T_MESSAGE.c.ordinal)
                .limit(MAX_PREVIEW_MESSAGES)
            ).all()
        self._show_picture(item)
        parts = [self._details_html(item, warnings, extractions)]
        if messages:
            parts.append(self._thread_html(messages))
        self.preview.setHtml("".join(parts))

    def show_message(self, message_id: int) -> None:
        """Fill the preview pane with one message in its thread (a few before and after)."""
        assert self.case is not None
        with self.case.engine.connect() as conn:
            m = conn.execute(sa.select(T_MESSAGE).where(T_MESSAGE.c.id == message_id)).one()
            around = conn.execute(
                sa.select(T_MESSAGE)
                .where(
                    T_MESSAGE.c.case_id == self.case.case_id,
                    T_MESSAGE.c.thread_id == m.thread_id,
                    T_MESSAGE.c.item_id == m.item_id,
                    T_MESSAGE.c.ordinal.between(
                        m.ordinal - THREAD_CONTEXT, m.ordinal + THREAD_CONTEXT
                    ),
                )
                .order_by(T_MESSAGE.c.ordinal)
            ).all()
        self.picture.hide()
        e = html.escape
        where = f"{m.loc_path}" + (f", line {m.loc_line}" if m.loc_line is not None else "")
        rows = [
            ("Thread", e(m.thread_title or m.thread_id)),
            ("Platform", e(m.platform)),
            ("Sender", e(m.sender_identifier or "(device owner)")),
            (
                "Sent",
                f'<span title="{utc_tooltip(m.sent_at_utc)}">{local_time(m.sent_at_utc, self.tz)}'
                f"</span> (as written: {e(m.sent_at_raw)}"
                + (f", zone {e(m.tz)} assumed" if m.tz_assumed else "")
                + ")",
            ),
            ("Source", e(where)),
        ]
        body = "".join(f"<tr><th align=left valign=top>{k}</th><td>{v}</td></tr>" for k, v in rows)
        self.preview.setHtml(
            f"<h3>Message {m.id}</h3><table cellspacing=4>{body}</table>"
            + self._thread_html(around, highlight=m.id)
        )

    def _show_picture(self, item: Any) -> None:
        self.picture.clear()
        if not str(item.mime).startswith("image/") or self.case is None:
            self.picture.hide()
            return
        pixmap = QPixmap(str(self.case.store.blob_path(item.sha256)))
        if pixmap.isNull():
            self.picture.hide()
            return
        self.picture.setPixmap(
            pixmap.scaled(
                360,
                250,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.picture.show()

    def _details_html(self, item: Any, warnings: list[str], extractions: Sequence[Any]) -> str:
        e = html.escape
        rows = [
            ("Name", e(item.name)),
            ("Path", e(item.path)),
            ("SHA-256", f"<tt>{item.sha256}</tt>"),
            ("Size", f"{item.size:,} bytes"),
            ("Type", e(item.mime)),
            (
                "Acquired",
                f'<span title="{utc_tooltip(item.acquired_at)}">'
                f"{local_time(item.acquired_at, self.tz)}</span>",
            ),
            ("Source", e(item.source or "")),
            ("Reason", e(item.reason or "")),
            (
                "Modified",
                local_time(item.modified_at, self.tz)
                if item.modified_at
                else e(item.member_modified_local or ""),
            ),
        ]
        if item.member:
            rows.append(("Archive member", e(f"#{item.member_index} {item.member}")))
        for x in extractions:
            rows.append(
                (
                    "Extracted",
                    e(
                        f"{x.extractor}@{x.version}: {x.record_count} records, "
                        f"{x.warning_count} warnings ({x.status})"
                    ),
                )
            )
        body = "".join(f"<tr><th align=left valign=top>{k}</th><td>{v}</td></tr>" for k, v in rows)
        out = f"<h3>{e(item.name)}</h3><table cellspacing=4>{body}</table>"
        if warnings:
            out += "<h4>Warnings</h4><ul>" + "".join(f"<li>{e(w)}</li>" for w in warnings)
            out += "</ul>"
        return out

    def _thread_html(self, messages: Sequence[Any], highlight: int | None = None) -> str:
        e = html.escape
        out = [f"<h4>Messages ({len(messages)} shown, times in {e(self.tz)})</h4>"]
        for m in messages:
            mark = ' style="background:#fff3c4"' if m.id == highlight else ""
            flags = json.loads(m.flags)
            note = f' <font color="#a15c00">[{", ".join(flags)}]</font>' if flags else ""
            who = e(m.sender_identifier or "(device owner)")
            when = local_time(m.sent_at_utc, self.tz) or e(m.sent_at_raw)
            out.append(
                f'<p{mark}><b>{who}</b> <font color="#666" title="{utc_tooltip(m.sent_at_utc)}">'
                f"{when}</font>{note}<br>"
                f"{e(m.text) if m.text else '<i>' + e(m.kind) + '</i>'}</p>"
            )
        return "".join(out)

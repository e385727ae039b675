"""The Evidence screen's preview pane: an item (picture, EXIF, near-duplicates, e-mails with
their headers, messages as a chat) or one message in its thread.

Reads are short indexed queries on the GUI thread's own read connection, like the tables'
pages (SQLite in WAL mode lets them run beside the lane's writer).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSplitter, QTextBrowser, QVBoxLayout, QWidget
from sqlalchemy.engine import Connection

from chain_of_custody.case import Case
from workstation.gui.fmt import local_time, utc_tooltip
from workstation.gui.schema import T_EXTRACTION, T_IMAGE, T_ITEM, T_MESSAGE, T_WARN
from workstation.gui.screens.preview_html import (
    Neighbour,
    chat_html,
    email_html,
    exif_html,
    near_html,
    sender_label,
    table,
)

MAX_PREVIEW_MESSAGES = 200
MAX_EMAILS = 25
THREAD_CONTEXT = 15  # messages shown before and after the one chosen
NEAR_DISTANCE = 8  # bits of 64, as ``ews items`` reports near-duplicates
MAX_NEIGHBOURS = 40
E = html.escape


class PhashIndex:
    """The case's distinct perceptual hashes, read once (an index-only scan of
    ``ix_image_meta_phash``) and compared 64 bits at a time: one image's neighbours cost a
    few milliseconds even with a hundred thousand images."""

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._values: Any = None

    def clear(self) -> None:
        """Forget the hashes (after an ingest)."""
        self._values = None

    def near(self, conn: Connection, case_id: str, phash: str, max_distance: int) -> dict[str, int]:
        """The case's hashes within ``max_distance`` bits of ``phash``, with their distance."""
        import numpy as np  # only when an image is first previewed

        if self._values is None:
            rows = conn.execute(
                sa.select(T_IMAGE.c.phash)
                .where(T_IMAGE.c.case_id == case_id, T_IMAGE.c.phash.isnot(None))
                .distinct()
            ).all()
            self._texts = [r[0] for r in rows if _is_phash(r[0])]
            self._values = np.array([int(t, 16) for t in self._texts], dtype=np.uint64)
        if not _is_phash(phash) or len(self._texts) == 0:
            return {}
        distances = np.bitwise_count(self._values ^ np.uint64(int(phash, 16)))
        close = np.nonzero(distances <= max_distance)[0]
        return {self._texts[i]: int(distances[i]) for i in close}


def _is_phash(text: str | None) -> bool:
    return text is not None and len(text) == 16 and all(c in "0123456789abcdefABCDEF" for c in text)


class PreviewPane(QWidget):
    """A picture above a text pane; ``item_chosen(id)`` when a near-duplicate is clicked."""

    item_chosen = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.case: Case | None = None
        self.tz = "Europe/London"
        self.phashes = PhashIndex()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumHeight(80)
        split.addWidget(self.picture)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._link)
        split.addWidget(self.text)
        split.setSizes([300, 500])
        layout.addWidget(split)
        self._split = split

    def load(self, case: Case, tz: str) -> None:
        self.case, self.tz = case, tz
        self.phashes.clear()
        self.picture.hide()
        self.text.setHtml("<p>Select an item or a message to see its details.</p>")

    def refresh(self) -> None:
        self.phashes.clear()

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "item":
            self.item_chosen.emit(url.path())

    # --- an item --------------------------------------------------------------------

    def show_item(self, item_id: str) -> None:
        """The item's details, then what was extracted from it."""
        assert self.case is not None
        case_id = self.case.case_id
        with self.case.engine.connect() as conn:
            item = conn.execute(sa.select(T_ITEM).where(T_ITEM.c.id == item_id)).one()
            warnings = conn.execute(
                sa.select(T_WARN.c.text)
                .where(T_WARN.c.item_id == item_id)
                .order_by(T_WARN.c.ledger_seq)
            ).scalars()
            extractions = conn.execute(
                sa.select(T_EXTRACTION).where(T_EXTRACTION.c.item_id == item_id)
            ).all()
            parts = []
            meta = conn.execute(
                sa.select(T_IMAGE)
                .where(T_IMAGE.c.case_id == case_id, T_IMAGE.c.item_id == item_id)
                .limit(1)
            ).first()
            if meta is not None:
                parts.append(f"<h3>{E(item.name)}</h3>" + exif_html(meta, self.tz))
                parts.append(near_html(self._neighbours(conn, item, meta), NEAR_DISTANCE))
            parts.append(_details_html(item, list(warnings), extractions, self.tz, meta is None))
            messages = conn.execute(
                sa.select(T_MESSAGE)
                .where(T_MESSAGE.c.item_id == item_id)
                .order_by(T_MESSAGE.c.ordinal)
                .limit(MAX_PREVIEW_MESSAGES)
            ).all()
        self._show_picture(item)
        emails = [m for m in messages if m.platform == "email"]
        if emails:
            more = f", the first {MAX_EMAILS} shown" if len(emails) > MAX_EMAILS else ""
            parts.append(f"<h4>{len(emails)} e-mails{more}</h4>")
            parts.extend(email_html(m, self.tz) + "<hr>" for m in emails[:MAX_EMAILS])
        chat = [m for m in messages if m.platform != "email"]
        parts.append(chat_html(chat, self.tz))
        self.text.setHtml("".join(parts))

    def _neighbours(self, conn: Connection, item: Any, meta: Any) -> list[Neighbour]:
        near = self.phashes.near(conn, item.case_id, meta.phash, NEAR_DISTANCE)
        if not near:
            return []
        rows = conn.execute(
            sa.select(T_IMAGE.c.phash, T_ITEM.c.id, T_ITEM.c.name, T_ITEM.c.sha256)
            .join(T_ITEM, T_ITEM.c.id == T_IMAGE.c.item_id)
            .where(
                T_IMAGE.c.case_id == item.case_id,
                T_IMAGE.c.phash.in_(list(near)),
                T_ITEM.c.id != item.id,
            )
            .limit(MAX_NEIGHBOURS)
        ).all()
        found = [
            Neighbour(r.id, r.name, r.sha256, near[r.phash], r.sha256 == item.sha256) for r in rows
        ]
        return sorted(found, key=lambda n: (n.distance, n.name))

    def _show_picture(self, item: Any) -> None:
        self.picture.clear()
        pixmap = QPixmap()
        if str(item.mime).startswith("image/") and self.case is not None:
            pixmap = QPixmap(str(self.case.store.blob_path(item.sha256)))
        if pixmap.isNull():
            self.picture.hide()
            return
        height = max(self._split.sizes()[0] - 10, 280)
        self.picture.setPixmap(
            pixmap.scaled(
                max(self.width() - 20, 200),
                height,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.picture.show()

    # --- a message ------------------------------------------------------------------

    def show_message(self, message_id: int, query: str | None = None) -> None:
        """One message: an e-mail with its headers, or a chat message in its thread; the
        words of a search ``query`` highlighted."""
        assert self.case is not None
        with self.case.engine.connect() as conn:
            m = conn.execute(sa.select(T_MESSAGE).where(T_MESSAGE.c.id == message_id)).one()
            around = conn.execute(
                sa.select(T_MESSAGE)
                .where(
                    T_MESSAGE.c.item_id == m.item_id,
                    T_MESSAGE.c.ordinal.between(
                        m.ordinal - THREAD_CONTEXT, m.ordinal + THREAD_CONTEXT
                    ),
                    T_MESSAGE.c.thread_id == m.thread_id,
                )
                .order_by(T_MESSAGE.c.ordinal)
            ).all()
        self.picture.hide()
        if m.platform == "email":
            self.text.setHtml(email_html(m, self.tz, query))
            return
        where = f"{m.loc_path}" + (f", line {m.loc_line}" if m.loc_line is not None else "")
        rows = [
            ("Thread", E(m.thread_title or m.thread_id)),
            ("Platform", E(m.platform)),
            ("Sender", E(sender_label(m))),
            (
                "Sent",
                f'<span title="{E(utc_tooltip(m.sent_at_utc))}">'
                f"{E(local_time(m.sent_at_utc, self.tz))}</span> (as written: "
                f"{E(m.sent_at_raw)}" + (f", zone {E(m.tz)} assumed" if m.tz_assumed else "") + ")",
            ),
            ("Source", E(where)),
        ]
        self.text.setHtml(
            f"<h3>Message {m.id}</h3>{table(rows)}"
            + chat_html(around, self.tz, highlight=m.id, query=query)
        )
        self.text.scrollToAnchor("chosen")


def _details_html(
    item: Any, warnings: list[str], extractions: Sequence[Any], tz: str, title: bool
) -> str:
    rows = [
        ("Name", E(item.name)),
        ("Path", E(item.path)),
        ("SHA-256", f"<tt>{item.sha256}</tt>"),
        ("Size", f"{item.size:,} bytes"),
        ("Type", E(item.mime)),
        (
            "Acquired",
            f'<span title="{E(utc_tooltip(item.acquired_at))}">'
            f"{E(local_time(item.acquired_at, tz))}</span>",
        ),
        ("Source", E(item.source or "")),
        ("Reason", E(item.reason or "")),
        (
            "Modified",
            E(local_time(item.modified_at, tz))
            if item.modified_at
            else E(item.member_modified_local or "(not recorded)"),
        ),
    ]
    if item.member:
        rows.append(("Archive member", E(f"#{item.member_index} {item.member}")))
    for x in extractions:
        rows.append(
            (
                "Extracted",
                E(
                    f"{x.extractor}@{x.version}: {x.record_count} records, "
                    f"{x.warning_count} warnings ({x.status})"
                ),
            )
        )
    out = (f"<h3>{E(item.name)}</h3>" if title else "<h4>The file</h4>") + table(rows)
    if warnings:
        out += "<h4>Warnings</h4><ul>" + "".join(f"<li>{E(w)}</li>" for w in warnings) + "</ul>"
    return out

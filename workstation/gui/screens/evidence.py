"""Evidence: every item in a lazily loaded table, a filter, and a preview pane."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QLabel,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from chain_of_custody.case import Case
from workstation.gui.fmt import count, local_time, size, utc_tooltip
from workstation.gui.schema import T_EXTRACTION, T_ITEM, T_WARN
from workstation.gui.screens import review_tag
from workstation.gui.screens.messages import MessagesView
from workstation.gui.screens.preview import PreviewPane
from workstation.gui.screens.search_box import SearchView
from workstation.gui.tables import Column, PagedTableModel, Segment, contains
from workstation.gui.views import ReadOnlyTable

if TYPE_CHECKING:
    from workstation.gui.session import Session


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
        #: The open case as a screen acts on it (set by the window); tagging needs it.
        self.session_source: Callable[[], Session | None] = lambda: None
        self.item_tag_condition: sa.ColumnElement[bool] | None = None
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
        self.item_tag_box = review_tag.tag_filter_box()
        self.item_tag_box.currentTextChanged.connect(lambda _t: self.refresh_tag_filters())
        items_layout.addWidget(self.item_tag_box)
        self.table = ReadOnlyTable(multi=False)
        items_layout.addWidget(self.table, 1)
        self.count = QLabel("")
        items_layout.addWidget(self.count)
        self.tabs.addTab(items_tab, "Items")
        self.messages = MessagesView()
        self.message_tag_box = review_tag.tag_filter_box()
        self.message_tag_box.currentTextChanged.connect(lambda _t: self.refresh_tag_filters())
        messages_layout: Any = self.messages.layout()
        messages_layout.insertWidget(1, self.message_tag_box)
        self.tabs.addTab(self.messages, "Messages")
        self.tag_items = review_tag.tag_action(self, self.table, lambda: self.tag_selected("item"))
        self.tag_messages = review_tag.tag_action(
            self, self.messages.table, lambda: self.tag_selected("message")
        )
        self.search = SearchView()
        self.search.session_source = lambda: self.session_source()
        self.tabs.addTab(self.search, "Search")
        split.addWidget(self.tabs)
        self.pane = PreviewPane()
        self.preview = self.pane.text
        self.pane.item_chosen.connect(self.select_item)
        self.messages.message_chosen.connect(self.pane.show_message)
        self.search.message_chosen.connect(self.pane.show_message)
        self.search.item_chosen.connect(self.select_item)
        split.addWidget(self.pane)
        split.setSizes([760, 520])
        layout.addWidget(split, 1)

    def focus_filter(self) -> None:
        """Ctrl+F: the filter of the table on show."""
        target = (self.filter, self.messages.filter, self.search.box)[self.tabs.currentIndex()]
        target.setFocus()
        target.selectAll()

    def load(self, case: Case, tz: str) -> None:
        self.case, self.tz = case, tz
        self.model = items_model(case, tz)
        self.model.scan_progress.connect(self._counted)
        self.table.setModel(self.model)
        self.table.set_widths((250, 100, 70, 110, 185, 70, 70, 300, 80))
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self._apply_filter(self.filter.text())
        self.messages.show_messages(case, tz)
        self.pane.load(case, tz)

    def refresh(self) -> None:
        self.pane.refresh()
        if self.model is not None:
            self.model.refresh()
        if self.messages.model is not None:
            self.messages.model.refresh()

    def _counted(self, rows: int) -> None:
        scanning = self.model is not None and self.model.scanning
        self.count.setText(count(rows, "item") + (" found so far…" if scanning else ""))

    def _apply_filter(self, text: str) -> None:
        if self.model is not None and self.case is not None:
            found = item_filter(text, self.case.engine.dialect.name)
            conditions = [c for c in (found, self.item_tag_condition) if c is not None]
            self.model.set_filter(sa.and_(*conditions) if conditions else None)

    # --- review tags (issue 15 §2) -----------------------------------------------------------

    def tag_selected(self, kind: str) -> None:
        """Tag the selected item, or the selected messages, after asking which tag and why."""
        session = self.session_source()
        if session is None or session.signer is None:
            self.count.setText("Unlock an examiner key to tag (open the case again).")
            return
        if kind == "item":
            rows = self.table.selectionModel().selectedRows() if self.model else []
            record = self.model.row(rows[0].row()) if self.model and rows else None
            targets = [] if record is None else [f"item:{record[ITEM_ID_COLUMN]}"]
        else:
            targets = [f"message:{i}" for i in self.messages.selected_ids()]
        if not targets:
            return
        dialog = review_tag.TagDialog(self, targets[0] if len(targets) == 1 else "messages")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.submit_tags(session, targets, *dialog.chosen())

    def submit_tags(self, session: Session, targets: list[str], tag: str, note: str) -> None:
        """Sign a tag on each target on the lane, then refresh the filters."""
        signer = session.signer
        if signer is None:
            return

        def work() -> int:
            from workstation import review

            for target in targets:
                review.tag(session.case, signer, target, tag, note)
            return len(targets)

        def done(n: int) -> None:
            self.count.setText(f"Tagged {n} {'target' if n == 1 else 'targets'} {tag}.")
            self.refresh_tag_filters()
            session.changed()

        session.run("Tag", work, on_done=done)

    def refresh_tag_filters(self) -> None:
        """Work out the filter by tag of both tables on the lane, then apply it."""
        session = self.session_source()
        item_tag, message_tag = self.item_tag_box.currentText(), self.message_tag_box.currentText()
        if session is None:
            return
        case = session.case

        def work() -> tuple[Any, Any]:
            items = None
            if item_tag != review_tag.NONE:
                items = review_tag.item_condition(case, item_tag)
            messages = None
            if message_tag != review_tag.NONE:
                messages = review_tag.message_condition(case, message_tag)
            return items, messages

        def done(conditions: tuple[Any, Any]) -> None:
            self.item_tag_condition, self.messages.extra = conditions
            self._apply_filter(self.filter.text())
            self.messages.apply_filter(self.messages.filter.text())

        session.run("Filter by tag", work, on_done=done)

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
            self.pane.show_item(str(row[ITEM_ID_COLUMN]))

    def select_item(self, item_id: str) -> None:
        """Select an item in the items table (clearing the filter), scrolled into view."""
        if self.model is None or self.case is None:
            return
        case_id = self.case.case_id
        with self.case.engine.connect() as conn:
            seq = conn.execute(
                sa.select(T_ITEM.c.ledger_seq).where(T_ITEM.c.id == item_id)
            ).scalar()
            if seq is None:
                return
            row = conn.execute(
                sa.select(sa.func.count()).where(
                    T_ITEM.c.case_id == case_id, T_ITEM.c.ledger_seq < seq
                )
            ).scalar_one()
        self.tabs.setCurrentIndex(0)
        if self.filter.text():
            self.filter.clear()  # the row number below counts the whole table
        index = self.model.index(int(row), 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

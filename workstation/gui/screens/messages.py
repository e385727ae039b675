"""A lazily loaded messages table (a million rows stay fast), with a filter; used by the
Evidence, People and Timeline screens."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from chain_of_custody.case import Case
from workstation.gui.fmt import count, local_time, utc_tooltip
from workstation.gui.schema import T_MESSAGE
from workstation.gui.tables import Column, PagedTableModel, Segment, contains
from workstation.gui.views import ReadOnlyTable

M = T_MESSAGE.c


def _flags(value: str) -> str:
    return ", ".join(json.loads(value)) if value and value != "[]" else ""


def messages_model(
    case: Case, tz: str, where: sa.ColumnElement[bool] | None = None
) -> PagedTableModel:
    """Messages of the case (or those matching ``where``) in time order, untimed ones last."""
    columns = [
        Column("Sent", M.sent_at_utc, lambda v: local_time(v, tz), utc_tooltip),
        Column("Platform", M.platform),
        Column("Thread", M.thread_title),
        Column("Sender", M.sender_identifier),
        Column("Kind", M.kind),
        Column("Text", M.text, lambda v: v.replace("\n", " ")[:400], lambda v: v[:2000]),
        Column("Flags", M.flags, _flags),
        Column("Id", M.id),
    ]
    base = M.case_id == case.case_id
    if where is not None:
        base = sa.and_(base, where)
    segments = [
        Segment(M.sent_at_sort.isnot(None), (M.sent_at_sort, M.id)),
        Segment(M.sent_at_sort.is_(None), (M.id,)),
    ]
    return PagedTableModel(case.engine, columns, segments, base)


def message_filter(text: str, dialect: str) -> sa.ColumnElement[bool] | None:
    """Rows whose text, sender or thread contains ``text`` (None for an empty filter)."""
    text = text.strip()
    if not text:
        return None
    return sa.or_(
        *(contains(c, text, dialect) for c in (M.text, M.sender_identifier, M.thread_title))
    )


MESSAGE_ID_COLUMN = 7


class MessagesView(QWidget):
    """A filter line, a count and the messages table; ``message_chosen(id)`` on selection."""

    message_chosen = Signal(int)

    def __init__(self, placeholder: str = "Filter messages by text, sender or thread") -> None:
        super().__init__()
        self.model: PagedTableModel | None = None
        self.dialect = "sqlite"
        #: A further condition on the rows (the Evidence screen's filter by tag).
        self.extra: sa.ColumnElement[bool] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(placeholder)
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.apply_filter)
        layout.addWidget(self.filter)
        self.table = ReadOnlyTable()
        layout.addWidget(self.table, 1)
        self.count = QLabel("")
        self.count.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.count)

    def show_messages(
        self, case: Case, tz: str, where: sa.ColumnElement[bool] | None = None
    ) -> None:
        """Show the case's messages (or those matching ``where``)."""
        self.model = messages_model(case, tz, where)
        self.dialect = case.engine.dialect.name
        self.model.scan_progress.connect(self._counted)
        self.table.setModel(self.model)
        self.table.set_widths((175, 75, 130, 130, 55, 520, 120, 70))
        self.table.selectionModel().currentRowChanged.connect(self._current)
        self.apply_filter(self.filter.text())

    def apply_filter(self, text: str) -> None:
        if self.model is not None:
            conditions = [
                c for c in (message_filter(text, self.dialect), self.extra) if c is not None
            ]
            self.model.set_filter(sa.and_(*conditions) if conditions else None)

    def _counted(self, rows: int) -> None:
        scanning = self.model is not None and self.model.scanning
        self.count.setText(count(rows, "message") + (" found so far…" if scanning else ""))

    def _current(self, current: object, _previous: object) -> None:
        row = getattr(current, "row", lambda: -1)()
        if self.model is None or row < 0:
            return
        record = self.model.row(row)
        if record is not None:
            self.message_chosen.emit(int(record[MESSAGE_ID_COLUMN]))

    def selected_ids(self) -> Sequence[int]:
        """The ids of the selected messages, in table order."""
        if self.model is None:
            return []
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        found = (self.model.row(r) for r in rows)
        return [int(r[MESSAGE_ID_COLUMN]) for r in found if r is not None]

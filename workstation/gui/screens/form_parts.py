"""Small editors the case details form is made of: one value per line, yes/no/not recorded,
a table of rows, and a list of records edited one at a time. Each reads back only what the
officer typed: an empty field is left out of the document (not recorded), never filled in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

Record = dict[str, Any]
NOT_RECORDED = "not recorded"
DATE_HINT = "YYYY-MM-DD"


def line(placeholder: str = "") -> QLineEdit:
    """A one-line text field with a hint of what goes in it."""
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    return edit


def put(doc: Record, key: str, value: Any) -> None:
    """Set ``doc[key]`` unless the value is empty (then the key is left out)."""
    if value is None or value == "" or value == [] or value == {}:
        doc.pop(key, None)
    else:
        doc[key] = value


class Paragraph(QPlainTextEdit):
    """One text that may run over several lines; reads like a ``QLineEdit``."""

    def __init__(self, placeholder: str = "", height: int = 64) -> None:
        super().__init__()
        self.setPlaceholderText(placeholder)
        self.setMaximumHeight(height)

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:
        self.setPlainText(text)


class LinesEdit(Paragraph):
    """A list of texts, one per line (blank lines ignored)."""

    def __init__(self, placeholder: str = "one per line", height: int = 64) -> None:
        super().__init__(placeholder, height)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # a line is one value

    def lines(self) -> list[str]:
        return [line.strip() for line in self.toPlainText().splitlines() if line.strip()]

    def set_lines(self, values: Sequence[Any]) -> None:
        self.setPlainText("\n".join(str(v) for v in values))


def text_of(edit: QLineEdit | Paragraph) -> str | None:
    return edit.text().strip() or None


class Choice(QComboBox):
    """A fixed choice whose first entry means "not recorded"; ``value()`` is None for it."""

    def __init__(self, choices: Sequence[str], editable: bool = False) -> None:
        super().__init__()
        self.addItems(["", *choices])
        self.setEditable(editable)

    def value(self) -> str | None:
        return self.currentText().strip() or None

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.findText(text) < 0:
            self.addItem(text)  # a value recorded earlier is shown as it is, never replaced
        self.setCurrentText(text)


class YesNo(Choice):
    """yes / no / not recorded (the document's ``"yes"``/``"no"``, or the key left out)."""

    def __init__(self) -> None:
        super().__init__(["yes", "no"])
        self.setItemText(0, NOT_RECORDED)

    def value(self) -> str | None:
        return None if self.currentIndex() == 0 else self.currentText()

    def set_value(self, value: Any) -> None:
        if value in (True, "yes"):
            self.setCurrentIndex(1)
        elif value in (False, "no"):
            self.setCurrentIndex(2)
        else:
            self.setCurrentIndex(0)


class RowsTable(QWidget):
    """A table of records with text columns (and optional choice columns); Add and Remove."""

    changed = Signal()

    def __init__(
        self,
        columns: Sequence[tuple[str, str]],
        widths: Sequence[int],
        choices: dict[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__()
        self.keys = [key for key, _ in columns]
        self.choices = choices or {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels([header for _, header in columns])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(widths):
            self.table.setColumnWidth(column, width)
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add row")
        self.add_button.clicked.connect(lambda: self.add_row({}))
        self.remove_button = QPushButton("Remove row")
        self.remove_button.clicked.connect(self.remove_current)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def add_row(self, record: Record) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, key in enumerate(self.keys):
            value = record.get(key)
            if key in self.choices:
                box = Choice(self.choices[key])
                box.set_value(value)
                box.currentIndexChanged.connect(lambda _i: self.changed.emit())
                self.table.setCellWidget(row, column, box)
            else:
                self.table.setItem(
                    row, column, QTableWidgetItem("" if value is None else str(value))
                )
        self.table.setCurrentCell(row, 0)
        self.changed.emit()
        return row

    def remove_current(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.changed.emit()

    def set_cell(self, row: int, key: str, value: str) -> None:
        """Type into one cell (a choice column takes one of its choices)."""
        column = self.keys.index(key)
        widget = self.table.cellWidget(row, column)
        if isinstance(widget, Choice):
            widget.set_value(value)
        else:
            self.table.setItem(row, column, QTableWidgetItem(value))

    def cell(self, row: int, key: str) -> str:
        column = self.keys.index(key)
        widget = self.table.cellWidget(row, column)
        if isinstance(widget, Choice):
            return widget.value() or ""
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def set_records(self, records: Sequence[Record]) -> None:
        self.table.setRowCount(0)
        for record in records:
            self.add_row(record)
        self.table.clearSelection()  # shown, not being edited

    def records(self, convert: Callable[[str, str], Any] | None = None) -> list[Record]:
        """The rows typed in, empty cells left out and empty rows skipped."""
        found = []
        for row in range(self.table.rowCount()):
            record: Record = {}
            for key in self.keys:
                text = self.cell(row, key)
                put(record, key, convert(key, text) if convert and text else text)
            if record:
                found.append(record)
        return found


class RecordList(QWidget):
    """Records edited one at a time (offences, risk assessments): a chooser with Add and
    Remove above the owner's ``editor``, which ``load(record)`` fills and ``save()`` reads
    back. The editor is disabled while there is no record to edit."""

    def __init__(
        self,
        noun: str,
        editor: QWidget,
        describe: Callable[[Record], str],
        load: Callable[[Record], None],
        save: Callable[[], Record],
    ) -> None:
        super().__init__()
        self.editor = editor
        self._records: list[Record] = []
        self._current = -1
        self._describe, self._load, self._save = describe, load, save
        self.noun = noun
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.chooser = QComboBox()
        self.chooser.currentIndexChanged.connect(self._switch)
        row.addWidget(self.chooser, 1)
        self.add_button = QPushButton(f"Add {noun}")
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton(f"Remove {noun}")
        self.remove_button.clicked.connect(self.remove_current)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)

    def _store(self) -> None:
        if 0 <= self._current < len(self._records):
            self._records[self._current] = self._save()
            self.chooser.setItemText(self._current, self._label(self._current))

    def _label(self, index: int) -> str:
        return f"{self.noun.capitalize()} {index + 1}: {self._describe(self._records[index])}"

    def _switch(self, index: int) -> None:
        self._store()
        self._current = index
        self._load(self._records[index] if 0 <= index < len(self._records) else {})

    def add(self) -> None:
        self._store()
        self._records.append({})
        self.chooser.addItem(self._label(len(self._records) - 1))
        self.chooser.setCurrentIndex(len(self._records) - 1)
        self._enable()

    def remove_current(self) -> None:
        index = self._current
        if not 0 <= index < len(self._records):
            return
        self._current = -1  # the editor's content goes with it
        del self._records[index]
        self.set_records(self._records)

    def choose(self, index: int) -> None:
        if 0 <= index < len(self._records):
            self.chooser.setCurrentIndex(index)

    def set_records(self, records: Sequence[Record]) -> None:
        self._current = -1
        self._records = [dict(r) for r in records]
        self.chooser.blockSignals(True)
        self.chooser.clear()
        self.chooser.addItems([self._label(i) for i in range(len(self._records))])
        self.chooser.blockSignals(False)
        self._switch(0 if self._records else -1)
        self._enable()

    def _enable(self) -> None:
        self.remove_button.setEnabled(bool(self._records))
        self.editor.setEnabled(bool(self._records))

    def records(self) -> list[Record]:
        """Every record, the one on show read from the editor; empty ones left out."""
        self._store()
        return [r for r in self._records if r]

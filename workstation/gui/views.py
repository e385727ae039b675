"""Shared by the screens: a fast read-only table whose rows can be copied, and a small
in-memory table model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

ROW_HEIGHT = 22
Index = QModelIndex | QPersistentModelIndex


class ReadOnlyTable(QTableView):
    """Rows selected whole, uniform row heights (so a million rows scroll without measuring
    each), and Ctrl+C copying the selected rows as tab-separated text."""

    def __init__(self, multi: bool = True) -> None:
        super().__init__()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
            if multi
            else QAbstractItemView.SelectionMode.SingleSelection
        )
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)

    def set_widths(self, widths: Sequence[int]) -> None:
        for column, width in enumerate(widths):
            self.setColumnWidth(column, width)

    def copy_selection(self) -> str:
        """Put the selected rows on the clipboard as tab-separated text and return it."""
        model = self.model()
        if model is None:
            return ""
        rows = sorted({i.row() for i in self.selectionModel().selectedIndexes()})[:10_000]
        lines = []
        for row in rows:
            cells = [
                model.data(model.index(row, c), Qt.ItemDataRole.DisplayRole) or ""
                for c in range(model.columnCount())
            ]
            lines.append("\t".join(str(v) for v in cells))
        text = "\n".join(lines)
        QGuiApplication.clipboard().setText(text)
        return text

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            return
        super().keyPressEvent(event)


class RecordsModel(QAbstractTableModel):
    """A small read-only table held in memory (accounts, suggestions, groups): rows of text,
    with an optional tooltip per row and the source object kept beside each row."""

    def __init__(self, headers: Sequence[str]) -> None:
        super().__init__()
        self._headers = list(headers)
        self._rows: list[tuple[list[str], str, Any]] = []

    def set_rows(self, rows: Sequence[tuple[Sequence[str], str, Any]]) -> None:
        """Replace the rows: (cells, tooltip, source object) each."""
        self.beginResetModel()
        self._rows = [(list(cells), tip, source) for cells, tip, source in rows]
        self.endResetModel()

    def source(self, row: int) -> Any:
        """The object a row was made from."""
        return self._rows[row][2] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        cells, tip, _ = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cells[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return tip or None
        return None

"""Widgets shared by the screens: a fast read-only table whose rows can be copied."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

ROW_HEIGHT = 22


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

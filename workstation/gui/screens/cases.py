"""Cases: create a case (URN, title, examiner) or open one; recent cases are remembered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

RECENT_KEY = "recent_cases"


class CasesScreen(QWidget):
    """Emits ``create_requested`` and ``open_requested``; the window does the work."""

    create_requested = Signal(str, str, str, str, str)  # folder, urn, title, examiner, initials
    open_requested = Signal(str)

    def __init__(self, settings: QSettings) -> None:
        super().__init__()
        self._settings = settings
        layout = QHBoxLayout(self)

        create = QGroupBox("New case")
        form = QFormLayout(create)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("folder for the new case")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_new_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder)
        row.addWidget(browse)
        form.addRow("Case folder", row)
        self.urn = QLineEdit()
        self.urn.setPlaceholderText("e.g. 01YY1234567")
        form.addRow("URN", self.urn)
        self.title = QLineEdit()
        self.title.setPlaceholderText("e.g. R v Mercer")
        form.addRow("Title", self.title)
        self.examiner = QLineEdit()
        form.addRow("Examiner", self.examiner)
        self.initials = QLineEdit()
        self.initials.setMaxLength(4)
        form.addRow("Initials", self.initials)
        self.create_button = QPushButton("Create case")
        self.create_button.clicked.connect(self._create)
        form.addRow(self.create_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        form.addRow(self.message)

        existing = QGroupBox("Open a case")
        box = QVBoxLayout(existing)
        box.addWidget(QLabel("Recent cases"))
        self.recent = QListWidget()
        self.recent.itemActivated.connect(lambda item: self.open_requested.emit(item.text()))
        box.addWidget(self.recent)
        open_button = QPushButton("Open folder…")
        open_button.clicked.connect(self.choose_existing)
        box.addWidget(open_button)

        layout.addWidget(create, 3)
        layout.addWidget(existing, 2)
        self.reload_recent()

    def reload_recent(self) -> None:
        self.recent.clear()
        for folder in self.recent_cases():
            self.recent.addItem(folder)

    def recent_cases(self) -> list[str]:
        value = self._settings.value(RECENT_KEY, [])
        items = value if isinstance(value, list) else [value] if value else []
        return [str(v) for v in items if (Path(str(v)) / "case.json").exists()]

    def remember(self, folder: str) -> None:
        items = [folder] + [f for f in self.recent_cases() if f != folder]
        self._settings.setValue(RECENT_KEY, items[:10])
        self.reload_recent()

    def _choose_new_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for the new case")
        if chosen:
            self.folder.setText(chosen)

    def choose_existing(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Open a case folder")
        if chosen:
            self.open_requested.emit(chosen)

    def _create(self) -> None:
        values = [
            w.text().strip()
            for w in (self.folder, self.urn, self.title, self.examiner, self.initials)
        ]
        if not all(values):
            self.message.setText("Every field is needed to create a case.")
            return
        self.message.setText("")
        self.create_requested.emit(*values)

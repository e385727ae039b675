"""Ingest: drop or pick files, folders and archives; state source, zone and reason; go."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from workstation.gui.fmt import size

if TYPE_CHECKING:  # the ingest pipeline (and every extractor) is imported on first use
    from workstation.ingest import IngestSummary, Progress

ZONES = [
    "Europe/London",
    "UTC",
    "Europe/Dublin",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
]


class DropList(QListWidget):
    """A list that accepts files and folders dropped from the desktop."""

    paths_dropped = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setDragDropMode(QListWidget.DragDropMode.DropOnly)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:  # type: ignore[override]
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.paths_dropped.emit(paths)
            event.acceptProposedAction()


class ProgressBridge(QObject):
    """Carries progress from worker threads to the GUI thread."""

    progressed = Signal(object)


class IngestScreen(QWidget):
    """Emits ``start_requested(paths, source, tz, reason)``; shows progress and the summary."""

    start_requested = Signal(list, str, str, str)

    def __init__(self) -> None:
        super().__init__()
        self.cancel_event = threading.Event()
        self.bridge = ProgressBridge()
        self.bridge.progressed.connect(self._show_progress, Qt.ConnectionType.QueuedConnection)
        self._started = 0.0

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Drop files, folders or archives here, or add them:"))
        self.sources = DropList()
        self.sources.paths_dropped.connect(self.add_paths)
        layout.addWidget(self.sources, 2)
        buttons = QHBoxLayout()
        for text, slot in (
            ("Add files…", self._add_files),
            ("Add folder…", self._add_folder),
            ("Remove", self._remove),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch()
        layout.addLayout(buttons)

        form = QFormLayout()
        self.source = QLineEdit()
        self.source.setPlaceholderText("e.g. victim's iPhone 12, exports handed over on 2 May")
        form.addRow("Source device", self.source)
        self.tz = QComboBox()
        self.tz.setEditable(True)
        self.tz.addItems(ZONES)
        form.addRow("Device time zone", self.tz)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why these items are acquired")
        form.addRow("Reason", self.reason)
        layout.addLayout(form)

        run = QHBoxLayout()
        self.start_button = QPushButton("Start ingest")
        self.start_button.setShortcut("Ctrl+Return")
        self.start_button.clicked.connect(self._start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_event.set)
        run.addWidget(self.start_button)
        run.addWidget(self.cancel_button)
        layout.addLayout(run)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        layout.addWidget(self.bar)
        self.status = QLabel("Ready.")
        layout.addWidget(self.status)
        self.summary = QTextEdit()
        self.summary.setReadOnly(True)
        layout.addWidget(self.summary, 1)

    def add_paths(self, paths: list[str]) -> None:
        present = {self.sources.item(i).text() for i in range(self.sources.count())}
        for p in paths:
            if p not in present:
                self.sources.addItem(p)

    def _add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Files to acquire")
        self.add_paths(files)

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to acquire")
        if folder:
            self.add_paths([folder])

    def _remove(self) -> None:
        for item in self.sources.selectedItems():
            self.sources.takeItem(self.sources.row(item))

    def paths(self) -> list[str]:
        return [self.sources.item(i).text() for i in range(self.sources.count())]

    def _start(self) -> None:
        paths = self.paths()
        if not paths:
            self.status.setText("Add at least one file or folder.")
            return
        self.start_requested.emit(
            paths,
            self.source.text().strip(),
            self.tz.currentText().strip(),
            self.reason.text().strip(),
        )

    def running(self, on: bool) -> None:
        """Switch the controls between running and idle."""
        self.start_button.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        if on:
            self.cancel_event.clear()
            self._started = time.monotonic()
            self.bar.setValue(0)
            self.summary.clear()
            self.status.setText("Starting…")

    def _show_progress(self, p: Progress) -> None:
        if p.message == "warning":
            self.summary.append(f"warning: {p.current}")
            return
        elapsed = max(time.monotonic() - self._started, 1e-3)
        rate = p.bytes_done / elapsed
        left = (p.bytes_total - p.bytes_done) / rate if rate > 0 and p.bytes_total else 0
        if p.bytes_total:
            self.bar.setValue(int(1000 * min(p.bytes_done / p.bytes_total, 1.0)))
        self.status.setText(
            f"{p.items:,} items · {size(p.bytes_done)} of {size(p.bytes_total)}"
            f" · {size(int(rate))}/s · {left:,.0f} s left"
        )

    def show_summary(self, summary: IngestSummary) -> None:
        self.bar.setValue(1000)
        verb = "Resumed and completed" if summary.resumed else "Completed"
        self.status.setText(f"{verb}: {summary.items:,} items, {size(summary.bytes)}.")
        lines = [
            f"Items acquired: {summary.items:,} ({summary.members:,} from archives)",
            f"Bytes: {summary.bytes:,}",
            f"Extractions: {summary.extractions:,}, records: {summary.extracted_records:,}",
            f"Already acquired in an earlier attempt: {summary.skipped_already_acquired:,}",
            f"Warnings: {len(summary.warnings):,}",
        ]
        lines += [f"  • {w}" for w in summary.warnings[:500]]
        self.summary.setPlainText("\n".join(lines))
        self.sources.clear()

    def show_failure(self, message: str) -> None:
        self.status.setText(
            f"Stopped: {message}. What was complete is recorded; start again to resume."
        )

"""The window's chrome: keyboard shortcuts (listed in Help > Shortcuts) and the layout
remembered between sessions (window geometry, splitter positions, the screen on show)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QSplitter

Shortcut = tuple[str, str, Callable[[], object]]  # what it does, key, slot

#: Keys that widgets handle themselves, listed in the dialog with the window's own.
WIDGET_KEYS = [
    ("Start the ingest (Ingest screen)", "Ctrl+Return"),
    ("Confirm the selected alias link (People)", "Ctrl+Shift+C"),
    ("Reject the selected alias link (People)", "Ctrl+Shift+R"),
    ("Export and verify (Exhibits)", "Ctrl+E"),
    ("Verify the whole case (Ledger)", "Ctrl+Shift+V"),
    ("Copy the selected rows of a table", "Ctrl+C"),
]


def install_shortcuts(window: QMainWindow, shortcuts: Sequence[Shortcut]) -> list[QAction]:
    """Window-wide shortcuts as actions (so they work whatever has the focus)."""
    actions = []
    for text, key, slot in shortcuts:
        action = QAction(text, window)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        window.addAction(action)
        actions.append(action)
    return actions


def shortcuts_html(actions: Sequence[QAction]) -> str:
    """The table shown by Help > Shortcuts."""
    rows = [(a.text(), a.shortcut().toString()) for a in actions] + WIDGET_KEYS
    body = "".join(
        f"<tr><td><b>{html.escape(key)}</b></td><td>{html.escape(text)}</td></tr>"
        for text, key in rows
    )
    return f"<table cellspacing=6>{body}</table>"


def show_shortcuts(window: QMainWindow, actions: Sequence[QAction]) -> QMessageBox:
    box = QMessageBox(window)
    box.setWindowTitle("Keyboard shortcuts")
    box.setText(shortcuts_html(actions))
    box.open()
    return box


def save_layout(window: QMainWindow, settings: QSettings, screen: int) -> None:
    settings.setValue("geometry", window.saveGeometry())
    settings.setValue("screen", screen)
    splitters = window.findChildren(QSplitter)
    settings.setValue("splitters/count", len(splitters))
    for n, splitter in enumerate(splitters):
        settings.setValue(f"splitters/{n}", splitter.saveState())


def restore_layout(window: QMainWindow, settings: QSettings) -> int:
    """Restore what ``save_layout`` kept; returns the screen to show."""
    geometry = settings.value("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(1400, 860)
    splitters = window.findChildren(QSplitter)
    saved = settings.value("splitters/count")
    # Splitters are kept by position: a layout saved by another version is not applied.
    if str(saved) == str(len(splitters)):
        for n, splitter in enumerate(splitters):
            state = settings.value(f"splitters/{n}")
            orientation = splitter.orientation()
            if state is not None:
                splitter.restoreState(state)
            if splitter.orientation() != orientation:  # not this splitter's state after all
                splitter.setOrientation(orientation)
    value = settings.value("screen", 0)
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else 0

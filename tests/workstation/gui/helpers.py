"""What the GUI tests do to a window: wait for its jobs, read what the ledger recorded."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from workstation.gui.window import MainWindow


def idle(qtbot: QtBot, win: MainWindow, timeout_ms: int = 120_000) -> None:
    """Wait until the window's lane has no job, three times over: a job's callback may
    queue another (a refresh after a change)."""
    for _ in range(3):
        qtbot.waitUntil(lambda: not win.lane.busy, timeout=timeout_ms)


def actions(win: MainWindow) -> list[str]:
    """The actions of the open case's ledger entries, in order."""
    assert win.case is not None
    return [e.action for e in win.case.ledger_entries()]

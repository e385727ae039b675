"""Qt tests run offscreen, with settings in a temporary file."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from chain_of_custody.case import Case
from tests.workstation.gui.helpers import idle
from workstation.gui.window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, alpha_copy: Case) -> Iterator[MainWindow]:
    """The workstation window on a copy of case-alpha, its opening jobs done (1400 x 860,
    the size of the README's screenshots)."""
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    win.open_case(str(alpha_copy.folder))
    idle(qtbot, win)
    assert win.case is not None
    yield win
    win.lane.shutdown()

"""Verify the whole case from the Ledger screen and read the result per item: every item
green on an intact case; after a byte of a stored copy is changed, its row is red and names
the item, the blob and what is wrong."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from chain_of_custody.case import T_ITEM, Case
from workstation.gui.screens.ledger import FAIL_BG, PASS_BG
from workstation.gui.window import MainWindow

pytestmark = pytest.mark.gui


def items(case: Case) -> list[sa.Row[tuple[str, str, str]]]:
    with case.engine.connect() as conn:
        query = sa.select(T_ITEM.c.id, T_ITEM.c.name, T_ITEM.c.sha256)
        return list(conn.execute(query.where(T_ITEM.c.case_id == case.case_id)).all())


def verify(qtbot: QtBot, win: MainWindow) -> list[tuple[str, ...]]:
    """Click Verify and read the result table as shown: (result, kind, subject, sha, detail)."""
    win.nav.setCurrentRow(6)
    win.ledger.verify_button.click()
    for _ in range(3):
        qtbot.waitUntil(lambda: not win.lane.busy, timeout=300_000)
    model = win.ledger.results
    return [
        tuple(str(model.data(model.index(r, c))) for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]


def test_an_intact_case_shows_every_item_green(qtbot: QtBot, window: MainWindow) -> None:
    case = window.case
    assert case is not None
    rows = verify(qtbot, window)
    shown = [r for r in rows if r[1] == "item"]
    assert len(shown) == len(items(case)) > 20
    assert all(r[0] == "PASS" for r in rows)
    model = window.ledger.results
    assert model.data(model.index(5, 0), Qt.ItemDataRole.BackgroundRole) == PASS_BG
    assert "Verification passed" in window.ledger.report.toPlainText()
    assert window.badge.text() == "verified"


def test_a_changed_blob_shows_a_red_row_naming_the_item(qtbot: QtBot, window: MainWindow) -> None:
    case = window.case
    assert case is not None
    victim = next(i for i in items(case) if i.name.startswith("Screenshot_20240402"))
    blob = case.store.blob_path(victim.sha256)
    os.chmod(blob, stat.S_IMODE(os.stat(blob).st_mode) | stat.S_IWUSR)
    with open(blob, "r+b") as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 0xFF]))

    rows = verify(qtbot, window)
    failed = [r for r in rows if r[0] == "FAIL"]
    assert len(failed) == 1
    _, kind, subject, sha, detail = failed[0]
    assert kind == "blob" and victim.id in subject and sha == victim.sha256
    assert detail.startswith("content changed: now hashes to ")
    assert not any(victim.sha256 == r[3] for r in rows if r[0] == "PASS")
    assert sum(r[3] != "" for r in rows if r[0] == "PASS") == len(items(case)) - 1
    model = window.ledger.results
    row = [r[0] for r in rows].index("FAIL")
    assert model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole) == FAIL_BG
    assert "Verification failed: 1 problems" in window.ledger.report.toPlainText()
    assert window.badge.text() != "verified"

    window.ledger.problems_only.setChecked(True)
    assert model.rowCount() == 1
    assert model.data(model.index(0, 1)) == "blob"

"""The Acquire screen (issue 13 §6): the device's record, and an acquisition of the stand-in
Android phone run from the screen on the lane, with progress."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from tests.data.device_fixtures.standins.known_devices import make_android
from workstation.device import consent
from workstation.gui.lane import Lane
from workstation.gui.screens.acquire import AcquireScreen

pytestmark = pytest.mark.gui
STANDINS = Path(__file__).resolve().parents[1] / "data" / "device_fixtures" / "standins"
SHOT = os.environ.get("EWS_DEVICE_SCREENSHOT")  # set to save the screen as a PNG


@pytest.fixture
def screen(qtbot: QtBot, case: Case, signer: Signer) -> Iterator[AcquireScreen]:
    lane = Lane()
    acquire = AcquireScreen(lane, lambda: (case, signer))
    qtbot.addWidget(acquire)
    acquire.resize(1100, 800)
    yield acquire
    lane.shutdown()


def test_acquire_screen_runs_an_android_acquisition(
    qtbot: QtBot,
    screen: AcquireScreen,
    case: Case,
    signer: Signer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EWS_STANDIN_DEVICE", str(make_android(tmp_path / "phone")))
    monkeypatch.setenv("PATH", f"{STANDINS}{os.pathsep}{os.environ['PATH']}")
    consent.record_receipt(
        case,
        signer,
        received_from="Hannah Price",
        description="Samsung Galaxy A52, black",
        at="2024-05-01T08:30:00Z",
    )
    screen.show()
    qtbot.waitUntil(lambda: "device-1" in screen.record.toPlainText(), timeout=30_000)
    assert "Time from receipt to return: not yet returned" in screen.record.toPlainText()
    seen: list[object] = []
    screen.bridge.progressed.connect(seen.append)
    screen.source.setCurrentIndex(0)  # attached Android phone
    screen.folder.setText(str(tmp_path / "out"))
    screen.parties.setText("+447700900123")
    screen.scope_from.setText("2024-03-01")
    screen.scope_to.setText("2024-04-30")
    screen.start_button.click()
    assert not screen.start_button.isEnabled()
    qtbot.waitUntil(lambda: "acquired" in screen.status.text(), timeout=120_000)
    assert screen.status.text() == "device-1 acquired: 3 files, 11 items."
    assert screen.start_button.isEnabled() and seen
    qtbot.waitUntil(lambda: "Scope: parties +447700900123" in screen.record.toPlainText())
    assert "manufacturer samsung, product_name a52qnsxx" in screen.record.toPlainText()
    screen.holder.setText("Hannah Price")
    screen.return_button.click()
    qtbot.waitUntil(lambda: "Returned" in screen.record.toPlainText(), timeout=30_000)
    assert screen.status.text() == "Return recorded."
    if SHOT:
        screen.grab().save(SHOT)

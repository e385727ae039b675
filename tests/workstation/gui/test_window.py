"""Drive the workstation as an investigator would: create, ingest, browse, verify, tour."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from tests.data.make_demo_evidence import write_demo_evidence
from workstation.gui.app import run_tour
from workstation.gui.window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.lane.shutdown()


def wait_idle(qtbot: QtBot, win: MainWindow, timeout_ms: int = 60_000) -> None:
    qtbot.waitUntil(lambda: not win.lane.busy, timeout=timeout_ms)


def test_create_ingest_browse_verify(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    cases = window.cases
    cases.folder.setText(str(tmp_path / "case"))
    cases.urn.setText("01AB0000001")
    cases.title.setText("R v Demo")
    cases.examiner.setText("Jane Smith")
    cases.initials.setText("JS")
    cases.create_button.click()
    wait_idle(qtbot, window)
    assert window.case is not None
    assert "01AB0000001" in window.case_label.text()
    assert window.badge.text() == "not verified since last change"

    evidence = write_demo_evidence(tmp_path / "evidence")
    window.nav.setCurrentRow(1)
    window.ingest.add_paths([str(p) for p in evidence])
    window.ingest.source.setText("victim's phone (test)")
    window.ingest.reason.setText("harassment report")
    window.ingest.start_button.click()
    wait_idle(qtbot, window)
    assert window.ingest.status.text().startswith("Completed: 7 items")
    model = window.evidence.model
    assert model is not None and model.rowCount() == 7

    window.evidence.filter.setText("whatsapp")
    assert model.rowCount() == 2  # the chat and the screenshot named ..._WhatsApp.png
    window.evidence.filter.setText("")
    window.evidence.table.selectRow(0)
    assert "SHA-256" in window.evidence.preview.toPlainText()

    window.ledger.verify_button.click()
    wait_idle(qtbot, window)
    wait_idle(qtbot, window)
    assert "Verification passed" in window.ledger.report.toPlainText()
    assert window.badge.text() == "verified"


def test_ingest_of_a_missing_file_reports_and_records(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        "workstation.gui.window.QMessageBox.warning",
        lambda _parent, title, text: shown.append(f"{title}: {text}"),
    )
    window.create_case(str(tmp_path / "case"), "01AB0000002", "R v Missing", "Jane Smith", "JS")
    wait_idle(qtbot, window)
    window.ingest.add_paths([str(tmp_path / "not-there.txt")])
    window.ingest.start_button.click()
    wait_idle(qtbot, window)
    wait_idle(qtbot, window)
    assert shown and "no such file" in shown[0]
    assert "Stopped" in window.ingest.status.text()
    assert window.case is not None
    actions = [e.action for e in window.case.ledger_entries()]
    assert actions[-2:] == ["operation.failed", "checkpoint"]  # witnessed, as every change


def test_tour_saves_a_png_per_screen(tmp_path: Path, qtbot: QtBot) -> None:
    from chain_of_custody.case import Case
    from chain_of_custody.keys import get_or_create_examiner
    from workstation.ingest import ingest_paths

    signer = get_or_create_examiner("Jane Smith", "JS")
    case = Case.create(tmp_path / "case", urn="01AB0000003", title="R v Tour", signer=signer)
    ingest_paths(case, signer, write_demo_evidence(tmp_path / "evidence"))
    case.close()
    shots = run_tour(tmp_path / "case", tmp_path / "tour")
    assert [p.name for p in shots] == [
        "01-cases.png",
        "02-ingest.png",
        "03-evidence.png",
        "04-people.png",
        "05-timeline.png",
        "06-exhibits.png",
        "07-ledger.png",
        "08-acquire.png",
    ]
    for shot in shots:
        image = QImage(str(shot))
        assert image.width() >= 1000 and image.height() >= 600


def test_tour_of_a_case_with_no_decisions_exits_cleanly(
    alpha_template: Path, tmp_path: Path
) -> None:
    """Issue 16 §1: a tour of case-alpha ingested with no examiner decisions (every alias link
    still suggested, so the People screen walks up to 100 links, each showing its messages)
    used to save every screen and then abort at exit ("Fatal Python error: bool_dealloc",
    status 134): PySide6/shiboken6 6.12.0 drops a reference to True it does not own (about
    two per link shown, measured with sys.getrefcount), so a long session exhausts it. 6.11
    does not; pyproject.toml keeps PySide6 below 6.12. Run in a process of its own, since
    the abort is at interpreter exit."""
    case_dir = tmp_path / "case"
    shutil.copytree(alpha_template, case_dir)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "workstation.entry",
            "gui",
            str(case_dir),
            "--tour",
            str(tmp_path / "tour"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "Fatal Python error" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(list((tmp_path / "tour").glob("*.png"))) == 8

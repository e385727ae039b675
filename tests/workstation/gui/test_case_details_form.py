"""The Exhibits screen's case details form, filled as an officer would: what is recorded is
exactly what was typed (empty fields not recorded), sections without a form survive, and a
validation error is shown on the field it names with nothing recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from exports.details import current_document
from tests.workstation.gui.helpers import actions, idle
from workstation.gui.screens.details_form import ERROR_STYLE
from workstation.gui.window import MainWindow

pytestmark = pytest.mark.gui

EXAMPLE = Path(__file__).parents[3] / "docs" / "case-details.example.toml"


@pytest.fixture(autouse=True)
def _exhibits_screen(window: MainWindow) -> None:
    window.nav.setCurrentRow(5)  # the case-details form lives on the Exhibits screen


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type as the officer would, key by key."""
    qtbot.keyClicks(widget, text)  # type: ignore[no-untyped-call]


def test_fill_the_form_record_it_and_read_it_back(qtbot: QtBot, window: MainWindow) -> None:
    form = window.exhibits.details_form
    type_text(qtbot, form.officer["name"], "DC Jane Smith")
    type_text(qtbot, form.officer["number"], "4471")
    type_text(qtbot, form.suspect, "Daniel MERCER")
    type_text(qtbot, form.victim, "Hannah PRICE")

    form.tabs.setCurrentIndex(1)
    form.offences.add_button.click()
    type_text(qtbot, form.offence_title, "Stalking involving fear of violence")
    type_text(qtbot, form.offence_law, "s.4A Protection from Harassment Act 1997")
    form.offence_points.setPlainText("course of conduct\n\ncausing fear of violence\n")

    form.tabs.setCurrentIndex(2)
    type_text(qtbot, form.strategy["date_from"], "2024-03-01")
    form.strategy["sources"].setText("Victim's phone\nVictim's mailbox")

    form.tabs.setCurrentIndex(3)
    form.order_proposed.setCurrentText("yes")
    form.order_views.setPlainText("Wants no contact by any means")
    form.vps_offered.setCurrentText("yes")
    form.vps_taken.setCurrentText("no")

    form.tabs.setCurrentIndex(4)
    form.risk.add_button.click()
    form.risk_form.setCurrentText("S-DASH")
    type_text(qtbot, form.risk_assessor, "DC Jane Smith")
    type_text(qtbot, form.risk_date, "2024-05-02")
    form.risk_outcome.setCurrentText("high")
    answers = form.risk_answers
    answers.add_button.click()
    answers.set_cell(0, "number", "1")
    answers.set_cell(0, "topic", "victim very frightened")
    answers.set_cell(0, "answer", "yes")
    answers.add_button.click()
    answers.set_cell(1, "number", "6")
    answers.set_cell(1, "topic", "threats of violence")
    answers.set_cell(1, "answer", "not known")

    form.tabs.setCurrentIndex(5)
    form.outstanding.add_button.click()
    form.outstanding.set_cell(0, "description", "Subscriber details for +44 7700 900987")
    form.outstanding.set_cell(0, "target_date", "2024-06-14")

    assert "not yet recorded" in window.exhibits.details_state.text()
    window.exhibits.save_details_button.click()
    idle(qtbot, window)
    assert actions(window)[-2:] == ["details.set", "checkpoint"]  # witnessed
    assert "recorded" in window.exhibits.details_state.text()
    assert window.case is not None
    assert current_document(window.case) == {
        "officer": {"name": "DC Jane Smith", "number": "4471"},
        "suspect": "Daniel MERCER",
        "victim": "Hannah PRICE",
        "offences": [
            {
                "title": "Stalking involving fear of violence",
                "legislation": "s.4A Protection from Harassment Act 1997",
                "points_to_prove": ["course of conduct", "causing fear of violence"],
            }
        ],
        "digital_strategy": {
            "date_from": "2024-03-01",
            "sources": ["Victim's phone", "Victim's mailbox"],
        },
        "restraining_order": {"proposed": "yes", "victim_views": "Wants no contact by any means"},
        "vps": {"offered": "yes", "taken": "no"},
        "risk": [
            {
                "form": "S-DASH",
                "assessor": "DC Jane Smith",
                "date": "2024-05-02",
                "outcome": "high",
                "answers": [
                    {"number": 1, "topic": "victim very frightened", "answer": "yes"},
                    {"number": 6, "topic": "threats of violence", "answer": "not known"},
                ],
            }
        ],
        "outstanding": [
            {"description": "Subscriber details for +44 7700 900987", "target_date": "2024-06-14"}
        ],
    }
    assert not form.dirty


def test_a_loaded_file_keeps_the_sections_without_a_form(qtbot: QtBot, window: MainWindow) -> None:
    screen = window.exhibits
    form = screen.details_form
    screen.load_details_file(EXAMPLE)
    assert form.officer["station"].text() == "Northtown CID"
    assert form.risk_answers.cell(1, "detail") == "messages of 14 and 25 April"
    form.officer["rank"].clear()  # the officer clears a field: it is no longer recorded
    screen.save_details_button.click()
    idle(qtbot, window)
    assert window.case is not None
    recorded = current_document(window.case)
    assert not form.error.text()
    assert "rank" not in recorded["officer"]
    assert recorded["mg6"]["victim_safety"].startswith("Victim has moved")
    assert recorded["mg6"]["platform_requests"][0]["target_date"] == "2024-05-30"
    assert len(recorded["lines_of_enquiry"]) == 2
    form.tabs.setCurrentIndex(form.tabs.count() - 1)  # the JSON view shows it all
    assert '"lines_not_pursued"' in form.json_text.toPlainText()


def test_a_bad_date_is_shown_on_its_field_and_nothing_is_recorded(
    qtbot: QtBot, window: MainWindow
) -> None:
    form = window.exhibits.details_form
    before = len(actions(window))
    form.tabs.setCurrentIndex(4)
    form.risk.add_button.click()
    form.risk_form.setCurrentText("DASH")
    type_text(qtbot, form.risk_date, "02/05/2024")
    form.tabs.setCurrentIndex(0)
    window.exhibits.save_details_button.click()
    idle(qtbot, window)
    assert len(actions(window)) == before  # an input mistake: shown, nothing recorded
    assert form.error.text().startswith("details.risk[0].date: '02/05/2024' is not a date")
    assert form.tabs.currentIndex() == 4  # taken to the field
    assert form.risk_date.styleSheet() == ERROR_STYLE
    assert "Not recorded" in window.exhibits.details_state.text()


def test_a_required_answer_left_empty_names_its_row(qtbot: QtBot, window: MainWindow) -> None:
    form = window.exhibits.details_form
    form.tabs.setCurrentIndex(4)
    form.risk.add_button.click()
    form.risk_form.setCurrentText("S-DASH")
    form.risk_answers.add_button.click()
    form.risk_answers.set_cell(0, "number", "3")
    form.risk_answers.set_cell(0, "topic", "jealous behaviour")  # no answer chosen
    window.exhibits.save_details_button.click()
    idle(qtbot, window)
    assert "details.risk[0].answers[0].answer: required key missing" in form.error.text()
    assert form.risk_answers.table.styleSheet() == ERROR_STYLE
    assert form.risk_answers.table.currentRow() == 0

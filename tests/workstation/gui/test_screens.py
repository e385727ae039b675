"""Drive the People, Timeline, Exhibits and Ledger screens on case-alpha as an investigator
would, and check what they show and what the ledger records."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication, QSplitter
from pytestqt.qtbot import QtBot

from tests.workstation.gui.helpers import actions, idle
from workstation.gui.window import MainWindow

pytestmark = pytest.mark.gui


def test_confirm_a_suggested_link_label_the_group_and_see_its_timeline(
    qtbot: QtBot, window: MainWindow
) -> None:
    people = window.people
    window.nav.setCurrentRow(3)
    people.tabs.setCurrentIndex(1)
    links = people.links
    assert links.model.rowCount() > 0
    assert "suggested links between" in links.summary.text()
    # The analysis' notes are shown before any decision: case-alpha's victim appears under
    # one name-keyed account on two of her devices (see README "Alias grouping").
    assert links.cautions.isVisible() and "To check" in links.cautions.text()
    assert "whatsapp:Hannah Price is the holder under 2 sources" in links.cautions.toolTip()
    for row in range(links.model.rowCount()):  # a link whose accounts sent messages
        links.table.selectRow(row)
        assert links.messages.model is not None
        if links.messages.model.rowCount() > 0:
            break
    assert links.messages.model is not None and links.messages.model.rowCount() > 0
    chosen = links.current()
    assert chosen is not None and chosen.status == "suggested"
    assert "Score" in links.reasons.toPlainText()
    assert chosen.reasons[0].text in links.reasons.toPlainText()

    links.note.setText("same phone number in both exports")
    links.confirm_button.click()
    idle(qtbot, window)
    assert actions(window)[-2:] == ["alias.confirmed", "checkpoint"]  # witnessed
    assert "confirmed" in links.outcome.text()
    assert links.select(chosen.a, chosen.b)
    current = links.current()
    assert current is not None and current.status == "confirmed"

    people.tabs.setCurrentIndex(2)
    groups = people.groups
    group_rows = [groups.model.source(r) for r in range(groups.model.rowCount())]
    mine = next(r for r, g in enumerate(group_rows) if chosen.a in g.accounts)
    groups.table.selectRow(mine)
    groups.label.setText("Suspect A")
    groups.label_button.click()
    idle(qtbot, window)
    assert actions(window)[-2:] == ["alias.labelled", "checkpoint"]  # witnessed
    assert "Suspect A" in groups.outcome.text()

    window.nav.setCurrentRow(4)
    timeline = window.timeline
    labels = [timeline.model.source(r)["label"] for r in range(timeline.model.rowCount())]
    assert "Suspect A" in labels
    timeline.table.selectRow(labels.index("Suspect A"))
    chart = timeline.chart
    assert chart.weeks and "Suspect A" in chart.title
    busiest = max(range(len(chart.weeks)), key=lambda i: chart.weeks[i].messages)
    plot = chart._plot()
    x = int(plot.left() + (busiest + 0.5) * plot.width() / len(chart.weeks))
    centre = QPoint(x, int(plot.center().y()))
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=centre)  # type: ignore[no-untyped-call]
    assert chart.chosen == busiest
    assert timeline.week_title.text().startswith(f"Week of {chart.weeks[busiest].week_start}")
    shown = timeline.messages.model
    assert shown is not None and shown.rowCount() == chart.weeks[busiest].messages


def test_assign_an_exhibit_export_and_verify(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    evidence = window.evidence
    window.nav.setCurrentRow(2)
    evidence.table.selectRow(0)
    item = evidence.selected_item()
    assert item is not None

    window.nav.setCurrentRow(5)
    screen = window.exhibits
    screen.description.setText("the first file handed over")
    screen.assign_buttons["item"].click()
    idle(qtbot, window)
    assert actions(window)[-2:] == ["exhibit.assigned", "checkpoint"]  # witnessed
    assert screen.model.rowCount() == 1
    assert screen.model.data(screen.model.index(0, 0)) == "JS/1"
    assert "JS/1" in screen.assign_state.text()

    screen.out.setText(str(tmp_path / "bundles"))
    screen.export_button.click()
    idle(qtbot, window)
    assert "export.created" in actions(window)
    assert screen.last_report is not None and screen.last_report.ok
    assert "RESULT: PASS" in screen.result.toPlainText()
    assert screen.result.toPlainText().count("PASS") >= len(screen.last_report.checks)


def test_errors_reach_a_dialog_and_shortcuts_are_listed(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        "workstation.gui.window.QMessageBox.warning",
        lambda _parent, title, text: shown.append(f"{title}: {text}"),
    )
    screen = window.exhibits
    screen.details_text.setPlainText('{"no_such_section": {}}')
    screen.save_details()
    idle(qtbot, window)
    assert "Not recorded" in screen.details_state.text()

    window.exhibits.assign_buttons["messages"].click()  # nothing selected
    assert "Nothing selected" in screen.assign_state.text()

    window.show_shortcuts()
    text = window._shortcuts_box.text()
    for key in ("Ctrl+1", "Ctrl+7", "Ctrl+F", "Ctrl+Shift+C", "Ctrl+E", "F5"):
        assert key in text


def test_layout_is_remembered(qtbot: QtBot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(900, 600)  # inside the offscreen screen, so it is not clamped
    first.nav.setCurrentRow(4)
    split = first.findChildren(QSplitter)[0]
    split.setSizes([300, 700])
    sizes, geometry = split.sizes(), (first.width(), first.height())
    first.close()
    second = MainWindow(settings)
    qtbot.addWidget(second)
    second.show()
    assert second.nav.currentRow() == 4
    # The offscreen platform adjusts restored geometry by its frame; compare loosely.
    assert abs(second.width() - geometry[0]) <= 40 and abs(second.height() - geometry[1]) <= 40
    assert second.findChildren(QSplitter)[0].sizes() == sizes
    second.lane.shutdown()


def test_times_show_the_case_zone_and_utc_on_hover(window: MainWindow) -> None:
    model = window.evidence.messages.model
    assert model is not None
    index = model.index(0, 0)
    shown = str(index.data())
    assert shown.endswith(("GMT", "BST"))
    assert str(index.data(Qt.ItemDataRole.ToolTipRole)).startswith("UTC ")
    window.evidence.messages.table.selectRow(0)
    copied = window.evidence.messages.table.copy_selection()
    assert shown in copied and QApplication.clipboard().text() == copied

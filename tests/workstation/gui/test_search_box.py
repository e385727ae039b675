"""Search hits highlighted in the preview (issue 15 §1)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.workstation.gui.helpers import idle
from workstation.gui.screens.preview_html import MARK_BG, marked
from workstation.gui.window import MainWindow

pytestmark = pytest.mark.gui

SPAN = f'<span style="background-color:{MARK_BG}">'


def test_marked_is_case_and_accent_insensitive_and_escapes() -> None:
    assert marked("See you at the GYM <3", "gym") == f"See you at the {SPAN}GYM</span> &lt;3"
    assert marked("Café & cafe", "CAFE") == f"{SPAN}Café</span> &amp; {SPAN}cafe</span>"
    assert marked("a <b> tag", "<b>") == f"a {SPAN}&lt;b&gt;</span> tag"


def test_marked_without_query_only_escapes() -> None:
    assert marked("x < y", None) == "x &lt; y"
    assert marked("x < y", "  ") == "x &lt; y"
    assert marked("gymgym", "gym") == f"{SPAN}gym</span>{SPAN}gym</span>"


def test_search_box_finds_gym_and_highlights_it_in_the_preview(
    window: MainWindow, qtbot: QtBot
) -> None:
    from workstation import search

    assert window.case is not None
    expected = search.search(window.case, "gym")
    view = window.evidence.search
    window.evidence.tabs.setCurrentWidget(view)
    view.box.setText("gym")
    qtbot.keyClick(view.box, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
    idle(qtbot, window)
    assert len(expected) == 1  # the one message with "gym" in truth.json
    assert view.list.count() == len(expected)
    assert view.count.text() == "1 hit for 'gym'"
    assert [h.as_json() for h in view.hits] == [h.as_json() for h in expected]
    first = expected[0]
    assert first.kind == "message"
    view.list.itemActivated.emit(view.list.item(0))
    html = window.evidence.preview.toHtml()
    assert f"Message {first.id}" in window.evidence.preview.toPlainText()
    assert view.list.item(0).text() == (
        f"message {first.id} · text: I'll be waiting by the gym tomorrow. 7am. Don't be late"
    )
    # Qt rewrites the span's style; the marked word is the only text on that background.
    marked_words = re.findall(r'background-color:#ffe066;">([^<]*)<', html.replace(" ", ""))
    assert marked_words == ["gym"]

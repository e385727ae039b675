"""Search hits highlighted in the preview (issue 15 §1)."""

from __future__ import annotations

from workstation.gui.screens.preview_html import MARK_BG, marked

SPAN = f'<span style="background-color:{MARK_BG}">'


def test_marked_is_case_and_accent_insensitive_and_escapes() -> None:
    assert marked("See you at the GYM <3", "gym") == f"See you at the {SPAN}GYM</span> &lt;3"
    assert marked("Café & cafe", "CAFE") == f"{SPAN}Café</span> &amp; {SPAN}cafe</span>"
    assert marked("a <b> tag", "<b>") == f"a {SPAN}&lt;b&gt;</span> tag"


def test_marked_without_query_only_escapes() -> None:
    assert marked("x < y", None) == "x &lt; y"
    assert marked("x < y", "  ") == "x &lt; y"
    assert marked("gymgym", "gym") == f"{SPAN}gym</span>{SPAN}gym</span>"

"""The Evidence screen's preview, driven on case-alpha: a screenshot's EXIF and its
near-duplicate (clicked through), an mbox's e-mails with their headers, a chat message
with its zone, UTC on hover and its flags in words."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from workstation.gui.fmt import local_time
from workstation.gui.schema import T_MESSAGE
from workstation.gui.window import MainWindow

pytestmark = pytest.mark.gui

SCREENSHOT = "Screenshot_20240402-231512_Instagram.jpg"
ITS_COPY = "IMG-20240403-WA0007.jpg"  # Android WhatsApp's copy of the screenshot


def select_by_name(win: MainWindow, name: str) -> None:
    evidence = win.evidence
    evidence.filter.setText(name)
    model = evidence.model
    assert model is not None
    model.finish_scan()
    rows = [r for r in range(model.rowCount()) if model.row(r)[0] == name]
    assert rows, f"{name} not in the items table"
    evidence.table.selectRow(rows[0])


def anchor_point(browser: QTextBrowser, text: str) -> tuple[int, int]:
    """Where on screen the link showing ``text`` is."""
    found = browser.document().find(text)
    assert not found.isNull(), f"no {text!r} in the preview"
    found.setPosition(found.selectionStart() + 2, QTextCursor.MoveMode.MoveAnchor)
    assert found.charFormat().isAnchor()
    browser.ensureCursorVisible()
    browser.setTextCursor(found)
    browser.ensureCursorVisible()
    rect = browser.cursorRect(found)
    return rect.center().x(), rect.center().y()


def test_a_screenshot_shows_its_exif_and_its_near_duplicate_which_is_one_click_away(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.nav.setCurrentRow(2)
    select_by_name(window, SCREENSHOT)
    pane = window.evidence.pane
    shown = pane.text.toPlainText()
    assert "Image metadata (EXIF)" in shown
    assert "samsung SM-S911B" in shown
    assert "2024:04:02 23:15:12" in shown  # as written in the file
    assert "2024-04-02T22:15:12Z" in shown  # the instant, from the recorded +01:00 offset
    assert "yes\n· File name has the Samsung screenshot form" in shown
    assert "Instagram" in shown
    assert "Not in the file:" in shown and "gps" in shown
    assert pane.picture.isVisible() and not pane.picture.pixmap().isNull()
    near = shown.split("Near-duplicates", 1)[1]
    assert ITS_COPY in near and "distance " in near

    x, y = anchor_point(pane.text, ITS_COPY)
    qtbot.mouseClick(  # type: ignore[no-untyped-call]
        pane.text.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y)
    )
    assert window.evidence.filter.text() == ""  # cleared to show the whole table
    chosen = window.evidence.selected_item()
    assert chosen is not None and chosen[1] == ITS_COPY
    assert SCREENSHOT in pane.text.toPlainText().split("Near-duplicates", 1)[1]


def test_the_mailbox_shows_each_email_with_its_received_chain(window: MainWindow) -> None:
    window.nav.setCurrentRow(2)
    select_by_name(window, "hannah.price@example.org - All Mail.mbox")
    shown = window.evidence.pane.text.toPlainText()
    for header in ("From", "To", "Date (as written)", "Date (UTC)", "Message-ID", "Subject"):
        assert header in shown
    assert "Received (2 hops, in header order" in shown
    assert "by mx.example.org" in shown  # the first (newest) hop
    assert "Q1 deck" in shown and "Henderson numbers" in shown  # subject and body


def test_an_email_chosen_in_the_messages_table_shows_its_headers(window: MainWindow) -> None:
    case = window.case
    assert case is not None
    with case.engine.connect() as conn:
        first = conn.execute(
            sa.select(T_MESSAGE.c.id, T_MESSAGE.c.received_chain)
            .where(T_MESSAGE.c.platform == "email")
            .order_by(T_MESSAGE.c.id)
        ).first()
    assert first is not None
    window.evidence.pane.show_message(first.id)
    shown = window.evidence.pane.text.toPlainText()
    hops = json.loads(first.received_chain)
    assert f"Received ({len(hops)} hops" in shown
    assert " ".join(hops[-1].split())[:40] in shown  # the oldest hop, last as in the header


def test_a_chat_message_shows_the_zone_utc_on_hover_and_its_flags(window: MainWindow) -> None:
    case = window.case
    assert case is not None
    with case.engine.connect() as conn:
        m = conn.execute(
            sa.select(T_MESSAGE)
            .where(T_MESSAGE.c.tz_assumed.is_(True), T_MESSAGE.c.sent_at_utc.isnot(None))
            .order_by(T_MESSAGE.c.id)
        ).first()
    assert m is not None
    window.evidence.tabs.setCurrentIndex(1)
    view = window.evidence.messages
    view.filter.setText(m.text[:30])
    assert view.model is not None
    view.model.finish_scan()
    ids = [view.model.row(r)[7] for r in range(view.model.rowCount())]
    view.table.selectRow(ids.index(m.id))
    browser = window.evidence.pane.text
    shown = browser.toPlainText()
    assert f"times in {window.tz}" in shown
    assert f"time zone assumed ({m.tz})" in shown
    assert not browser.document().find(m.text[:20]).isNull()
    # The time beside the sender, in the zone with its name ("22:41:07 GMT"); UTC on hover.
    assert local_time(m.sent_at_utc, window.tz).split(" ", 1)[1] in shown
    tips = set()
    block = browser.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            tip = it.fragment().charFormat().toolTip()
            if tip:
                tips.add(tip)
            it += 1
        block = block.next()
    assert any(t.startswith(f"UTC {m.sent_at_utc}") for t in tips)

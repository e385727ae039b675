"""The Tag action (key T, context menu) and the filter by tag on the Evidence screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from tests.workstation.gui.helpers import idle
from tests.workstation.gui.test_evidence_preview import select_by_name
from workstation import review
from workstation.gui.screens import review_tag
from workstation.gui.window import MainWindow

pytestmark = pytest.mark.gui

CHAT = "WhatsApp Chat with Daniel Mercado.txt"


def test_tag_an_item_by_key_then_filter_by_tag(
    window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = window.evidence
    assert window.case is not None and window.signer is not None
    assert evidence.tag_items in evidence.table.actions()  # the table's context menu
    assert evidence.table.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
    select_by_name(window, CHAT)

    def chosen(dialog: review_tag.TagDialog) -> QDialog.DialogCode:
        dialog.tag.setCurrentText("not-relevant")
        dialog.note.setText("a family chat")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(review_tag.TagDialog, "exec", chosen)
    evidence.table.setFocus()
    qtbot.keyClick(evidence.table, Qt.Key.Key_T)  # type: ignore[no-untyped-call]
    idle(qtbot, window)
    tags = review.current_tags(window.case)
    assert [(t.target.kind, t.tag, t.note, t.examiner) for t in tags] == [
        ("item", "not-relevant", "a family chat", "JS")
    ]

    evidence.filter.clear()
    evidence.item_tag_box.setCurrentText("not-relevant")
    idle(qtbot, window)
    model = evidence.model
    assert model is not None
    model.finish_scan()
    assert [model.row(r)[0] for r in range(model.rowCount())] == [CHAT]
    evidence.message_tag_box.setCurrentText("not-relevant")
    idle(qtbot, window)
    messages = evidence.messages.model
    assert messages is not None
    messages.finish_scan()
    assert messages.rowCount() == 13  # the chat's messages (the MG6C says 13)
    evidence.item_tag_box.setCurrentText("sensitive")
    idle(qtbot, window)
    model.finish_scan()
    assert model.rowCount() == 0

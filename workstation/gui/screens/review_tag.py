"""Review tags on the Evidence screen (issue 15 §2): a Tag action (menu and key T) on the
Items and Messages tables, and a filter by tag. The signing and the reading of the tags run
on the lane, never on the GUI thread; the core is :mod:`workstation.review`, as for the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from chain_of_custody.case import Case
from exports.review_tags import TagView, item_tags, tags_of_conn
from workstation.gui.schema import T_ITEM, T_MESSAGE

KNOWN = ("relevant", "not-relevant", "sensitive", "privileged", "needs-redaction")
ANY = "any tag"
NONE = "(no tag filter)"


class TagDialog(QDialog):
    """Choose a tag (or type a label) and a note."""

    def __init__(self, parent: QWidget | None, what: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Tag {what}")
        form = QFormLayout(self)
        self.tag = QComboBox()
        self.tag.setEditable(True)
        self.tag.addItems(KNOWN)
        self.note = QLineEdit()
        self.note.setPlaceholderText("why (required for not-relevant: the MG6C prints it)")
        form.addRow("Tag", self.tag)
        form.addRow("Note", self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen(self) -> tuple[str, str]:
        return self.tag.currentText().strip(), self.note.text().strip()


def tag_action(parent: QWidget, table: QWidget, run: Callable[[], None]) -> QAction:
    """The Tag… action on a table: its context menu and the key T."""
    action = QAction("Tag…", parent)
    action.setShortcut(QKeySequence("T"))
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(run)
    table.addAction(action)
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    return action


def tag_filter_box() -> QComboBox:
    """The filter by tag: none, any tag, or one tag."""
    box = QComboBox()
    box.addItems([NONE, ANY, *KNOWN])
    box.setToolTip("Show only what carries this review tag")
    return box


def tagged(case: Case) -> list[TagView]:
    """The tags as they stand (on the lane)."""
    with case.engine.connect() as conn:
        return tags_of_conn(conn, case.case_id)


def _wanted(tags: Sequence[TagView], tag: str) -> list[TagView]:
    return [t for t in tags if tag == ANY or t.tag == tag]


def item_condition(case: Case, tag: str) -> sa.ColumnElement[bool]:
    """Items carrying ``tag`` (or any tag), as the schedules resolve them (on the lane)."""
    with case.engine.connect() as conn:
        tags = _wanted(tags_of_conn(conn, case.case_id), tag)
        ids = set(item_tags(conn, case.case_id, tags))
    return T_ITEM.c.id.in_(sorted(ids)) if ids else sa.false()


def message_condition(case: Case, tag: str) -> sa.ColumnElement[bool]:
    """Messages carrying ``tag``: tagged themselves, or in a tagged thread or item (lane)."""
    with case.engine.connect() as conn:
        tags = _wanted(tags_of_conn(conn, case.case_id), tag)
        items = set(item_tags(conn, case.case_id, tags))
    ids = [int(t.target.id) for t in tags if t.target.kind == "message"]
    threads = [t.target.id for t in tags if t.target.kind == "thread"]
    parts = []
    if ids:
        parts.append(T_MESSAGE.c.id.in_(ids))
    if threads:
        parts.append(T_MESSAGE.c.thread_id.in_(threads))
    if items:
        parts.append(T_MESSAGE.c.item_id.in_(sorted(items)))
    return sa.or_(*parts) if parts else sa.false()

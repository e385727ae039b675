"""People: the accounts seen in the evidence and each account's messages, one click away."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workstation.gui.fmt import local_time, utc_tooltip

HEADERS = ["Account", "Platform", "Names seen", "Phone (E.164)", "Email", "Messages"]


class PeopleScreen(QWidget):
    """Accounts table; selecting one shows its messages across every source."""

    def __init__(self) -> None:
        super().__init__()
        self.tz = "Europe/London"
        self.messages_by_sender: dict[str, list[dict[str, Any]]] = {}
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._selected)
        split.addWidget(self.table)
        self.messages = QTextBrowser()
        split.addWidget(self.messages)
        layout.addWidget(split)

    def show_accounts(
        self, accounts: list[dict[str, Any]], messages: dict[str, list[dict[str, Any]]], tz: str
    ) -> None:
        """Fill the table (called with data read on the lane)."""
        self.tz = tz
        self.messages_by_sender = messages
        self.table.setRowCount(len(accounts))
        for row, a in enumerate(accounts):
            values = [
                a["id"],
                a["platform"] or "",
                ", ".join(a["display_names"]),
                a["phone_e164"] or "",
                a["email"] or "",
                str(a["messages"]),
            ]
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.messages.setHtml("<p>Select an account to see its messages.</p>")

    def _selected(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if not rows:
            return
        cell = self.table.item(min(rows), 0)
        if cell is None:
            return
        key = cell.text()
        e = html.escape
        out = [f"<h3>{e(key)}</h3>"]
        for m in self.messages_by_sender.get(key, []):
            when = local_time(m["sent_at_utc"], self.tz) or e(m["sent_at_raw"])
            flags = f' <font color="#a15c00">[{", ".join(m["flags"])}]</font>' if m["flags"] else ""
            out.append(
                f'<p><font color="#666" title="{utc_tooltip(m["sent_at_utc"])}">{when}'
                f"</font> · {e(m['platform'])} · {e(m['thread_title'] or '')}{flags}<br>"
                f"{e(m['text']) or '<i>' + e(m['kind']) + '</i>'}</p>"
            )
        self.messages.setHtml("".join(out))

"""The Search tab of the Evidence screen (issue 15 §1): one box over the case.

Enter runs :func:`workstation.search.search` (what ``ews search`` runs) on the lane; the
hits are listed with their kind, field and snippet and counted. Activating a message hit
shows the message in the preview with the query's words highlighted; an item hit selects
the item.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from workstation.gui.session import Session
    from workstation.search import Hit


def hit_line(hit: Hit) -> str:
    """A hit as the list shows it: kind, id, field and snippet on one line."""
    snippet = " ".join(hit.snippet.split())
    return f"{hit.kind} {hit.id} · {hit.field}: {snippet}"


class SearchView(QWidget):
    """A search box, the number of hits and the hits."""

    message_chosen = Signal(int, str)  # message id, query
    item_chosen = Signal(str)  # item id

    def __init__(self) -> None:
        super().__init__()
        self.session_source: Callable[[], Session | None] = lambda: None
        self.hits: list[Hit] = []
        self.query = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.box = QLineEdit()
        self.box.setPlaceholderText(
            "Search the case: message text, e-mail subjects, file names, accounts (Enter)"
        )
        self.box.setClearButtonEnabled(True)
        self.box.returnPressed.connect(self.run)
        layout.addWidget(self.box)
        self.count = QLabel("")
        layout.addWidget(self.count)
        self.list = QListWidget()
        self.list.itemActivated.connect(self._activated)
        layout.addWidget(self.list, 1)

    def run(self) -> None:
        """Run the box's query on the lane and list the hits."""
        session = self.session_source()
        query = self.box.text()
        if session is None or not query.strip():
            return
        case = session.case
        self.count.setText("Searching…")

        def work() -> list[Hit]:
            from workstation import search

            return search.search(case, query)

        def done(hits: list[Hit]) -> None:
            self.show_hits(query, hits)

        def failed(exc: BaseException, _trace: str) -> None:
            self.count.setText(f"Search failed: {exc}")

        session.run("Search", work, on_done=done, on_error=failed)

    def show_hits(self, query: str, hits: list[Hit]) -> None:
        self.query, self.hits = query, hits
        self.list.clear()
        for i, hit in enumerate(hits):
            row = QListWidgetItem(hit_line(hit))
            row.setData(Qt.ItemDataRole.UserRole, i)
            self.list.addItem(row)
        self.count.setText(f"{len(hits)} {'hit' if len(hits) == 1 else 'hits'} for {query!r}")

    def _activated(self, row: QListWidgetItem) -> None:
        data: Any = row.data(Qt.ItemDataRole.UserRole)
        hit = self.hits[int(data)]
        if hit.kind == "message":
            self.message_chosen.emit(int(hit.id), self.query)
        elif hit.kind == "item":
            self.item_chosen.emit(str(hit.id))

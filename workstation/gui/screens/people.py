"""People and aliases: the accounts seen in the evidence, each account's messages one click
away (read from the database when chosen, never all held in memory), suggested alias
links and alias groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from chain_of_custody.case import Case

if TYPE_CHECKING:
    from workstation.aliases import AliasReport
from workstation.gui.screens.aliases import GroupsPane, LinksPane
from workstation.gui.screens.messages import M, MessagesView
from workstation.gui.session import Session
from workstation.gui.views import ReadOnlyTable, RecordsModel

HEADERS = ["Account", "Platform", "Names seen", "Phone (E.164)", "Email", "Messages"]


def account_cells(a: dict[str, Any]) -> list[str]:
    """The table cells of one account as ``queries.iter_accounts`` gives it."""
    return [
        a["id"],
        a["platform"] or "",
        ", ".join(a["display_names"]),
        a["phone_e164"] or "",
        a["email"] or "",
        f"{a['messages']:,}",
    ]


class AccountsPane(QWidget):
    """The accounts table over the messages of the chosen account."""

    def __init__(self) -> None:
        super().__init__()
        self.case: Case | None = None
        self.tz = "Europe/London"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RecordsModel(HEADERS)
        self.table = ReadOnlyTable(multi=False)
        self.table.setModel(self.model)
        self.table.set_widths((230, 80, 260, 130, 200, 80))
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        split.addWidget(self.table)
        below = QWidget()
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Select an account to see its messages.")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        below_layout.addWidget(self.title)
        self.messages = MessagesView("Filter this account's messages")
        below_layout.addWidget(self.messages, 1)
        split.addWidget(below)
        split.setSizes([300, 420])
        layout.addWidget(split)

    def show_accounts(self, case: Case, accounts: list[dict[str, Any]], tz: str) -> None:
        """Fill the table (with accounts read on the lane)."""
        self.case, self.tz = case, tz
        self.model.set_rows(
            [(account_cells(a), ", ".join(a["display_names"]), a) for a in accounts]
        )

    def select_account(self, key: str) -> bool:
        """Select an account by key; False if it is not in the table."""
        for row in range(self.model.rowCount()):
            if self.model.source(row)["id"] == key:
                self.table.selectRow(row)
                return True
        return False

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        account = self.model.source(current.row())
        if account is None or self.case is None:
            return
        self.title.setText(f"Messages sent by {account['id']} ({account['messages']:,})")
        self.messages.show_messages(self.case, self.tz, M.sender_key == account["id"])


class PeopleScreen(QWidget):
    """Accounts, suggested alias links and alias groups, in tabs."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.accounts = AccountsPane()
        self.links = LinksPane()
        self.groups = GroupsPane()
        self.tabs.addTab(self.accounts, "Accounts")
        self.tabs.addTab(self.links, "Suggested links")
        self.tabs.addTab(self.groups, "Groups")
        layout.addWidget(self.tabs)

    def load(self, session: Session) -> None:
        """Read the accounts and the alias analysis on the lane, then show them."""
        case = session.case

        def work() -> tuple[list[dict[str, Any]], AliasReport]:
            from workstation import aliases, queries  # loaded on first use

            return list(queries.iter_accounts(case)), aliases.analyse(case)

        def done(result: tuple[list[dict[str, Any]], AliasReport]) -> None:
            accounts, report = result
            self.accounts.show_accounts(case, accounts, session.tz)
            self.links.show_report(session, report)
            self.groups.show_groups(session, report.groups)

        session.run("Load accounts and aliases", work, on_done=done)

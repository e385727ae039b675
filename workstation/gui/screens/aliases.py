"""Suggested alias links with their reasons and scores, confirm / reject / undo with a note,
and the groups confirmed links form, with their labels (workstation.aliases)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # the alias analysis (and the extractors it reads) loads on first use
    from workstation import aliases
    from workstation.aliases import AliasReport, Group, Suggestion
from workstation.gui.screens.messages import M, MessagesView
from workstation.gui.session import Session
from workstation.gui.views import ReadOnlyTable, RecordsModel

LINK_HEADERS = ["Account A", "Account B", "Score", "Strength", "Status", "Reasons"]


def _aliases() -> Any:
    from workstation import aliases

    return aliases


GROUP_HEADERS = ["Group", "Label", "Accounts"]
#: Notes of the analysis shown above the links (all of them in the tooltip).
CAUTIONS_SHOWN = 3
STATUS_COLOURS = {"confirmed": "#1b7f3b", "rejected": "#b00020", "suggested": "#555"}


def _link_cells(s: Suggestion) -> list[str]:
    return [
        s.a,
        s.b,
        f"{s.score:.2f}",
        s.strength,
        s.status,
        "; ".join(r.text for r in s.reasons),
    ]


def _link_html(s: Suggestion) -> str:
    e = html.escape
    colour = STATUS_COLOURS.get(s.status, "#555")
    out = [
        f"<h3>{e(s.a)}<br>{e(s.b)}</h3>",
        f"<p>Score <b>{s.score:.2f}</b> ({e(s.strength)}) · "
        f'<font color="{colour}"><b>{e(s.status)}</b></font>',
    ]
    if s.decided_by:
        out.append(f" by {e(s.decided_by)} at {e(s.decided_at or '')}")
    if s.note:
        out.append(f"<br>Note: {e(s.note)}")
    out.append("</p><table cellspacing=4><tr><th align=left>Signal</th><th>Weight</th>")
    out.append("<th align=left>Reason</th></tr>")
    for r in s.reasons:
        out.append(
            f"<tr><td>{e(r.signal)}</td><td align=right>{r.weight:.2f}</td>"
            f"<td>{e(r.text)}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


class LinksPane(QWidget):
    """The suggestions table, the chosen link's reasons, the decision buttons, and the
    messages sent by either account."""

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.report: AliasReport | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel("")
        layout.addWidget(self.summary)
        # What the analysis asks the examiner to check (one key that may join two people,
        # a capped block): the same notes as `ews aliases --json`, shown before any decision.
        self.cautions = QLabel("")
        self.cautions.setWordWrap(True)
        self.cautions.setTextFormat(Qt.TextFormat.RichText)
        self.cautions.setStyleSheet("color: #8a4b00;")
        self.cautions.hide()
        layout.addWidget(self.cautions)
        top = QSplitter(Qt.Orientation.Horizontal)
        self.model = RecordsModel(LINK_HEADERS)
        self.table = ReadOnlyTable(multi=False)
        self.table.setModel(self.model)
        self.table.set_widths((215, 215, 50, 65, 80, 400))
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        top.addWidget(self.table)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.reasons = QTextBrowser()
        side_layout.addWidget(self.reasons, 1)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note for the record (why you decided)")
        side_layout.addWidget(self.note)
        buttons = QHBoxLayout()
        self.confirm_button = QPushButton("Confirm link")
        self.confirm_button.setShortcut("Ctrl+Shift+C")
        self.confirm_button.setToolTip("Ctrl+Shift+C")
        self.reject_button = QPushButton("Reject link")
        self.reject_button.setShortcut("Ctrl+Shift+R")
        self.reject_button.setToolTip("Ctrl+Shift+R")
        self.undo_button = QPushButton("Undo decision")
        for button, decision in (
            (self.confirm_button, "confirm"),
            (self.reject_button, "reject"),
            (self.undo_button, "undo"),
        ):
            button.clicked.connect(lambda _=False, d=decision: self.decide(d))
            buttons.addWidget(button)
        side_layout.addLayout(buttons)
        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        side_layout.addWidget(self.outcome)
        top.addWidget(side)
        top.setSizes([820, 440])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        self.messages = MessagesView("Filter the messages of both accounts")
        split.addWidget(self.messages)
        split.setSizes([380, 300])
        layout.addWidget(split, 1)
        self.reasons.setHtml("<p>Select a suggested link to see why it was suggested.</p>")

    def show_report(self, session: Session, report: AliasReport) -> None:
        self.session, self.report = session, report
        current = self.current()
        self.model.set_rows(
            [(_link_cells(s), "\n".join(r.text for r in s.reasons), s) for s in report.suggestions]
        )
        confirmed = sum(s.status == "confirmed" for s in report.suggestions)
        rejected = sum(s.status == "rejected" for s in report.suggestions)
        self.summary.setText(
            f"{len(report.suggestions):,} suggested links between {report.accounts:,} accounts"
            f" · {confirmed} confirmed · {rejected} rejected · {len(report.groups)} groups"
            + (" · list capped" if report.capped else "")
        )
        self._show_cautions(report.notes)
        if current is not None:
            self.select(current.a, current.b)

    def _show_cautions(self, notes: list[str]) -> None:
        shown = notes[:CAUTIONS_SHOWN]
        more = len(notes) - len(shown)
        items = "".join(f"<li>{html.escape(n)}</li>" for n in shown)
        tail = f"<p>… and {more} more (all in the tooltip)</p>" if more else ""
        self.cautions.setText(f"<b>To check:</b><ul style='margin: 0'>{items}</ul>{tail}")
        self.cautions.setToolTip("\n\n".join(notes))
        self.cautions.setVisible(bool(notes))

    def current(self) -> Suggestion | None:
        index = self.table.selectionModel().currentIndex()
        found: Suggestion | None = self.model.source(index.row()) if index.isValid() else None
        return found

    def select(self, a: str, b: str) -> bool:
        """Select the link a–b; False if it is not suggested."""
        for row in range(self.model.rowCount()):
            s = self.model.source(row)
            if {s.a, s.b} == {a, b}:
                self.table.selectRow(row)
                return True
        return False

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        s = self.model.source(current.row())
        if s is None or self.session is None:
            return
        self.reasons.setHtml(_link_html(s))
        self.note.setText("")
        self.confirm_button.setEnabled(s.status != "confirmed")
        self.reject_button.setEnabled(s.status != "rejected")
        self.undo_button.setEnabled(s.status != "suggested")
        self.messages.show_messages(
            self.session.case, self.session.tz, M.sender_key.in_([s.a, s.b])
        )

    def decide(self, decision: aliases.Decision) -> None:
        """Record the examiner's decision on the selected link (an ``alias.*`` entry)."""
        s, session = self.current(), self.session
        if s is None or session is None:
            return
        if session.signer is None:
            self.outcome.setText("Unlock an examiner key to decide (open the case again).")
            return
        signer, note, report = session.signer, self.note.text().strip(), self.report

        def done(result: Suggestion) -> None:
            self.outcome.setText(f"Recorded: {result.a} – {result.b} {result.status}.")
            session.changed()

        self.outcome.setText("Recording…")
        session.run(
            "Alias decision",
            lambda: _aliases().decide(
                session.case, signer, s.a, s.b, decision, note, report=report
            ),
            on_done=done,
        )


class GroupsPane(QWidget):
    """Alias groups with their labels; a group's messages below."""

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.model = RecordsModel(GROUP_HEADERS)
        self.table = ReadOnlyTable(multi=False)
        self.table.setModel(self.model)
        self.table.set_widths((70, 180, 800))
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        row = QHBoxLayout()
        self.label = QLineEdit()
        self.label.setPlaceholderText('Label for the selected group, e.g. "Suspect A"')
        self.label.returnPressed.connect(self.set_label)
        self.label_button = QPushButton("Set label")
        self.label_button.clicked.connect(self.set_label)
        row.addWidget(self.label, 1)
        row.addWidget(self.label_button)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(row)
        self.outcome = QLabel("Confirmed links form groups.")
        top_layout.addWidget(self.outcome)
        split.addWidget(top)
        self.messages = MessagesView("Filter the group's messages")
        split.addWidget(self.messages)
        split.setSizes([260, 420])
        layout.addWidget(split)

    def show_groups(self, session: Session, groups: list[Group]) -> None:
        self.session = session
        self.model.set_rows(
            [
                ([g.id, g.label or "", ", ".join(g.accounts)], "\n".join(g.accounts), g)
                for g in groups
            ]
        )

    def current(self) -> Group | None:
        index = self.table.selectionModel().currentIndex()
        found: Group | None = self.model.source(index.row()) if index.isValid() else None
        return found

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        g = self.model.source(current.row())
        if g is None or self.session is None:
            return
        self.label.setText(g.label or "")
        where: sa.ColumnElement[bool] = M.sender_key.in_(g.accounts)
        self.messages.show_messages(self.session.case, self.session.tz, where)

    def set_label(self) -> None:
        """Record the label of the selected group (an ``alias.labelled`` entry)."""
        g, session, text = self.current(), self.session, self.label.text().strip()
        if g is None or session is None or not text:
            return
        if session.signer is None:
            self.outcome.setText("Unlock an examiner key to label groups.")
            return
        signer = session.signer

        def done(group: Group) -> None:
            self.outcome.setText(f"Group {group.id} is now labelled “{group.label}”.")
            session.changed()

        session.run(
            "Label group", lambda: _aliases().label(session.case, signer, g.id, text), on_done=done
        )

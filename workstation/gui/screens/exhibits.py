"""Exhibits and export: assign exhibit references from what is selected on the Evidence
screen, record the case details of the bundle, export a pre-charge or full file with
progress, then verify the bundle and show each check (exports.*, workstation.export)."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workstation.gui.fmt import local_time
from workstation.gui.schema import T_MESSAGE
from workstation.gui.screens.details_form import DetailsForm, FormError
from workstation.gui.screens.ingest import ProgressBridge

if TYPE_CHECKING:  # the bundle code is imported when first used, not at start-up
    from exports import verify_bundle
    from exports.exhibits import Exhibit
    from workstation.export import ExportSummary
from workstation.gui.session import Session
from workstation.gui.views import ReadOnlyTable, RecordsModel

HEADERS = ["Ref", "Kind", "Description", "Reason", "Assigned", "Natives"]
Selection = tuple[str, list[str], str]  # kind, values, what it is for humans


def thread_ids_of(session: Session, message_ids: list[int]) -> list[str]:
    """The threads the given messages belong to."""
    with session.case.engine.connect() as conn:
        return [
            str(r[0])
            for r in conn.execute(
                sa.select(T_MESSAGE.c.thread_id)
                .where(T_MESSAGE.c.case_id == session.case.case_id, T_MESSAGE.c.id.in_(message_ids))
                .distinct()
            )
        ]


def checks_html(report: verify_bundle.Report) -> str:
    """Each numbered check of a bundle verification, passed or with its problems."""
    e = html.escape
    colour = "#1b7f3b" if report.ok else "#b00020"
    out = [f'<h3><font color="{colour}">{e(report.summary())}</font></h3><table cellspacing=3>']
    for c in report.checks:
        mark = '<font color="#1b7f3b">PASS</font>' if c.ok else '<font color="#b00020">FAIL</font>'
        detail = (
            e(c.passed)
            if c.ok
            else "<br>".join(f"{e(p.subject)}: {e(p.message)}" for p in c.problems[:50])
        )
        out.append(
            f"<tr><td valign=top><b>{mark}</b></td><td valign=top>{c.number}.</td>"
            f"<td valign=top><b>{e(c.title)}</b><br>{detail}</td></tr>"
        )
    return "".join(out) + "</table>"


class ExhibitsScreen(QWidget):
    """``selection`` gives what the Evidence screen has selected, for exhibit assignment."""

    def __init__(self, selection: Callable[[str], Selection | None]) -> None:
        super().__init__()
        self.session: Session | None = None
        self._selection = selection
        self.bridge = ProgressBridge()
        self.bridge.progressed.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self.last_bundle: Path | None = None
        self.last_report: verify_bundle.Report | None = None
        layout = QHBoxLayout(self)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self._exhibits_box())
        left.addWidget(self._details_box())
        left.setSizes([280, 480])
        layout.addWidget(left, 3)
        layout.addWidget(self._export_box(), 2)

    # --- layout --------------------------------------------------------------------------

    def _exhibits_box(self) -> QGroupBox:
        box = QGroupBox("Exhibits")
        v = QVBoxLayout(box)
        self.model = RecordsModel(HEADERS)
        self.table = ReadOnlyTable(multi=False)
        self.table.setModel(self.model)
        self.table.set_widths((50, 60, 240, 150, 175, 60))
        v.addWidget(self.table, 1)
        form = QFormLayout()
        self.description = QLineEdit()
        self.description.setPlaceholderText("what the exhibit is, e.g. WhatsApp chat with Dan")
        form.addRow("Description", self.description)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why it is produced (optional)")
        form.addRow("Reason", self.reason)
        v.addLayout(form)
        row = QHBoxLayout()
        self.assign_buttons: dict[str, QPushButton] = {}
        for kind, text in (
            ("item", "Assign: item selected in Evidence"),
            ("thread", "Assign: thread of the selected message"),
            ("messages", "Assign: selected messages"),
        ):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, k=kind: self.assign(k))
            self.assign_buttons[kind] = button
            row.addWidget(button)
        v.addLayout(row)
        self.assign_state = QLabel("Select an item or messages on the Evidence screen (Ctrl+3).")
        self.assign_state.setWordWrap(True)
        v.addWidget(self.assign_state)
        return box

    def _details_box(self) -> QGroupBox:
        box = QGroupBox("Case details for the bundle (empty means not recorded)")
        v = QVBoxLayout(box)
        self.details_state = QLabel("")
        self.details_form = DetailsForm()
        self.details_form.edited.connect(
            lambda: self.details_state.setText("Changed; not yet recorded.")
        )
        self.details_text = self.details_form.json_text
        v.addWidget(self.details_form, 1)
        row = QHBoxLayout()
        load = QPushButton("Load file…")
        load.setToolTip("Fill the form from a TOML or JSON details file (then Record details)")
        load.clicked.connect(self._choose_details_file)
        self.save_details_button = QPushButton("Record details")
        self.save_details_button.clicked.connect(self.save_details)
        row.addWidget(load)
        row.addWidget(self.save_details_button)
        self.details_state.setWordWrap(True)
        row.addWidget(self.details_state, 1)
        v.addLayout(row)
        return box

    def _export_box(self) -> QGroupBox:
        box = QGroupBox("Export and verify")
        v = QVBoxLayout(box)
        form = QFormLayout()
        self.file_type = QComboBox()
        self.file_type.addItems(["pre-charge", "full"])
        form.addRow("File", self.file_type)
        out_row = QHBoxLayout()
        self.out = QLineEdit()
        self.out.setPlaceholderText("folder for the bundle (gets BUNDLE_ID.zip and a folder)")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_out)
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        form.addRow("Out", out_row)
        v.addLayout(form)
        row = QHBoxLayout()
        self.export_button = QPushButton("Export and verify")
        self.export_button.setShortcut("Ctrl+E")
        self.export_button.setToolTip("Ctrl+E")
        self.export_button.clicked.connect(self.export)
        self.verify_button = QPushButton("Verify a bundle…")
        self.verify_button.clicked.connect(self._choose_bundle)
        row.addWidget(self.export_button)
        row.addWidget(self.verify_button)
        v.addLayout(row)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        v.addWidget(self.bar)
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.state)
        self.result = QTextBrowser()
        v.addWidget(self.result, 1)
        return box

    # --- loading ---------------------------------------------------------------------------

    def load(self, session: Session) -> None:
        """Read the exhibits and the case details on the lane."""
        self.session = session
        case = session.case

        def done(result: tuple[list[Exhibit], dict[str, Any]]) -> None:
            found, document = result
            tz = session.tz
            self.model.set_rows(
                [
                    (
                        [
                            *(x.ref, x.kind, x.description, x.reason),
                            *(local_time(x.assigned_at, tz), str(len(x.items))),
                        ],
                        "\n".join(x.items),
                        x,
                    )
                    for x in found
                ]
            )
            if not self.details_form.dirty:
                self.details_form.set_document(document)

        def work() -> tuple[list[Exhibit], dict[str, Any]]:
            from exports import details, exhibits

            return exhibits.list_exhibits(case), details.current_document(case)

        session.run("Load exhibits", work, on_done=done)
        if not self.out.text():
            self.out.setText(str(case.folder.parent / f"{case.folder.name}.bundles"))

    # --- actions ---------------------------------------------------------------------------

    def _signed(self) -> tuple[Session, Any] | None:
        session = self.session
        if session is None:
            return None
        if session.signer is None:
            self.state.setText("Unlock an examiner key first (open the case again).")
            return None
        return session, session.signer

    def assign(self, kind: str) -> None:
        """Give the next exhibit reference to what is selected on the Evidence screen."""
        signed = self._signed()
        chosen = self._selection(kind)
        if signed is None:
            return
        if chosen is None:
            self.assign_state.setText(f"Nothing selected on the Evidence screen for a {kind}.")
            return
        session, signer = signed
        kind, values, what = chosen
        description, reason = self.description.text().strip(), self.reason.text().strip()

        def work() -> Exhibit:
            from exports import exhibits

            wanted = values
            if kind == "thread":
                wanted = thread_ids_of(session, [int(v) for v in values])
            as_kind: Any = kind  # one of exhibits.KINDS: the buttons give no other
            return exhibits.assign_exhibit(
                session.case, signer, as_kind, wanted, description, reason
            )

        def done(x: Exhibit) -> None:
            self.assign_state.setText(f"Exhibit {x.ref} assigned to {what}.")
            self.description.clear()
            self.reason.clear()
            session.changed()

        def failed(exc: BaseException, _trace: str) -> None:
            self.assign_state.setText(f"Not assigned: {exc}")
            session.lane.error.emit("Assign exhibit", str(exc))

        session.run("Assign exhibit", work, on_done=done, on_error=failed)

    def _choose_details_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Case details", "", "Case details (*.toml *.json)"
        )
        if chosen:
            self.load_details_file(Path(chosen))

    def load_details_file(self, path: Path) -> None:
        """Fill the form from a TOML or JSON details file (not yet recorded)."""
        from exports import details

        try:
            document = details.load_details_file(path)
        except details.DetailsError as exc:
            self.details_state.setText(str(exc))
            return
        self.details_form.set_document(document)
        self.details_form.dirty = True
        self.details_state.setText(f"Loaded {path.name}; check it, then Record details.")

    def save_details(self) -> None:
        """Record the form's document (a ``details.set`` entry); a validation error is shown
        under the form, on the field it names."""
        signed = self._signed()
        if signed is None:
            return
        session, signer = signed
        form = self.details_form
        form.clear_error()
        try:
            document = form.document()
        except FormError as exc:
            form.show_error(str(exc))
            self.details_state.setText("Not recorded: see the message above.")
            return

        def work() -> dict[str, Any]:
            from exports import details

            details.set_details(session.case, signer, document)
            return details.current_document(session.case)

        def done(recorded: dict[str, Any]) -> None:
            form.set_document(recorded)
            self.details_state.setText(f"Case details recorded ({len(recorded)} sections).")
            session.changed()

        def failed(exc: BaseException, _trace: str) -> None:
            form.show_error(str(exc))
            self.details_state.setText("Not recorded: see the message above.")

        session.run("Record details", work, on_done=done, on_error=failed)

    def _choose_out(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for the bundle")
        if chosen:
            self.out.setText(chosen)

    def _choose_bundle(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Bundle to verify", "", "Bundle (*.zip)")
        if chosen:
            self.verify(Path(chosen))

    def export(self) -> None:
        """Export the chosen file with progress, then verify the bundle it wrote."""
        signed = self._signed()
        if signed is None:
            return
        session, signer = signed
        file_type, out = self.file_type.currentText(), Path(self.out.text().strip() or ".")
        self.export_button.setEnabled(False)
        self.bar.setValue(0)
        self.result.clear()
        self.state.setText(f"Exporting the {file_type} file…")

        def work() -> ExportSummary:
            from workstation import export

            return export.export_case(
                session.case,
                signer,
                file_type=file_type,
                out=out,
                progress=lambda stage, done, total: self.bridge.progressed.emit(
                    (stage, done, total)
                ),
            )

        def done(summary: ExportSummary) -> None:
            self.export_button.setEnabled(True)
            self.state.setText(
                f"Exported {summary.files} files, {summary.exhibits} exhibits: "
                f"{summary.zip_path} (bundle {summary.bundle_id}). Verifying…"
            )
            session.changed()
            self.verify(summary.zip_path)

        def failed(exc: BaseException, _trace: str) -> None:
            self.export_button.setEnabled(True)
            self.state.setText(f"Export failed: {exc}")
            session.lane.error.emit("Export", str(exc))

        session.run("Export", work, on_done=done, on_error=failed)

    def _progress(self, p: tuple[str, int, int]) -> None:
        stage, done, total = p
        if total:
            self.bar.setValue(int(1000 * min(done / total, 1.0)))
        self.state.setText(f"Exporting: {stage} {done:,} of {total:,}")

    def verify(self, bundle: Path) -> None:
        """Verify a bundle (the standalone verifier's checks) and show each result."""
        session = self.session
        if session is None:
            return
        self.last_bundle = bundle

        def done(report: verify_bundle.Report) -> None:
            self.last_report = report
            self.bar.setValue(1000)
            self.result.setHtml(checks_html(report))
            self.state.setText(f"Verified {bundle}: " + ("PASS" if report.ok else "FAIL"))

        def work() -> verify_bundle.Report:
            from chain_of_custody.trust import trusted_fingerprints
            from exports import verify_bundle

            # The recipient's trust here is this examiner's: own, trusted and unit keys.
            trusted = {fp: f"trusted here ({k.source})" for fp, k in trusted_fingerprints().items()}
            return verify_bundle.verify(str(bundle), trusted=trusted)

        session.run("Verify bundle", work, on_done=done)


__all__ = ["ExhibitsScreen"]

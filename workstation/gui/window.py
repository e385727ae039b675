"""The main window: navigation, screens, status bar, and the actions that call the core."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from chain_of_custody import keys, witness
from chain_of_custody.case import Case
from chain_of_custody.errors import ExaminerKeyError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from chain_of_custody.verify import VerifyReport, record_verification, verify_case
from workstation.gui.chrome import (
    Shortcut,
    install_shortcuts,
    restore_layout,
    save_layout,
    show_shortcuts,
)
from workstation.gui.lane import Job, Lane
from workstation.gui.screens.acquire import AcquireScreen
from workstation.gui.screens.cases import CasesScreen
from workstation.gui.screens.evidence import EvidenceScreen
from workstation.gui.screens.exhibits import ExhibitsScreen
from workstation.gui.screens.ingest import IngestScreen
from workstation.gui.screens.ledger import LedgerScreen, VerifyRow, verify_rows
from workstation.gui.screens.people import PeopleScreen
from workstation.gui.screens.timeline import TimelineScreen
from workstation.gui.session import Session

if TYPE_CHECKING:  # the ingest pipeline (and every extractor) is imported on first use
    from workstation.ingest import IngestSummary

SCREENS = ["Cases", "Ingest", "Evidence", "People", "Timeline", "Exhibits", "Ledger", "Acquire"]
BADGE = "padding: 2px 8px; border-radius: 4px; color: white; background: {};"


class MainWindow(QMainWindow):
    """The workstation window. ``lane`` runs all case work off the GUI thread."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings("evidence-workstation", "workstation")
        self.lane = Lane()
        self.lane.error.connect(self._report_error)
        self.case: Case | None = None
        self.signer: Signer | None = None
        self.tz = "Europe/London"
        self.verified_size: int | None = None
        self.dialogs = True  # False in a tour: nobody is there to close a dialog
        self.setWindowTitle("Evidence workstation")

        self.nav = QListWidget()
        self.nav.addItems(SCREENS)
        self.nav.setFixedWidth(150)
        self.nav.setStyleSheet(
            "QListWidget { font-size: 14px; border: none; background: #f3f4f6; }"
            "QListWidget::item { padding: 10px 12px; }"
            "QListWidget::item:selected { background: #1f4e79; color: white; }"
        )
        self.stack = QStackedWidget()
        self.cases = CasesScreen(self.settings)
        self.ingest = IngestScreen()
        self.evidence = EvidenceScreen()
        self.evidence.session_source = self.session
        self.people = PeopleScreen()
        self.timeline = TimelineScreen()
        self.exhibits = ExhibitsScreen(self._evidence_selection)
        self.ledger = LedgerScreen()
        self.acquire = AcquireScreen(self.lane, lambda: (self.case, self.signer))
        self.acquire.changed.connect(self.refresh)
        for screen in (
            self.cases,
            self.ingest,
            self.evidence,
            self.people,
            self.timeline,
            self.exhibits,
            self.ledger,
            self.acquire,
        ):
            self.stack.addWidget(screen)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.case_label = QLabel("No case open")
        self.badge = QLabel("not verified")
        self.busy = QLabel("")
        self.statusBar().addWidget(self.case_label, 1)
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(self.badge)
        self._set_badge(False, "no case")
        self.lane.busy_changed.connect(lambda on: self.busy.setText("working…" if on else ""))

        self.cases.create_requested.connect(self.create_case)
        self.cases.open_requested.connect(self.open_case)
        self.ingest.start_requested.connect(self.start_ingest)
        self.ledger.verify_requested.connect(self.verify)
        self.shortcut_actions = install_shortcuts(self, self._shortcuts())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("Keyboard &shortcuts", self.show_shortcuts, QKeySequence("F1"))
        self.nav.setCurrentRow(restore_layout(self, self.settings))

    # --- chrome ----------------------------------------------------------------------

    def _shortcuts(self) -> list[Shortcut]:
        def go(row: int) -> Callable[[], None]:
            return lambda: self.nav.setCurrentRow(row)

        screens: list[Shortcut] = [
            (f"Show {name}", f"Ctrl+{n + 1}", go(n)) for n, name in enumerate(SCREENS)
        ]
        return [
            *screens,
            ("Filter the table on show (Evidence)", "Ctrl+F", self._focus_filter),
            ("Open a case folder", "Ctrl+O", self.cases.choose_existing),
            ("Refresh every screen", "F5", self.refresh),
        ]

    def show_shortcuts(self) -> None:
        """Help > Shortcuts: every key, the window's and the screens'."""
        self._shortcuts_box = show_shortcuts(self, self.shortcut_actions)

    def _focus_filter(self) -> None:
        self.nav.setCurrentRow(2)
        self.evidence.focus_filter()

    def _evidence_selection(self, kind: str) -> tuple[str, list[str], str] | None:
        """What the Evidence screen has selected, as an exhibit of ``kind`` would take it."""
        if kind == "item":
            item = self.evidence.selected_item()
            return None if item is None else ("item", [item[0]], f"item {item[1]}")
        ids = self.evidence.messages.selected_ids()
        if not ids:
            return None
        if kind == "thread":  # message ids here; the job looks up their threads
            return "thread", [str(i) for i in ids], f"the thread of message {ids[0]}"
        return "messages", [str(i) for i in ids], f"{len(ids)} selected messages"

    def _set_badge(self, ok: bool, text: str) -> None:
        self.badge.setText(text)
        self.badge.setStyleSheet(BADGE.format("#1b7f3b" if ok else "#8a8f98"))

    def closeEvent(self, event: QCloseEvent) -> None:
        save_layout(self, self.settings, self.nav.currentRow())
        self.lane.shutdown()
        if self.case is not None:
            self.case.close()
        super().closeEvent(event)

    def _report_error(self, operation: str, message: str) -> None:
        """Errors reach a dialog (stderr in a tour, which nobody watches) and, when a case is
        open, the ledger. Failing to record one is shown, never reported again in a loop."""
        self.statusBar().showMessage(f"{operation} failed: {message}", 30_000)
        if self.case is not None and self.signer is not None:
            case, signer = self.case, self.signer
            self.lane.submit(
                Job(
                    "record error",
                    lambda: witness.witnessed(Case.record)(  # then a checkpoint
                        case,
                        signer,
                        [
                            NewEntry(
                                "operation.failed",
                                case.case_id,
                                {"operation": operation, "message": message[:2000]},
                            )
                        ],
                    ),
                    on_error=lambda exc, _trace: self.statusBar().showMessage(
                        f"{operation} failed, and recording that failed too: {exc}"
                    ),
                )
            )
        if self.dialogs:
            QMessageBox.warning(self, f"{operation} failed", message)
        else:
            print(f"ews gui: {operation} failed: {message}", file=sys.stderr)

    # --- passphrase and examiner -------------------------------------------------------

    def _passphrase(self, prompt: str) -> str | None:
        if os.environ.get("EWS_PASSPHRASE"):
            return os.environ["EWS_PASSPHRASE"]
        text, ok = QInputDialog.getText(self, "Examiner key", prompt, QLineEdit.EchoMode.Password)
        return text if ok and text else None

    # --- actions (each calls the same core function as the CLI) -----------------------

    def create_case(self, folder: str, urn: str, title: str, examiner: str, initials: str) -> None:
        secret = self._passphrase(f"Passphrase for {examiner} ({initials}):")
        if secret is None:
            return

        def work() -> tuple[Case, Signer]:
            signer = keys.get_or_create_examiner(examiner, initials, secret)
            return Case.create(Path(folder), urn=urn, title=title, signer=signer), signer

        self.lane.submit(Job("Create case", work, on_done=self._case_ready))

    def open_case(self, folder: str) -> None:
        initials = keys.current_initials()

        def work() -> tuple[Case, Signer | None]:
            case = Case.open(Path(folder))
            return case, None

        def done(result: tuple[Case, Signer | None]) -> None:
            case, _ = result
            if initials and self.signer is None:
                secret = self._passphrase(f"Passphrase for examiner {initials}:")
                if secret is not None:
                    try:
                        self.signer = keys.unlock_examiner(initials, secret)
                    except ExaminerKeyError as exc:
                        QMessageBox.warning(self, "Examiner key", str(exc))
            self._case_ready((case, self.signer))

        self.lane.submit(Job("Open case", work, on_done=done))

    def _case_ready(self, result: tuple[Case, Signer | None]) -> None:
        case, signer = result
        if self.case is not None:
            self.case.close()
        self.case, self.signer = case, signer or self.signer
        info = case.info()
        self.tz = info["tz"]
        self.verified_size = None
        self.cases.remember(str(case.folder))
        examiner = f" · examiner {self.signer.identity.initials}" if self.signer else ""
        self.case_label.setText(f"{info['urn']} · {info['title']} · {case.folder}{examiner}")
        self.setWindowTitle(f"Evidence workstation — {info['urn']} {info['title']}")
        self.evidence.load(case, self.tz)
        self.ledger.load(case, self.tz)
        self._load_screens()
        self._update_badge()
        if case.warnings:  # e.g. files in store/pending/ set aside while opening (issue 12)
            self.statusBar().showMessage("; ".join(case.warnings), 60_000)
        self.nav.setCurrentRow(2)

    def _need_signer(self) -> Signer | None:
        if self.signer is None:
            QMessageBox.information(
                self,
                "Examiner",
                "Unlock an examiner key first (open the case again and give the passphrase).",
            )
        return self.signer

    def start_ingest(self, paths: list[str], source: str, tz: str, reason: str) -> None:
        if self.case is None:
            QMessageBox.information(self, "Ingest", "Create or open a case first.")
            return
        signer = self._need_signer()
        if signer is None:
            return
        from workstation.ingest import IngestCancelled, IngestOptions, ingest_paths

        case, screen = self.case, self.ingest
        options = IngestOptions(source=source, reason=reason, tz=tz)
        screen.running(True)

        def work() -> IngestSummary:
            return ingest_paths(
                case,
                signer,
                [Path(p) for p in paths],
                options,
                progress=screen.bridge.progressed.emit,
                cancelled=screen.cancel_event.is_set,
            )

        def done(summary: IngestSummary) -> None:
            screen.running(False)
            screen.show_summary(summary)
            self.refresh()

        def failed(exc: BaseException, _trace: str) -> None:
            screen.running(False)
            message = "cancelled" if isinstance(exc, IngestCancelled) else str(exc)
            screen.show_failure(message)
            self.refresh()
            if not isinstance(exc, IngestCancelled):
                self._report_error("Ingest", message)

        self.lane.submit(Job("Ingest", work, on_done=done, on_error=failed))

    def verify(self) -> None:
        if self.case is None:
            return
        case, signer = self.case, self.signer

        def work() -> tuple[VerifyReport, list[VerifyRow], int]:
            report = verify_case(case, progress=self.ledger.progress)
            if signer is not None:
                record_verification(case, signer, report)
            return report, verify_rows(case, report), self._ledger_size(case)

        def done(result: tuple[VerifyReport, list[VerifyRow], int]) -> None:
            report, rows, size = result
            self.verified_size = size if report.ok else None
            self.ledger.show_report(report, rows)
            self.refresh()

        self.ledger.state.setText("Verifying…")
        self.lane.submit(Job("Verify", work, on_done=done))

    @staticmethod
    def _ledger_size(case: Case) -> int:
        return case.ledger_size()

    def refresh(self) -> None:
        if self.case is None:
            return
        self.evidence.refresh()
        self.ledger.refresh()
        self._load_screens()
        self._update_badge()

    def _update_badge(self) -> None:
        case = self.case
        if case is None:
            return

        def done(size: int) -> None:
            ok = self.verified_size is not None and self.verified_size == size
            self._set_badge(ok, "verified" if ok else "not verified since last change")

        self.lane.submit(Job("Ledger size", lambda: self._ledger_size(case), on_done=done))

    def _load_screens(self) -> None:
        session = self.session()
        if session is not None:
            self.people.load(session)
            self.timeline.load(session)
            self.exhibits.load(session)

    def session(self) -> Session | None:
        """The open case as the screens act on it."""
        if self.case is None:
            return None
        return Session(self.lane, self.case, self.signer, self.tz, self.refresh)

    def wait_idle(self, app: Any, timeout_s: float = 60.0) -> None:
        """Process events until the lane is idle (tours and tests)."""
        deadline = time.monotonic() + timeout_s
        while self.lane.busy and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        for _ in range(5):
            app.processEvents()


__all__ = ["MainWindow", "Qt"]

"""Custody ledger: every entry (actor, time, action, subject) and whole-case verification."""

from __future__ import annotations

import html

import sqlalchemy as sa
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from chain_of_custody.case import Case
from chain_of_custody.models import LedgerEntry
from chain_of_custody.verify import VerifyReport
from workstation.gui.fmt import local_time, utc_tooltip
from workstation.gui.screens.ingest import ProgressBridge
from workstation.gui.tables import Column, PagedTableModel, Segment
from workstation.gui.views import ReadOnlyTable

T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]


class LedgerScreen(QWidget):
    """Emits ``verify_requested``; shows the report it is given."""

    verify_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.model: PagedTableModel | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.verify_button = QPushButton("Verify the whole case")
        self.verify_button.setShortcut("Ctrl+Shift+V")
        self.verify_button.clicked.connect(self.verify_requested.emit)
        top.addWidget(self.verify_button)
        self.state = QLabel("Not verified in this session.")
        top.addWidget(self.state, 1)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(320)
        top.addWidget(self.bar)
        self.bridge = ProgressBridge()
        self.bridge.progressed.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        layout.addLayout(top)
        split = QSplitter()
        self.table = ReadOnlyTable()
        split.addWidget(self.table)
        self.report = QTextBrowser()
        split.addWidget(self.report)
        split.setSizes([900, 380])
        layout.addWidget(split, 1)

    def load(self, case: Case, tz: str) -> None:
        columns = [
            Column("Seq", T_LEDGER.c.seq),
            Column("Time", T_LEDGER.c.at, lambda v: local_time(v, tz), utc_tooltip),
            Column("Actor", T_LEDGER.c.actor),
            Column("Action", T_LEDGER.c.action),
            Column("Subject", T_LEDGER.c.subject),
            Column(
                "Data",
                T_LEDGER.c.data,
                lambda v: v if len(v) < 300 else v[:300] + "…",
                lambda v: v[:2000],
            ),
            Column("Entry hash", T_LEDGER.c.entry_hash),
        ]
        self.model = PagedTableModel(
            case.engine,
            columns,
            [Segment(sa.true(), (T_LEDGER.c.seq,))],
            T_LEDGER.c.case_id == case.case_id,
        )
        self.table.setModel(self.model)
        for col, width in enumerate((50, 170, 130, 120, 260, 420, 200)):
            self.table.setColumnWidth(col, width)

    def refresh(self) -> None:
        if self.model is not None:
            self.model.refresh()

    def progress(self, stage: str, done: int, total: int) -> None:
        """Called on the lane by ``verify_case``; shown on the GUI thread."""
        self.bridge.progressed.emit((stage, done, total))

    def _progress(self, p: tuple[str, int, int]) -> None:
        stage, done, total = p
        if total:
            self.bar.setValue(int(1000 * min(done / total, 1.0)))
        self.state.setText(f"Verifying: {stage} {done:,} of {total:,}")

    def show_report(self, report: VerifyReport) -> None:
        self.bar.setValue(1000)
        e = html.escape
        if report.ok:
            head = '<h3><font color="#1b7f3b">Verification passed</font></h3>'
        else:
            head = (
                f'<h3><font color="#b00020">Verification failed: '
                f"{len(report.failures)} problems</font></h3>"
            )
        body = (
            f"<p>{report.entries:,} ledger entries, {report.signatures:,} signatures, "
            f"{report.checkpoints} checkpoints, {report.items:,} items, "
            f"{report.blobs:,} blobs ({report.blob_bytes:,} bytes re-hashed).</p>"
        )
        fails = "".join(
            f"<li><b>{e(f.kind)}</b> {e(f.subject)}: {e(f.message)}</li>"
            for f in report.failures[:1000]
        )
        self.report.setHtml(head + body + (f"<ul>{fails}</ul>" if fails else ""))
        self.state.setText("Passed." if report.ok else "FAILED — see the report.")

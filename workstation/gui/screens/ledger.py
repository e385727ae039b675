"""Custody ledger: every entry (actor, time, action, subject) and whole-case verification
with a result per item: each failure in red, naming its kind and subject, then every item
whose entry and blob verified in green."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
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
from chain_of_custody.verify import VerifyReport
from workstation.gui.fmt import local_time, utc_tooltip
from workstation.gui.schema import T_ITEM, T_LEDGER
from workstation.gui.screens.ingest import ProgressBridge
from workstation.gui.tables import Column, PagedTableModel, Segment
from workstation.gui.views import Index, ReadOnlyTable, RecordsModel

RESULT_HEADERS = ["Result", "Kind", "Subject", "SHA-256", "Detail"]
PASS_BG, FAIL_BG = QColor("#e3f4e6"), QColor("#fbe3e6")
PASS_FG, FAIL_FG = QColor("#1b7f3b"), QColor("#b00020")
_ITEM_SUBJECT = re.compile(r"^item (\S+) \(")
_SHA = re.compile(r"\b([0-9a-f]{64})\b")


@dataclass(frozen=True)
class VerifyRow:
    """One line of the per-item result."""

    ok: bool
    kind: str
    subject: str
    sha256: str
    detail: str
    item_id: str = ""


def _check_row(kind: str, counted: str, problems: int, passed: str) -> VerifyRow:
    """One of the ledger-wide checks: what passed, or how many problems are listed below."""
    return VerifyRow(
        not problems, kind, counted, "", f"{problems} problems below" if problems else passed
    )


def verify_rows(case: Case, report: VerifyReport) -> list[VerifyRow]:
    """The report as the examiner reads it: the ledger's checks, every failure (kind,
    subject, message), then each item that passed, in acquisition order."""
    by_kind: dict[str, int] = {}
    for f in report.failures:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    chain = sum(by_kind.get(k, 0) for k in ("chain", "entry"))
    signatures, checkpoints = by_kind.get("signature", 0), by_kind.get("checkpoint", 0)
    rows = [
        _check_row("ledger", f"{report.entries:,} entries", chain,
                   "hash chain and entry hashes intact"),
        _check_row("signatures", f"{report.signatures:,} verified", signatures,
                   "every entry signed by its actor's recorded key"),
        _check_row("checkpoints", f"{report.checkpoints} checked", checkpoints,
                   "signed roots match the ledger"),
        _check_row("records", f"{report.records:,} in {report.extractions:,} extractions",
                   by_kind.get("record", 0),
                   "Merkle roots recomputed from the stored rows match the ledger"),
        _check_row("rows", "every shown table", by_kind.get("row", 0),
                   "each row matches the signed entry that justifies it"),
        _check_row("signers", "examiners and keys",
                   by_kind.get("untrusted_key", 0) + by_kind.get("examiner", 0),
                   "every signer trusted here, or added by a trusted examiner"),
        _check_row("witness", f"{report.witnessed_checkpoints} witnessed",
                   by_kind.get("witness", 0),
                   "the ledger extends every checkpoint witnessed outside the case"),
    ]  # fmt: skip
    failed_items, failed_blobs = set(), set()
    for f in report.failures:
        named = _ITEM_SUBJECT.match(f.subject)
        if named:
            failed_items.add(named.group(1))
        sha = _SHA.search(f.subject)
        if sha and f.kind == "blob":
            failed_blobs.add(sha.group(1))
        rows.append(VerifyRow(False, f.kind, f.subject, sha.group(1) if sha else "", f.message))
    with case.engine.connect() as conn:
        items = conn.execute(
            sa.select(T_ITEM.c.id, T_ITEM.c.name, T_ITEM.c.sha256)
            .where(T_ITEM.c.case_id == case.case_id)
            .order_by(T_ITEM.c.ledger_seq)
        )
        for r in items:
            if r.id in failed_items:
                continue
            if r.sha256 in failed_blobs:  # a copy of the same bytes: the blob failed above
                rows.append(
                    VerifyRow(
                        False, "blob", r.name, r.sha256, "its stored blob failed (above)", r.id
                    )
                )
            else:
                rows.append(
                    VerifyRow(True, "item", r.name, r.sha256, "entry matches; blob re-hashed", r.id)
                )
    return rows


class VerifyResultsModel(RecordsModel):
    """The per-item result, green rows passed and red rows failed."""

    def __init__(self) -> None:
        super().__init__(RESULT_HEADERS)

    def show(self, rows: list[VerifyRow], problems_only: bool) -> None:
        self.set_rows(
            [
                (
                    ["PASS" if r.ok else "FAIL", r.kind, r.subject, r.sha256, r.detail],
                    f"item {r.item_id}" if r.item_id else r.detail,
                    r,
                )
                for r in rows
                if not (problems_only and r.ok)
            ]
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role in (
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.ForegroundRole,
        ):
            ok = self.source(index.row()).ok
            if role == Qt.ItemDataRole.BackgroundRole:
                return PASS_BG if ok else FAIL_BG
            return (PASS_FG if ok else FAIL_FG) if index.column() == 0 else None
        return super().data(index, role)


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
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = ReadOnlyTable()
        split.addWidget(self.table)
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        self.report = QTextBrowser()
        self.report.setMaximumHeight(64)
        results_layout.addWidget(self.report)
        self.problems_only = QCheckBox("Show problems only")
        self.problems_only.toggled.connect(self._filter_results)
        results_layout.addWidget(self.problems_only)
        self.results = VerifyResultsModel()
        self.results_table = ReadOnlyTable()
        self.results_table.setModel(self.results)
        self.results_table.set_widths((50, 90, 420, 200, 300))
        results_layout.addWidget(self.results_table, 1)
        split.addWidget(results)
        split.setSizes([340, 420])
        layout.addWidget(split, 1)
        self._rows: list[VerifyRow] = []

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

    def _filter_results(self) -> None:
        self.results.show(self._rows, self.problems_only.isChecked())

    def show_report(self, report: VerifyReport, rows: list[VerifyRow]) -> None:
        """The outcome in words and, below it, the result per item."""
        self._rows = rows
        self._filter_results()
        self.bar.setValue(1000)
        if report.ok:
            head = '<h3><font color="#1b7f3b">Verification passed</font></h3>'
        else:
            head = (
                f'<h3><font color="#b00020">Verification failed: '
                f"{len(report.failures)} problems</font></h3>"
            )
        body = (
            f"<p>{report.entries:,} ledger entries, {report.signatures:,} signatures, "
            f"{report.checkpoints} checkpoints ({report.witnessed_checkpoints} witnessed "
            f"outside the case), {report.items:,} items, {report.records:,} records in "
            f"{report.extractions:,} extractions, "
            f"{report.blobs:,} blobs ({report.blob_bytes:,} bytes re-hashed).</p>"
        )
        self.report.setHtml(head + body)
        self.state.setText("Passed." if report.ok else "FAILED — see the report.")

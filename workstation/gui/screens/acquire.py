"""Acquire: a device received from its holder (issue 13 §4-6).

The receipt and return of the device (with the signed notice), the scope the holder agreed
to, and the acquisition of an attached phone (idevicebackup2 or adb) or of an iPhone backup
folder, with progress (files, bytes, time left) and cancel. Every action calls the core the
CLI calls (``workstation.device``, ``workstation.ingest``) on the window's lane, never on
the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QShowEvent
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
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from workstation.gui.fmt import size
from workstation.gui.lane import Job, Lane

if TYPE_CHECKING:
    from chain_of_custody.case import Case
    from chain_of_custody.keys import Signer
    from workstation.device.common import AcquireProgress
    from workstation.device.consent import DeviceCustody

#: (case, signer) of the window; either may be None.
ContextFn = Callable[[], "tuple[Case | None, Signer | None]"]
SOURCES = [
    ("Attached Android phone (adb)", "android"),
    ("Attached iPhone (idevicebackup2)", "ios"),
    ("iPhone backup folder", "folder"),
]


class _Bridge(QObject):
    progressed = Signal(object)


def describe(devices: list[DeviceCustody]) -> str:
    """The devices' record as the screen shows it (plain text)."""
    if not devices:
        return "No device received in this case. Record its receipt first."
    lines = []
    for d in devices:
        j = d.as_json()
        lines.append(f"{d.device_id}: {d.description or '(no description)'}")
        lines.append(f"  Received {d.received_at} from {d.received_from} by {d.received_by}")
        if d.notice_sha256:
            lines.append(f"  Signed notice {d.notice_name}, SHA-256 {d.notice_sha256[:16]}…")
        if d.returned_at:
            lines.append(f"  Returned {d.returned_at} to {d.returned_to}")
        lines.append(f"  Time from receipt to return: {j['held']}")
        if d.scope is not None:
            lines.append(f"  Scope: {d.scope.words()}")
        if d.identity:
            facts = ", ".join(f"{k} {v}" for k, v in sorted(d.identity.items()))
            lines.append(f"  Identity: {facts}")
        for a in d.acquisitions:
            lines.append(f"  Acquired ({a.get('platform', '')}): {a.get('items', 0)} items")
    return "\n".join(lines)


class AcquireScreen(QWidget):
    """Receipt, scope, acquisition and return of a device."""

    changed = Signal()  # the case changed: the window refreshes its screens

    def __init__(self, lane: Lane, context: ContextFn) -> None:
        super().__init__()
        self.lane = lane
        self.context = context
        self.cancel_event = threading.Event()
        self.bridge = _Bridge()
        self.bridge.progressed.connect(self._show_progress, Qt.ConnectionType.QueuedConnection)
        layout = QVBoxLayout(self)
        self.record = QTextEdit()
        self.record.setReadOnly(True)
        layout.addWidget(QLabel("Devices received (from the custody ledger):"))
        layout.addWidget(self.record, 2)
        row = QHBoxLayout()
        row.addWidget(self._custody_box())
        row.addWidget(self._scope_box())
        layout.addLayout(row)
        layout.addWidget(self._acquire_box())
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        layout.addWidget(self.bar)
        self.status = QLabel("Ready.")
        layout.addWidget(self.status)

    # --- layout ------------------------------------------------------------------------

    def _custody_box(self) -> QGroupBox:
        box = QGroupBox("Receipt and return (PCSC Act 2022 s.37)")
        form = QFormLayout(box)
        self.holder = QLineEdit()
        self.holder.setPlaceholderText("who hands the device over / receives it back")
        form.addRow("Holder", self.holder)
        self.description = QLineEdit()
        self.description.setPlaceholderText("make, model, colour, case")
        form.addRow("Device", self.description)
        self.notice = QLineEdit()
        self.notice.setPlaceholderText("the signed notice of agreement (PDF or scan)")
        pick = QPushButton("Notice…")
        pick.clicked.connect(lambda: self._pick_file(self.notice))
        line = QHBoxLayout()
        line.addWidget(self.notice)
        line.addWidget(pick)
        form.addRow("Notice", line)
        buttons = QHBoxLayout()
        self.receive_button = QPushButton("Record receipt")
        self.receive_button.clicked.connect(self.record_receipt)
        self.return_button = QPushButton("Record return")
        self.return_button.clicked.connect(self.record_return)
        buttons.addWidget(self.receive_button)
        buttons.addWidget(self.return_button)
        form.addRow(buttons)
        return box

    def _scope_box(self) -> QGroupBox:
        box = QGroupBox("Agreed scope (recorded with the acquisition)")
        form = QFormLayout(box)
        self.parties = QLineEdit()
        self.parties.setPlaceholderText("numbers or names, comma-separated (empty: any)")
        form.addRow("Parties", self.parties)
        self.scope_from = QLineEdit()
        self.scope_from.setPlaceholderText("YYYY-MM-DD (empty: any)")
        form.addRow("From", self.scope_from)
        self.scope_to = QLineEdit()
        self.scope_to.setPlaceholderText("YYYY-MM-DD (empty: any)")
        form.addRow("To", self.scope_to)
        self.apps = QLineEdit()
        self.apps.setPlaceholderText("sms, phone, whatsapp, imessage … (empty: any)")
        form.addRow("Apps", self.apps)
        return box

    def _acquire_box(self) -> QGroupBox:
        box = QGroupBox("Acquire")
        form = QFormLayout(box)
        self.source = QComboBox()
        for text, key in SOURCES:
            self.source.addItem(text, key)
        form.addRow("From", self.source)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("working folder (attached phone) or the backup folder")
        pick = QPushButton("Folder…")
        pick.clicked.connect(self._pick_folder)
        line = QHBoxLayout()
        line.addWidget(self.folder)
        line.addWidget(pick)
        form.addRow("Folder", line)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("only for a backup its holder encrypted (never recorded)")
        form.addRow("Backup password", self.password)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Acquire")
        self.start_button.clicked.connect(self.start_acquisition)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_event.set)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch()
        form.addRow(buttons)
        return box

    def _pick_file(self, target: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Signed notice")
        if path:
            target.setText(path)

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder")
        if folder:
            self.folder.setText(folder)

    # --- work on the lane --------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.load()

    def load(self) -> None:
        """Read the devices' record (off the GUI thread) and show it."""
        case, _ = self.context()
        if case is None:
            self.record.setPlainText("No case open.")
            return
        from workstation.device.consent import devices

        self.lane.submit(
            Job("Devices", lambda: describe(devices(case)), on_done=self.record.setPlainText)
        )

    def _run(self, name: str, work: Callable[[Case, Signer], Any], done: str) -> None:
        case, signer = self.context()
        if case is None or signer is None:
            self.status.setText("Open a case and unlock an examiner key first.")
            self._idle()
            return

        def finished(result: Any) -> None:
            self._idle()
            self.status.setText(result if isinstance(result, str) else done)
            self.load()
            self.changed.emit()

        def failed(exc: BaseException, _trace: str) -> None:
            self._idle()
            self.status.setText(f"{name}: {exc}")
            self.load()

        self.lane.submit(Job(name, lambda: work(case, signer), finished, failed))

    def record_receipt(self) -> None:
        from workstation.device import consent

        holder, what, notice = self.holder.text(), self.description.text(), self.notice.text()
        self._run(
            "Receipt",
            lambda c, s: consent.record_receipt(
                c,
                s,
                received_from=holder,
                description=what,
                notice=Path(notice) if notice else None,
            ),
            "Receipt recorded.",
        )

    def record_return(self) -> None:
        from workstation.device import consent

        holder = self.holder.text()
        self._run(
            "Return",
            lambda c, s: consent.record_return(c, s, returned_to=holder),
            "Return recorded.",
        )

    def scope_values(self) -> dict[str, Any]:
        return {
            "parties": [self.parties.text()] if self.parties.text().strip() else [],
            "start": self.scope_from.text().strip() or None,
            "end": self.scope_to.text().strip() or None,
            "apps": [self.apps.text()] if self.apps.text().strip() else [],
        }

    def start_acquisition(self) -> None:
        kind = self.source.currentData()
        folder, password = self.folder.text().strip(), self.password.text() or None
        case, _ = self.context()
        if not folder and case is not None and kind != "folder":
            folder = str(case.folder / "acquired")
        if not folder:
            self.status.setText("Choose the backup folder.")
            return
        values = self.scope_values()
        self.cancel_event.clear()
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        self.status.setText("Starting…")
        self._run("Acquire", lambda c, s: acquire(c, s, kind, folder, password, values, self), "")

    def _idle(self) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _show_progress(self, p: AcquireProgress) -> None:
        if p.bytes_total:
            self.bar.setValue(int(1000 * min(p.bytes_done / p.bytes_total, 1.0)))
        left = f" · {p.seconds_left:,.0f} s left" if p.seconds_left is not None else ""
        if p.phase == "backup":  # idevicebackup2 gives a share of the backup, not bytes
            self.status.setText(f"iPhone backup: {p.bytes_done}% done{left}")
            return
        count = f"{p.files:,} of {p.files_total:,} files · " if p.files_total else ""
        self.status.setText(
            f"{p.phase}: {count}{size(p.bytes_done)} of {size(p.bytes_total)}{left}"
            if p.bytes_total
            else f"{p.phase}: {p.current}"
        )


def acquire(
    case: Case,
    signer: Signer,
    kind: str,
    folder: str,
    password: str | None,
    values: dict[str, Any],
    screen: AcquireScreen,
) -> str:
    """The acquisition the screen asked for (runs on the lane); a one-line result."""
    from workstation.device.common import AcquireOptions
    from workstation.device.scope import scope_from_options

    scope = None
    if any(values.values()):
        scope = scope_from_options(
            values["parties"], values["start"], values["end"], values["apps"]
        )
    opts = AcquireOptions(
        out=Path(folder),
        scope=scope,
        progress=screen.bridge.progressed.emit,
        cancelled=screen.cancel_event.is_set,
        backup_password=password,
    )
    if kind == "folder":
        from workstation.device.ios import acquire_backup_folder

        done = acquire_backup_folder(case, signer, Path(folder), opts)
        return f"{done.device_id}: backup folder acquired, {done.items:,} items."
    if kind == "android":
        from workstation.device.android import acquire_android

        done = acquire_android(case, signer, opts)
    else:
        from workstation.device.ios import acquire_ios

        done = acquire_ios(case, signer, opts)
    return f"{done.device_id} acquired: {done.files_pulled:,} files, {done.items:,} items."

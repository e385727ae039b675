"""Live acquisition of an iPhone through libimobiledevice (issue 13 §4).

Steps, each on the record: the phone found (``idevice_id -l``) and identified
(``ideviceinfo``: ``device.identified``); ``device.acquisition_started``; when the phone
has no backup password, a temporary one set (``idevicebackup2 encryption on``:
``device.backup_password_set``, never the password) so that the backup holds what only
encrypted backups hold (keychain, Health, call history on recent iOS); a full backup
(``idevicebackup2 backup --full``: ``device.backup_completed``); the temporary password
removed again (``encryption off``: ``device.backup_password_removed``), also when the
backup failed or was cancelled; the backup folder ingested as ``ews ingest`` does, with the
password (kept in memory only); ``device.acquisition_completed``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from chain_of_custody import witness
from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from workstation.device.common import AcquireOptions, AcquireSummary, Meter, ingest_acquired
from workstation.device.consent import find_device
from workstation.device.errors import AcquisitionCancelled, DeviceError, NoDevice
from workstation.device.tools import last_line, require, run

IDENTITY_KEYS = (
    ("DeviceName", "device_name"),
    ("ProductType", "product_type"),
    ("ProductVersion", "product_version"),
    ("BuildVersion", "build_version"),
    ("SerialNumber", "serial_number"),
    ("InternationalMobileEquipmentIdentity", "imei"),
    ("PhoneNumber", "phone_number"),
    ("UniqueDeviceID", "unique_identifier"),
    ("TimeZone", "time_zone"),
)
_PERCENT = re.compile(r"\]\s*(\d{1,3})%")
TRUST = "connect it by USB, unlock it and tap Trust on 'Trust This Computer?'"


def choose_iphone(udid: str | None) -> str:
    """The UDID of the one attached iPhone (or the one asked for).

    Raises:
        NoDevice: none attached, or several without ``--serial``.
    """
    ran = run(["idevice_id", "-l"], check=False)
    if ran.status != 0:
        raise NoDevice(
            f"cannot list iPhones ({last_line(ran)}): is usbmuxd running "
            f"(apt-get install usbmuxd)? Then {TRUST}"
        )
    found = [line.strip() for line in ran.text.splitlines() if line.strip()]
    if udid is not None:
        found = [u for u in found if u == udid]
    if len(found) == 1:
        return found[0]
    if found:
        raise NoDevice(f"several iPhones attached ({', '.join(found)}): pass --serial UDID")
    raise NoDevice(f"no iPhone attached: {TRUST}")


def identify(udid: str) -> dict[str, str]:
    """The phone's identity from ``ideviceinfo`` (``Key: value`` lines).

    Raises:
        NoDevice: the phone does not trust this computer (lockdownd refuses).
    """
    ran = run(["ideviceinfo", "-u", udid], check=False)
    if ran.status != 0:
        raise NoDevice(f"iPhone {udid} does not answer ({last_line(ran)}): {TRUST}")
    values = {}
    for line in ran.text.splitlines():
        if line[:1] != " " and ": " in line:
            key, value = line.split(": ", 1)
            values[key] = value.strip()
    identity = {name: values[k] for k, name in IDENTITY_KEYS if values.get(k)}
    identity.setdefault("unique_identifier", udid)
    return identity


def backup_encrypted(udid: str) -> bool:
    """Whether the phone already encrypts its backups (its holder set a password)."""
    argv = ["ideviceinfo", "-u", udid, "-q", "com.apple.mobile.backup", "-k", "WillEncrypt"]
    return run(argv).text.strip().lower() == "true"


class _Job:
    def __init__(self, case: Case, signer: Signer, options: AcquireOptions, udid: str):
        self.case, self.signer, self.options, self.udid = case, signer, options, udid
        self.summary: AcquireSummary

    def record(self, action: str, data: dict[str, Any]) -> None:
        data = data | {"device_id": self.summary.device_id}
        self.case.record(self.signer, [NewEntry(action, self.summary.device_id, data)])

    def encryption(self, on: bool, password: str) -> None:
        word = "on" if on else "off"
        argv = ["idevicebackup2", "-u", self.udid, "encryption", word, password]
        run(argv, secret=password)

    def backup(self, folder: Path) -> None:
        """``idevicebackup2 backup --full``, its lines shown as progress; cancel stops it."""
        argv = [require("idevicebackup2"), "-u", self.udid, "backup", "--full", str(folder)]
        meter = Meter(self.options, "backup", 0, 0)
        started = time.monotonic()
        lines: list[str] = []
        with subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        ) as proc:
            assert proc.stdout is not None
            try:
                for line in _lines(proc.stdout):
                    lines.append(line)
                    percent = _PERCENT.search(line)
                    if percent:  # the tool's progress bar: a share of the whole backup
                        meter.bytes_total, meter.bytes_done = 100, min(int(percent[1]), 100)
                    meter.step(line)
                    meter.check_cancelled()
            except BaseException:
                proc.terminate()
                raise
            status = proc.wait()
        if status != 0 or "Backup Successful." not in lines:
            raise DeviceError(f"idevicebackup2 backup failed: {lines[-1] if lines else status}")
        files = [p for p in (folder / self.udid).rglob("*") if p.is_file()]
        self.record(
            "device.backup_completed",
            {
                "tool": "idevicebackup2 backup --full",
                "folder": str(folder / self.udid),
                "files": len(files),
                "bytes": sum(p.stat().st_size for p in files),
                "seconds": int(time.monotonic() - started),
                "tool_said": next((x for x in lines if x.startswith("Received ")), ""),
            },
        )


def _lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines the tool prints; its progress bar is redrawn with carriage returns."""
    rest = b""
    while chunk := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
        parts = re.split(rb"[\r\n]", rest + chunk)
        rest = parts.pop()
        yield from (p.decode("utf-8", "replace").strip() for p in parts if p.strip())
    if rest.strip():
        yield rest.decode("utf-8", "replace").strip()


def _password_fn(password: str | None) -> Callable[[str], str | None]:
    return lambda _shown: password


@witness.witnessed
def acquire_ios(case: Case, signer: Signer, options: AcquireOptions) -> AcquireSummary:
    """Acquire an attached iPhone into the case (module docstring).

    Raises:
        ToolMissing: libimobiledevice-utils is not installed.
        NoDevice: no trusted iPhone attached.
        DeviceError: no device receipt on record, the holder's password is needed and not
            given, or a step failed (the temporary password is removed first).
        AcquisitionCancelled: cancelled; the temporary password is removed.
    """
    for tool in ("idevice_id", "ideviceinfo", "idevicebackup2"):
        require(tool)
    dev = find_device(case, options.device_id, held=options.device_id is None)
    udid = choose_iphone(options.serial)
    identity = identify(udid)
    holder_encrypts = backup_encrypted(udid)
    if holder_encrypts and not options.backup_password:
        raise DeviceError(
            "the iPhone's backups are encrypted with its holder's password: give it with "
            "--backup-password-file FILE or EWS_BACKUP_PASSWORD"
        )
    out = Path(os.path.abspath(options.out))
    job = _Job(case, signer, options, udid)
    job.summary = AcquireSummary(dev.device_id, "ios", str(out), identity)
    job.record("device.identified", identity | {"read_by": "ideviceinfo"})
    if options.scope is not None:
        job.record("scope.set", options.scope.as_data())
    folder = out / time.strftime("backup-%Y%m%dT%H%M%SZ", time.gmtime())
    folder.mkdir(parents=True, exist_ok=True)
    job.record(
        "device.acquisition_started",
        {
            "platform": "ios",
            "method": "idevicebackup2 (libimobiledevice)",
            "udid": udid,
            "out": str(folder),
            "holder_password": "yes" if holder_encrypts else "no",
        },
    )
    password = options.backup_password if holder_encrypts else secrets.token_urlsafe(24)
    _backup_with_password(job, folder, password, temporary=not holder_encrypts)
    from workstation.ingest import IngestOptions

    extra: dict[str, Any] = {}
    if "backup_password" in {f.name for f in dataclasses.fields(IngestOptions)}:
        extra["backup_password"] = _password_fn(password)
    ingest_options = IngestOptions(
        source=f"{dev.device_id}: {identity.get('product_type', 'iPhone')} {udid} (idevicebackup2)",
        reason="live acquisition of the device with the holder's agreement",
        tz=options.tz,
        **extra,
    )
    run_id, items, warnings = ingest_acquired(
        case, signer, folder / udid, ingest_options, cancelled=options.cancelled
    )
    job.summary.run_id, job.summary.items = run_id, items
    job.summary.warnings.extend(warnings)
    job.summary.files_pulled = sum(1 for p in (folder / udid).rglob("*") if p.is_file())
    job.record(
        "device.acquisition_completed",
        {
            "platform": "ios",
            "run_id": run_id or "",
            "items": items,
            "files_pulled": job.summary.files_pulled,
            "folder": str(folder / udid),
        },
    )
    return job.summary


def _backup_with_password(job: _Job, folder: Path, password: str | None, temporary: bool) -> None:
    """The backup, between setting and removing the temporary password (when one is set)."""
    if not temporary:
        job.backup(folder)
        return
    assert password is not None
    job.encryption(True, password)
    job.record(
        "device.backup_password_set",
        {
            "why": "a temporary backup password so the backup includes the keychain, Health "
            "and other data only encrypted backups hold; the password is not recorded"
        },
    )
    failure: BaseException | None = None
    try:
        job.backup(folder)
    except (DeviceError, AcquisitionCancelled, KeyboardInterrupt) as exc:
        failure = exc
    try:
        job.encryption(False, password)
    except DeviceError as exc:
        # The phone must not go back with a password its holder does not know: the examiner
        # is told it (on the terminal only, never in the ledger) to remove it by hand.
        job.record("device.backup_password_not_removed", {"error": str(exc)})
        raise DeviceError(
            f"the temporary backup password could not be removed ({exc}); remove it with: "
            f"idevicebackup2 -u {job.udid} encryption off {password}"
        ) from failure
    job.record("device.backup_password_removed", {"tool": "idevicebackup2 encryption off"})
    if failure is not None:
        raise failure


@witness.witnessed
def acquire_backup_folder(
    case: Case, signer: Signer, folder: Path, options: AcquireOptions
) -> AcquireSummary:
    """An iPhone backup folder made elsewhere (iTunes, Finder, idevicebackup2), acquired for
    a received device: the same entries as a live acquisition around ``ews ingest``'s path,
    so the device's scope applies to what it brings in.

    Raises:
        DeviceError: no device receipt on record.
    """
    dev = find_device(case, options.device_id, held=options.device_id is None)
    folder = Path(os.path.abspath(folder))
    summary = AcquireSummary(dev.device_id, "ios", str(folder))

    def record(action: str, data: dict[str, Any]) -> None:
        data = data | {"device_id": dev.device_id}
        case.record(signer, [NewEntry(action, dev.device_id, data)])

    if options.scope is not None:
        record("scope.set", options.scope.as_data())
    record(
        "device.acquisition_started",
        {"platform": "ios", "method": "backup folder", "out": str(folder)},
    )
    from workstation.ingest import IngestOptions

    extra: dict[str, Any] = {}
    if "backup_password" in {f.name for f in dataclasses.fields(IngestOptions)}:
        extra["backup_password"] = _password_fn(options.backup_password)
    ingest_options = IngestOptions(
        source=f"{dev.device_id}: iPhone backup folder",
        reason="acquisition of the device's backup with the holder's agreement",
        tz=options.tz,
        **extra,
    )
    run_id, items, warnings = ingest_acquired(
        case, signer, folder, ingest_options, cancelled=options.cancelled
    )
    summary.run_id, summary.items, summary.warnings = run_id, items, warnings
    record(
        "device.acquisition_completed",
        {"platform": "ios", "run_id": run_id or "", "items": items, "folder": str(folder)},
    )
    return summary

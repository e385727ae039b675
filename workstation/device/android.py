"""Live acquisition of an Android phone through ``adb``, without root (issue 13 §4).

Steps, each on the record: the device found (``adb devices -l``) and identified
(``adb shell getprop``: ``device.identified``); ``device.acquisition_started``; SMS, MMS
(parts and addresses), call log and contacts read through their content providers and
written as SMS Backup & Restore XML beside the raw query output
(``device.content_queried``); shared-storage files pulled (screenshots, WhatsApp media and
backups), each logged in ``pulled.ndjson`` with its device path, size and SHA-256
(``device.files_pulled``); the output folder ingested as ``ews ingest`` does; and
``device.acquisition_completed``. A second run skips files already pulled and acquired.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain_of_custody import witness
from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from workstation.device import android_content as ac
from workstation.device.common import (
    AcquireOptions,
    AcquireSummary,
    Meter,
    append_pull_log,
    ingest_acquired,
    read_pull_log,
    sha256_file,
)
from workstation.device.consent import find_device
from workstation.device.errors import DeviceError, NoDevice
from workstation.device.tools import last_line, run

#: Shared storage taken from the phone (no root needed): screenshots, WhatsApp's media and
#: its own encrypted backups (msgstore.db.crypt14/15, read by the WhatsApp extractors).
SHARED_FOLDERS = (
    "/sdcard/DCIM/Screenshots",
    "/sdcard/Pictures/Screenshots",
    "/sdcard/Android/media/com.whatsapp/WhatsApp",
    "/sdcard/WhatsApp",  # before Android 11's scoped storage
)
IDENTITY_PROPS = (
    ("ro.product.manufacturer", "manufacturer"),
    ("ro.product.model", "product_type"),
    ("ro.product.name", "product_name"),
    ("ro.build.version.release", "product_version"),
    ("ro.build.version.sdk", "sdk"),
    ("ro.build.id", "build_version"),
    ("ro.build.fingerprint", "build_fingerprint"),
    ("ro.serialno", "serial_number"),
    ("persist.sys.timezone", "time_zone"),
)
_PROP = re.compile(r"^\[([^\]]+)\]: \[(.*)\]$")
CONNECT = (
    "connect it by USB, unlock it, enable USB debugging (Settings > Developer options) and "
    "accept 'Allow USB debugging' for this computer on its screen"
)


@dataclass(frozen=True)
class Attached:
    serial: str
    state: str
    details: str


def attached_devices() -> list[Attached]:
    """Devices ``adb devices -l`` lists (any state)."""
    ran = run(["adb", "devices", "-l"])
    found = []
    for line in ran.text.splitlines():
        if not line.strip() or line.startswith(("List of devices", "*")):
            continue
        parts = line.split(None, 2)
        if len(parts) >= 2:
            found.append(Attached(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return found


def choose_device(serial: str | None) -> str:
    """The serial of the one authorised device (or the one asked for).

    Raises:
        NoDevice: none attached, not authorised, or several without ``--serial``.
    """
    found = attached_devices()
    if serial is not None:
        found = [d for d in found if d.serial == serial]
    ready = [d for d in found if d.state == "device"]
    if len(ready) == 1:
        return ready[0].serial
    if len(ready) > 1:
        names = ", ".join(d.serial for d in ready)
        raise NoDevice(f"several Android devices attached ({names}): pass --serial")
    if found:
        d = found[0]
        if d.state == "unauthorized":
            raise NoDevice(
                f"Android device {d.serial} is not authorised: unlock it and accept "
                "'Allow USB debugging' for this computer on its screen"
            )
        raise NoDevice(f"Android device {d.serial} is {d.state}: {CONNECT}")
    raise NoDevice(f"no Android device attached: {CONNECT}")


def identify(serial: str) -> dict[str, str]:
    """The phone's identity from ``getprop`` (the facts it has)."""
    props = {}
    for line in run(["adb", "-s", serial, "shell", "getprop"]).text.splitlines():
        m = _PROP.match(line.strip())
        if m:
            props[m[1]] = m[2]
    identity = {key: props[p] for p, key in IDENTITY_PROPS if props.get(p)}
    identity.setdefault("serial_number", serial)
    return identity


def _query(
    serial: str, uri: str, columns: tuple[str, ...]
) -> tuple[str, ac.Parsed, tuple[str, ...]]:
    """Query a provider; a column an older Android lacks is dropped and the query repeated."""
    cols = columns
    while True:
        argv = ["adb", "-s", serial, "shell", "content", "query", "--uri", uri]
        ran = run([*argv, "--projection", ":".join(cols)], check=False)
        error = ran.err + ran.text if ran.status or "Error while" in ran.text else ""
        missing = ac.missing_column(error, cols) if error else None
        if missing is not None:
            cols = tuple(c for c in cols if c != missing)
            continue
        if error:
            raise DeviceError(f"content query {uri} failed: {last_line(ran)}")
        return ran.text, ac.parse_rows(ran.text, cols, uri), cols


class _Job:
    def __init__(self, case: Case, signer: Signer, options: AcquireOptions, serial: str):
        self.case, self.signer, self.options, self.serial = case, signer, options, serial
        self.out = Path(os.path.abspath(options.out))
        self.summary: AcquireSummary

    def record(self, action: str, data: dict[str, Any]) -> None:
        self.case.record(self.signer, [NewEntry(action, self.summary.device_id, data)])

    def query_all(self) -> None:
        content = self.out / "content"
        content.mkdir(parents=True, exist_ok=True)
        raw: dict[str, tuple[str, ac.Parsed]] = {}
        for name, (uri, cols) in (("sms", ac.SMS), ("mms", ac.MMS), ("mms_part", ac.PARTS),
                                  ("calls", ac.CALLS), ("contacts", ac.PHONES)):  # fmt: skip
            text, parsed, _ = _query(self.serial, uri, cols)
            raw[name] = (text, parsed)
            (content / f"{name}.txt").write_text(text, encoding="utf-8")
            self.summary.warnings.extend(parsed.warnings)
            self.record(
                "device.content_queried",
                {
                    "device_id": self.summary.device_id,
                    "uri": uri,
                    "rows": len(parsed.rows),
                    "output_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    "file": f"content/{name}.txt",
                },
            )
            self.summary.records_queried += len(parsed.rows)
        self.write_xml(raw, content)

    def write_xml(self, raw: dict[str, tuple[str, ac.Parsed]], content: Path) -> None:
        mms = raw["mms"][1].rows
        parts: dict[str, list[ac.Row]] = {}
        for p in raw["mms_part"][1].rows:
            parts.setdefault(p.get("mid") or "", []).append(p)
        addrs: dict[str, list[ac.Row]] = {}
        data: dict[str, str] = {}
        for m in mms:
            mid = m["_id"] or ""
            _, parsed, _ = _query(self.serial, f"content://mms/{mid}/addr", ac.ADDR_COLUMNS)
            addrs[mid] = parsed.rows
            for p in parts.get(mid, []):
                if p.get("text") is None and p.get("ct") != "application/smil":
                    uri = f"content://mms/part/{p['_id']}"
                    got = run(
                        ["adb", "-s", self.serial, "exec-out", "content", "read", "--uri", uri]
                    )
                    data[p["_id"] or ""] = base64.b64encode(got.out).decode("ascii")
        contacts = ac.Contacts(raw["contacts"][1].rows)
        stem = f"{self.serial}"
        (self.out / f"sms-{stem}.xml").write_text(
            ac.sms_xml(raw["sms"][1].rows, mms, parts, addrs, data, contacts), "utf-8"
        )
        (self.out / f"calls-{stem}.xml").write_text(
            ac.calls_xml(raw["calls"][1].rows, contacts), "utf-8"
        )

    def list_shared(self) -> list[tuple[str, int, int]]:
        """(device path, size, mtime) of every file in the shared folders that exist."""
        found = []
        for folder in SHARED_FOLDERS:
            cmd = f"find '{folder}' -type f -exec stat -c '%s %Y %n' {{}} +"
            ran = run(["adb", "-s", self.serial, "shell", cmd], check=False)
            for line in ran.text.splitlines():
                parts = line.split(" ", 2)
                if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                    found.append((parts[2], int(parts[0]), int(parts[1])))
        return sorted(set(found))

    def pull_all(self) -> None:
        listed = self.list_shared()
        before = read_pull_log(self.out)
        meter = Meter(self.options, "pull", len(listed), sum(s for _, s, _ in listed))
        for device_path, size, mtime in listed:
            meter.check_cancelled()
            local = self.out / "files" / device_path.lstrip("/")
            known = before.get(device_path)
            if (
                known is not None
                and local.exists()
                and local.stat().st_size == size == known.get("size")
                and sha256_file(local) == known.get("sha256")
            ):
                self.summary.files_skipped += 1
                meter.step(device_path, 1, size)
                continue
            local.parent.mkdir(parents=True, exist_ok=True)
            part = local.with_name(local.name + ".part")
            run(["adb", "-s", self.serial, "pull", "-a", device_path, str(part)])
            got = part.stat().st_size
            if got != size:
                part.unlink()
                raise DeviceError(f"{device_path}: pulled {got} bytes, the phone lists {size}")
            os.replace(part, local)
            sha = sha256_file(local)
            append_pull_log(
                self.out,
                {
                    "device_path": device_path,
                    "local": str(local.relative_to(self.out)),
                    "size": size,
                    "sha256": sha,
                    "mtime": mtime,
                },
            )
            self.summary.files_pulled += 1
            self.summary.bytes_pulled += size
            meter.step(device_path, 1, size)
        self.record(
            "device.files_pulled",
            {
                "device_id": self.summary.device_id,
                "folders": list(SHARED_FOLDERS),
                "listed": len(listed),
                "pulled": self.summary.files_pulled,
                "skipped_already_pulled": self.summary.files_skipped,
                "bytes": self.summary.bytes_pulled,
            },
        )


@witness.witnessed
def acquire_android(case: Case, signer: Signer, options: AcquireOptions) -> AcquireSummary:
    """Acquire an attached Android phone into the case (module docstring).

    Raises:
        ToolMissing: adb is not installed.
        NoDevice: no authorised device attached.
        DeviceError: no device receipt on record, or a step failed.
        AcquisitionCancelled: cancelled; running again resumes.
    """
    dev = find_device(case, options.device_id, held=options.device_id is None)
    serial = choose_device(options.serial)
    identity = identify(serial)
    job = _Job(case, signer, options, serial)
    job.summary = AcquireSummary(dev.device_id, "android", str(job.out), identity)
    job.out.mkdir(parents=True, exist_ok=True)
    job.record(
        "device.identified", identity | {"device_id": dev.device_id, "read_by": "adb shell getprop"}
    )
    if options.scope is not None:
        job.record("scope.set", options.scope.as_data() | {"device_id": dev.device_id})
    job.record(
        "device.acquisition_started",
        {
            "device_id": dev.device_id,
            "platform": "android",
            "method": "adb (no root)",
            "serial": serial,
            "out": str(job.out),
        },
    )
    job.query_all()
    job.pull_all()
    from workstation.ingest import IngestOptions

    ingest_options = IngestOptions(
        source=f"{dev.device_id}: {identity.get('manufacturer', '')} "
        f"{identity.get('product_type', 'Android phone')} {serial} (adb)".replace("  ", " "),
        reason="live acquisition of the device with the holder's agreement",
        tz=options.tz,
    )
    run_id, items, warnings = ingest_acquired(
        case, signer, job.out, ingest_options, cancelled=options.cancelled
    )
    job.summary.run_id, job.summary.items = run_id, items
    job.summary.warnings.extend(warnings)
    s = job.summary
    job.record(
        "device.acquisition_completed",
        {
            "device_id": dev.device_id,
            "platform": "android",
            "run_id": run_id or "",
            "items": items,
            "files_pulled": s.files_pulled,
            "files_skipped": s.files_skipped,
            "bytes_pulled": s.bytes_pulled,
            "records_queried": s.records_queried,
        },
    )
    return s

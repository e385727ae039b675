"""Receipt, return and agreed scope of a device (PCSC Act 2022 s.37 and its Code of Practice).

Each fact is a signed ledger entry; the custody of a device is read back from them:

* ``device.received`` (subject the device id, ``device-1``, ``device-2`` ...): from whom,
  when, by whom, a description, and the signed notice (agreement) acquired as an item with
  its SHA-256 in the entry.
* ``device.returned``: to whom, when, by whom, and how long the device was held.
* ``scope.set``: the parties, time window and apps the holder agreed to; records outside it
  are kept but marked (``workstation.device.scope``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db, witness
from chain_of_custody.canonical import format_time, utc_now
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import Entry, NewEntry, _row_to_entry
from chain_of_custody.models import LedgerEntry
from workstation.device.errors import DeviceError
from workstation.device.scope import Scope

T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
#: The entries a device's record is read from.
DEVICE_ACTIONS = (
    "device.received",
    "device.returned",
    "device.identified",
    "scope.set",
    "device.acquisition_started",
    "device.acquisition_completed",
)


@dataclass
class DeviceCustody:
    """What the ledger says about one device, from its receipt to its return."""

    device_id: str
    description: str = ""
    received_from: str = ""
    received_at: str = ""
    received_by: str = ""
    notice_sha256: str | None = None
    notice_name: str | None = None
    returned_to: str | None = None
    returned_at: str | None = None
    returned_by: str | None = None
    scope: Scope | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    acquisitions: list[dict[str, Any]] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)  # the seqs this was read from

    @property
    def held_seconds(self) -> int | None:
        """Seconds from receipt to return (None while the device is held)."""
        if not self.returned_at or not self.received_at:
            return None
        return int((parse_time(self.returned_at) - parse_time(self.received_at)).total_seconds())

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape (``ews device CASE --json``)."""
        return {
            "device_id": self.device_id,
            "description": self.description,
            "received": {
                "from": self.received_from,
                "at": self.received_at,
                "by": self.received_by,
                "notice_sha256": self.notice_sha256,
                "notice_name": self.notice_name,
            },
            "returned": None
            if self.returned_at is None
            else {"to": self.returned_to, "at": self.returned_at, "by": self.returned_by},
            "held_seconds": self.held_seconds,
            "held": held_words(self.held_seconds),
            "scope": None if self.scope is None else self.scope.as_data(),
            "identity": self.identity,
            "acquisitions": self.acquisitions,
            "ledger_seqs": self.entries,
        }


def parse_time(text: str) -> datetime:
    """An RFC 3339 time with a zone (``Z`` or an offset), as an aware UTC datetime.

    Raises:
        DeviceError: the text is not such a time.
    """
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise DeviceError(f"{text!r} is not a time (use e.g. 2024-05-01T09:30:00Z)") from None
    if moment.tzinfo is None:
        raise DeviceError(f"{text!r} has no zone: add Z or an offset such as +01:00")
    return moment.astimezone(UTC)


def held_words(seconds: int | None) -> str:
    """A duration as an MG11 says it: "3 h 05 min" ("held" while not returned)."""
    if seconds is None:
        return "not yet returned"
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    text = f"{hours} h {rest // 60:02d} min"
    return f"{days} d {text}" if days else text


def device_entries(case: Case) -> list[Entry]:
    """The ledger entries about devices, in seq order."""
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_LEDGER)
            .where(T_LEDGER.c.case_id == case.case_id, T_LEDGER.c.action.in_(DEVICE_ACTIONS))
            .order_by(T_LEDGER.c.seq)
        ).all()
    return [_row_to_entry(r) for r in rows]


def devices(case: Case) -> list[DeviceCustody]:
    """Every device received in the case, with what the ledger records of it."""
    found: dict[str, DeviceCustody] = {}
    for e in device_entries(case):
        device_id = str(e.data.get("device_id", e.subject))
        if e.action == "device.received":
            found[device_id] = _received(e)
            continue
        dev = found.get(device_id)
        if dev is None:
            continue  # e.g. an iPhone backup folder identified without a receipt on record
        dev.entries.append(e.seq)
        if e.action == "device.returned":
            dev.returned_to = str(e.data.get("to", ""))
            dev.returned_at = str(e.data.get("returned_at", e.at))
            dev.returned_by = str(e.data.get("returned_by", ""))
        elif e.action == "scope.set":
            dev.scope = Scope.from_data(e.data)
        elif e.action == "device.identified":
            dev.identity = {k: v for k, v in e.data.items() if k != "device_id"}
        elif e.action == "device.acquisition_completed":
            dev.acquisitions.append(dict(e.data) | {"seq": e.seq})
    return list(found.values())


def _received(e: Entry) -> DeviceCustody:
    d = e.data
    return DeviceCustody(
        device_id=e.subject,
        description=str(d.get("description", "")),
        received_from=str(d.get("from", "")),
        received_at=str(d.get("received_at", e.at)),
        received_by=str(d.get("received_by", "")),
        notice_sha256=d.get("notice_sha256"),
        notice_name=d.get("notice_name"),
        entries=[e.seq],
    )


def find_device(case: Case, device_id: str | None, *, held: bool = False) -> DeviceCustody:
    """The device named, or the only one (held: not yet returned) when none is named.

    Raises:
        DeviceError: none, or more than one, matches.
    """
    known = devices(case)
    if device_id is not None:
        for dev in known:
            if dev.device_id == device_id:
                return dev
        names = ", ".join(d.device_id for d in known) or "none"
        raise DeviceError(f"no device {device_id} in this case (devices: {names})")
    candidates = [d for d in known if d.returned_at is None] if held else known
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise DeviceError(
            "no device is held in this case: record its receipt first with "
            "ews device CASE receive --from NAME"
        )
    names = ", ".join(d.device_id for d in candidates)
    raise DeviceError(f"more than one device ({names}): pass --device-id")


def _notice_item(case: Case, signer: Signer, notice: Path, device_id: str) -> tuple[str, str]:
    """Acquire the signed notice as an item; its SHA-256 and name."""
    from workstation.ingest import IngestOptions, ingest_paths

    summary = ingest_paths(
        case,
        signer,
        [notice],
        IngestOptions(
            source=f"{device_id}: signed notice of the agreement (PCSC Act 2022 s.37)",
            reason="the holder's agreement to the extraction of information from the device",
        ),
    )
    with db.read_connection(case.engine) as conn:
        row = conn.execute(
            sa.select(T_ITEM.c.sha256, T_ITEM.c.name)
            .where(T_ITEM.c.run_id == summary.run_id, T_ITEM.c.parent_id.is_(None))
            .order_by(T_ITEM.c.ledger_seq.desc())
            .limit(1)
        ).first()
    if row is None:
        raise DeviceError(f"{notice}: the notice was not acquired")
    return str(row.sha256), str(row.name)


@witness.witnessed
def record_receipt(
    case: Case,
    signer: Signer,
    *,
    received_from: str,
    description: str = "",
    at: str | None = None,
    received_by: str | None = None,
    notice: Path | None = None,
) -> DeviceCustody:
    """Record that a device was received (``device.received``), with the signed notice.

    Raises:
        DeviceError: no name of the holder, or a time that is not RFC 3339 with a zone.
    """
    if not received_from.strip():
        raise DeviceError("--from: say who handed the device over")
    when = format_time(parse_time(at)) if at else format_time(utc_now())
    device_id = f"device-{len(devices(case)) + 1}"
    data: dict[str, Any] = {
        "device_id": device_id,
        "from": received_from.strip(),
        "received_at": when,
        "received_by": (received_by or signer.identity.name).strip(),
        "description": description.strip(),
    }
    if notice is not None:
        data["notice_sha256"], data["notice_name"] = _notice_item(case, signer, notice, device_id)
    case.record(signer, [NewEntry("device.received", device_id, data)])
    return find_device(case, device_id)


@witness.witnessed
def record_return(
    case: Case,
    signer: Signer,
    *,
    returned_to: str,
    device_id: str | None = None,
    at: str | None = None,
    returned_by: str | None = None,
) -> DeviceCustody:
    """Record that a device went back to its holder (``device.returned``).

    Raises:
        DeviceError: no such device held, already returned, or returned before received.
    """
    dev = find_device(case, device_id, held=True)
    if dev.returned_at is not None:
        raise DeviceError(f"{dev.device_id} was already returned at {dev.returned_at}")
    if not returned_to.strip():
        raise DeviceError("--to: say to whom the device was returned")
    when = parse_time(at) if at else utc_now()
    if when < parse_time(dev.received_at):
        raise DeviceError(f"{format_time(when)} is before the receipt ({dev.received_at})")
    held = int((when - parse_time(dev.received_at)).total_seconds())
    data = {
        "device_id": dev.device_id,
        "to": returned_to.strip(),
        "returned_at": format_time(when),
        "returned_by": (returned_by or signer.identity.name).strip(),
        "received_at": dev.received_at,
        "held_seconds": held,
    }
    case.record(signer, [NewEntry("device.returned", dev.device_id, data)])
    return find_device(case, dev.device_id)


@witness.witnessed
def record_scope(
    case: Case, signer: Signer, scope: Scope, *, device_id: str | None = None
) -> DeviceCustody:
    """Record the scope agreed for a device's examination (``scope.set``)."""
    dev = find_device(case, device_id, held=device_id is None)
    data = scope.as_data() | {"device_id": dev.device_id}
    case.record(signer, [NewEntry("scope.set", dev.device_id, data)])
    return find_device(case, dev.device_id)


def now_text() -> str:
    """The current time as the ledger writes it."""
    return format_time(datetime.now(UTC))

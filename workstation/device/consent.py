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

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db, witness
from chain_of_custody.canonical import format_time, utc_now
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from exports.device_custody import DeviceCustody, Scope, devices_of, held_words
from workstation.device.errors import DeviceError

__all__ = ["DeviceCustody", "devices", "find_device", "held_words", "parse_time"]


def devices(case: Case) -> list[DeviceCustody]:
    """Every device received in the case, with what the ledger records of it."""
    with db.read_connection(case.engine) as conn:
        return devices_of(conn, case.case_id)


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

"""Devices handed over for examination, as the ledger records them (issue 13 §5), and the
records outside the scope their holder agreed to (PCSC Act 2022 s.37, Code of Practice).

Read-only: the entries are written by ``workstation.device`` (``device.received``,
``device.returned``, ``scope.set``, ``device.identified``, ``device.acquisition_*``). The
MG11 prints each device's receipt, return and the time held; the MG6C counts the material
outside the agreed scope. A record is outside when it came from an item the device's
acquisitions brought in (or a member of one) and ``Scope.outside`` gives a reason.

Parties are matched on what a record names: a telephone number (in E.164, so
``07700 900123`` and ``+447700900123`` are one party), or an address, handle or name
(case-folded). A record without a time is not shown to be outside a time window.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody.case import T_ITEM
from chain_of_custody.ledger import Entry, _row_to_entry
from chain_of_custody.models import CallRecord, LedgerEntry, MessageRecord
from extractors.identifiers import phone_e164

T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]
T_CALL = CallRecord.__table__  # type: ignore[attr-defined]
DEVICE_ACTIONS = (
    "device.received",
    "device.returned",
    "device.identified",
    "scope.set",
    "device.acquisition_started",
    "device.acquisition_completed",
)


def party_key(text: str, region: str = "GB") -> str:
    """The form a party is compared in: E.164 for numbers, else case-folded text."""
    text = text.strip()
    if sum(c.isdigit() for c in text) >= 6 and "@" not in text:
        e164 = phone_e164(text, region)
        if e164:
            return e164
    return " ".join(text.casefold().split())


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Scope:
    """What the holder agreed to hand over; an empty part limits nothing."""

    parties: tuple[str, ...] = ()
    start: str | None = None  # RFC 3339 UTC
    end: str | None = None
    apps: tuple[str, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Scope:
        """The scope a ``scope.set`` entry recorded."""
        return cls(
            parties=tuple(str(p) for p in data.get("parties", [])),
            start=data.get("from") or None,
            end=data.get("to") or None,
            apps=tuple(str(a) for a in data.get("apps", [])),
        )

    def as_data(self) -> dict[str, Any]:
        """Ledger data (no nulls: an open bound is an empty string)."""
        return {
            "parties": list(self.parties),
            "from": self.start or "",
            "to": self.end or "",
            "apps": list(self.apps),
        }

    @property
    def limits_anything(self) -> bool:
        return bool(self.parties or self.start or self.end or self.apps)

    def words(self) -> str:
        """The scope in a sentence part, for the forms."""
        return (
            f"parties {', '.join(self.parties) or 'any'}; from {self.start or 'any time'} to "
            f"{self.end or 'any time'}; apps {', '.join(self.apps) or 'any'}"
        )

    def outside(self, platform: str, at_utc: str | None, parties: Iterable[str | None]) -> str:
        """Why a record is outside the scope ("" when it is inside)."""
        if self.apps and platform.casefold() not in self.apps:
            return f"app {platform} not in the agreed apps"
        if at_utc and self.start and _utc(at_utc) < _utc(self.start):
            return f"before {self.start}"
        if at_utc and self.end and _utc(at_utc) > _utc(self.end):
            return f"after {self.end}"
        if self.parties:
            wanted = {party_key(p) for p in self.parties}
            if not wanted & {party_key(p) for p in parties if p}:
                return "no agreed party takes part"
        return ""


def held_words(seconds: int | None) -> str:
    """A duration as an MG11 says it: "3 h 05 min" ("not yet returned" while held)."""
    if seconds is None:
        return "not yet returned"
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    text = f"{hours} h {rest // 60:02d} min"
    return f"{days} d {text}" if days else text


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
        return int((_utc(self.returned_at) - _utc(self.received_at)).total_seconds())

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


def device_entries(conn: Connection, case_id: str) -> list[Entry]:
    """The ledger entries about devices, in seq order."""
    rows = conn.execute(
        sa.select(T_LEDGER)
        .where(T_LEDGER.c.case_id == case_id, T_LEDGER.c.action.in_(DEVICE_ACTIONS))
        .order_by(T_LEDGER.c.seq)
    ).all()
    return [_row_to_entry(r) for r in rows]


def devices_of(conn: Connection, case_id: str) -> list[DeviceCustody]:
    """Every device received in the case, with what the ledger records of it."""
    found: dict[str, DeviceCustody] = {}
    for e in device_entries(conn, case_id):
        device_id = str(e.data.get("device_id", e.subject))
        if e.action == "device.received":
            found[device_id] = _received(e)
            continue
        dev = found.get(device_id)
        if dev is None:
            continue  # e.g. a backup folder identified without a receipt on record
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


def device_item_ids(conn: Connection, case_id: str, dev: DeviceCustody) -> set[str]:
    """Items the device's acquisitions brought in, with every member inside them."""
    runs = [str(a["run_id"]) for a in dev.acquisitions if a.get("run_id")]
    if not runs:
        return set()
    c = T_ITEM.c
    found = {
        str(r.id)
        for r in conn.execute(sa.select(c.id).where(c.case_id == case_id, c.run_id.in_(runs)))
    }
    frontier = set(found)
    while frontier:  # members of archives, at any depth
        rows = conn.execute(
            sa.select(c.id).where(c.case_id == case_id, c.parent_id.in_(list(frontier)))
        ).all()
        frontier = {str(r.id) for r in rows} - found
        found |= frontier
    return found


def outside_scope(conn: Connection, case_id: str, table: str = "message") -> dict[int, str]:
    """Records outside the scope agreed for the device they came from: id -> why.

    ``table`` is ``message`` (the default) or ``call`` (call records, by their number).
    """
    out: dict[int, str] = {}
    for dev in devices_of(conn, case_id):
        if dev.scope is None or not dev.scope.limits_anything:
            continue
        items = sorted(device_item_ids(conn, case_id, dev))
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            for rid, platform, at, parties in _records(conn, case_id, chunk, table):
                why = dev.scope.outside(platform, at, parties)
                if why:
                    out[rid] = f"{dev.device_id}: {why}"
    return out


def _records(
    conn: Connection, case_id: str, items: list[str], table: str
) -> Iterable[tuple[int, str, str | None, list[str | None]]]:
    if table == "call":
        c = T_CALL.c
        calls = sa.select(c.id, c.platform, c.started_at_utc, c.number_raw, c.number_e164)
        for call in conn.execute(calls.where(c.case_id == case_id, c.item_id.in_(items))):
            yield (
                int(call.id),
                call.platform,
                call.started_at_utc,
                [call.number_raw, call.number_e164],
            )
        return
    m = T_MESSAGE.c
    messages = sa.select(
        m.id, m.platform, m.sent_at_utc, m.sender_identifier, m.recipients, m.thread_title
    ).where(m.case_id == case_id, m.item_id.in_(items))
    for r in conn.execute(messages):
        parties = [r.sender_identifier, r.thread_title, *json.loads(r.recipients or "[]")]
        yield int(r.id), r.platform, r.sent_at_utc, parties


def outside_counts(outside: Mapping[int, str]) -> Counter[str]:
    """How many records are outside each device's scope, by device id."""
    return Counter(why.split(":", 1)[0] for why in outside.values())

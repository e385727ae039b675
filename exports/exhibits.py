"""Exhibit references: the producer's initials and a running number (``JS/1``), never reused.

Each assignment is one ``exhibit.assigned`` ledger entry plus the rows that let the bundle
find what the exhibit is made of. An exhibit is an item (its bytes), a whole thread, or a
selection of messages, which exhibits their thread(s) in context with those messages
highlighted (MG_BUNDLE.md: a thread is always shown whole).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody import db, witness
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import Entry, NewEntry
from chain_of_custody.models import ExhibitPart, ExhibitRow, MessageRecord

T_EXHIBIT = ExhibitRow.__table__  # type: ignore[attr-defined]
T_PART = ExhibitPart.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]

ExhibitKind = Literal["item", "thread", "messages"]
KINDS: tuple[ExhibitKind, ...] = ("item", "thread", "messages")


class ExhibitError(EvidenceError):
    """An exhibit cannot be assigned (unknown item, thread or message, empty description)."""


@dataclass(frozen=True)
class Exhibit:
    """An assigned exhibit as the case records it."""

    ref: str
    prefix: str
    number: int
    producer: str  # key id
    kind: ExhibitKind
    description: str
    reason: str
    assigned_at: str
    ledger_seq: int
    items: tuple[str, ...]  # sha256 of every native the exhibit rests on
    thread_ids: tuple[str, ...]
    message_ids: tuple[int, ...]  # highlighted messages (for kind "messages")

    def as_json(self) -> dict[str, Any]:
        """The shape of ``ews exhibits --json``."""
        return {
            "ref": self.ref,
            "number": self.number,
            "producer": self.producer,
            "kind": self.kind,
            "description": self.description,
            "reason": self.reason,
            "assigned_at": self.assigned_at,
            "ledger_seq": self.ledger_seq,
            "items": list(self.items),
            "thread_ids": list(self.thread_ids),
            "message_ids": list(self.message_ids),
        }


def _items_of_threads(conn: Connection, case_id: str, thread_ids: Sequence[str]) -> list[str]:
    """The items a thread is read from, then the media its messages attach, in ledger order."""
    rows = conn.execute(
        sa.select(T_ITEM.c.sha256, sa.func.min(T_ITEM.c.ledger_seq).label("first"))
        .join(T_MESSAGE, T_MESSAGE.c.item_id == T_ITEM.c.id)
        .where(T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.thread_id.in_(list(thread_ids)))
        .group_by(T_ITEM.c.sha256)
        .order_by("first")
    ).all()
    sources = [r.sha256 for r in rows]
    return sources + [s for s in _attached_items(conn, case_id, thread_ids) if s not in sources]


def _attached_items(conn: Connection, case_id: str, thread_ids: Sequence[str]) -> list[str]:
    """Items holding the files the thread's messages attach (photos, voice notes …).

    A message names its attachment as the export does (a file name, or a path inside the
    export). The file is the item of that name acquired beside the chat (same archive, or a
    member of the chat's own item, as MMS parts are) or, for a chat exported as a folder, in
    the chat file's folder. Names are never matched across exports.
    """
    rows = conn.execute(
        sa.select(T_MESSAGE.c.attachments, T_ITEM.c.id, T_ITEM.c.parent_id, T_ITEM.c.path)
        .join(T_ITEM, T_MESSAGE.c.item_id == T_ITEM.c.id)
        .where(
            T_MESSAGE.c.case_id == case_id,
            T_MESSAGE.c.thread_id.in_(list(thread_ids)),
            T_MESSAGE.c.attachments != "[]",
        )
    ).all()
    wanted: dict[tuple[str | None, str, str], set[str]] = {}
    for r in rows:
        names = {str(a).replace("\\", "/").rsplit("/", 1)[-1] for a in json.loads(r.attachments)}
        folder = str(r.path).rsplit("/", 1)[0] + "/" if r.parent_id is None else ""
        wanted.setdefault((r.parent_id, str(r.id), folder), set()).update(n for n in names if n)
    found: dict[str, int] = {}
    for (parent, chat_item, folder), names in wanted.items():
        scope = (
            sa.or_(T_ITEM.c.parent_id == parent, T_ITEM.c.parent_id == chat_item)
            if parent is not None
            else sa.or_(
                sa.and_(
                    T_ITEM.c.parent_id.is_(None), T_ITEM.c.path.startswith(folder, autoescape=True)
                ),
                T_ITEM.c.parent_id == chat_item,
            )
        )
        for name_chunk in _chunks(sorted(names), 500):
            for item in conn.execute(
                sa.select(T_ITEM.c.sha256, T_ITEM.c.ledger_seq).where(
                    T_ITEM.c.case_id == case_id, T_ITEM.c.name.in_(name_chunk), scope
                )
            ):
                found[item.sha256] = min(found.get(item.sha256, item.ledger_seq), item.ledger_seq)
    return sorted(found, key=lambda s: (found[s], s))


def _chunks(values: Sequence[str], size: int) -> list[Sequence[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _resolve(
    conn: Connection, case_id: str, kind: ExhibitKind, values: Sequence[str]
) -> tuple[list[str], list[str], list[int]]:
    """(item sha256s, thread ids, message ids) of an exhibit, refusing anything unknown."""
    wanted = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not wanted:
        raise ExhibitError(f"an exhibit of kind {kind!r} needs at least one {kind} given")
    if kind == "item":
        found = {
            r.sha256
            for r in conn.execute(
                sa.select(T_ITEM.c.sha256).where(
                    T_ITEM.c.case_id == case_id, T_ITEM.c.sha256.in_([w.lower() for w in wanted])
                )
            )
        }
        missing = [w for w in wanted if w.lower() not in found]
        if missing:
            raise ExhibitError(f"no item with SHA-256 {missing[0]} in this case")
        return [w.lower() for w in wanted], [], []
    if kind == "thread":
        found = {
            r.thread_id
            for r in conn.execute(
                sa.select(T_MESSAGE.c.thread_id)
                .where(T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.thread_id.in_(wanted))
                .distinct()
            )
        }
        missing = [w for w in wanted if w not in found]
        if missing:
            raise ExhibitError(f"no thread {missing[0]!r} in this case (see `ews messages`)")
        return _items_of_threads(conn, case_id, wanted), wanted, []
    ids: list[int] = []
    for w in wanted:
        if not w.isdigit():
            raise ExhibitError(f"message id {w!r} is not a number (see `ews messages --json`)")
        ids.append(int(w))
    rows = conn.execute(
        sa.select(T_MESSAGE.c.id, T_MESSAGE.c.thread_id).where(
            T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.id.in_(ids)
        )
    ).all()
    thread_of = {int(r.id): r.thread_id for r in rows}
    missing_ids = [i for i in ids if i not in thread_of]
    if missing_ids:
        raise ExhibitError(f"no message with id {missing_ids[0]} in this case")
    threads = list(dict.fromkeys(thread_of[i] for i in ids))
    return _items_of_threads(conn, case_id, threads), threads, sorted(ids)


def _next_number(conn: Connection, case_id: str, prefix: str) -> int:
    top = conn.execute(
        sa.select(sa.func.max(T_EXHIBIT.c.number)).where(
            T_EXHIBIT.c.case_id == case_id, T_EXHIBIT.c.prefix == prefix
        )
    ).scalar()
    return int(top or 0) + 1


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def assign_exhibit(
    case: Case,
    signer: Signer,
    kind: ExhibitKind,
    values: Sequence[str],
    description: str,
    reason: str = "",
) -> Exhibit:
    """Give the next reference of the signer's initials to an item, thread(s) or messages.

    Raises:
        ExhibitError: on an unknown kind, item, thread or message, or an empty description.
    """
    if kind not in KINDS:
        raise ExhibitError(f"unknown exhibit kind {kind!r}; use one of {', '.join(KINDS)}")
    if not description.strip():
        raise ExhibitError("an exhibit needs a description (--description)")
    prefix = signer.identity.initials
    with case.writing(signer) as writer:
        conn = writer.conn
        items, threads, messages = _resolve(conn, case.case_id, kind, values)
        number = _next_number(conn, case.case_id, prefix)
        ref = f"{prefix}/{number}"
        data: dict[str, Any] = {
            "ref": ref,
            "kind": kind,
            "items": items,
            "thread_ids": threads,
            "message_ids": messages,
            "description": description.strip(),
            "reason": reason.strip(),
        }
        (entry,) = writer.append([NewEntry("exhibit.assigned", ref, data)])
        _insert_rows(conn, case.case_id, entry, prefix, number, data)
    return _from_entry(entry, prefix, number)


def _insert_rows(
    conn: Connection, case_id: str, entry: Entry, prefix: str, number: int, data: dict[str, Any]
) -> None:
    conn.execute(
        sa.insert(T_EXHIBIT),
        {
            "case_id": case_id,
            "ref": data["ref"],
            "prefix": prefix,
            "number": number,
            "producer": entry.actor,
            "kind": data["kind"],
            "description": data["description"],
            "reason": data["reason"],
            "assigned_at": entry.at,
            "ledger_seq": entry.seq,
        },
    )
    parts = (
        [("item", v) for v in data["items"]]
        + [("thread", v) for v in data["thread_ids"]]
        + [("message", str(v)) for v in data["message_ids"]]
    )
    conn.execute(
        sa.insert(T_PART),
        [{"case_id": case_id, "ref": data["ref"], "role": r, "value": v} for r, v in parts],
    )


def _from_entry(entry: Entry, prefix: str, number: int) -> Exhibit:
    d = entry.data
    return Exhibit(
        ref=d["ref"],
        prefix=prefix,
        number=number,
        producer=entry.actor,
        kind=d["kind"],
        description=d["description"],
        reason=d["reason"],
        assigned_at=entry.at,
        ledger_seq=entry.seq,
        items=tuple(d["items"]),
        thread_ids=tuple(d["thread_ids"]),
        message_ids=tuple(int(m) for m in d["message_ids"]),
    )


def list_exhibits(case: Case) -> list[Exhibit]:
    """Every exhibit of the case in MG12 order (producer's initials, then number)."""
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_EXHIBIT)
            .where(T_EXHIBIT.c.case_id == case.case_id)
            .order_by(T_EXHIBIT.c.prefix, T_EXHIBIT.c.number)
        ).all()
        parts: dict[str, dict[str, list[str]]] = {}
        for p in conn.execute(
            sa.select(T_PART.c.ref, T_PART.c.role, T_PART.c.value)
            .where(T_PART.c.case_id == case.case_id)
            .order_by(T_PART.c.id)
        ):
            parts.setdefault(p.ref, {}).setdefault(p.role, []).append(p.value)
    out: list[Exhibit] = []
    for r in rows:
        got = parts.get(r.ref, {})
        out.append(
            Exhibit(
                ref=r.ref,
                prefix=r.prefix,
                number=int(r.number),
                producer=r.producer,
                kind=r.kind,
                description=r.description,
                reason=r.reason,
                assigned_at=r.assigned_at,
                ledger_seq=int(r.ledger_seq),
                items=tuple(got.get("item", ())),
                thread_ids=tuple(got.get("thread", ())),
                message_ids=tuple(int(m) for m in got.get("message", ())),
            )
        )
    return out

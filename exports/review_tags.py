"""Review tags as the ledger records them (issue 15 §2-3): the fold the bundle is built from.

A tag is a ``tag.added`` or ``tag.removed`` ledger entry (data: ``target_kind``,
``target_id``, ``tag``, ``note``, ``examiner``); the tags standing are the fold of those
entries in ledger order. :mod:`workstation.review` records them; the exporter reads them
here (as :mod:`exports.device_custody` does for devices), so the MG6C, MG6D and MG3 show
exactly what is signed and the bundle's ledger extract carries the entries they rest on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody.case import T_ITEM
from chain_of_custody.ledger import Entry, _row_to_entry
from chain_of_custody.models import LedgerEntry, MessageRecord
from exports.context import SearchRunView

T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]

TAG_ACTIONS = ("tag.added", "tag.removed")
TARGET_KINDS = ("message", "item", "item_sha256", "thread")


@dataclass(frozen=True)
class Target:
    """What a tag is on: ``kind`` one of :data:`TARGET_KINDS`, ``id`` its id or key."""

    kind: str
    id: str

    @property
    def text(self) -> str:
        """The form the examiner types and the ledger subject: ``item:<sha256>`` etc."""
        return f"{'item' if self.kind == 'item_sha256' else self.kind}:{self.id}"


@dataclass(frozen=True)
class TagView:
    """One tag as it stands: the latest ``tag.added`` not removed since."""

    target: Target
    tag: str
    note: str
    examiner: str
    at: str
    ledger_seq: int

    def as_json(self) -> dict[str, Any]:
        """The documented shape of ``ews tags --json`` (docs/review.md)."""
        return {
            "target": self.target.text,
            "tag": self.tag,
            "note": self.note,
            "examiner": self.examiner,
            "at": self.at,
            "ledger_seq": self.ledger_seq,
        }


def tag_entries(conn: Connection, case_id: str) -> list[Entry]:
    """The ``tag.added`` and ``tag.removed`` entries, in ledger order."""
    rows = conn.execute(
        sa.select(T_LEDGER)
        .where(T_LEDGER.c.case_id == case_id, T_LEDGER.c.action.in_(TAG_ACTIONS))
        .order_by(T_LEDGER.c.seq)
    ).all()
    return [_row_to_entry(r) for r in rows]


def fold(entries: Iterable[Entry]) -> list[TagView]:
    """The tags standing after ``entries`` (ledger order), oldest first."""
    standing: dict[tuple[Target, str], TagView] = {}
    for e in entries:
        d = e.data
        target = Target(str(d.get("target_kind", "")), str(d.get("target_id", "")))
        key = (target, str(d.get("tag", "")))
        if e.action == "tag.added":
            standing.pop(key, None)  # a re-tag replaces the note and moves to the end
            standing[key] = TagView(
                target=target,
                tag=key[1],
                note=str(d.get("note", "")),
                examiner=str(d.get("examiner", "")),
                at=e.at,
                ledger_seq=e.seq,
            )
        elif e.action == "tag.removed":
            standing.pop(key, None)
    return list(standing.values())


def tags_of_conn(conn: Connection, case_id: str) -> list[TagView]:
    """The case's tags as they stand (on an open connection)."""
    return fold(tag_entries(conn, case_id))


def item_tags(conn: Connection, case_id: str, tags: Iterable[TagView]) -> dict[str, list[TagView]]:
    """For each item id, the tags on it: on the item, on its bytes, or on its chat.

    An item carries a thread's tag when every message it holds is in a thread with that tag
    (a chat export that is one conversation). Message tags stay on their messages.
    """
    by_item: dict[str, list[TagView]] = {}
    tags = list(tags)
    shas = {v.target.id for v in tags if v.target.kind == "item_sha256"}
    sha_items: dict[str, list[str]] = {}
    if shas:
        for r in conn.execute(
            sa.select(T_ITEM.c.id, T_ITEM.c.sha256).where(
                T_ITEM.c.case_id == case_id, T_ITEM.c.sha256.in_(shas)
            )
        ):
            sha_items.setdefault(r.sha256, []).append(r.id)
    thread_tags: dict[str, list[TagView]] = {}
    for v in tags:
        if v.target.kind == "item":
            by_item.setdefault(v.target.id, []).append(v)
        elif v.target.kind == "item_sha256":
            for item_id in sha_items.get(v.target.id, ()):
                by_item.setdefault(item_id, []).append(v)
        elif v.target.kind == "thread":
            thread_tags.setdefault(v.target.id, []).append(v)
    if thread_tags:
        # Only the files holding a message of a tagged thread (the thread index), then all
        # the threads of those files: never a pass over every message of the case.
        candidates = {
            r.item_id
            for r in conn.execute(
                sa.select(T_MESSAGE.c.item_id)
                .where(T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.thread_id.in_(thread_tags))
                .distinct()
            )
        }
        threads_of: dict[str, set[str]] = {}
        for r in conn.execute(
            sa.select(T_MESSAGE.c.item_id, T_MESSAGE.c.thread_id)
            .where(T_MESSAGE.c.item_id.in_(sorted(candidates)))
            .distinct()
        ):
            threads_of.setdefault(r.item_id, set()).add(r.thread_id)
        for item_id, threads in threads_of.items():
            names: Mapping[str, list[TagView]] = {th: thread_tags.get(th, []) for th in threads}
            common = set.intersection(*({v.tag for v in names[th]} for th in threads))
            for name in sorted(common):
                # the latest tag given among the threads, for its note
                latest = max(
                    (v for th in threads for v in names[th] if v.tag == name),
                    key=lambda v: v.ledger_seq,
                )
                by_item.setdefault(item_id, []).append(latest)
    return by_item


def tag_counts(tags: Iterable[TagView]) -> dict[str, int]:
    """How many targets carry each tag."""
    out: dict[str, int] = {}
    for v in tags:
        out[v.tag] = out.get(v.tag, 0) + 1
    return dict(sorted(out.items()))


def disclosable_seqs(
    conn: Connection,
    case_id: str,
    entries: Iterable[Entry],
    by_item: Mapping[str, Iterable[TagView]],
) -> list[int]:
    """The tag entries a disclosed ledger extract may carry: none about sensitive material.

    Left out: every entry tagging (or untagging) ``sensitive``, and every entry whose target
    resolves to an item the review found sensitive (its id, its bytes or its chat), so
    neither the item's hash nor the examiner's note reaches the disclosed extract.
    """
    entries = list(entries)
    sensitive_items = {i for i, vs in by_item.items() if any(v.tag == "sensitive" for v in vs)}
    hidden: set[Target] = set()
    if sensitive_items:
        rows = conn.execute(
            sa.select(T_ITEM.c.id, T_ITEM.c.sha256).where(
                T_ITEM.c.case_id == case_id, T_ITEM.c.id.in_(sensitive_items)
            )
        ).all()
        hidden |= {Target("item", r.id) for r in rows}
        hidden |= {Target("item_sha256", r.sha256) for r in rows}
        threads = conn.execute(
            sa.select(T_MESSAGE.c.thread_id, T_MESSAGE.c.id).where(
                T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.item_id.in_(sensitive_items)
            )
        ).all()
        hidden |= {Target("thread", r.thread_id) for r in threads}
        hidden |= {Target("message", str(r.id)) for r in threads}
    out = []
    for e in entries:
        target = Target(str(e.data.get("target_kind", "")), str(e.data.get("target_id", "")))
        if e.data.get("tag") == "sensitive" or target in hidden:
            continue
        out.append(e.seq)
    return out


def search_runs(
    conn: Connection, case_id: str, before: int
) -> list[tuple[SearchRunView, list[int]]]:
    """The saved searches run (``search.run`` entries before ``before``): each query's latest
    run with how many runs, and the sequence numbers of all its runs, in query order."""
    rows = conn.execute(
        sa.select(T_LEDGER)
        .where(
            T_LEDGER.c.case_id == case_id,
            T_LEDGER.c.action == "search.run",
            T_LEDGER.c.seq < before,
        )
        .order_by(T_LEDGER.c.seq)
    ).all()
    latest: dict[str, SearchRunView] = {}
    seqs: dict[str, list[int]] = {}
    for e in (_row_to_entry(r) for r in rows):
        query = str(e.data.get("query", ""))
        seqs.setdefault(query, []).append(e.seq)
        latest[query] = SearchRunView(
            query=query,
            hits=int(e.data.get("hits", 0)),
            at=e.at,
            examiner=e.actor,
            ledger_seq=e.seq,
            runs=len(seqs[query]),
        )
    return [(latest[q], seqs[q]) for q in sorted(latest, key=str.casefold)]

"""Review tags (issue 15 §2): what the examiner marks relevant, not relevant, sensitive ...

A tag is a signed ledger entry and nothing else: ``tag.added`` and ``tag.removed``, subject
the target (``message:12``, ``item:<id>``, ``item:<sha256>``, ``thread:<key>``), data the
target's kind and id, the tag, the note and the examiner's initials. The tags a case has
now are the fold of those entries in ledger order, so what is shown (and what fills the
MG6C, MG6D and MG3) is exactly what is signed, and ``ews verify`` covers it with the rest
of the ledger. There is no table to keep in step.

Targets:

* ``message:ID``: one message record;
* ``item:ID``: one acquisition of a file;
* ``item:SHA256``: every item with those bytes, resolved when the tags are read, so a later
  acquisition of the same bytes carries the tag too;
* ``thread:KEY``: a conversation (``thread_id`` of its messages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody import db, witness
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import Entry, NewEntry, _row_to_entry
from chain_of_custody.models import LedgerEntry, MessageRecord

T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]

TAG_ACTIONS = ("tag.added", "tag.removed")
#: The tags of the review with a fixed meaning; any other tag is a free label.
KNOWN_TAGS = ("relevant", "not-relevant", "sensitive", "privileged", "needs-redaction")
LABEL_MAX = 40
_LABEL = re.compile(r"[a-z0-9-]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")
TARGET_KINDS = ("message", "item", "item_sha256", "thread")


class ReviewError(EvidenceError):
    """A tag or target is refused; the message says why."""


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


def parse_target(text: str) -> Target:
    """``message:ID``, ``item:ID``, ``item:SHA256`` or ``thread:KEY`` as a :class:`Target`.

    Raises:
        ReviewError: any other form.
    """
    kind, sep, ident = text.partition(":")
    kind = kind.strip().lower()
    if not sep or not ident.strip():
        raise ReviewError(
            f"{text!r} is not a target: use message:ID, item:ID, item:SHA256 or thread:KEY"
        )
    ident = ident.strip()
    if kind == "message":
        if not ident.isdigit():
            raise ReviewError(f"{text!r}: a message id is a number (ews messages shows it)")
        return Target("message", str(int(ident)))
    if kind == "item":
        if _SHA256.fullmatch(ident.lower()):
            return Target("item_sha256", ident.lower())
        return Target("item", ident)
    if kind == "thread":
        return Target("thread", ident)
    raise ReviewError(
        f"{text!r}: unknown kind {kind!r}; use message:ID, item:ID, item:SHA256 or thread:KEY"
    )


def check_tag(tag: str) -> str:
    """The tag if it is a known tag or a free label (lowercase letters, digits, ``-``).

    Raises:
        ReviewError: anything else, saying what a label may hold.
    """
    if tag in KNOWN_TAGS:
        return tag
    if not tag or len(tag) > LABEL_MAX or not _LABEL.fullmatch(tag):
        raise ReviewError(
            f"{tag!r} is not a tag: use one of {', '.join(KNOWN_TAGS)} or a label of "
            f"lowercase letters, digits and '-', at most {LABEL_MAX} characters"
        )
    return tag


def _exists(conn: Connection, case_id: str, target: Target) -> bool:
    if target.kind == "message":
        q = sa.select(T_MESSAGE.c.id).where(
            T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.id == int(target.id)
        )
    elif target.kind == "item":
        q = sa.select(T_ITEM.c.id).where(T_ITEM.c.case_id == case_id, T_ITEM.c.id == target.id)
    elif target.kind == "item_sha256":
        q = sa.select(T_ITEM.c.id).where(T_ITEM.c.case_id == case_id, T_ITEM.c.sha256 == target.id)
    else:
        q = sa.select(T_MESSAGE.c.id).where(
            T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.thread_id == target.id
        )
    return conn.execute(q.limit(1)).first() is not None


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


def current_tags(case: Case) -> list[TagView]:
    """The case's tags as they stand, in the order they were (last) given."""
    with db.read_connection(case.engine) as conn:
        return tags_of_conn(conn, case.case_id)


def _entry(action: str, target: Target, tag: str, note: str, examiner: str) -> NewEntry:
    data = {
        "target_kind": target.kind,
        "target_id": target.id,
        "tag": tag,
        "note": note,
        "examiner": examiner,
    }
    return NewEntry(action, target.text, data)


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def tag(case: Case, signer: Signer, target: str, tag_: str, note: str = "") -> TagView:
    """Put a tag on a target (``tag.added``); tagging again replaces the note.

    Raises:
        ReviewError: a malformed target or tag, a target not in the case, or
            ``not-relevant`` without a note (the reason the MG6C prints).
    """
    t = parse_target(target)
    name = check_tag(tag_)
    note = note.strip()
    if name == "not-relevant" and not note:
        raise ReviewError(
            "not-relevant needs --note: the reason it is not relevant, which the MG6C prints"
        )
    with db.read_connection(case.engine) as conn:
        if not _exists(conn, case.case_id, t):
            raise ReviewError(f"{t.text}: no such {t.text.split(':')[0]} in this case")
    (made,) = case.record(signer, [_entry("tag.added", t, name, note, signer.identity.initials)])
    return TagView(t, name, note, signer.identity.initials, made.at, made.seq)


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def untag(case: Case, signer: Signer, target: str, tag_: str, note: str = "") -> Entry:
    """Take a tag off a target (``tag.removed``).

    Raises:
        ReviewError: a malformed target, or the target does not carry that tag.
    """
    t = parse_target(target)
    standing = {(v.target, v.tag) for v in current_tags(case)}
    if (t, tag_) not in standing:
        raise ReviewError(f"{t.text} has no tag {tag_!r}")
    (made,) = case.record(
        signer, [_entry("tag.removed", t, tag_, note.strip(), signer.identity.initials)]
    )
    return made


# --- resolution: which items and messages a tag covers -------------------------------------


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
        threads_of: dict[str, set[str]] = {}
        for r in conn.execute(
            sa.select(T_MESSAGE.c.item_id, T_MESSAGE.c.thread_id)
            .where(T_MESSAGE.c.case_id == case_id)
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

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

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody import db, witness
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import Entry, NewEntry
from exports.review_tags import (
    T_MESSAGE,
    TAG_ACTIONS,
    TARGET_KINDS,
    TagView,
    Target,
    fold,
    item_tags,
    tag_counts,
    tag_entries,
    tags_of_conn,
)

__all__ = [
    "KNOWN_TAGS",
    "TAG_ACTIONS",
    "TARGET_KINDS",
    "ReviewError",
    "TagView",
    "Target",
    "check_tag",
    "current_tags",
    "fold",
    "item_tags",
    "parse_target",
    "tag",
    "tag_counts",
    "tag_entries",
    "tags_of_conn",
    "untag",
]
#: The tags of the review with a fixed meaning; any other tag is a free label.
KNOWN_TAGS = ("relevant", "not-relevant", "sensitive", "privileged", "needs-redaction")
LABEL_MAX = 40
_LABEL = re.compile(r"[a-z0-9-]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ReviewError(EvidenceError):
    """A tag or target is refused; the message says why."""


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

"""Unused material (MG6C / MG6D drafts): every acquired item that is not an exhibit.

Each is numbered in acquisition order and described by a summary of its contents. An
archive some of whose members are exhibits is not listed: it is part of those exhibits'
continuity (its ``item.acquired`` entry is in the ledger extract); its other members are.

Sensitive candidates (flagged for MG6D, for the officer to decide; never withheld by the
tool) follow two documented rules:

1. an image that carries GPS coordinates: it may reveal where the victim lives or goes;
2. when alias groups exist, an item whose messages involve no account of any alias group:
   private correspondence between the victim and third parties unconnected to the suspect.

The examiner's review (issue 15 §3, :mod:`exports.review_tags`) decides over those rules: an
item tagged ``sensitive`` goes to the MG6D with the note as its reason; an item reviewed
otherwise (``not-relevant`` with its reason, ``relevant`` ...) and not tagged sensitive stays
on the MG6C. The rules apply to items not yet reviewed, which the MG6C says are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody.case import T_ITEM
from chain_of_custody.models import CallRecord, ImageMetaRecord, MessageRecord
from exports.context import AliasGroupView, ItemView, UnusedView

T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]
T_CALL = CallRecord.__table__  # type: ignore[attr-defined]
T_IMAGE = ImageMetaRecord.__table__  # type: ignore[attr-defined]

GPS_REASON = "image with GPS coordinates: may reveal where the victim lives or goes"
TAGGED_SENSITIVE = "tagged sensitive in the review"
THIRD_PARTY_REASON = (
    "private correspondence between the victim and third parties unconnected to the suspect"
)


@dataclass
class _Summary:
    messages: int = 0
    platforms: set[str] = field(default_factory=set)
    first: str | None = None
    last: str | None = None
    calls: int = 0
    members: int = 0
    image: str | None = None
    gps: bool = False
    senders: set[str] = field(default_factory=set)


def _summaries(conn: Connection, case_id: str) -> dict[str, _Summary]:
    out: dict[str, _Summary] = {}
    for r in conn.execute(
        sa.select(
            T_MESSAGE.c.item_id,
            T_MESSAGE.c.platform,
            sa.func.count().label("n"),
            sa.func.min(T_MESSAGE.c.sent_at_utc).label("first"),
            sa.func.max(T_MESSAGE.c.sent_at_utc).label("last"),
        )
        .where(T_MESSAGE.c.case_id == case_id)
        .group_by(T_MESSAGE.c.item_id, T_MESSAGE.c.platform)
    ):
        s = out.setdefault(r.item_id, _Summary())
        s.messages += int(r.n)
        s.platforms.add(r.platform)
        s.first = min(filter(None, (s.first, r.first)), default=None)
        s.last = max(filter(None, (s.last, r.last)), default=None)
    for r in conn.execute(
        sa.select(T_MESSAGE.c.item_id, T_MESSAGE.c.sender_key)
        .where(T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.sender_key.isnot(None))
        .distinct()
    ):
        out.setdefault(r.item_id, _Summary()).senders.add(r.sender_key)
    for r in conn.execute(
        sa.select(T_CALL.c.item_id, sa.func.count().label("n"))
        .where(T_CALL.c.case_id == case_id)
        .group_by(T_CALL.c.item_id)
    ):
        out.setdefault(r.item_id, _Summary()).calls = int(r.n)
    for r in conn.execute(
        sa.select(T_ITEM.c.parent_id, sa.func.count().label("n"))
        .where(T_ITEM.c.case_id == case_id, T_ITEM.c.parent_id.isnot(None))
        .group_by(T_ITEM.c.parent_id)
    ):
        out.setdefault(r.parent_id, _Summary()).members = int(r.n)
    for r in conn.execute(sa.select(T_IMAGE).where(T_IMAGE.c.case_id == case_id)):
        s = out.setdefault(r.item_id, _Summary())
        size = f"{r.width}×{r.height} " if r.width and r.height else ""
        kind = (
            f"screenshot ({r.app_guess})"
            if r.screenshot and r.app_guess
            else ("screenshot" if r.screenshot else "image")
        )
        s.image = f"{size}{kind}"
        s.gps = r.gps_lat is not None and r.gps_lon is not None
    return out


def describe(item: ItemView, s: _Summary | None) -> str:
    """A one-line summary of an item's contents for the schedule."""
    parts = [f"{item.mime}, {item.size:,} bytes"]
    if s is not None:
        if s.messages:
            span = f", {s.first[:10]} to {s.last[:10]} (UTC)" if s.first and s.last else ""
            parts.append(f"{s.messages} messages ({', '.join(sorted(s.platforms))}){span}")
        if s.calls:
            parts.append(f"{s.calls} calls")
        if s.members:
            parts.append(f"archive of {s.members} members (listed separately)")
        if s.image:
            parts.append(s.image + (", with GPS position" if s.gps else ""))
    return "; ".join(parts)


def unused_material(
    conn: Connection,
    case_id: str,
    items: Sequence[ItemView],
    alias_groups: Sequence[AliasGroupView],
    tags: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> list[UnusedView]:
    """Number and describe the items given (acquisition order), flagging MG6D candidates.

    ``tags`` maps an item id to its review tags as ``(tag, note)`` pairs, in the order given.
    """
    summaries = _summaries(conn, case_id)
    suspect_accounts = {a.id for g in alias_groups for a in g.accounts}
    out: list[UnusedView] = []
    for number, item in enumerate(sorted(items, key=lambda i: i.ledger_seq), start=1):
        s = summaries.get(item.id)
        given = list((tags or {}).get(item.id, ()))
        notes = {t: n for t, n in given}
        reason: str | None = None
        if "sensitive" in notes:
            reason = notes["sensitive"] or TAGGED_SENSITIVE
        elif given:
            reason = None  # reviewed, and not found sensitive: the examiner's decision holds
        elif s is not None and s.gps:
            reason = GPS_REASON
        elif (
            suspect_accounts and s is not None and s.messages and not (s.senders & suspect_accounts)
        ):
            reason = THIRD_PARTY_REASON
        out.append(
            UnusedView(
                number=number,
                item=item,
                description=describe(item, s),
                sensitive=reason is not None,
                sensitive_reason=reason,
                tags=tuple(dict.fromkeys(t for t, _ in given)),
                not_relevant_reason=notes.get("not-relevant"),
            )
        )
    return out

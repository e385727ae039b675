"""Export an evidential bundle: the one function the CLI and the GUI call.

Alias groups and per-person timelines come from ``workstation.aliases`` and
``workstation.timeline``; they are turned into the plain views of ``exports.context`` here,
so the exporter never imports the workstation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from chain_of_custody import db, ledger, timestamp, witness
from chain_of_custody.canonical import format_time, utc_now
from chain_of_custody.case import Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.models import LedgerEntry
from chain_of_custody.verify import verify_case
from exports.bundle import Progress, record_export, write_bundle
from exports.context import (
    AccountView,
    AliasGroupView,
    BundleContext,
    FileType,
    LinkView,
    PersonTimelineView,
    WeekCount,
)
from exports.gather import Gathered, gather, message_exhibit_refs, messages_by_id
from workstation import aliases, queries, timeline

FILE_TYPES: tuple[FileType, ...] = ("pre-charge", "full")


class ExportError(EvidenceError):
    """An export was asked for with a bad file type or time."""


@dataclass(frozen=True)
class ExportSummary:
    """What ``ews export`` reports."""

    bundle_id: str
    zip_path: Path
    folder: Path
    files: int
    manifest_sha256: str
    file_type: str
    generated_at: str
    ledger_size: int
    export_seq: int
    exhibits: int
    unused: int

    def as_json(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "zip": str(self.zip_path),
            "folder": str(self.folder),
            "files": self.files,
            "manifest_sha256": self.manifest_sha256,
            "file_type": self.file_type,
            "generated_at": self.generated_at,
            "ledger_size": self.ledger_size,
            "export_entry": self.export_seq,
            "exhibits": self.exhibits,
            "unused": self.unused,
        }


def parse_at(value: str | None) -> str:
    """``--at`` (RFC 3339, any offset) as the ledger's UTC format; now when absent.

    Raises:
        ExportError: if the time cannot be read or has no zone.
    """
    if not value:
        return format_time(utc_now())
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ExportError(f"--at {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise ExportError(f"--at {value!r} has no time zone (add Z or +01:00)")
    return format_time(moment.astimezone(UTC))


AliasViews = tuple[
    tuple[AliasGroupView, ...],
    tuple[LinkView, ...],
    tuple[PersonTimelineView, ...],
    list[timeline.PersonTimeline],
]
#: At most this many key excerpts (threat keyword hits) per person, spread over the period.
KEY_EXCERPTS = 12


def _account_view(key: str, acc: dict[str, Any]) -> AccountView:
    ids = [acc.get(f) for f in ("phone_e164", "email", "platform_id", "handle")]
    return AccountView(
        id=key,
        platform=str(acc.get("platform") or ""),
        display=str(acc.get("display_name") or acc.get("handle") or key),
        identifiers=tuple(dict.fromkeys(str(i) for i in ids if i)),
    )


def _link_view(s: aliases.Suggestion, initials: dict[str, str]) -> LinkView:
    by = initials.get(s.decided_by or "", s.decided_by)
    return LinkView(
        a=s.a,
        b=s.b,
        score=float(s.score),
        strength="strong" if s.strength == "strong" else "weak",
        reasons=tuple(r.text for r in s.reasons),
        status=s.status if s.status in ("confirmed", "rejected") else "suggested",  # type: ignore[arg-type]
        decided_by=by,
        decided_at_utc=s.decided_at,
        note=s.note or None,
    )


def _weeks(person: timeline.PersonTimeline, zone: ZoneInfo) -> tuple[WeekCount, ...]:
    threats: Counter[str] = Counter()
    for t in person.threats:
        if t["sent_at_utc"]:
            day = datetime.fromisoformat(t["sent_at_utc"].replace("Z", "+00:00"))
            local = day.astimezone(zone).date()
            threats[(local - timedelta(days=local.weekday())).isoformat()] += 1
    return tuple(
        WeekCount(w["week_start"], w["messages"], w["calls"], threats[w["week_start"]])
        for w in timeline._weeks(person.per_day)
    )


def _spread(items: list[Any], n: int) -> list[Any]:
    if len(items) <= n:
        return items
    step = (len(items) - 1) / (n - 1)
    return [items[round(i * step)] for i in range(n)]


def _timeline_view(person: timeline.PersonTimeline, zone: ZoneInfo) -> PersonTimelineView:
    j = person.as_json()
    by_platform = tuple(
        (p, int(c.get("messages", 0) + c.get("calls", 0)))
        for p, c in sorted(j["counts"]["by_platform"].items())
    )
    return PersonTimelineView(
        group_id=person.group.id,
        label=person.group.label,
        first_contact_utc=j["first_contact"],
        last_contact_utc=j["last_contact"],
        by_platform=by_platform,
        weeks=_weeks(person, zone),
        trend=str(j["trend"]["text"]),
    )


def alias_views(case: Case) -> AliasViews:
    """Alias groups (with their confirmed links), rejected links and timelines, as views."""
    report = aliases.analyse(case)
    initials = {k: e.initials for k, e in case.examiners().items()}
    index = queries.account_index(case)
    decided = {(s.a, s.b): s for s in report.suggestions}
    groups = tuple(
        AliasGroupView(
            id=g.id,
            label=g.label,
            accounts=tuple(_account_view(k, index.get(k, {})) for k in g.accounts),
            links=tuple(
                _link_view(decided[tuple(sorted(p))], initials)  # type: ignore[index]
                for p in g.links
                if tuple(sorted(p)) in decided
            ),
        )
        for g in report.groups
    )
    rejected = tuple(_link_view(s, initials) for s in report.suggestions if s.status == "rejected")
    zone = ZoneInfo(case.info()["tz"])
    people = timeline.build(case, report).people
    return groups, rejected, tuple(_timeline_view(p, zone) for p in people), people


def with_key_excerpts(
    case: Case, ctx: BundleContext, people: Sequence[timeline.PersonTimeline]
) -> BundleContext:
    """The context with each person's key excerpts (threat keyword hits) and exhibit refs."""
    refs = message_exhibit_refs(ctx.exhibits)
    chosen = {p.group.id: _spread(p.threats, KEY_EXCERPTS) for p in people}
    views = messages_by_id(case, (t["message_id"] for ts in chosen.values() for t in ts))
    timelines = tuple(
        replace(
            tl,
            key_excerpts=tuple(
                (views[str(t["message_id"])], refs.get(str(t["message_id"])))
                for t in chosen.get(tl.group_id, [])
                if str(t["message_id"]) in views
            ),
        )
        for tl in ctx.timelines
    )
    return replace(ctx, timelines=timelines)


def _newest_entry_at(case: Case) -> str | None:
    ledger = LedgerEntry.__table__  # type: ignore[attr-defined]
    with db.read_connection(case.engine) as conn:
        newest = conn.execute(
            sa.select(ledger.c.at)
            .where(ledger.c.case_id == case.case_id)
            .order_by(ledger.c.seq.desc())
            .limit(1)
        ).scalar()
    return None if newest is None else str(newest)


def refuse_unverified(case: Case) -> None:
    """Refuse to export a case that does not verify: a bundle renders only what verifies.

    Everything ``ews verify`` checks is checked but the re-hashing of the whole store: the
    bundle writer hashes each native original it copies and refuses one that no longer
    matches its SHA-256, and nothing else of a blob's bytes reaches a bundle.

    Raises:
        ExportError: naming the first failures, if the case does not verify.
    """
    report = verify_case(case, blobs=False)
    if report.ok:
        return
    first = "; ".join(f"{f.kind}: {f.subject}: {f.message}" for f in report.failures[:2])
    more = len(report.failures) - 2
    tail = f" (and {more} more)" if more > 0 else ""
    raise ExportError(
        f"the case does not verify, nothing exported: {first}{tail}; run ews verify "
        f"{case.folder} for the whole report".replace("\n", " ")
    )


def _timestamped(g: Gathered) -> Gathered:
    """The bundle's checkpoint with an RFC 3161 token when ``EWS_TSA_URL`` names an authority.

    Raises:
        ExportError: when the configured authority gives no valid timestamp.
    """
    url = timestamp.authority()
    if url is None:
        return g  # an offline workstation: the manifest says so
    cp = g.checkpoint
    try:
        token = timestamp.request_token(
            url, ledger.checkpoint_body(cp.origin, cp.size, cp.root, cp.at)
        )
    except timestamp.TimestampError as exc:
        raise ExportError(
            f"{exc}; nothing exported (unset {timestamp.TSA_ENV} to export without a timestamp)"
        ) from exc
    return replace(g, timestamp=token, timestamp_authority=url)


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def export_case(
    case: Case,
    signer: Signer,
    *,
    file_type: str,
    out: Path,
    at: str | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the bundle of ``file_type`` under ``out`` and record the export in the ledger.

    The bundle rests on a checkpoint signed in memory over the ledger as it stands; that
    checkpoint and an ``export.created`` entry are recorded only after the bundle is written.

    Raises:
        ExportError: on an unknown file type or a bad time, or if the case does not verify.
        BundleError: if the target exists.
    """
    if file_type not in FILE_TYPES:  # also narrows the type for gather()
        raise ExportError(f"unknown file type {file_type!r}; use pre-charge or full")
    stamp = parse_at(at)
    newest = _newest_entry_at(case)
    if newest is not None and stamp < newest:
        raise ExportError(
            f"export time {stamp} is before the newest ledger entry ({newest}): a bundle cannot "
            "be signed before the events it records; give a later --at or none"
        )
    refuse_unverified(case)
    case.record(signer, [])  # the exporting examiner's key must be in the ledger it signs
    groups, rejected, timelines, people = alias_views(case)
    if progress:
        progress("gather", 0, 1)
    gathered = gather(
        case,
        signer,
        file_type=file_type,
        at=stamp,
        alias_groups=groups,
        rejected_links=rejected,
        timelines=timelines,
    )
    gathered = replace(gathered, context=with_key_excerpts(case, gathered.context, people))
    gathered = _timestamped(gathered)
    result = write_bundle(case, gathered, signer, out, progress)
    tsa: tuple[bytes, str] | None = None
    if gathered.timestamp is not None and gathered.timestamp_authority is not None:
        tsa = (gathered.timestamp, gathered.timestamp_authority)
    seq = record_export(case, signer, gathered.checkpoint, result, file_type, tsa)
    return ExportSummary(
        bundle_id=result.bundle_id,
        zip_path=result.zip_path,
        folder=result.folder,
        files=result.files,
        manifest_sha256=result.manifest_sha256,
        file_type=file_type,
        generated_at=stamp,
        ledger_size=gathered.checkpoint.size,
        export_seq=seq,
        exhibits=len(gathered.context.exhibits),
        unused=len(gathered.context.unused),
    )

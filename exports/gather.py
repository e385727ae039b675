"""Read a case into a ``BundleContext``: examiners, exhibits with their threads in context,
unused material, case details, and the ledger extract with its proofs.

Alias groups and timelines are computed by the workstation and come in as arguments
(exports never imports workstation).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody import db
from chain_of_custody.case import T_EXAMINER, T_ITEM, T_WARN, TOOL, Case
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import SignedCheckpoint
from chain_of_custody.models import AccountRecord, CallRecord, Extraction
from exports import device_custody, ledger_extract, review_tags, unused
from exports.context import (
    LAYOUT,
    AliasGroupView,
    BundleContext,
    ExaminerView,
    ExhibitView,
    FileType,
    ItemView,
    LinkView,
    MessageView,
    PersonTimelineView,
)
from exports.details import current_details
from exports.exhibits import T_MESSAGE, Exhibit, list_exhibits
from exports.ledger_extract import Proofs

T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]
T_CALL = CallRecord.__table__  # type: ignore[attr-defined]
T_ACCOUNT = AccountRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Native:
    """A native original to copy from the store into the bundle."""

    path: str  # inside the bundle
    sha256: str
    size: int
    title: str


@dataclass(frozen=True)
class Gathered:
    """Everything an export writes besides the rendered PDFs."""

    context: BundleContext
    proofs: Proofs
    checkpoint: SignedCheckpoint
    natives: tuple[Native, ...]
    # RFC 3161 token over the checkpoint (chain_of_custody/timestamp.py), and its authority
    timestamp: bytes | None = None
    timestamp_authority: str | None = None


def bundle_id_of(case_id: str, size: int, root: str, file_type: str, at: str, urn: str) -> str:
    """A readable id derived from the case, the ledger head, the file type and the time."""
    digest = hashlib.sha256(f"{case_id}\n{size}\n{root}\n{file_type}\n{at}".encode()).hexdigest()
    safe_urn = re.sub(r"[^A-Za-z0-9]+", "", urn)[:24] or "case"
    return f"{safe_urn}-{'PC' if file_type == 'pre-charge' else 'FF'}-{digest[:12]}"


def openssh_public_key(public_key_hex: str, comment: str) -> str:
    """``ssh-ed25519 AAAA… comment`` for a raw Ed25519 key (RFC 8709 wire format)."""
    raw = bytes.fromhex(public_key_hex)
    blob = b"".join(len(p).to_bytes(4, "big") + p for p in (b"ssh-ed25519", raw))
    return f"ssh-ed25519 {base64.b64encode(blob).decode('ascii')} {comment}"


def _examiners(conn: Connection, case_id: str) -> list[ExaminerView]:
    rows = conn.execute(
        sa.select(T_EXAMINER).where(T_EXAMINER.c.case_id == case_id).order_by(T_EXAMINER.c.added_at)
    ).all()
    return [
        ExaminerView(
            initials=r.initials,
            name=r.name,
            key_id=r.key_id,
            public_key_openssh=openssh_public_key(r.public_key, f"{r.initials} {r.name}"),
            first_seen_utc=r.added_at,
        )
        for r in rows
    ]


def _items(conn: Connection, case_id: str, initials: dict[str, str]) -> dict[str, ItemView]:
    """Every item by id, in acquisition order."""
    extractors: dict[str, list[str]] = {}
    for x in conn.execute(
        sa.select(T_EXTRACTION.c.item_id, T_EXTRACTION.c.extractor, T_EXTRACTION.c.version)
        .where(T_EXTRACTION.c.case_id == case_id)
        .order_by(T_EXTRACTION.c.ledger_seq)
    ):
        extractors.setdefault(x.item_id, []).append(f"{x.extractor}@{x.version}")
    warnings: dict[str, list[str]] = {}
    for w in conn.execute(
        sa.select(T_WARN.c.item_id, T_WARN.c.text)
        .join(T_ITEM, T_ITEM.c.id == T_WARN.c.item_id)
        .where(T_ITEM.c.case_id == case_id)
        .order_by(T_WARN.c.ledger_seq)
    ):
        warnings.setdefault(w.item_id, []).append(w.text)
    items: dict[str, ItemView] = {}
    for r in conn.execute(
        sa.select(T_ITEM).where(T_ITEM.c.case_id == case_id).order_by(T_ITEM.c.ledger_seq)
    ):
        items[r.id] = ItemView(
            id=r.id,
            sha256=r.sha256,
            size=int(r.size),
            mime=r.mime,
            name=r.name,
            path=r.path,
            parent_sha256=r.parent_sha256,
            acquired_at_utc=r.acquired_at,
            acquired_by=initials.get(r.acquired_by, r.acquired_by),
            source=r.source,
            reason=r.reason,
            ledger_seq=int(r.ledger_seq),
            extractors=tuple(extractors.get(r.id, ())),
            warnings=tuple(warnings.get(r.id, ())),
        )
    return items


def _parents(conn: Connection, case_id: str) -> dict[str, str]:
    return {
        r.id: r.parent_id
        for r in conn.execute(
            sa.select(T_ITEM.c.id, T_ITEM.c.parent_id).where(
                T_ITEM.c.case_id == case_id, T_ITEM.c.parent_id.isnot(None)
            )
        )
    }


def _senders(conn: Connection, case_id: str) -> dict[str, str]:
    """A display name for each account key (first one a source gave)."""
    t = T_ACCOUNT
    names: dict[str, str] = {}
    for r in conn.execute(
        sa.select(t.c.account_key, t.c.display_name, t.c.handle)
        .where(t.c.case_id == case_id)
        .order_by(t.c.id)
    ):
        name = r.display_name or r.handle
        if name and r.account_key not in names:
            names[r.account_key] = name
    return names


_M = T_MESSAGE.c
#: The message columns a view needs, in the order ``_message_view`` reads them.
_VIEW_COLUMNS = (
    _M.id, _M.platform, _M.thread_id, _M.thread_title, _M.kind, _M.text, _M.sent_at_utc,
    _M.sent_at_raw, _M.tz, _M.tz_assumed, _M.flags, _M.edited, _M.attachments,
    _M.sender_identifier, _M.sender_key, _M.direction, _M.loc_path, _M.loc_line,
    _M.loc_pointer, _M.loc_offset, _M.loc_sha256,
)  # fmt: skip


def _locator(path: str, line: int | None, pointer: str | None, offset: int | None) -> str:
    if line is not None:
        return f"{path}, line {line}"
    if pointer is not None:
        return f"{path}, {pointer}"
    if offset is not None:
        return f"{path}, byte {offset}"
    return str(path)


def _json_list(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))


def _message_view(r: Sequence[Any], senders: dict[str, str]) -> MessageView:
    """A view of one row of ``_VIEW_COLUMNS`` (positional: 200,000 rows must be cheap)."""
    (mid, platform, thread_id, title, kind, text, utc, raw, tz, tz_assumed, flags, edited,
     attachments, identifier, sender_key, direction, path, line, pointer, offset,
     sha) = r  # fmt: skip
    return MessageView(
        id=str(mid),
        platform=platform,
        thread_id=thread_id,
        thread_title=title,
        kind=kind,
        text=text,
        sent_at_utc=utc,
        sent_at_raw=raw,
        tz=tz,
        tz_assumed=bool(tz_assumed),
        flags=_json_list(flags),
        edited=bool(edited),
        attachments=_json_list(attachments),
        sender_identifier=identifier,
        sender_display=senders.get(sender_key or ""),
        sender_account_id=sender_key,
        direction=direction,
        locator=_locator(path, line, pointer, offset),
        item_sha256=sha,
    )


def messages_by_id(case: Case, ids: Iterable[int]) -> dict[str, MessageView]:
    """Message views by id (for key excerpts of the course of conduct)."""
    wanted = sorted(set(ids))
    out: dict[str, MessageView] = {}
    with db.read_connection(case.engine) as conn:
        senders = _senders(conn, case.case_id)
        for i in range(0, len(wanted), 500):
            for r in conn.execute(
                sa.select(*_VIEW_COLUMNS).where(
                    T_MESSAGE.c.case_id == case.case_id, T_MESSAGE.c.id.in_(wanted[i : i + 500])
                )
            ).all():
                out[str(r[0])] = _message_view(r, senders)
    return out


def _thread_messages(
    conn: Connection, case_id: str, thread_ids: Sequence[str], senders: dict[str, str]
) -> dict[str, list[MessageView]]:
    """The messages of each thread in time order (unknown times last), not highlighted."""
    out: dict[str, list[MessageView]] = {}
    for i in range(0, len(thread_ids), 500):
        chunk = list(thread_ids[i : i + 500])
        rows = conn.execute(
            sa.select(*_VIEW_COLUMNS)
            .join(T_ITEM, T_ITEM.c.id == T_MESSAGE.c.item_id)
            .where(T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.thread_id.in_(chunk))
            .order_by(
                T_MESSAGE.c.sent_at_sort.is_(None),
                T_MESSAGE.c.sent_at_sort,
                T_ITEM.c.ledger_seq,
                T_MESSAGE.c.ordinal,
            )
        ).all()
        for r in rows:
            out.setdefault(r[2], []).append(_message_view(r, senders))
    return out


def native_path(ref: str, item: ItemView) -> str:
    """Where an exhibit's native original goes in the bundle (LAYOUT ``exhibit_native``)."""
    name = re.sub(r"[^A-Za-z0-9._+@-]+", "_", item.name).lstrip(".") or "file"
    return LAYOUT["exhibit_native"].format(
        ref=ref.replace("/", "-"), sha256_12=item.sha256[:12], name=name[:80]
    )


def _exhibit_view(
    ex: Exhibit,
    first_by_sha: dict[str, ItemView],
    threads: dict[str, list[MessageView]],
    initials: dict[str, str],
) -> ExhibitView:
    chosen = {str(m) for m in ex.message_ids}
    messages: list[MessageView] = []
    for tid in ex.thread_ids:
        for m in threads.get(tid, []):
            messages.append(m if m.id not in chosen else _highlight(m))
    times = sorted(m.sent_at_utc for m in messages if m.sent_at_utc)
    return ExhibitView(
        ref=ex.ref,
        number=ex.number,
        producer_initials=initials.get(ex.producer, ex.prefix),
        kind=ex.kind,
        description=ex.description,
        reason=ex.reason,
        assigned_at_utc=ex.assigned_at,
        ledger_seq=ex.ledger_seq,
        items=tuple(first_by_sha[s] for s in ex.items),
        messages=tuple(messages),
        date_from_utc=times[0] if times else None,
        date_to_utc=times[-1] if times else None,
        thread_ids=ex.thread_ids,
    )


def _highlight(m: MessageView) -> MessageView:
    return replace(m, highlighted=True)


def _counts(conn: Connection, case_id: str) -> dict[str, int]:
    def count(q: Any) -> int:
        return int(conn.execute(q).scalar() or 0)

    return {
        "items": count(
            sa.select(sa.func.count()).select_from(T_ITEM).where(T_ITEM.c.case_id == case_id)
        ),
        "messages": count(
            sa.select(sa.func.count()).select_from(T_MESSAGE).where(T_MESSAGE.c.case_id == case_id)
        ),
        "calls": count(
            sa.select(sa.func.count()).select_from(T_CALL).where(T_CALL.c.case_id == case_id)
        ),
        "accounts": count(
            sa.select(sa.func.count(sa.distinct(T_ACCOUNT.c.account_key))).where(
                T_ACCOUNT.c.case_id == case_id
            )
        ),
        "threads": count(
            sa.select(sa.func.count(sa.distinct(T_MESSAGE.c.thread_id))).where(
                T_MESSAGE.c.case_id == case_id
            )
        ),
    }


def _ancestors(item_ids: Iterable[str], parents: dict[str, str]) -> set[str]:
    seen: set[str] = set()
    for i in item_ids:
        p = parents.get(i)
        while p is not None and p not in seen:
            seen.add(p)
            p = parents.get(p)
    return seen


def _extracted_seqs(conn: Connection, case_id: str, item_ids: set[str]) -> list[int]:
    seqs: list[int] = []
    ids = sorted(item_ids)
    for i in range(0, len(ids), 500):
        seqs += [
            int(r.ledger_seq)
            for r in conn.execute(
                sa.select(T_EXTRACTION.c.ledger_seq).where(
                    T_EXTRACTION.c.case_id == case_id, T_EXTRACTION.c.item_id.in_(ids[i : i + 500])
                )
            )
        ]
    return seqs


def _rendered_item_ids(conn: Connection, case_id: str, threads: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(threads), 500):
        out |= {
            r.item_id
            for r in conn.execute(
                sa.select(T_MESSAGE.c.item_id)
                .where(
                    T_MESSAGE.c.case_id == case_id, T_MESSAGE.c.thread_id.in_(threads[i : i + 500])
                )
                .distinct()
            )
        }
    return out


def gather(
    case: Case,
    signer: Signer,
    *,
    file_type: FileType,
    at: str,
    alias_groups: Sequence[AliasGroupView] = (),
    rejected_links: Sequence[LinkView] = (),
    timelines: Sequence[PersonTimelineView] = (),
) -> Gathered:
    """Read the case as it stands into a bundle context signed for an export at ``at``."""
    info = case.info()
    details = current_details(case)
    exhibits = list_exhibits(case)
    with db.read_connection(case.engine) as conn:
        tree, cp = ledger_extract.head_checkpoint(conn, case.case_id, signer, at)
        examiners = _examiners(conn, case.case_id)
        initials = {e.key_id: e.initials for e in examiners}
        items = _items(conn, case.case_id, initials)
        first_by_sha: dict[str, ItemView] = {}
        for item in items.values():
            first_by_sha.setdefault(item.sha256, item)
        thread_ids = sorted({t for ex in exhibits for t in ex.thread_ids})
        threads = _thread_messages(conn, case.case_id, thread_ids, _senders(conn, case.case_id))
        # Messages outside the scope agreed for their device stay out of a thread's context
        # (issue 13 §5), unless the examiner chose them for the exhibit by id.
        outside = device_custody.outside_scope(conn, case.case_id)
        if outside:
            chosen = {str(m) for ex in exhibits for m in ex.message_ids}
            threads = {
                t: [m for m in ms if int(m.id) not in outside or m.id in chosen]
                for t, ms in threads.items()
            }
        views = tuple(_exhibit_view(ex, first_by_sha, threads, initials) for ex in exhibits)
        native_ids = {first_by_sha[s].id for ex in exhibits for s in ex.items}
        parents = _parents(conn, case.case_id)
        ancestors = _ancestors(native_ids, parents)
        rendered = _rendered_item_ids(conn, case.case_id, thread_ids)
        seqs = [ex.ledger_seq for ex in exhibits]
        seqs += [items[i].ledger_seq for i in native_ids | ancestors]
        seqs += _extracted_seqs(conn, case.case_id, rendered)
        # Each device's receipt, return and scope: provable from the bundle (MG11, MG6C).
        devices = device_custody.devices_of(conn, case.case_id)
        seqs += [seq for dev in devices for seq in dev.entries]
        # Devices identified by their backup's Info.plist (ews ingest of an iPhone backup
        # folder): the MG11 names the device beside each item of that ingest.
        seqs += [
            int(r.seq)
            for r in conn.execute(
                sa.text(
                    "SELECT seq FROM ledger_entry WHERE case_id = :c "
                    "AND action = 'device.identified' AND seq < :n"
                ),
                {"c": case.case_id, "n": cp.size},
            )
        ]
        # The review's tag entries (issue 15 §3), removals too, go into the extract so the
        # MG6C's reasons rest on signed entries; but not those about material on the MG6D
        # (a sensitive tag, or a target that resolves to a sensitive item): the extract is
        # disclosed, and the MG6D's material stays under not_for_disclosure/.
        tag_entries = [e for e in review_tags.tag_entries(conn, case.case_id) if e.seq < cp.size]
        tags = review_tags.fold(tag_entries)
        by_item = review_tags.item_tags(conn, case.case_id, tags)
        seqs += review_tags.disclosable_seqs(conn, case.case_id, tag_entries, by_item)
        # The saved searches (issue 15 §1): every search.run entry goes into the extract so
        # the MG3's lines of enquiry searched rest on signed entries.
        search_runs = review_tags.search_runs(conn, case.case_id, cp.size)
        seqs += [seq for run in search_runs for seq in run[1]]
        extract, proofs = ledger_extract.build_extract(conn, case.case_id, tree, cp, seqs)
        exhibited_shas = {s for ex in exhibits for s in ex.items}
        unused_views = unused.unused_material(
            conn,
            case.case_id,
            [
                it
                for it in items.values()
                if it.sha256 not in exhibited_shas and it.id not in ancestors
            ],
            alias_groups,
            {i: [(v.tag, v.note) for v in vs] for i, vs in by_item.items()},
        )
        counts = _counts(conn, case.case_id)
        outside_by_device = device_custody.outside_counts(outside)
    counts |= {"exhibits": len(views), "unused": len(unused_views)}
    bundle_id = bundle_id_of(case.case_id, cp.size, cp.root, file_type, at, info["urn"])
    natives = tuple(
        sorted(
            {
                native_path(v.ref, it): Native(
                    native_path(v.ref, it),
                    it.sha256,
                    it.size,
                    f"Exhibit {v.ref}: native original {it.name}",
                )
                for v in views
                for it in v.items
            }.values(),
            key=lambda n: n.path.encode("utf-8"),
        )
    )
    ctx = BundleContext(
        urn=info["urn"],
        title=info["title"],
        case_id=case.case_id,
        bundle_id=bundle_id,
        file_type=file_type,
        generated_at_utc=at,
        local_tz=info["tz"],
        tool=TOOL,
        examiners=tuple(examiners),
        details=details,
        exhibits=views,
        unused=tuple(unused_views),
        alias_groups=tuple(alias_groups),
        rejected_links=tuple(rejected_links),
        timelines=tuple(timelines),
        ledger=extract,
        counts=counts,
        devices=tuple(devices),
        outside_scope=dict(outside_by_device),
        review_counts=review_tags.tag_counts(
            v for vs in by_item.values() for v in {x.tag: x for x in vs}.values()
        ),
        reviewed_items=len(by_item),
        tagged_messages=len({v.target.id for v in tags if v.target.kind == "message"}),
        searches=tuple(run[0] for run in search_runs),
    )
    return Gathered(ctx, proofs, cp, natives)


def message_exhibit_refs(exhibits: Iterable[ExhibitView]) -> dict[str, str]:
    """The exhibit that shows each message (its first one, in MG12 order)."""
    refs: dict[str, str] = {}
    for ex in exhibits:
        for m in ex.messages:
            refs.setdefault(m.id, ex.ref)
    return refs

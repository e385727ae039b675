"""MG11 – exhibit producer and continuity statement of one examiner (part 2)."""

from __future__ import annotations

from collections import defaultdict

from reportlab.lib.units import mm  # type: ignore[import-untyped]

from exports.context import BundleContext, ExaminerView, ExhibitView, ItemView, LedgerExtract
from exports.device_custody import DeviceCustody, held_words
from exports.pdf import fmt
from exports.pdf.common import FILE_TYPES, exhibit_dates, item_rows, native_path, rendered_path
from exports.pdf.layout import (
    BODY,
    BODY_BOLD,
    FOR_COMPLETION,
    MONO_SMALL,
    SMALL_GREY,
    WIDTH,
    Column,
    Writer,
)


def declaration(pages: int) -> str:
    """Our own wording of the substance of the s.9 CJA 1967 declaration."""
    return (
        "Declaration (section 9, Criminal Justice Act 1967). "
        f"This statement has {pages} page{'s' if pages != 1 else ''}, each signed by me. "
        "Everything in it is true to the best of my knowledge and belief. I make it knowing "
        "that, if it is given in evidence, I may be prosecuted if I have wilfully stated in it "
        "anything I know to be false or do not believe to be true."
    )


def produced_by(ctx: BundleContext, initials: str) -> list[ExhibitView]:
    return [ex for ex in ctx.exhibits if ex.producer_initials == initials]


def statement_makers(ctx: BundleContext) -> list[ExaminerView]:
    """Examiners who produced an exhibit or acquired an item an exhibit rests on."""
    involved = {ex.producer_initials for ex in ctx.exhibits}
    involved |= {it.acquired_by for ex in ctx.exhibits for it in ex.items}
    makers = [e for e in ctx.examiners if e.initials in involved]
    return makers or list(ctx.examiners)


#: Above this many exhibits a statement lists continuity as one table row per item.
DETAILED_MAX = 60

# The ledger extract indexed by subject, for the last extract seen (one per export).
_BY_SUBJECT: tuple[LedgerExtract, dict[str, list[dict[str, object]]]] | None = None


def _ledger_for(ctx: BundleContext, sha: str) -> list[dict[str, object]]:
    global _BY_SUBJECT
    if _BY_SUBJECT is None or _BY_SUBJECT[0] is not ctx.ledger:
        index: dict[str, list[dict[str, object]]] = defaultdict(list)
        for e in ctx.ledger.entries:
            index[str(e.get("subject"))].append(e)
        _BY_SUBJECT = (ctx.ledger, index)
    return _BY_SUBJECT[1].get(sha, [])


def _extractions(ctx: BundleContext, item: ItemView) -> str | None:
    rows = []
    for e in _ledger_for(ctx, item.sha256):
        if e.get("action") != "item.extracted":
            continue
        data = e.get("data")
        d = data if isinstance(data, dict) else {}
        rows.append(
            f"{d.get('extractor', '?')}: {d.get('records', '?')} records, Merkle root "
            f"{str(d.get('merkle_root', '?'))[:16]}…, {fmt.utc_text(str(e.get('at')))} "
            f"(ledger seq {e.get('seq')})"
        )
    if not rows and item.extractors:
        rows = [f"{x} (entry not in the extract)" for x in item.extractors]
    return "\n".join(rows) if rows else "none (produced as acquired)"


def _transfers(ctx: BundleContext, item: ItemView) -> str:
    moved = [
        f"{e.get('action')} at {fmt.utc_text(str(e.get('at')))} (ledger seq {e.get('seq')})"
        for e in _ledger_for(ctx, item.sha256)
        if "transfer" in str(e.get("action")) or "moved" in str(e.get("action"))
    ]
    if moved:
        return "\n".join(moved)
    return "None recorded: the item has stayed in the case's evidence store since acquisition."


def _tool(ctx: BundleContext, item: ItemView) -> str:
    for e in _ledger_for(ctx, item.sha256):
        data = e.get("data")
        if e.get("action") == "item.acquired" and isinstance(data, dict) and data.get("tool"):
            return str(data["tool"])
    return ctx.tool


def write_exhibit_continuity(w: Writer, ctx: BundleContext, ex: ExhibitView) -> None:
    w.heading(f"Exhibit {ex.ref}: {ex.description}", 3)
    w.fields(
        [
            ("Why I produce it", ex.reason or None),
            ("Date range covered", exhibit_dates(ex, ctx.local_tz)),
            ("Reference assigned", fmt.both(ex.assigned_at_utc, ctx.local_tz)),
            ("Custody ledger entry", f"seq {ex.ledger_seq} (exhibit.assigned)"),
            ("Printed rendering", rendered_path(ex)),
        ]
    )
    for item in ex.items:
        w.para(f"Native original: {item.name}", BODY_BOLD, after=1)
        rows = [r for r in item_rows(ctx, item) if r[0] != "Extractors run"]
        rows += [
            ("Acquisition tool", _tool(ctx, item)),
            ("Extractions run", _extractions(ctx, item)),
            (
                "Storage",
                f"Write-once evidence store of case {ctx.case_id}, addressed by its SHA-256; "
                f"copy in this bundle: {native_path(ex, item)}",
            ),
            ("Transfers", _transfers(ctx, item)),
        ]
        device = _backup_device(ctx, item)
        if device:
            rows.insert(-3, ("Device (its backup's Info.plist)", device))
        w.fields(rows)


def _backup_device(ctx: BundleContext, item: ItemView) -> str | None:
    """The device an item's ingest identified from an iPhone backup (``device.identified``
    with the ingest's run id), as the continuity names it; None for other items."""
    runs = {
        str(d.get("run_id"))
        for e in _ledger_for(ctx, item.sha256)
        if e.get("action") == "item.acquired"
        and isinstance(d := e.get("data"), dict)
        and d.get("item_id") == item.id
    }
    for e in ctx.ledger.entries:
        d = e.get("data")
        if e.get("action") != "device.identified" or not isinstance(d, dict):
            continue
        if str(d.get("run_id")) in runs:
            return _device_words(d) + f" (ledger seq {e.get('seq')}, device.identified)"
    return None


_DEVICE_FACTS = (
    ("device_name", "name"),
    ("product_type", "model"),
    ("product_version", "iOS"),
    ("serial_number", "serial number"),
    ("imei", "IMEI"),
    ("phone_number", "phone number"),
    ("unique_identifier", "UDID"),
    ("last_backup_date", "backup made"),
)


def _device_words(d: dict[str, object]) -> str:
    facts = [f"{words} {d[key]}" for key, words in _DEVICE_FACTS if d.get(key)]
    enc = "encrypted backup" if d.get("encrypted") == "yes" else "unencrypted backup"
    return ", ".join(facts) + f"; {enc} at {d.get('backup_path', '?')}"


def write_continuity_table(w: Writer, ctx: BundleContext, exhibits: list[ExhibitView]) -> None:
    """Continuity of many exhibits, one row per native original."""
    w.para(
        f"Every item below is held in the write-once evidence store of case {ctx.case_id}, "
        "addressed by its SHA-256, and copied into this bundle under 04_exhibits/<exhibit>/"
        "native/. Transfers: none recorded unless stated in the row. Acquisition tool: "
        f"{ctx.tool} unless stated. Times are UTC; the custody ledger appendix gives each entry.",
        BODY,
    )
    w.table(
        [
            Column("Exhibit", 14 * mm),
            Column("Item, source and reason", 52 * mm),
            Column("Acquired (UTC)", 24 * mm),
            Column("SHA-256", 34 * mm, MONO_SMALL),
            Column("Extractions, transfers", WIDTH - 124 * mm),
        ],
        (
            (
                ex.ref,
                f"{it.name}\nfrom {it.source}\nby {it.acquired_by}: {it.reason}",
                f"{fmt.utc_text(it.acquired_at_utc)}\nledger seq {it.ledger_seq}",
                it.sha256,
                _row_extras(ctx, it),
            )
            for ex in exhibits
            for it in ex.items
        ),
    )


def _row_extras(ctx: BundleContext, item: ItemView) -> str:
    parts = [_extractions(ctx, item) or ""]
    moved = _transfers(ctx, item)
    if not moved.startswith("None recorded"):
        parts.append(moved)
    tool = _tool(ctx, item)
    if tool != ctx.tool:
        parts.append(f"acquired with {tool}")
    return "\n".join(parts)


def _two_lines(grouped: str) -> str | None:
    """A grouped fingerprint as two lines of eight groups, to read out by telephone."""
    if not grouped:
        return None
    groups = grouped.split(" ")
    return " ".join(groups[:8]) + "\n" + " ".join(groups[8:])


def write_mg11(w: Writer, ctx: BundleContext, examiner: ExaminerView, pages: int) -> None:
    """Fill one examiner's statement; `pages` is its page count (known from a first pass)."""
    w.heading("MG11 · Witness statement (exhibit producer and continuity)", 1)
    w.para(f"{ctx.title}  ·  URN {ctx.urn}  ·  {FILE_TYPES[ctx.file_type]}", SMALL_GREY)
    w.fields(
        [
            ("Statement of", examiner.name),
            ("Age", "Over 18"),
            ("Occupation", None),
            ("Examiner initials", examiner.initials),
            ("Signing key id", examiner.key_id),
            ("Key fingerprint (SHA-256)", _two_lines(examiner.fingerprint_grouped)),
            ("Public key", examiner.public_key_openssh),
        ]
    )
    w.box(declaration(pages))
    w.fields([("Signature", None), ("Date", None)])
    mine = produced_by(ctx, examiner.initials)
    w.heading("Statement", 2)
    w.para(
        f"I am {examiner.name}. I use the evidence workstation ({ctx.tool}) under the key "
        f"whose id is {examiner.key_id[:16]}…; the case's custody ledger first records me on "
        f"{fmt.both(examiner.first_seen_utc, ctx.local_tz)}. Every action I took on the "
        "items below is an entry in that ledger, signed with my key, and the ledger extract "
        "in this bundle lets anyone check it. The fingerprint of my key is printed above; a "
        "recipient who compares it with me by telephone, or with my unit's published list of "
        "examiner keys, can have `ews verify-bundle --trust-fingerprint` check that this "
        "bundle was signed by me.",
        BODY,
    )
    for dev in ctx.devices:
        if examiner.name in (dev.received_by, dev.returned_by):
            w.para(device_continuity(ctx, dev), BODY)
    if mine:
        w.para(f"I produce the following {len(mine)} exhibit(s):", BODY)
        w.table(
            [
                Column("Exhibit", 18 * mm),
                Column("Description", WIDTH - 98 * mm),
                Column("SHA-256 of the native original(s)", 80 * mm, MONO_SMALL),
            ],
            [(ex.ref, ex.description, "\n".join(i.sha256 for i in ex.items)) for ex in mine],
        )
        w.heading("How each exhibit was acquired and kept", 2)
        if len(mine) <= DETAILED_MAX:
            for ex in mine:
                write_exhibit_continuity(w, ctx, ex)
        else:
            write_continuity_table(w, ctx, mine)
    else:
        w.para("I produce no exhibit in this file.", BODY)
    others = [
        (ex, it)
        for ex in ctx.exhibits
        if ex.producer_initials != examiner.initials
        for it in ex.items
        if it.acquired_by == examiner.initials
    ]
    if others:
        w.heading("Items I acquired that another examiner produces", 2)
        w.table(
            [
                Column("Exhibit", 18 * mm),
                Column("Item", 50 * mm),
                Column("Acquired", 46 * mm),
                Column("SHA-256", WIDTH - 114 * mm, MONO_SMALL),
            ],
            [
                (
                    ex.ref,
                    f"{it.name}\nfrom {it.source}",
                    fmt.both(it.acquired_at_utc, ctx.local_tz),
                    it.sha256,
                )
                for ex, it in others
            ],
        )
    w.heading("Signature", 2)
    w.fields([("Signature of the maker", None), ("Date", None), ("Signature witnessed by", None)])
    w.para(
        f"Fields marked {FOR_COMPLETION} are completed by hand when the statement is signed.",
        SMALL_GREY,
    )


def device_continuity(ctx: BundleContext, dev: DeviceCustody) -> str:
    """A device's receipt and return in the statement's words (issue 13 §5), with the time
    from receipt to return."""
    what = dev.description or "a device"
    text = (
        f"At {fmt.both(dev.received_at, ctx.local_tz)} {dev.received_by} received {what} "
        f"({dev.device_id}) from {dev.received_from}."
    )
    if dev.notice_sha256:
        text += (
            f" The holder's signed notice of agreement ({dev.notice_name}) is held as item "
            f"SHA-256 {dev.notice_sha256}."
        )
    if dev.identity:
        facts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(dev.identity.items()))
        text += f" The device identified itself as: {facts}."
    if dev.scope is not None and dev.scope.limits_anything:
        text += f" The holder agreed to the examination of: {dev.scope.words()}."
    if dev.returned_at:
        text += (
            f" At {fmt.both(dev.returned_at, ctx.local_tz)} {dev.returned_by} returned it to "
            f"{dev.returned_to}. Time from receipt to return: {held_words(dev.held_seconds)}."
        )
    else:
        text += " It had not been returned when this file was made."
    return text

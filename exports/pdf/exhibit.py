"""An exhibit's label page and its rendering (MG_BUNDLE.md part 4)."""

from __future__ import annotations

from reportlab.lib.units import mm  # type: ignore[import-untyped]

from exports.context import BundleContext, ExhibitView
from exports.pdf import fmt
from exports.pdf._fonts import BOLD
from exports.pdf.common import exhibit_dates, item_rows, native_path, statement_name
from exports.pdf.layout import (
    BODY,
    FOR_COMPLETION,
    LEFT,
    MARKER,
    MONO_SMALL,
    SMALL,
    SMALL_GREY,
    TOP,
    WIDTH,
    Column,
    Style,
    Writer,
)
from exports.pdf.thread import participants, source_letters, write_messages

_KINDS = {
    "item": "an acquired file, produced as it was acquired",
    "thread": "a whole conversation, printed in full; the chosen messages are highlighted",
    "messages": "messages chosen by the examiner, printed with their sender, time and locator",
}


def label_text(ctx: BundleContext, ex: ExhibitView) -> str:
    """'Exhibit JS/1 referred to in the statement of Jane Smith dated …'."""
    name = fmt.examiner_name(ctx.examiners, ex.producer_initials).rsplit(" (", 1)[0]
    return f"Exhibit {ex.ref} referred to in the statement of {name} dated "


def write_label(w: Writer, ctx: BundleContext, ex: ExhibitView) -> None:
    """The label page: reference, description, producer, statement, natives and signatures."""
    w.y = TOP - 12 * mm
    big = Style(BOLD, 40, 46)
    w.text(LEFT, w.y - 14, "EXHIBIT", Style(BOLD, 14, 18, (0.38, 0.38, 0.38)))
    w.y -= 20
    w.text(LEFT, w.y - big.size, ex.ref, big)
    w.y -= big.leading + 12
    w.para(label_text(ctx, ex), Style(BOLD, 12, 16), after=0)
    w.para(None, Style(BOLD, 12, 16), after=10)
    w.fields(
        [
            ("Description", ex.description),
            ("What it is", _KINDS.get(ex.kind, ex.kind)),
            ("Date range covered", _dates(ctx, ex)),
            ("Producer", fmt.examiner_name(ctx.examiners, ex.producer_initials)),
            ("Producing statement", statement_name(ctx, ex.producer_initials)),
            ("Why produced", ex.reason or None),
            ("Reference assigned", fmt.both(ex.assigned_at_utc, ctx.local_tz)),
            ("Custody ledger entry", f"seq {ex.ledger_seq} (exhibit.assigned)"),
        ]
    )
    w.heading("Native originals (in this folder, native/)", 3)
    w.table(
        [Column("File", 70 * mm), Column("SHA-256", WIDTH - 70 * mm, MONO_SMALL)],
        [(native_path(ex, it).split("/native/", 1)[1], it.sha256) for it in ex.items],
    )
    w.para(
        "rendered.pdf in this folder prints the exhibit: "
        + ("its metadata." if ex.kind == "item" else "every message with its time and locator."),
        SMALL_GREY,
    )
    w.heading("Signatures and continuity", 3)
    w.table(
        [
            Column("Signed by", 50 * mm),
            Column("Date and time", 40 * mm),
            Column("Received from / passed to", WIDTH - 90 * mm),
        ],
        [(None, None, None)] * 3,
        zebra=False,
    )


def _dates(ctx: BundleContext, ex: ExhibitView) -> str | None:
    return exhibit_dates(ex, ctx.local_tz)


def write_rendered(w: Writer, ctx: BundleContext, ex: ExhibitView) -> None:
    """The exhibit printed: its facts, then every message (threads) or the item's metadata."""
    w.heading(f"Exhibit {ex.ref} · {ex.description}", 1)
    w.para(
        f"Producer {fmt.examiner_name(ctx.examiners, ex.producer_initials)}  ·  "
        f"{statement_name(ctx, ex.producer_initials)}  ·  {_KINDS.get(ex.kind, ex.kind)}",
        SMALL_GREY,
        after=6,
    )
    if ex.kind == "item" or not ex.messages:
        _write_items(w, ctx, ex)
        return
    letters = source_letters(ex)
    w.table(
        [
            Column("Source", 14 * mm),
            Column("Native original (in native/)", 66 * mm),
            Column("SHA-256", WIDTH - 80 * mm, MONO_SMALL),
        ],
        [(f"[{letters[it.sha256]}]", f"{it.name}\n{it.path}", it.sha256) for it in ex.items]
        + [
            (f"[{letter}]", "another item of the case (not produced here)", sha)
            for sha, letter in letters.items()
            if sha not in {it.sha256 for it in ex.items}
        ],
    )
    chosen = sum(1 for m in ex.messages if m.highlighted)
    titles = sorted({m.thread_title for m in ex.messages if m.thread_title})
    w.fields(
        [
            ("Conversation", ", ".join(titles) or ", ".join(ex.thread_ids) or None),
            ("Messages", f"{len(ex.messages):,} printed, {chosen:,} chosen (shaded yellow)"),
            ("Date range", _dates(ctx, ex)),
            (
                "Participants",
                "\n".join(f"{name}: {n:,} messages" for name, n in participants(ex.messages)),
            ),
            (
                "Times",
                f"Local time in {ctx.local_tz} with the zone (GMT or BST), then UTC. "
                "Flags in orange say where a time, date order or text had to be assumed "
                "or was changed in the source.",
            ),
            ("Locators", "[letter] and the line, offset or pointer in that native original."),
        ]
    )
    write_messages(w, ex, ctx.local_tz)
    w.space(6)
    w.para(f"End of exhibit {ex.ref}: {len(ex.messages):,} messages.", SMALL_GREY)


def _write_items(w: Writer, ctx: BundleContext, ex: ExhibitView) -> None:
    for it in ex.items:
        w.heading(it.name, 2)
        w.fields(item_rows(ctx, it))
        kind = "image" if it.mime.startswith("image/") else "file"
        w.para(
            f"The {kind} itself is not printed here. Its native original, byte for byte as "
            f"acquired, is in this exhibit's folder: {native_path(ex, it)}. Its SHA-256 above "
            "lets anyone check that copy.",
            BODY,
        )
    if not ex.items:
        w.para(FOR_COMPLETION, MARKER)
    w.para(f"Reason produced: {ex.reason}" if ex.reason else None, SMALL)

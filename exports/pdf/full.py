"""Full-file forms: MG1, MG4, MG5, MG9, MG10 and the digital strategy record.

MG4 charge wording and the MG5 narrative are the officer's to write: these are structured
drafts with every field the case knows filled and the rest marked for completion.
"""

from __future__ import annotations

from reportlab.lib.units import mm  # type: ignore[import-untyped]

from exports.context import BundleContext
from exports.pdf import fmt
from exports.pdf.common import intro, statement_path
from exports.pdf.layout import BODY, BODY_BOLD, SMALL, SMALL_GREY, WIDTH, Column, Writer
from exports.pdf.mg3 import (
    course_of_conduct,
    digital_strategy,
    investigation,
    officer_text,
    risk_line,
)
from exports.pdf.mg11 import statement_makers


def write_mg1(w: Writer, ctx: BundleContext, contents: list[tuple[str, str]]) -> None:
    """The file front sheet; `contents` is (path, title) of every part in bundle order."""
    intro(w, ctx, "MG1 · File front sheet")
    d = ctx.details
    w.fields(
        [
            ("Defendant", d.suspect),
            ("Offences", "\n".join(o.title for o in d.offences) or None),
            ("Officer in the case", officer_text(d)),
            ("Victim", d.victim),
            ("Custody or bail status", None),
            ("First hearing (court, date)", None),
            ("Anticipated plea", "not guilty (full file)"),
            ("Special measures or witness needs", None),
            ("Supervisor's check", None),
        ]
    )
    w.heading("Contents of this file", 2)
    w.table(
        [Column("Document", WIDTH - 80 * mm), Column("Path in the bundle", 80 * mm)],
        [(title, path) for path, title in contents],
    )


def write_mg4(w: Writer, ctx: BundleContext) -> None:
    intro(
        w,
        ctx,
        "MG4 · Charges (draft)",
        "The charge wording is entered by the officer after the charging decision.",
    )
    if not ctx.details.offences:
        w.fields([("Charge", None)])
    for n, off in enumerate(ctx.details.offences, 1):
        w.heading(f"Charge {n}: {off.title}", 2)
        w.fields(
            [
                ("Legislation", off.legislation),
                ("Charge wording", None),
                ("Date(s) of offence", None),
                ("Points to prove", "\n".join(off.points_to_prove) or None),
            ]
        )


def write_mg5(w: Writer, ctx: BundleContext) -> None:
    intro(
        w,
        ctx,
        "MG5 · Case summary (structured draft)",
        "Filled with what the case record shows, in time order; the balanced narrative is "
        "the officer's to write.",
    )
    d = ctx.details
    w.fields([("Defendant", d.suspect), ("Victim", d.victim), ("Narrative summary", None)])
    course_of_conduct(w, ctx)
    investigation(w, ctx)
    w.heading("Restraining order", 2)
    ro = d.restraining_order
    w.para(
        "The prosecution will ask the court to make a restraining order to protect the victim; "
        "the proposed terms are in the MG13 draft."
        if ro.proposed
        else None,
        BODY,
    )
    w.fields([("Victim's views", ro.victim_views), ("Risk assessment", risk_line(ctx))])
    w.heading("Interview", 2)
    w.fields([("Interview summary (MG15)", None)])


def write_mg9(w: Writer, ctx: BundleContext) -> None:
    intro(w, ctx, "MG9 · Witness list")
    rows: list[tuple[str | None, str, str | None, str | None]] = [
        (ctx.details.victim, "victim", None, None)
    ]
    for e in statement_makers(ctx):
        rows.append((e.name, "exhibit producer and continuity", statement_path(e.initials), None))
    rows.append((officer_text(ctx.details), "officer in the case", None, None))
    w.table(
        [
            Column("Witness", 50 * mm),
            Column("Role", 40 * mm),
            Column("Statement", 50 * mm),
            Column("Required at trial", WIDTH - 140 * mm),
        ],
        rows,
    )


def write_mg10(w: Writer, ctx: BundleContext) -> None:
    intro(w, ctx, "MG10 · Witness non-availability")
    names = [ctx.details.victim] + [e.name for e in statement_makers(ctx)]
    w.table(
        [Column("Witness", 60 * mm), Column("Dates not available", WIDTH - 60 * mm)],
        [(n, None) for n in names],
    )


def write_digital_strategy(w: Writer, ctx: BundleContext) -> None:
    intro(
        w,
        ctx,
        "Digital strategy record",
        "The scope of the digital examination and why it is reasonable and proportionate "
        "(DG6), as recorded in the case.",
    )
    digital_strategy(w, ctx)
    w.heading("What was acquired", 2)
    counts = ", ".join(f"{k}: {v:,}" for k, v in sorted(ctx.counts.items())) or "not recorded"
    w.para(counts, BODY)
    sources = sorted(
        {it.source for ex in ctx.exhibits for it in ex.items} | {u.item.source for u in ctx.unused}
    )
    w.para("Devices and accounts the acquired items came from:", BODY_BOLD, after=1)
    w.bullets(sources or ["none"])
    scope = [
        e
        for e in ctx.ledger.entries
        if str(e.get("action", "")).startswith(("details.", "scope.", "strategy."))
    ]
    w.heading("Scope decisions in the custody ledger", 2)
    if not scope:
        w.para("None in the ledger extract.", SMALL_GREY)
    for e in scope:
        w.para(
            f"seq {e.get('seq')} · {fmt.utc_text(str(e.get('at')))} · {e.get('action')}",
            SMALL,
        )
    investigation(w, ctx)

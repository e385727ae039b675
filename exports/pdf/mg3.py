"""MG3 – report for a charging decision (MG_BUNDLE.md part 1)."""

from __future__ import annotations

from reportlab.lib.units import mm  # type: ignore[import-untyped]

from exports.context import BundleContext, CaseDetails, PersonTimelineView
from exports.pdf import fmt
from exports.pdf.chart import weekly_chart
from exports.pdf.common import intro
from exports.pdf.layout import (
    BODY_BOLD,
    FOR_COMPLETION,
    SMALL,
    SMALL_BOLD,
    SMALL_GREY,
    WIDTH,
    Column,
    Writer,
)


def officer_text(details: CaseDetails) -> str | None:
    o = details.officer
    if not any((o.name, o.rank, o.number, o.station)):
        return None
    parts = [
        o.rank or "rank " + FOR_COMPLETION,
        o.name or "name " + FOR_COMPLETION,
        f"no. {o.number}" if o.number else None,
        o.station,
    ]
    return ", ".join(p for p in parts if p)


def case_fields(w: Writer, ctx: BundleContext) -> None:
    d = ctx.details
    w.fields(
        [
            ("URN", ctx.urn),
            ("Case", ctx.title),
            ("Suspect", d.suspect),
            ("Victim", d.victim),
            ("Officer in the case", officer_text(d)),
        ]
    )


def offences(w: Writer, ctx: BundleContext) -> None:
    w.heading("Proposed offences and points to prove", 2)
    if not ctx.details.offences:
        w.para(None)
        return
    for n, off in enumerate(ctx.details.offences, 1):
        w.para(f"{n}. {off.title}", BODY_BOLD)
        w.fields([("Legislation", off.legislation)])
        if off.points_to_prove:
            w.bullets(off.points_to_prove)
        else:
            w.fields([("Points to prove", None)])


def _channels(t: PersonTimelineView) -> str | None:
    return ", ".join(f"{p}: {n:,}" for p, n in t.by_platform) or None


def course_of_conduct(w: Writer, ctx: BundleContext) -> None:
    w.heading("Course of conduct", 2)
    tz = ctx.local_tz
    counts = ", ".join(f"{k}: {v:,}" for k, v in sorted(ctx.counts.items()))
    w.para(
        f"Everything acquired in the case: {counts or 'no counts recorded'}. Times are shown in "
        f"{tz} local time with the zone (GMT or BST) and in UTC.",
        SMALL_GREY,
    )
    if not ctx.timelines:
        w.para("No contact from an alias group was found in the acquired material.")
        return
    w.table(
        [
            Column("Alias group (suspected person)", 38 * mm),
            Column("First contact", 32 * mm),
            Column("Last contact", 32 * mm),
            Column("Contacts by channel", 36 * mm),
            Column("Trend", WIDTH - 138 * mm),
        ],
        [
            (
                t.label or f"group {t.group_id}",
                fmt.short(t.first_contact_utc, tz) or "none",
                fmt.short(t.last_contact_utc, tz) or "none",
                _channels(t) or "none",
                t.trend,
            )
            for t in ctx.timelines
        ],
    )
    for t in ctx.timelines:
        label = t.label or f"group {t.group_id}"
        chart = weekly_chart(t.weeks)
        w.need(chart.height + 30)
        w.heading(f"Contact per week: {label}", 3)
        w.drawing(chart)
        peak = max(t.weeks, key=lambda k: k.messages + k.calls, default=None)
        total = sum(k.messages + k.calls for k in t.weeks)
        threats = sum(k.threats for k in t.weeks)
        summary = f"{total:,} contacts over {len(t.weeks)} weeks, {threats:,} judged threatening."
        if peak is not None and total:
            summary += (
                f" Busiest week: beginning {peak.week_start}, {peak.messages + peak.calls:,}."
            )
        w.para(f"{summary} Trend: {t.trend}", SMALL)
        if t.key_excerpts:
            w.table(
                [
                    Column("Sent (local)", 34 * mm),
                    Column("From", 30 * mm),
                    Column("Message", WIDTH - 86 * mm, SMALL),
                    Column("Exhibit", 22 * mm),
                ],
                [
                    (
                        fmt.local_text(m.sent_at_utc, tz) or m.sent_at_raw,
                        m.sender_display or m.sender_identifier or "unknown sender",
                        m.text,
                        ref or "not exhibited",
                    )
                    for m, ref in t.key_excerpts
                ],
            )


def investigation(w: Writer, ctx: BundleContext) -> None:
    d = ctx.details
    w.heading("Investigation", 2)
    w.heading("Reasonable lines of enquiry pursued (including any that may assist the defence)", 3)
    w.bullets(d.lines_of_enquiry, or_missing=True)
    w.heading("Lines of enquiry not pursued, and why", 3)
    w.bullets(d.lines_not_pursued, or_missing=True)


def digital_strategy(w: Writer, ctx: BundleContext) -> None:
    s = ctx.details.digital_strategy
    w.heading("Digital strategy (DG6: scope of the examination)", 2)
    dates = None
    if s.date_from or s.date_to:
        dates = f"{s.date_from or FOR_COMPLETION} to {s.date_to or FOR_COMPLETION}"
    w.fields(
        [
            ("Sources examined", fmt.joined(list(s.sources), "\n")),
            ("Capture method", s.capture_method),
            ("Date range", dates),
            ("Parties", fmt.joined(list(s.parties))),
            ("Keywords applied", fmt.joined(list(s.keywords), ", ")),
            ("Why these keywords", s.keywords_reason),
            ("Why reasonable and proportionate", s.proportionality),
        ]
    )


def review(w: Writer, ctx: BundleContext) -> None:
    """How much of the material was reviewed, and how (issue 15 §3)."""
    w.heading("Review of the material", 2)
    items = ctx.counts.get("items")
    of = f" of {items:,}" if items is not None else ""
    how = ", ".join(f"{t} {n:,}" for t, n in sorted(ctx.review_counts.items())) or "none"
    w.fields(
        [
            ("Items reviewed (tagged)", f"{ctx.reviewed_items:,}{of}"),
            ("How (items per tag)", how),
            ("Messages tagged one by one", f"{ctx.tagged_messages:,}"),
            (
                "Unused material not yet reviewed",
                f"{sum(1 for u in ctx.unused if not u.tags):,} of {len(ctx.unused):,} items "
                "(listed as such on the MG6C)",
            ),
        ]
    )
    w.heading("Lines of enquiry searched", 3)
    if not ctx.searches:
        w.para("No saved search was run.")
        return
    names = {e.key_id: f"{e.name} ({e.initials})" for e in ctx.examiners}
    w.table(
        (
            Column("Query", 50 * mm, SMALL_BOLD),
            Column("Last run (UTC)", 38 * mm, SMALL),
            Column("By", 38 * mm, SMALL),
            Column("Hits", 16 * mm, SMALL),
            Column("Runs", 14 * mm, SMALL),
            Column("Ledger entry", WIDTH - 156 * mm, SMALL),
        ),
        [
            (
                s.query,
                fmt.utc_text(s.at) or s.at,
                names.get(s.examiner, s.examiner),
                f"{s.hits:,}",
                f"{s.runs:,}",
                f"#{s.ledger_seq}",
            )
            for s in ctx.searches
        ],
    )


def outstanding(w: Writer, ctx: BundleContext) -> None:
    w.heading("Outstanding evidence", 2)
    if not ctx.details.outstanding:
        w.para(None)
        return
    w.table(
        [
            Column("Evidence outstanding", WIDTH - 112 * mm),
            Column("Type", 30 * mm),
            Column("Target date", 30 * mm),
            Column("Owner", 52 * mm),
        ],
        [(o.description, o.evidence_type, o.target_date, o.owner) for o in ctx.details.outstanding],
    )


def restraining_order(w: Writer, ctx: BundleContext) -> None:
    ro = ctx.details.restraining_order
    w.heading("Restraining order (stalking protocol)", 2)
    w.fields(
        [
            ("Order proposed", fmt.yes_no(ro.proposed)),
            ("Victim's views", ro.victim_views),
            ("Proposed prohibitions", fmt.joined(list(ro.prohibitions), "\n")),
            ("Exclusion areas", fmt.joined(list(ro.exclusion_areas), "\n")),
            ("Duration", ro.duration),
            ("Risk assessment", risk_line(ctx)),
            ("Draft order", "MG13 draft in this bundle (10_MG13_restraining_order_draft.pdf)"),
        ]
    )


def risk_line(ctx: BundleContext) -> str:
    done = [
        f"{r.form} on {r.date or 'date not recorded'}, outcome {r.outcome or 'not recorded'}"
        for r in ctx.details.risk
    ]
    if not done:
        return "not completed"
    return "; ".join(done) + " (record not for disclosure, part 6)"


def write_mg3(w: Writer, ctx: BundleContext) -> None:
    """Fill the MG3 from the context."""
    intro(
        w,
        ctx,
        "MG3 · Report for a charging decision",
        "Prepared from the case record by the evidence workstation. Values the case does not "
        f"hold are marked {FOR_COMPLETION}; nothing here is inferred.",
    )
    case_fields(w, ctx)
    offences(w, ctx)
    w.heading("Summary of the key evidence and the officer's assessment", 2)
    w.para(None)
    course_of_conduct(w, ctx)
    investigation(w, ctx)
    digital_strategy(w, ctx)
    review(w, ctx)
    outstanding(w, ctx)
    restraining_order(w, ctx)
    w.heading("Victim personal statement", 2)
    v = ctx.details.vps
    w.fields([("Offered", fmt.yes_no(v.offered)), ("Taken", fmt.yes_no(v.taken))])

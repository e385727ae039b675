"""Alias analysis, risk assessment, VPS, MG6, MG13 and MG6E (parts 5–10)."""

from __future__ import annotations

from reportlab.lib.units import mm  # type: ignore[import-untyped]

from exports.context import BundleContext, LinkView, OutstandingItem, RiskAssessment
from exports.pdf import fmt
from exports.pdf.common import intro
from exports.pdf.layout import (
    BODY,
    BODY_BOLD,
    FOR_COMPLETION,
    SMALL,
    SMALL_GREY,
    WIDTH,
    Column,
    Writer,
)
from exports.pdf.mg3 import officer_text, risk_line

RISK_FORMS = {"S-DASH": 11, "DASH": 27}


def _decided(link: LinkView, tz: str) -> str | None:
    if not link.decided_by:
        return None
    when = fmt.both(link.decided_at_utc, tz) if link.decided_at_utc else "time not recorded"
    return f"{link.decided_by}, {when}"


def write_alias_analysis(w: Writer, ctx: BundleContext) -> None:
    """Part 5: who is behind which account, with the reasons and the examiner's decisions."""
    intro(
        w,
        ctx,
        "Alias analysis",
        "The workstation suggests that two accounts belong to one person when they share an "
        "identifier, a name or a picture; it never groups accounts by itself. A group is made "
        "only of links an examiner confirmed on the record. Scores run from 0 to 1.",
    )
    names = {a.id: f"{a.display} [{a.platform}]" for g in ctx.alias_groups for a in g.accounts}
    if not ctx.alias_groups:
        w.para("No alias group has been confirmed.", BODY)
    for group in ctx.alias_groups:
        w.heading(group.label or f"Unlabelled group {group.id}", 2)
        w.table(
            [
                Column("Platform", 22 * mm),
                Column("Account as shown", 50 * mm),
                Column("Identifiers", 52 * mm),
                Column("Account id", WIDTH - 124 * mm),
            ],
            [(a.platform, a.display, "\n".join(a.identifiers), a.id) for a in group.accounts],
        )
        w.para("Confirmed links", BODY_BOLD, after=1)
        _links(w, group.links, names, ctx.local_tz, "Confirmed by, when")
    w.heading("Suggestions rejected by an examiner", 2)
    if ctx.rejected_links:
        _links(w, ctx.rejected_links, names, ctx.local_tz, "Rejected by, when")
    else:
        w.para("None.", BODY)


def _links(
    w: Writer, links: tuple[LinkView, ...], names: dict[str, str], tz: str, who: str
) -> None:
    if not links:
        w.para("None.", SMALL)
        return
    w.table(
        [
            Column("Account", 36 * mm),
            Column("Linked to", 36 * mm),
            Column("Score", 16 * mm),
            Column("Reasons (and the examiner's note)", WIDTH - 128 * mm),
            Column(who, 40 * mm),
        ],
        [
            (
                names.get(link.a, link.a),
                names.get(link.b, link.b),
                f"{link.score:.2f} {link.strength}",
                "\n".join(link.reasons) + (f"\nNote: {link.note}" if link.note else ""),
                _decided(link, tz),
            )
            for link in links
        ],
    )


def write_risk(w: Writer, ctx: BundleContext) -> None:
    """Part 6: S-DASH / DASH answers by number and topic (never the licensed wording)."""
    intro(
        w,
        ctx,
        "Risk assessment record (S-DASH / DASH)",
        "The checklists are licensed texts and are not reproduced: answers are recorded by "
        "question number and a short topic of our own.",
    )
    done: dict[str, RiskAssessment] = {r.form: r for r in ctx.details.risk}
    for form, questions in RISK_FORMS.items():
        w.heading(f"{form} ({questions} questions)", 2)
        record = done.get(form)
        if record is None:
            w.para(f"{form}: not completed. No answers are recorded in the case.", BODY_BOLD)
            continue
        w.fields(
            [
                ("Assessor", record.assessor),
                ("Date", record.date),
                ("Outcome", record.outcome),
                ("Answers recorded", f"{len(record.answers)} of {questions}"),
            ]
        )
        if record.answers:
            w.table(
                [
                    Column("No.", 12 * mm),
                    Column("Topic", 62 * mm),
                    Column("Answer", 20 * mm),
                    Column("Detail", WIDTH - 94 * mm),
                ],
                [
                    (str(a.number), a.topic, a.answer, a.detail or "")
                    for a in sorted(record.answers, key=lambda a: a.number)
                ],
            )


def write_vps(w: Writer, ctx: BundleContext) -> None:
    """Part 7: whether a victim personal statement was offered and taken."""
    intro(w, ctx, "Victim personal statement")
    v = ctx.details.vps
    w.fields(
        [
            ("Victim", ctx.details.victim),
            ("VPS offered", fmt.yes_no(v.offered)),
            ("VPS taken", fmt.yes_no(v.taken)),
            ("Date taken", v.date),
        ]
    )
    if v.item_sha256:
        where = [ex.ref for ex in ctx.exhibits if any(i.sha256 == v.item_sha256 for i in ex.items)]
        w.para(
            f"The statement was acquired as the item with SHA-256 {v.item_sha256}"
            + (f"; it is produced as exhibit {', '.join(where)}." if where else "."),
            BODY,
        )
    elif v.taken:
        w.para("The statement was taken but has not been acquired into the case.", BODY)
    else:
        w.para("No statement is attached.", BODY)


def write_mg6(w: Writer, ctx: BundleContext) -> None:
    """Part 8: case file information for the prosecutor only."""
    intro(w, ctx, "MG6 · Case file information")
    m = ctx.details.mg6
    w.fields(
        [
            ("Officer in the case", officer_text(ctx.details)),
            ("Victim safety", m.victim_safety),
            ("Sensitive locations", m.sensitive_locations),
            ("Risk assessment", risk_line(ctx)),
            ("Other information", m.notes),
        ]
    )
    w.heading("Pending platform requests", 2)
    _outstanding(w, list(m.platform_requests))
    w.heading("Missing items with target dates", 2)
    _outstanding(w, list(ctx.details.outstanding))
    sensitive = sum(1 for u in ctx.unused if u.sensitive)
    w.para(f"Sensitive unused material: {sensitive} item(s), listed on the MG6D draft.", BODY)


def _outstanding(w: Writer, items: list[OutstandingItem]) -> None:
    if not items:
        w.para("None recorded.", BODY)
        return
    w.table(
        [
            Column("What", WIDTH - 110 * mm),
            Column("Type", 30 * mm),
            Column("Target date", 30 * mm),
            Column("Owner", 50 * mm),
        ],
        [(o.description, o.evidence_type, o.target_date, o.owner) for o in items],
    )


def write_mg13(w: Writer, ctx: BundleContext) -> None:
    """Part 10: the restraining-order draft; the accounts named come from the alias analysis."""
    intro(
        w,
        ctx,
        "MG13 · Application for a restraining order (draft)",
        "A draft for the officer and the prosecutor. Prohibitions are the officer's proposal; "
        "the accounts listed are those the alias analysis attributes to the suspect.",
    )
    ro = ctx.details.restraining_order
    d = ctx.details
    w.fields(
        [
            ("Defendant", d.suspect),
            ("Person to be protected", d.victim),
            ("Order sought", fmt.yes_no(ro.proposed)),
            ("Duration", ro.duration),
            ("Victim's views", ro.victim_views),
            ("Risk assessment", risk_line(ctx)),
        ]
    )
    w.heading("Proposed prohibitions", 2)
    w.bullets([f"{n}. {p}" for n, p in enumerate(ro.prohibitions, 1)], or_missing=True)
    w.heading("Exclusion areas", 2)
    w.bullets(ro.exclusion_areas, or_missing=True)
    w.heading("Platforms and accounts used to contact the victim", 2)
    rows = [
        (g.label or g.id, a.platform, a.display, ", ".join(a.identifiers))
        for t in ctx.timelines
        for g in ctx.alias_groups
        if g.id == t.group_id
        for a in g.accounts
    ]
    if rows:
        w.table(
            [
                Column("Alias group", 44 * mm),
                Column("Platform", 24 * mm),
                Column("Account", 50 * mm),
                Column("Identifiers", WIDTH - 118 * mm),
            ],
            rows,
        )
    else:
        w.para("No contacting account is attributed in the alias analysis.", BODY)
    w.heading("Supporting evidence", 2)
    w.para(", ".join(ex.ref for ex in ctx.exhibits) or "No exhibits produced.", BODY)
    w.fields([("Officer's rationale for the conditions", None), ("Signed", None), ("Date", None)])


def write_mg6e(w: Writer, ctx: BundleContext) -> None:
    """Full file: the disclosure officer's report, with what the case can count."""
    intro(w, ctx, "MG6E · Disclosure officer's report (draft)")
    plain = sum(1 for u in ctx.unused if not u.sensitive)
    sensitive = len(ctx.unused) - plain
    w.fields(
        [
            ("Disclosure officer", None),
            ("Non-sensitive unused items (MG6C draft)", str(plain)),
            ("Sensitive unused items (MG6D draft)", str(sensitive)),
            ("Material that might undermine the prosecution or assist the defence", None),
            ("Certification", None),
            ("Signed", None),
            ("Date", None),
        ]
    )
    w.para(
        f"Entries marked {FOR_COMPLETION} need the disclosure officer's own review; the "
        "workstation does not judge relevance to the defence.",
        SMALL_GREY,
    )

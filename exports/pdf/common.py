"""Blocks several forms share: the opening of a form, exhibit paths and item facts."""

from __future__ import annotations

import re

from exports.context import LAYOUT, BundleContext, ExhibitView, ItemView
from exports.pdf import fmt
from exports.pdf.layout import SMALL_GREY, Writer

FILE_TYPES = {
    "pre-charge": "Pre-charge file (for the charging decision)",
    "full": "Full file (anticipated not-guilty plea)",
}


def intro(w: Writer, ctx: BundleContext, title: str, note: str | None = None) -> None:
    """The form's name, the case line and an optional note on what the form is."""
    w.heading(title, 1)
    w.para(
        f"{ctx.title}  ·  URN {ctx.urn}  ·  {FILE_TYPES[ctx.file_type]}  ·  generated "
        f"{fmt.utc_text(ctx.generated_at_utc)}",
        SMALL_GREY,
    )
    if note:
        w.para(note, SMALL_GREY, after=6)


def native_path(ex: ExhibitView, item: ItemView) -> str:
    """Where the exhibit's native original sits in the bundle (LAYOUT exhibit_native).

    The same rule as exports.gather.native_path, which places the file (a test holds them
    equal): the name with anything but letters, digits and ``._+@-`` as ``_``, at most 80.
    """
    name = re.sub(r"[^A-Za-z0-9._+@-]+", "_", item.name).lstrip(".") or "file"
    return LAYOUT["exhibit_native"].format(
        ref=fmt.ref_path(ex.ref), sha256_12=item.sha256[:12], name=name[:80]
    )


def rendered_path(ex: ExhibitView) -> str:
    return str(LAYOUT["exhibit_rendered"]).format(ref=fmt.ref_path(ex.ref))


def label_path(ex: ExhibitView) -> str:
    return str(LAYOUT["exhibit_label"]).format(ref=fmt.ref_path(ex.ref))


def statement_path(initials: str) -> str:
    return str(LAYOUT["MG11"]).format(initials=initials)


def statement_name(ctx: BundleContext, initials: str) -> str:
    """'MG11 of Jane Smith (JS)'."""
    return f"MG11 of {fmt.examiner_name(ctx.examiners, initials)}"


def exhibit_dates(ex: ExhibitView, tz: str) -> str | None:
    if ex.date_from_utc or ex.date_to_utc:
        return fmt.date_range(ex.date_from_utc, ex.date_to_utc, tz)
    if ex.messages:
        times = [m.sent_at_utc for m in ex.messages if m.sent_at_utc]
        if times:
            return fmt.date_range(min(times), max(times), tz)
    return None


def item_rows(ctx: BundleContext, item: ItemView) -> list[tuple[str, str | None]]:
    """The facts of one acquired item, as label/value rows."""
    rows: list[tuple[str, str | None]] = [
        ("File name", item.name),
        ("Path as acquired", item.path),
        ("SHA-256", item.sha256),
        ("Size", fmt.size_text(item.size)),
        ("Type", item.mime),
        ("Acquired", fmt.both(item.acquired_at_utc, ctx.local_tz)),
        ("Acquired by", fmt.examiner_name(ctx.examiners, item.acquired_by)),
        ("From (device or account)", item.source or None),
        ("Reason recorded", item.reason or None),
        ("Custody ledger entry", f"seq {item.ledger_seq} (item.acquired)"),
    ]
    if item.parent_sha256:
        rows.append(("Extracted from archive", f"SHA-256 {item.parent_sha256}"))
    if item.extractors:
        rows.append(("Extractors run", ", ".join(item.extractors)))
    if item.warnings:
        rows.append(("Warnings recorded", "\n".join(item.warnings)))
    return rows

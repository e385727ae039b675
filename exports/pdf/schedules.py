"""The lists: index and integrity page, MG12 exhibit list, MG6C and MG6D unused material."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from reportlab.lib.units import mm  # type: ignore[import-untyped]

from exports.context import BundleContext, UnusedView
from exports.pdf import fmt
from exports.pdf.common import (
    FILE_TYPES,
    exhibit_dates,
    intro,
    label_path,
    native_path,
    statement_name,
)
from exports.pdf.layout import BODY, MONO_SMALL, SMALL, SMALL_GREY, WIDTH, Column, Writer


class FileLine(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def title(self) -> str: ...


def write_index(w: Writer, ctx: BundleContext, files: Sequence[FileLine]) -> None:
    """Part 0: what the bundle is and every file in it with its SHA-256."""
    w.heading("Index and integrity page", 1)
    w.fields(
        [
            ("URN", ctx.urn),
            ("Case", ctx.title),
            ("File type", FILE_TYPES[ctx.file_type]),
            ("Generated (UTC)", fmt.utc_text(ctx.generated_at_utc)),
            (
                "Generated (local)",
                f"{fmt.local_text(ctx.generated_at_utc, ctx.local_tz)} ({ctx.local_tz})",
            ),
            ("Tool", ctx.tool),
            ("Bundle id", ctx.bundle_id),
            ("Case id", ctx.case_id),
            (
                "Custody ledger",
                f"{ctx.ledger.tree_size:,} entries, Merkle root {ctx.ledger.root}",
            ),
        ]
    )
    w.para(
        "Every file of this bundle is listed below with its SHA-256, in bundle order. The "
        "signed manifest.json lists the same hashes; VERIFY.txt explains how to check them by "
        "hand (sha256sum) and `ews verify-bundle` checks them all, with the signatures and "
        "the custody ledger proofs. This index cannot list its own hash; the manifest does.",
        SMALL,
    )
    exhibits = sum(1 for f in files if f.path.startswith("04_exhibits/"))
    w.para(f"{len(files):,} files, of which {exhibits:,} under 04_exhibits/.", SMALL_GREY)
    w.table(
        [
            Column("Path in the bundle, and what it is", WIDTH - 111 * mm),
            Column("Bytes", 16 * mm),
            Column("SHA-256", 95 * mm, MONO_SMALL),
        ],
        [(f"{f.path}\n{f.title}", f"{f.size:,}", f.sha256) for f in files],
    )


def write_mg12(w: Writer, ctx: BundleContext) -> None:
    """Part 3: every exhibit, traceable to its producing statement and native original."""
    intro(
        w,
        ctx,
        "MG12 · Exhibit list",
        "Locations are paths inside this bundle. 'Native' is the file as acquired, byte for "
        "byte; 'rendered' is the workstation's printed reading of it.",
    )
    if not ctx.exhibits:
        w.para("No exhibits have been produced.", BODY)
        return
    w.table(
        [
            Column("Ref", 12 * mm, SMALL),
            Column("Description", 36 * mm),
            Column("Dates covered", 21 * mm),
            Column("Producer / statement", 22 * mm),
            Column("Location in the bundle", 40 * mm),
            Column("SHA-256 (native)", 27 * mm, MONO_SMALL),
            Column("Native or rendered", WIDTH - 158 * mm),
        ],
        (
            (
                ex.ref,
                ex.description,
                exhibit_dates(ex, ctx.local_tz) or "not applicable",
                f"{ex.producer_initials}\n{statement_name(ctx, ex.producer_initials)}",
                "\n".join(
                    [label_path(ex).rsplit("/", 1)[0] + "/", "label.pdf", "rendered.pdf"]
                    + [native_path(ex, it).split("/", 2)[2] for it in ex.items]
                ),
                "\n".join(it.sha256 for it in ex.items),
                "native, and a metadata sheet"
                if ex.kind == "item"
                else "native, and rendered in full",
            )
            for ex in ctx.exhibits
        ),
    )


def review_text(u: UnusedView) -> str:
    """How the examiner reviewed an unused item, for the MG6C's last column."""
    if not u.tags:
        return "Not yet reviewed"
    if u.not_relevant_reason is not None:
        others = [t for t in u.tags if t != "not-relevant"]
        more = f" (also tagged {', '.join(others)})" if others else ""
        return f"Not relevant: {u.not_relevant_reason}{more}"
    return f"Reviewed: {', '.join(u.tags)}"


def write_unused(w: Writer, ctx: BundleContext, sensitive: bool) -> None:
    """Part 9: MG6C (non-sensitive) or MG6D (sensitive) draft schedule."""
    items = [u for u in ctx.unused if u.sensitive == sensitive]
    if sensitive:
        intro(
            w,
            ctx,
            "MG6D · Schedule of sensitive unused material (draft)",
            "Acquired items not used as exhibits that the examiner flagged as sensitive, with "
            "the reason. The disclosure officer reviews every entry.",
        )
    else:
        intro(
            w,
            ctx,
            "MG6C · Schedule of non-sensitive unused material (draft)",
            "Every acquired item not used as an exhibit and not flagged sensitive, numbered, "
            "described and located. Items are held in the case's write-once evidence store.",
        )
    if not sensitive and ctx.outside_scope:
        counted = "; ".join(f"{d}: {n} records" for d, n in sorted(ctx.outside_scope.items()))
        w.para(
            "Material outside the agreed scope (PCSC Act 2022 s.37): records acquired from a "
            "device that fall outside the parties, time or apps its holder agreed to are kept "
            f"in the case but not examined further and not exhibited ({counted}).",
            BODY,
        )
    if not sensitive:
        unreviewed = sum(1 for u in items if not u.tags)
        w.para(
            "Review: each entry says how the examiner reviewed it, with the reason given when "
            f"it was found not relevant. {unreviewed:,} of {len(items):,} entries are not yet "
            "reviewed and are listed as such.",
            BODY,
        )
    if not items:
        w.para("None.", BODY)
        return
    last = (
        [Column("Reason it is sensitive", 40 * mm)]
        if sensitive
        else [Column("Review (reason if not relevant)", 34 * mm), Column("CPS use", 14 * mm)]
    )
    w.table(
        [
            Column("No.", 10 * mm),
            Column(
                "Description and summary of contents",
                WIDTH - 104 * mm - sum(c.width for c in last),
            ),
            Column("Item and source", 40 * mm),
            Column("Location", 24 * mm),
            Column("SHA-256", 30 * mm, MONO_SMALL),
            *last,
        ],
        (
            (
                str(u.number),
                u.description,
                f"{u.item.name}\nfrom {u.item.source}\nacquired "
                f"{fmt.utc_text(u.item.acquired_at_utc)} by {u.item.acquired_by}",
                f"evidence store, item {u.item.id[:8]}…; ledger seq {u.item.ledger_seq}",
                u.item.sha256,
                *(((u.sensitive_reason or ""),) if sensitive else (review_text(u), "")),
            )
            for u in items
        ),
    )
    w.para(f"{len(items):,} entries.", SMALL_GREY)

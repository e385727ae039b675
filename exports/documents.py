"""The bundle's PDF documents, rendered from a BundleContext only (MG_BUNDLE.md).

``render_parts`` returns every PDF except the index, in bundle order; ``render_index``
renders the index and integrity page once the other files' hashes are known. The same
context always gives the same bytes: reportlab's invariant mode, the PDF dates taken from
``generated_at_utc``, embedded font subsets, no random ids.

Exhibits are the bulk of a large bundle (hundreds of thousands of messages), so when there
are many they are rendered by two forked worker processes while this process renders the
forms; ``EWS_EXPORT_IN_PROCESS=1`` keeps everything in this process (same bytes either way).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from exports.context import LAYOUT, BundleContext, ExaminerView, ExhibitView
from exports.pdf._fonts import fonts
from exports.pdf.common import label_path, rendered_path, statement_path
from exports.pdf.exhibit import write_label, write_rendered
from exports.pdf.full import (
    write_digital_strategy,
    write_mg1,
    write_mg4,
    write_mg5,
    write_mg9,
    write_mg10,
)
from exports.pdf.layout import Meta, Writer
from exports.pdf.ledger import write_ledger
from exports.pdf.mg3 import write_mg3
from exports.pdf.mg11 import statement_makers, write_mg11
from exports.pdf.records import (
    write_alias_analysis,
    write_mg6,
    write_mg6e,
    write_mg13,
    write_risk,
    write_vps,
)
from exports.pdf.schedules import write_index, write_mg12, write_unused

Progress = Callable[[int, int], None]

#: Bundles with at least this many messages in exhibits use the worker processes.
POOL_MIN_MESSAGES = 20_000
POOL_WORKERS = 2


@dataclass(frozen=True)
class Document:
    path: str  # LAYOUT path, e.g. "01_MG3_report_for_charging_decision.pdf"
    title: str  # "MG3 – Report for a charging decision"
    part: str  # "MG3", "MG11", "exhibit_label", …
    data: bytes
    for_disclosure: bool = True


@dataclass(frozen=True)
class FileEntry:
    """One file of the bundle as the index lists it."""

    path: str
    sha256: str
    size: int
    title: str


@dataclass(frozen=True)
class _Plan:
    part: str
    path: str
    title: str
    for_disclosure: bool
    fill: Callable[[Writer, BundleContext], None] | None  # None: an exhibit document
    exhibit: int = -1


def _meta(ctx: BundleContext, title: str, for_disclosure: bool) -> Meta:
    return Meta(title, ctx.urn, ctx.bundle_id, ctx.generated_at_utc, ctx.tool, for_disclosure)


def _render(ctx: BundleContext, plan: _Plan) -> bytes:
    w = Writer()
    if plan.fill is None:
        ex = ctx.exhibits[plan.exhibit]
        (write_label if plan.part == "exhibit_label" else write_rendered)(w, ctx, ex)
    else:
        plan.fill(w, ctx)
    return w.render(_meta(ctx, plan.title, plan.for_disclosure))


def _mg11(examiner: ExaminerView) -> Callable[[Writer, BundleContext], None]:
    def fill(w: Writer, ctx: BundleContext) -> None:
        # The declaration states the page count, known after a first layout.
        pages = 1
        for _ in range(3):
            trial = Writer()
            write_mg11(trial, ctx, examiner, pages)
            if trial.page_count == pages:
                break
            pages = trial.page_count
        write_mg11(w, ctx, examiner, pages)

    return fill


def _exhibit_plans(ctx: BundleContext) -> list[_Plan]:
    plans = []
    for n, ex in enumerate(ctx.exhibits):
        plans.append(
            _Plan("exhibit_label", label_path(ex), f"Exhibit {ex.ref} – label", True, None, n)
        )
        plans.append(
            _Plan(
                "exhibit_rendered", rendered_path(ex), f"Exhibit {ex.ref} – rendered", True, None, n
            )
        )
    return plans


def plan_parts(ctx: BundleContext) -> list[_Plan]:
    """Every document of the bundle except the index, in bundle order."""

    def p(part: str, title: str, fill: Callable[[Writer, BundleContext], None]) -> _Plan:
        return _Plan(part, LAYOUT[part], title, part not in _NOT_FOR_DISCLOSURE, fill)

    mg3 = p("MG3", "MG3 – Report for a charging decision", write_mg3)
    mg11 = [
        _Plan(
            "MG11",
            statement_path(e.initials),
            f"MG11 – Statement of {e.name} ({e.initials})",
            True,
            _mg11(e),
        )
        for e in statement_makers(ctx)
    ]
    mg12 = p("MG12", "MG12 – Exhibit list", write_mg12)
    alias = p("alias_analysis", "Alias analysis", write_alias_analysis)
    risk = p("risk", "Risk assessment record (S-DASH / DASH)", write_risk)
    vps = p("vps", "Victim personal statement", write_vps)
    mg6 = p("MG6", "MG6 – Case file information", write_mg6)
    mg6c = p(
        "MG6C",
        "MG6C – Unused material, non-sensitive (draft)",
        lambda w, c: write_unused(w, c, sensitive=False),
    )
    mg6d = p(
        "MG6D",
        "MG6D – Unused material, sensitive (draft)",
        lambda w, c: write_unused(w, c, sensitive=True),
    )
    mg13 = p("MG13", "MG13 – Restraining order (draft)", write_mg13)
    ledger = p("ledger_pdf", "Custody ledger appendix", write_ledger)
    exhibits = _exhibit_plans(ctx)
    if ctx.file_type != "full":
        return [mg3, *mg11, mg12, *exhibits, alias, risk, vps, mg6, mg6c, mg6d, mg13, ledger]
    rest = [
        p("MG4", "MG4 – Charges (draft)", write_mg4),
        p("MG5", "MG5 – Case summary (draft)", write_mg5),
        mg6,
        p("MG9", "MG9 – Witness list", write_mg9),
        p("MG10", "MG10 – Witness non-availability", write_mg10),
        *mg11,
        vps,
        mg12,
        *exhibits,
        alias,
        mg13,
        mg6c,
        mg6d,
        p("MG6E", "MG6E – Disclosure officer's report (draft)", write_mg6e),
        p("digital_strategy", "Digital strategy record", write_digital_strategy),
        risk,
        ledger,
    ]
    contents = [(LAYOUT["index"], INDEX_TITLE)]
    for x in [mg3, *rest]:
        if x.fill is not None:
            contents.append((x.path, x.title))
        elif x.exhibit == 0 and x.part == "exhibit_label":
            contents.append(
                (
                    "04_exhibits/",
                    f"Exhibits ({len(ctx.exhibits)}), each with a label, a rendering and the "
                    "native originals, in MG12 order",
                )
            )
    mg1 = p("MG1", "MG1 – File front sheet", lambda w, c: write_mg1(w, c, contents))
    contents.insert(1, (mg1.path, mg1.title))
    return [mg1, mg3, *rest]


_NOT_FOR_DISCLOSURE = frozenset(("risk", "MG6", "MG6D", "MG6E"))
INDEX_TITLE = "Index and integrity page"

# The context a forked worker renders from (set in the parent just before the fork).
_WORKER_CTX: BundleContext | None = None


def _work(task: tuple[int, _Plan]) -> tuple[int, bytes]:
    assert _WORKER_CTX is not None
    return task[0], _render(_WORKER_CTX, task[1])


def _use_pool(ctx: BundleContext) -> bool:
    if os.environ.get("EWS_EXPORT_IN_PROCESS") == "1" or (os.cpu_count() or 1) < 2:
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    return sum(len(ex.messages) for ex in ctx.exhibits) >= POOL_MIN_MESSAGES


def _cost(ex: ExhibitView) -> int:
    return len(ex.messages) + 10 * len(ex.items)


def render_parts(ctx: BundleContext, progress: Progress | None = None) -> list[Document]:
    """Render every PDF of the bundle except the index, in bundle order.

    Args:
        ctx: the case, gathered; nothing else is read.
        progress: called with (documents done, documents in all) as each one is rendered.
    """
    plans = plan_parts(ctx)
    total = len(plans)
    out: list[bytes | None] = [None] * total
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    pooled = [i for i, pl in enumerate(plans) if pl.fill is None] if _use_pool(ctx) else []
    if pooled:
        # Largest exhibits first, so the two workers finish together.
        pooled.sort(key=lambda i: -_cost(ctx.exhibits[plans[i].exhibit]))
        global _WORKER_CTX
        _WORKER_CTX = ctx
        fonts()  # registered once, inherited by the workers
        try:
            with multiprocessing.get_context("fork").Pool(POOL_WORKERS) as pool:
                results = pool.imap_unordered(_work, [(i, plans[i]) for i in pooled], 16)
                for i, pl in enumerate(plans):
                    if pl.fill is not None:
                        out[i] = _render(ctx, pl)
                        tick()
                for i, data in results:
                    out[i] = data
                    tick()
        finally:
            _WORKER_CTX = None
    for i, pl in enumerate(plans):
        if out[i] is None:
            out[i] = _render(ctx, pl)
            tick()
    return [
        Document(pl.path, pl.title, pl.part, data, pl.for_disclosure)
        for pl, data in zip(plans, out, strict=True)
        if data is not None
    ]


def render_index(ctx: BundleContext, files: Sequence[FileEntry]) -> bytes:
    """Render the index and integrity page listing `files` (every other file of the bundle)."""
    w = Writer()
    write_index(w, ctx, files)
    return w.render(_meta(ctx, INDEX_TITLE, True))


__all__ = ["Document", "FileEntry", "plan_parts", "render_index", "render_parts"]

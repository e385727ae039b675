"""The bundle's PDFs from a hand-made context: order, chrome on every page, markers, banding."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from exports import gather
from exports.context import LAYOUT, BundleContext
from exports.documents import Document, FileEntry, render_index, render_parts
from exports.pdf.common import native_path
from exports.pdf.layout import FOR_COMPLETION, NOT_FOR_DISCLOSURE
from tests.exports.sample_context import bare_context, sample_context

MARK = FOR_COMPLETION


def pdf_pages(data: bytes, tmp: Path, mode: str = "-layout") -> list[str]:
    """The text of each page, in order: laid out (-layout) or in drawing order (-raw)."""
    src = tmp / "doc.pdf"
    src.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", mode, str(src), "-"], check=True, capture_output=True
    ).stdout.decode()
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def flat(text: str) -> str:
    """Text with all whitespace removed (hashes and paths wrap across lines)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pre() -> tuple[BundleContext, list[Document]]:
    ctx = sample_context("pre-charge")
    return ctx, render_parts(ctx)


@pytest.fixture(scope="module")
def full() -> tuple[BundleContext, list[Document]]:
    ctx = sample_context("full")
    return ctx, render_parts(ctx)


@pytest.fixture(scope="module")
def texts(
    pre: tuple[BundleContext, list[Document]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[str]]:
    tmp = tmp_path_factory.mktemp("text")
    return {d.path: pdf_pages(d.data, tmp) for d in pre[1]}


def exhibit_paths(ctx: BundleContext) -> list[str]:
    out = []
    for ex in ctx.exhibits:
        ref = ex.ref.replace("/", "-")
        out += [f"04_exhibits/{ref}/label.pdf", f"04_exhibits/{ref}/rendered.pdf"]
    return out


def test_pre_charge_parts_in_bundle_order(pre: tuple[BundleContext, list[Document]]) -> None:
    ctx, docs = pre
    expected = [
        LAYOUT["MG3"],
        "02_MG11_statement_JS.pdf",
        "02_MG11_statement_AK.pdf",
        LAYOUT["MG12"],
        *exhibit_paths(ctx),
        LAYOUT["alias_analysis"],
        LAYOUT["risk"],
        LAYOUT["vps"],
        LAYOUT["MG6"],
        LAYOUT["MG6C"],
        LAYOUT["MG6D"],
        LAYOUT["MG13"],
        LAYOUT["ledger_pdf"],
    ]
    assert [d.path for d in docs] == expected
    assert all(d.data.startswith(b"%PDF-") for d in docs)
    assert not any(d.path.startswith("full/") for d in docs)


def test_full_file_parts_in_bundle_order(full: tuple[BundleContext, list[Document]]) -> None:
    ctx, docs = full
    expected = [
        LAYOUT["MG1"],
        LAYOUT["MG3"],
        LAYOUT["MG4"],
        LAYOUT["MG5"],
        LAYOUT["MG6"],
        LAYOUT["MG9"],
        LAYOUT["MG10"],
        "02_MG11_statement_JS.pdf",
        "02_MG11_statement_AK.pdf",
        LAYOUT["vps"],
        LAYOUT["MG12"],
        *exhibit_paths(ctx),
        LAYOUT["alias_analysis"],
        LAYOUT["MG13"],
        LAYOUT["MG6C"],
        LAYOUT["MG6D"],
        LAYOUT["MG6E"],
        LAYOUT["digital_strategy"],
        LAYOUT["risk"],
        LAYOUT["ledger_pdf"],
    ]
    assert [d.path for d in docs] == expected


def test_same_context_same_bytes(pre: tuple[BundleContext, list[Document]]) -> None:
    ctx, docs = pre
    again = render_parts(sample_context("pre-charge"))
    assert [d.data for d in again] == [d.data for d in docs]
    files = [
        FileEntry(d.path, hashlib.sha256(d.data).hexdigest(), len(d.data), d.title) for d in docs
    ]
    assert render_index(ctx, files) == render_index(sample_context("pre-charge"), files)
    # the PDF's own dates are the export time, not the time of rendering
    assert b"D:20240514093000+00'00'" in docs[0].data


def test_worker_processes_render_the_same_bytes(
    pre: tuple[BundleContext, list[Document]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import exports.documents as documents

    ctx, docs = pre
    monkeypatch.setattr(documents, "POOL_MIN_MESSAGES", 1)
    monkeypatch.delenv("EWS_EXPORT_IN_PROCESS", raising=False)
    assert documents._use_pool(ctx) or (documents.os.cpu_count() or 1) < 2
    seen: list[tuple[int, int]] = []
    pooled = render_parts(ctx, progress=lambda done, total: seen.append((done, total)))
    assert [d.data for d in pooled] == [d.data for d in docs]
    assert seen == [(n, len(docs)) for n in range(1, len(docs) + 1)]


def test_every_page_has_urn_bundle_id_title_and_page_x_of_y(
    pre: tuple[BundleContext, list[Document]], texts: dict[str, list[str]]
) -> None:
    ctx, docs = pre
    for d in docs:
        pages = texts[d.path]
        assert pages, d.path
        for n, page in enumerate(pages, 1):
            where = f"{d.path} page {n}"
            assert f"URN {ctx.urn}" in page, where
            assert ctx.bundle_id in page, where
            assert f"Page {n} of {len(pages)}" in page, where
            assert d.title[:30] in page, where


def test_not_for_disclosure_band_only_where_it_belongs(
    pre: tuple[BundleContext, list[Document]],
    full: tuple[BundleContext, list[Document]],
    tmp_path: Path,
) -> None:
    withheld = {"risk", "MG6", "MG6D", "MG6E"}
    for _, docs in (pre, full):
        for d in docs:
            pages = pdf_pages(d.data, tmp_path)
            banded = [NOT_FOR_DISCLOSURE in p for p in pages]
            if d.part in withheld:
                assert not d.for_disclosure and all(banded), d.path
                assert d.path.startswith("not_for_disclosure/")
            else:
                assert d.for_disclosure and not any(banded), d.path


def test_every_page_has_content_when_rasterised(
    pre: tuple[BundleContext, list[Document]],
    full: tuple[BundleContext, list[Document]],
    tmp_path: Path,
) -> None:
    from PIL import Image

    ctx, docs = pre
    files = [FileEntry(d.path, "0" * 64, len(d.data), d.title) for d in docs]
    everything = [
        *docs,
        *full[1],
        Document("00_index.pdf", "index", "index", render_index(ctx, files)),
    ]
    for k, d in enumerate(everything):
        src = tmp_path / f"{k}.pdf"
        src.write_bytes(d.data)
        subprocess.run(
            ["pdftoppm", "-r", "20", "-gray", "-png", str(src), str(tmp_path / f"p{k}")], check=True
        )
        pngs = sorted(tmp_path.glob(f"p{k}-*.png"))
        assert pngs, d.path
        for png in pngs:
            img = Image.open(png).convert("L")
            w, h = img.size
            # the content area, below the header rule and above the footer rule
            body = img.crop((0, int(h * 0.09), w, int(h * 0.92)))
            dark = sum(body.histogram()[:200])
            assert dark > 20, f"{d.path}: {png.name} is blank"


def test_missing_details_are_marked_for_completion(tmp_path: Path) -> None:
    ctx = bare_context("full")
    docs = {d.part + d.path: d for d in render_parts(ctx)}
    mg3 = "\n".join(pdf_pages(docs["MG3" + LAYOUT["MG3"]].data, tmp_path))
    for label in ("Suspect", "Victim", "Officer in the case", "Capture method", "Keywords applied"):
        line = next(ln for ln in mg3.splitlines() if ln.strip().startswith(label))
        assert MARK in line, label
    assert mg3.count(MARK) >= 15
    risk = "\n".join(pdf_pages(docs["risk" + LAYOUT["risk"]].data, tmp_path))
    assert "S-DASH: not completed" in risk and "DASH: not completed" in risk
    mg4 = "\n".join(pdf_pages(docs["MG4" + LAYOUT["MG4"]].data, tmp_path))
    assert MARK in mg4


def test_partly_filled_details(texts: dict[str, list[str]]) -> None:
    mg3 = "\n".join(texts[LAYOUT["MG3"]])
    # filled values are printed, missing ones marked, none invented
    assert "s.4A Protection from Harassment Act 1997" in mg3
    assert "Subscriber details for +44 7700 900321" in mg3 and "2024-06-14" in mg3
    keywords = next(ln for ln in mg3.splitlines() if "Keywords applied" in ln)
    assert MARK in keywords
    points = [ln for ln in mg3.splitlines() if "Points to prove" in ln]
    assert points and MARK in points[0]  # the second offence has none recorded
    assert "Duration" in mg3 and re.search(r"Duration\s+\[For completion", mg3)
    risk = "\n".join(texts[LAYOUT["risk"]])
    assert "DASH: not completed" in risk and "11 of 11" in risk
    assert "victim very frightened" in risk


def test_mg3_course_of_conduct(
    pre: tuple[BundleContext, list[Document]], texts: dict[str, list[str]]
) -> None:
    ctx, _ = pre
    mg3 = "\n".join(texts[LAYOUT["MG3"]])
    for t in ctx.timelines:
        assert f"Contact per week: {t.label}" in mg3
        assert t.trend.split(":")[0] in mg3
    assert "whatsapp: 238" in mg3
    assert "JS/1" in mg3 and "JS/2" in mg3  # key excerpts carry exhibit refs
    assert "messages and calls per week" in mg3  # the chart's legend


def test_weekly_chart_shows_every_week() -> None:
    from exports.pdf.chart import weekly_chart

    t = sample_context().timelines[0]
    chart = next(c for c in weekly_chart(t.weeks).contents if hasattr(c, "data"))
    contacts = [w.messages + w.calls for w in t.weeks]
    assert chart.data[0] == contacts and contacts[-1] > 5 * contacts[0]
    assert chart.valueAxis.valueMax >= max(contacts)


def test_mg11_statement(
    texts: dict[str, list[str]], pre: tuple[BundleContext, list[Document]], tmp_path: Path
) -> None:
    ctx, docs = pre
    js = "\n".join(texts["02_MG11_statement_JS.pdf"])
    raw = flat("\n".join(pdf_pages(docs[1].data, tmp_path, "-raw")))
    pages = len(texts["02_MG11_statement_JS.pdf"])
    assert f"This statement has {pages} pages" in js
    assert "section 9, Criminal Justice Act 1967" in js
    assert "best of my knowledge and belief" in js and "wilfully stated" in js
    assert re.search(r"Signature\s+\[For completion", js)
    assert ctx.examiners[0].key_id in raw
    for ex in ctx.exhibits:
        if ex.producer_initials == "JS":
            assert f"Exhibit {ex.ref}:" in js
            for it in ex.items:
                assert it.sha256 in raw
    assert "GMT" in js or "BST" in js  # local times with the zone
    assert "whatsapp_txt@1.2" in js  # the extraction run
    assert "AK/1" not in js.split("another examiner produces")[0]


def test_mg12_traces_every_exhibit(
    pre: tuple[BundleContext, list[Document]], tmp_path: Path
) -> None:
    ctx, docs = pre
    mg12_doc = next(d for d in docs if d.part == "MG12")
    mg12 = flat("\n".join(pdf_pages(mg12_doc.data, tmp_path, "-raw")))
    for ex in ctx.exhibits:
        ref = ex.ref.replace("/", "-")
        assert ex.ref in mg12
        assert f"04_exhibits/{ref}/label.pdfrendered.pdf" in mg12
        for it in ex.items:
            assert it.sha256 in mg12
            assert native_path(ex, it).split("/", 2)[2] in mg12
            assert native_path(ex, it) == gather.native_path(ex.ref, it)


def test_label_and_thread_rendering(
    pre: tuple[BundleContext, list[Document]], texts: dict[str, list[str]]
) -> None:
    ctx, _ = pre
    label = "\n".join(texts["04_exhibits/JS-1/label.pdf"])
    assert "Exhibit JS/1 referred to in the statement of Jane Smith dated" in label
    assert MARK in label
    thread = "\n".join(texts["04_exhibits/JS-1/rendered.pdf"])
    ex = ctx.exhibits[0]
    numbers = set(int(n) for n in re.findall(r"#(\d+)\b", thread))
    assert numbers == set(range(1, len(ex.messages) + 1))  # the whole thread, in context
    assert thread.count("CHOSEN") == sum(m.highlighted for m in ex.messages)
    assert "time assumed (Europe/London)" in thread
    assert "deleted" in thread and "edited" in thread
    assert "Mon 04 Mar 2024 22:03:51 GMT" in thread and "(22:03:51 UTC)" in thread
    assert "BST" in thread  # after the clock change
    assert "[A] line 2" in thread and "Hannah Price ‹Hannah›" in thread
    sms = "\n".join(texts["04_exhibits/JS-2/rendered.pdf"])
    assert "date order assumed" in sms and "time as recorded" in sms
    item = "\n".join(texts["04_exhibits/JS-3/rendered.pdf"])
    assert "native/" in item and "image/png" in item


def test_alias_analysis_and_ledger(texts: dict[str, list[str]]) -> None:
    alias = "\n".join(texts[LAYOUT["alias_analysis"]])
    assert "Daniel Cole (suspect)" in alias and "Unlabelled group g3" in alias
    assert "perceptual hash distance 2" in alias
    assert "Suggestions rejected" in alias and "musician" in alias
    ledger = "\n".join(texts[LAYOUT["ledger_pdf"]])
    assert "Signed checkpoint" in ledger and "How to verify" in ledger
    assert "exhibit.assigned" in ledger and "item.acquired" in ledger


def test_index_lists_every_file(pre: tuple[BundleContext, list[Document]], tmp_path: Path) -> None:
    ctx, docs = pre
    files = [
        FileEntry(d.path, hashlib.sha256(d.data).hexdigest(), len(d.data), d.title) for d in docs
    ]
    text = "\n".join(pdf_pages(render_index(ctx, files), tmp_path))
    assert "Pre-charge file" in text and ctx.bundle_id in text and ctx.tool in text
    assert "BST" in text  # generated time, local, with the zone
    compact = flat("\n".join(pdf_pages(render_index(ctx, files), tmp_path, "-raw")))
    for f in files:
        assert f.sha256 in compact and flat(f.path) in compact


def rendered_with_first_message(text: str, tmp: Path) -> tuple[bytes, str]:
    """The sample's first thread exhibit, its first message's text replaced: the PDF and
    its text as pdftotext reads it back."""
    from dataclasses import replace

    ctx = sample_context()
    ex = ctx.exhibits[0]
    msgs = list(ex.messages)
    msgs[0] = replace(msgs[0], text=text)
    ctx = replace(ctx, exhibits=(replace(ex, messages=tuple(msgs)), *ctx.exhibits[1:]))
    doc = next(d for d in render_parts(ctx) if d.path == "04_exhibits/JS-1/rendered.pdf")
    return doc.data, "\n".join(pdf_pages(doc.data, tmp))


def test_text_outside_latin_is_printed_or_named(tmp_path: Path) -> None:
    _, text = rendered_with_first_message("Привет Ханна あ \x07bell", tmp_path)
    assert "Привет Ханна" in text
    assert "[U+3042 HIRAGANA LETTER A]" in text


def test_emoji_are_drawn_from_the_symbol_font_or_named(tmp_path: Path) -> None:
    from exports.pdf._fonts import fonts

    # A knife and a skull (Unicode 6), and a face Symbola lacks (Unicode 11).
    data, text = rendered_with_first_message(
        "watch out \U0001f52a\U0001f480 ok \U0001f97a", tmp_path
    )
    assert "[U+1F97A FACE WITH PLEADING EYES]" in text  # no font here draws it: named
    if fonts().symbols is None:  # no Symbola on this machine (scripts/bootstrap.sh installs it)
        assert "[U+1F52A HOCHO]" in text
    else:
        assert "watch out \U0001f52a\U0001f480 ok" in text  # drawn, and extractable as text
        assert b"Symbola" in data and "[U+1F52A" not in text


@pytest.mark.parametrize("file_type", ["pre-charge", "full"])
def test_an_empty_case_still_renders_every_part(file_type: str, tmp_path: Path) -> None:
    from dataclasses import replace

    from exports.context import CaseDetails, LedgerExtract

    ctx = replace(
        sample_context(file_type),  # type: ignore[arg-type]
        details=CaseDetails(),
        exhibits=(),
        unused=(),
        alias_groups=(),
        rejected_links=(),
        timelines=(),
        ledger=LedgerExtract((), {}, 0, "0" * 64),
        counts={},
    )
    docs = render_parts(ctx)
    assert not any(d.part.startswith("exhibit") for d in docs)
    mg12 = "\n".join(pdf_pages(next(d.data for d in docs if d.part == "MG12"), tmp_path))
    assert "No exhibits have been produced." in mg12
    mg3 = "\n".join(pdf_pages(docs[0 if file_type == "pre-charge" else 1].data, tmp_path))
    assert "No contact from an alias group" in mg3

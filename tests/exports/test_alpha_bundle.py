"""The quality bar of the bundle issue, on case-alpha: an examiner confirms the suspect's
strong links, exhibits his chats and a screenshot, records the case details and exports the
pre-charge file. Every part of MG_BUNDLE.md is there in order, every page of every PDF has
ink, each exhibit leads from MG12 to its native original and its proven ledger entry, the
course-of-conduct chart rises as the data does, and the standalone verifier passes it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.db import read_connection
from chain_of_custody.keys import Signer, load_identity
from exports import verify_bundle
from exports.context import LAYOUT
from exports.details import load_details_file, set_details
from exports.exhibits import assign_exhibit
from workstation import aliases, timeline
from workstation.export import ExportSummary, export_case

ROOT = Path(__file__).resolve().parents[2]
AT = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
SUSPECT_CHAT = "whatsapp:+44 7700 900987"

# The pre-charge parts of MG_BUNDLE.md, in order (0-11; the VPS is 7).
PRE_CHARGE = [
    LAYOUT["index"],
    LAYOUT["MG3"],
    LAYOUT["MG11"].format(initials="JS"),
    LAYOUT["MG12"],
    "04_exhibits/",
    LAYOUT["alias_analysis"],
    LAYOUT["risk"],
    LAYOUT["vps"],
    LAYOUT["MG6"],
    LAYOUT["MG6C"],
    LAYOUT["MG6D"],
    LAYOUT["MG13"],
    LAYOUT["ledger_pdf"],
]


@dataclass
class Bundle:
    summary: ExportSummary
    folder: Path
    group_id: str


@pytest.fixture(scope="module")
def bundle(
    alpha_template: Path, signer: Signer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bundle]:
    import shutil

    work = tmp_path_factory.mktemp("alpha-bundle")
    shutil.copytree(alpha_template, work / "case")
    case = Case.open(work / "case")
    try:
        report = aliases.analyse(case)
        suspect = next(s for s in report.suggestions if SUSPECT_CHAT.replace(" ", "") in s.a + s.b)
        component = report.strong_component(suspect.a)
        for s in report.suggestions:  # the examiner confirms the strong links among his accounts
            if s.strength == "strong" and s.a in component and s.b in component:
                aliases.decide(case, signer, s.a, s.b, "confirm", "checked against the sources")
        group = next(g for g in aliases.groups(case) if suspect.a in g.accounts)
        aliases.label(case, signer, group.id, "Suspect A (Daniel Mercer)")
        assign_exhibit(case, signer, "thread", [SUSPECT_CHAT], "WhatsApp chat, +44 7700 900987")
        assign_exhibit(case, signer, "thread", ["whatsapp:Dan"], "WhatsApp chat with 'Dan'")
        with read_connection(case.engine) as conn:
            shot = conn.execute(
                sa.select(T_ITEM.c.sha256).where(T_ITEM.c.name.like("Screenshot_20240412%"))
            ).scalar_one()
        assign_exhibit(case, signer, "item", [shot], "Screenshot of SMS, 12 April 2024")
        set_details(case, signer, load_details_file(ROOT / "docs" / "case-details.example.toml"))
        summary = export_case(case, signer, file_type="pre-charge", out=work / "out", at=AT)
        yield Bundle(summary, summary.folder, group.id)
    finally:
        case.close()


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_every_pre_charge_part_is_there_in_mg_order(bundle: Bundle) -> None:
    files = _files(bundle.folder)
    positions = []
    for part in PRE_CHARGE:
        found = [i for i, f in enumerate(files) if f == part or f.startswith(part)]
        assert found, f"missing part {part}"
        positions.append(found[0])
    # the parts for disclosure come in MG order; those withheld sit in their own folder
    shown = [p for part, p in zip(PRE_CHARGE, positions, strict=True) if "not_for" not in part]
    assert shown == sorted(shown)
    assert all(f.startswith("not_for_disclosure/") for f in files if "MG6D" in f or "risk" in f)


def _pages_have_ink(pdf: Path, out: Path) -> int:
    prefix = out / pdf.stem
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(prefix)], check=True)
    pages = sorted(out.glob(f"{pdf.stem}-*.png"))
    for png in pages:
        with Image.open(png) as im:
            lo, _hi = im.convert("L").getextrema()
        assert lo < 128, f"{pdf.name}: page {png.name} is blank"
    return len(pages)


def test_every_page_of_every_pdf_has_ink(bundle: Bundle, tmp_path: Path) -> None:
    pdfs = sorted(bundle.folder.rglob("*.pdf"))
    assert len(pdfs) >= 12
    pages = 0
    for i, pdf in enumerate(pdfs):
        out = tmp_path / str(i)
        out.mkdir()
        pages += _pages_have_ink(pdf, out)
    assert pages > len(pdfs)


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_each_exhibit_leads_from_mg12_to_its_native_and_its_ledger_entry(bundle: Bundle) -> None:
    mg12 = _text(bundle.folder / LAYOUT["MG12"])
    listed = json.loads((bundle.folder / "exhibits.json").read_text(encoding="utf-8"))
    entries = {
        e["seq"]: e
        for e in json.loads((bundle.folder / LAYOUT["ledger_json"]).read_text(encoding="utf-8"))
    }
    assert [e["ref"] for e in listed["exhibits"]] == ["JS/1", "JS/2", "JS/3"]
    for ex in listed["exhibits"]:
        assert ex["ref"] in mg12
        assert entries[ex["ledger_seq"]]["action"] == "exhibit.assigned"
        for native in ex["natives"]:
            assert (bundle.folder / native["path"]).is_file()
            acquired = entries[native["item_acquired_seq"]]
            assert acquired["action"] == "item.acquired"
            assert acquired["data"]["sha256"] == native["sha256"]
            assert native["sha256"][:16] in mg12.replace("\n", "").replace(" ", "")


def test_the_course_of_conduct_shows_the_escalation_in_the_data(
    bundle: Bundle, alpha_template: Path
) -> None:
    mg3 = _text(bundle.folder / LAYOUT["MG3"])
    assert "Suspect A (Daniel Mercer)" in mg3
    assert "rising" in mg3
    with Case.open(bundle.folder.parents[1] / "case") as case:
        person = next(
            p for p in timeline.build(case).as_json()["groups"] if p["id"] == bundle.group_id
        )
    weeks = [w["messages"] for w in person["per_week"]]
    assert person["trend"]["slope_per_week"] > 0
    assert sum(weeks[len(weeks) // 2 :]) > 2 * sum(weeks[: len(weeks) // 2])


def test_the_standalone_verifier_passes_the_bundle(bundle: Bundle) -> None:
    identity = load_identity("JS")  # the recipient names the signer they expect
    assert identity is not None
    trusted = {identity.fingerprint: "JS"}
    report = verify_bundle.verify(str(bundle.summary.zip_path), trusted=trusted)
    assert report.ok, [c for c in report.checks if not c.ok]


def test_mg11_prints_the_key_fingerprint_in_groups_of_four(bundle: Bundle) -> None:
    """The fingerprint a recipient reads out by telephone, as `verify-bundle` prints it."""
    identity = load_identity("JS")
    assert identity is not None
    fp = identity.fingerprint
    groups = [fp[i : i + 4] for i in range(0, 64, 4)]
    text = _text(bundle.summary.folder / "02_MG11_statement_JS.pdf")
    assert "Key fingerprint (SHA-256)" in text
    assert " ".join(groups[:8]) in text and " ".join(groups[8:]) in text

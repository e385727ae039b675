"""Saved searches (issue 15 §1) in the bundle: the MG3's lines of enquiry searched (case-alpha)."""

from __future__ import annotations

import argparse
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer, load_identity
from exports import verify_bundle as vb
from exports.context import LAYOUT
from exports.details import set_details
from workstation import search
from workstation.export import export_case

AT = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_mg3_lists_each_saved_search_and_the_extract_holds_its_runs(
    alpha_copy: Case, signer: Signer, tmp_path: Path
) -> None:
    set_details(
        alpha_copy,
        signer,
        {"digital_strategy": {"keywords": ["gym", "zzzq"]}},
        section="digital_strategy",
    )
    search.run_saved(alpha_copy, signer)
    runs = search.run_saved(alpha_copy, signer)  # run twice: the latest is listed
    assert [(r.query, len(r.hits)) for r in runs] == [("gym", 1), ("zzzq", 0)]
    out = export_case(alpha_copy, signer, file_type="pre-charge", out=tmp_path / "out", at=AT)
    bundle = out.folder
    mg3 = _text(bundle / LAYOUT["MG3"])
    assert "Lines of enquiry searched" in mg3
    assert "No saved search was run" not in mg3
    for r in runs:
        assert f"{r.query} " in mg3
        assert f"#{r.ledger_seq}" in mg3
    assert " 1 2 #" in mg3 and " 0 2 #" in mg3  # hits, runs, entry
    entries = json.loads((bundle / LAYOUT["ledger_json"]).read_text("utf-8"))
    if isinstance(entries, dict):
        entries = entries["entries"]
    ran = [(e["data"]["query"], e["data"]["hits"]) for e in entries if e["action"] == "search.run"]
    assert ran == [("gym", 1), ("zzzq", 0), ("gym", 1), ("zzzq", 0)]
    identity = load_identity("JS")
    assert identity is not None
    args = vb.configure(argparse.ArgumentParser()).parse_args(
        [str(bundle), "--trust-fingerprint", identity.fingerprint]
    )
    lines: list[str] = []
    assert vb.run(args, lines.append) == 0, "".join(lines)


def test_mg3_says_when_no_saved_search_was_run(
    alpha_copy: Case, signer: Signer, tmp_path: Path
) -> None:
    out = export_case(alpha_copy, signer, file_type="pre-charge", out=tmp_path / "out", at=AT)
    assert "No saved search was run." in _text(out.folder / LAYOUT["MG3"])

"""The unused-material schedules and the MG3 from the review's tags (issue 15 §3), on case-alpha."""

from __future__ import annotations

import argparse
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer, load_identity
from exports import verify_bundle as vb
from exports.context import LAYOUT
from exports.exhibits import T_MESSAGE, assign_exhibit
from workstation import review
from workstation.export import export_case

AT = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
SUSPECT_CHAT = "whatsapp:+44 7700 900987"
COUSIN = "WhatsApp Chat with Daniel Mercado.txt"
SENSITIVE = "Screenshot_20240325-224408_Messenger.jpg"
REASON = "a family chat about a birthday party, no mention of the suspect"


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())  # table cells wrap: compare on words


def _squashed(text: str) -> str:
    """Without any white space: names and hashes wrap inside table cells."""
    return "".join(text.split())


def _item(case: Case, name: str) -> sa.Row[tuple[str, str]]:
    with case.engine.connect() as conn:
        return conn.execute(
            sa.select(T_ITEM.c.id, T_ITEM.c.sha256).where(
                T_ITEM.c.case_id == case.case_id, T_ITEM.c.name == name
            )
        ).one()


def _thread_of(case: Case, item_id: str) -> str:
    with case.engine.connect() as conn:
        threads = conn.execute(
            sa.select(T_MESSAGE.c.thread_id).where(T_MESSAGE.c.item_id == item_id).distinct()
        ).all()
    assert len(threads) == 1
    return str(threads[0][0])


@pytest.fixture
def bundle(alpha_copy: Case, signer: Signer, tmp_path: Path) -> Path:
    assign_exhibit(alpha_copy, signer, "thread", [SUSPECT_CHAT], "WhatsApp chat with the suspect")
    cousin = _item(alpha_copy, COUSIN)
    review.tag(alpha_copy, signer, f"thread:{_thread_of(alpha_copy, cousin.id)}", "relevant")
    review.untag(alpha_copy, signer, f"thread:{_thread_of(alpha_copy, cousin.id)}", "relevant")
    review.tag(
        alpha_copy, signer, f"thread:{_thread_of(alpha_copy, cousin.id)}", "not-relevant", REASON
    )
    shot = _item(alpha_copy, SENSITIVE)
    review.tag(alpha_copy, signer, f"item:{shot.sha256}", "sensitive", "shows the victim's home")
    summary = export_case(alpha_copy, signer, file_type="pre-charge", out=tmp_path / "out", at=AT)
    return summary.folder


def test_mg6c_mg6d_and_mg3_follow_the_review(bundle: Path, alpha_copy: Case) -> None:
    mg6c = _text(bundle / LAYOUT["MG6C"])
    assert f"Not relevant: {REASON}" in mg6c
    assert COUSIN.split()[-1] in mg6c  # the chat's file is an entry of the MG6C
    assert SENSITIVE[:26] not in _squashed(mg6c)
    unused = _unused_count(mg6c)
    assert mg6c.count("Not yet reviewed") == unused - 1
    assert f"{unused - 1:,} of {unused:,} entries are not yet reviewed" in mg6c

    assert LAYOUT["MG6D"].startswith("not_for_disclosure/")
    mg6d = _text(bundle / LAYOUT["MG6D"])
    shot = _item(alpha_copy, SENSITIVE)
    # pdftotext reads table cells column by column: look for the first line of each cell
    name, sha = SENSITIVE[:26], shot.sha256[:16]
    assert name in _squashed(mg6d) and sha in mg6d and "shows the victim's home" in mg6d
    for path in bundle.rglob("*"):
        if path.is_file() and not path.relative_to(bundle).as_posix().startswith("not_for"):
            text = _text(path) if path.suffix == ".pdf" else path.read_bytes().decode("latin-1")
            assert name not in _squashed(text) and sha not in _squashed(text), path

    mg3 = _text(bundle / LAYOUT["MG3"])
    assert "Items reviewed (tagged) 2 of" in mg3
    assert "How (items per tag) not-relevant 1, sensitive 1" in mg3


def _unused_count(mg6c: str) -> int:
    tail = mg6c.rsplit(" entries.", 1)[0].rsplit(" ", 1)[-1]
    return int(tail.replace(",", ""))


def test_the_bundle_carries_the_tag_entries_and_verifies(bundle: Path) -> None:
    entries = json.loads((bundle / LAYOUT["ledger_json"]).read_text(encoding="utf-8"))
    if isinstance(entries, dict):
        entries = entries["entries"]
    tags = [(e["action"], e["data"]["tag"]) for e in entries if e["action"].startswith("tag.")]
    assert tags == [
        ("tag.added", "relevant"),
        ("tag.removed", "relevant"),
        ("tag.added", "not-relevant"),
    ]
    identity = load_identity("JS")
    assert identity is not None
    args = vb.configure(argparse.ArgumentParser()).parse_args(
        [str(bundle), "--trust-fingerprint", identity.fingerprint]
    )
    lines: list[str] = []
    assert vb.run(args, lines.append) == 0, "".join(lines)

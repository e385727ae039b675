"""End to end through ``ews``: exhibits, details and both exports of case-alpha."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chain_of_custody.case import Case
from exports.context import LAYOUT
from workstation.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "case-details.example.toml"
#: An export time after every ledger entry the tests make: a bundle is never signed before
#: the events it records (export_case refuses an earlier --at).
AT = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_exhibits_details_and_both_exports(
    alpha_copy: Case, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    case = str(alpha_copy.folder)
    messages = _json(capsys, "messages", case)
    dan = [m for m in messages if m["thread_id"] == "whatsapp:Dan"]
    shot = next(i for i in _json(capsys, "items", case) if i["name"].startswith("Screenshot_"))

    made = _json(
        capsys, "exhibits", case, "add", "--thread", "whatsapp:+44 7700 900987",
        "--description", "WhatsApp chat with +44 7700 900987", "--reason", "threats in April",
    )  # fmt: skip
    assert made["ref"] == "JS/1" and made["kind"] == "thread"
    ids = f"{dan[3]['id']},{dan[1]['id']}"
    code, out, _ = _run(
        capsys, "exhibits", case, "add", "--messages", ids, "--description", "Two texts"
    )
    assert code == 0 and out.startswith("exhibit JS/2 assigned")
    code, out, _ = _run(
        capsys, "exhibits", case, "add", "--item", shot["sha256"], "--description", "Screenshot"
    )
    assert code == 0 and "JS/3" in out
    listed = _json(capsys, "exhibits", case)
    assert [e["ref"] for e in listed] == ["JS/1", "JS/2", "JS/3"]
    assert listed[1]["message_ids"] == sorted([dan[3]["id"], dan[1]["id"]])

    code, out, _ = _run(capsys, "details", case, "--from", str(EXAMPLE))
    assert code == 0 and "recorded" in out
    details = _json(capsys, "details", case)
    assert details["restraining_order"]["proposed"] == "yes"
    assert details["risk"][0]["form"] == "S-DASH"

    pre = _json(capsys, "export", case, "--file", "pre-charge", "--out", str(tmp_path), "--at", AT)
    assert pre["generated_at"] == AT.replace("Z", ".000000Z")
    assert pre["exhibits"] == 3 and pre["unused"] > 0
    zip_path = Path(pre["zip"])
    assert zip_path == tmp_path / f"{pre['bundle_id']}.zip"
    with zipfile.ZipFile(zip_path) as zf:
        names = {n.split("/", 1)[1] for n in zf.namelist()}
    assert len(names) == pre["files"]
    assert {LAYOUT["MG3"], LAYOUT["MG12"], LAYOUT["MG6C"], LAYOUT["risk"]} <= names

    code, out, _ = _run(capsys, "export", case, "--file", "full", "--out", str(tmp_path / "f"))
    assert code == 0 and out.startswith("bundle ") and "files" in out
    full_dir = Path(out.split("folder:")[1].strip())
    assert (full_dir / LAYOUT["MG5"]).exists() and (full_dir / LAYOUT["MG1"]).exists()
    actions = [e["action"] for e in _json(capsys, "ledger", case)]
    assert actions.count("export.created") == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["exhibits", "{case}", "add", "--thread", "nope", "--description", "x"], "no thread"),
        (["exhibits", "{case}", "add", "--description", "x"], "exactly one of"),
        (["exhibits", "{case}", "add", "--item", "ab" * 32], "needs a description"),
        (["details", "{case}", "--from", "{bad}"], "details.suspekt: unknown key"),
        (["export", "{case}", "--file", "full", "--out", "{out}", "--at", "noon"], "RFC 3339"),
        (["export", "{case}", "--file", "full", "--out", "{out}", "--at", "2026-01-01T10:00"],
         "no time zone"),
        (["export", "{case}", "--file", "full", "--out", "{out}", "--at", "2020-01-01T10:00Z"],
         "before the newest ledger entry"),
    ],
)  # fmt: skip
def test_errors_are_one_line(
    alpha_copy: Case,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    message: str,
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('suspekt = "x"\n', encoding="utf-8")
    size = alpha_copy.ledger_size()
    filled = [a.format(case=alpha_copy.folder, bad=bad, out=tmp_path / "out") for a in argv]
    code, _, err = _run(capsys, *filled)
    assert code == 1 and err.startswith("ews: error: ") and message in err
    assert err.count("\n") == 1
    assert alpha_copy.ledger_size() == size

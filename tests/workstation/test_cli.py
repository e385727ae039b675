"""The `ews` command line: documented JSON shapes, exit codes and one-line errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data.make_demo_evidence import png_bytes
from workstation.cli import main

ITEM_KEYS = {
    "id",
    "sha256",
    "size",
    "mime",
    "name",
    "path",
    "parent_sha256",
    "member",
    "acquired_at",
    "acquired_by",
    "source",
    "extractors",
    "warnings",
}
LEDGER_KEYS = {
    "seq",
    "case",
    "prev",
    "at",
    "actor",
    "action",
    "subject",
    "data",
    "entry_hash",
    "signature",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def case_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str | None) -> Path:
    folder = tmp_path / "case"
    extra = ["--db", db_url] if db_url else []
    code, out, _ = run(
        capsys,
        "init",
        str(folder),
        "--urn",
        "01AB2345678",
        "--title",
        "R v Example",
        "--examiner",
        "Jane Smith",
        "--initials",
        "JS",
        "--json",
        *extra,
    )
    assert code == 0
    info = json.loads(out)
    assert info["urn"] == "01AB2345678" and info["examiner"]["initials"] == "JS"
    return folder


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    (folder / "sub").mkdir(parents=True)
    (folder / "chat.txt").write_text("14/09/2026, 21:03 - Dan: hello\n", encoding="utf-8")
    (folder / "sub" / "photo.png").write_bytes(png_bytes(32, 48, (200, 10, 10)))
    return folder


def test_ingest_items_ledger_verify_json(
    capsys: pytest.CaptureFixture[str], case_dir: Path, evidence: Path
) -> None:
    code, out, err = run(
        capsys,
        "ingest",
        str(case_dir),
        str(evidence),
        "--source",
        "victim's iPhone 12",
        "--reason",
        "harassment report",
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["items"] == 2 and summary["resumed"] is False

    code, out, _ = run(capsys, "items", str(case_dir), "--json")
    items = json.loads(out)
    assert [i["name"] for i in items] == ["chat.txt", "photo.png"]
    for item in items:
        assert item.keys() >= ITEM_KEYS
        data = Path(item["path"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert item["size"] == len(data)
        assert item["source"] == "victim's iPhone 12"
        assert item["acquired_at"].endswith("Z")
        assert item["acquired_by_initials"] == "JS"
    assert items[1]["mime"] == "image/png"

    code, out, _ = run(capsys, "ledger", str(case_dir), "--json")
    ledger = json.loads(out)
    assert all(e.keys() >= LEDGER_KEYS for e in ledger)
    actions = [e["action"] for e in ledger]
    assert actions == [
        "case.created",
        "examiner.added",
        "checkpoint",  # each command ends with one, witnessed outside the case
        "ingest.started",
        "item.acquired",
        "item.acquired",
        "item.extracted",  # the PNG, by image_meta
        "ingest.completed",
        "checkpoint",
    ]
    assert ledger[6]["data"]["extractor"] == "image_meta@1.1"
    assert items[1]["extractors"] == ["image_meta@1.1"]
    acquired = ledger[4]["data"]
    assert acquired["reason"] == "harassment report" and acquired["sha256"] == items[0]["sha256"]

    code, out, _ = run(capsys, "verify", str(case_dir), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["recorded"] is True
    assert report["checked"]["blobs"] == 2 and report["failures"] == []
    assert report["checked"]["witnessed_checkpoints"] == 2  # init's and the ingest's
    code, out, _ = run(capsys, "ledger", str(case_dir), "--json")
    assert [e["action"] for e in json.loads(out)][-2:] == ["verify.run", "checkpoint"]


def test_same_bytes_twice_one_blob_two_acquisitions(
    capsys: pytest.CaptureFixture[str], case_dir: Path, evidence: Path
) -> None:
    target = evidence / "chat.txt"
    assert run(capsys, "ingest", str(case_dir), str(target))[0] == 0
    assert run(capsys, "ingest", str(case_dir), str(target), "--reason", "again")[0] == 0
    items = json.loads(run(capsys, "items", str(case_dir), "--json")[1])
    assert len(items) == 2 and items[0]["sha256"] == items[1]["sha256"]
    blobs = [p for p in (case_dir / "store" / "sha256").rglob("*") if p.is_file()]
    assert len(blobs) == 1
    assert blobs[0].stat().st_mode & 0o777 == 0o444


def test_missing_path_is_one_line_and_records_nothing(
    capsys: pytest.CaptureFixture[str], case_dir: Path, evidence: Path
) -> None:
    before = run(capsys, "ledger", str(case_dir), "--json")[1]
    code, _out, err = run(capsys, "ingest", str(case_dir), str(evidence), str(evidence / "nope"))
    assert code == 1
    assert err.count("\n") == 1 and "nope: no such file or folder" in err
    assert run(capsys, "ledger", str(case_dir), "--json")[1] == before


def test_not_a_case_and_existing_case(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case_dir: Path
) -> None:
    code, _, err = run(capsys, "items", str(tmp_path / "nowhere"), "--json")
    assert code == 1 and "is not a case folder" in err
    code, _, err = run(
        capsys,
        "init",
        str(case_dir),
        "--urn",
        "X",
        "--title",
        "T",
        "--examiner",
        "Jane Smith",
        "--initials",
        "JS",
    )
    assert code == 1 and "already holds a case" in err


def test_wrong_passphrase_is_refused(
    capsys: pytest.CaptureFixture[str],
    case_dir: Path,
    evidence: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EWS_PASSPHRASE", "not the passphrase")
    code, _, err = run(capsys, "ingest", str(case_dir), str(evidence))
    assert code == 1 and "wrong passphrase" in err


def test_installed_entry_point_runs(tmp_path: Path) -> None:
    ews = Path(sys.executable).with_name("ews")
    result = subprocess.run([str(ews), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "ingest" in result.stdout


def test_skip_extractor_is_honoured_and_recorded(
    capsys: pytest.CaptureFixture[str], case_dir: Path, evidence: Path
) -> None:
    code, _, err = run(capsys, "ingest", str(case_dir), str(evidence), "--skip-extractor", "nope")
    assert code == 1 and "unknown extractor nope" in err
    code, _, err = run(
        capsys, "ingest", str(case_dir), str(evidence), "--skip-extractor", "image_meta"
    )
    assert code == 0, err
    items = json.loads(run(capsys, "items", str(case_dir), "--json")[1])
    assert all(i["extractors"] == [] for i in items)
    ledger = json.loads(run(capsys, "ledger", str(case_dir), "--json")[1])
    started = next(e for e in ledger if e["action"] == "ingest.started")
    assert started["data"]["skipped_extractors"] == ["image_meta"]

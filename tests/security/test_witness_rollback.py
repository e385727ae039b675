"""Rollback, truncation and forks against checkpoints witnessed outside the case (issue 12,
point 5; chain_of_custody/witness.py).

The attacker has write access to the case folder (and, on PostgreSQL, to the case's rows)
but no examiner key. Before the witness each attack below passed ``ews verify``: an older
consistent copy of the folder, or a ledger cut back together with its checkpoint rows, is a
valid ledger on its own.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody import witness
from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.models import Checkpoint, LedgerEntry
from chain_of_custody.verify import verify_case
from workstation.cli import main

T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
T_CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def verify_json(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "verify", str(folder), "--no-record", "--json")
    return code, json.loads(out)


def witness_failures(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["failures"] if f["kind"] == "witness"]


def files(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(f"evidence {name}\n", encoding="utf-8")
    return folder


@pytest.fixture
def case_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str | None) -> Path:
    """A case made with `ews init`, one ingest done."""
    folder = tmp_path / "case"
    extra = ["--db", db_url] if db_url else []
    ok(capsys, "init", str(folder), "--urn", "01WI0000001", "--title", "R v Witness",
       "--examiner", "Jane Smith", "--initials", "JS", *extra)  # fmt: skip
    ok(capsys, "ingest", str(folder), str(files(tmp_path / "first", "a.txt", "b.txt")))
    return folder


def sqlite_folder_only(db_url: str | None) -> None:
    if db_url is not None:
        pytest.skip("on PostgreSQL the database is not in the folder: see the truncation tests")


def ledger_size(folder: Path) -> int:
    with Case.open(folder) as case:
        return case.ledger_size()


def cut_ledger(folder: Path, keep: int) -> None:
    """What an attacker does with raw SQL: drop every entry from ``keep`` on, and every
    checkpoint row that would name them."""
    with Case.open(folder) as case, case.engine.begin() as conn:
        conn.execute(
            sa.delete(T_LEDGER).where(T_LEDGER.c.case_id == case.case_id, T_LEDGER.c.seq >= keep)
        )
        conn.execute(
            sa.delete(T_CHECKPOINT).where(
                T_CHECKPOINT.c.case_id == case.case_id, T_CHECKPOINT.c.size >= keep
            )
        )


def test_fresh_case_verifies_against_its_witness(
    case: Case, signer: Signer, _witness_dir: Path
) -> None:
    report = verify_case(case)
    assert report.ok, report.failures
    assert report.witnessed_checkpoints == 1  # Case.create ends with a witnessed checkpoint
    lines = (_witness_dir / f"{case.case_id}.jsonl").read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    entries = list(case.ledger_entries())
    assert entries[-1].action == "checkpoint"
    assert record["size"] == entries[-1].seq == entries[-1].data["size"]
    assert record["head_size"] == len(entries)
    assert record["entry_hash"] == entries[-1].entry_hash
    assert (record["examiner_initials"], record["examiner_name"]) == ("JS", "Jane Smith")
    assert record["key_id"] == signer.key_id
    assert record["database"] == case.engine.dialect.name
    assert record["case_folder"] == str(case.folder.resolve())
    assert report.as_json()["checked"]["witnessed_checkpoints"] == 1


def test_every_changing_command_ends_with_one_witnessed_checkpoint(
    case_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Case.open(case_dir) as case:
        actions = [e.action for e in case.ledger_entries()]
    # init: case.created, examiner.added, checkpoint; ingest: ..., ingest.completed, checkpoint
    assert actions[:3] == ["case.created", "examiner.added", "checkpoint"]
    assert actions[-2:] == ["ingest.completed", "checkpoint"]
    assert actions.count("checkpoint") == 2
    ok(capsys, "verify", str(case_dir))  # records verify.run, then one checkpoint
    ok(capsys, "checkpoint", str(case_dir))  # one checkpoint, witnessed too
    with Case.open(case_dir) as case:
        actions = [e.action for e in case.ledger_entries()]
        case_id = case.case_id
    assert actions[-3:] == ["verify.run", "checkpoint", "checkpoint"]
    code, report = verify_json(capsys, case_dir)
    assert code == 0, report["failures"]
    assert report["checked"]["witnessed_checkpoints"] == 4
    assert len(witness.witness_file(case_id).read_text().splitlines()) == 4


def test_older_copy_put_back_is_caught(
    case_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str | None
) -> None:
    """The folder is copied after the first ingest; a second ingest and a checkpoint follow;
    the old copy is put back. It is a consistent, signed case on its own."""
    sqlite_folder_only(db_url)
    old = tmp_path / "old-copy"
    shutil.copytree(case_dir, old)
    ok(capsys, "ingest", str(case_dir), str(files(tmp_path / "second", "c.txt", "d.txt")))
    cp = json.loads(ok(capsys, "checkpoint", str(case_dir), "--json"))
    shutil.rmtree(case_dir)
    shutil.copytree(old, case_dir)

    code, report = verify_json(capsys, case_dir)
    assert code == 1
    failures = witness_failures(report)
    assert failures, report["failures"]
    named = [f for f in failures if f"checkpoint size {cp['size']} (root {cp['root'][:16]}" in
             f["subject"]]  # fmt: skip
    assert len(named) == 1, failures
    assert "by Jane Smith (JS)" in named[0]["subject"]
    assert "witnessed 20" in named[0]["subject"]  # when: an RFC 3339 time
    assert "older copy" in named[0]["message"]
    # The plain report says the same, one line per witnessed checkpoint not extended.
    code, out, err = run(capsys, "verify", str(case_dir), "--no-record")
    assert code == 1
    assert f"FAILED witness: checkpoint size {cp['size']} (root {cp['root'][:16]}…)" in err
    assert "witnessed outside the case" in out


def test_fork_from_an_older_copy_is_caught(
    case_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str | None
) -> None:
    """An old copy put back and then worked on genuinely (the attacker has no key; the
    examiner, unaware, runs a command): the new head is longer but does not extend the one
    witnessed before the rollback."""
    sqlite_folder_only(db_url)
    old = tmp_path / "old-copy"
    shutil.copytree(case_dir, old)
    ok(capsys, "ingest", str(case_dir), str(files(tmp_path / "second", "c.txt")))
    witnessed_size = ledger_size(case_dir) - 1  # the checkpoint the ingest ended with
    shutil.rmtree(case_dir)
    shutil.copytree(old, case_dir)
    many = files(tmp_path / "other", *(f"x{i}.txt" for i in range(6)))
    ok(capsys, "ingest", str(case_dir), str(many))
    assert ledger_size(case_dir) > witnessed_size + 1

    code, report = verify_json(capsys, case_dir)
    assert code == 1
    forks = [f for f in witness_failures(report) if "a fork" in f["message"]]
    assert len(forks) == 1, report["failures"]
    assert f"checkpoint size {witnessed_size} " in forks[0]["subject"]
    assert "history was rewritten" in forks[0]["message"]


def test_truncation_with_checkpoint_rows_is_caught(
    case_dir: Path, capsys: pytest.CaptureFixture[str], db_url: str | None
) -> None:
    """The last command's entries (verify.run and its checkpoint) cut with raw SQL, together
    with the checkpoint row: nothing else in the case refers to them."""
    before = ledger_size(case_dir)
    ok(capsys, "verify", str(case_dir))
    cut_ledger(case_dir, before)
    code, report = verify_json(capsys, case_dir)
    assert code == 1
    assert {f["kind"] for f in report["failures"]} == {"witness"}, report["failures"]
    (failure,) = report["failures"]
    assert f"checkpoint size {before + 1} " in failure["subject"]
    assert f"holds only {before} entries" in failure["message"]


def test_witness_file_of_another_case_copy_does_not_leak(
    case_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], _witness_dir: Path
) -> None:
    """Witness lines are read per case id; lines that are not records of this case fail."""
    with Case.open(case_dir) as case:
        path = witness.witness_file(case.case_id)
    with path.open("a", encoding="utf-8") as f:
        f.write("not json\n")
    code, report = verify_json(capsys, case_dir)
    assert code == 1
    (failure,) = witness_failures(report)
    assert "line 3" in failure["subject"] and "unreadable" in failure["message"]


def test_witnessed_checkpoint_with_a_bad_signature_fails(
    case_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Case.open(case_dir) as case:
        path = witness.witness_file(case.case_id)
    lines = path.read_text().splitlines()
    record = json.loads(lines[-1])
    record["signature"] = ("0" if record["signature"][0] != "0" else "1") + record["signature"][1:]
    path.write_text("\n".join([*lines[:-1], json.dumps(record)]) + "\n")
    code, report = verify_json(capsys, case_dir)
    assert code == 1
    (failure,) = witness_failures(report)
    assert "does not verify" in failure["message"]


# --- PostgreSQL: the unit's table ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE witness SET size = size + 1",
        "UPDATE witness SET examiner_name = 'Somebody Else'",
        "DELETE FROM witness",
        "TRUNCATE witness",
    ],
)
def test_unit_table_refuses_rewrites(case: Case, db_url: str | None, statement: str) -> None:
    if db_url is None:
        pytest.skip("the unit table is insert-only on PostgreSQL only")
    with case.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM witness")).scalar() == 1
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), case.engine.begin() as conn:
        conn.execute(sa.text(statement))
    with case.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT size, examiner_name FROM witness")).one()
    assert tuple(row) == (2, "Jane Smith")


@pytest.mark.postgres
def test_unit_table_witnesses_for_another_workstation(
    case_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    db_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another workstation (an empty witness folder) still sees the truncation: the unit's
    table, which the workstation only ever inserts into, holds the checkpoint."""
    if db_url is None:
        pytest.skip("the unit table is the witness on PostgreSQL only")
    before = ledger_size(case_dir)
    ok(capsys, "verify", str(case_dir))
    monkeypatch.setenv("EWS_WITNESS_DIR", str(tmp_path / "another-workstation"))
    code, report = verify_json(capsys, case_dir)
    assert code == 0, report["failures"]
    assert report["checked"]["witnessed_checkpoints"] == 3  # init, ingest, verify
    cut_ledger(case_dir, before)
    code, report = verify_json(capsys, case_dir)
    assert code == 1
    (failure,) = report["failures"]
    assert failure["kind"] == "witness"
    assert f"checkpoint size {before + 1} " in failure["subject"]
    assert "in the unit's witness table" in failure["subject"]
    assert "by Jane Smith (JS)" in failure["subject"]


def test_interrupted_ingest_is_witnessed_when_resumed(
    case: Case, signer: Signer, tmp_path: Path, _witness_dir: Path
) -> None:
    """A cancelled ingest ends with no checkpoint (nothing to witness but a run half done);
    the same ingest resumed ends with one, and the ledger extends every witnessed head."""
    import zipfile

    from workstation.ingest import IngestCancelled, IngestOptions, ingest_paths

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(6):
            z.writestr(f"chat/{i}.txt", f"message {i}\n" * 20)
    path = _witness_dir / f"{case.case_id}.jsonl"
    assert len(path.read_text().splitlines()) == 1
    calls = iter(range(100))
    with pytest.raises(IngestCancelled):
        ingest_paths(case, signer, [archive], IngestOptions(), cancelled=lambda: next(calls) >= 2)
    actions = [e.action for e in case.ledger_entries()]
    assert "item.acquired" in actions and actions[-1] != "checkpoint"
    assert len(path.read_text().splitlines()) == 1
    assert verify_case(case).ok  # entries after the witnessed head extend it
    summary = ingest_paths(case, signer, [archive], IngestOptions())
    assert summary.resumed
    actions = [e.action for e in case.ledger_entries()]
    assert actions[-2:] == ["ingest.completed", "checkpoint"]
    assert len(path.read_text().splitlines()) == 2
    report = verify_case(case)
    assert report.ok, report.failures
    assert report.witnessed_checkpoints == 2

"""Tampering with a case is caught by ``ews verify`` and reported by item or entry (DESIGN.md §4).

Each test builds a small case (four items, a checkpoint in the middle), changes one thing
behind the program's back (a byte of a blob, a character of a ledger row, a checkpoint, a
deleted row or blob, a stray file in the store), and checks that ``ews verify --no-record``
exits non-zero and that its stderr names what was touched.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.models import Checkpoint, LedgerEntry
from workstation.ingest import IngestOptions, ingest_paths

EWS = [sys.executable, "-m", "workstation.cli"]
T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
T_CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]
REASON = "seized under warrant"


@dataclass(frozen=True)
class Built:
    """The case and the facts a tamper test aims at."""

    case: Case
    target_name: str  # an item acquired before the checkpoint
    target_id: str
    target_sha: str
    target_seq: int  # its item.acquired entry
    checkpoint_size: int
    last_seq: int


@pytest.fixture
def built(case: Case, signer: Signer, tmp_path: Path) -> Built:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a-messages.txt").write_text("alpha: hello\nbravo: hi\n")
    (src / "b-photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9")
    (src / "c-notes.txt").write_text("charlie's notes\n" * 30)
    ingest_paths(case, signer, [src], IngestOptions(source="victim's phone", reason=REASON))
    cp = case.make_checkpoint(signer)
    later = tmp_path / "later"
    later.mkdir()
    (later / "d-later.txt").write_text("acquired after the checkpoint\n")
    ingest_paths(case, signer, [later], IngestOptions(reason=REASON))
    entries = list(case.ledger_entries())
    target = next(
        e for e in entries if e.action == "item.acquired" and e.data["name"] == "b-photo.jpg"
    )
    assert target.seq < cp.size
    return Built(
        case=case,
        target_name="b-photo.jpg",
        target_id=target.data["item_id"],
        target_sha=target.data["sha256"],
        target_seq=target.seq,
        checkpoint_size=cp.size,
        last_seq=entries[-1].seq,
    )


def verify(case: Case) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EWS, "verify", str(case.folder), "--no-record"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def flip_char(text: str, index: int) -> str:
    """The text with one (hex or decimal) character changed."""
    c = text[index]
    return text[:index] + ("1" if c == "0" else "0") + text[index + 1 :]


def update_entry(case: Case, seq: int, column: str, change: Callable[[str], str]) -> None:
    where = (T_LEDGER.c.case_id == case.case_id) & (T_LEDGER.c.seq == seq)
    with case.engine.begin() as conn:
        old = conn.execute(sa.select(T_LEDGER.c[column]).where(where)).scalar_one()
        new = change(old)
        assert new != old
        conn.execute(sa.update(T_LEDGER).where(where).values({column: new}))


def update_checkpoint(case: Case, column: str, size: int) -> None:
    where = (T_CHECKPOINT.c.case_id == case.case_id) & (T_CHECKPOINT.c.size == size)
    with case.engine.begin() as conn:
        old = conn.execute(sa.select(T_CHECKPOINT.c[column]).where(where)).scalar_one()
        conn.execute(sa.update(T_CHECKPOINT).where(where).values({column: flip_char(old, 7)}))


def delete_entry(case: Case, seq: int) -> None:
    with case.engine.begin() as conn:
        deleted = conn.execute(
            sa.delete(T_LEDGER).where(T_LEDGER.c.case_id == case.case_id, T_LEDGER.c.seq == seq)
        ).rowcount
    assert deleted == 1


def names_entry(seq: int) -> str:
    return rf"\bentry {seq} \("


def assert_fails_naming(case: Case, *patterns: str) -> str:
    r = verify(case)
    assert r.returncode != 0, f"tampering not detected:\n{r.stdout}"
    assert "verification FAILED" in r.stdout
    for pattern in patterns:
        assert re.search(pattern, r.stderr), f"{pattern!r} not named in:\n{r.stderr}"
    return r.stderr


def test_untouched_case_verifies(built: Built) -> None:
    r = verify(built.case)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


def test_blob_byte_changed(built: Built) -> None:
    path = built.case.store.blob_path(built.target_sha)
    path.chmod(0o644)
    with open(path, "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0x01]))
    path.chmod(0o444)  # only the content differs
    err = assert_fails_naming(
        built.case, re.escape(built.target_name), built.target_sha, "content changed"
    )
    assert built.target_id in err


def test_blob_made_writable(built: Built) -> None:
    path = built.case.store.blob_path(built.target_sha)
    path.chmod(0o644)
    assert_fails_naming(built.case, re.escape(built.target_name), built.target_sha, "writable")


def test_ledger_data_changed(built: Built) -> None:
    def change(data: str) -> str:
        assert REASON in data
        return data.replace(REASON, REASON.replace("warrant", "warrent"))

    update_entry(built.case, built.target_seq, "data", change)
    assert_fails_naming(built.case, names_entry(built.target_seq), "altered")


def test_ledger_subject_changed(built: Built) -> None:
    update_entry(built.case, built.target_seq, "subject", lambda s: flip_char(s, 10))
    assert_fails_naming(built.case, names_entry(built.target_seq), "altered")


def test_ledger_time_changed(built: Built) -> None:
    # one digit of the microseconds: "2025-01-01T12:00:00.123456Z"
    update_entry(built.case, built.target_seq, "at", lambda at: flip_char(at, len(at) - 2))
    assert_fails_naming(built.case, names_entry(built.target_seq), "altered")


def test_ledger_signature_changed(built: Built) -> None:
    update_entry(built.case, built.target_seq, "signature", lambda sig: flip_char(sig, 20))
    assert_fails_naming(built.case, names_entry(built.target_seq), "signature")


def test_checkpoint_root_changed(built: Built) -> None:
    update_checkpoint(built.case, "root", built.checkpoint_size)
    assert_fails_naming(built.case, rf"checkpoint size {built.checkpoint_size}\b", "root")


def test_checkpoint_signature_changed(built: Built) -> None:
    update_checkpoint(built.case, "signature", built.checkpoint_size)
    assert_fails_naming(built.case, rf"checkpoint size {built.checkpoint_size}\b", "signature")


def test_ledger_row_deleted(built: Built) -> None:
    delete_entry(built.case, built.target_seq)
    assert_fails_naming(
        built.case,
        # the entry after the gap, and the item left without its item.acquired entry
        names_entry(built.target_seq + 1),
        rf"expected seq {built.target_seq}\b",
        re.escape(built.target_id),
    )


def test_tail_of_ledger_deleted(built: Built) -> None:
    """The newest entries cut off, back to the last item.acquired: no later entry links to
    them, but the item they recorded is still in the database and its blob in the store."""
    later = next(
        e
        for e in reversed(list(built.case.ledger_entries()))
        if e.action == "item.acquired" and e.data["name"] == "d-later.txt"
    )
    for seq in range(built.last_seq, later.seq - 1, -1):
        delete_entry(built.case, seq)
    assert_fails_naming(built.case, re.escape(later.data["item_id"]), later.data["sha256"])


def test_last_ledger_row_deleted(built: Built) -> None:
    """Dropping only the newest entry: the checkpoint the last ingest ended with.

    No later entry links to it; what still refers to it is its checkpoint row, and the
    examiner's witness file, which recorded the ledger's head with that entry in it.
    """
    last = list(built.case.ledger_entries())[-1]
    assert last.action == "checkpoint"
    delete_entry(built.case, built.last_seq)
    size = rf"checkpoint size {last.data['size']}\b"
    assert_fails_naming(built.case, rf"FAILED witness: {size}.*its last entries were removed")


def test_last_run_completion_deleted(built: Built) -> None:
    """Dropping the ingest.completed of the last run (and the checkpoint after it, with its
    row): what still refers to it is the run row, marked finished, and the witness."""
    *_, completed, last = list(built.case.ledger_entries())
    assert (completed.action, last.action) == ("ingest.completed", "checkpoint")
    delete_entry(built.case, built.last_seq)
    delete_entry(built.case, completed.seq)
    with built.case.engine.begin() as conn:
        conn.execute(sa.delete(T_CHECKPOINT).where(T_CHECKPOINT.c.size == last.data["size"]))
    assert_fails_naming(built.case, completed.subject, "FAILED witness: .*fewer than")


def test_checkpoint_entry_deleted(built: Built) -> None:
    """The ``checkpoint`` entry recording the stored checkpoint is removed from the ledger."""
    delete_entry(built.case, built.checkpoint_size)
    assert_fails_naming(built.case, names_entry(built.checkpoint_size + 1))


def test_blob_deleted(built: Built) -> None:
    path = built.case.store.blob_path(built.target_sha)
    path.unlink()
    assert_fails_naming(
        built.case, re.escape(built.target_name), built.target_sha, "missing from the store"
    )


def test_unrecorded_file_in_store(built: Built) -> None:
    planted = b"a file nobody acquired\n"
    sha = hashlib.sha256(planted).hexdigest()
    path = built.case.store.blob_path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(planted)
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    assert_fails_naming(built.case, sha, "never acquired")


def test_unrecorded_file_in_store_not_named_by_its_hash(built: Built) -> None:
    path = built.case.store.blobs / "00" / "00" / "planted.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8planted\xff\xd9")
    assert_fails_naming(built.case, "planted.jpg")

"""Two processes appending to one case at once still make one unbroken chain (DESIGN.md §4).

Appends are serialised per case (SQLite ``BEGIN IMMEDIATE``, PostgreSQL an advisory lock),
so whatever the interleaving, the ledger ends up with seq 0..n-1, each ``prev`` the hash of
the entry before, every entry present, and ``verify`` passes.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import Entry
from chain_of_custody.trust import add_examiner

EWS = [sys.executable, "-m", "workstation.cli"]

# A writer: opens the case, waits for the start signal, then appends `calls` times, each call
# one transaction of `per_call` entries (so a multi-entry append must stay contiguous).
WRITER = r"""
import sys, time
from pathlib import Path
from chain_of_custody.case import Case
from chain_of_custody.keys import unlock_examiner
from chain_of_custody.ledger import NewEntry

folder, initials, calls, per_call, ready, go = sys.argv[1:7]
calls, per_call = int(calls), int(per_call)
signer = unlock_examiner(initials)
with Case.open(Path(folder)) as case:
    Path(ready).touch()
    deadline = time.monotonic() + 120
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no start signal")
        time.sleep(0.002)
    for call in range(calls):
        case.record(
            signer,
            [
                NewEntry("test.append", initials, {"writer": initials, "call": call, "part": part})
                for part in range(per_call)
            ],
        )
"""


def assert_one_chain(entries: list[Entry]) -> None:
    assert [e.seq for e in entries] == list(range(len(entries))), "seqs are not 0..n-1"
    prev = "0" * 64
    for e in entries:
        assert e.prev == prev, f"entry {e.seq}: prev is not the hash of entry {e.seq - 1}"
        prev = e.entry_hash
    assert len({e.entry_hash for e in entries}) == len(entries)


def ews(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EWS, *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )


def start_when_ready(procs: list[subprocess.Popen[str]], ready: list[Path], go: Path) -> None:
    deadline = time.monotonic() + 120
    while not all(p.exists() for p in ready):
        for proc in procs:
            if proc.poll() is not None:
                _, err = proc.communicate()
                pytest.fail(f"a writer died before starting: {err}")
        assert time.monotonic() < deadline, "writers never got ready"
        time.sleep(0.01)
    go.touch()


def test_two_processes_recording_at_once(
    case: Case, signer: Signer, second_signer: Signer, tmp_path: Path
) -> None:
    """JS appends 300 single entries while RP (added by JS) appends 150 pairs."""
    add_examiner(case, signer, second_signer.identity)
    before = list(case.ledger_entries())
    plan = {signer.identity.initials: (300, 1), second_signer.identity.initials: (150, 2)}
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{initials}" for initials in plan]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(case.folder),
                initials,
                str(calls),
                str(per_call),
                str(tmp_path / f"ready-{initials}"),
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for initials, (calls, per_call) in plan.items()
    ]
    start_when_ready(procs, ready, go)
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err

    entries = list(case.ledger_entries())
    assert_one_chain(entries)
    assert entries[: len(before)] == before
    new = entries[len(before) :]
    # Nobody is added silently: RP was added by JS before.
    assert not [e for e in new if e.action == "examiner.added"]
    appended = [e for e in new if e.action == "test.append"]
    assert len(new) == 300 + 300 and len(appended) == 600
    for initials, (calls, per_call) in plan.items():
        mine = [e for e in appended if e.data["writer"] == initials]
        # every entry present, in the order written, by the right examiner
        assert [(e.data["call"], e.data["part"]) for e in mine] == [
            (c, p) for c in range(calls) for p in range(per_call)
        ]
        signer_of = signer if initials == signer.identity.initials else second_signer
        assert {e.actor for e in mine} == {signer_of.key_id}
        # the entries of one call are contiguous: nobody slipped in between
        for c in range(calls):
            seqs = [e.seq for e in mine if e.data["call"] == c]
            assert seqs == list(range(seqs[0], seqs[0] + per_call))
    # The two writers really overlapped (otherwise this test proved nothing).
    js = [e.seq for e in appended if e.data["writer"] == signer.identity.initials]
    rp = [e.seq for e in appended if e.data["writer"] == second_signer.identity.initials]
    assert min(js) < max(rp) and min(rp) < max(js), "the writers did not interleave"

    r = ews("verify", case.folder, "--json")
    assert r.returncode == 0, r.stderr


def _make_folder(folder: Path, prefix: str, count: int, rng: random.Random) -> dict[str, int]:
    folder.mkdir()
    sizes = {}
    for i in range(count):
        path = folder / f"{prefix}-{i:03d}.bin"
        path.write_bytes(rng.randbytes(rng.randint(100, 20_000)))
        sizes[str(path)] = path.stat().st_size
    return sizes


def test_two_ingests_at_once(case: Case, db_url: str | None, tmp_path: Path) -> None:
    """Two `ews ingest` of different folders (200 files each) started together."""
    rng = random.Random(5)
    folders = {name: tmp_path / name for name in ("phone", "laptop")}
    expected = {name: _make_folder(path, name, 200, rng) for name, path in folders.items()}
    before = sum(1 for _ in case.ledger_entries())
    procs = {
        name: subprocess.Popen(
            [*EWS, "ingest", str(case.folder), str(path), "--source", name, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, path in folders.items()
    }
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"{name}: {err}"

    entries = list(case.ledger_entries())
    assert_one_chain(entries)
    actions = Counter(e.action for e in entries[before:])
    # each ingest ends with one checkpoint, witnessed outside the case (witness.py)
    assert actions == {
        "ingest.started": 2,
        "item.acquired": 400,
        "ingest.completed": 2,
        "checkpoint": 2,
    }
    with db.read_connection(case.engine) as conn:
        items: list[Any] = list(
            conn.execute(sa.select(T_ITEM).where(T_ITEM.c.case_id == case.case_id))
        )
    for name in folders:
        paths = Counter(r.path for r in items if r.source == name)
        assert set(paths.values()) == {1}
        assert set(paths) == set(expected[name])
        assert {r.path: r.size for r in items if r.source == name} == expected[name]
    by_seq = {e.seq: e for e in entries}
    for r in items:
        e = by_seq[r.ledger_seq]
        assert e.action == "item.acquired" and e.data["item_id"] == r.id

    r = ews("verify", case.folder)
    assert r.returncode == 0, r.stderr
    ledger = ews("ledger", case.folder, "--json")
    assert ledger.returncode == 0, ledger.stderr
    listed = json.loads(ledger.stdout)
    assert [(e["seq"], e["prev"], e["entry_hash"]) for e in listed[: len(entries)]] == [
        (e.seq, e.prev, e.entry_hash) for e in entries
    ]

"""Issue 12 point 6: the same ``ews ingest`` started twice at once is one run, stored once.

Before the lease (workstation/run_lock.py) both processes found or created the same run and
stored everything twice; a 60,000-message chat was counted three (SQLite) or four times
(PostgreSQL), and ``ews verify`` passed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.models import IngestRun, MessageRecord
from workstation.ingest import IngestOptions, collect_sources, run_params
from workstation.run_lock import (
    _advisory_lock,
    _advisory_unlock,
    advisory_key,
    lock_path,
    run_lease,
)

EWS = [sys.executable, "-m", "workstation.cli"]
T_RUN = IngestRun.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]
N_MESSAGES = 60_000
REFUSAL = "another ews ingest of the same run is in progress"


def write_chat(path: Path, n: int) -> None:
    """An Android WhatsApp export of n messages between two people, a minute apart."""
    start = datetime(2024, 1, 1, 9, 0)
    lines = []
    for i in range(n):
        at = start + timedelta(minutes=i)
        who = "Dan Price" if i % 3 else "Hannah"
        lines.append(f"{at:%d/%m/%Y, %H:%M} - {who}: message number {i} of the test chat\n")
    path.write_text("".join(lines), encoding="utf-8")


def counts(folder: Path, db_url: str | None) -> tuple[int, Counter[str], int]:
    """(runs, item paths with their counts, message records) of the case."""
    with Case.open(folder, db_url=db_url) as case, db.read_connection(case.engine) as conn:
        runs = conn.execute(
            sa.select(sa.func.count()).select_from(T_RUN).where(T_RUN.c.case_id == case.case_id)
        ).scalar_one()
        paths = Counter(
            r.path
            for r in conn.execute(sa.select(T_ITEM.c.path).where(T_ITEM.c.case_id == case.case_id))
        )
        messages = conn.execute(
            sa.select(sa.func.count())
            .select_from(T_MESSAGE)
            .where(T_MESSAGE.c.case_id == case.case_id)
        ).scalar_one()
    return int(runs), paths, int(messages)


def test_identical_ingests_at_once_store_once(
    tmp_path: Path, signer: Signer, db_url: str | None
) -> None:
    chat = tmp_path / "WhatsApp Chat with Dan Price.txt"
    write_chat(chat, N_MESSAGES)
    folder = tmp_path / "case"
    Case.create(folder, urn="01CC0000001", title="R v Twice", signer=signer, db_url=db_url).close()
    cmd = [*EWS, "ingest", str(folder), str(chat), "--source", "phone", "--json"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    ok = [r for r in results if r[0] == 0]
    refused = [r for r in results if r[0] != 0]
    assert len(ok) == 1, results
    assert len(refused) == 1, results
    _code, _out, err = refused[0]
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and REFUSAL in lines[0], err
    assert "Traceback" not in err
    runs, paths, messages = counts(folder, db_url)
    assert runs == 1
    assert paths == Counter({str(chat): 1})
    assert messages == N_MESSAGES
    v = subprocess.run([*EWS, "verify", str(folder), "--no-record"], capture_output=True, text=True)
    assert v.returncode == 0, v.stderr
    # The lease went with its holder: nothing is left that would block the next ingest.
    assert list(lock_path(folder, "0" * 64).parent.glob("*.lock")) == []


def test_second_ingest_is_refused_at_once_naming_the_holder(
    tmp_path: Path, signer: Signer, db_url: str | None
) -> None:
    """While another process holds the lease, ingest refuses in one line, naming pid and host;
    once the holder is gone (as after a kill), the same command runs."""
    chat = tmp_path / "WhatsApp Chat with Dan Price.txt"
    write_chat(chat, 100)
    folder = tmp_path / "case"
    Case.create(folder, urn="01CC0000002", title="R v Later", signer=signer, db_url=db_url).close()
    cmd = [*EWS, "ingest", str(folder), str(chat), "--json"]
    with Case.open(folder, db_url=db_url) as case:
        sources, _ = collect_sources([chat])
        _, params_hash = run_params(sources, IngestOptions())
        with run_lease(case.folder, case.case_id, case.engine, params_hash):
            started = time.monotonic()
            second = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            assert time.monotonic() - started < 30
        assert second.returncode == 1
        assert second.stderr.count("\n") == 1 and REFUSAL in second.stderr, second.stderr
        assert f"pid {os.getpid()} on {socket.gethostname()}" in second.stderr
        if db_url is not None:
            # Another machine: its flock does not reach here, the advisory lock does.
            key = advisory_key(case.case_id, params_hash)
            held = _advisory_lock(case.engine, key)
            assert held is not None
            try:
                third = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            finally:
                _advisory_unlock(held, key)
            assert third.returncode == 1 and REFUSAL in third.stderr, third.stderr
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["resumed"] is False
    runs, paths, messages = counts(folder, db_url)
    assert (runs, messages) == (1, 100)
    assert paths == Counter({str(chat): 1})


def test_different_ingests_at_once_both_complete(
    tmp_path: Path, signer: Signer, db_url: str | None
) -> None:
    """Two different runs into one case at once: both complete, one chain, verify passes."""
    chats = [tmp_path / f"WhatsApp Chat with Person {i}.txt" for i in range(2)]
    for chat in chats:
        write_chat(chat, 5_000)
    folder = tmp_path / "case"
    Case.create(folder, urn="01CC0000003", title="R v Two", signer=signer, db_url=db_url).close()
    procs = [
        subprocess.Popen(
            [*EWS, "ingest", str(folder), str(chat), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for chat in chats
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    runs, paths, messages = counts(folder, db_url)
    assert (runs, messages) == (2, 10_000)
    assert paths == Counter({str(c): 1 for c in chats})
    v = subprocess.run([*EWS, "verify", str(folder), "--no-record"], capture_output=True, text=True)
    assert v.returncode == 0, v.stderr

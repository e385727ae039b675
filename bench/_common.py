"""Shared by the benchmarks: run a child process and measure it."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EWS = str(Path(sys.executable).parent / "ews")


def bench_env(work: Path) -> dict[str, str]:
    """The environment of the bench examiner (BE), keys kept under ``work``."""
    return {
        **os.environ,
        "EWS_DATA_DIR": str(work / "keys"),
        "EWS_PASSPHRASE": "bench",
        "EWS_EXAMINER": "BE",
        "EWS_INSECURE_TEST_KEYS": "1",  # a throwaway key with a short passphrase
    }


def children_cpu() -> float:
    """User + system CPU seconds of every child waited for so far (with their workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and stdout of one child process.

    Its output goes to files, not pipes: a chatty child (a progress bar, many warnings)
    would block on a full pipe while we wait for it. Exits with its stderr on failure.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err.read().decode()}")
        return seconds, usage.ru_maxrss * 1024, out.read().decode()


def new_case(
    folder: Path, urn: str, title: str, env: dict[str, str], db: str | None = None
) -> Path:
    """`ews init` a case for the bench examiner (BE) and return its folder (``db``: its
    SQLAlchemy URL, default SQLite in the folder)."""
    subprocess.run(
        [
            EWS,
            "init",
            str(folder),
            "--urn",
            urn,
            "--title",
            title,
            "--examiner",
            "Bench Examiner",
            "--initials",
            "BE",
            *(["--db", db] if db else []),
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder


def database_floor(
    case_db: Path, tables: tuple[str, ...] = ("message_record",)
) -> dict[str, float]:
    """The database part alone: the ingest's own rows stored again, nothing else timed.

    A physical limit for the ingest benchmarks. The case database is copied and the rows of
    ``tables`` are deleted from the copy; then the same rows (read back from the original,
    untimed, in pages of 1,000) are inserted again through the same driver, with the case's
    pragmas (WAL, ``synchronous=FULL``, foreign keys on), its indexes, in 1,000-row
    ``executemany`` calls and one commit, as the ingest does. No parsing, hashing or
    ledger work is in the figure: an ingest cannot be faster than this on this machine.
    """
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "floor.sqlite"
        shutil.copy(case_db, copy)
        dst = sqlite3.connect(copy, isolation_level=None)
        src = sqlite3.connect(f"file:{case_db}?mode=ro", uri=True)
        try:
            dst.execute("PRAGMA journal_mode = WAL")
            for table in tables:
                dst.execute(f"DELETE FROM {table}")
            dst.execute("VACUUM")
            dst.execute("PRAGMA synchronous = FULL")
            dst.execute("PRAGMA foreign_keys = ON")
            seconds, rows = 0.0, 0
            dst.execute("BEGIN IMMEDIATE")
            for table in tables:
                columns = [r[1] for r in src.execute(f"PRAGMA table_info({table})") if r[1] != "id"]
                sql = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})"
                )
                cursor = src.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
                while page := cursor.fetchmany(1000):
                    started = time.perf_counter()
                    dst.executemany(sql, page)
                    seconds += time.perf_counter() - started
                    rows += len(page)
            started = time.perf_counter()
            dst.execute("COMMIT")
            seconds += time.perf_counter() - started
        finally:
            src.close()
            dst.close()
    return {"seconds": round(seconds, 2), "rows": rows}


def remove_tree(path: Path) -> None:
    """Delete a bench's work folder: its case stores are write-once (read-only files)."""
    if path.exists():
        subprocess.run(["chmod", "-R", "u+w", str(path)], check=True)
        shutil.rmtree(path)


def save_result(out: Path, name: str, result: object) -> None:
    """Write ``out/<name>.json`` and print it: every bench's raw figures."""
    text = json.dumps(result, indent=2)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    print(text)

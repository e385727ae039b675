"""Shared by the benchmarks: run a child process and measure it."""

from __future__ import annotations

import os
import resource
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


def new_case(folder: Path, urn: str, title: str, env: dict[str, str]) -> Path:
    """`ews init` a case for the bench examiner (BE) and return its folder."""
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
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return folder

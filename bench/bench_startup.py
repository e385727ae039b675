"""How long `ews` takes to start, beside Python itself (issue 16 §2).

Each command runs 10 times (after one unmeasured warm-up run that fills the OS file cache)
and the median wall time is reported beside the median of `python -c pass`, the least any
Python command costs on the same machine in the same run. Targets: `ews --help` and
`ews <command> --help` under 0.15 s; `ews items`, `ews ledger` and `ews messages --json` on
case-alpha (tests/data/case_alpha/evidence, one plain `ews ingest`) under 0.6 s;
`ews verify-bundle` starting (its --help) under 0.15 s.

Usage: python bench/bench_startup.py [--runs 10] [--out bench/out]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import EWS, bench_env, new_case, remove_tree, save_result  # noqa: E402

ALPHA = HERE.parent / "tests" / "data" / "case_alpha" / "evidence"
TARGETS = {"help": 0.15, "case": 0.6}


def median_seconds(cmd: list[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of ``runs`` runs of ``cmd`` (output discarded), after a warm-up."""
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    work = args.out / "startup-work"
    remove_tree(work)
    work.mkdir(parents=True)
    env = bench_env(work)
    case = new_case(work / "alpha", "01BE0000016", "start-up", env)
    evidence = sorted(str(p) for p in ALPHA.iterdir())
    subprocess.run([EWS, "ingest", str(case), *evidence], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    commands = {
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        "ews --help": ([EWS, "--help"], "help"),
        "ews items --help": ([EWS, "items", "--help"], "help"),
        "ews ingest --help": ([EWS, "ingest", "--help"], "help"),
        "ews export --help": ([EWS, "export", "--help"], "help"),
        "ews verify-bundle --help": ([EWS, "verify-bundle", "--help"], "help"),
        "ews items CASE": ([EWS, "items", str(case)], "case"),
        "ews items CASE --json": ([EWS, "items", str(case), "--json"], "case"),
        "ews ledger CASE": ([EWS, "ledger", str(case)], "case"),
        "ews messages CASE --json": ([EWS, "messages", str(case), "--json"], "case"),
    }
    rows = {}
    load = os.getloadavg()[0]
    for name, (cmd, kind) in commands.items():
        seconds = median_seconds(cmd, env, args.runs)
        target = TARGETS.get(kind or "")
        rows[name] = {
            "median_s": round(seconds, 3),
            "target_s": target,
            "met": None if target is None else seconds < target,
        }
        print(f"{name:<28} {seconds:6.3f} s" + (f"  (target {target} s)" if target else ""))
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_before": round(load, 2),  # other users of the cores
        },
        "runs_per_command": args.runs,
        "statistic": "median wall seconds",
        "commands": rows,
    }
    remove_tree(work)
    save_result(args.out, "startup", result)


if __name__ == "__main__":
    main()

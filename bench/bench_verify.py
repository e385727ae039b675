"""`ews verify` on case-alpha and on a generated WhatsApp export, beside a plain read.

The target (issue 12): recomputing every ``item.extracted`` record root from the rows
stored now must take at most twice the time to read those record rows once. In the same
child process, on the same case, this measures (each the best of three, alternated, as
other load on the machine comes and goes):

* ``read_once_s``: a plain ``SELECT`` of every column of every record row (the four
  record tables and ``record_leaf``), through the same driver cursor the check uses, rows
  fetched and dropped;
* ``verify_records_s``: ``chain_of_custody.verify_records.verify_records`` alone;

and, as a separate process, the whole ``ews verify --no-record`` (ledger, signatures,
rows, records, every blob re-hashed).

``--before DIR`` also times ``ews verify`` with the code checked out in DIR (e.g. ``git
worktree add /tmp/wt-before 0799301``), on a case that code ingested itself (an older
schema cannot open a newer case).

Usage: python bench/bench_verify.py [--messages 1000000] [--out bench/out] [--db URL]
       [--before DIR] [--skip-alpha]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _common import bench_env, new_case, remove_tree, run_measured, save_result  # noqa: E402

ALPHA = ROOT / "tests" / "data" / "case_alpha" / "evidence"

#: Run in a child: the read-once figure and verify_records alone, on one open case.
INNER = """
import json, sys, time
from pathlib import Path
from chain_of_custody import db, ledger
from chain_of_custody.case import Case
from chain_of_custody.verify import VerifyReport, _verify_entries
from chain_of_custody.verify_records import TABLES, verify_records, _Reader

case = Case.open(Path(sys.argv[1]))
tables = [*TABLES, "record_leaf"]
reads, checks, failures = [], [], 0
for _ in range(int(sys.argv[2])):  # alternated, the best of each: other load comes and goes
    with db.read_connection(case.engine) as conn:
        reader = _Reader(conn)
        started = time.perf_counter()
        rows = 0
        for name in tables:
            sql = f"SELECT * FROM {name} WHERE case_id = ?"
            for batch in reader.batches(sql, (case.case_id,)):
                rows += len(batch)
        reads.append(time.perf_counter() - started)
    with db.read_connection(case.engine) as conn:
        report = VerifyReport()
        _verify_entries(ledger.iter_entries(conn, case.case_id), case.case_id, report)
        started = time.perf_counter()
        verify_records(conn, case, report)
        checks.append(time.perf_counter() - started)
        failures = len([f for f in report.failures if f.kind == "record"])
case.close()
print(json.dumps({"rows": rows, "read_once_s": min(reads), "verify_records_s": min(checks),
                  "record_failures": failures}))
"""


def ews(code: Path | None) -> list[str]:
    """The command running `ews` from this checkout, or from the checkout ``code``."""
    if code is None:
        return [str(Path(sys.executable).parent / "ews")]
    return [
        sys.executable,
        "-c",
        "import sys; from workstation.entry import main; sys.exit(main())",
    ]


def env_for(work: Path, code: Path | None) -> dict[str, str]:
    env = bench_env(work)
    env["EWS_INSECURE_TEST_KEYS"] = "1"  # the bench passphrase is short
    if code is not None:  # the older code first on the path (the editable install comes last)
        env["PYTHONPATH"] = str(code)
    return env


def make_case(
    work: Path, name: str, inputs: list[Path], code: Path | None, db: str | None
) -> tuple[Path, float]:
    env = env_for(work, code)
    folder = work / name
    if code is None:
        new_case(folder, "01BE0000003", name, env, db)
    else:
        cmd = [*ews(code), "init", str(folder), "--urn", "01BE0000003", "--title", name]
        cmd += ["--examiner", "Bench Examiner", "--initials", "BE"]
        subprocess.run(cmd + (["--db", db] if db else []), env=env, check=True)
    seconds, _, _ = run_measured([*ews(code), "ingest", str(folder), *map(str, inputs)], env)
    return folder, seconds


def measure(work: Path, folder: Path, code: Path | None, inner: bool) -> dict[str, object]:
    env = env_for(work, code)
    verify_s, rss, _ = run_measured([*ews(code), "verify", str(folder), "--no-record"], env)
    out: dict[str, object] = {"ews_verify_s": round(verify_s, 2), "peak_rss_MB": round(rss / 1e6)}
    if inner:
        import json

        _, _, text = run_measured([sys.executable, "-c", INNER, str(folder), "3"], env)
        figures = json.loads(text)
        out.update(
            rows=figures["rows"],
            read_once_s=round(figures["read_once_s"], 2),
            verify_records_s=round(figures["verify_records_s"], 2),
            ratio_records_to_read=round(figures["verify_records_s"] / figures["read_once_s"], 2),
            record_failures=figures["record_failures"],
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--db", help="SQLAlchemy URL of an empty database (default: SQLite)")
    ap.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    ap.add_argument("--skip-alpha", action="store_true")
    args = ap.parse_args()
    work = (args.out / "verify-work").resolve()
    remove_tree(work)
    work.mkdir(parents=True)
    chat = work / "WhatsApp Chat with Bench.txt"
    gen = [sys.executable, str(HERE / "gen_whatsapp.py"), str(chat)]
    subprocess.run([*gen, "--messages", str(args.messages)], check=True, stdout=subprocess.DEVNULL)
    cases: dict[str, list[Path]] = {"whatsapp": [chat]}
    if not args.skip_alpha:
        cases = {"case_alpha": sorted(ALPHA.iterdir()), **cases}
    result: dict[str, object] = {
        "database": "sqlite" if args.db is None else args.db.split(":")[0],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
        },
        "messages_generated": args.messages,
    }
    for name, inputs in cases.items():
        if args.db is not None and args.before is not None:
            raise SystemExit("--before needs SQLite (one empty database per case)")
        folder, ingest_s = make_case(work, name, inputs, None, args.db)
        after = measure(work, folder, None, inner=True)
        entry: dict[str, object] = {"ingest_s": round(ingest_s, 2), "after": after}
        remove_tree(folder)
        if args.before is not None:
            folder, ingest_s = make_case(work, f"{name}-before", inputs, args.before, None)
            entry["before"] = {
                "ingest_s": round(ingest_s, 2),
                **measure(work, folder, args.before, inner=False),
            }
            remove_tree(folder)
        result[name] = entry
    remove_tree(work)
    save_result(args.out, "verify", result)


if __name__ == "__main__":
    main()

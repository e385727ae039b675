"""A Facebook "Download your information" archive at scale, through the real ingest.

The target (decision D of docs/storage-decision.md, issue 16 §5): an archive of 500,000
messages in 2,000 threads; full ingest of the messages without photos at 15,000 messages per
second or better, peak memory under 1 GB. The result's `targets` says whether each holds:
this bench is the guard of the decision. Photos (20,000) are measured beside it.

Runs of `ews ingest`, each in a fresh case:
1. `--skip-extractor image_meta`: acquisition of every member + message extraction;
2. the same messages and threads generated without photos: the message work alone;
3. everything, including the perceptual hash of each photo.
Each run also reports the database floor: its own record rows stored again and nothing else
(`_common.database_floor`), the physical limit beside the target.
Phase times come from the ledger: the acquisition phase ends with the last
`item.acquired`/`archive.walked` entry, extraction ends with `ingest.completed`.

Usage: python bench/bench_facebook.py [--messages 500000] [--threads 2000] [--photos 20000]
       [--quick: runs 1 and 2 only]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

BIN = Path(sys.executable).parent
EWS = str(BIN / "ews")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import (  # noqa: E402
    bench_env,
    children_cpu,
    database_floor,
    new_case,
    remove_tree,
    run_measured,
    save_result,
)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_ingest(
    work: Path, name: str, archive: Path, extra: list[str], env: dict[str, str]
) -> dict[str, float]:
    case = work / name
    new_case(case, "01BE0000003", name, env)
    before = children_cpu()
    seconds, rss, _ = run_measured([EWS, "ingest", str(case), str(archive), *extra], env)
    cpu_s = children_cpu() - before
    with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True) as db:
        messages = db.execute("SELECT count(*) FROM message_record").fetchone()[0]
        items, size = db.execute("SELECT count(*), sum(size) FROM item").fetchone()
        times = dict(
            db.execute(
                "SELECT action, max(at) FROM ledger_entry WHERE action IN "
                "('ingest.started', 'archive.walked', 'ingest.completed') GROUP BY action"
            )
        )
    floor = database_floor(case / "case.sqlite", ("message_record", "account_record"))
    acquire_s = (_t(times["archive.walked"]) - _t(times["ingest.started"])).total_seconds()
    extract_s = (_t(times["ingest.completed"]) - _t(times["archive.walked"])).total_seconds()
    remove_tree(case)
    return {
        "seconds": round(seconds, 1),
        "cpu_s": round(cpu_s, 1),  # user + sys of the ingest and its extraction worker
        "messages": messages,
        "items": items,
        "bytes": size,
        "messages_per_s": round(messages / seconds),
        "acquire_phase_s": round(acquire_s, 1),
        "items_per_s_acquire": round(items / acquire_s) if acquire_s else 0,
        "extract_phase_s": round(extract_s, 1),
        "peak_rss_MB": round(rss / 1e6),
        # The physical limit: the ingest's own record rows stored again through the same
        # driver, nothing else (bench/_common.py database_floor), and the rate it caps.
        "database_floor": floor,
        "messages_per_s_database_floor": round(messages / floor["seconds"])
        if floor["seconds"]
        else 0,
    }


def generate(archive: Path, messages: int, threads: int, photos: int) -> Path:
    subprocess.run(
        [
            sys.executable,
            str(HERE / "gen_facebook_archive.py"),
            str(archive),
            "--messages",
            str(messages),
            "--threads",
            str(threads),
            "--photos",
            str(photos),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return archive


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=500_000)
    ap.add_argument("--threads", type=int, default=2_000)
    ap.add_argument("--photos", type=int, default=20_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument(
        "--quick", action="store_true", help="runs 1 and 2 only (no perceptual hashing)"
    )
    args = ap.parse_args()
    work = args.out / "facebook-work"
    remove_tree(work)
    work.mkdir(parents=True)
    archive = generate(work / "facebook-bench.zip", args.messages, args.threads, args.photos)
    bare = generate(work / "facebook-no-photos.zip", args.messages, args.threads, 0)
    env = bench_env(work)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_before": round(os.getloadavg()[0], 2),  # other users of the cores
        },
        "archive_mb": round(archive.stat().st_size / 1e6, 1),
        "generated": {"messages": args.messages, "threads": args.threads, "photos": args.photos},
        "without_photo_hashing": run_ingest(
            work, "no-phash", archive, ["--skip-extractor", "image_meta"], env
        ),
        # The same messages and threads with no photo members at all: the message work
        # alone, which the 15,000/s target is about (photos have their own figures).
        "without_photos": run_ingest(work, "no-photos", bare, [], env),
    }
    bare_run = result["without_photos"]
    result["targets"] = {  # decision D (docs/storage-decision.md)
        "without_photos_at_15000_per_s": bare_run["messages_per_s"] >= 15_000,
        "peak_memory_under_1GB": bare_run["peak_rss_MB"] < 1000,
    }
    if not args.quick:
        result["everything"] = run_ingest(work, "all", archive, [], env)
    shutil.rmtree(work)
    save_result(args.out, "facebook", result)


if __name__ == "__main__":
    main()

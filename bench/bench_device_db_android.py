"""WhatsApp for Android msgstore.db extraction against the database floor (issue 13, Speed).

The target: extracting a msgstore.db of 500,000 messages within 1.5x of storing the same rows
(``database_floor``: the ingest's own record rows inserted again through the same driver,
nothing else; bench/_common.py). Peak memory under 1 GB. One run generates the database
(current schema, tests/data/device_fixtures/android.py), ingests it with `ews ingest`
(hash, store, extract, record, ledger) and reports:

* ``extract_phase_s``: from the item's acquisition to its extraction entry in the ledger
  (the extractor and the record rows it writes, in the case's transaction);
* ``extractor_only_s``: the extractor alone in this process (rows read, records built, not
  stored), and its peak RSS;
* ``ews_ingest``: the whole command, and its peak RSS;
* the floor, and the ratios of each to it.

Usage: python bench/bench_device_db_android.py [--messages 500000] [--out bench/out]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from _common import (  # noqa: E402
    bench_env,
    children_cpu,
    database_floor,
    new_case,
    remove_tree,
    run_measured,
    save_result,
)

EWS = str(Path(sys.executable).parent / "ews")


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def extractor_only(db: Path) -> tuple[float, int]:
    """Seconds and records of the extractor alone over the file (nothing stored)."""
    from extractors.base import Context
    from extractors.whatsapp_msgstore import WhatsAppMsgstoreExtractor
    from tests.extractors.helpers import source_from_file

    source = source_from_file(db)
    started = time.perf_counter()
    count = sum(1 for _ in WhatsAppMsgstoreExtractor().extract(source, Context()))
    return time.perf_counter() - started, count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=500_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    from tests.data.device_fixtures.android import make_msgstore

    work = args.out / "android-db-work"
    remove_tree(work)
    work.mkdir(parents=True)
    db = work / "msgstore.db"
    make_msgstore(db, bulk=args.messages)
    only_s, only_records = extractor_only(db)
    only_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    env = bench_env(work)
    case = work / "case"
    new_case(case, "01BE0000013", "bench", env)
    load = os.getloadavg()[0]
    before = children_cpu()
    ingest_s, ingest_rss, _ = run_measured([EWS, "ingest", str(case), str(db)], env)
    ingest_cpu = children_cpu() - before
    with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True) as conn:
        messages = int(conn.execute("SELECT count(*) FROM message_record").fetchone()[0])
        times = dict(
            conn.execute(
                "SELECT action, max(at) FROM ledger_entry WHERE action IN "
                "('item.acquired', 'item.extracted') GROUP BY action"
            ).fetchall()
        )
    extract_s = (_t(times["item.extracted"]) - _t(times["item.acquired"])).total_seconds()
    floor = database_floor(case / "case.sqlite", ("message_record", "account_record"))
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_before_ingest": round(load, 2),
        },
        "file_mb": round(db.stat().st_size / 1e6, 1),
        "messages_generated": args.messages,
        "extractor_only": {
            "seconds": round(only_s, 2),
            "records": only_records,
            "peak_rss_MB": round(only_rss / 1e6),
        },
        "ews_ingest": {
            "seconds": round(ingest_s, 2),
            "cpu_s": round(ingest_cpu, 2),
            "messages": messages,
            "extract_phase_s": round(extract_s, 2),
            "peak_rss_MB": round(ingest_rss / 1e6),
        },
        "database_floor": floor,
        "ratio_extract_phase_to_floor": round(extract_s / floor["seconds"], 2),
        "ratio_extractor_only_to_floor": round(only_s / floor["seconds"], 2),
        "ratio_ingest_to_floor": round(ingest_s / floor["seconds"], 2),
    }
    remove_tree(work)
    save_result(args.out, "device_db_android", result)


if __name__ == "__main__":
    main()

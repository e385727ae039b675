"""Phone databases: extraction against the database floor (issue 13, Speed).

The target: an iPhone ``sms.db`` with 500,000 messages extracted within 1.5x of the
``database_floor`` (the same rows stored again through the same driver, nothing else;
bench/_common.py), with peak memory under 1 GB. Measured here, one generated database:

* ``extract``: the ``ios_sms`` extractor alone over the database, in a child process
  (every record built, nothing stored): seconds and peak RSS;
* ``ews_ingest``: ``ews ingest`` of the database file into a new case (hash, store,
  extract, database, ledger): seconds and peak RSS;
* ``database_floor``: the case's message and account rows stored again.

Usage: python bench/bench_device_db.py [--messages 500000] [--out bench/out]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from _common import (  # noqa: E402
    bench_env,
    children_cpu,
    database_floor,
    new_case,
    remove_tree,
    run_measured,
    save_result,
)

from tests.data.device_fixtures.ios import (  # noqa: E402
    DAN,
    DAN_NEW,
    SOPHIE,
    SmsMessage,
    at,
    make_sms_db,
)

EXTRACT = """
import sys, time
from extractors.base import Context
from extractors.ios_sms import IosSmsExtractor
from tests.extractors.helpers import source_from_file
from pathlib import Path
source = source_from_file(Path(sys.argv[1]))
t, c = time.perf_counter(), time.process_time()
n = sum(1 for _ in IosSmsExtractor().extract(source, Context()))
print(time.perf_counter() - t, time.process_time() - c, n)
"""
WORDS = ("please", "stop", "call", "me", "now", "where", "are", "you", "I", "saw", "it")


def bench_messages(count: int) -> Iterator[SmsMessage]:
    """A year of messages with three parties, a tenth of them in a group, one in fifty with
    a photo; iOS 17 keeps the text in ``attributedBody`` only."""
    start = at("2024-01-01T00:00:00Z")
    parties = (DAN, DAN_NEW, SOPHIE, "chat584019273645")
    for i in range(count):
        words = " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 2 + i % 9))
        party = parties[i % 4] if i % 10 else parties[3]
        yield SmsMessage(
            start + timedelta(seconds=60 * i),
            f"{words} #{i}",
            party,
            from_me=i % 3 == 0,
            service="SMS" if i % 2 else "iMessage",
            sender=SOPHIE if party == parties[3] else None,
            attachments=(("IMG.JPG", "image/jpeg"),) if i % 50 == 0 else (),
        )


def count_rows(case_db: Path) -> int:
    with sqlite3.connect(f"file:{case_db}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM message_record").fetchone()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=500_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    work = args.out / "device-db-work"
    remove_tree(work)
    work.mkdir(parents=True)
    db = work / "sms.db"
    make_sms_db(db, "ios17", bench_messages(args.messages))
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    child_env = {**os.environ, "PYTHONPATH": path}
    extract_s, extract_rss, out = run_measured([sys.executable, "-c", EXTRACT, str(db)], child_env)
    parse_s, parse_cpu, records = out.split()
    env = {**bench_env(work), "PYTHONPATH": path}
    case = new_case(work / "case", "01BE0000013", "bench", env)
    load = os.getloadavg()[0]
    before = children_cpu()
    ingest_s, ingest_rss, _ = run_measured([str(Path(sys.executable).parent / "ews"), "ingest",
                                            str(case), str(db)], env)  # fmt: skip
    ingest_cpu = children_cpu() - before
    stored = count_rows(case / "case.sqlite")
    floor = database_floor(case / "case.sqlite", ("message_record", "account_record"))
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_before_ingest": round(load, 2),
        },
        "database": "sms.db (iOS 17 schema)",
        "file_mb": round(db.stat().st_size / 1e6, 1),
        "messages_generated": args.messages,
        "extract": {
            "seconds": round(float(parse_s), 2),
            "cpu_s": round(float(parse_cpu), 2),  # user + sys: less sensitive to other load
            "process_seconds": round(extract_s, 2),
            "records": int(records),
            "peak_rss_MB": round(extract_rss / 1e6),
        },
        "ews_ingest": {
            "seconds": round(ingest_s, 2),
            "cpu_s": round(ingest_cpu, 2),
            "messages": stored,
            "peak_rss_MB": round(ingest_rss / 1e6),
        },
        "database_floor": floor,
        "ratio_extract_to_floor": round(float(parse_s) / floor["seconds"], 3),
        "ratio_ingest_to_floor": round(ingest_s / floor["seconds"], 3),
    }
    remove_tree(work)
    save_result(args.out, "device_db", result)


if __name__ == "__main__":
    main()

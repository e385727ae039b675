"""WhatsApp ingest against the parsers people already use, on one generated file, one run.

The target (decision D of docs/storage-decision.md, issue 16 §5): full `ews ingest` of a
1,000,000-message export (hash, store, parse, database, ledger) within 3x the time whatstk's
`df_from_whatsapp` needs only to parse it, measured in the same run, and within 2.5x the
database floor (the ingest's own rows stored again, nothing else); chat-miner's parse time is
reported beside it. Peak memory of the ingest must stay under 1 GB. The result's `targets`
says whether each holds: this bench is the guard of the decision. whatstk and chat-miner are
benchmark-only dependencies (`pip install '.[bench]'`); nothing of theirs is shipped.

Usage: python bench/bench_whatsapp.py [--messages 1000000] [--out bench/out] [--db URL]

`--db postgresql+psycopg://…` puts the case on PostgreSQL (an empty database; the database
floor is then not measured, it is SQLite's). `EWS_PG_DURABLE=1 scripts/pg_cluster.sh start`
gives a local cluster with PostgreSQL's durable defaults (fsync and synchronous commit on).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
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

WHATSTK = """
import sys, time
from whatstk import df_from_whatsapp
t = time.perf_counter()
df = df_from_whatsapp(sys.argv[1], hformat="%d/%m/%Y, %H:%M - %name:", max_size=None)
print(time.perf_counter() - t, len(df))
"""
CHATMINER = """
import sys, time
from chatminer.chatparsers import WhatsAppParser
t = time.perf_counter()
parser = WhatsAppParser(sys.argv[1])
parser.parse_file()
df = parser.parsed_messages.get_df()
print(time.perf_counter() - t, len(df))
"""


def parser_seconds(script: str, path: Path) -> tuple[float, int, int]:
    """(parse seconds as the library measures them, rows, peak RSS)."""
    _, rss, out = run_measured([sys.executable, "-c", script, str(path)], dict(os.environ))
    seconds, rows = out.split()
    return float(seconds), int(rows), rss


def count_messages(case: Path, url: str | None) -> int:
    if url is None:
        with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM message_record").fetchone()[0])
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM message_record").scalar_one())
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--db", help="SQLAlchemy URL of an empty database (default: SQLite)")
    args = ap.parse_args()
    work = args.out / "whatsapp-work"
    remove_tree(work)
    work.mkdir(parents=True)
    chat = work / "WhatsApp Chat with Bench.txt"
    subprocess.run(
        [
            sys.executable,
            str(HERE / "gen_whatsapp.py"),
            str(chat),
            "--messages",
            str(args.messages),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    env = bench_env(work)
    case = work / "case"
    new_case(case, "01BE0000002", "bench", env, args.db)
    whatstk_s, whatstk_rows, whatstk_rss = parser_seconds(WHATSTK, chat)
    chatminer_s, chatminer_rows, chatminer_rss = parser_seconds(CHATMINER, chat)
    load = os.getloadavg()[0]
    before = children_cpu()
    ingest_s, ingest_rss, _ = run_measured([EWS, "ingest", str(case), str(chat)], env)
    ingest_cpu = children_cpu() - before
    messages = count_messages(case, args.db)
    floor = None
    if args.db is None:
        floor = database_floor(case / "case.sqlite", ("message_record", "account_record"))
    result = {
        "database": "sqlite" if args.db is None else args.db.split(":")[0],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_before_ingest": round(load, 2),  # other users of the cores
        },
        "file_mb": round(chat.stat().st_size / 1e6, 1),
        "messages_generated": args.messages,
        "ews_ingest": {
            "seconds": round(ingest_s, 2),
            "cpu_s": round(ingest_cpu, 2),  # user + sys, the ingest and its extraction worker
            "messages": messages,
            "messages_per_s": round(messages / ingest_s),
            "peak_rss_MB": round(ingest_rss / 1e6),
        },
        "whatstk_parse": {
            "seconds": round(whatstk_s, 2),
            "rows": whatstk_rows,
            "peak_rss_MB": round(whatstk_rss / 1e6),
        },
        "chatminer_parse": {
            "seconds": round(chatminer_s, 2),
            "rows": chatminer_rows,
            "peak_rss_MB": round(chatminer_rss / 1e6),
        },
        # The physical limit named beside the peer: the ingest's own rows stored again
        # through the same driver, nothing else (bench/_common.py database_floor).
        "database_floor": floor,
        "ratio_ingest_to_whatstk": round(ingest_s / whatstk_s, 3),
        "ratio_database_floor_to_whatstk": floor and round(floor["seconds"] / whatstk_s, 3),
        "ratio_ingest_to_database_floor": floor and round(ingest_s / floor["seconds"], 3),
    }
    result["targets"] = {  # decision D (docs/storage-decision.md)
        "ingest_within_3x_whatstk": ingest_s <= 3 * whatstk_s,
        "ingest_within_2.5x_database_floor": None if floor is None
        else ingest_s <= 2.5 * floor["seconds"],
        "peak_memory_under_1GB": ingest_rss < 1e9,
    }
    remove_tree(work)
    save_result(args.out, "whatsapp", result)


if __name__ == "__main__":
    main()

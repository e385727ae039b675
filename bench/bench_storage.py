"""What storing a million messages costs in SQLite, whatever the parser: the storage decision.

The WhatsApp target (full ingest in 0.7x whatstk's parse) and the Facebook one (50,000
messages/s) need the database part to be a fraction of the whole. This benchmark ingests a
generated WhatsApp export once (`ews ingest`), then stores its own `message_record` rows
again in fresh databases, timing only the storing, under different designs:

- `as_is`: the case schema (33 columns, four indexes, foreign keys): the ingest's floor;
- `no_indexes` + `index_build`: the same rows with the indexes created after the load;
- `slim`: one row per message without the per-row copies of the case, extraction and item
  ids, the item SHA-256 and the path (an integer extraction number instead), then the
  same four indexes built after the load;
- `json_doc`: the least a row-per-message design can store: (extraction, ordinal,
  the record's canonical JSON), primary key only.

Every variant: WAL, `synchronous=FULL`, one transaction, 1,000-row `executemany` calls, as
the ingest does. Rows are read from the ingested case untimed.

Usage: python bench/bench_storage.py [--messages 1000000] [--out bench/out]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import (  # noqa: E402
    EWS,
    bench_env,
    database_floor,
    new_case,
    remove_tree,
    run_measured,
    save_result,
)

PAGE = 1000
#: Columns a slim row drops: copies of what the extraction row already says.
COPIES = ("case_id", "extraction_id", "item_id", "loc_sha256", "loc_path")


def pages(db: Path, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        cursor = src.execute(sql)
        while page := cursor.fetchmany(PAGE):
            yield page
    finally:
        src.close()


def timed_load(
    schema: list[str],
    insert: str,
    rows: Iterator[list[tuple[Any, ...]]],
    after: list[str],
    shape: Callable[[tuple[Any, ...]], tuple[Any, ...]] = lambda r: r,
) -> dict[str, float]:
    """Seconds to insert ``rows`` (and commit) into a fresh database, then to run ``after``."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        conn = sqlite3.connect(Path(tmp) / "t.sqlite", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        for statement in schema:
            conn.execute(statement)
        load = 0.0
        conn.execute("BEGIN IMMEDIATE")
        for page in rows:
            shaped = [shape(r) for r in page]
            started = time.perf_counter()
            conn.executemany(insert, shaped)
            load += time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("COMMIT")
        load += time.perf_counter() - started
        started = time.perf_counter()
        for statement in after:
            conn.execute(statement)
        build = time.perf_counter() - started
        size = sum(f.stat().st_size for f in Path(tmp).iterdir())
        conn.close()
    return {"load_s": round(load, 2), "index_build_s": round(build, 2), "MB": round(size / 1e6)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ews-storage-"))
    try:
        chat = work / "WhatsApp Chat with Bench.txt"
        n = args.messages
        subprocess.run(
            [sys.executable, str(HERE / "gen_whatsapp.py"), str(chat), "--messages", f"{n}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        env = bench_env(work)
        case = new_case(work / "case", "01BE0000004", "storage", env)
        run_measured([EWS, "ingest", str(case), str(chat)], env)
        db = case / "case.sqlite"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            table_sql = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'message_record'"
            ).fetchone()[0]
            index_sql = [
                r[0]
                for r in conn.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'message_record' AND sql IS NOT NULL"
                )
            ]
            columns = [r[1] for r in conn.execute("PRAGMA table_info(message_record)")]
        # Foreign keys need their parents: the variants below have none, so they are off
        # there; `as_is` is the case database itself, with them on.
        table_sql = re.sub(r",\s*FOREIGN KEY.*", "\n)", table_sql, flags=re.DOTALL)
        columns = [c for c in columns if c != "id"]
        marks = ", ".join("?" * len(columns))
        read_all = f"SELECT {', '.join(columns)} FROM message_record ORDER BY id"
        full_insert = f"INSERT INTO message_record ({', '.join(columns)}) VALUES ({marks})"
        kept = [i for i, c in enumerate(columns) if c not in COPIES]
        slim_columns = ["extraction_no", *(columns[i] for i in kept)]
        slim_indexes = [
            s.replace("(case_id, ", "(extraction_no, ").replace("(item_id, ", "(extraction_no, ")
            for s in index_sql
        ]
        slim_table = (
            "CREATE TABLE message_record (id INTEGER PRIMARY KEY, extraction_no INTEGER, "
            + ", ".join(columns[i] for i in kept)
            + ")"
        )
        result: dict[str, Any] = {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "sqlite": sqlite3.sqlite_version,
                "load_avg_1m_before": round(os.getloadavg()[0], 2),
            },
            "messages": args.messages,
            "as_is": database_floor(db, ("message_record",)),
            "no_indexes": timed_load([table_sql], full_insert, pages(db, read_all), index_sql),
            "slim": timed_load(
                [slim_table],
                f"INSERT INTO message_record ({', '.join(slim_columns)}) "
                f"VALUES ({', '.join('?' * len(slim_columns))})",
                pages(db, read_all),
                slim_indexes,
                lambda r: (1, *(r[i] for i in kept)),
            ),
        }
        # The canonical JSON of each message, rebuilt from its row as the ingest hashed it.
        from extractors.records import Locator, Message, canonical_json

        fields = [c for c in columns if c in Message.__dataclass_fields__]
        lists = {"recipients", "flags", "attachments", "received_chain", "reactions", "shares"}

        def doc(row: tuple[Any, ...]) -> tuple[Any, ...]:
            values = dict(zip(columns, row, strict=True))
            given: dict[str, Any] = {
                f: tuple(json.loads(values[f]))
                if f in lists
                else bool(values[f])
                if f in ("tz_assumed", "edited")
                else values[f]
                for f in fields
            }
            record = Message(
                locator=Locator(values["loc_sha256"], values["loc_path"], values["loc_line"]),
                **given,
            )
            return (1, values["ordinal"], canonical_json(record).decode())

        result["json_doc"] = timed_load(
            [
                "CREATE TABLE message_doc (extraction_no INTEGER, ordinal INTEGER, doc TEXT, "
                "PRIMARY KEY (extraction_no, ordinal)) WITHOUT ROWID"
            ],
            "INSERT INTO message_doc VALUES (?, ?, ?)",
            pages(db, read_all),
            [],
            doc,
        )
    finally:
        remove_tree(work)
    save_result(args.out, "storage", result)


if __name__ == "__main__":
    main()

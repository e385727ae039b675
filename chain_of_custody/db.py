"""Database engines and transactions: SQLite (WAL, in the case folder) or PostgreSQL.

Writes to the ledger are serialised per case: SQLite with ``BEGIN IMMEDIATE``, PostgreSQL
with a transaction-scoped advisory lock keyed by the case id, so that two workstations
appending at the same moment still produce one unbroken chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest migration; opening a case at this version skips Alembic (and its import time).
HEAD_REVISION = "0009"


def make_engine(url: str) -> Engine:
    """An engine for a case database; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=2)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself so write transactions can be IMMEDIATE.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout = 120000")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("ews_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def _lock_key(case_id: str) -> int:
    # pg_advisory_xact_lock takes a signed 64-bit key.
    return int.from_bytes(hashlib.sha256(case_id.encode()).digest()[:8], "big", signed=True)


@contextmanager
def write_transaction(
    engine: Engine, case_id: str, held: Connection | None = None
) -> Iterator[Connection]:
    """A transaction that holds the case's append lock until commit or rollback.

    ``held``: a connection from ``write_connection`` to run it on, instead of a new one.
    """
    if held is not None:
        with held.begin():
            _lock_case(held, case_id)
            yield held
        return
    with write_connection(engine) as conn, conn.begin():
        _lock_case(conn, case_id)
        yield conn


def write_connection(engine: Engine) -> Connection:
    """A connection for write transactions, to be held over many of them (close it after).

    Opening a connection costs more than a small transaction (SQLite: a file open and four
    pragmas; PostgreSQL: a pool checkout and a ping). Commits on it stay as durable as any:
    SQLite's synchronous=FULL is a pragma of the connection, set when it is opened.
    """
    return engine.connect().execution_options(ews_write=True)


def _lock_case(conn: Connection, case_id: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(case_id)})


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A read-only snapshot (one transaction) of the database."""
    with engine.connect() as conn, conn.begin():
        yield conn


def alembic_config(conn: Connection) -> Any:
    """Alembic configuration bound to a live connection."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def schema_version(engine: Engine) -> str | None:
    """The Alembic revision of the database, or None if it has no schema yet."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_schema(engine: Engine) -> None:
    """Bring the database to the newest schema (idempotent; safe with concurrent openers)."""
    if schema_version(engine) == HEAD_REVISION:
        return
    from alembic import command

    with engine.connect().execution_options(ews_write=True) as conn:
        if conn.dialect.name == "postgresql":
            with conn.begin():
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7463519)"))
                command.upgrade(alembic_config(conn), "head")
        else:
            command.upgrade(alembic_config(conn), "head")
            conn.commit()

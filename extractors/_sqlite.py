"""Reading a phone's SQLite database as evidence: never in place, never written.

Device databases (iOS ``sms.db``, Android ``mmssms.db``, WhatsApp's ``msgstore.db`` ...)
arrive as store items. SQLite needs a file, and opening the evidence itself could write a
journal or replay a WAL beside it, so the bytes are copied into a private temporary file and
opened read-only and immutable (``mode=ro&immutable=1``): no lock, no journal, no change.

``sniff`` needs to tell these databases apart from their first bytes only. Page 1 of a SQLite
file holds ``sqlite_master``; the ``CREATE TABLE`` statements of a phone database's schema
normally lie within the first 64 KiB that a :class:`~extractors.base.Source` carries as its
head, so :func:`head_tables` reads the table names from there.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from extractors.base import Source

SQLITE_MAGIC = b"SQLite format 3\x00"
_CREATE_TABLE = re.compile(
    rb"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"'`\[]?([A-Za-z_][A-Za-z0-9_]*)",
    re.IGNORECASE,
)
_COPY_CHUNK = 1 << 20


def is_sqlite(head: bytes) -> bool:
    """True when the bytes start with SQLite's file header."""
    return head.startswith(SQLITE_MAGIC)


def head_tables(head: bytes) -> frozenset[str]:
    """The names of the tables whose ``CREATE TABLE`` text is in ``head`` (lower case).

    Empty when ``head`` is not a SQLite file. A schema larger than the head gives only the
    tables found in it; callers sniff on a few tables that define the format.
    """
    if not is_sqlite(head):
        return frozenset()
    return frozenset(m.group(1).decode("ascii").lower() for m in _CREATE_TABLE.finditer(head))


def has_tables(head: bytes, *names: str) -> bool:
    """True when every one of ``names`` is a table in the head's schema."""
    tables = head_tables(head)
    return bool(tables) and all(n.lower() in tables for n in names)


@contextmanager
def open_database(source: Source) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a private copy of the source's bytes.

    The copy is removed on exit. Rows come back as :class:`sqlite3.Row`. Text that is not
    valid UTF-8 is decoded with replacement characters rather than failing the whole read.
    """
    with tempfile.TemporaryDirectory(prefix="ews-sqlite-") as folder:
        path = os.path.join(folder, "evidence.db")
        with source.open() as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst, _COPY_CHUNK)
        os.chmod(path, 0o400)
        uri = "file:" + path + "?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True)
        try:
            conn.row_factory = sqlite3.Row
            conn.text_factory = lambda b: b.decode("utf-8", "replace")
            yield conn
        finally:
            conn.close()


def table_columns(conn: sqlite3.Connection, table: str) -> frozenset[str]:
    """The column names of ``table`` (lower case); empty when there is no such table."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ValueError(f"not a table name: {table!r}")
    return frozenset(str(r[1]).lower() for r in conn.execute(f"PRAGMA table_info({table})"))


def tables(conn: sqlite3.Connection) -> frozenset[str]:
    """Every table in the database (lower case)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return frozenset(str(r[0]).lower() for r in rows)

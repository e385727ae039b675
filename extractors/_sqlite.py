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


def _varint(buf: bytes, at: int) -> tuple[int, int]:
    """A SQLite varint at ``at``: (value, position after it); IndexError past the end."""
    value = 0
    for i in range(8):
        byte = buf[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | buf[at + 8], at + 9


def _schema_row(page: bytes, cell: int, usable: int) -> tuple[bytes, bytes] | None:
    """(type, name) of a ``sqlite_master`` row in a table leaf cell, from its local bytes."""
    size, at = _varint(page, cell)
    _, at = _varint(page, at)  # rowid
    most = usable - 35
    if size > most:  # the rest is on overflow pages; type and name come first
        least = (usable - 12) * 32 // 255 - 23
        local = least + (size - least) % (usable - 4)
        size = local if local <= most else least
    payload = page[at : at + size]
    header_len, pos = _varint(payload, 0)
    serials: list[int] = []
    while pos < header_len and len(serials) < 2:
        serial, pos = _varint(payload, pos)
        serials.append(serial)
    if len(serials) < 2 or any(s < 13 or s % 2 == 0 for s in serials):
        return None  # type and name are texts
    kind_len, name_len = ((s - 13) // 2 for s in serials)
    kind = payload[header_len : header_len + kind_len]
    name = payload[header_len + kind_len : header_len + kind_len + name_len]
    return kind, name


def schema_tables(source: Source, max_pages: int = 256) -> frozenset[str]:
    """The table names of ``sqlite_master``, read by walking its b-tree from page 1.

    For ``sniff`` when the schema is not within the head: a phone database that gained
    tables over the years keeps ``sqlite_master``'s leaf pages wherever they were allocated,
    often past the first 64 KiB. Only those pages are read (at most ``max_pages``); damaged
    or unexpected pages give what was found so far. Empty when not a SQLite file.
    """
    head = source.head
    if not is_sqlite(head) or len(head) < 100:
        return frozenset()
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return frozenset()
    usable = page_size - head[20]
    found: set[str] = set()
    with source.open() as stream:

        def page(number: int) -> bytes:
            start = (number - 1) * page_size
            if start + page_size <= len(head):
                return head[start : start + page_size]
            stream.seek(start)
            return stream.read(page_size)

        todo, seen = [1], set[int]()
        while todo and len(seen) < max_pages:
            number = todo.pop()
            if number in seen or number < 1:
                continue
            seen.add(number)
            try:
                data = page(number)
                base = 100 if number == 1 else 0
                kind, cells = data[base], int.from_bytes(data[base + 3 : base + 5], "big")
                if kind == 0x05:  # interior table page: children, then the right-most one
                    todo.append(int.from_bytes(data[base + 8 : base + 12], "big"))
                top = base + (12 if kind == 0x05 else 8)
                for i in range(cells):
                    cell = int.from_bytes(data[top + 2 * i : top + 2 * i + 2], "big")
                    if kind == 0x05:
                        todo.append(int.from_bytes(data[cell : cell + 4], "big"))
                    elif kind == 0x0D:
                        row = _schema_row(data, cell, usable)
                        if row is not None and row[0] == b"table":
                            found.add(row[1].decode("utf-8", "replace").lower())
            except (IndexError, ValueError, OSError):
                continue
    return frozenset(found)


_SCHEMAS: dict[str, frozenset[str]] = {}  # by item SHA-256: every extractor sniffs each item


def source_has_tables(source: Source, *names: str) -> bool:
    """True when every one of ``names`` is a table of the source's schema: from the head
    when the schema is there, else by :func:`schema_tables` (remembered for the last
    items, as each device extractor sniffs every SQLite item)."""
    if not is_sqlite(source.head):
        return False
    wanted = {n.lower() for n in names}
    if wanted <= head_tables(source.head):
        return True
    found = _SCHEMAS.get(source.sha256)
    if found is None:
        found = schema_tables(source)
        if len(_SCHEMAS) >= 64:
            _SCHEMAS.pop(next(iter(_SCHEMAS)))
        _SCHEMAS[source.sha256] = found
    return wanted <= found


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

"""Record roots recomputed from the rows stored now (issue 12, ``ews verify``).

Every ``item.extracted`` entry signs the Merkle root and count of what one extractor found
in one item: the canonical JSON of each record, in the order it was yielded (its
ordinal). A record row edited, deleted or inserted in the database changes that root, so
verification rebuilds each record's canonical bytes from its row, adds the leaves no row
gives back (``record_leaf``: warnings, embedded files, PostgreSQL rows that held NUL) and
compares root and count with the entry, and the ``extraction`` row with it too.

That cheap path says *that* an extraction changed. To say *what* changed, the same
extractor (same name and version; extractors are deterministic) is run again over the
item's bytes in the store, whose hash the blob check verifies, and its records are compared
with the rows: the table, row id, ordinal and field that differ, with the value the ledger
justifies, and rows inserted or deleted. A case made before ``record_leaf`` existed has no
stored warning leaves; its extractions with warnings verify through that same re-extraction.
Rows that belong to no extraction, or to one without its entry, fail too.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields as dataclass_fields
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from chain_of_custody import merkle
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.ledger import Entry
from chain_of_custody.models import (
    AccountRecord,
    CallRecord,
    Extraction,
    ImageMetaRecord,
    MessageRecord,
    RecordLeaf,
)
from extractors import registry
from extractors.base import Context, Sibling, Source, environment_secrets
from extractors.records import (
    Account,
    Call,
    ImageMeta,
    Locator,
    Message,
    Record,
    canonical_from_values,
    canonical_json,
    field_names,
    flat_values,
)
from extractors.timeutil import sort_key

if TYPE_CHECKING:
    from chain_of_custody.verify import VerifyReport

T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]
T_LEAF = RecordLeaf.__table__  # type: ignore[attr-defined]
#: Record tables in a fixed order (rows of one ordinal in two tables: inserted rows).
TABLES: dict[str, tuple[type[Record], Any]] = {
    "message_record": (Message, MessageRecord.__table__),  # type: ignore[attr-defined]
    "account_record": (Account, AccountRecord.__table__),  # type: ignore[attr-defined]
    "call_record": (Call, CallRecord.__table__),  # type: ignore[attr-defined]
    "image_meta_record": (ImageMeta, ImageMetaRecord.__table__),  # type: ignore[attr-defined]
}
_LOCATOR_COLUMNS = ("loc_sha256", "loc_path", "loc_line", "loc_offset", "loc_pointer")
#: Columns computed from a record's fields (not in its canonical form): checked apart.
_DERIVED = {"message_record": "sent_at_sort", "account_record": "account_key"}
#: Failures named per extraction before the rest are summed up.
MAX_NAMED = 20
#: Rows fetched per round trip.
FETCH = 2000
_BAD = object()  # a row whose values cannot be a record's: its leaf matches nothing
_INVALID_LEAF = hashlib.sha256(b"\x02not a record").digest()


class RowError(ValueError):
    """A row value that no record could have given (wrong type, malformed list)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Shape:
    """How the rows of one record table give back their records' values and canonical JSON.

    A row is selected as ``id, ordinal, <locator columns>, <record fields in field order>
    [, <derived column>]``. ``values`` gives the record's ``flat_values`` (booleans from
    SQLite's integers, lists from their JSON text, every type checked); ``canonical`` is
    a generated function writing the canonical JSON directly from the row, as fast as the
    rows can be read; it raises on anything unusual and the caller falls back to
    ``values``.
    """

    def __init__(self, table_name: str) -> None:
        kind, table = TABLES[table_name]
        self.name = table_name
        self.kind = kind
        columns = {c.name for c in table.columns}
        names = field_names(kind)
        missing = [n for n in names[1:] if n not in columns]
        if missing:
            raise KeyError(f"{table_name}: record field(s) without a column: {missing}")
        self.fields = names[1:]
        self.derived = _DERIVED.get(table_name)
        self.columns = [
            "id",
            "ordinal",
            *_LOCATOR_COLUMNS,
            *self.fields,
            *([self.derived] if self.derived else []),
        ]
        types = {f.name: str(f.type) for f in dataclass_fields(kind)}
        self.types = tuple(types[n] for n in self.fields)
        self.first = 2 + len(_LOCATOR_COLUMNS)  # index of the first record field in a row
        self.canonical = self._compile()

    # -- the general path: values, checked ------------------------------------------------

    def values(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The record's ``flat_values`` from its row; RowError when no record has them."""
        loc = row[2 : self.first]
        _check(loc[0], "str", "loc_sha256")
        _check(loc[1], "str", "loc_path")
        _check(loc[2], "int | None", "loc_line")
        _check(loc[3], "int | None", "loc_offset")
        _check(loc[4], "str | None", "loc_pointer")
        out: list[Any] = [tuple(loc)]
        for name, kind, value in zip(self.fields, self.types, row[self.first :], strict=False):
            if kind.startswith("tuple"):
                out.append(_list_from_text(name, value))
            elif kind == "bool":
                if value not in (0, 1) or type(value) not in (int, bool):
                    raise RowError(name, f"{value!r} is not a boolean")
                out.append(bool(value))
            else:
                _check(value, kind, name)
                out.append(value)
        return tuple(out)

    def derived_value(self, values: tuple[Any, ...]) -> Any:
        """What the derived column must hold for a record with these values."""
        if self.name == "message_record":
            return sort_key(values[1 + self.fields.index("sent_at_utc")])
        if self.name == "account_record":
            record = self.kind(Locator(*values[0]), *values[1:])
            return record.key  # type: ignore[attr-defined]
        return None

    def check(self, row: tuple[Any, ...]) -> tuple[bytes | None, list[tuple[str, str]]]:
        """(canonical JSON or None, problems as (column, message)) of one row, slowly."""
        try:
            values = self.values(row)
        except RowError as exc:
            return None, [(exc.field, str(exc).split(": ", 1)[1])]
        problems: list[tuple[str, str]] = []
        if self.derived is not None:
            expected = self.derived_value(values)
            if row[-1] != expected:
                problems.append(
                    (self.derived, f"row says {_show(row[-1])}, its fields give {_show(expected)}")
                )
        return canonical_from_values(self.kind, values), problems

    # -- the fast path: generated -----------------------------------------------------------

    def _compile(self) -> Callable[[tuple[Any, ...]], str]:
        """A function row -> canonical JSON text, for rows holding what ingest writes.

        One expression joining each key's part (``,"key":value``, or nothing for a None
        that ``record_to_canonical`` leaves out), in sorted key order; ``encode_basestring``
        and ``int.__repr__`` raise on a value of the wrong type, a list text not seen yet
        is checked once and remembered.
        """
        keyed = [("type", -2), ("locator", -1)]
        keyed += [(n, self.first + i) for i, n in enumerate(self.fields)]
        parts = []
        for name, index in sorted(keyed):
            key = "," + json.dumps(name) + ":"
            if index == -2:
                parts.append(repr(key + json.dumps(self.kind.record_type)))
                continue
            if index == -1:
                parts.append(
                    f"{key!r} + '{{\"item_sha256\":' + E(r[2])"
                    " + (',\"line\":' + I(r[4]) if r[4] is not None else '')"
                    " + (',\"offset\":' + I(r[5]) if r[5] is not None else '')"
                    " + ',\"path\":' + E(r[3])"
                    " + (',\"pointer\":' + E(r[6]) if r[6] is not None else '') + '}'"
                )
                continue
            kind = self.types[index - self.first]
            v = f"r[{index}]"
            if kind.startswith("tuple"):
                listed = f"LC.get({v}) or J({name!r}, {v})"
                parts.append(f"{key!r} + ('[]' if {v} == '[]' else {listed})")
            elif kind == "bool":
                parts.append(f"{key!r} + B[{v}]")
            elif kind in ("str", "int"):
                parts.append(f"{key!r} + {'E' if kind == 'str' else 'I'}({v})")
            elif kind in ("str | None", "int | None"):
                enc = "E" if kind.startswith("str") else "I"
                parts.append(f"({key!r} + {enc}({v}) if {v} is not None else '')")
            else:
                raise TypeError(f"{self.name}.{name}: no fast path for {kind}")
        lines = ["def canonical(r, E=E, I=I, B=B, LC=LC, J=J, S=S):"]
        if self.name == "message_record":
            utc = self.first + self.fields.index("sent_at_utc")
            lines += [
                f"    u, s = r[{utc}], r[-1]",
                "    if not (u is not None and len(u) == 20 and u[19] == 'Z' and u[10] == 'T'"
                " and s == u[:19] + '.000000Z') and s != S(u):",
                "        raise ValueError('sent_at_sort')",
            ]
        elif self.name == "account_record":
            lines.append("    raise ValueError('account_key is checked slowly')")
        lines.append("    return '{' + ''.join((" + ", ".join(parts) + ",))[1:] + '}'")
        scope: dict[str, Any] = {
            "E": encode_basestring,
            "I": int.__repr__,
            "B": _BOOL_JSON,
            "LC": _LIST_CACHE,
            "J": _list_json,
            "S": sort_key,
        }
        exec("\n".join(lines), scope)  # the source is built above from field names only
        fn: Callable[[tuple[Any, ...]], str] = scope["canonical"]
        return fn


def _check(value: Any, kind: str, name: str) -> None:
    if value is None:
        if not kind.endswith("None"):
            raise RowError(name, "is empty (NULL)")
        return
    wanted = str if kind.startswith("str") else int
    if type(value) is not wanted:
        raise RowError(name, f"{_show(value)} is not {'text' if wanted is str else 'an integer'}")


def _str_json(value: Any) -> str:
    if type(value) is not str:
        raise TypeError("not text")
    return encode_basestring(value)


def _int_json(value: Any) -> str:
    if type(value) is not int:
        raise TypeError("not an integer")
    return int.__repr__(value)


_BOOL_JSON = {0: "false", 1: "true"}


def _list_from_text(name: str, text: Any) -> tuple[str, ...]:
    """A list field from the JSON text ingest wrote; exactly that text, or RowError."""
    if text == "[]":
        return ()
    try:
        items = json.loads(text) if type(text) is str else None
    except ValueError:
        items = None
    if type(items) is not list or any(type(i) is not str for i in items):
        raise RowError(name, f"{_show(text)} is not a JSON list of texts")
    if json.dumps(items, ensure_ascii=False) != text:
        raise RowError(name, f"{_show(text)} is not written as ingest writes it")
    return tuple(items)


#: List texts already checked, and their canonical JSON (flags repeat on every row).
_LIST_CACHE: dict[Any, str] = {"[]": "[]"}


def _list_json(name: str, text: Any) -> str:
    canonical = "[" + ",".join(map(encode_basestring, _list_from_text(name, text))) + "]"
    if len(_LIST_CACHE) < 4096:
        _LIST_CACHE[text] = canonical
    return canonical


def _locator_json(loc: tuple[Any, ...]) -> str:
    sha256, path, line, offset, pointer = loc
    out = '{"item_sha256":' + _str_json(sha256)
    if line is not None:
        out += ',"line":' + _int_json(line)
    if offset is not None:
        out += ',"offset":' + _int_json(offset)
    out += ',"path":' + _str_json(path)
    if pointer is not None:
        out += ',"pointer":' + _str_json(pointer)
    return out + "}"


def _show(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_SHAPES: dict[str, Shape] = {}


def shape(table_name: str) -> Shape:
    """The (cached) Shape of a record table."""
    found = _SHAPES.get(table_name)
    if found is None:
        found = _SHAPES[table_name] = Shape(table_name)
    return found


def rebuild_canonical(table_name: str, row: tuple[Any, ...]) -> bytes:
    """The canonical JSON of the record a row (selected as ``Shape.columns``) holds."""
    s = shape(table_name)
    try:
        return s.canonical(row).encode("utf-8")
    except (TypeError, ValueError, KeyError):
        canonical, _ = s.check(row)
        if canonical is None:
            raise
        return canonical


# -- reading an extraction's rows -------------------------------------------------------------


class _Reader:
    """Reads record rows through the driver's own cursor (tuples, no per-row objects)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.driver: Any = conn.connection.driver_connection
        self.pg = conn.dialect.name == "postgresql"
        self.mark = "%s" if self.pg else "?"
        self._names = itertools.count()

    def batches(self, sql: str, params: tuple[Any, ...]) -> Iterator[list[tuple[Any, ...]]]:
        sql = sql.replace("?", self.mark)
        if self.pg:  # a server-side cursor: a million rows are not held at once
            cursor = self.driver.cursor(name=f"ews_verify_{next(self._names)}")
            cursor.itersize = FETCH
        else:
            cursor = self.driver.cursor()
        try:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(FETCH):
                yield batch
        finally:
            cursor.close()

    def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return [r for b in self.batches(sql, params) for r in b]


def _select(table_name: str) -> str:
    s = shape(table_name)
    where = "case_id = ? AND item_id = ? AND extraction_id = ?"
    return f"SELECT {', '.join(s.columns)} FROM {table_name} WHERE {where} ORDER BY ordinal, id"


#: One stored leaf or row, in ordinal order: (ordinal, table or "record_leaf", row).
Stored = tuple[int, str, tuple[Any, ...]]


def _stored_others(reader: _Reader, case_id: str, x: Any) -> list[Stored]:
    """Everything of an extraction but its message rows, in (ordinal, table) order."""
    out: list[Stored] = []
    for name in list(TABLES)[1:]:
        out += [(r[1], name, r) for r in reader.rows(_select(name), (case_id, x.item_id, x.id))]
    leaves = reader.rows(
        "SELECT id, ordinal, kind, canonical FROM record_leaf "
        "WHERE case_id = ? AND extraction_id = ? ORDER BY ordinal, id",
        (case_id, x.id),
    )
    out += [(r[1], "record_leaf", r) for r in leaves]
    order = {n: i for i, n in enumerate([*TABLES, "record_leaf"])}
    out.sort(key=lambda s: (s[0], order[s[1]], s[2][0]))
    return out


def _message_batches(
    reader: _Reader, case_id: str, x: Any, low: int | None = None, high: int | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """An extraction's message rows in ordinal order (ordinals ``low`` to ``high``)."""
    sql = _select("message_record")
    params: tuple[Any, ...] = (case_id, x.item_id, x.id)
    if low is not None:
        sql = sql.replace(" ORDER BY", " AND ordinal >= ? ORDER BY")
        params += (low,)
    if high is not None:
        sql = sql.replace(" ORDER BY", " AND ordinal < ? ORDER BY")
        params += (high,)
    return reader.batches(sql, params)


def stored_stream(reader: _Reader, case_id: str, x: Any) -> Iterator[Stored]:
    """Every row and stored leaf of an extraction, in ordinal order (messages streamed)."""
    others = _stored_others(reader, case_id, x)
    i, n = 0, len(others)
    for batch in _message_batches(reader, case_id, x):
        for row in batch:
            while i < n and others[i][0] <= row[1]:
                yield others[i]
                i += 1
            yield (row[1], "message_record", row)
    yield from others[i:]


# -- the cheap path: roots --------------------------------------------------------------------


class _Outcome:
    """What recomputing one extraction's root found."""

    def __init__(self) -> None:
        self.peaks = merkle.MerklePeaks()
        self.rows = {name: 0 for name in TABLES}
        self.leaves = 0
        self.problems: list[tuple[str, str, str]] = []  # (subject, column, message)
        self.gaps: list[int] = []  # ordinals with no row or leaf
        self.doubles: list[tuple[str, int, int]] = []  # (table, row id, ordinal) beyond one
        self.next = 0  # the ordinal the next row or leaf should have

    def add_problem(self, table: str, row: tuple[Any, ...], column: str, message: str) -> None:
        self.problems.append((f"{table} row {row[0]} (ordinal {row[1]})", column, message))


#: An extraction with at least this many records has half its message rows hashed by a
#: second process (with its own connection), where there are two cores.
PARALLEL_MIN = 200_000


def _parallel() -> bool:
    return (os.cpu_count() or 1) >= 2 and os.environ.get("EWS_VERIFY_PROCESSES") != "1"


def _recompute(reader: _Reader, case_id: str, x: Any, count: int = 0) -> _Outcome:
    """The root of an extraction's stored rows and leaves, with what looked wrong.

    ``count`` (the records the entry states) decides whether a second process hashes the
    upper half of the message rows (``_leaf_range``); anything unusual there and this
    process reads that half itself, the careful way.
    """
    out = _Outcome()
    others = _stored_others(reader, case_id, x)
    nul_rows = {r[1]: r[3] for _, name, r in others if name == "record_leaf" and r[2] == "row"}
    if nul_rows:
        others = [s for s in others if not (s[1] == "record_leaf" and s[2][2] == "row")]
        out.leaves += len(nul_rows)
    i, n = 0, len(others)
    sha256 = hashlib.sha256
    canonical = shape("message_record").canonical

    def consume(batches: Iterable[list[tuple[Any, ...]]]) -> None:
        nonlocal i
        for batch in batches:
            expect = out.next
            next_other = others[i][0] if i < n else None
            # The common case: a run of message rows in order. Comprehensions; a batch
            # with anything unusual (a wrong ordinal, a bad value) goes the careful way.
            if (
                not nul_rows
                and (next_other is None or next_other >= expect + len(batch))
                and [r[1] for r in batch] == list(range(expect, expect + len(batch)))
            ):
                try:
                    leaves = [sha256(b"\x00" + canonical(r).encode()).digest() for r in batch]
                except (TypeError, ValueError, KeyError, AttributeError):
                    pass
                else:
                    extend_peaks(out.peaks, leaves)
                    out.next += len(batch)
                    out.rows["message_record"] += len(batch)
                    continue
            for row in batch:
                while i < n and others[i][0] <= row[1]:
                    _take(out, others[i], nul_rows)
                    i += 1
                _take(out, (row[1], "message_record", row), nul_rows)

    split = count // 2
    upper = next((s[0] for s in others if s[0] >= split), None)
    job = None
    if count >= PARALLEL_MIN and not nul_rows and _parallel() and (upper or count) > split > 0:
        url = reader.conn.engine.url.render_as_string(hide_password=False)
        try:
            job = _LeafRange(url, case_id, x.item_id, x.id, split, upper)
        except OSError:
            job = None
    if job is not None:
        try:
            consume(_message_batches(reader, case_id, x, None, split))
        except BaseException:
            job.proc.kill()
            job.proc.wait()
            raise
        hashed = job.result()
        if hashed is not None and out.next == split:
            extend_peaks(out.peaks, [hashed[j : j + 32] for j in range(0, len(hashed), 32)])
            out.next += len(hashed) // 32
            out.rows["message_record"] += len(hashed) // 32
            if upper is not None:
                consume(_message_batches(reader, case_id, x, upper, None))
        else:
            consume(_message_batches(reader, case_id, x, split, None))
    else:
        consume(_message_batches(reader, case_id, x))
    for s in others[i:]:
        _take(out, s, nul_rows)
    return out


class _LeafRange:
    """A second process hashing the message rows with ordinals ``low`` to ``high``
    (excluded; None: to the end), from its own connection. A plain ``python -c`` child, not
    multiprocessing: nothing of the caller's main module is run again."""

    def __init__(
        self, url: str, case_id: str, item_id: str, extraction_id: str, low: int, high: int | None
    ) -> None:
        code = "from chain_of_custody.verify_records import _leaf_range_main; _leaf_range_main()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdin is not None
        args = [url, case_id, item_id, extraction_id, low, high]
        self.proc.stdin.write(json.dumps(args).encode("utf-8"))
        self.proc.stdin.close()

    def result(self) -> bytes | None:
        """The joined leaf hashes, or None when the rows were not all well-formed and in
        order (or the process failed): then the caller reads that range itself."""
        assert self.proc.stdout is not None
        data = self.proc.stdout.read()
        if self.proc.wait() != 0 or data[:1] != b"1" or (len(data) - 1) % 32:
            return None
        return data[1:]


def _leaf_range_main() -> None:
    url, case_id, item_id, extraction_id, low, high = json.loads(sys.stdin.buffer.read())
    hashed = _leaf_range(url, case_id, item_id, extraction_id, low, high)
    sys.stdout.buffer.write(b"0" if hashed is None else b"1" + hashed)
    sys.stdout.buffer.flush()


def _leaf_range(
    url: str, case_id: str, item_id: str, extraction_id: str, low: int, high: int | None
) -> bytes | None:
    """The leaf hashes (joined) of the message rows with ordinals ``low`` to ``high``, or
    None if they are not exactly one well-formed row per ordinal, all there."""
    from chain_of_custody import db

    engine = db.make_engine(url)
    try:
        with db.read_connection(engine) as conn:
            reader = _Reader(conn)
            sha256 = hashlib.sha256
            canonical = shape("message_record").canonical
            out: list[bytes] = []
            expect = low
            ids = _Ids(case_id, item_id, extraction_id)
            for batch in _message_batches(reader, case_id, ids, low, high):
                if [r[1] for r in batch] != list(range(expect, expect + len(batch))):
                    return None
                try:
                    out += [sha256(b"\x00" + canonical(r).encode()).digest() for r in batch]
                except (TypeError, ValueError, KeyError, AttributeError):
                    return None
                expect += len(batch)
            if high is not None and expect != high:
                return None
            return b"".join(out)
    finally:
        engine.dispose()


class _Ids:
    """An extraction's ids, as ``_message_batches`` reads them from an extraction row."""

    def __init__(self, case_id: str, item_id: str, extraction_id: str) -> None:
        self.case_id, self.item_id, self.id = case_id, item_id, extraction_id


def extend_peaks(peaks: merkle.MerklePeaks, leaves: list[bytes]) -> None:
    """``peaks.append`` of each leaf hash in turn, by whole aligned subtrees where it can:
    the same root, a fraction of the Python calls."""
    sha256 = hashlib.sha256
    stack = peaks.peaks
    i, n = 0, len(leaves)
    while i < n:
        level = 0  # the largest aligned subtree starting here that the leaves fill
        while level < 12 and peaks.size % (2 << level) == 0 and n - i >= (2 << level):
            level += 1
        width = 1 << level
        nodes = leaves[i : i + width]
        for _ in range(level):
            pairs = zip(nodes[::2], nodes[1::2], strict=True)
            nodes = [sha256(b"\x01" + a + b).digest() for a, b in pairs]
        digest, top = nodes[0], level
        while stack and stack[-1][0] == top:  # as append: equal peaks merge, left first
            digest = sha256(b"\x01" + stack.pop()[1] + digest).digest()
            top += 1
        stack.append((top, digest))
        peaks.size += width
        i += width


def _take(out: _Outcome, stored: Stored, nul_rows: dict[int, str]) -> None:
    """Add one stored row or leaf to the root, noting what is wrong with it."""
    ordinal, name, row = stored
    expect = out.next
    if ordinal < expect:
        out.doubles.append((name, row[0], ordinal))
    elif ordinal > expect:
        out.gaps.extend(range(expect, min(ordinal, expect + MAX_NAMED)))
    out.next = max(expect, ordinal + 1)
    if name == "record_leaf":
        out.leaves += 1
        out.peaks.append(merkle.leaf_hash(str(row[3]).encode("utf-8")))
        return
    out.rows[name] += 1
    s = shape(name)
    try:
        text = s.canonical(row) if ordinal not in nul_rows else None
        leaf = None if text is None else merkle.leaf_hash(text.encode("utf-8"))
    except (TypeError, ValueError, KeyError):
        leaf = None
    if leaf is None:
        canonical, problems = s.check(row)
        for column, message in problems:
            out.add_problem(name, row, column, message)
        if canonical is None:
            leaf = _INVALID_LEAF
        elif ordinal in nul_rows:
            original = nul_rows[ordinal]
            # The leaf is the record's own; the row must show it (or the root fails).
            same = _nul_shown(original) == canonical
            leaf = merkle.leaf_hash(original.encode("utf-8")) if same else _INVALID_LEAF
        else:
            leaf = merkle.leaf_hash(canonical)
    out.peaks.append(leaf)


def _nul_shown(canonical: str) -> bytes:
    """A record's canonical JSON as its PostgreSQL row gives it back: NUL in text fields
    (and the locator's) shown as U+2400; list fields keep it, escaped in their JSON text."""
    try:
        doc = json.loads(canonical)
    except ValueError:
        return b""

    def shown(v: Any) -> Any:
        return v.replace("\x00", "\u2400") if isinstance(v, str) else v

    for key, value in doc.items():
        if isinstance(value, dict):
            doc[key] = {k: shown(v) for k, v in value.items()}
        else:
            doc[key] = shown(value)
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- the whole check ----------------------------------------------------------------------------


def verify_records(conn: sa.Connection, case: Case, report: VerifyReport) -> None:
    """Recompute every extraction's record root from the rows stored now (kind ``record``)."""
    reader = _Reader(conn)
    entries: dict[int, Entry] = {e.seq: e for e in report.by_action.get("item.extracted", [])}
    extractions = conn.execute(
        sa.select(T_EXTRACTION)
        .where(T_EXTRACTION.c.case_id == case.case_id)
        .order_by(T_EXTRACTION.c.ledger_seq)
    ).all()
    matched: set[int] = set()
    seen = {name: 0 for name in [*TABLES, "record_leaf"]}
    for x in extractions:
        entry = entries.get(int(x.ledger_seq))
        if entry is None or int(x.ledger_seq) in matched:
            counts = _count_rows(conn, case.case_id, x.id)
            for name, n in counts.items():
                seen[name] += n
            if any(counts.values()):
                what = "no item.extracted entry" if entry is None else "a duplicate ledger_seq"
                report.fail(
                    "record",
                    f"extraction {x.id} (item {x.item_id}, {x.extractor}@{x.version})",
                    f"{_sum(counts)} belong to an extraction with {what} (seq {x.ledger_seq})",
                    int(x.ledger_seq),
                )
            continue
        matched.add(entry.seq)
        _check_extraction_row(x, entry, report)
        try:
            out = _recompute(reader, case.case_id, x, int(entry.data.get("records") or 0))
            for name, n in out.rows.items():
                seen[name] += n
            seen["record_leaf"] += out.leaves
            _judge(conn, case, reader, x, entry, out, report)
        except (TypeError, ValueError, KeyError, AttributeError, OSError) as exc:
            # Rows no ingest writes (an ordinal stored as text...): a failure, not a crash.
            report.fail(
                "record",
                _subject(x),
                f"its rows cannot be checked ({type(exc).__name__}: {exc}); ledger entry "
                f"{entry.seq} (item.extracted) states {entry.data.get('records')} records",
                entry.seq,
            )
    for seq, entry in entries.items():
        if seq not in matched:
            report.fail(
                "record",
                f"item {entry.data.get('item_id')} extraction by {entry.data.get('extractor')}",
                f"ledger entry {seq} (item.extracted) states {entry.data.get('records')} "
                "records, but the database has no extraction row for it",
                seq,
            )
    _orphans(conn, case, seen, report)
    report.extractions += len(extractions)
    report.records += sum(n for name, n in seen.items() if name != "record_leaf")


def _sum(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name} row(s)" for name, n in counts.items() if n)


def _count_rows(conn: sa.Connection, case_id: str, extraction_id: str) -> dict[str, int]:
    return {
        name: int(
            conn.exec_driver_sql(
                f"SELECT count(*) FROM {name} WHERE extraction_id = {_mark(conn)}",
                (extraction_id,),
            ).scalar_one()
        )
        for name in [*TABLES, "record_leaf"]
    }


def _mark(conn: sa.Connection) -> str:
    return "%s" if conn.dialect.name == "postgresql" else "?"


def _subject(x: Any) -> str:
    return f"item {x.item_id} extraction by {x.extractor}@{x.version}"


def _check_extraction_row(x: Any, entry: Entry, report: VerifyReport) -> None:
    """The extraction row's own columns against its signed entry."""
    data = entry.data
    label = f"{x.extractor}@{x.version}"
    for column, row_value, ledger_value in (
        ("item_id", x.item_id, data.get("item_id")),
        ("extractor@version", label, data.get("extractor")),
        ("status", x.status, data.get("status")),
        ("record_count", x.record_count, data.get("records")),
        ("warning_count", x.warning_count, data.get("warnings")),
        ("merkle_root", x.merkle_root, data.get("merkle_root")),
    ):
        if row_value != ledger_value:
            report.fail(
                "record",
                f"extraction {x.id} ({_subject(x)})",
                f"{column}: row says {_show(row_value)}, ledger entry {entry.seq} "
                f"(item.extracted) says {_show(ledger_value)}",
                entry.seq,
            )


def _judge(
    conn: sa.Connection,
    case: Case,
    reader: _Reader,
    x: Any,
    entry: Entry,
    out: _Outcome,
    report: VerifyReport,
) -> None:
    """Compare a recomputed root with the entry; name what differs when it does not match."""
    subject = _subject(x)
    for where, column, message in out.problems[:MAX_NAMED]:
        report.fail("record", where, f"{column}: {message}" if column else message, entry.seq)
    want_root, want_count = entry.data.get("merkle_root"), entry.data.get("records")
    root = out.peaks.root().hex()
    if root == want_root and out.peaks.size == want_count:
        return
    located = _locate(case, reader, x, entry, report)
    if located is None:
        return  # the records re-extracted are the stored ones: leaves not stored (older case)
    details = []
    if out.gaps:
        details.append(f"no row or leaf for ordinal(s) {_ordinals(out.gaps)}")
    if out.doubles:
        details.append(
            "more than one row for "
            + ", ".join(f"{t} row {i} (ordinal {o})" for t, i, o in out.doubles[:MAX_NAMED])
        )
    report.fail(
        "record",
        subject,
        f"the records stored now give root {root[:16]}… over {out.peaks.size} leaves; ledger "
        f"entry {entry.seq} (item.extracted) says {str(want_root)[:16]}… over {want_count}"
        + (f"; {located}" if located else "")
        + ("; " + "; ".join(details) if details else ""),
        entry.seq,
    )


def _ordinals(values: list[int]) -> str:
    shown = ", ".join(map(str, values[:MAX_NAMED]))
    return shown + (", …" if len(values) > MAX_NAMED else "")


# -- locating the change: the extractor run again ---------------------------------------------


def _extractor_of(x: Any) -> Any:
    for extractor in registry.registered():
        if extractor.name == x.extractor:
            return extractor
    return None


def source_of_item(case: Case, conn: sa.Connection, item_id: str) -> Source | None:
    """The Source an extractor was given for an item at ingest (its siblings included)."""
    item = conn.execute(sa.select(T_ITEM).where(T_ITEM.c.id == item_id)).first()
    if item is None:
        return None
    store = case.store
    siblings: tuple[Sibling, ...] = ()
    if item.parent_id is not None:
        rows = conn.execute(
            sa.select(T_ITEM.c.member, T_ITEM.c.sha256, T_ITEM.c.size)
            .where(T_ITEM.c.parent_id == item.parent_id)
            .order_by(T_ITEM.c.member_index, T_ITEM.c.ledger_seq)
        ).all()
        siblings = tuple(Sibling(r.member or "", r.sha256, int(r.size)) for r in rows)
    by_member = {s.member: s.sha256 for s in siblings}
    with store.open_blob(item.sha256) as f:
        head = f.read(1 << 16)
    sha = item.sha256
    return Source(
        sha256=sha,
        name=item.name,
        path=item.path,
        mime=item.mime,
        size=int(item.size),
        head=head,
        opener=lambda: store.open_blob(sha),
        member=item.member,
        siblings=siblings,
        sibling_opener=(lambda m: store.open_blob(by_member[m])) if siblings else None,
    )


def _locate(case: Case, reader: _Reader, x: Any, entry: Entry, report: VerifyReport) -> str | None:
    """Run the extractor again and report each stored row that differs from its record.

    Returns None when the stored rows are exactly the records re-extracted and those give
    the ledger's root (nothing changed; the case predates stored warning leaves), else a
    note for the extraction-level failure.
    """
    extractor = _extractor_of(x)
    label = f"{x.extractor}@{x.version}"
    if extractor is None:
        return f"extractor {x.extractor} is not available here, so the row cannot be named"
    if extractor.version != x.version:
        return (
            f"this workstation has {x.extractor}@{extractor.version}, not {label}, "
            "so the row cannot be named"
        )
    try:
        source = source_of_item(case, reader.conn, x.item_id)
    except OSError as exc:
        return f"the item's bytes cannot be read ({exc}), so the row cannot be named"
    if source is None:
        return "the item row is missing, so the row cannot be named"
    tz = str(entry.data.get("tz") or "Europe/London")
    want = int(entry.data.get("records") or 0)
    ctx = Context(tz=tz, secrets=environment_secrets())  # the key that decrypted, if given
    expected = _expected(extractor.extract(source, ctx), want)
    named = 0
    total = 0
    peaks = merkle.MerklePeaks()
    stored = stored_stream(reader, case.case_id, x)
    pg = reader.pg
    pending = next(stored, None)
    has_leaves = False
    for ordinal, record in expected:
        peaks.append(merkle.leaf_hash(canonical_json(record)))
        here: list[Stored] = []
        while pending is not None and pending[0] <= ordinal:
            here.append(pending)
            pending = next(stored, None)
        for problem in _compare(ordinal, record, here, pg):
            total += 1
            if named < MAX_NAMED:
                named += 1
                report.fail("record", problem[0], problem[1], entry.seq)
        has_leaves = has_leaves or any(s[1] == "record_leaf" for s in here)
    extra = [pending] if pending is not None else []
    extra += list(stored)
    for ordinal, name, row in extra:
        total += 1
        if named < MAX_NAMED:
            named += 1
            report.fail(
                "record",
                f"{name} row {row[0]} (ordinal {ordinal})",
                f"inserted: {extractor.name}@{extractor.version} gives no record at this "
                f"ordinal (ledger entry {entry.seq} states {want} records)",
                entry.seq,
            )
    if total > named:
        report.fail("record", _subject(x), f"and {total - named} more differing rows", entry.seq)
    if peaks.root().hex() != entry.data.get("merkle_root") or peaks.size != want:
        return (
            f"run again, {label} gives root {peaks.root().hex()[:16]}… over {peaks.size} "
            "records, not the ledger's either: the rows cannot be named with certainty"
        )
    if total == 0:
        return None
    return f"{total} row(s) differ from what {label} finds in the item"


def _expected(records: Iterable[Record], want: int) -> Iterator[tuple[int, Record]]:
    """The re-extracted records (at most ``want``; a failed extraction stops as it did)."""
    it = iter(records)
    for ordinal in range(want):
        try:
            record = next(it)
        except StopIteration:
            return
        except Exception:  # the extractor failed here at ingest too (status failed)
            return
        yield ordinal, record


def _compare(
    ordinal: int, record: Record, here: list[Stored], pg: bool
) -> Iterator[tuple[str, str]]:
    """(subject, message) for each way the stored rows of one ordinal differ from it."""
    kind = type(record)
    table = next((n for n, (k, _) in TABLES.items() if k is kind), None)
    rows = [s for s in here if s[0] == ordinal and s[1] == table]
    leaves = [s for s in here if s[0] == ordinal and s[1] == "record_leaf"]
    for s in here:
        if s[0] != ordinal:
            yield _inserted(s, f"ordinal {s[0]} is not one the extractor gives")
    if table is None:  # a warning or an embedded file: a leaf, not a row
        canonical = canonical_json(record).decode("utf-8")
        for s in rows:
            yield _inserted(s, "the extractor gives a warning or file here")
        for s in leaves:
            if s[2][3] != canonical:
                yield (
                    f"record_leaf row {s[2][0]} (ordinal {ordinal})",
                    f"canonical: row says {_show(s[2][3])}, the extractor gives {_show(canonical)}",
                )
        for s in [s for s in here if s[0] == ordinal and s[1] not in (table, "record_leaf")]:
            yield _inserted(s, "the extractor gives a warning or file here")
        return
    for s in [s for s in here if s[0] == ordinal and s[1] not in (table, "record_leaf")]:
        yield _inserted(s, f"the extractor gives a {kind.record_type} here")
    for s in leaves:
        if s[2][2] != "row":
            yield _inserted(s, f"the extractor gives a {kind.record_type} here")
        elif s[2][3] != canonical_json(record).decode("utf-8"):
            yield (
                f"record_leaf row {s[2][0]} (ordinal {ordinal})",
                f"canonical: differs from the {kind.record_type} the extractor gives",
            )
    if not rows:
        yield (
            f"{table} ordinal {ordinal} (item sha256 {record.locator.item_sha256[:16]}…)",
            f"deleted: the extractor gives {_describe(record)} here and no row holds it",
        )
        return
    for s in rows[1:]:
        yield _inserted(s, "a second row at the same ordinal")
    yield from _field_diffs(table, rows[0][2], record, pg)


def _inserted(s: Stored, why: str) -> tuple[str, str]:
    return (f"{s[1]} row {s[2][0]} (ordinal {s[0]})", f"inserted: {why}")


def _describe(record: Record) -> str:
    if isinstance(record, Message):
        return f"message {_show(record.text, 60)} from {_show(record.sender_identifier)}"
    if isinstance(record, Account):
        return f"account {record.key!r}"
    return record.record_type


def _field_diffs(
    table: str, row: tuple[Any, ...], record: Record, pg: bool
) -> Iterator[tuple[str, str]]:
    s = shape(table)
    subject = f"{table} row {row[0]} (ordinal {row[1]})"
    want = flat_values(record)
    if pg:
        want = (
            tuple(_pg_text(v) for v in want[0]),
            *(_pg_text(v) for v in want[1:]),
        )
    names = ["loc_sha256", "loc_path", "loc_line", "loc_offset", "loc_pointer", *s.fields]
    got_loc = row[2 : s.first]
    got_fields: list[Any] = list(row[s.first : s.first + len(s.fields)])
    for i, kind in enumerate(s.types):
        if kind.startswith("tuple"):
            with contextlib.suppress(RowError):  # then shown as the text it is
                got_fields[i] = _list_from_text(s.fields[i], got_fields[i])
        elif kind == "bool" and got_fields[i] in (0, 1) and type(got_fields[i]) is int:
            got_fields[i] = bool(got_fields[i])
    for name, got, expected in zip(
        names, [*got_loc, *got_fields], [*want[0], *want[1:]], strict=True
    ):
        if got != expected or type(got) is not type(expected):
            yield (
                subject,
                f"{name}: row says {_show(got)}, the ledger-justified value is {_show(expected)}",
            )
    if s.derived is not None:
        value = s.derived_value(want)
        if row[-1] != value:
            yield (subject, f"{s.derived}: row says {_show(row[-1])}, should be {_show(value)}")


def _pg_text(value: Any) -> Any:
    return value.replace("\x00", "\u2400") if isinstance(value, str) else value


# -- rows of no extraction ------------------------------------------------------------------------


def _orphans(conn: sa.Connection, case: Case, seen: dict[str, int], report: VerifyReport) -> None:
    """Rows the per-extraction reads did not see: of no extraction, or filed under another."""
    mark = _mark(conn)
    for name in [*TABLES, "record_leaf"]:
        total = int(
            conn.exec_driver_sql(
                f"SELECT count(*) FROM {name} WHERE case_id = {mark}", (case.case_id,)
            ).scalar_one()
        )
        if total == seen[name]:
            continue
        item_check = "" if name == "record_leaf" else " OR x.item_id <> t.item_id"
        rows = conn.exec_driver_sql(
            f"SELECT t.id, t.extraction_id, t.ordinal FROM {name} t "
            f"LEFT JOIN extraction x ON x.id = t.extraction_id "
            f"WHERE t.case_id = {mark} AND (x.id IS NULL OR x.case_id <> t.case_id"
            f"{item_check}) ORDER BY t.id",
            (case.case_id,),
        ).all()
        for row_id, extraction_id, ordinal in rows[:MAX_NAMED]:
            report.fail(
                "record",
                f"{name} row {row_id} (ordinal {ordinal})",
                f"inserted: belongs to no extraction of this case's item (extraction "
                f"{extraction_id})",
            )
        if len(rows) > MAX_NAMED:
            report.fail("record", name, f"and {len(rows) - MAX_NAMED} more rows of no extraction")
        if not rows:
            report.fail(
                "record",
                name,
                f"{total} rows in the case, {seen[name]} read through their extractions",
            )

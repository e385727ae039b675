"""Fast record shaping gives exactly the bytes and rows of the plain definitions.

``canonical_json`` must equal ``canonical_bytes(record_to_canonical(r))`` (the Merkle leaves
of every extraction depend on it) and ``_Table.row`` must equal the row of the plain
dict-based definition below, for every record type and any field values, including ones no
extractor writes today (wrong types, NUL, escapes, astral characters, lone surrogates).
"""

from __future__ import annotations

import dataclasses
import json
import operator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_of_custody import merkle
from chain_of_custody.canonical import canonical_bytes
from extractors import registry
from extractors.base import Context
from extractors.records import (
    Account,
    Call,
    DerivedFile,
    ExtractWarning,
    ImageMeta,
    Locator,
    Message,
    Record,
    canonical_from_values,
    canonical_json,
    flat_values,
    record_to_canonical,
)
from extractors.timeutil import sort_key
from tests.extractors.helpers import source_from_file
from workstation.extraction import (
    _JSON_LISTS,
    TABLES,
    Recorder,
    item_batches,
    record_tables,
    records_root,
)

ALPHA = Path(__file__).resolve().parents[1] / "data" / "case_alpha" / "evidence"
BASE = {"case_id": "c" * 36, "extraction_id": "e" * 36, "item_id": "i" * 36}
KINDS: tuple[type[Record], ...] = (Account, Message, Call, ImageMeta, ExtractWarning, DerivedFile)

texts = st.text(max_size=12) | st.sampled_from(["", "a\x00b", 'q"\\/', "\u2028", "😂", "\ud800"])
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | texts
values: st.SearchStrategy[Any] = scalars | st.tuples() | st.lists(texts, max_size=3).map(tuple)
values = values | st.lists(scalars, max_size=2).map(tuple)


@st.composite
def records(draw: st.DrawFn) -> Record:
    kind = draw(st.sampled_from(KINDS))
    loc_fields: dict[str, Any] = {  # None where a str is due: what the plain form does
        "item_sha256": draw(st.sampled_from(["a" * 64, None]) | texts),
        "path": draw(texts | st.none()),
        "line": draw(st.none() | st.integers(0, 2**40) | st.booleans()),
        "offset": draw(st.none() | st.integers(0, 2**63)),
        "pointer": draw(st.none() | texts),
    }
    loc = Locator(**loc_fields)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(kind):
        if f.name == "locator":
            continue
        if f.name == "data":
            fields[f.name] = draw(st.binary(max_size=8))
        elif draw(st.booleans()):
            fields[f.name] = draw(values)
    return kind(locator=loc, **fields)


def plain_row(record: Record, ordinal: int, columns: list[str]) -> tuple[Any, ...]:
    """The row as the first version of extraction.py built it: a dict, then the columns."""
    row: dict[str, Any] = dict(BASE, ordinal=ordinal)
    loc = record.locator
    row.update(
        loc_sha256=loc.item_sha256,
        loc_path=loc.path,
        loc_line=loc.line,
        loc_offset=loc.offset,
        loc_pointer=loc.pointer,
    )
    for name, value in record.__dict__.items():
        if name == "locator":
            continue
        if name in _JSON_LISTS:
            value = json.dumps(list(value), ensure_ascii=False) if value else "[]"
        row[name] = value
    if isinstance(record, Account):
        row["account_key"] = record.key
    elif isinstance(record, Message):
        row["sent_at_sort"] = sort_key(record.sent_at_utc)
    return tuple(operator.itemgetter(*columns)(row))


def plain_canonical(record: Record) -> bytes | type[Exception]:
    try:
        return canonical_bytes(record_to_canonical(record))
    except (UnicodeEncodeError, TypeError, ValueError) as exc:
        return type(exc)


def fast_canonical(record: Record) -> bytes | type[Exception]:
    try:
        return canonical_json(record)
    except (UnicodeEncodeError, TypeError, ValueError) as exc:
        return type(exc)


def check(record: Record, ordinal: int = 7) -> None:
    expected_bytes = plain_canonical(record)
    assert fast_canonical(record) == expected_bytes
    try:
        from_values: Any = canonical_from_values(type(record), flat_values(record))
    except (UnicodeEncodeError, TypeError, ValueError) as exc:
        from_values = type(exc)
    assert from_values == expected_bytes
    tables = record_tables(BASE, "sqlite")
    table = tables.get(type(record))
    if table is None:
        return
    columns = [c.name for c in TABLES[type(record)].columns if c.name != "id"]
    try:
        expected: Any = plain_row(record, ordinal, columns)
    except (TypeError, ValueError, AttributeError):
        expected = "fails"  # garbage field values: which error comes first may differ
    try:
        got: Any = table.row(flat_values(record), table.derived(record), ordinal)
    except (TypeError, ValueError, AttributeError):
        got = "fails"
    assert got == expected


@settings(max_examples=800, deadline=None)
@given(records())
def test_any_record_same_bytes_and_row(record: Record) -> None:
    check(record)


def alpha_records() -> list[Record]:
    out: list[Record] = []
    for path in sorted(p for p in ALPHA.rglob("*") if p.is_file()):
        source = source_from_file(path)
        for extractor in registry.matching(source):
            out.extend(extractor.extract(source, Context(tz="Europe/London")))
    return out


def test_every_case_alpha_record_same_bytes_and_row() -> None:
    found = alpha_records()
    assert len(found) > 300 and {type(r) for r in found} >= {Account, Message, ImageMeta}
    for ordinal, record in enumerate(found):
        check(record, ordinal)


def test_batches_carry_rows_in_order_and_the_root() -> None:
    found = alpha_records()
    tables = record_tables(BASE, "sqlite")
    batches = list(item_batches(iter(found), tables, size=50))
    assert [len(b) for b in batches[:-1]] == [50] * (len(batches) - 1)
    recorder = Recorder(tables)
    for batch in batches:
        recorder.take(batch)
    assert (recorder.peaks.root().hex(), recorder.peaks.size) == records_root(iter(found))
    leaves = [merkle.leaf_hash(canonical_bytes(record_to_canonical(r))) for r in found]
    assert recorder.peaks.root() == merkle.MerkleTree(leaves).root()
    messages = recorder.rows[Message]
    assert [row[3] for row in messages] == [i for i, r in enumerate(found) if type(r) is Message]
    assert recorder.notes == [r for r in found if isinstance(r, ExtractWarning | DerivedFile)]


def test_a_failure_keeps_the_records_before_it() -> None:
    def failing() -> Any:
        for i in range(5):
            yield ExtractWarning(locator=Locator("a" * 64, "p", line=i), message=str(i))
        raise RuntimeError("stop")

    batches = item_batches(failing(), record_tables(BASE, "sqlite"), size=2)
    got = []
    with pytest.raises(RuntimeError, match="stop"):
        for batch in batches:
            got.append(batch)
    assert [len(b) for b in got] == [2, 2, 1]
    assert [n.message for b in got for n in b] == ["0", "1", "2", "3", "4"]  # type: ignore[union-attr]


def test_a_record_that_cannot_be_hashed_stops_cleanly() -> None:
    loc = Locator("a" * 64, "p", line=1)
    good = Message(locator=loc, text="fine")
    bad = Message(locator=loc, text="lone \ud800 surrogate")
    tables = record_tables(BASE, "sqlite")
    recorder = Recorder(tables)
    with pytest.raises(UnicodeEncodeError):
        recorder.take(next(item_batches(iter([good, bad, good]), tables)))
    assert recorder.peaks.size == len(recorder.rows[Message]) == 1

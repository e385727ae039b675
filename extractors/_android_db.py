"""Shared by the Android database extractors: rows of a phone's own databases turned into
the attribute dictionaries the SMS Backup & Restore builder already maps (the backup app
writes the same columns as ``mmssms.db`` and ``calllog.db``), so both sources give the same
records for the same message or call."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from extractors._sms_fields import Attrs
from extractors._sms_records import Builder
from extractors._xml_text import Value
from extractors.records import Locator

#: Addresses a phone stores for a caller or sender it was not given: read as such, never
#: normalised as a number.
HIDDEN_WORDS = {
    "-1": "unknown",
    "-2": "withheld",
    "-3": "payphone",
    "unknown": "unknown",
    "private": "withheld",
    "private number": "withheld",
    "withheld": "withheld",
    "anonymous": "withheld",
    "restricted": "withheld",
}
TEXT_KEYS = ("body", "subject", "sub", "text")


def hidden_address(address: str | None) -> str | None:
    """Why an address is no usable number (withheld, unknown ...), or None when it is one."""
    if address is None:
        return None
    return HIDDEN_WORDS.get(address.strip().lower())


def as_attrs(row: sqlite3.Row, keys: Iterable[str]) -> dict[str, str]:
    """The row's values of ``keys`` (those present and not NULL) as text, as the backup
    app writes them."""
    out: dict[str, str] = {}
    names = row.keys()
    for k in keys:
        if k in names:
            v = row[k]
            if v is not None:
                out[k] = v if isinstance(v, str) else str(v)
    return out


class RowBuilder(Builder):
    """The SMS Backup & Restore builder over database rows: no XML markers to resolve; a
    NUL in a text (PostgreSQL cannot store it) is removed, kept as ``\\x00`` in raw_text."""

    def values(self, attrs: dict[str, str], loc: Locator, what: str) -> Attrs:
        nul = [k for k in TEXT_KEYS if "\x00" in attrs.get(k, "")]
        if not nul:
            return Attrs(attrs, {})
        text, raw = dict(attrs), {}
        for k in nul:
            text[k] = attrs[k].replace("\x00", "")
            raw[k] = attrs[k].replace("\x00", "\\x00")
        self.warn(loc, f"{what}: NUL bytes in {nul} removed; raw_text keeps them as \\x00")
        return Attrs(text, raw)

    def value(self, text: str | None) -> Value:
        """A text column as a Value (NUL removed, kept in raw)."""
        if text is None:
            return Value("")
        if "\x00" in text:
            return Value(text.replace("\x00", ""), text.replace("\x00", "\\x00"))
        return Value(text)


def grouped(rows: Iterator[Any], key: str) -> Iterator[tuple[Any, list[Any]]]:
    """Consecutive rows with one value of ``key`` (rows ordered by it), as (value, rows)."""
    current: Any = None
    group: list[Any] = []
    for row in rows:
        k = row[key]
        if group and k != current:
            yield current, group
            group = []
        current = k
        group.append(row)
    if group:
        yield current, group


class Merge:
    """Rows of a child table (ordered by their parent id) handed out per parent id, for
    parents read in ascending id order: a merge join, one row in memory at a time."""

    def __init__(self, rows: Iterator[Any], key: str) -> None:
        self._groups = grouped(rows, key)
        self._next: tuple[Any, list[Any]] | None = next(self._groups, None)

    def take(self, parent: Any) -> list[Any]:
        while self._next is not None and _lt(self._next[0], parent):
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == parent:
            found = self._next[1]
            self._next = next(self._groups, None)
            return found
        return []


def _lt(a: Any, b: Any) -> bool:
    try:
        return bool(a < b)
    except TypeError:
        return str(a) < str(b)

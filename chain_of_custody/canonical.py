"""Canonical bytes of ledger entries and checkpoints (DESIGN.md §4)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chain_of_custody.errors import MalformedEntry
from chain_of_custody.merkle import leaf_hash

#: The fields of a ledger entry, in the order they are documented.
ENTRY_FIELDS = ("seq", "case", "prev", "at", "actor", "action", "subject", "data")
GENESIS_PREV = "0" * 64


def check_data(value: Any, where: str = "data") -> None:
    """Refuse values that have no single canonical JSON form.

    Raises:
        MalformedEntry: on floats, booleans, nulls, non-string keys or other types.
    """
    # bool is a subclass of int; "true" and 1 must never be confused in a signed record.
    if isinstance(value, bool | float):
        raise MalformedEntry(f"{where}: {type(value).__name__} not allowed in ledger data")
    if isinstance(value, str | int):
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_data(v, f"{where}[{i}]")
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise MalformedEntry(f"{where}: key {k!r} is not a string")
            check_data(v, f"{where}.{k}")
        return
    raise MalformedEntry(f"{where}: {type(value).__name__} not allowed in ledger data")


def canonical_bytes(obj: Mapping[str, Any]) -> bytes:
    """JSON with sorted keys, no whitespace, UTF-8 (not ASCII-escaped)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def entry_canonical(entry: Mapping[str, Any]) -> bytes:
    """Canonical bytes of the signed fields of an entry (extra keys are ignored)."""
    return canonical_bytes({k: entry[k] for k in ENTRY_FIELDS})


def entry_hash(entry: Mapping[str, Any]) -> bytes:
    """SHA-256(0x00 || canonical): the RFC 6962 leaf hash of the entry."""
    return leaf_hash(entry_canonical(entry))


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and Z, the only time format in the ledger."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime:
    """The current time in UTC (one place to patch in tests)."""
    return datetime.now(UTC)

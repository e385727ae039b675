"""Android's call log: ``calllog.db`` (Android 7+) or the ``calls`` table of ``contacts2.db``
on older versions (com.android.providers.contacts).

``calls``: ``number``, ``date`` (epoch ms), ``duration`` (s), ``type`` (1 incoming,
2 outgoing, 3 missed, 4 voicemail, 5 rejected, 6 blocked, 7 answered on another device),
``presentation`` (1 allowed, 2 withheld, 3 unknown, 4 payphone), ``name`` (the contact name
the phone cached at the time of the call), ``features`` (bit 0: video).

The records are those of the SMS Backup & Restore extractor, whose ``<call>`` element copies
these columns (one builder maps both): per call an ``Account`` for the number (with the cached
name), a ``Call`` and a ``Message`` of kind ``call``; platform ``phone``. Withheld and unknown
callers (empty number, ``-1``/``-2``/``-3``, ``Unknown``, ``Private number``, or the
presentation) have no account and thread ``phone:withheld`` etc. Locators are
``/calls/N``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import ClassVar

from extractors._android_db import RowBuilder, as_attrs, hidden_address
from extractors._sqlite import open_database, source_has_tables, table_columns
from extractors.base import Context, Source
from extractors.records import Record
from extractors.registry import register

_CODES = {"unknown": "-1", "withheld": "-2", "payphone": "-3"}
_COLUMNS = ("number", "date", "duration", "type", "presentation", "name")


class AndroidCallLogExtractor:
    """Android calllog.db / contacts2.db ``calls``: the phone's call history."""

    name: ClassVar[str] = "android_calllog"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "Android call log (calllog.db, or the calls table of an older contacts2.db)"
    )

    def sniff(self, source: Source) -> bool:
        """A SQLite file with a ``calls`` table and no ``sms`` table (mmssms.db is not)."""
        return source_has_tables(source, "calls") and not source_has_tables(source, "sms")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        try:
            with open_database(source) as conn:
                yield from _calls(source, ctx, conn)
        except sqlite3.DatabaseError as exc:
            yield ctx.warn(source.locate(offset=0), f"{source.name}: database unreadable ({exc})")


def _calls(source: Source, ctx: Context, conn: sqlite3.Connection) -> Iterator[Record]:
    cols = table_columns(conn, "calls")
    if not cols:
        return
    if missing := [c for c in ("number", "date", "type") if c not in cols]:
        yield ctx.warn(source.locate(pointer="/calls"), f"calls table lacks columns {missing}")
    keep = [c for c in _COLUMNS if c in cols]
    b = RowBuilder(source, ctx)
    query = f"SELECT _id, {', '.join(keep)} FROM calls ORDER BY _id"
    for n, row in enumerate(conn.execute(query)):
        if n % 1000 == 0:
            ctx.check_cancelled()
        attrs = as_attrs(row, keep)
        if "name" in attrs:
            attrs["contact_name"] = attrs.pop("name")
        hidden = hidden_address(attrs.get("number"))
        if hidden is not None:
            attrs["number"] = _CODES[hidden]  # "Unknown" etc. read as the phone's code
        if attrs.get("number", "").startswith("-"):
            attrs.pop("contact_name", None)
        b.call(attrs, source.locate(pointer=f"/calls/{row['_id']}"))
        yield from b.out
        b.out.clear()


register(AndroidCallLogExtractor())

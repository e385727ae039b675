"""iPhone call history (``CallHistory.storedata``, ``HomeDomain/Library/CallHistoryDB/``):
phone, FaceTime and app calls (docs/device-databases.md).

Table read: ``ZCALLRECORD`` (Core Data). ``ZADDRESS`` is the other party (text, or the text's
bytes as a BLOB), ``ZDATE`` a Cocoa time in seconds (fractions allowed), ``ZDURATION``
seconds, ``ZORIGINATED`` 1 when the holder called, ``ZANSWERED`` 1 when a received call was
answered, ``ZCALLTYPE`` 1 phone (or an app through CallKit), 8 FaceTime video, 16 FaceTime
audio, ``ZSERVICE_PROVIDER`` the app (``com.apple.Telephony``, ``com.apple.FaceTime``,
``net.whatsapp.WhatsApp`` ...), ``ZNAME`` the name the phone showed.

Decisions: one ``Call`` and one ``Message`` of kind ``call`` per row, as the SMS backup
extractor does; direction ``outgoing`` (originated), ``incoming`` (answered) or ``missed``;
platform ``phone``, ``facetime`` (types 8 and 16 or the FaceTime provider) or ``whatsapp``;
``ZNAME`` is the Account's display name (the holder's saved name for the number).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, ClassVar

from extractors._ios_common import Accounts, cocoa_to_utc, identifier_parts
from extractors._sqlite import open_database, source_has_tables, table_columns
from extractors.base import Context, Source
from extractors.records import Call, Message, Record
from extractors.registry import register

_COLUMNS = ("ZADDRESS", "ZDATE", "ZDURATION", "ZORIGINATED", "ZANSWERED", "ZCALLTYPE",
            "ZSERVICE_PROVIDER", "ZNAME", "ZUNIQUE_ID")  # fmt: skip
_PROVIDERS = {"com.apple.telephony": "phone", "com.apple.facetime": "facetime",
              "net.whatsapp.whatsapp": "whatsapp"}  # fmt: skip
_FACETIME_TYPES = (8, 16)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


class IosCallHistoryExtractor:
    """iPhone CallHistory.storedata: phone and FaceTime calls."""

    name: ClassVar[str] = "ios_callhistory"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "iPhone call history CallHistory.storedata (phone, FaceTime and app calls: direction, "
        "answered, duration)"
    )

    def sniff(self, source: Source) -> bool:
        """A SQLite file whose schema has ZCALLRECORD."""
        return source_has_tables(source, "ZCALLRECORD")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Yield accounts, calls (a Call and a call Message each) and warnings."""
        accounts = Accounts(source, ctx)
        with open_database(source) as conn:
            conn.row_factory = None
            try:
                have = table_columns(conn, "zcallrecord")
                pick = ", ".join(c if c.lower() in have else "NULL" for c in _COLUMNS)
                cursor = conn.execute(f"SELECT Z_PK, {pick} FROM ZCALLRECORD ORDER BY Z_PK")
                while rows := cursor.fetchmany(1000):
                    ctx.check_cancelled()
                    for row in rows:
                        yield from self._call(source, ctx, accounts, row)
            except sqlite3.DatabaseError as exc:
                yield ctx.warn(source.locate(pointer="/"),
                               f"CallHistory could not be read further: {exc}")  # fmt: skip

    def _call(
        self, source: Source, ctx: Context, accounts: Accounts, row: tuple[Any, ...]
    ) -> Iterator[Record]:
        pk, address, date, duration, originated, answered, kind, provider, name, _ = row
        loc = source.locate(pointer=f"/ZCALLRECORD/{pk}")
        out: list[Record] = []
        number = _text(address).strip()
        shown = _text(name).strip() or None
        platform = _PROVIDERS.get(_text(provider).lower())
        if platform is None or (platform == "phone" and kind in _FACETIME_TYPES):
            platform = "facetime" if kind in _FACETIME_TYPES else "phone"
            if provider and _text(provider).lower() not in _PROVIDERS:
                out.append(ctx.warn(loc, f"call by {_text(provider)!r}: read as {platform}"))
        direction = "outgoing" if originated else "incoming" if answered else "missed"
        key = accounts.key(out, platform, number, loc, shown) if number else None
        e164 = identifier_parts(number, ctx.region)["phone_e164"] if number else None
        utc = cocoa_to_utc(date)
        flags: tuple[str, ...] = ()
        if utc is None:
            flags = ("time_unparsed",)
            out.append(ctx.warn(loc, f"call {pk} has no readable date ({date!r})"))
        if not number:
            out.append(ctx.warn(loc, f"call {pk} names no number or address (withheld?)"))
        thread = f"{platform}:{e164 or number or 'withheld'}"
        seconds = round(duration) if isinstance(duration, int | float) else None
        raw = f"ZDATE={date}"
        out.append(
            Call(
                locator=loc,
                platform=platform,
                thread_id=thread,
                number_raw=number or None,
                number_e164=e164,
                party_key=key,
                started_at_utc=utc,
                started_at_raw=raw,
                flags=flags,
                duration_s=seconds,
                direction=direction,
            )
        )
        mine = direction == "outgoing"
        out.append(
            Message(
                locator=loc,
                platform=platform,
                thread_id=thread,
                thread_title=shown or number or "(withheld)",
                sender_key=None if mine else key,
                sender_identifier=None if mine else number or None,
                recipients=(number,) if mine and number else (),
                sent_at_utc=utc,
                sent_at_raw=raw,
                flags=flags,
                kind="call",
                direction="outgoing" if mine else "incoming",
            )
        )
        yield from out


register(IosCallHistoryExtractor())

"""WhatsApp on the iPhone: ``ContactsV2.sqlite``, the phone's contacts as WhatsApp knows them
(docs/device-databases.md).

Table read: ``ZWAADDRESSBOOKCONTACT`` (``ZFULLNAME``, ``ZGIVENNAME``, ``ZBUSINESSNAME``,
``ZPHONENUMBER`` as saved, ``ZWHATSAPPID`` the JID when the number is on WhatsApp). One
WhatsApp Account per contact, named with the holder's saved name and keyed by the number
(as ``ios_whatsapp`` keys the chats), so the chats' accounts get their saved names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import ClassVar

from extractors._sqlite import open_database, source_has_tables, table_columns
from extractors.base import Context, Source
from extractors.identifiers import phone_e164
from extractors.ios_whatsapp import PLATFORM, jid_account
from extractors.records import Account, Record
from extractors.registry import register

_COLUMNS = ("ZFULLNAME", "ZGIVENNAME", "ZBUSINESSNAME", "ZPHONENUMBER", "ZWHATSAPPID")


class IosWhatsAppContactsExtractor:
    """WhatsApp for iPhone ContactsV2.sqlite: saved names of WhatsApp numbers."""

    name: ClassVar[str] = "ios_whatsapp_contacts"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "WhatsApp for iPhone ContactsV2.sqlite (the holder's saved names for WhatsApp numbers)"
    )

    def sniff(self, source: Source) -> bool:
        """A SQLite file whose schema has ZWAADDRESSBOOKCONTACT."""
        return source_has_tables(source, "ZWAADDRESSBOOKCONTACT")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Yield one Account per saved contact (and warnings)."""
        with open_database(source) as conn:
            conn.row_factory = None
            try:
                have = table_columns(conn, "ZWAADDRESSBOOKCONTACT")
                pick = ", ".join(c if c.lower() in have else "NULL" for c in _COLUMNS)
                cursor = conn.execute(
                    f"SELECT Z_PK, {pick} FROM ZWAADDRESSBOOKCONTACT ORDER BY Z_PK"
                )
                seen: set[tuple[str, str | None]] = set()
                for pk, full, given, business, number, jid in cursor:
                    loc = source.locate(pointer=f"/ZWAADDRESSBOOKCONTACT/{pk}")
                    name = next((str(n).strip() for n in (full, given, business)
                                 if n and str(n).strip()), None)  # fmt: skip
                    ident = str(jid or number or "").strip()
                    if not ident:
                        yield ctx.warn(loc, f"contact {name!r} has no number or WhatsApp ID")
                        continue
                    if (ident, name) in seen:
                        continue
                    seen.add((ident, name))
                    if jid:
                        yield jid_account(loc, str(jid), name, ctx.region)
                    else:
                        e164 = phone_e164(ident, ctx.region)
                        yield Account(locator=loc, platform=PLATFORM, display_name=name,
                                      phone_raw=ident, phone_e164=e164)  # fmt: skip
            except sqlite3.DatabaseError as exc:
                yield ctx.warn(source.locate(pointer="/"),
                               f"ContactsV2 could not be read further: {exc}")  # fmt: skip


register(IosWhatsAppContactsExtractor())

"""iPhone contacts (``AddressBook.sqlitedb``, ``HomeDomain/Library/AddressBook/``): the
holder's saved names for numbers and addresses (docs/device-databases.md).

Tables read: ``ABPerson`` (``First``, ``Middle``, ``Last``, ``Organization``, ``Nickname``)
and ``ABMultiValue`` (``record_id`` the person, ``property`` 3 a phone number, 4 an e-mail
address, ``value`` as typed).

Each number becomes an Account of platform ``phone`` and each address one of platform
``email``, its ``display_name`` the saved name ("First Middle Last", else the organisation,
else the nickname). Those names are what the ``address_book_name`` alias signal compares with
the names WhatsApp shows on the same device; the numbers join the SMS, call and WhatsApp
accounts of the same number. No messages come from here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import ClassVar

from extractors._ios_common import Accounts
from extractors._sqlite import open_database, source_has_tables, table_columns
from extractors.base import Context, Source
from extractors.records import Record
from extractors.registry import register

_PROPERTIES = {3: "phone", 4: "email"}
_NAME_COLUMNS = ("First", "Middle", "Last", "Organization", "Nickname")


def saved_name(
    first: object, middle: object, last: object, org: object, nick: object
) -> str | None:
    """The name a contact is shown under: the person's names, else organisation, nickname."""
    person = " ".join(str(p).strip() for p in (first, middle, last) if p and str(p).strip())
    for name in (person, org, nick):
        if name and str(name).strip():
            return str(name).strip()
    return None


class IosAddressBookExtractor:
    """iPhone AddressBook.sqlitedb: saved names for numbers and e-mail addresses."""

    name: ClassVar[str] = "ios_addressbook"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "iPhone contacts AddressBook.sqlitedb (saved names of phone numbers and e-mail "
        "addresses, as accounts)"
    )

    def sniff(self, source: Source) -> bool:
        """A SQLite file whose schema has ABPerson and ABMultiValue."""
        return source_has_tables(source, "ABPerson", "ABMultiValue")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Yield one Account per saved number or address, in contact order."""
        accounts = Accounts(source, ctx)
        with open_database(source) as conn:
            conn.row_factory = None
            try:
                have = table_columns(conn, "abperson")
                names = ", ".join(f"p.{c}" if c.lower() in have else "NULL"
                                  for c in _NAME_COLUMNS)  # fmt: skip
                cursor = conn.execute(
                    f"SELECT v.UID, v.property, v.value, p.ROWID, {names} FROM ABMultiValue v "
                    "LEFT JOIN ABPerson p ON p.ROWID = v.record_id "
                    "WHERE v.property IN (3, 4) ORDER BY v.record_id, v.UID"
                )
                while rows := cursor.fetchmany(1000):
                    ctx.check_cancelled()
                    out: list[Record] = []
                    for uid, prop, value, person, *parts in rows:
                        loc = source.locate(pointer=f"/ABMultiValue/{uid}")
                        text = str(value or "").strip()
                        if not text:
                            continue
                        name = saved_name(*parts)
                        if person is None:
                            out.append(ctx.warn(loc, f"{text!r} belongs to no contact"))
                        accounts.key(out, _PROPERTIES[prop], text, loc, name)
                    yield from out
            except sqlite3.DatabaseError as exc:
                yield ctx.warn(source.locate(pointer="/"),
                               f"AddressBook could not be read further: {exc}")  # fmt: skip


register(IosAddressBookExtractor())

"""Android's address book, ``contacts2.db`` (com.android.providers.contacts): the names the
phone's holder saved for numbers and e-mail addresses.

``raw_contacts`` (``_id``, ``display_name``, ``account_type`` e.g. ``com.google`` or
``com.whatsapp``, ``deleted``), ``data`` (``raw_contact_id``, ``mimetype_id``, ``data1`` ..)
and ``mimetypes`` (``_id``, ``mimetype``): a ``vnd.android.cursor.item/phone_v2`` row has
the number as typed in ``data1`` and the phone's E.164 form in ``data4``;
``vnd.android.cursor.item/email_v2`` the address in ``data1``;
``vnd.android.cursor.item/name`` the display name in ``data1``.

One ``Account`` per saved number (platform ``phone``: the key ``phone:+44...`` is the one the
call log and the SMS backup use, so the saved name joins them) and per saved address
(platform ``email``), with the saved name as ``display_name``: what the ``address_book_name``
alias signal reads. One account per distinct (name, number); a contact synced from several
accounts (Google, WhatsApp) is one entry. Contacts marked ``deleted`` are kept, with a
warning that counts them. Locators are ``/data/N``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import ClassVar

from extractors._sqlite import open_database, source_has_tables, table_columns
from extractors.base import Context, Source
from extractors.identifiers import email_key, phone_e164
from extractors.records import Account, Record
from extractors.registry import register

_PHONE = "vnd.android.cursor.item/phone_v2"
_EMAIL = "vnd.android.cursor.item/email_v2"
_NAME = "vnd.android.cursor.item/name"


class AndroidContactsExtractor:
    """Android contacts2.db: saved names of numbers and e-mail addresses."""

    name: ClassVar[str] = "android_contacts"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "Android contacts provider database contacts2.db (raw_contacts, data, mimetypes): "
        "the holder's saved names for numbers and e-mail addresses"
    )

    def sniff(self, source: Source) -> bool:
        """A SQLite file with ``raw_contacts``, ``data`` and ``mimetypes`` tables."""
        return source_has_tables(source, "raw_contacts", "data", "mimetypes")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        try:
            with open_database(source) as conn:
                yield from _contacts(source, ctx, conn)
        except sqlite3.DatabaseError as exc:
            yield ctx.warn(source.locate(offset=0), f"{source.name}: database unreadable ({exc})")


def _contacts(source: Source, ctx: Context, conn: sqlite3.Connection) -> Iterator[Record]:
    raw_cols = table_columns(conn, "raw_contacts")
    data_cols = table_columns(conn, "data")
    if not {"raw_contact_id", "mimetype_id", "data1"} <= data_cols:
        yield ctx.warn(source.locate(pointer="/data"), "data table lacks its columns; no contacts")
        return
    shown = "r.display_name" if "display_name" in raw_cols else "NULL"
    deleted = "r.deleted" if "deleted" in raw_cols else "0"
    data4 = "d.data4" if "data4" in data_cols else "NULL"
    query = (
        f"SELECT d._id, d.raw_contact_id, m.mimetype, d.data1, {data4} AS data4, "
        f"{shown} AS shown, {deleted} AS deleted FROM data d "
        "JOIN mimetypes m ON m._id = d.mimetype_id "
        "LEFT JOIN raw_contacts r ON r._id = d.raw_contact_id "
        f"WHERE m.mimetype IN ('{_PHONE}', '{_EMAIL}', '{_NAME}') "
        "ORDER BY d.raw_contact_id, d._id"
    )
    seen: set[tuple[str, str, str | None]] = set()
    gone = 0
    current: object = None
    name: str | None = None
    pending: list[sqlite3.Row] = []
    for row in conn.execute(query):
        if row["raw_contact_id"] != current:
            yield from _accounts(source, ctx, name, pending, seen)
            current, name, pending = row["raw_contact_id"], _text(row["shown"]), []
            gone += bool(row["deleted"])
        if row["mimetype"] == _NAME:
            name = _text(row["data1"]) or name
        else:
            pending.append(row)
    yield from _accounts(source, ctx, name, pending, seen)
    if gone:
        yield ctx.warn(
            source.locate(pointer="/raw_contacts"),
            f"{gone} contact(s) marked deleted on the phone are included",
        )


def _text(value: object) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _accounts(
    source: Source,
    ctx: Context,
    name: str | None,
    rows: list[sqlite3.Row],
    seen: set[tuple[str, str, str | None]],
) -> Iterator[Record]:
    for row in rows:
        value = _text(row["data1"])
        if value is None:
            continue
        loc = source.locate(pointer=f"/data/{row['_id']}")
        if row["mimetype"] == _EMAIL:
            email = email_key(value)
            if ("email", email or value, name) in seen:
                continue
            seen.add(("email", email or value, name))
            yield Account(
                locator=loc,
                platform="email",
                handle=None if email else value,
                display_name=name,
                email=email,
            )
            continue
        e164 = phone_e164(value, ctx.region) or phone_e164(_text(row["data4"]), ctx.region)
        if ("phone", e164 or value, name) in seen:
            continue
        seen.add(("phone", e164 or value, name))
        yield Account(
            locator=loc, platform="phone", display_name=name, phone_raw=value, phone_e164=e164
        )


register(AndroidContactsExtractor())

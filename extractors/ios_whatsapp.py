"""WhatsApp on the iPhone: ``ChatStorage.sqlite`` in the shared container
``AppDomainGroup-group.net.whatsapp.WhatsApp.shared`` (docs/device-databases.md).

Tables read (Core Data): ``ZWAMESSAGE`` (``ZISFROMME``, ``ZMESSAGETYPE``, ``ZMESSAGEDATE``
Cocoa seconds, ``ZTEXT``, ``ZFROMJID``, ``ZSTANZAID``, ``ZCHATSESSION``, ``ZGROUPMEMBER``,
``ZMEDIAITEM``), ``ZWACHATSESSION`` (``ZCONTACTJID``, ``ZPARTNERNAME``: the chat as the
phone shows it; groups end ``@g.us``), ``ZWAGROUPMEMBER`` (``ZMEMBERJID``,
``ZCONTACTNAME``), ``ZWAMEDIAITEM`` (``ZMEDIALOCALPATH``, ``ZTITLE`` the caption, location,
contact card name) and ``ZWAPROFILEPUSHNAME`` (the names people give themselves).

Decisions:

* A JID ``447700900123@s.whatsapp.net`` is the number +447700900123: the Account's
  ``phone_e164`` (its key, so the device and the exports' numbers are one account) with the
  JID as ``handle``; other JIDs (``@lid``) are keyed by the JID. Names: the chat's or the
  member's contact name, else the push name.
* The holder's own messages (``ZISFROMME``) have the holder's Account, scoped to this
  database (the database does not name the holder's number).
* ``ZMESSAGETYPE``: 0 text, 1 image, 2 video, 3 audio, 4 contact card, 5 location, 6 group
  event (system), 7 link, 8 document, 10 call notice (kind ``call``), 11 GIF, 14 deleted
  ("This message was deleted", kind ``deleted``), 15 sticker; others are read as text with
  a warning naming the type.
* Media are named by device path: ``Media/...`` in ``ZMEDIALOCALPATH`` becomes
  ``AppDomainGroup-group.net.whatsapp.WhatsApp.shared/Message/Media/...``.
* Threads are ``whatsapp:<E.164>`` for one-to-one chats (the SMS and export convention)
  and ``whatsapp:<group JID>`` for groups; ``message_id`` is ``ZSTANZAID``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, ClassVar

from extractors._ios_common import Accounts, cocoa_to_utc
from extractors._sqlite import open_database, source_has_tables, table_columns, tables
from extractors.base import Context, Source
from extractors.identifiers import phone_e164
from extractors.records import Account, Locator, Message, Record
from extractors.registry import register

PLATFORM = "whatsapp"
SHARED = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared"
_KINDS = {0: "text", 1: "media", 2: "media", 3: "media", 4: "contact", 5: "location",
          6: "system", 7: "text", 8: "media", 10: "call", 11: "media", 14: "deleted",
          15: "media"}  # fmt: skip
_DELETED_TEXTS = ("This message was deleted", "You deleted this message")
_WANTED = {
    "m": ("Z_PK", "ZISFROMME", "ZMESSAGETYPE", "ZMESSAGEDATE", "ZTEXT", "ZFROMJID",
          "ZSTANZAID", "ZPUSHNAME", "ZGROUPEVENTTYPE"),
    "s": ("ZCONTACTJID", "ZPARTNERNAME", "ZSESSIONTYPE"),
    "g": ("ZMEMBERJID", "ZCONTACTNAME"),
    "mi": ("ZMEDIALOCALPATH", "ZTITLE", "ZLATITUDE", "ZLONGITUDE", "ZVCARDNAME"),
}  # fmt: skip
_TABLES = {"m": "ZWAMESSAGE", "s": "ZWACHATSESSION", "g": "ZWAGROUPMEMBER", "mi": "ZWAMEDIAITEM"}


def jid_number(jid: str | None) -> str | None:
    """``447700900123@s.whatsapp.net`` -> ``+447700900123``; None for other JIDs."""
    if not jid or not jid.endswith("@s.whatsapp.net"):
        return None
    user = jid.split("@", 1)[0].split(":", 1)[0]
    return f"+{user}" if user.isdigit() else None


def media_path(written: str | None) -> str | None:
    """The device path of a ``ZMEDIALOCALPATH`` (relative to the shared container's
    ``Message`` folder), or None when it is not relative."""
    if not written:
        return None
    path = written.lstrip("/") if written.startswith("/Media/") else written
    if path.startswith("Message/"):
        return f"{SHARED}/{path}"
    if path.startswith("Media/"):
        return f"{SHARED}/Message/{path}"
    return None


def jid_account(loc: Locator, jid: str, name: str | None, region: str) -> Account:
    """The Account of a WhatsApp JID: its number when it is one, the JID as handle."""
    number = jid_number(jid)
    return Account(
        locator=loc,
        platform=PLATFORM,
        handle=jid,
        display_name=name,
        phone_raw=number,
        phone_e164=phone_e164(number, region) if number else None,
    )


class _Reader:
    def __init__(self, source: Source, ctx: Context, conn: sqlite3.Connection) -> None:
        self.source, self.ctx, self.conn = source, ctx, conn
        self.out: list[Record] = []
        self.accounts = Accounts(source, ctx)
        self.keys: dict[tuple[str, str | None], str] = {}
        self.push: dict[str, str] = {}
        self.unknown_types: set[object] = set()
        self.last: int | float | None = None

    def key(self, jid: str, name: str | None, loc: Locator) -> str:
        known = self.keys.get((jid, name))
        if known is None:
            acc = jid_account(loc, jid, name, self.ctx.region)
            self.keys[(jid, name)] = known = acc.key
            self.out.append(acc)
        return known

    def run(self) -> Iterator[Record]:
        self.conn.row_factory = None
        present = tables(self.conn)
        if "zwaprofilepushname" in present:
            for jid, name in self.conn.execute("SELECT ZJID, ZPUSHNAME FROM ZWAPROFILEPUSHNAME"):
                if jid and name:
                    self.push[str(jid)] = str(name)
        picks = []
        for alias, columns in _WANTED.items():
            table = _TABLES[alias]
            have = table_columns(self.conn, table) if table.lower() in present else frozenset()
            picks += [f"{alias}.{c}" if c.lower() in have else "NULL" for c in columns]
        joins = ""
        m_cols = table_columns(self.conn, "ZWAMESSAGE")
        for alias, on in (("s", "ZCHATSESSION"), ("g", "ZGROUPMEMBER"), ("mi", "ZMEDIAITEM")):
            if _TABLES[alias].lower() in present and on.lower() in m_cols:
                joins += f" LEFT JOIN {_TABLES[alias]} {alias} ON {alias}.Z_PK = m.{on}"
            else:
                picks = [p if not p.startswith(f"{alias}.") else "NULL" for p in picks]
        cursor = self.conn.execute(
            f"SELECT {', '.join(picks)} FROM ZWAMESSAGE m{joins} ORDER BY m.Z_PK"
        )
        while rows := cursor.fetchmany(2000):
            self.ctx.check_cancelled()
            for row in rows:
                self._message(row)
            out, self.out = self.out, []
            yield from out

    def _message(self, row: tuple[Any, ...]) -> None:
        (pk, from_me, mtype, date, text, from_jid, stanza, push, event,
         chat_jid, partner, _stype, member_jid, member_name,
         local, title, lat, lon, vcard) = row  # fmt: skip
        loc = self.source.locate(pointer=f"/ZWAMESSAGE/{pk}")
        chat_jid = str(chat_jid or from_jid or "")
        group = chat_jid.endswith("@g.us")
        kind = _KINDS.get(mtype if isinstance(mtype, int) else -1)
        if kind is None:
            kind = "text"
            if mtype not in self.unknown_types:
                self.unknown_types.add(mtype)
                self.out.append(self.ctx.warn(loc, f"ZMESSAGETYPE {mtype!r} unknown: read as text"))
        words = str(text or "")
        if kind == "text" and words in _DELETED_TEXTS:
            kind = "deleted"
        if kind == "location" and lat is not None and lon is not None:
            words = words or f"{lat},{lon}"
        elif kind == "contact":
            words = words or str(vcard or "")
        elif kind == "media":
            words = words or str(title or "")
        elif kind == "system" and not words:
            words = f"group event {event}" if event else "group event"
        attachments: tuple[str, ...] = ()
        if local:
            path = media_path(str(local))
            if path is None:
                self.out.append(self.ctx.warn(loc, f"media path {local!r} is not in the "
                                              "WhatsApp container; named as written"))  # fmt: skip
            attachments = (path or str(local),)
        elif kind == "media":
            self.out.append(self.ctx.warn(loc, "media not on the phone (no local path)"))
        title_shown = str(partner or "") or None
        number = jid_number(chat_jid)
        e164 = phone_e164(number, self.ctx.region) if number else None
        thread = f"{PLATFORM}:{chat_jid if group else (e164 or chat_jid or '(no chat)')}"
        sender_key: str | None
        if from_me:
            sender_key = self.accounts.holder(self.out, PLATFORM, loc, "ChatStorage.sqlite")
            sender, recipients = None, (() if group else ((chat_jid,) if chat_jid else ()))
        else:
            # In a group the member is the sender; a group event without one names none.
            who = str(member_jid or "") if group else chat_jid or str(from_jid or "")
            name = (member_name if group else partner) or push or self.push.get(who)
            sender_key = self.key(who, str(name) if name else None, loc) if who else None
            sender, recipients = who or None, ()
        utc = cocoa_to_utc(date)
        flags: list[str] = []
        if utc is None:
            flags.append("time_unparsed")
            self.out.append(self.ctx.warn(loc, f"message {pk} has no readable date ({date!r})"))
        else:
            if self.last is not None and date < self.last:  # numbers, not texts
                flags.append("out_of_order")
            self.last = date
        self.out.append(
            Message(
                locator=loc,
                platform=PLATFORM,
                thread_id=thread,
                thread_title=title_shown or chat_jid or None,
                sender_key=sender_key,
                sender_identifier=sender,
                recipients=recipients,
                sent_at_utc=utc,
                sent_at_raw=f"ZMESSAGEDATE={date}",
                flags=tuple(flags),
                kind=kind,
                text="" if kind == "deleted" else words,
                attachments=attachments,
                message_id=str(stanza) if stanza else None,
                direction="outgoing" if from_me else "incoming",
            )
        )


class IosWhatsAppExtractor:
    """WhatsApp for iPhone ChatStorage.sqlite: chats, groups, media, deleted messages."""

    name: ClassVar[str] = "ios_whatsapp"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "WhatsApp for iPhone ChatStorage.sqlite (messages, groups and members, media, "
        "deleted-message markers, call notices)"
    )

    def sniff(self, source: Source) -> bool:
        """A SQLite file whose schema has ZWAMESSAGE and ZWACHATSESSION."""
        return source_has_tables(source, "ZWAMESSAGE", "ZWACHATSESSION")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Yield accounts, messages and warnings in message order."""
        with open_database(source) as conn:
            try:
                yield from _Reader(source, ctx, conn).run()
                yield from _members(source, ctx, conn)
            except sqlite3.DatabaseError as exc:
                yield ctx.warn(source.locate(pointer="/"),
                               f"ChatStorage could not be read further: {exc}")  # fmt: skip


def _members(source: Source, ctx: Context, conn: sqlite3.Connection) -> Iterator[Record]:
    """An Account for every group member, named as the phone names them."""
    if "zwagroupmember" not in tables(conn):
        return
    have = table_columns(conn, "ZWAGROUPMEMBER")
    name = "ZCONTACTNAME" if "zcontactname" in have else "NULL"
    seen: set[tuple[str, str | None]] = set()
    for pk, jid, shown in conn.execute(
        f"SELECT Z_PK, ZMEMBERJID, {name} FROM ZWAGROUPMEMBER ORDER BY Z_PK"
    ):
        if jid and (str(jid), shown) not in seen:
            seen.add((str(jid), shown))
            loc = source.locate(pointer=f"/ZWAGROUPMEMBER/{pk}")
            yield jid_account(loc, str(jid), str(shown) if shown else None, ctx.region)


register(IosWhatsAppExtractor())

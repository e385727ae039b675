"""iPhone Messages database (``sms.db``, ``HomeDomain/Library/SMS/sms.db``): SMS, MMS,
iMessage and RCS (docs/device-databases.md).

Tables read: ``message`` (one row per message, its ``service`` naming SMS, iMessage or RCS),
``handle`` (the other party's number or address), ``chat`` with ``chat_message_join`` and
``chat_handle_join`` (conversations, group names and members), ``attachment`` with
``message_attachment_join`` (files). Columns that a given iOS version lacks read as NULL.

Decisions:

* Times are Cocoa times (since 2001-01-01 UTC): seconds before iOS 11, nanoseconds after;
  the magnitude of each value decides. ``sent_at_raw`` quotes ``date`` and, when set,
  ``date_delivered`` and ``date_read`` with their UTC forms: the record keeps all three.
* Text is ``text``; when that is NULL or empty (iOS 16+), the string of ``attributedBody``
  (typedstream, ``_ios_typedstream``). The U+FFFC placeholders Messages puts where each
  attachment sits are not text and are removed.
* ``is_from_me``: the holder sent it. The holder's Account (``is_owner``) is keyed by the
  number or address the row names for the holder (``destination_caller_id``, else
  ``account`` without its ``p:``/``e:`` prefix); without one, by a holder key scoped to
  this database, as WhatsApp exports scope "You".
* Edited (``date_edited``) sets ``edited``; unsent (``date_retracted``, or the retracted
  parts ``rp`` in the ``message_summary_info`` plist) is kind ``deleted`` with the flag
  ``unsent``. An outgoing message with an ``error`` is flagged ``not_sent``.
* Attachments are named by their device path in the backup: ``~/Library/SMS/...`` becomes
  ``MediaDomain/Library/SMS/...``; an attachment with no file on the phone is named by its
  ``transfer_name`` with a warning.
* Threads: a group chat (``style`` 43) is ``<platform>:<chat_identifier>``; a one-to-one
  chat is ``<platform>:<E.164 or address>``, as the SMS backup extractor names threads.
  Group changes (``item_type`` 1 to 3) are system messages. Tapbacks are reactions on
  their target (``_ios_tapbacks``); an inline reply (and a tapback whose target is gone)
  carries the target's GUID in ``reply_to``; ``message_id`` is the row's ``guid``.
"""

from __future__ import annotations

import plistlib
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, ClassVar

from extractors._ios_common import Accounts, cocoa_to_utc, device_path, identifier_parts
from extractors._ios_tapbacks import load_tapbacks, target_guid
from extractors._ios_typedstream import attributed_text
from extractors._sqlite import open_database, source_has_tables, table_columns
from extractors.base import Context, Source
from extractors.records import Locator, Message, Record
from extractors.registry import register

_SERVICES = {"sms": "sms", "mms": "sms", "imessage": "imessage", "rcs": "rcs"}
_GROUP_STYLE = 43
_MEDIA_DOMAIN = "MediaDomain"
_OBJECT = "\ufffc"
_COLUMNS = (
    "guid", "text", "attributedBody", "handle_id", "service", "account",
    "destination_caller_id", "date", "date_delivered", "date_read", "is_from_me", "error",
    "item_type", "group_action_type", "group_title", "other_handle", "date_edited",
    "date_retracted", "message_summary_info", "subject", "associated_message_guid",
    "thread_originator_guid",
)  # fmt: skip
_BATCH = 2000
_FROM_ME, _ERROR, _ITEM_TYPE = 11, 12, 13  # positions in a row (ROWID first)


class _Chat:
    __slots__ = ("group", "identifier", "members", "title")

    def __init__(self, identifier: str, title: str | None, group: bool) -> None:
        self.identifier = identifier
        self.title = title
        self.group = group
        self.members: list[str] = []


class _Reader:
    """One sms.db: lookups loaded first (chats, handles, attachments), messages streamed."""

    def __init__(self, source: Source, ctx: Context, conn: sqlite3.Connection) -> None:
        self.source = source
        self.ctx = ctx
        self.conn = conn
        self.accounts = Accounts(source, ctx)
        self.out: list[Record] = []
        self.handles: dict[int, str] = {}
        self.chats: dict[int, _Chat] = {}
        self.files: dict[int, list[tuple[str | None, str | None, str | None]]] = {}
        self.e164: dict[str, str] = {}
        self.unknown_services: set[str] = set()
        self.last_date: int | float | None = None
        self.reactions: dict[str, tuple[str, ...]] = {}
        self.tapbacks: set[int] = set()

    def loc(self, table: str, rowid: object) -> Locator:
        return Locator(self.source.sha256, self.source.path, None, None, f"/{table}/{rowid}")

    def warn(self, loc: Locator, message: str) -> None:
        self.out.append(self.ctx.warn(loc, message))

    def run(self) -> Iterator[Record]:
        self.conn.row_factory = None
        self._load_lookups()
        self.reactions, self.tapbacks = load_tapbacks(self.conn, self.handles)
        columns = table_columns(self.conn, "message")
        picked = ", ".join(f"m.{c}" if c.lower() in columns else f"NULL AS {c}" for c in _COLUMNS)
        total = self.conn.execute("SELECT count(*) FROM message").fetchone()[0] or 1
        cursor = self.conn.execute(
            f"SELECT m.ROWID, {picked}, j.chat_id FROM message m "
            "LEFT JOIN chat_message_join j ON j.message_id = m.ROWID ORDER BY m.ROWID, j.chat_id"
        )
        done = reported = 0
        previous = None
        while rows := cursor.fetchmany(_BATCH):
            self.ctx.check_cancelled()
            for row in rows:
                if row[0] == previous:
                    self.warn(self.loc("message", row[0]),
                              f"message {row[0]} is in more than one chat; the first, "
                              f"chat {self._chat_of(row)}, was used")  # fmt: skip
                    continue
                previous = row[0]
                if row[0] not in self.tapbacks:  # those are reactions on their target
                    self._message(row)
            done += len(rows)
            share = self.source.size * done // total
            self.ctx.progress(max(0, share - reported))
            reported = max(reported, share)
            out, self.out = self.out, []
            yield from out
        out, self.out = self.out, []
        yield from out

    @staticmethod
    def _chat_of(row: tuple[Any, ...]) -> object:
        return row[-1]

    def _load_lookups(self) -> None:
        for rowid, ident in self.conn.execute("SELECT ROWID, id FROM handle"):
            self.handles[rowid] = str(ident or "")
        chat_columns = table_columns(self.conn, "chat")
        name = "display_name" if "display_name" in chat_columns else "NULL"
        for rowid, ident, style, title in self.conn.execute(
            f"SELECT ROWID, chat_identifier, style, {name} FROM chat"
        ):
            self.chats[rowid] = _Chat(str(ident or ""), title or None, style == _GROUP_STYLE)
        if "chat_handle_join" in {t.lower() for (t,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}:  # fmt: skip
            for chat_id, handle_id in self.conn.execute(
                "SELECT chat_id, handle_id FROM chat_handle_join ORDER BY chat_id, handle_id"
            ):
                chat, ident = self.chats.get(chat_id), self.handles.get(handle_id)
                if chat is not None and ident:
                    chat.members.append(ident)
        self._load_attachments()

    def _load_attachments(self) -> None:
        tables = {t.lower() for (t,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}  # fmt: skip
        if not {"attachment", "message_attachment_join"} <= tables:
            return
        cols = table_columns(self.conn, "attachment")
        pick = ", ".join(f"a.{c}" if c in cols else "NULL" for c in
                         ("filename", "transfer_name", "mime_type"))  # fmt: skip
        files: dict[int, list[tuple[str | None, str | None, str | None]]] = defaultdict(list)
        for message_id, filename, transfer, mime in self.conn.execute(
            f"SELECT j.message_id, {pick} FROM message_attachment_join j "
            "JOIN attachment a ON a.ROWID = j.attachment_id ORDER BY j.message_id, a.ROWID"
        ):
            files[message_id].append((filename, transfer, mime))
        self.files = dict(files)

    def _platform(self, service: object, loc: Locator) -> str:
        text = str(service or "").strip()
        platform = _SERVICES.get(text.lower())
        if platform is not None:
            return platform
        if text not in self.unknown_services:
            self.unknown_services.add(text)
            self.warn(loc, f"service {text!r} is not SMS, iMessage or RCS; read as "
                      f"{(text.lower() or 'sms')!r}")  # fmt: skip
        return text.lower() or "sms"

    def _phone(self, ident: str) -> str:
        known = self.e164.get(ident)
        if known is None:
            known = identifier_parts(ident, self.ctx.region)["phone_e164"] or ident
            self.e164[ident] = known
        return known

    def _holder(self, platform: str, row: tuple[Any, ...], loc: Locator) -> tuple[str, str | None]:
        """The holder's key and identifier (None when the row does not name the holder)."""
        ident = str(row[7] or "").strip()  # destination_caller_id
        if not ident:
            account = str(row[6] or "").strip()
            ident = account[2:] if account[:2].lower() in ("p:", "e:") else account
        if ident:
            return self.accounts.key(self.out, platform, ident, loc, owner=True), ident
        return self.accounts.holder(self.out, platform, loc, "sms.db"), None

    def _text(self, row: tuple[Any, ...], loc: Locator) -> str:
        text = row[2]
        if not text and row[3]:
            blob = row[3]
            found = attributed_text(blob) if isinstance(blob, bytes) else None
            if found is None:
                self.warn(loc, "attributedBody could not be read (not a typedstream "
                          "NSAttributedString); the text is not known")  # fmt: skip
                return ""
            text = found
        text = str(text or "")
        return text.replace(_OBJECT, "").strip() if _OBJECT in text else text

    def _unsent(self, row: tuple[Any, ...], loc: Locator) -> bool:
        blob = row[19]  # message_summary_info
        if not row[18] and not blob:
            return False
        if cocoa_to_utc(row[18]) is not None:  # date_retracted
            return True
        if not isinstance(blob, bytes):
            return False
        try:
            info = plistlib.loads(blob)
        except Exception:  # any damage in the plist is only a warning
            self.warn(loc, "message_summary_info is not a readable property list")
            return False
        return isinstance(info, dict) and bool(info.get("rp"))

    def _attachments(self, rowid: int, loc: Locator) -> tuple[tuple[str, ...], bool]:
        """Device paths of the message's files, and whether all are contact cards."""
        if rowid not in self.files:
            return (), False
        names: list[str] = []
        cards = 0
        for filename, transfer, mime in self.files.get(rowid, ()):
            path = device_path(_MEDIA_DOMAIN, filename)
            if path is None:
                shown = filename or transfer or "(no name)"
                why = "no file on the phone" if not filename else "not under the holder's home"
                self.warn(loc, f"attachment {shown!r}: {why}; named as written")
                path = shown
            names.append(path)
            cards += (mime or "").lower() in ("text/vcard", "text/x-vcard") or path.lower(
            ).endswith(".vcf")  # fmt: skip
        return tuple(names), bool(names) and cards == len(names)

    def _message(self, row: tuple[Any, ...]) -> None:
        rowid = row[0]
        loc = self.loc("message", rowid)
        platform = self._platform(row[5], loc)
        chat = self.chats.get(row[-1]) if row[-1] is not None else None
        other = self.handles.get(row[4] or 0, "")
        outgoing = bool(row[_FROM_ME])
        kind, flags = "text", []
        text = self._text(row, loc)
        item_type = row[_ITEM_TYPE] or 0
        if item_type:
            kind, text = "system", self._system(row, other)
        attachments, cards = self._attachments(rowid, loc)
        if attachments and kind == "text":
            kind = "contact" if cards else "media"
        if row[20]:
            text = f"Subject: {row[20]}\n{text}" if text else f"Subject: {row[20]}"
        if self._unsent(row, loc):
            kind, flags = "deleted", ["unsent"]
        if outgoing and row[_ERROR]:
            flags.append("not_sent")
        title: str | None
        if chat is not None and chat.group:
            thread = f"{platform}:{chat.identifier}"
            title = chat.title or chat.identifier
            members = chat.members
        else:
            party = other or (chat.identifier if chat is not None else "")
            thread = f"{platform}:{self._phone(party) if party else '(no address)'}"
            title = (chat.title if chat is not None else None) or party or None
            members = [party] if party else []
        for member in members:
            self.accounts.key(self.out, platform, member, loc)
        sender_key: str | None
        if outgoing:
            sender_key, sender = self._holder(platform, row, loc)
            recipients = tuple(members)
        else:
            sender = other or None
            sender_key = self.accounts.key(self.out, platform, other, loc) if other else None
            recipients = ()
        utc, raw = self._times(row)
        if utc is None:
            flags.append("time_unparsed")
            self.warn(loc, f"message {rowid} has no readable date ({row[8]!r})")
        else:
            # Compared as numbers: texts of different precision do not sort as instants.
            when = row[8] * 10**9 if row[8] < 10**11 else row[8]
            if self.last_date is not None and when < self.last_date:
                flags.append("out_of_order")
            self.last_date = when
        self.out.append(
            Message(
                locator=loc,
                platform=platform,
                thread_id=thread,
                thread_title=title,
                sender_key=sender_key,
                sender_identifier=sender,
                recipients=recipients,
                sent_at_utc=utc,
                sent_at_raw=raw,
                flags=tuple(flags),
                kind=kind,
                text=text,
                attachments=attachments,
                edited=bool(row[17]) and cocoa_to_utc(row[17]) is not None,
                reply_to=target_guid(row[21]) or row[22] or None,
                reactions=self.reactions.get(row[1], ()) if self.reactions else (),
                message_id=row[1] or None,
                direction="outgoing" if outgoing else "incoming",
            )
        )

    def _times(self, row: tuple[Any, ...]) -> tuple[str | None, str]:
        utc = cocoa_to_utc(row[8])
        raw = f"date={row[8]}"
        if row[9] or row[10]:
            for name, value in (("date_delivered", row[9]), ("date_read", row[10])):
                when = cocoa_to_utc(value)
                if when is not None:
                    raw += f" {name}={value} ({when})"
        return utc, raw

    def _system(self, row: tuple[Any, ...], other: str) -> str:
        item_type, action = row[_ITEM_TYPE], row[_ITEM_TYPE + 1] or 0
        target = self.handles.get(row[_ITEM_TYPE + 3] or 0, "")
        if item_type == 1:
            return f"{'removed' if action == 1 else 'added'} {target or 'a member'}"
        if item_type == 2:
            title = row[_ITEM_TYPE + 2]
            return f"named the conversation {title!r}" if title else "removed the name"
        if item_type == 3:
            return "left the conversation" if action == 0 else "changed the group photo"
        return f"system event (item_type {item_type}, group_action_type {action})"


class IosSmsExtractor:
    """iPhone sms.db: SMS, MMS, iMessage and RCS messages, chats and attachments."""

    name: ClassVar[str] = "ios_sms"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "iPhone Messages database sms.db (SMS, MMS, iMessage, RCS; group chats, "
        "attachments, edited and unsent messages)"
    )

    def sniff(self, source: Source) -> bool:
        """A SQLite file whose schema has Messages' tables."""
        return source_has_tables(source, "message", "handle", "chat", "chat_message_join")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Yield accounts, messages and warnings in message order."""
        with open_database(source) as conn:
            try:
                yield from _Reader(source, ctx, conn).run()
            except sqlite3.DatabaseError as exc:
                yield ctx.warn(source.locate(pointer="/"),
                               f"sms.db could not be read further: {exc}")  # fmt: skip


register(IosSmsExtractor())

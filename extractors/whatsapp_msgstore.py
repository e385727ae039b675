"""WhatsApp for Android's message database ``msgstore.db``, with ``wa.db`` for names.

Two schemas are read, told apart by their tables (never by the file name):

* **current** (2021 on): ``message`` (``_id``, ``chat_row_id``, ``from_me``, ``key_id``,
  ``sender_jid_row_id`` (groups), ``timestamp`` ms, ``message_type``, ``text_data``,
  ``status``), ``chat`` (``_id``, ``jid_row_id``, ``subject``), ``jid`` (``_id``, ``user``,
  ``server``, ``raw_string``), ``message_media`` (``file_path``, ``media_caption``,
  ``mime_type``), ``message_system``, ``message_revoked``, ``message_quoted`` (``key_id``),
  ``message_forwarded``, ``message_edit_info``, ``message_location``, group members in
  ``group_participant_user``, calls in ``call_log``. When an upgraded database still holds
  the legacy table too, ``message`` is read when it has rows.
* **legacy**: ``messages`` (``key_remote_jid``, ``key_from_me``, ``key_id``, ``data``,
  ``timestamp`` ms, ``media_wa_type``, ``media_name``, ``media_caption``,
  ``remote_resource`` = a group message's sender, ``status``), ``chat_list`` (``subject``),
  ``group_participants`` (``gjid``, ``jid``).

``message_type`` / ``media_wa_type``: 0 text, 1 image, 2 audio, 3 video, 4 contact card,
5 location, 7 system, 9 document, 13 GIF, 15 deleted for everyone ("revoked"), 16 live
location, 20 sticker. Legacy system lines are ``status`` 6.

Records (platform ``whatsapp``, the same shapes as the chat-export extractor's):

* An ``Account`` per JID seen: ``handle`` the JID as stored, ``phone_e164`` the number
  (``447700900123@s.whatsapp.net`` is ``+447700900123``) so its key ``whatsapp:+44...`` is
  the one a number in an export (or the iPhone's ChatStorage) gets; ``display_name`` the
  name the phone's address book gives it in ``wa.db`` ``wa_contacts`` (``display_name``,
  else the person's own ``wa_name``). A group is a thread, not an account; its members are
  accounts. The holder's own messages come from the holder's account "(phone holder)"
  (``is_owner``, scoped to this database: ``whatsapp:(phone holder) (msgstore.db
  <sha256[:12]>)``), as the database does not name the holder's number; they name no
  ``sender_identifier`` and have the chat's JID in ``recipients`` (one-to-one chats).
* A ``Message`` per row: ``thread_id`` ``whatsapp:<E.164>`` for a one-to-one chat and
  ``whatsapp:<group JID>`` for a group; ``thread_title`` the saved name, number or group
  subject; ``sender_identifier`` the sender's JID as stored; ``message_id`` the ``key_id``;
  ``reply_to`` the quoted ``key_id``; kind ``media`` with the media's file path on the
  phone (``Media/WhatsApp Images/IMG-...jpg``) as the attachment, ``deleted`` for revoked
  messages, ``system``, ``location`` (text ``geo:lat,lon``), ``contact``; ``forwarded``
  flag, ``edited``.
* A ``Call`` and a ``Message`` of kind ``call`` per ``call_log`` row: outgoing when
  ``from_me``, else incoming when it lasted, missed when not; ``video_call`` and
  ``call_result`` are quoted in ``started_at_raw``.

``wa.db`` is read when it is a member of the same archive (any folder); without it, names
are the group subjects only and a warning says so. Locators are ``/message/N``,
``/messages/N``, ``/call_log/N``.
"""

from __future__ import annotations

import posixpath
import sqlite3
import time
from collections.abc import Iterator
from typing import Any, ClassVar, cast

from extractors._sqlite import open_database, source_has_tables, table_columns, tables
from extractors.base import Context, Source
from extractors.records import Account, Call, Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import epoch_ms_to_utc

PLATFORM = "whatsapp"
_MEDIA = {1, 2, 3, 9, 13, 20, 23, 25, 26, 28, 29, 42, 43}
_LOCATION = {5, 16}
_CONTACT = {4, 14}
_SYSTEM = 7
_REVOKED = 15
_USER_SERVERS = ("s.whatsapp.net", "c.us")


def _number(jid: str | None) -> str | None:
    """The E.164 number of a user JID (``447700900123@s.whatsapp.net``, device suffix
    ``:12`` or agent ``.0`` allowed), else None (groups, broadcast lists, ``@lid``)."""
    if not jid or "@" not in jid:
        return None
    user, server = jid.rsplit("@", 1)
    if server not in _USER_SERVERS:
        return None
    user = user.split(":", 1)[0].split(".", 1)[0]
    return f"+{user}" if user.isdigit() and 7 <= len(user) <= 15 else None


def _ms_to_utc(ms: int) -> str:
    """``epoch_ms_to_utc``'s text, faster for the years a phone can have written
    (1973-2096): whole seconds as ``...SZ``, else with milliseconds."""
    if not 10**11 <= ms < 4 * 10**12:
        return epoch_ms_to_utc(ms)
    seconds, milli = divmod(ms, 1000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}Z" if not milli else f"{text}.{milli:03d}Z"


class _Reader:
    def __init__(self, source: Source, ctx: Context, conn: sqlite3.Connection) -> None:
        self.source, self.ctx, self.conn = source, ctx, conn
        self.names: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.pending: list[Record] = []
        self.owner = Account(
            locator=source.locate(pointer="/message"),
            platform=PLATFORM,
            display_name="(phone holder)",
            is_owner=True,
            key_scope=f"msgstore.db {source.sha256[:12]}",
        )
        self.last_ms: int | None = None
        self._chats: dict[tuple[str, str | None], tuple[str, str, bool, tuple[str, ...]]] = {}

    def account(self, jid: str, loc: Locator) -> str:
        key = self.keys.get(jid)
        if key is None:
            e164 = _number(jid)
            acc = Account(
                locator=loc,
                platform=PLATFORM,
                handle=jid,
                display_name=self.names.get(jid),
                phone_e164=e164,
            )
            key = self.keys[jid] = acc.key
            self.pending.append(acc)
        return key

    def thread(self, jid: str) -> str:
        """``whatsapp:<E.164>`` for a one-to-one chat, ``whatsapp:<JID>`` for a group."""
        return f"{PLATFORM}:{_number(jid) or jid}"

    def title(self, jid: str, subject: str | None) -> str:
        return subject or self.names.get(jid) or _number(jid) or jid

    def when(self, ms: Any) -> tuple[str | None, str, tuple[str, ...]]:
        raw = f"timestamp={ms}"
        if not isinstance(ms, int) or ms <= 0:
            return None, raw, ("time_unparsed",)
        try:
            utc = _ms_to_utc(ms)
        except (OverflowError, ValueError, OSError):
            return None, raw, ("time_unparsed",)
        last, self.last_ms = self.last_ms, ms
        return utc, raw, ("out_of_order",) if last is not None and ms < last else ()

    def names_from(self, wa: sqlite3.Connection) -> None:
        cols = table_columns(wa, "wa_contacts")
        if "jid" not in cols:
            return
        shown = [c for c in ("display_name", "wa_name") if c in cols]
        if not shown:
            return
        for row in wa.execute(f"SELECT jid, {', '.join(shown)} FROM wa_contacts"):
            name = next(
                (str(row[c]).strip() for c in shown if row[c] and str(row[c]).strip()), None
            )
            if row["jid"] and name:
                self.names[str(row["jid"])] = name

    def run(self) -> Iterator[Record]:
        names = tables(self.conn)
        yield self.owner
        current = "message" in names and "chat" in names and "jid" in names
        if current and "messages" in names:
            current = self.conn.execute("SELECT 1 FROM message LIMIT 1").fetchone() is not None
        if current:
            yield from self.current(names)
        elif "messages" in names:
            yield from self.legacy(names)
        else:
            yield self.ctx.warn(self.source.locate(offset=0), "no message table found")

    # ---- current schema ----------------------------------------------------------------

    def current(self, names: frozenset[str]) -> Iterator[Record]:
        jids = {
            int(r[0]): str(r[1])
            for r in self.conn.execute("SELECT _id, raw_string FROM jid")
            if r[1] is not None
        }
        chats: dict[int, tuple[str, str | None]] = {}
        for r in self.conn.execute("SELECT _id, jid_row_id, subject FROM chat"):
            if r["jid_row_id"] in jids:
                chats[int(r["_id"])] = (jids[r["jid_row_id"]], r["subject"])
        yield from self.members_current(names, jids)
        mcols = table_columns(self.conn, "message")
        joins: list[str] = []
        extra: list[str] = []

        def opt(table: str, alias: str, cols: dict[str, str]) -> None:
            have = table_columns(self.conn, table) if table in names else frozenset()
            if "message_row_id" not in have:
                extra.extend(f"NULL AS {a}" for a in cols.values())
                return
            joins.append(f"LEFT JOIN {table} {alias} ON {alias}.message_row_id = m._id")
            extra.extend(
                f"{alias}.{c} AS {a}" if c in have else f"NULL AS {a}" for c, a in cols.items()
            )

        opt("message_media", "mm", {"file_path": "file_path", "media_caption": "caption",
                                   "media_name": "media_name"})  # fmt: skip
        opt("message_system", "ms", {"action_type": "action_type"})
        opt("message_revoked", "mr", {"revoked_key_id": "revoked"})
        opt("message_quoted", "mq", {"key_id": "quoted"})
        opt("message_forwarded", "mf", {"message_row_id": "forwarded"})
        opt("message_edit_info", "me", {"edited_timestamp": "edited"})
        opt("message_location", "ml", {"latitude": "lat", "longitude": "lon"})

        def col(c: str) -> str:
            return f"m.{c}" if c in mcols else f"NULL AS {c}"

        # The columns in the order message() reads them (_COLUMNS), then the chat, the
        # group sender and the type.
        first = [col(c) for c in ("_id", "from_me", "key_id", "timestamp", "text_data")]
        last = [col(c) for c in ("chat_row_id", "sender_jid_row_id", "message_type")]
        query = (
            f"SELECT {', '.join(first + extra + last)} FROM message m {' '.join(joins)} "
            "ORDER BY m._id"
        )
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples: read by position, the fast way
        pending = self.pending
        for n, row in enumerate(cursor.execute(query)):
            if n % 2000 == 0:
                self.ctx.check_cancelled()
            chat = chats.get(row[15])
            if chat is None:
                continue  # the placeholder row (chat -1) and rows of no chat
            sender = jids.get(row[16]) if row[16] else None
            msg = self.message(row, "message", chat[0], chat[1], sender, row[17])
            if pending:
                yield from pending
                pending.clear()
            yield msg
        if "call_log" in names:
            yield from self.calls_current(jids)

    def members_current(self, names: frozenset[str], jids: dict[int, str]) -> Iterator[Record]:
        table = "group_participant_user"
        if table not in names or not {"group_jid_row_id", "user_jid_row_id"} <= table_columns(
            self.conn, table
        ):
            return
        for r in self.conn.execute(f"SELECT _id, user_jid_row_id FROM {table} ORDER BY _id"):
            jid = jids.get(r[1])
            if jid and _number(jid):
                self.account(jid, self.source.locate(pointer=f"/{table}/{r[0]}"))
        yield from self.pending
        self.pending.clear()

    def calls_current(self, jids: dict[int, str]) -> Iterator[Record]:
        self.last_ms = None  # the call log is in its own order
        cols = table_columns(self.conn, "call_log")
        want = ("jid_row_id", "from_me", "timestamp", "video_call", "duration", "call_result")
        sel = ", ".join(c if c in cols else f"NULL AS {c}" for c in want)
        for r in self.conn.execute(f"SELECT _id, {sel} FROM call_log ORDER BY _id"):
            jid = jids.get(r["jid_row_id"])
            yield from self.call(r, "call_log", jid, bool(r["from_me"]))

    # ---- legacy schema -----------------------------------------------------------------

    def legacy(self, names: frozenset[str]) -> Iterator[Record]:
        subjects: dict[str, str | None] = {}
        if "chat_list" in names and "subject" in table_columns(self.conn, "chat_list"):
            for r in self.conn.execute("SELECT key_remote_jid, subject FROM chat_list"):
                subjects[str(r[0])] = r[1]
        if "group_participants" in names:
            for r in self.conn.execute("SELECT _id, jid FROM group_participants ORDER BY _id"):
                if r[1] and _number(str(r[1])):
                    self.account(
                        str(r[1]), self.source.locate(pointer=f"/group_participants/{r[0]}")
                    )
            yield from self.pending
            self.pending.clear()
        cols = table_columns(self.conn, "messages")
        want = ("_id", "key_remote_jid", "key_from_me", "key_id", "remote_resource",
                "timestamp", "media_wa_type", "data", "status", "media_name", "media_caption",
                "latitude", "longitude", "quoted_row_id", "forwarded", "edit_version")  # fmt: skip
        sel = ", ".join(c if c in cols else f"NULL AS {c}" for c in want)
        quoted: dict[int, str] = {}
        if "messages_quotes" in names and "key_id" in table_columns(self.conn, "messages_quotes"):
            quoted = {
                int(r[0]): str(r[1])
                for r in self.conn.execute("SELECT _id, key_id FROM messages_quotes")
                if r[1] is not None
            }
        for n, r in enumerate(self.conn.execute(f"SELECT {sel} FROM messages ORDER BY _id")):
            if n % 2000 == 0:
                self.ctx.check_cancelled()
            chat = r["key_remote_jid"]
            if not chat or chat == "-1":
                continue  # the placeholder first row
            mtype = int(r["media_wa_type"]) if str(r["media_wa_type"] or "0").isdigit() else 0
            if r["status"] == 6 and not r["key_from_me"]:
                mtype = _SYSTEM
            adapted = (
                r["_id"],
                r["key_from_me"],
                r["key_id"],
                r["timestamp"],
                r["data"],
                r["media_name"],
                r["media_caption"],
                None,
                None,
                None,
                quoted.get(r["quoted_row_id"]) if r["quoted_row_id"] else None,
                r["forwarded"] or None,
                r["edit_version"] or None,
                r["latitude"],
                r["longitude"],
            )
            sender = r["remote_resource"] or None
            msg = self.message(
                adapted, "messages", str(chat), subjects.get(str(chat)), sender, mtype
            )
            if self.pending:
                yield from self.pending
                self.pending.clear()
            yield msg
        if "call_log" in names and "jid_row_id" in table_columns(self.conn, "call_log"):
            jids: dict[int, str] = {}
            if "jid" in names:
                jids = {
                    int(r[0]): str(r[1])
                    for r in self.conn.execute("SELECT _id, raw_string FROM jid")
                }
            yield from self.calls_current(jids)

    # ---- records -----------------------------------------------------------------------

    def chat(self, chat: str, subject: str | None) -> tuple[str, str, bool, tuple[str, ...]]:
        """Thread id, title, whether a group, and the recipients of the holder's messages."""
        key = (chat, subject)
        found = self._chats.get(key)
        if found is None:
            group = chat.endswith(("@g.us", "@broadcast"))
            found = self._chats[key] = (
                self.thread(chat),
                self.title(chat, subject),
                group,
                () if group or not _number(chat) else (chat,),
            )
        return found

    def message(
        self, r: Any, table: str, chat: str, subject: str | None, sender: str | None, mtype: Any
    ) -> Message:
        """A message from a row in _COLUMNS order: _id, from_me, key_id, timestamp, text,
        file_path, caption, media_name, action_type, revoked, quoted, forwarded, edited,
        lat, lon."""
        (row_id, from_me, key_id, ms, text, file_path, caption, media_name, action, revoked,
         quoted, forwarded, edited, lat, lon) = r[:15]  # fmt: skip
        loc = self.source.locate(pointer=f"/{table}/{row_id}")
        thread, title, group, to_chat = self.chat(chat, subject)
        mine = bool(from_me)
        sender_key: str | None
        sender_id: str | None
        if mine:
            sender_key, sender_id = self.owner.key, None
        else:
            who = sender if group and sender else chat
            if who and not who.endswith(("@g.us", "@broadcast")):
                sender_key = self.keys.get(who) or self.account(who, loc)
                sender_id = who
            else:
                sender_key = sender_id = None
        utc, raw, flags = self.when(ms)
        text = text or ""
        kind, attachments = "text", cast("tuple[str, ...]", ())
        mtype = mtype if isinstance(mtype, int) else 0
        if mtype == 0 and not (file_path or revoked or action is not None or lat is not None):
            pass  # the common case: a plain text
        elif mtype == _REVOKED or revoked:
            kind = "deleted"
        elif mtype == _SYSTEM or action is not None:
            kind = "system"
        elif mtype in _LOCATION or lat is not None:
            kind = "location"
            if lat is not None and lon is not None and not text:
                text = f"geo:{lat},{lon}"
        elif mtype in _CONTACT:
            kind = "contact"
        elif mtype in _MEDIA or file_path:
            kind = "media"
            text = caption or text
        if file_path or media_name:
            attachments = (str(file_path or media_name),)
        if kind == "media" and not attachments:
            attachments = (f"(media type {mtype}, file not recorded)",)
        if forwarded:
            flags += ("forwarded",)
        return Message(
            locator=loc,
            platform=PLATFORM,
            thread_id=thread,
            thread_title=title,
            sender_key=sender_key,
            sender_identifier=sender_id,
            recipients=to_chat if mine else (),
            sent_at_utc=utc,
            sent_at_raw=raw,
            flags=flags,
            kind=kind,
            text=text if kind != "deleted" else "",
            attachments=attachments,
            edited=bool(edited),
            reply_to=quoted,
            message_id=key_id,
            direction="outgoing" if mine else "incoming",
        )

    def call(self, r: Any, table: str, jid: str | None, mine: bool) -> Iterator[Record]:
        loc = self.source.locate(pointer=f"/{table}/{r['_id']}")
        key = self.account(jid, loc) if jid and _number(jid) else None
        yield from self.pending
        self.pending.clear()
        duration = r["duration"] if isinstance(r["duration"], int) else None
        direction = "outgoing" if mine else "incoming" if duration else "missed"
        utc, raw, flags = self.when(r["timestamp"])
        raw += f" video_call={r['video_call']} call_result={r['call_result']}"
        thread = self.thread(jid) if jid else f"{PLATFORM}:(call without a party)"
        yield Call(
            locator=loc,
            platform=PLATFORM,
            thread_id=thread,
            number_raw=jid,
            number_e164=_number(jid),
            party_key=key,
            started_at_utc=utc,
            started_at_raw=raw,
            flags=flags,
            duration_s=duration,
            direction=direction,
        )
        yield Message(
            locator=loc,
            platform=PLATFORM,
            thread_id=thread,
            thread_title=self.title(jid, None) if jid else None,
            sender_key=self.owner.key if mine else key,
            sender_identifier=None if mine else jid,
            recipients=(jid,) if mine and jid else (),
            sent_at_utc=utc,
            sent_at_raw=raw,
            flags=flags,
            kind="call",
            text=("Video call" if r["video_call"] else "Voice call")
            + ("" if direction != "missed" else " (missed)"),
            direction="outgoing" if mine else "incoming",
        )


def _wa_db(source: Source) -> Any:
    """The ``wa.db`` member beside this database in the same archive, or None."""
    here = posixpath.dirname(source.member or "")
    found = [s for s in source.siblings if posixpath.basename(s.member) == "wa.db"]
    found.sort(key=lambda s: posixpath.dirname(s.member) != here)
    return found[0] if found else None


class WhatsAppMsgstoreExtractor:
    """WhatsApp for Android msgstore.db (legacy and current schemas), names from wa.db."""

    name: ClassVar[str] = "whatsapp_msgstore"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "WhatsApp for Android message database msgstore.db (legacy 'messages' and current "
        "'message' schemas; groups, media, deleted markers, calls), names from wa.db"
    )

    def sniff(self, source: Source) -> bool:
        """``message`` + ``chat`` + ``jid`` (current), or ``messages`` + ``chat_list``
        (legacy), in the schema."""
        return source_has_tables(source, "message", "chat", "jid") or source_has_tables(
            source, "messages", "chat_list"
        )

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        try:
            with open_database(source) as conn:
                reader = _Reader(source, ctx, conn)
                yield from self._names(source, ctx, reader)
                yield from reader.run()
        except sqlite3.DatabaseError as exc:
            yield ctx.warn(source.locate(offset=0), f"{source.name}: database unreadable ({exc})")

    def _names(self, source: Source, ctx: Context, reader: _Reader) -> Iterator[Record]:
        sib = _wa_db(source)
        if sib is None:
            yield ctx.warn(
                source.locate(offset=0),
                f"{source.name}: no wa.db beside it in the same archive: contact names are "
                "not read (numbers and group subjects only)",
            )
            return
        wa = Source(
            sha256=sib.sha256,
            name="wa.db",
            path=sib.member,
            mime="application/vnd.sqlite3",
            size=sib.size,
            head=b"",
            opener=lambda: source.open_sibling(sib.member),
        )
        try:
            with open_database(wa) as conn:
                reader.names_from(conn)
        except (sqlite3.DatabaseError, KeyError, OSError) as exc:
            yield ctx.warn(
                source.locate(offset=0), f"{sib.member}: contact names unreadable ({exc})"
            )


register(WhatsAppMsgstoreExtractor())

"""Android's own message store, ``mmssms.db`` (com.android.providers.telephony): SMS and MMS.

Tables and columns as the Telephony provider defines them:

* ``sms``: ``_id``, ``thread_id``, ``address``, ``date`` (epoch ms, when the phone stored
  it), ``date_sent`` (ms, the sender's clock), ``type`` (1 inbox, 2 sent, 3 draft, 4 outbox,
  5 failed, 6 queued), ``body``, ``subject``, ``read``, ``person``.
* ``pdu`` (one row per MMS): ``date`` and ``date_sent`` in epoch **seconds**, ``msg_box``
  (as ``type``), ``m_type`` (128 send-req, 132 retrieve-conf, 130 notification not yet
  downloaded), ``sub`` (subject), ``m_id``; ``part`` (``mid`` = pdu ``_id``, ``ct``, ``text``
  for text parts, ``_data`` the file on the phone for the rest, ``cl``/``name``); ``addr``
  (``msg_id``, ``address``, ``type`` 137 from, 151 to, 130 cc, 129 bcc;
  ``insert-address-token`` stands for the phone's own number).
* ``threads`` (``recipient_ids``: ids of ``canonical_addresses`` separated by spaces): the
  members of a group conversation.

The records are the ones the SMS Backup & Restore extractor makes (that app copies these
columns): one builder (``_sms_records``) maps both, so a message read from the phone and
from a backup of it is the same record. Differences a database brings:

* Locators are ``pointer`` = ``/sms/N`` / ``/pdu/N``.
* Withheld or unknown senders (``-1``, ``-2``, ``Unknown``, ``Private number``) are read as
  such: no account, thread ``sms:withheld`` / ``sms:unknown``.
* Drafts, outbox, failed and queued messages carry the ``not_sent`` flag (and a warning).
* MMS attachments are named by their path on the phone (``/data/user_de/0/com.android.
  providers.telephony/app_parts/PART_...``): the database holds no bytes; the files are
  items of their own when the extraction holds them.
* ``sent_at_raw`` quotes ``date`` and ``date_sent`` as stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import ClassVar

from extractors._android_db import Merge, RowBuilder, as_attrs, hidden_address
from extractors._sms_fields import int_or_none, join_texts, with_subject
from extractors._sms_records import _MMS_BOXES, _MMS_TYPES, _SMS_TYPES, _UNSENT
from extractors._sqlite import open_database, source_has_tables, table_columns, tables
from extractors._xml_text import Value
from extractors.base import Context, Source
from extractors.records import Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import epoch_s_to_utc

_FROM, _TO_CC_BCC = 137, (151, 130, 129)
_OWN = "insert-address-token"
_VCARDS = ("text/x-vcard", "text/vcard")


class _Reader:
    def __init__(self, source: Source, ctx: Context, conn: sqlite3.Connection) -> None:
        self.source, self.ctx, self.conn = source, ctx, conn
        self.b = RowBuilder(source, ctx)
        self.members: dict[int, list[str]] = {}

    def loc(self, table: str, row_id: object) -> Locator:
        return self.source.locate(pointer=f"/{table}/{row_id}")

    def drain(self) -> Iterator[Record]:
        out, self.b.out = self.b.out, []
        yield from out

    def run(self) -> Iterator[Record]:
        names = tables(self.conn)
        if "threads" in names and "canonical_addresses" in names:
            self._threads()
        if "sms" in names:
            yield from self._sms()
        if "pdu" in names:
            self.b._last_ms = None
            yield from self._mms(names)

    def _threads(self) -> None:
        canon = {
            int(r[0]): str(r[1])
            for r in self.conn.execute("SELECT _id, address FROM canonical_addresses")
            if r[0] is not None and r[1] is not None
        }
        for tid, ids in self.conn.execute("SELECT _id, recipient_ids FROM threads"):
            found = [
                canon[int(i)] for i in str(ids or "").split() if i.isdigit() and int(i) in canon
            ]
            self.members[int(tid)] = found

    def _sms(self) -> Iterator[Record]:
        cols = table_columns(self.conn, "sms")
        want = ["address", "date", "date_sent", "type", "body", "subject", "thread_id"]
        if missing := [c for c in ("address", "date", "type", "body") if c not in cols]:
            yield self.ctx.warn(
                self.source.locate(pointer="/sms"), f"sms table lacks columns {missing}"
            )
        select = ", ".join(["_id"] + [c if c in cols else f"NULL AS {c}" for c in want])
        for n, row in enumerate(self.conn.execute(f"SELECT {select} FROM sms ORDER BY _id")):
            if n % 1000 == 0:
                self.ctx.check_cancelled()
            self._one_sms(row)
            yield from self.drain()

    def _one_sms(self, row: sqlite3.Row) -> None:
        b, loc = self.b, self.loc("sms", row["_id"])
        what = f"sms _id={row['_id']}"
        v = b.values(as_attrs(row, ("address", "date", "type", "body", "subject")), loc, what)
        address, kind = v.opt("address"), int_or_none(v.opt("type"))
        hidden = hidden_address(address)
        direction = _SMS_TYPES.get(kind) if kind is not None else None
        flags: tuple[str, ...] = ()
        if direction is None:
            b.warn(loc, f"{what}: type {v.opt('type')!r} unknown: direction not stated")
        elif kind in _UNSENT:
            b.warn(loc, f"{what}: type {kind} ({_UNSENT[kind]}): not known to have been sent")
            flags = ("not_sent",)
        if address is None:
            b.warn(loc, f"{what} has no address: the other party is not named")
        key = b.account("sms", address, None, loc) if address and not hidden else None
        when = b.when(v, loc, what)
        raw_when = when.raw
        if row["date_sent"] not in (None, 0):
            raw_when += f' date_sent="{row["date_sent"]}"'
        text, raw = with_subject(v.value("subject"), v.value("body"))
        incoming = direction == "incoming"
        thread = f"sms:{hidden}" if hidden else b.thread("sms", [address] if address else [])
        b.out.append(
            Message(
                locator=loc,
                platform="sms",
                thread_id=thread,
                thread_title=f"({hidden})" if hidden else address,
                sender_key=key if incoming else None,
                sender_identifier=address if incoming and not hidden else None,
                recipients=(address,)
                if address and not hidden and not incoming and direction
                else (),
                sent_at_utc=when.utc,
                sent_at_raw=raw_when,
                flags=when.flags + flags + (("text_fixed",) if raw is not None else ()),
                text=text,
                raw_text=raw,
                direction=direction,
            )
        )

    def _mms(self, names: frozenset[str]) -> Iterator[Record]:
        cols = table_columns(self.conn, "pdu")
        want = ["date", "date_sent", "msg_box", "m_type", "sub", "m_id", "thread_id"]
        select = ", ".join(["_id"] + [c if c in cols else f"NULL AS {c}" for c in want])
        parts = Merge(iter(()), "mid")
        addrs = Merge(iter(()), "msg_id")
        if "part" in names:
            pc = table_columns(self.conn, "part")
            keep = [
                c if c in pc else f"NULL AS {c}"
                for c in ("mid", "ct", "text", "_data", "cl", "name", "fn")
            ]
            order = "mid, seq, _id" if "seq" in pc else "mid, _id"
            q = f"SELECT _id, {', '.join(keep)} FROM part ORDER BY {order}"
            parts = Merge(iter(self.conn.cursor().execute(q)), "mid")
        if "addr" in names:
            addrs = Merge(
                iter(
                    self.conn.cursor().execute(
                        "SELECT msg_id, address, type FROM addr ORDER BY msg_id, _id"
                    )
                ),
                "msg_id",
            )
        for n, row in enumerate(self.conn.execute(f"SELECT {select} FROM pdu ORDER BY _id")):
            if n % 1000 == 0:
                self.ctx.check_cancelled()
            self._one_mms(row, parts.take(row["_id"]), addrs.take(row["_id"]))
            yield from self.drain()

    def _one_mms(
        self, row: sqlite3.Row, parts: list[sqlite3.Row], addrs: list[sqlite3.Row]
    ) -> None:
        b, loc = self.b, self.loc("pdu", row["_id"])
        what = f"pdu _id={row['_id']}"
        v = b.values(
            as_attrs(row, ("date", "date_sent", "msg_box", "m_type", "sub", "m_id")), loc, what
        )
        box, mtype = int_or_none(v.opt("msg_box")), int_or_none(v.opt("m_type"))
        direction = _MMS_BOXES.get(box or 0) or _MMS_TYPES.get(mtype or 0)
        flags: tuple[str, ...] = ()
        if direction is None:
            b.warn(loc, f"{what}: msg_box {box} / m_type {mtype}: direction not stated")
        elif box in (3, 4, 5):
            b.warn(loc, f"{what}: msg_box {box} ({_UNSENT[box]}): not known to have been sent")
            flags = ("not_sent",)
        texts: list[Value] = []
        attachments: list[str] = []
        vcards = 0
        for p in parts:
            ct = str(p["ct"] or "").lower()
            if ct == "application/smil":
                continue
            data = p["_data"]
            if ct.startswith("text/plain") and not data:
                texts.append(b.value(p["text"]))
                continue
            name = data or next(
                (str(p[k]) for k in ("name", "cl", "fn") if p[k]),
                f"part _id={p['_id']}",
            )
            attachments.append(name)
            vcards += ct in _VCARDS
        if mtype == 130:
            b.warn(loc, f"{what}: an MMS notification whose content was never downloaded")
        froms = [str(a["address"]) for a in addrs if a["type"] == _FROM and a["address"]]
        tos = [str(a["address"]) for a in addrs if a["type"] in _TO_CC_BCC and a["address"]]
        tid = row["thread_id"]
        others = self.members.get(tid if isinstance(tid, int) else -1) or [
            a for a in froms + tos if a != _OWN
        ]
        sender = None
        if direction == "incoming":
            sender = next((a for a in froms if a != _OWN), None) or (
                others[0] if len(others) == 1 else None
            )
            if sender is None:
                b.warn(loc, f"{what}: received but no sender address is given")
        recipients = [a for a in tos if a != _OWN]
        if direction == "outgoing" and not recipients:
            recipients = others
        hidden = hidden_address(sender)
        key = None
        for a in dict.fromkeys(([sender] if sender else []) + recipients + others):
            if a != _OWN and not hidden_address(a):
                k = b.account("sms", a, None, loc)
                key = k if a == sender else key
        utc, raw_when, tflags = self._when(row, loc, what)
        text, raw = with_subject(v.value("sub"), join_texts(texts))
        kind = "text" if not attachments else "contact" if vcards == len(attachments) else "media"
        b.out.append(
            Message(
                locator=loc,
                platform="sms",
                thread_id=b.thread("sms", [a for a in others if not hidden_address(a)]),
                thread_title="~".join(others) or None,
                sender_key=key,
                sender_identifier=sender if not hidden else None,
                recipients=tuple(recipients),
                sent_at_utc=utc,
                sent_at_raw=raw_when,
                flags=tflags + flags + (("text_fixed",) if raw is not None else ()),
                kind=kind,
                text=text,
                raw_text=raw,
                attachments=tuple(attachments),
                message_id=v.opt("m_id"),
                direction=direction,
            )
        )

    def _when(
        self, row: sqlite3.Row, loc: Locator, what: str
    ) -> tuple[str | None, str, tuple[str, ...]]:
        """MMS times are epoch seconds (a value of 10^11 or more is read as ms, warned)."""
        date = row["date"]
        raw = f'date="{date}"' if date is not None else ""
        if row["date_sent"] not in (None, 0):
            raw += f' date_sent="{row["date_sent"]}"'
        seconds = int_or_none(str(date)) if date is not None else None
        if seconds is not None and seconds >= 10**11:
            self.b.warn(loc, f"{what}: date {seconds} is too large for seconds; read as ms")
            seconds //= 1000
        try:
            utc = epoch_s_to_utc(seconds) if seconds is not None else None
        except (OverflowError, ValueError):
            utc = None
        if utc is None or seconds is None:
            self.b.warn(loc, f"{what} has no readable date ({raw or 'none'})")
            return None, raw, ("time_unparsed",)
        ms, last = seconds * 1000, self.b._last_ms
        self.b._last_ms = ms
        return utc, raw, ("out_of_order",) if last is not None and ms < last else ()


class AndroidMmsSmsExtractor:
    """Android mmssms.db: SMS, MMS with their parts and addresses, group members."""

    name: ClassVar[str] = "android_mmssms"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "Android Telephony provider database mmssms.db (sms; pdu, part and addr for MMS; "
        "threads and canonical_addresses for group members)"
    )

    def sniff(self, source: Source) -> bool:
        """A SQLite file with the Telephony provider's ``sms`` table and ``pdu`` or
        ``threads`` beside it (read from the schema, not the file name)."""
        return source_has_tables(source, "sms") and (
            source_has_tables(source, "pdu") or source_has_tables(source, "threads")
        )

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        try:
            with open_database(source) as conn:
                yield from _Reader(source, ctx, conn).run()
        except sqlite3.DatabaseError as exc:
            yield ctx.warn(source.locate(offset=0), f"{source.name}: database unreadable ({exc})")


register(AndroidMmsSmsExtractor())

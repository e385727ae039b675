"""Telegram Desktop JSON export (``result.json``): one chat or a whole account (FORMATS.md §2).

The file is streamed, never parsed whole: a small byte scanner finds where each message
(and each chat's ``name``/``type``/``id``, ``personal_information``, each contact) starts
and ends, and only that value is decoded. So memory is bounded by the largest message
(``MESSAGE_LIMIT``), and damage inside one message costs that message only. ijson was not
used: it stops at the first invalid byte, and tdesktop itself writes invalid JSON.

Quirks handled:
* tdesktop escapes control characters as ``\\xHH`` (invalid JSON): decoded, warned, the
  text as found kept in ``raw_text`` with flag ``text_fixed``; other invalid escapes are
  kept literally (backslash and all) and warned. Invalid UTF-8 and lone surrogates become
  U+FFFD the same way.
* ``date_unixtime`` (UTC epoch, a string) is preferred; when only ``date`` (the exporting
  computer's wall clock, no offset) exists it is converted with the examiner's zone and
  flagged. When both exist and their difference disagrees with the stated zone, one warning
  says so (the exporting computer was elsewhere; its HTML or ``date`` values would be off).
* ``text`` as a string or a list of strings and ``{type, text}`` objects (``text_entities``
  when ``text`` is absent) becomes plain text.
* Senders: ``from_id`` (``user…``/``channel…``/``chat…``) is the platform id, ``from`` the
  display name (``null`` for a deleted account: the Account has no display name and the
  message names the sender by ``from_id``); services use ``actor``/``actor_id``.
* Service messages are ``system`` (text: the action and its details, the file's text being
  empty), except ``phone_call``: a ``call`` message with empty text plus a Call record.
* Media (``photo``, ``file`` with ``media_type``) are ``media`` with the relative path, or
  tdesktop's "(File not included…)" placeholder, in ``attachments``; inside an archive the
  path is matched against the other members and the member path recorded (missing: warned).
  Shared contacts, locations and polls get their details as text (kinds ``contact``,
  ``location``, ``text``); an ``unsupported`` message is a warned ``system`` line.
* A full-account export's ``personal_information`` is the owner's Account (phone, E.164,
  username) and each ``contacts`` entry an Account (user id, saved name, phone); messages
  of all ``chats``/``left_chats`` follow, each chat its own thread (its ``id``).
* ``direction``: ``outgoing``/``incoming`` when the owner is known; in a single-chat export
  only "incoming" for the peer of a ``personal_chat`` (``from_id`` = ``user`` + chat id),
  else None: who exported is not stated.
* ``edited``, ``reply_to_message_id`` (``peer:id`` when ``reply_to_peer_id`` says another
  chat), ``forwarded_from`` (flag ``forwarded``: the sender forwarded someone else's words;
  the record's ``forwarded_from`` names the original author as the export does, None when
  the export writes null).
* ``link``/``text_link`` entities become ``shares`` (a text_link's URL is not in the text);
  ``reactions`` one entry per named reactor, plus one ``{"actor": "", "count": n}`` entry
  for reactions the export counts without naming who.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, BinaryIO, ClassVar

from extractors.base import Context, Source
from extractors.identifiers import phone_e164
from extractors.records import Account, Call, Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import epoch_s_to_utc, format_utc, local_to_utc, zone

PLATFORM = "telegram"
MESSAGE_LIMIT = 16 << 20  # bytes of one message; a real one is a few KiB (4096 characters)
SMALL_LIMIT = 1 << 20  # bytes of a chat name, personal information or contact
READ_CHUNK = 1 << 20
OFFSET_WARNINGS = 3  # distinct date/date_unixtime differences reported per file
_BOM = b"\xef\xbb\xbf"
_WS = re.compile(rb"[ \t\r\n]*")
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*+"|([\[{])|([\]}])|(")', re.DOTALL)
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*+"', re.DOTALL)
_QUOTE_OR_BACKSLASH = re.compile(rb'["\\]')
_LITERAL = re.compile(rb'[^\s,:\[\]{}"]*')
_ESCAPE = re.compile(r'\\(u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|["\\/bfnrt]|.|$)', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLACEHOLDER = re.compile(r"^\((?:File|Photo) .*\)$", re.DOTALL)
_MESSAGE_TYPE = re.compile(rb'"type"\s*:\s*"(?:message|service)"')
_TELEGRAM_KEY = re.compile(rb'"(?:date_unixtime|from_id|actor_id|text_entities)"\s*:')
_CHAT_TYPE = re.compile(
    rb'"type"\s*:\s*"(?:personal_chat|bot_chat|saved_messages|replies|private_group|'
    rb'private_supergroup|public_supergroup|private_channel|public_channel)"'
)
_CALL_DIRECTION = {"busy": "rejected", "missed": "missed"}


class _Damaged(Exception):
    """The JSON structure is broken at ``offset``: nothing after it can be placed."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


class _Scanner:
    """A JSON byte stream read in chunks: finds where values start and end, parses nothing."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.buf = bytearray()
        self.base = 0  # file offset of buf[0]
        self.pos = 0
        self.mark: int | None = None  # start of the value being captured
        self.limit = 0
        self.eof = False

    def offset(self) -> int:
        return self.base + self.pos

    def _more(self) -> bool:
        """Read another chunk, forgetting what is neither captured nor ahead."""
        if self.eof:
            return False
        chunk = self._stream.read(READ_CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.mark is not None and len(self.buf) - self.mark > self.limit:
            self.mark = None  # over the limit: keep scanning, stop keeping
        drop = self.pos if self.mark is None else self.mark
        del self.buf[:drop]
        self.base += drop
        self.pos -= drop
        if self.mark is not None:
            self.mark -= drop
        self.buf += chunk
        return True

    def peek(self) -> int | None:
        """The next non-blank byte (not consumed); None at the end of the file."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return None

    def take(self, allowed: bytes, what: str) -> int:
        """Consume one of ``allowed`` or raise _Damaged naming ``what`` was expected."""
        found = self.peek()
        if found is None:
            raise _Damaged(self.offset(), f"the file ends where {what} was expected (truncated)")
        if found not in allowed:
            raise _Damaged(self.offset(), f"{chr(found)!r} where {what} was expected")
        self.pos += 1
        return found

    def value(self, limit: int) -> tuple[int, bytes | None]:
        """Pass the value at the cursor: its offset and bytes (None if over ``limit``)."""
        first = self.peek()
        start = self.offset()
        if first is None:
            raise _Damaged(start, "the file ends where a value was expected (truncated)")
        self.mark, self.limit = self.pos, limit
        try:
            if first == 0x22:
                self._string()
            elif first in b"{[":
                self._container()
            else:
                self.pos = _LITERAL.match(self.buf, self.pos).end()  # type: ignore[union-attr]
                while self.pos == len(self.buf) and self._more():
                    self.pos = _LITERAL.match(self.buf, self.pos).end()  # type: ignore[union-attr]
                if self.offset() == start:
                    raise _Damaged(start, f"{chr(first)!r} where a value was expected")
            keep = self.mark is not None and self.pos - self.mark <= limit
            return start, bytes(self.buf[self.mark : self.pos]) if keep else None
        finally:
            self.mark = None

    def _string(self) -> None:
        whole = _STRING_REST.match(self.buf, self.pos + 1)
        if whole is not None:  # the common case: the string is all in the buffer
            self.pos = whole.end()
            return
        self.pos += 1
        while True:  # across chunks, forgetting what is passed once over the limit
            hit = _QUOTE_OR_BACKSLASH.search(self.buf, self.pos)
            if hit is None or (hit.group() == b"\\" and hit.end() == len(self.buf)):
                self.pos = len(self.buf) if hit is None else hit.start()
                if not self._more():
                    raise _Damaged(self.offset(), "the file ends inside a string (truncated)")
                continue
            self.pos = hit.end() + (hit.group() == b"\\")
            if hit.group() == b'"':
                return

    def _container(self) -> None:
        depth = 0
        while True:
            depth, state = self._tokens(depth)
            if state == "end":
                return
            if state == "string":
                self._string()
            elif not self._more():
                raise _Damaged(self.offset(), "the file ends inside an object (truncated)")

    def _tokens(self, depth: int) -> tuple[int, str]:
        """Scan the buffer: the value's end, a string running past the buffer, or more."""
        # The match iterator pins the buffer: the caller reads more only after it is gone.
        for hit in _TOKEN.finditer(self.buf, self.pos):
            if hit.lastindex == 3:
                self.pos = hit.start()
                return depth, "string"
            if hit.lastindex is not None:
                depth += 1 if hit.lastindex == 1 else -1
                if depth == 0:
                    self.pos = hit.end()
                    return depth, "end"
        self.pos = len(self.buf)
        return depth, "more"


@dataclass(frozen=True)
class _Found:
    """A value the walk stopped at: what it is, where, and its bytes."""

    what: str  # chat (a messages array begins) | message | meta | owner | contact | odd
    pointer: str
    offset: int
    blob: bytes | None = None
    key: str = ""


def _pointer_part(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _walk(sc: _Scanner) -> Iterator[_Found]:
    """Every chat, message, owner and contact of a Telegram export, in file order."""
    if sc.peek() == _BOM[0] and sc.buf[sc.pos : sc.pos + 3] == _BOM:
        sc.pos += len(_BOM)
    first = sc.peek()
    if first is None:
        raise _Damaged(0, "the file is empty")
    if first != ord("{"):
        raise _Damaged(sc.offset(), "the top level is not a JSON object (unknown layout)")
    yield from _walk_object(sc, "", "root")
    if sc.peek() is not None:
        raise _Damaged(sc.offset(), "data after the end of the JSON document")


def _walk_object(sc: _Scanner, pointer: str, level: str) -> Iterator[_Found]:
    sc.take(b"{", "'{'")
    if sc.peek() == ord("}"):
        sc.pos += 1
        return
    while True:
        key = _key(sc)
        sc.take(b":", "':'")
        here = f"{pointer}/{_pointer_part(key)}"
        ahead = sc.peek()
        if key == "messages" and level in ("root", "chat") and ahead == ord("["):
            yield _Found("chat", pointer, sc.offset())
            yield from _walk_array(sc, here, "message")
        elif key in ("chats", "left_chats", "contacts") and level == "root" and ahead == ord("{"):
            yield from _walk_object(sc, here, "contacts" if key == "contacts" else "chats")
        elif key == "list" and level in ("chats", "contacts") and ahead == ord("["):
            yield from _walk_array(sc, here, "chat" if level == "chats" else "contact")
        elif key in ("name", "type", "id") and level in ("root", "chat"):
            offset, blob = sc.value(SMALL_LIMIT)
            yield _Found("meta", pointer, offset, blob, key)
        elif key == "personal_information" and level == "root":
            offset, blob = sc.value(SMALL_LIMIT)
            yield _Found("owner", here, offset, blob)
        else:
            sc.value(0)
        if sc.take(b",}", "',' or '}'") == ord("}"):
            return


def _walk_array(sc: _Scanner, pointer: str, item: str) -> Iterator[_Found]:
    sc.take(b"[", "'['")
    if sc.peek() == ord("]"):
        sc.pos += 1
        return
    index = 0
    while True:
        here = f"{pointer}/{index}"
        if item == "chat" and sc.peek() == ord("{"):
            yield from _walk_object(sc, here, "chat")
        elif item == "chat":
            yield _Found("odd", here, sc.value(0)[0])
        else:
            offset, blob = sc.value(MESSAGE_LIMIT if item == "message" else SMALL_LIMIT)
            yield _Found(item, here, offset, blob)
        index += 1
        if sc.take(b",]", "',' or ']'") == ord("]"):
            return


def _key(sc: _Scanner) -> str:
    if sc.peek() != 0x22:
        sc.take(b'"', "a key")
    offset, blob = sc.value(SMALL_LIMIT)
    try:
        key = json.loads(_repair_escapes(blob.decode("utf-8", "replace"))[0]) if blob else None
    except ValueError:
        key = None
    if not isinstance(key, str):
        raise _Damaged(offset, "unreadable key")
    return key


def _repair_escapes(text: str) -> tuple[str, str, list[str]]:
    """(text with \\xHH decoded, text with them kept literally, the invalid escapes found)."""
    if "\\" not in text:
        return text, text, []
    bad: list[str] = []

    def decoded(match: re.Match[str]) -> str:
        esc = match.group(1)
        if len(esc) == 5 or (len(esc) == 1 and esc in '"\\/bfnrt'):
            return match.group(0)
        bad.append(match.group(0))
        return "\\u00" + esc[1:] if len(esc) == 3 else "\\\\" + esc

    def literal(match: re.Match[str]) -> str:
        esc = match.group(1)
        if len(esc) == 5 or (len(esc) == 1 and esc in '"\\/bfnrt'):
            return match.group(0)
        return "\\\\" + esc

    fixed = _ESCAPE.sub(decoded, text)
    return fixed, (_ESCAPE.sub(literal, text) if bad else fixed), bad


def _decode(blob: bytes) -> tuple[Any, Any, list[str]]:
    """The value, the value with invalid escapes kept as found (or None), and problems."""
    problems = []
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = blob.decode("utf-8", "surrogateescape")
        problems.append(f"invalid UTF-8 (first at byte +{exc.start}) replaced by U+FFFD")
    fixed, literal, bad = _repair_escapes(text)
    value = json.loads(fixed, strict=False)
    if not bad:
        return value, None, problems
    shown = ", ".join(replace_surrogates(escape)[1] for escape in sorted(set(bad))[:5])
    problems.append(f"invalid JSON escapes ({shown}) decoded; text as found kept")
    return value, json.loads(literal, strict=False), problems


def replace_surrogates(text: str) -> tuple[str, str]:
    """(text with lone surrogates as U+FFFD, text with them shown as escapes)."""
    if not _SURROGATE.search(text):
        return text, text

    def shown(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"

    return _SURROGATE.sub("\ufffd", text), _SURROGATE.sub(shown, text)


def _name(value: Any) -> str | None:
    """A name or id as text (surrogates replaced), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return replace_surrogates(str(value))[0]


def _plain_text(value: Any) -> tuple[str, bool]:
    """Displayed text of ``text``/``text_entities``, and whether some part was unreadable."""
    if isinstance(value, str):
        return value, False
    if not isinstance(value, list):
        return "", value is not None
    parts, odd = [], False
    for part in value:
        if isinstance(part, dict):
            part = part.get("text")
        if isinstance(part, str):
            parts.append(part)
        else:
            odd = True
    return "".join(parts), odd


def canonical_entry(entry: dict[str, Any]) -> str:
    """Canonical JSON text (sorted keys, no blanks), as Message.reactions/shares hold."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _shares(value: Any) -> tuple[str, ...]:
    """Links of ``link`` and ``text_link`` entities (a text_link's URL is not in the text)."""
    shares = []
    for part in value if isinstance(value, list) else ():
        if not isinstance(part, dict) or part.get("type") not in ("link", "text_link"):
            continue
        text, href = _name(part.get("text")), _name(part.get("href"))
        if part["type"] == "link" and text:
            shares.append(canonical_entry({"link": text}))
        elif href:
            shares.append(canonical_entry({"link": href} | ({"share_text": text} if text else {})))
    return tuple(shares)


def _reactions(value: Any) -> tuple[str, ...]:
    """Reactions: one per named reactor (``recent``), one with the count for the rest.

    A reactor's ``date`` is the exporting computer's wall clock, so no ``at`` is given.
    """
    out = []
    for item in value if isinstance(value, list) else ():
        if not isinstance(item, dict):
            continue
        reaction = _name(item.get("emoji")) or _name(item.get("document_id")) or ""
        recent = [r for r in item.get("recent") or () if isinstance(r, dict)]
        for who in recent:
            actor = _name(who.get("from")) or _name(who.get("from_id")) or ""
            out.append(canonical_entry({"actor": actor, "reaction": reaction}))
        count = item.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count > len(recent):
            rest = {"actor": "", "count": count - len(recent), "reaction": reaction}
            out.append(canonical_entry(rest))
    return tuple(out)


@dataclass
class _Chat:
    """The chat whose messages are being read."""

    pointer: str
    thread_id: str = ""
    title: str | None = None
    peer: str | None = None  # from_id of the other side of a personal chat
    last_utc: str = ""


@dataclass(frozen=True)
class _When:
    utc: str | None
    raw: str
    tz: str | None
    assumed: bool
    flags: tuple[str, ...] = ()
    problem: str | None = None
    offset: timedelta | None = None  # exporting computer's UTC offset, from date vs epoch


@dataclass
class _Run:
    """One extraction of one file: what has been seen so far."""

    source: Source
    ctx: Context
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    chat: _Chat | None = None
    accounts: set[tuple[str | None, str | None]] = field(default_factory=set)
    owner: str | None = None
    offsets_warned: set[timedelta] = field(default_factory=set)
    members: frozenset[str] = frozenset()
    found_chat: bool = False

    def handle(self, found: _Found) -> Iterator[Record]:
        loc = self.source.locate(pointer=found.pointer)
        if found.what == "meta":
            value, readable = _small(found.blob)
            self.chats.setdefault(found.pointer, {})[found.key] = value
            if not readable:
                yield self.ctx.warn(loc, f"unreadable chat {found.key} at byte {found.offset}")
        elif found.what == "chat":
            self.chat = self._open_chat(found.pointer)
            self.found_chat = True
        elif found.what == "odd":
            yield self.ctx.warn(loc, f"chat list entry at byte {found.offset} is not an object")
        elif found.what in ("owner", "contact"):
            yield from self._person(found, loc)
        else:
            self.ctx.check_cancelled()
            self.ctx.progress(1)
            yield from self._message(found, loc)

    def _open_chat(self, pointer: str) -> _Chat:
        meta = self.chats.get(pointer, {})
        chat_id, name, kind = _name(meta.get("id")), _name(meta.get("name")), meta.get("type")
        thread = chat_id or name or f"file:{self.source.sha256[:16]}{pointer}"
        peer = f"user{chat_id}" if kind == "personal_chat" and chat_id else None
        return _Chat(pointer, thread, name, peer)

    def _person(self, found: _Found, loc: Locator) -> Iterator[Record]:
        info, _ = _small(found.blob)
        if not isinstance(info, dict):
            yield self.ctx.warn(loc, f"unreadable {found.what} at byte {found.offset}")
            return
        user_id = _name(info.get("user_id"))
        names = [_name(info.get(k)) or "" for k in ("first_name", "last_name")]
        phone = _name(info.get("phone_number")) or None
        platform_id = f"user{user_id}" if user_id and user_id != "0" else None
        if not (platform_id or phone or any(names)):
            return  # tdesktop writes a deleted contact as its date alone: nobody to record
        if found.what == "owner":
            self.owner = platform_id
        yield Account(
            locator=loc,
            platform=PLATFORM,
            platform_id=platform_id,
            handle=_name(info.get("username")) or None,
            display_name=" ".join(n for n in names if n) or None,
            phone_raw=phone,
            phone_e164=phone_e164(phone, self.ctx.region),
            is_owner=found.what == "owner",
        )

    def _message(self, found: _Found, loc: Locator) -> Iterator[Record]:
        where = f"message at byte {found.offset}"
        if found.blob is None:
            yield self.ctx.warn(loc, f"{where} is over {MESSAGE_LIMIT >> 20} MiB; skipped")
            return
        try:
            value, as_found, problems = _decode(found.blob)
        except (ValueError, RecursionError) as exc:
            yield self.ctx.warn(loc, f"{where} is not valid JSON ({exc}); skipped")
            return
        for problem in problems:
            yield self.ctx.warn(loc, f"{where}: {problem}")
        if not isinstance(value, dict):
            yield self.ctx.warn(loc, f"{where} is not an object; skipped")
            return
        chat = self.chat or self._open_chat("")
        yield from self._message_records(value, as_found, chat, loc, where)

    def _message_records(
        self, msg: dict[str, Any], as_found: Any, chat: _Chat, loc: Locator, where: str
    ) -> Iterator[Record]:
        kind_of = msg.get("type")
        if kind_of == "unsupported":
            yield self.ctx.warn(loc, f"{where}: 'unsupported', content not exported by Telegram")
        elif kind_of not in ("message", "service"):
            yield self.ctx.warn(loc, f"{where}: unknown type {kind_of!r}, read as a message")
        service = kind_of == "service"
        sender_id = _name(msg.get("actor_id" if service else "from_id"))
        sender_name = _name(msg.get("actor" if service else "from"))
        sender_key = yield from self._account(sender_id, sender_name, loc)
        when = self._when(msg)
        if when.problem and kind_of != "unsupported":  # those carry only id and type
            yield self.ctx.warn(loc, f"{where}: {when.problem}")
        if when.offset is not None and when.utc is not None:
            yield from self._check_offset(when, loc)
        text, raw_text, text_odd = self._text(msg, as_found)
        if text_odd:
            yield self.ctx.warn(loc, f"{where}: part of the text is not text; left out")
        kind, attachments, missing = self._content(msg, kind_of)
        for path in missing:
            yield self.ctx.warn(loc, f"{where}: {path!r} is not in the archive")
        direction = self._direction(sender_id, chat)
        yield Message(
            locator=loc,
            platform=PLATFORM,
            thread_id=chat.thread_id,
            thread_title=chat.title,
            sender_key=sender_key,
            sender_identifier=sender_name if sender_name is not None else sender_id,
            sent_at_utc=when.utc,
            sent_at_raw=when.raw,
            tz=when.tz,
            tz_assumed=when.assumed,
            flags=_flags(msg, when, raw_text, chat),
            kind=kind,
            text=text or _describe(msg, kind),
            raw_text=raw_text,
            attachments=tuple(attachments),
            edited="edited" in msg or "edited_unixtime" in msg,
            reply_to=_reply_to(msg),
            message_id=_name(msg.get("id")),
            direction=direction,
            reactions=_reactions(msg.get("reactions")),
            shares=_shares(msg.get("text" if "text" in msg else "text_entities")),
            forwarded_from=_forwarded_from(msg),
        )
        if kind == "call":
            yield self._call(msg, chat, loc, when, sender_key, direction)

    def _account(
        self, sender_id: str | None, sender_name: str | None, loc: Locator
    ) -> Generator[Record, None, str | None]:
        """Yield the sender's Account the first time it is seen; return its key."""
        if sender_id is None and sender_name is None:
            return None
        account = Account(
            locator=loc, platform=PLATFORM, platform_id=sender_id, display_name=sender_name
        )
        if (sender_id, sender_name) not in self.accounts:
            self.accounts.add((sender_id, sender_name))
            yield account
        return account.key

    def _when(self, msg: dict[str, Any]) -> _When:
        unix, date = msg.get("date_unixtime"), msg.get("date")
        problem = None
        if unix is not None:
            seconds, utc = _epoch(unix)
            if utc is not None and seconds is not None:
                return _When(utc, _raw(unix), None, False, offset=_exporter_offset(date, seconds))
            problem = f"unreadable date_unixtime {str(unix)[:40]!r}"
        naive = _iso(date)
        if naive is not None and naive.tzinfo is not None:  # not tdesktop's, but unambiguous
            return _When(format_utc(naive), _raw(date), "UTC" + _hhmm(naive.utcoffset()), False, ())
        if naive is None:
            shown = f"unreadable date {str(date)[:40]!r}" if date is not None else "no date"
            problem = f"{problem}; {shown}" if problem else shown
            return _When(None, _raw(date or unix or ""), None, False, ("time_unparsed",), problem)
        resolved = local_to_utc(naive, self.ctx.tz)
        return _When(resolved.utc, _raw(date), self.ctx.tz, True, resolved.flags, problem)

    def _check_offset(self, when: _When, loc: Locator) -> Iterator[Record]:
        assert when.utc is not None and when.offset is not None
        instant = datetime.fromisoformat(when.utc.replace("Z", "+00:00"))
        expected = instant.astimezone(zone(self.ctx.tz)).utcoffset()
        if when.offset == expected or when.offset in self.offsets_warned:
            return
        self.offsets_warned.add(when.offset)
        if len(self.offsets_warned) > OFFSET_WARNINGS:
            return
        more = (
            " (further differences not reported)"
            if len(self.offsets_warned) == OFFSET_WARNINGS
            else ""
        )
        yield self.ctx.warn(
            loc,
            f"'date' and 'date_unixtime' put the exporting computer at UTC{_hhmm(when.offset)} "
            f"at {when.utc}, but {self.ctx.tz} was UTC{_hhmm(expected)} then: the computer "
            f"was set to another zone, or the file was changed; times here come from "
            f"date_unixtime{more}",
        )

    def _text(self, msg: dict[str, Any], as_found: Any) -> tuple[str, str | None, bool]:
        field_name = "text" if "text" in msg else "text_entities"
        text, odd = _plain_text(msg.get(field_name))
        found_text = text
        if isinstance(as_found, dict):
            found_text = _plain_text(as_found.get(field_name))[0]
        text, _ = replace_surrogates(text)
        shown = replace_surrogates(found_text)[1]
        return text, (shown if shown != text else None), odd

    def _content(self, msg: dict[str, Any], kind_of: Any) -> tuple[str, list[str], list[str]]:
        """Kind, attachments, and attachment paths missing from the archive."""
        if kind_of == "service":
            return ("call" if msg.get("action") == "phone_call" else "system"), [], []
        if kind_of == "unsupported":
            return "system", [], []
        if isinstance(msg.get("contact_information"), dict):
            return "contact", [], []
        if "location_information" in msg or "place_name" in msg:
            return "location", [], []
        paths = [p for p in (msg.get("photo"), msg.get("file")) if isinstance(p, str) and p]
        if not paths and "media_type" not in msg:
            return "text", [], []
        attachments, missing = [], []
        for path in paths:
            member = self._member(path)
            if member is None and self.members and not _PLACEHOLDER.match(path):
                missing.append(path)
            attachments.append(replace_surrogates(member or path)[0])
        return "media", attachments, missing

    def _member(self, path: str) -> str | None:
        if not self.members or self.source.member is None or _PLACEHOLDER.match(path):
            return None
        member = posixpath.normpath(posixpath.join(posixpath.dirname(self.source.member), path))
        return member if member in self.members else None

    def _direction(self, sender_id: str | None, chat: _Chat) -> str | None:
        if sender_id is None:
            return None
        if self.owner is not None:
            return "outgoing" if sender_id == self.owner else "incoming"
        return "incoming" if sender_id == chat.peer else None

    def _call(
        self,
        msg: dict[str, Any],
        chat: _Chat,
        loc: Locator,
        when: _When,
        sender_key: str | None,
        direction: str | None,
    ) -> Call:
        reason = msg.get("discard_reason")
        duration = msg.get("duration_seconds")
        if direction == "outgoing":
            call_direction = "outgoing"
        elif direction == "incoming":
            call_direction = _CALL_DIRECTION.get(str(reason), "incoming")
        else:
            call_direction = "missed" if reason == "missed" else "unknown"
        return Call(
            locator=loc,
            platform=PLATFORM,
            thread_id=chat.thread_id,
            party_key=sender_key if call_direction != "outgoing" else None,
            started_at_utc=when.utc,
            started_at_raw=when.raw,
            tz=when.tz,
            tz_assumed=when.assumed,
            flags=when.flags,
            duration_s=duration if isinstance(duration, int) and duration >= 0 else None,
            direction=call_direction,
        )


def _small(blob: bytes | None) -> tuple[Any, bool]:
    """A small value (chat name, contact …) and whether it could be read."""
    if blob is None:
        return None, False
    try:
        return _decode(blob)[0], True
    except (ValueError, RecursionError):
        return None, False


def _raw(value: Any) -> str:
    return replace_surrogates(str(value))[0]


def _epoch(unix: Any) -> tuple[int | None, str | None]:
    """Seconds and UTC text of a ``date_unixtime`` (tdesktop writes digits in a string)."""
    if isinstance(unix, str) and unix.isascii() and unix.strip().lstrip("-").isdigit():
        seconds = int(unix)
    elif isinstance(unix, int) and not isinstance(unix, bool):
        seconds = unix
    else:
        return None, None
    try:
        return seconds, epoch_s_to_utc(seconds)
    except (OverflowError, ValueError):
        return None, None


def _iso(date: Any) -> datetime | None:
    if not isinstance(date, str):
        return None
    try:
        return datetime.fromisoformat(date)
    except ValueError:
        return None


def _exporter_offset(date: Any, seconds: int) -> timedelta | None:
    naive = _iso(date)
    if naive is None or naive.tzinfo is not None:
        return None
    try:
        return naive - datetime(1970, 1, 1) - timedelta(seconds=seconds)
    except OverflowError:
        return None


def _hhmm(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _flags(msg: dict[str, Any], when: _When, raw_text: str | None, chat: _Chat) -> tuple[str, ...]:
    flags = list(when.flags)
    if raw_text is not None:
        flags.append("text_fixed")
    if "forwarded_from" in msg:
        flags.append("forwarded")  # the words are someone else's; the sender passed them on
    if when.utc is not None and chat.last_utc and when.utc < chat.last_utc:
        flags.append("out_of_order")
    chat.last_utc = when.utc or chat.last_utc
    return tuple(flags)


def _forwarded_from(msg: dict[str, Any]) -> str | None:
    """The original author as the export names it: ``forwarded_from`` (a name; null when
    tdesktop had none), else ``forwarded_from_id`` where a newer export gives only that."""
    if "forwarded_from" not in msg:
        return None
    return _name(msg.get("forwarded_from")) or _name(msg.get("forwarded_from_id"))


def _reply_to(msg: dict[str, Any]) -> str | None:
    reply = _name(msg.get("reply_to_message_id"))
    peer = _name(msg.get("reply_to_peer_id"))
    if reply is None:
        return None
    return f"{peer}:{reply}" if peer else reply


def _describe(msg: dict[str, Any], kind: str) -> str:
    """Readable text for messages whose file text is empty but whose fields say something."""
    if kind == "contact":
        info = msg["contact_information"]
        names = [_name(info.get(k)) or "" for k in ("first_name", "last_name")]
        parts = [" ".join(n for n in names if n), _name(info.get("phone_number")) or ""]
        return ", ".join(p for p in parts if p)
    if kind == "location":
        info = msg.get("location_information")
        coords = ""
        if isinstance(info, dict):
            coords = f"{_name(info.get('latitude'))}, {_name(info.get('longitude'))}"
        place = [_name(msg.get("place_name")), _name(msg.get("address")), coords]
        return "; ".join(p for p in place if p)
    if kind == "text" and isinstance(msg.get("poll"), dict):
        answers = msg["poll"].get("answers")
        shown = (
            [_name(a.get("text")) for a in answers if isinstance(a, dict)]
            if isinstance(answers, list)
            else []
        )
        return f"poll: {_name(msg['poll'].get('question'))} ({'; '.join(a for a in shown if a)})"
    if kind != "system":
        return ""
    if msg.get("type") == "unsupported":
        return "unsupported message (content not exported by Telegram Desktop)"
    details = []
    for key in ("title", "new_title", "members", "inviter", "message_id", "duration", "text"):
        value = msg.get(key)
        if isinstance(value, list):
            value = ", ".join(_name(v) or "(deleted)" for v in value)
        if _name(value):
            details.append(f"{key}: {_name(value)}")
    action = _name(msg.get("action")) or _name(msg.get("information_text")) or "service"
    return f"{action} ({'; '.join(details)})" if details else action


class TelegramJsonExtractor:
    """Telegram Desktop ``result.json``: a single chat or a full account export."""

    name: ClassVar[str] = "telegram_json"
    version: ClassVar[str] = "1.1"
    description: ClassVar[str] = "Telegram Desktop export, JSON (result.json)"

    def sniff(self, source: Source) -> bool:
        """A .json whose first bytes show Telegram's message or export fields."""
        if not (source.name.lower().endswith(".json") or source.mime == "application/json"):
            return False
        head = source.head.lstrip(_BOM + b" \t\r\n")
        if not head.startswith(b"{"):
            return False
        if b'"personal_information"' in head and b'"about"' in head:
            return True
        if _MESSAGE_TYPE.search(head) and _TELEGRAM_KEY.search(head):
            return True
        return bool(_CHAT_TYPE.search(head)) and b'"messages"' in head

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Owner, contacts, then per chat each sender's Account before its messages."""
        run = _Run(source, ctx, members=frozenset(s.member for s in source.siblings))
        with source.open() as stream:
            try:
                for found in _walk(_Scanner(stream)):
                    yield from run.handle(found)
            except _Damaged as exc:
                where = source.locate(offset=exc.offset)
                yield ctx.warn(where, f"{exc.message} at byte {exc.offset}; reading stopped")
        if not run.found_chat:
            yield ctx.warn(source.locate(offset=0), "no chat with messages found")


register(TelegramJsonExtractor())

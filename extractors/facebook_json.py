"""Facebook / Messenger "Download your information" JSON (FORMATS.md §3).

One archive member at a time: a thread page (``messages/<folder>/<thread>/message_N.json``,
old layout or under ``your_facebook_activity/``), an end-to-end-encrypted Messenger export
(camelCase keys, proper UTF-8) or the owner's ``profile_information.json``.

Decisions, each visible in the records:

* ``thread_id`` is the path below ``messages/``, e.g. ``inbox/danm_123`` or
  ``message_requests/x_456``: the folder kind stays visible and every page of a thread
  (message_1..N) gets the same id. E2EE files: ``e2ee/<file name without _N>``.
* Messages are yielded in file order (newest first in DYI files); locators are JSON
  pointers (``/messages/5``). Times come from ``timestamp_ms`` (UTC, never assumed).
* Mojibake (UTF-8 bytes written as ``\\u00XX``) is repaired in every string of a DYI file
  (names, titles, content, reactions, share text); a repaired message keeps ``raw_text``
  and the flag ``text_fixed``. E2EE files are proper UTF-8 and are not touched.
* Attachments are member paths of the archive (the ``uri`` matched to ``source.siblings``;
  a file missing from the archive is kept as written and warned about). Two non-file
  annotations are added, each ``<tag>:`` plus compact JSON, so nothing is lost until the
  Message record has fields for them: ``reaction:{"actor":…,"reaction":…[,"at":UTC]}``
  and ``share:{"link":…[,"share_text":…]}``. A consumer tells them from files by the
  prefix; members never start with ``reaction:{`` or ``share:{``.
* Kinds: ``is_unsent`` (or an image removed by a Messenger Kids parent) → deleted;
  ``call_duration`` or type ``Call`` → call (text as written, and a Call record with the
  duration; direction ``missed`` only when the file says ``missed``, else ``unknown``,
  party = the named sender); photos/videos/audio/gifs/files/sticker, or a share with no
  text → media (text is the caption); ``Subscribe``/``Unsubscribe`` → system. Newer
  exports' separate "Reacted 😢 to your message" lines are messages in the file and stay
  text (localised wording: not parsed).
* Identity: display names only (``platform_id`` stays None: the folder id is the
  thread's, not a person's). "Facebook user"/"Instagram User" (a deleted account) gets no
  Account and no sender key, with a warning: one key would join different people.
  ``recipients`` stays empty: ``participants`` is membership at export time, not at
  sending time. Message keys the records cannot hold (e.g. ``ip``) are named in one
  warning per file.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar

from extractors.base import Context, Sibling, Source
from extractors.identifiers import email_key
from extractors.records import Account, Call, Message, Record
from extractors.registry import register
from extractors.timeutil import epoch_ms_to_utc, epoch_s_to_utc

_CHUNK = 1 << 20
VALUE_LIMIT = 16 << 20  # one message or root value; Messenger caps a message far below this
_STRUCT = re.compile(rb'["{}\[\]]')
_STRING_STOP = re.compile(rb'["\\]')
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_SCALAR_END = re.compile(rb"[,}\]\s]")
_NON_WS = re.compile(rb"[^ \t\r\n]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_THREAD_PATH = re.compile(r"/messages/[^/]+/[^/]+/[^/]+$")
_IG_THREAD = re.compile(r"/messages/[^/]+/[^/]*_1784\d{13}/")  # Instagram's 1784… ids
_IMAGE = re.compile(r"\.(jpe?g|png|gif|webp|heic)$", re.IGNORECASE)
_NO_ONE = frozenset({"facebook user", "instagram user"})  # deleted/deactivated accounts
_MEDIA_KEYS = ("photos", "videos", "audio_files", "gifs", "files")
_KNOWN_KEYS = frozenset(
    {"sender_name", "timestamp_ms", "content", "type", "is_unsent", "sticker", "share"}
    | {"call_duration", "missed", "users", "reactions", "is_geoblocked_for_viewer"}
    | {"is_unsent_image_by_messenger_kid_parent", "e2ee_media", "e2ee_type", *_MEDIA_KEYS}
)
_E2EE_KEYS = {
    "senderName": "sender_name",
    "timestamp": "timestamp_ms",
    "text": "content",
    "isUnsent": "is_unsent",
    "media": "e2ee_media",
    "type": "e2ee_type",
}


class JsonDamage(Exception):
    """The JSON structure is broken (or ends) at byte ``offset``."""

    def __init__(self, offset: int, what: str) -> None:
        super().__init__(what)
        self.offset = offset
        self.what = what


class JsonScanner:
    """Finds the extents of JSON values in a byte stream, holding one value at a time.

    Structure is found on bytes (UTF-8 never hides an ASCII byte inside a character), so a
    damaged value costs only that value; each value is decoded by ``json`` on its own.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._pos = 0  # bytes of _buf before this are consumed
        self._base = 0  # file offset of _buf[0]
        self._eof = False
        self._grew = False  # the last refill read bytes
        self._refill()
        if self._buf.startswith(b"\xef\xbb\xbf"):
            self._pos = 3

    @property
    def offset(self) -> int:
        """Byte offset of the next unconsumed byte."""
        return self._base + self._pos

    def _refill(self) -> int:
        """Drop consumed bytes, read a chunk; returns how far buffer indices moved."""
        shift = self._pos
        del self._buf[:shift]
        self._base += shift
        self._pos = 0
        chunk = b"" if self._eof else self._stream.read(_CHUNK)
        self._buf.extend(chunk)
        self._eof = self._eof or not chunk
        self._grew = bool(chunk)
        return shift

    def peek(self) -> int | None:
        """The next non-space byte (not consumed), None at the end of the input."""
        while True:
            m = _NON_WS.search(self._buf, self._pos)
            if m:
                self._pos = m.start()
                return self._buf[self._pos]
            self._pos = len(self._buf)
            if self._eof:
                return None
            self._refill()

    def expect(self, allowed: bytes, where: str) -> int:
        """Consume one of the ``allowed`` bytes or raise JsonDamage."""
        c = self.peek()
        if c is None or c not in allowed:
            found = "the end of the input" if c is None else repr(chr(c))
            raise JsonDamage(self.offset, f"expected {allowed.decode()!r} {where}, found {found}")
        self._pos += 1
        return c

    def value(self, limit: int) -> bytes | None:
        """The next value's bytes; None when longer than ``limit`` (skipped to its end)."""
        first = self.peek()
        if first is None or first in b",:}]":
            found = "the end of the input" if first is None else repr(chr(first))
            raise JsonDamage(self.offset, f"expected a value, found {found}")
        keep, depth, scalar = limit > 0, 0, first not in b'{["'
        in_string, i = False, self._pos
        while True:
            end, buf = None, self._buf
            if scalar:
                m = _SCALAR_END.search(buf, i)
                end = m.start() if m else (len(buf) if self._eof else None)
                i = len(buf)
            elif in_string:  # a string longer than the buffer: followed chunk by chunk
                m = _STRING_STOP.search(buf, i)
                if m is None:
                    i = len(buf)
                elif buf[m.start()] == 0x22:  # '"'
                    in_string, i = False, m.end()
                    if depth:
                        continue
                    end = i
                elif m.end() < len(buf):  # a backslash and the byte it escapes
                    i = m.end() + 1
                    continue
                else:
                    i = m.start()
            else:
                m = _STRUCT.search(buf, i)
                if m is None:
                    i = len(buf)
                elif buf[m.start()] == 0x22:  # a whole string in one match when it is here
                    whole = _STRING.match(buf, m.start())
                    in_string, i = whole is None, whole.end() if whole else m.end()
                    if in_string or depth:
                        continue
                    end = i
                else:
                    i = m.end()
                    depth += 1 if buf[m.start()] in b"{[" else -1
                    if depth:
                        continue
                    end = i
            if end is not None:
                raw = bytes(buf[self._pos : end]) if keep else None
                self._pos = end
                return raw
            if keep and i - self._pos > limit:
                keep = False
            if not keep:
                self._pos = i
            i -= self._refill()
            if not self._grew:
                raise JsonDamage(self.offset, "the input ends inside a value")

    def root_keys(self) -> Iterator[str]:
        """The keys of the top-level object; the caller consumes each value."""
        self.expect(b"{", "at the start (not a JSON object)")
        if self.peek() == ord("}"):
            self._pos += 1
            return
        while True:
            self.peek()  # the value itself, not the blanks before it
            where = self.offset
            raw = self.value(1 << 20)
            key = load_value(raw or b"")
            if not isinstance(key, str):
                raise JsonDamage(where, "an object key is not a string")
            self.expect(b":", "after an object key")
            yield key
            if self.expect(b",}", "after an object member") == ord("}"):
                return

    def elements(self, limit: int) -> Iterator[tuple[int, bytes | None]]:
        """(offset, bytes or None when too long) for each element of the next array."""
        self.expect(b"[", "for the messages array")
        if self.peek() == ord("]"):
            self._pos += 1
            return
        while True:
            self.peek()  # the value itself, not the blanks before it
            where = self.offset
            yield where, self.value(limit)
            if self.expect(b",]", "after an array element") == ord("]"):
                return


def decode_value(raw: bytes) -> tuple[Any, str | None]:
    """(JSON value or None, problem or None) of one value's bytes; invalid UTF-8 is read
    with U+FFFD in place of the bad bytes and said so."""
    problem = None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text, problem = raw.decode("utf-8", "replace"), "invalid UTF-8 replaced by U+FFFD"
    try:
        return json.loads(text), problem
    except (ValueError, RecursionError):
        return None, "not valid JSON"


def load_value(raw: bytes) -> Any:
    """JSON value of one value's bytes; None if it is not valid JSON."""
    return decode_value(raw)[0]


def repair_text(value: str, mojibake: bool) -> tuple[str, str | None]:
    """(clean text, raw text when changed): mojibake undone, lone surrogates replaced."""
    text, raw = value, value
    if mojibake and not text.isascii() and max(text) <= "\xff":
        with contextlib.suppress(UnicodeDecodeError):  # not mojibake: keep as written
            text = text.encode("latin-1").decode("utf-8")
    if _SURROGATE.search(text):  # storable forms: U+FFFD in text, an escape in raw
        text = _SURROGATE.sub("\ufffd", text)
        raw = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return text, (None if text == value else raw)


def clean(value: object, mojibake: bool) -> str | None:
    """A string value repaired, or None when the value is not a string."""
    return repair_text(value, mojibake)[0] if isinstance(value, str) else None


class SiblingIndex:
    """Archive members by path, built once per archive (siblings are shared by members)."""

    def __init__(self) -> None:
        self._cache: tuple[tuple[Sibling, ...], dict[str, Sibling]] = ((), {})

    def of(self, source: Source) -> dict[str, Sibling]:
        """Members of the source's archive by path (empty for a plain file)."""
        cached = self._cache
        if cached[0] is not source.siblings:
            cached = (source.siblings, {s.member: s for s in source.siblings})
            self._cache = cached
        return cached[1]

    def resolve(self, source: Source, uri: str) -> Sibling | None:
        """The member a ``uri`` names: relative to the export root (which may sit in a folder
        of the archive) or, for ``./`` paths, to the source's own folder."""
        index = self.of(source)
        if not index or source.member is None:
            return None
        if uri.startswith("./") or uri.startswith("../"):
            candidate = posixpath.normpath(posixpath.join(posixpath.dirname(source.member), uri))
            return index.get(candidate)
        parts = source.member.split("/")
        for n in range(len(parts)):
            found = index.get("/".join([*parts[:n], uri]))
            if found is not None:
                return found
        return None


def dyi_platform(source: Source) -> str | None:
    """'facebook' or 'instagram' when the member path, archive name or head says so."""
    where = (source.member or source.path).replace("\\", "/").lower()
    if "your_instagram_activity/" in where:
        return "instagram"
    if "your_facebook_activity/" in where:
        return "facebook"
    for segment in re.split(r"[/\\!]", source.path.lower()):
        if segment.startswith(("instagram-", "instagram_")):
            return "instagram"
        if segment.startswith(("facebook-", "facebook_")):
            return "facebook"
    if _IG_THREAD.search("/" + where):
        return "instagram"
    if b'"thread_type"' in source.head or re.search(rb'"type"\s*:\s*"Generic"', source.head):
        return "facebook"
    return None


def _json_head(source: Source) -> bytes:
    return source.head.removeprefix(b"\xef\xbb\xbf").lstrip()


def looks_like_thread(source: Source) -> bool:
    """A DYI thread page (Facebook or Instagram shape) by name and head."""
    head = _json_head(source)
    if not source.name.lower().endswith(".json") or not head.startswith(b"{"):
        return False
    if b'"$schema"' in head or b'"senderName"' in head:
        return False
    if b'"messages"' in head and (b'"sender_name"' in head or b'"participants"' in head):
        return True
    where = "/" + (source.member or source.path).replace("\\", "/")
    return b'"participants"' in head and _THREAD_PATH.search(where) is not None


def thread_id_of(source: Source, thread_path: object) -> str:
    """The path below ``messages/`` (kind/thread folder), else the file's thread_path."""
    parts = (source.member or source.path).replace("\\", "/").split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "messages" and i + 1 < len(parts) - 1:
            return "/".join(parts[i + 1 : -1])
    if isinstance(thread_path, str) and thread_path:
        return thread_path
    stem = re.sub(r"_\d+$", "", parts[-1].rsplit(".", 1)[0])
    return parts[-2] if stem == "message" and len(parts) > 1 else stem


def read_header(source: Source) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """Pass 1: every top-level value except ``messages`` (small), and problems found."""
    values: dict[str, Any] = {}
    problems: list[tuple[int, str]] = []
    in_messages = False
    with source.open() as stream:
        scanner = JsonScanner(stream)
        try:
            for key in scanner.root_keys():
                in_messages = key == "messages" and "messages" not in values
                values.setdefault(key, True if in_messages else None)
                scanner.peek()
                where = scanner.offset
                raw = scanner.value(0 if in_messages else VALUE_LIMIT)
                in_messages = False
                if raw is None:
                    if key != "messages":
                        problems.append((where, f"value of {key!r} over {VALUE_LIMIT} bytes"))
                    continue
                parsed, problem = decode_value(raw)
                if problem:
                    problems.append((where, f"value of {key!r}: {problem}"))
                if values[key] is None:
                    values[key] = parsed
        except JsonDamage as damage:
            if not in_messages:  # damage inside messages is reported by the message pass
                problems.append((damage.offset, damage.what))
    return values, problems


def iter_message_values(source: Source) -> Iterator[tuple[int, int, bytes | None]]:
    """Pass 2: (index, offset, bytes) of each element of ``messages``; JsonDamage at a break
    inside it (damage before it was reported by ``read_header``)."""
    with source.open() as stream:
        scanner = JsonScanner(stream)
        try:
            for key in scanner.root_keys():
                if key == "messages":
                    break
                scanner.value(0)
            else:
                return
        except JsonDamage:
            return
        for n, (where, raw) in enumerate(scanner.elements(VALUE_LIMIT)):
            yield n, where, raw


@dataclass
class ThreadReader:
    """Turns the messages of one thread file into records."""

    source: Source
    ctx: Context
    platform: str
    thread_id: str
    title: str | None
    mojibake: bool
    siblings: SiblingIndex
    seen: set[str] = field(default_factory=set)
    unknown: dict[str, int] = field(default_factory=dict)

    def account(self, name: object, pointer: str) -> Iterator[Record]:
        """An Account for a display name the first time it is seen in this file; none for
        the placeholder of a deleted account (it would join different people)."""
        display = clean(name, self.mojibake)
        if not display or display in self.seen:
            return
        self.seen.add(display)
        where = self.source.locate(pointer=pointer)
        if display.casefold() in _NO_ONE:
            yield self.ctx.warn(where, f"{display!r} names a deleted account: no Account made")
        else:
            yield Account(locator=where, platform=self.platform, display_name=display)

    def key_of(self, name: str | None) -> str | None:
        """The Account key of a display name (None for none or a placeholder)."""
        return f"{self.platform}:{name}" if name and name.casefold() not in _NO_ONE else None

    def records(self, n: int, raw: bytes | None, offset: int) -> Iterator[Record]:
        """Records of the message at index ``n`` (warnings for damage)."""
        pointer = f"/messages/{n}"
        where = self.source.locate(pointer=pointer)
        if raw is None:
            yield self.ctx.warn(where, f"message over {VALUE_LIMIT} bytes at offset {offset}")
            return
        value, problem = decode_value(raw)
        if problem:
            yield self.ctx.warn(where, f"message at offset {offset}: {problem}")
        if not isinstance(value, dict):
            if problem != "not valid JSON":
                yield self.ctx.warn(where, "message is not a JSON object; skipped")
            return
        if self.platform == "facebook" and not self.mojibake:
            value = {_E2EE_KEYS.get(k, k): v for k, v in value.items()}
        yield from self.message(value, pointer)

    def message(self, m: dict[str, Any], pointer: str) -> Iterator[Record]:
        """The Account(s), Message and Call of one parsed message."""
        for key in m:
            if key not in _KNOWN_KEYS:
                key = repair_text(key, False)[0]
                self.unknown[key] = self.unknown.get(key, 0) + 1
        sender = clean(m.get("sender_name"), self.mojibake) or None
        yield from self.account(sender, f"{pointer}/sender_name")
        flags: list[str] = []
        raw_time = m.get("timestamp_ms")
        sent = _epoch_ms(raw_time)
        if sent is None:
            flags.append("time_unparsed")
            yield self.ctx.warn(self.source.locate(pointer=pointer), "unreadable timestamp_ms")
        content = m.get("content")
        text, raw_text = (
            repair_text(content, self.mojibake) if isinstance(content, str) else ("", None)
        )
        if raw_text is not None:
            flags.append("text_fixed")
        files: list[str] = []
        yield from self.attachments(m, pointer, files)
        notes: list[str] = []
        yield from self.reactions(m.get("reactions"), pointer, notes)
        share = self.share(m.get("share"))
        for i, user in enumerate(m.get("users") or []):
            if isinstance(user, dict):
                yield from self.account(user.get("name"), f"{pointer}/users/{i}/name")
        kind = _kind(m, files, share, text)
        yield Message(
            locator=self.source.locate(pointer=pointer),
            platform=self.platform,
            thread_id=self.thread_id,
            thread_title=self.title,
            sender_key=self.key_of(sender),
            sender_identifier=sender,
            sent_at_utc=sent,
            sent_at_raw="" if raw_time is None else json.dumps(raw_time),
            flags=tuple(flags),
            kind=kind,
            text=text,
            raw_text=raw_text,
            attachments=tuple(files + ([share] if share else []) + notes),
        )
        if kind == "call":
            yield self.call(m, pointer, sender, sent, raw_time)

    def attachments(self, m: dict[str, Any], pointer: str, out: list[str]) -> Iterator[Record]:
        """Member paths of the message's files, in the file's key order."""
        for key, items in m.items():
            if key == "sticker":
                items = [items]
            elif key not in _MEDIA_KEYS and key != "e2ee_media":
                continue
            for i, item in enumerate(items if isinstance(items, list) else [items]):
                uri = clean(item.get("uri"), self.mojibake) if isinstance(item, dict) else None
                where = self.source.locate(pointer=f"{pointer}/{key}/{i}")
                if not isinstance(uri, str) or not uri:
                    yield self.ctx.warn(where, f"{key} entry without a uri")
                elif key == "e2ee_media" and uri.startswith("Failed to download"):
                    yield self.ctx.warn(where, f"media not in the export: {uri!r}")
                else:
                    found = self.siblings.resolve(self.source, uri)
                    out.append(found.member if found else uri)
                    if found is None and self.source.siblings and "://" not in uri:
                        yield self.ctx.warn(where, f"attachment {uri!r} is not in the archive")

    def reactions(self, items: object, pointer: str, out: list[str]) -> Iterator[Record]:
        """``reaction:{…}`` annotations (actor, reaction, UTC time when given)."""
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            actor = clean(item.get("actor"), self.mojibake)
            yield from self.account(actor, f"{pointer}/reactions/{i}/actor")
            note = {"actor": actor or "", "reaction": clean(item.get("reaction"), self.mojibake)}
            stamp = item.get("timestamp")
            if stamp is not None:
                note["at"] = _epoch_s(stamp) or json.dumps(stamp)
            out.append("reaction:" + json.dumps(note, ensure_ascii=False, separators=(",", ":")))

    def share(self, share: object) -> str | None:
        """``share:{…}`` annotation of a shared link (its text strings, repaired)."""
        if not isinstance(share, dict):
            return None
        note = {
            repair_text(k, False)[0]: clean(v, self.mojibake)
            for k, v in share.items()
            if isinstance(v, str)
        }
        return "share:" + json.dumps(note, ensure_ascii=False, separators=(",", ":"))

    def call(
        self, m: dict[str, Any], pointer: str, sender: str | None, sent: str | None, raw: object
    ) -> Call:
        """The Call record beside a call message (duration as the file gives it)."""
        duration = m.get("call_duration")
        return Call(
            locator=self.source.locate(pointer=pointer),
            platform=self.platform,
            thread_id=self.thread_id,
            party_key=self.key_of(sender),
            started_at_utc=sent,
            started_at_raw="" if raw is None else json.dumps(raw),
            flags=() if sent else ("time_unparsed",),
            duration_s=duration if isinstance(duration, int) and duration >= 0 else None,
            direction="missed" if m.get("missed") is True else "unknown",
        )


def _kind(m: dict[str, Any], files: list[str], share: str | None, text: str) -> str:
    if m.get("is_unsent") is True or m.get("is_unsent_image_by_messenger_kid_parent") is True:
        return "deleted"
    if "call_duration" in m or m.get("type") == "Call":
        return "call"
    if files or any(m.get(k) for k in (*_MEDIA_KEYS, "sticker", "e2ee_media")):
        return "media"
    if m.get("type") in ("Subscribe", "Unsubscribe"):
        return "system"
    return "media" if share and not text else "text"


def _epoch_ms(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return epoch_ms_to_utc(int(value)) if value == int(value) else None
    except (OverflowError, ValueError):
        return None


def _epoch_s(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        return epoch_s_to_utc(value)
    except (OverflowError, ValueError):
        return None


def extract_thread(
    source: Source, ctx: Context, platform: str, siblings: SiblingIndex, e2ee: bool = False
) -> Iterator[Record]:
    """Records of one thread file (DYI page, or an E2EE export when ``e2ee``)."""
    header, problems = read_header(source)
    for offset, what in problems:
        yield ctx.warn(source.locate(offset=offset), what)
    mojibake = not e2ee
    title = clean(header.get("threadName" if e2ee else "title"), mojibake)
    if e2ee:
        stem = (source.member or source.path).replace("\\", "/").rsplit("/", 1)[-1]
        thread_id = "e2ee/" + re.sub(r"_\d+$", "", stem.rsplit(".", 1)[0])
    else:
        thread_id = thread_id_of(source, clean(header.get("thread_path"), True))
    reader = ThreadReader(source, ctx, platform, thread_id, title, mojibake, siblings)
    people = header.get("participants")
    for i, person in enumerate(people if isinstance(people, list) else []):
        name = person.get("name") if isinstance(person, dict) else person
        yield from reader.account(name, f"/participants/{i}" + ("" if e2ee else "/name"))
    if "messages" not in header and not problems:
        yield ctx.warn(source.locate(pointer="/messages"), "no messages array in the file")
    count = 0
    try:
        for n, offset, raw in iter_message_values(source):
            if n % 1000 == 0:
                ctx.check_cancelled()
            yield from reader.records(n, raw, offset)
            count = n + 1
    except JsonDamage as damage:
        where = source.locate(offset=damage.offset)
        yield ctx.warn(where, f"{damage.what} after {count} messages; the rest is unreadable")
    if reader.unknown:
        names = ", ".join(f"{k} ({v})" for k, v in sorted(reader.unknown.items()))
        yield ctx.warn(source.locate(pointer="/messages"), f"message keys not recorded: {names}")


def _profile(source: Source, ctx: Context, siblings: SiblingIndex) -> Iterator[Record]:
    """The owner's Account from profile_information.json, with the profile picture."""
    header, problems = read_header(source)
    for offset, what in problems:
        yield ctx.warn(source.locate(offset=offset), what)
    key = "profile_v2" if "profile_v2" in header else "profile"
    profile = header.get(key)
    where = source.locate(pointer=f"/{key}")
    if not isinstance(profile, dict):
        yield ctx.warn(where, "no profile object in the file")
        return
    name = profile.get("name")
    full = clean(name.get("full_name") if isinstance(name, dict) else name, True)
    emails = profile.get("emails")
    listed = emails.get("emails") if isinstance(emails, dict) else None
    addresses = [e for e in listed if isinstance(e, str)] if isinstance(listed, list) else []
    if len(addresses) > 1:
        yield ctx.warn(where, f"{len(addresses)} emails; only the first is on the Account")
    pictures = [
        s for s in source.siblings if _IMAGE.search(s.member) and _is_profile_picture(s.member)
    ]
    if len(pictures) > 1:
        yield ctx.warn(where, f"{len(pictures)} profile pictures in the archive; none chosen")
    url = profile.get("profile_uri")
    yield Account(
        locator=where,
        platform="facebook",
        handle=clean(profile.get("username"), True),
        display_name=full,
        email=email_key(addresses[0]) if addresses else None,
        avatar_ref=pictures[0].sha256 if len(pictures) == 1 else None,
        profile_url=url if isinstance(url, str) and url else None,
        is_owner=True,
    )


def _is_e2ee(head: bytes) -> bool:
    """The camelCase shape of an end-to-end-encrypted Messenger export."""
    return (b'"senderName"' in head and b'"messages"' in head) or (
        b'"threadName"' in head and b'"participants"' in head
    )


def _is_profile_picture(member: str) -> bool:
    flat = member.lower().replace("_", "").replace(" ", "")
    return "profilepicture" in flat or "profilephoto" in flat


class FacebookJsonExtractor:
    """Facebook / Messenger DYI thread pages, E2EE Messenger exports and the owner profile."""

    name: ClassVar[str] = "facebook_json"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "Facebook/Messenger 'Download your information' JSON: message_N.json thread pages "
        "(mojibake repaired), end-to-end-encrypted Messenger exports, owner profile"
    )

    def __init__(self) -> None:
        self._siblings = SiblingIndex()

    def sniff(self, source: Source) -> bool:
        """A thread page not marked as Instagram's, an E2EE export, or the owner profile."""
        head = _json_head(source)
        if not head.startswith(b"{") or not source.name.lower().endswith(".json"):
            return False
        if _is_e2ee(head):
            return True
        if source.name.lower() == "profile_information.json":
            return b'"profile_v2"' in head or b'"profile"' in head
        return looks_like_thread(source) and dyi_platform(source) != "instagram"

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Records in file order; see the module docstring for the representation."""
        head = _json_head(source)
        if source.name.lower() == "profile_information.json":
            yield from _profile(source, ctx, self._siblings)
            return
        e2ee = _is_e2ee(head)
        if not e2ee and dyi_platform(source) is None:
            yield ctx.warn(
                source.locate(offset=0),
                "neither path nor content says Facebook or Instagram; read as Facebook",
            )
        yield from extract_thread(source, ctx, "facebook", self._siblings, e2ee=e2ee)


register(FacebookJsonExtractor())

"""Snapchat "My Data" ``json/chat_history.json`` (FORMATS.md §9), streamed.

Two shapes, told apart by their member names:

* ≤ ~2021: ``{"Received Saved Chat History": [{From, Media Type, Created, Text}],
  "Sent Saved Chat History": [{To, …}]}`` — only *saved* chats. A received chat's sender is
  ``From``; a sent chat names only ``To``: the sender is the export's owner, whom the file
  does not name (``sender_identifier`` None, ``direction`` "outgoing", ``recipients`` To).
* 2022+: ``{"<conversation id or other username>": [{From, Media Type, Created, Content,
  Conversation Title, IsSender, Created(microseconds), IsSaved, Media IDs}]}``; the key is
  the thread, ``Conversation Title`` (groups) its title, ``IsSender`` the direction and the
  owner's own username (``is_owner``).

Times: ``Created`` (``2024-04-20 01:29:22 UTC``; also epoch and ``Wed Aug 19 12:00:00 UTC
2021``) is whole seconds; the precise field ``Created(microseconds)`` / ``created_ms`` is
preferred — it holds **milliseconds** despite its name, so its unit is taken from its size
(≥ 15 digits µs, ≥ 12 ms, else s) and it must agree with ``Created`` to the second, else a
warning says so (the precise value is still used). Both are UTC: tz None.

``Media Type``: TEXT, SHARE → text; MEDIA, STICKER, NOTE (voice note) → media; LOCATION →
location; STATUSERASEDMESSAGE → deleted; other STATUS… → system (text: the status name when
the file has no content). An unknown type is kept as text and warned once. ``Media IDs``
(``b~…`` joined by `` | ``) become attachments: the ``chat_media/<date>_<id>.<ext>`` sibling
when present, else the id as written. Identity is the Snapchat username only (``handle``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from extractors._export_json import (
    ElementDamage,
    JsonDamage,
    JsonScanner,
    as_found,
    clean_text,
    invalid_note,
    pointer,
    string,
)
from extractors.base import Context, Source
from extractors.records import Account, Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import epoch_ms_to_utc, format_utc

PLATFORM = "snapchat"
RECEIVED = "Received Saved Chat History"
SENT = "Sent Saved Chat History"
PRECISE_KEYS = ("Created(microseconds)", "created_ms", "Created(milliseconds)")
_BOM = b"\xef\xbb\xbf"
_KINDS = {
    "TEXT": "text",
    "SHARE": "text",
    "MEDIA": "media",
    "STICKER": "media",
    "NOTE": "media",
    "LOCATION": "location",
    "STATUSERASEDMESSAGE": "deleted",
}
_CREATED = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))? UTC$")
_CREATED_ASCTIME = re.compile(
    r"^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}:\d{2}:\d{2}) UTC (\d{4})$"
)
_DIRECTION = {True: "outgoing", False: "incoming"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _epoch(value: str) -> str | None:
    """An epoch number to UTC, its unit taken from its size (s, ms or µs)."""
    if not re.fullmatch(r"\d{1,19}", value):
        return None
    number = int(value)
    if len(value) >= 15:
        number //= 1000
    elif len(value) < 12:
        number *= 1000
    try:
        return epoch_ms_to_utc(number)
    except (OverflowError, ValueError):
        return None


def _created(raw: str) -> str | None:
    """UTC of a ``Created`` text (``… UTC``, asctime-like or epoch), or None."""
    raw = raw.strip()
    if match := _CREATED.match(raw):
        try:
            moment = datetime.fromisoformat(f"{match[1]}T{match[2]}.{match[3] or 0}+00:00")
        except ValueError:
            return None
        return format_utc(moment)
    if (match := _CREATED_ASCTIME.match(raw)) and match[1] in _MONTHS:
        hh, mi, ss = (int(part) for part in match[3].split(":"))
        try:
            month = _MONTHS.index(match[1]) + 1
            moment = datetime(int(match[4]), month, int(match[2]), hh, mi, ss, tzinfo=UTC)
        except ValueError:
            return None
        return format_utc(moment)
    return _epoch(raw)


def _when(chat: Mapping[str, Any]) -> tuple[str | None, str, str | None]:
    """UTC (the precise field preferred), the raw text, and a note when something is off."""
    created = string(chat, "Created") or ""
    coarse = _created(created) if created else None
    key = next((k for k in PRECISE_KEYS if string(chat, k)), None)
    if key is None:
        return coarse, created, None if coarse else f"unreadable Created {created!r}"
    value = string(chat, key) or ""
    precise = _epoch(value)
    raw = f"{created}; {key}={value}" if created else f"{key}={value}"
    if precise is None:
        return coarse, raw, f"unreadable {key} {value!r}" + ("" if coarse else " and Created")
    if coarse and precise[:19] != coarse[:19]:
        return precise, raw, f"{key} ({precise}) disagrees with Created ({created}); {key} kept"
    return precise, raw, None


@dataclass
class _Run:
    source: Source
    ctx: Context
    media: dict[str, str]
    seen: set[str] = field(default_factory=set)
    unknown_types: set[str] = field(default_factory=set)

    def account(self, locator: Locator, username: str, owner: bool) -> Iterator[Record]:
        key = f"{PLATFORM}:{username}"
        if key not in self.seen:
            self.seen.add(key)
            yield Account(locator=locator, platform=PLATFORM, handle=username, is_owner=owner)

    def chat(
        self, chat: Mapping[str, Any], locator: Locator, thread: str, sent_list: bool | None
    ) -> Iterator[Record]:
        """Accounts first seen here, warnings, then the Message; ``sent_list``: 2020 list."""
        sender = None if sent_list else string(chat, "From")
        is_sender = chat.get("IsSender") if sent_list is None else sent_list
        if sender:
            yield from self.account(locator, sender, owner=chat.get("IsSender") is True)
        to = string(chat, "To")
        if to:
            yield from self.account(locator, to, owner=False)
        utc, raw, note = _when(chat)
        if note:
            yield self.ctx.warn(locator, note)
        media_type = string(chat, "Media Type") or ""
        kind = _KINDS.get(media_type.upper())
        if kind is None:
            kind = "system" if media_type.upper().startswith("STATUS") else "text"
            if kind == "text" and media_type not in self.unknown_types:
                self.unknown_types.add(media_type)
                yield self.ctx.warn(locator, f"unknown Media Type {media_type!r}; kept as text")
        value = chat.get("Content", chat.get("Text"))
        found = value if isinstance(value, str) else ""
        text = clean_text(found)[0]
        fixed = text != found
        if kind == "system" and not text:
            text = media_type
        attachments = self.attachments(string(chat, "Media IDs") or "")
        yield Message(
            locator=locator,
            platform=PLATFORM,
            thread_id=thread,
            thread_title=string(chat, "Conversation Title"),
            sender_key=f"{PLATFORM}:{sender}" if sender else None,
            sender_identifier=sender,
            recipients=(to,) if to else (),
            sent_at_utc=utc,
            sent_at_raw=raw,
            flags=("time_unparsed",) * (utc is None) + ("text_fixed",) * fixed,
            kind=kind,
            text=text,
            raw_text=as_found(found) if fixed else None,
            attachments=attachments,
            direction=_DIRECTION.get(is_sender) if isinstance(is_sender, bool) else None,
        )

    def attachments(self, ids: str) -> tuple[str, ...]:
        found = [i.strip() for i in ids.split("|") if i.strip()]
        return tuple(self.media.get(i, i) for i in found)


def _media_index(source: Source) -> dict[str, str]:
    """Media id → ``chat_media/<date>_<id>.<ext>`` member, for siblings of this export."""
    out: dict[str, str] = {}
    for sibling in source.siblings:
        folder, name = posixpath.split(sibling.member)
        if posixpath.basename(folder).casefold() == "chat_media" and "_" in name:
            media_id = name.split("_", 1)[1].rsplit(".", 1)[0]
            out.setdefault(media_id, sibling.member)
    return out


class SnapchatJsonExtractor:
    """Snapchat My Data chat_history.json (2020 saved-chat lists and 2022+ conversations)."""

    name: ClassVar[str] = "snapchat_json"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "Snapchat My Data json/chat_history.json"

    def sniff(self, source: Source) -> bool:
        head = source.head.removeprefix(_BOM).lstrip()
        if not head.startswith(b"{"):
            return False
        name = (source.member or source.name).replace("\\", "/").rsplit("/", 1)[-1]
        if name.casefold() == "chat_history.json":
            return True
        return b"Saved Chat History" in head or (
            b'"Media Type"' in head and b'"Created"' in head and b'"IsSender"' in head
        )

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        run = _Run(source, ctx, _media_index(source))
        with source.open() as stream:
            scanner = JsonScanner(stream)
            try:
                for key in scanner.iter_object():
                    if scanner.peek() != "[":
                        yield ctx.warn(source.locate(pointer=pointer(key)), "not a list of chats")
                        scanner.skip_value()
                        continue
                    yield from _chats(run, scanner, key)
            except JsonDamage as exc:
                yield ctx.warn(source.locate(offset=0), f"damaged JSON: {exc}")
            if scanner.invalid_bytes:
                yield ctx.warn(source.locate(offset=0), invalid_note(scanner.invalid_bytes))


def _chats(run: _Run, scanner: JsonScanner, key: str) -> Iterator[Record]:
    old_shape = key in (RECEIVED, SENT)
    for index in scanner.iter_array():
        run.ctx.check_cancelled()
        locator = run.source.locate(pointer=pointer(key, index))
        try:
            chat = scanner.read_value()
        except ElementDamage as exc:
            yield run.ctx.warn(locator, str(exc))
            continue
        if not isinstance(chat, dict):
            yield run.ctx.warn(locator, "not a chat object")
            continue
        if old_shape:
            other = string(chat, "To" if key == SENT else "From") or ""
            yield from run.chat(chat, locator, other, sent_list=key == SENT)
        else:
            yield from run.chat(chat, locator, key, sent_list=None)


register(SnapchatJsonExtractor())

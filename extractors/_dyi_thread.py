"""Records of one "Download your information" thread file (Facebook, Instagram, E2EE).

Shared by ``facebook_json`` and ``instagram_json``; the representation is described in the
``facebook_json`` docstring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from extractors._dyi_archive import SiblingIndex, thread_id_of
from extractors._dyi_json import (
    VALUE_LIMIT,
    Decoded,
    JsonDamage,
    decode_value,
    iter_message_values,
    read_header,
)
from extractors._dyi_mojibake import clean, repair_text
from extractors.base import Context, Source
from extractors.records import Account, Call, Message, Record
from extractors.timeutil import epoch_ms_to_utc, epoch_s_to_utc

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

    def records(self, n: int, raw: Decoded | bytes | None, offset: int) -> Iterator[Record]:
        """Records of the message at index ``n`` (warnings for damage)."""
        pointer = f"/messages/{n}"
        if isinstance(raw, Decoded):
            value, problem = raw.value, None
        elif raw is None:
            where = self.source.locate(pointer=pointer)
            yield self.ctx.warn(where, f"message over {VALUE_LIMIT} bytes at offset {offset}")
            return
        else:
            value, problem = decode_value(raw)
        if problem:
            where = self.source.locate(pointer=pointer)
            yield self.ctx.warn(where, f"message at offset {offset}: {problem}")
        if not isinstance(value, dict):
            if problem != "not valid JSON":
                where = self.source.locate(pointer=pointer)
                yield self.ctx.warn(where, "message is not a JSON object; skipped")
            return
        if self.platform == "facebook" and not self.mojibake:
            value = {_E2EE_KEYS.get(k, k): v for k, v in value.items()}
        yield from self.message(value, pointer)

    def message(self, m: dict[str, Any], pointer: str) -> Iterator[Record]:
        """The Account(s), Message and Call of one parsed message."""
        for key in m:
            if key not in _KNOWN_KEYS:
                self.not_recorded(key)
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
        reactions: list[str] = []
        yield from self.reactions(m.get("reactions"), pointer, reactions)
        share = self.share(m.get("share"))
        for i, user in enumerate(m.get("users") or []):
            if isinstance(user, dict):
                yield from self.account(user.get("name"), f"{pointer}/users/{i}/name")
        kind = _kind(m, files, isinstance(m.get("share"), dict), text)
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
            attachments=tuple(files),
            reactions=tuple(reactions),
            shares=(share,) if share else (),
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

    def not_recorded(self, key: str) -> None:
        """Count a key the records cannot hold, for the one warning per file."""
        key = repair_text(key, False)[0]
        self.unknown[key] = self.unknown.get(key, 0) + 1

    def reactions(self, items: object, pointer: str, out: list[str]) -> Iterator[Record]:
        """Reactions as canonical JSON: actor as written, reaction, UTC time when given."""
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            actor = clean(item.get("actor"), self.mojibake)
            yield from self.account(actor, f"{pointer}/reactions/{i}/actor")
            reaction = clean(item.get("reaction"), self.mojibake)
            entry = {"actor": actor or "", "reaction": reaction or ""}
            stamp = item.get("timestamp")
            if (at := _epoch_s(stamp)) is not None:
                entry["at"] = at
            elif stamp is not None:  # "at" holds UTC only: the raw value goes to a warning
                where = self.source.locate(pointer=f"{pointer}/reactions/{i}/timestamp")
                shown = json.dumps(stamp)[:60]
                yield self.ctx.warn(where, f"reaction time {shown} unreadable; not recorded")
            out.append(_canonical(entry))

    def share(self, share: object) -> str | None:
        """A shared link as canonical JSON: link, and share text when given (repaired)."""
        if not isinstance(share, dict):
            return None
        for key in share:
            if key not in ("link", "share_text"):
                self.not_recorded(f"share/{key}")  # e.g. Instagram's original_content_owner
        link = clean(share.get("link"), self.mojibake)
        text = clean(share.get("share_text"), self.mojibake)
        if not link and not text:
            return None
        return _canonical({"link": link or ""} | ({"share_text": text} if text else {}))

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


def _canonical(entry: dict[str, str]) -> str:
    """Canonical JSON text (sorted keys, no blanks, UTF-8), as Message.reactions/shares hold."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _kind(m: dict[str, Any], files: list[str], has_share: bool, text: str) -> str:
    if m.get("is_unsent") is True or m.get("is_unsent_image_by_messenger_kid_parent") is True:
        return "deleted"
    if "call_duration" in m or m.get("type") == "Call":
        return "call"
    if files or any(m.get(k) for k in (*_MEDIA_KEYS, "sticker", "e2ee_media")):
        return "media"
    if m.get("type") in ("Subscribe", "Unsubscribe"):
        return "system"
    return "media" if has_share and not text else "text"


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

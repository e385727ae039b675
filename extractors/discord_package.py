"""Discord data package ("Request all of my Data", FORMATS.md §6), member by member.

Layouts: ``messages/<channel_id>/`` (before June 2021), ``messages/c<channel_id>/`` and,
mid-2025, Title-case ``Messages/c<channel_id>/``, ``Account/``; paths are matched
case-insensitively with an optional ``c``. Members handled:

* ``messages.csv`` (``ID,Timestamp,Contents,Attachments``, RFC 4180 quoting with embedded
  newlines; read with a line-length cap) and ``messages.json`` (``[{"ID": <bare number>,
  "Timestamp", "Contents", "Attachments"}]``, streamed). IDs are snowflakes above 2**53: kept
  as the digits written, never through a float (a non-integer number is kept as written and
  warned). Timestamps with an offset (csv) are exact; without one (json) they are taken as
  UTC — Discord writes UTC but does not say so — recorded with ``tz`` "UTC", ``tz_assumed``
  and flag ``tz_assumed``. ``Attachments``: space-separated CDN URLs (signed ones expire);
  ``attachments`` lists their file names, the message is ``media``, ``Contents`` the caption.
* ``channel.json``: the recipients (user ids) as Accounts.
* ``account/user.json``: the owner Account (``is_owner``; id, username — ``name#1234`` for a
  legacy discriminator — ``global_name``, email, phone, ``account/avatar.*`` sibling as
  ``avatar_ref``) and one Account per relationship (friends, blocked users).

**One-sided export.** The package holds only the messages the *requesting* account sent.
Every message therefore has ``direction`` "outgoing" and its ``thread_title`` ends with
``ONE_SIDED_NOTE``, so no list of these messages can be mistaken for a whole conversation.
The sender is the owner: when the pipeline lets a member read its siblings
(``open_sibling``), ``account/user.json`` names them (``sender_key`` discord:<id>,
``sender_identifier`` the username) and ``channel.json`` / ``messages/index.json`` give the
recipients and the channel's name; without it ``sender_key``/``sender_identifier`` stay None
(the messages file itself names nobody) and the title is ``channel <id>``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, BinaryIO, ClassVar

from extractors._export_json import (
    ElementDamage,
    JsonDamage,
    JsonScanner,
    as_found,
    clean,
    clean_text,
    count_invalid,
    invalid_note,
    pointer,
    read_sibling_json,
    sibling_named,
    sibling_path,
    small_object,
    string,
    url_file_name,
)
from extractors.base import Context, Sibling, Source
from extractors.identifiers import email_key, phone_e164
from extractors.records import Account, Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import format_utc, local_to_utc

PLATFORM = "discord"
ONE_SIDED_NOTE = " [Discord package: only the requesting account's own messages]"
MAX_LINE_BYTES = 1 << 20  # a csv line longer than this is skipped (a message is ≤ 4000 chars)
_BOM = b"\xef\xbb\xbf"
_MESSAGES = re.compile(r"(?:^|/)messages/c?(\d+)/messages\.(csv|json)$", re.IGNORECASE)
_CHANNEL = re.compile(r"(?:^|/)messages/c?(\d+)/channel\.json$", re.IGNORECASE)
_USER = re.compile(r"(?:^|/)account/user\.json$", re.IGNORECASE)
_CSV_HEADER = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*id,timestamp,contents,attachments\s*$", re.I)
_INTEGER = re.compile(r"^-?\d+$")
_AVATAR = re.compile(r"(?:^|/)account/avatar\.(?:png|jpe?g|gif|webp)$", re.IGNORECASE)


def _where(source: Source) -> str:
    return (source.member or source.path).replace("\\", "/")


def _root(where: str, match: re.Match[str]) -> str:
    """The package root (prefix before ``messages/`` or ``account/``), ending in '/' or ''."""
    return where[: match.start() + (1 if where[match.start() : match.start() + 1] == "/" else 0)]


@dataclass
class _Package:
    """What the siblings say: the owner, friends, the channel, its name."""

    owner: Account | None = None
    owner_name: str | None = None
    friends: dict[str, Account] = field(default_factory=dict)
    recipients: tuple[str, ...] = ()  # as written in channel.json, the owner left out
    recipient_accounts: list[Account] = field(default_factory=list)
    title: str | None = None
    notes: list[str] = field(default_factory=list)


def _sibling_locator(source: Source, sibling: Sibling, where: str) -> Locator:
    return Locator(sibling.sha256, sibling_path(source, sibling), pointer=where)


def _user_accounts(
    info: Mapping[str, Any], locate: Callable[[str], Locator], avatar: str | None
) -> tuple[Account | None, list[Account]]:
    """The owner and the relationship Accounts of a ``user.json``."""
    owner = None
    if string(info, "id"):
        phone = string(info, "phone")
        owner = Account(
            locator=locate(""),
            platform=PLATFORM,
            platform_id=string(info, "id"),
            handle=_handle(info),
            display_name=string(info, "global_name"),
            phone_raw=phone,
            phone_e164=phone_e164(phone) if phone else None,
            email=email_key(string(info, "email")),
            avatar_ref=avatar,
            is_owner=True,
        )
    friends = []
    relationships = info.get("relationships")
    for index, item in enumerate(relationships if isinstance(relationships, list) else []):
        user = item.get("user") if isinstance(item, dict) else None
        if isinstance(user, dict) and string(user, "id"):
            friends.append(
                Account(
                    locator=locate(pointer("relationships", index, "user")),
                    platform=PLATFORM,
                    platform_id=string(user, "id"),
                    handle=_handle(user),
                    display_name=string(user, "global_name") or string(item, "nickname"),
                )
            )
    return owner, friends


def _handle(info: Mapping[str, Any]) -> str | None:
    name = string(info, "username")
    tag = string(info, "discriminator")
    if name and tag and tag.strip("0"):
        return f"{name}#{tag}"
    return name


def _avatar(source: Source, root: str) -> str | None:
    for sibling in source.siblings:
        if sibling.member.casefold().startswith(root.casefold()) and _AVATAR.search(
            sibling.member[len(root) :]
        ):
            return sibling.sha256
    return None


def _read_package(source: Source, root: str, channel_dir: str, channel_id: str) -> _Package:
    """The owner, channel and title from sibling members, as far as they can be read."""
    package = _Package()
    user = sibling_named(source, root + "account/user.json")
    if user is not None:
        _read_owner(source, user, _avatar(source, root), package)
    channel = sibling_named(source, channel_dir + "channel.json") if channel_dir else None
    if channel is not None:
        _read_channel(source, channel, package)
    names = sibling_named(source, root + "messages/index.json") if channel_id else None
    if names is not None:
        value, note = read_sibling_json(source, names)
        package.notes += [note] if note else []
        if isinstance(value, dict) and isinstance(value.get(channel_id), str):
            package.title = clean(value[channel_id])
    return package


def _read_owner(source: Source, user: Sibling, avatar: str | None, package: _Package) -> None:
    info, note = read_sibling_json(source, user)
    package.notes += [note] if note else []
    if isinstance(info, dict):
        owner, friends = _user_accounts(info, partial(_sibling_locator, source, user), avatar)
        package.owner = owner
        package.owner_name = _handle(info) or (owner.platform_id if owner else None)
        package.friends = {f.platform_id or "": f for f in friends}


def _read_channel(source: Source, channel: Sibling, package: _Package) -> None:
    info, note = read_sibling_json(source, channel)
    package.notes += [note] if note else []
    if not isinstance(info, dict):
        return
    listed = info.get("recipients")
    owner_id = package.owner.platform_id if package.owner else None
    recipients = []
    for index, found in enumerate(listed if isinstance(listed, list) else []):
        user_id = clean(found) if isinstance(found, str) else None
        if user_id is None or user_id == owner_id:
            continue
        recipients.append(user_id)
        if user_id in package.friends:
            package.recipient_accounts.append(package.friends[user_id])
        elif _INTEGER.match(user_id):
            where = _sibling_locator(source, channel, pointer("recipients", index))
            package.recipient_accounts.append(
                Account(locator=where, platform=PLATFORM, platform_id=user_id)
            )
    package.recipients = tuple(recipients)
    package.title = _channel_title(info)


def _channel_title(info: Mapping[str, Any]) -> str | None:
    name = string(info, "name")
    guild = info.get("guild")
    guild_name = string(guild, "name") if isinstance(guild, dict) else None
    if name and guild_name:
        return f"{name} in {guild_name}"
    return name or guild_name


def _utc(raw: str) -> tuple[str | None, str | None, bool, tuple[str, ...]]:
    """UTC, zone used, assumed, flags: exact with an offset, taken as UTC without one."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None, None, False, ("time_unparsed",)
    if moment.tzinfo is not None:
        return format_utc(moment), None, False, ()
    resolved = local_to_utc(moment, "UTC")
    return resolved.utc, "UTC", True, resolved.flags


def _attachment_names(raw: str) -> tuple[str, ...]:
    names = []
    for url in raw.split():
        name = url_file_name(url)
        names.append(name or url)
    return tuple(names)


@dataclass
class _Run:
    source: Source
    ctx: Context
    channel_id: str
    package: _Package
    accounts_given: bool = False

    def accounts(self) -> Iterator[Record]:
        """The owner and the recipients, once, before the first message."""
        if self.accounts_given:
            return
        self.accounts_given = True
        if self.package.owner is not None:
            yield self.package.owner
        yield from self.package.recipient_accounts

    def message(
        self, row: Mapping[str, Any], locator: Locator, *, truncated: bool = False
    ) -> Iterator[Record]:
        yield from self.accounts()
        message_id = _text_field(row, "id")
        if message_id and not _INTEGER.match(message_id):
            yield self.ctx.warn(locator, f"message ID {message_id!r} is not an integer; kept")
        raw_time = _text_field(row, "timestamp") or ""
        utc, tz, assumed, flags = _utc(raw_time)
        if utc is None:
            yield self.ctx.warn(locator, f"unreadable Timestamp {raw_time!r}")
        found = _text_field(row, "contents", cleaned=False) or ""
        text, invalid = clean_text(found)
        attachments = _attachment_names(_text_field(row, "attachments") or "")
        owner = self.package.owner
        title = self.package.title or f"channel {self.channel_id}"
        yield Message(
            locator=locator,
            platform=PLATFORM,
            thread_id=self.channel_id,
            thread_title=title + ONE_SIDED_NOTE,
            sender_key=owner.key if owner else None,
            sender_identifier=self.package.owner_name if owner else None,
            recipients=self.package.recipients,
            sent_at_utc=utc,
            sent_at_raw=raw_time,
            tz=tz,
            tz_assumed=assumed,
            flags=flags + ("text_fixed",) * (invalid is not None) + ("truncated",) * truncated,
            kind="media" if attachments else "text",
            text=text,
            raw_text=as_found(found) if invalid is not None else None,
            attachments=attachments,
            message_id=message_id,
            direction="outgoing",
        )


def _text_field(row: Mapping[str, Any], name: str, *, cleaned: bool = True) -> str | None:
    for key, value in row.items():
        if isinstance(key, str) and key.casefold() == name and isinstance(value, str):
            return clean(value) if cleaned else value
    return None


class _CsvLines:
    """Decoded lines for the csv reader (endings kept), with what was noticed on the way.

    A line over ``MAX_LINE_BYTES`` is replaced by a blank one and noted; quote characters
    are counted so that a record cut inside a quoted field is recognised at the end.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.notes: list[tuple[int, str]] = []
        self.quotes = 0  # quote characters since the last record boundary
        self.ended_cleanly = True  # the last line read ended with a line break
        self.invalid_bytes = 0

    def __iter__(self) -> Iterator[str]:
        number = 0
        while line := self.stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            if number == 1:
                line = line.removeprefix(_BOM)
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                skipped = len(line)
                while line and not line.endswith(b"\n"):
                    line = self.stream.readline(MAX_LINE_BYTES + 1)
                    skipped += len(line)
                self.notes.append(
                    (number, f"line of {skipped} bytes (over {MAX_LINE_BYTES}) skipped")
                )
                yield "\n"
                continue
            self.ended_cleanly = line.endswith(b"\n")
            self.quotes += line.count(b'"')
            text = line.decode("utf-8", errors="surrogateescape")
            self.invalid_bytes += count_invalid(text)
            yield text


class DiscordPackageExtractor:
    """Discord data package members: messages.csv/json, channel.json, account/user.json."""

    name: ClassVar[str] = "discord_package"
    version: ClassVar[str] = "1.1"
    description: ClassVar[str] = "Discord data package: messages (csv/json), channels, user"

    def sniff(self, source: Source) -> bool:
        where = _where(source)
        head = source.head.removeprefix(_BOM).lstrip()
        match = _MESSAGES.search(where)
        if match:
            if match[2].lower() == "csv":
                return bool(_CSV_HEADER.match(source.head.split(b"\n", 1)[0]))
            return head.startswith(b"[")
        if _CHANNEL.search(where) or _USER.search(where):
            return head.startswith(b"{")
        return False

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        where = _where(source)
        match = _MESSAGES.search(where)
        if match:
            yield from self._messages(source, ctx, where, match)
        elif (channel := _CHANNEL.search(where)) is not None:
            yield from _channel(source, ctx, where, channel)
        elif (user := _USER.search(where)) is not None:
            yield from _user(source, ctx, _root(where, user))
        else:
            yield ctx.warn(source.locate(offset=0), "not a Discord package member")

    def _messages(
        self, source: Source, ctx: Context, where: str, match: re.Match[str]
    ) -> Iterator[Record]:
        channel_dir = where[: where.rfind("/") + 1]
        package = _read_package(source, _root(where, match), channel_dir, match[1])
        for note in package.notes:
            yield ctx.warn(source.locate(offset=0), note)
        run = _Run(source, ctx, match[1], package)
        if match[2].lower() == "csv":
            yield from _csv_messages(run)
        else:
            yield from _json_messages(run)


def _csv_messages(run: _Run) -> Iterator[Record]:
    """Rows in order; the last is flagged ``truncated`` if the file ends inside it."""
    with run.source.open() as stream:
        lines = _CsvLines(stream)
        reader = csv.reader(lines)
        header: list[str] | None = None
        pending: tuple[dict[str, str], Locator] | None = None
        start = 1
        while True:
            run.ctx.check_cancelled()
            try:
                row: list[str] | None = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row = None
                lines.notes.append((start, f"unreadable csv record: {exc}"))
            for line, note in lines.notes:
                yield run.ctx.warn(run.source.locate(line=line), note)
            lines.notes.clear()
            line, start = start, reader.line_num + 1
            if lines.quotes % 2 == 0:
                lines.quotes = 0
            if not row:
                continue
            if header is None:
                header = [c.strip().casefold() for c in row]
                if "id" not in header or "timestamp" not in header:
                    yield run.ctx.warn(run.source.locate(line=line), f"unknown csv header {row}")
                    return
                continue
            if pending is not None:
                yield from run.message(*pending)
            pending = dict(zip(header, row, strict=False)), run.source.locate(line=line)
            if len(row) != len(header):
                yield run.ctx.warn(pending[1], f"{len(row)} fields, header has {len(header)}")
    for line, note in lines.notes:
        yield run.ctx.warn(run.source.locate(line=line), note)
    if pending is not None:
        cut = lines.quotes % 2 == 1 or not lines.ended_cleanly
        if cut:
            yield run.ctx.warn(pending[1], "the file ends inside this record: it may be cut short")
        yield from run.message(*pending, truncated=cut)
    if lines.invalid_bytes:
        yield run.ctx.warn(run.source.locate(offset=0), invalid_note(lines.invalid_bytes))


def _json_messages(run: _Run) -> Iterator[Record]:
    with run.source.open() as stream:
        scanner = JsonScanner(stream)
        try:
            for index in scanner.iter_array():
                run.ctx.check_cancelled()
                locator = run.source.locate(pointer=pointer(index))
                try:
                    value = scanner.read_value()
                except ElementDamage as exc:
                    yield run.ctx.warn(locator, str(exc))
                    continue
                if isinstance(value, dict):
                    yield from run.message(value, locator)
                else:
                    yield run.ctx.warn(locator, "not a message object")
        except JsonDamage as exc:
            yield run.ctx.warn(run.source.locate(offset=0), f"damaged JSON: {exc}")
        if scanner.invalid_bytes:
            yield run.ctx.warn(run.source.locate(offset=0), invalid_note(scanner.invalid_bytes))


def _channel(source: Source, ctx: Context, where: str, match: re.Match[str]) -> Iterator[Record]:
    """The recipients as Accounts: the owner's and friends' from user.json when readable."""
    package = _read_package(source, _root(where, match), "", "")
    for note in package.notes:
        yield ctx.warn(source.locate(offset=0), note)
    owner = package.owner
    seen: set[str] = set()
    for item in small_object(source, ctx):
        if isinstance(item, Record):
            yield item
            continue
        listed = item.get("recipients")
        for index, user_id in enumerate(listed if isinstance(listed, list) else []):
            if not isinstance(user_id, str) or not _INTEGER.match(user_id) or user_id in seen:
                continue
            seen.add(user_id)
            if owner is not None and user_id == owner.platform_id:
                yield owner
            elif user_id in package.friends:
                yield package.friends[user_id]
            else:
                yield Account(
                    locator=source.locate(pointer=pointer("recipients", index)),
                    platform=PLATFORM,
                    platform_id=user_id,
                )


def _user(source: Source, ctx: Context, root: str) -> Iterator[Record]:
    for item in small_object(source, ctx):
        if isinstance(item, Record):
            yield item
            continue
        owner, friends = _user_accounts(
            item, lambda p: source.locate(pointer=p), _avatar(source, root)
        )
        if owner is None:
            yield ctx.warn(source.locate(pointer=""), "user.json without an id")
        else:
            yield owner
        yield from friends


register(DiscordPackageExtractor())

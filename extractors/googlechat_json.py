"""Google Chat from Google Takeout (FORMATS.md §9): messages, group and user info.

Members handled: ``Google Chat/Groups/<DM|Space> <id>/messages.json`` (streamed: the
``messages`` array one message at a time), ``…/group_info.json`` (``members`` → Accounts)
and ``Google Chat/Users/User <id>/user_info.json`` (the owner's Account, ``is_owner``).

* ``created_date`` is an English long date whose layout follows the account's locale:
  ``Monday, 1 April 2024 at 10:05:33 UTC`` (en-GB), ``Wednesday, January 4, 2023 at
  10:59:50 AM UTC`` (en-US, 2023+ with U+202F — or U+00A0 — before AM/PM); abbreviated month
  names, a missing weekday or seconds, ``GMT`` and ``UTC+hh:mm`` are accepted too. The zone is
  stated, so the time is exact (tz None). A weekday that does not match the date is warned.
  Other languages are not guessed at: ``time_unparsed`` and a warning.
* ``creator{name, email, user_type}`` → Account (display name; email case-folded by
  ``email_key``); ``sender_identifier`` is the email as written, else the name.
* ``attached_files[{original_name, export_name}]`` → ``media`` with the export names (the
  files beside messages.json); ``message_state`` DELETED / ``deleted_date`` → ``deleted``.
  A deleted message without ``created_date`` is timed by its ``deleted_date`` and its
  ``sent_at_raw`` says so (``deleted_date: …``).
* ``message_id`` is kept; the thread is the group folder name (``DM xyz…``/``Space …``).
  When the pipeline lets a member read its siblings, ``group_info.json`` ``name`` is the
  title and the single ``user_info.json`` names the owner: ``direction`` and ``is_owner``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from extractors._export_json import (
    ElementDamage,
    JsonDamage,
    JsonScanner,
    as_found,
    clean_text,
    invalid_note,
    pointer,
    read_sibling_json,
    sibling_named,
    small_object,
    string,
)
from extractors.base import Context, Source
from extractors.identifiers import email_key
from extractors.records import Account, Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import format_utc

PLATFORM = "google_chat"
_BOM = b"\xef\xbb\xbf"
_GROUP_FILE = re.compile(r"(?:^|/)google chat/groups/([^/]+)/(messages|group_info)\.json$", re.I)
_USER_INFO = re.compile(r"(?:^|/)google chat/users/[^/]+/user_info\.json$", re.I)
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)} | {
    name[:3]: i + 1 for i, name in enumerate(_MONTH_NAMES)
} | {"sept": 9}  # fmt: skip
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DATE = re.compile(
    r"^(?:(?P<wd>[A-Za-z]+)\.?,?\s+)?"
    r"(?:(?P<d1>\d{1,2})\s+(?P<m1>[A-Za-z]+)\.?|(?P<m2>[A-Za-z]+)\.?\s+(?P<d2>\d{1,2})),?\s+"
    r"(?P<y>\d{4}),?\s+(?:at\s+)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"(?:\s*(?P<ap>[AaPp])\.?\s?[Mm]\.?)?\s+"
    r"(?P<zone>UTC|GMT)(?:(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?$"
)


def parse_created_date(raw: str) -> tuple[str | None, str | None]:
    """UTC of a Google Chat date text and, when something is off, a note."""
    text = re.sub(r"[\u00a0\u202f\u2009]", " ", raw).strip()
    match = _DATE.match(text)
    if not match:
        return None, None
    month = _MONTHS.get((match["m1"] or match["m2"]).casefold())
    hour = int(match["h"])
    if month is None or (match["ap"] and not 1 <= hour <= 12):
        return None, None
    if match["ap"]:
        hour = hour % 12 + (12 if match["ap"] in "Pp" else 0)
    minutes = int(match["oh"] or 0) * 60 + int(match["om"] or 0)
    offset = timedelta(minutes=-minutes if match["sign"] == "-" else minutes)
    try:
        moment = datetime(
            int(match["y"]), month, int(match["d1"] or match["d2"]), hour, int(match["mi"]),
            int(match["s"] or 0), tzinfo=timezone(offset),
        )  # fmt: skip
    except ValueError:
        return None, None
    day = (match["wd"] or "").casefold()
    actual = _DAY_NAMES[moment.weekday()]
    if day and day not in (actual, actual[:3]):
        return format_utc(moment), f"weekday {match['wd']!r} does not match the date in {raw!r}"
    return format_utc(moment), None


@dataclass
class _Run:
    source: Source
    ctx: Context
    thread_id: str
    title: str | None = None
    owner_email: str | None = None
    seen: set[str] = field(default_factory=set)

    def creator(self, creator: Any, locator: Locator) -> Iterator[Record | str]:
        """The creator's Account the first time it is seen, then its key (or nothing)."""
        if not isinstance(creator, dict):
            return
        name = string(creator, "name")
        email = email_key(string(creator, "email"))
        if not (name or email):
            return
        account = Account(
            locator=locator,
            platform=PLATFORM,
            display_name=name,
            email=email,
            is_owner=email is not None and email == self.owner_email,
        )
        if account.key not in self.seen:
            self.seen.add(account.key)
            yield account
        yield account.key

    def message(self, message: Mapping[str, Any], locator: Locator) -> Iterator[Record]:
        creator = message.get("creator")
        sender_key = None
        for item in self.creator(creator, locator):
            if isinstance(item, str):
                sender_key = item
            else:
                yield item
        identifier = None
        if isinstance(creator, dict):
            identifier = string(creator, "email") or string(creator, "name")
        utc, raw, note = _message_time(message)
        if note:
            yield self.ctx.warn(locator, note)
        deleted = string(message, "message_state") == "DELETED" or "deleted_date" in message
        files = message.get("attached_files")
        attachments = tuple(
            name
            for f in (files if isinstance(files, list) else [])
            if isinstance(f, dict)
            and (name := string(f, "export_name") or string(f, "original_name"))
        )
        value = message.get("text")
        found = value if isinstance(value, str) else ""
        text = clean_text(found)[0]
        yield Message(
            locator=locator,
            platform=PLATFORM,
            thread_id=self.thread_id,
            thread_title=self.title,
            sender_key=sender_key,
            sender_identifier=identifier,
            sent_at_utc=utc,
            sent_at_raw=raw,
            flags=("time_unparsed",) * (utc is None) + ("text_fixed",) * (text != found),
            kind="deleted" if deleted else "media" if attachments else "text",
            text=text,
            raw_text=as_found(found) if text != found else None,
            attachments=attachments,
            message_id=string(message, "message_id"),
            direction=self.direction(creator),
        )

    def direction(self, creator: Any) -> str | None:
        if self.owner_email is None or not isinstance(creator, dict):
            return None
        email = email_key(string(creator, "email"))
        return None if email is None else "outgoing" if email == self.owner_email else "incoming"


def _message_time(message: Mapping[str, Any]) -> tuple[str | None, str, str | None]:
    """UTC, raw text and a note; ``deleted_date`` stands in when ``created_date`` is empty."""
    raw = string(message, "created_date") or ""
    label = ""
    if not raw.strip() and string(message, "deleted_date"):
        raw = string(message, "deleted_date") or ""
        label = "deleted_date: "
    utc, note = parse_created_date(raw)
    if utc is None:
        note = f"unreadable {'deleted_date' if label else 'created_date'} {raw!r}"
    return utc, label + raw, note


def _owner_email(source: Source) -> str | None:
    """The owner's email from the one ``Users/*/user_info.json`` sibling, when readable."""
    found = [s for s in source.siblings if _USER_INFO.search(s.member)]
    if len(found) != 1:
        return None
    value, _ = read_sibling_json(source, found[0])
    user = value.get("user") if isinstance(value, dict) else None
    return email_key(string(user, "email")) if isinstance(user, dict) else None


def _group_title(source: Source, folder: str) -> str | None:
    info = sibling_named(source, posixpath.join(folder, "group_info.json"))
    if info is None:
        return None
    value, _ = read_sibling_json(source, info)
    return string(value, "name") if isinstance(value, dict) else None


class GoogleChatJsonExtractor:
    """Google Takeout Google Chat: messages.json, group_info.json, user_info.json."""

    name: ClassVar[str] = "googlechat_json"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = "Google Takeout Google Chat messages/group_info/user_info"

    def sniff(self, source: Source) -> bool:
        where = (source.member or source.path).replace("\\", "/")
        head = source.head.removeprefix(_BOM).lstrip()
        if not head.startswith(b"{"):
            return False
        if _GROUP_FILE.search(where) or _USER_INFO.search(where):
            return True
        return source.name == "messages.json" and b'"created_date"' in head

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        where = (source.member or source.path).replace("\\", "/")
        group = _GROUP_FILE.search(where)
        if _USER_INFO.search(where):
            yield from _user_info(source, ctx)
        elif group is not None and group[2].casefold() == "group_info":
            yield from _group_info(source, ctx)
        else:
            folder = posixpath.dirname(source.member or "")
            run = _Run(source, ctx, group[1] if group else posixpath.basename(folder))
            run.title = _group_title(source, folder) if source.member else None
            run.owner_email = _owner_email(source)
            yield from _messages(run)


def _messages(run: _Run) -> Iterator[Record]:
    with run.source.open() as stream:
        scanner = JsonScanner(stream)
        try:
            for key in scanner.iter_object():
                if key != "messages" or scanner.peek() != "[":
                    scanner.skip_value()
                    continue
                for index in scanner.iter_array():
                    run.ctx.check_cancelled()
                    locator = run.source.locate(pointer=pointer(key, index))
                    try:
                        message = scanner.read_value()
                    except ElementDamage as exc:
                        yield run.ctx.warn(locator, str(exc))
                        continue
                    if isinstance(message, dict):
                        yield from run.message(message, locator)
                    else:
                        yield run.ctx.warn(locator, "not a message object")
        except JsonDamage as exc:
            yield run.ctx.warn(run.source.locate(offset=0), f"damaged JSON: {exc}")
        if scanner.invalid_bytes:
            yield run.ctx.warn(run.source.locate(offset=0), invalid_note(scanner.invalid_bytes))


def _person(info: Mapping[str, Any], locator: Locator, owner: bool) -> Account | None:
    name = string(info, "name")
    email = email_key(string(info, "email"))
    if not (name or email):
        return None
    return Account(
        locator=locator, platform=PLATFORM, display_name=name, email=email, is_owner=owner
    )


def _group_info(source: Source, ctx: Context) -> Iterator[Record]:
    owner = _owner_email(source)
    for item in small_object(source, ctx):
        if isinstance(item, Record):
            yield item
            continue
        members = item.get("members")
        for index, member in enumerate(members if isinstance(members, list) else []):
            if isinstance(member, dict):
                locator = source.locate(pointer=pointer("members", index))
                email = email_key(string(member, "email"))
                account = _person(member, locator, owner is not None and email == owner)
                if account is not None:
                    yield account


def _user_info(source: Source, ctx: Context) -> Iterator[Record]:
    for item in small_object(source, ctx):
        if isinstance(item, Record):
            yield item
            continue
        user = item.get("user")
        account = (
            _person(user, source.locate(pointer="/user"), True) if isinstance(user, dict) else None
        )
        if account is None:
            yield ctx.warn(source.locate(pointer=""), "user_info.json without a user")
        else:
            yield account


register(GoogleChatJsonExtractor())

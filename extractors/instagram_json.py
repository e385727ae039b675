"""Instagram "Download your information" JSON (FORMATS.md §4).

Thread pages (``messages/inbox|message_requests/<slug>_<id>/message_N.json``, old layout or
under ``your_instagram_activity/``; truncated file names such as ``messa.json`` accepted)
have the Facebook shape and mojibake and are read by the Facebook reader
(``extractors._dyi_thread``: same thread ids, attachments, ``reactions``/``shares`` and kinds;
see the ``facebook_json`` docstring), with platform ``instagram``.

Two more members name accounts, so an @username can be set beside the display names that
messages carry (the export gives no join key between the two; none is guessed):

* ``personal_information/personal_information.json``: the owner (username, name, email,
  phone; the profile photo ``uri`` matched to an archive member → ``avatar_ref`` = its
  SHA-256). English labels only: other languages are warned about, not guessed.
* ``connections/followers_and_following/*.json`` (followers, following, blocked …): one
  Account per username with its profile URL. When and how each relationship began is not
  recorded (no record type holds it).

The newer separate "Reacted ❤️ to your message" lines are messages in the file and stay
text messages (their wording is localised, so it is not parsed).

Pre-2020 single ``messages.json`` exports are not read (no sample to check against).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from extractors._dyi_archive import SiblingIndex, dyi_platform, looks_like_thread
from extractors._dyi_json import VALUE_LIMIT, JsonDamage, JsonScanner, load_value, read_header
from extractors._dyi_mojibake import clean
from extractors._dyi_thread import extract_thread
from extractors.base import Context, Source
from extractors.identifiers import email_key, phone_e164
from extractors.records import Account, Record
from extractors.registry import register

_PROFILE_URL = re.compile(r"^https?://(?:www\.)?instagram\.com/(?:_u/)?([A-Za-z0-9._]+)/?$")


def _is_personal(source: Source) -> bool:
    return source.name.lower() == "personal_information.json" and b'"profile_user"' in source.head


def _is_connections(source: Source) -> bool:
    where = (source.member or source.path).replace("\\", "/").lower()
    return (
        "followers_and_following/" in where
        and where.endswith(".json")
        and "hashtag" not in where.rsplit("/", 1)[-1]  # followed hashtags are not people
        and b'"string_list_data"' in source.head
    )


def _value(data: object, label: str) -> str | None:
    """The repaired ``value`` of a ``string_map_data`` label."""
    entry = data.get(label) if isinstance(data, dict) else None
    value = clean(entry.get("value"), True) if isinstance(entry, dict) else None
    return value or None


def _owner(source: Source, ctx: Context, siblings: SiblingIndex) -> Iterator[Record]:
    """The owner's Account from personal_information.json."""
    header, problems = read_header(source)
    for offset, what in problems:
        yield ctx.warn(source.locate(offset=offset), what)
    users = header.get("profile_user")
    user = users[0] if isinstance(users, list) and users else None
    where = source.locate(pointer="/profile_user/0")
    if not isinstance(user, dict):
        yield ctx.warn(where, "no profile_user entry in the file")
        return
    strings = user.get("string_map_data")
    username, name = _value(strings, "Username"), _value(strings, "Name")
    email, phone = _value(strings, "Email"), _value(strings, "Phone Number")
    if username is None and name is None:
        labels = ", ".join(sorted(map(repr, strings))) if isinstance(strings, dict) else "none"
        yield ctx.warn(where, f"no Username/Name label (labels: {labels}); owner not named")
        return
    media = user.get("media_map_data")
    photo = media.get("Profile Photo") if isinstance(media, dict) else None
    uri = photo.get("uri") if isinstance(photo, dict) else None
    avatar = siblings.resolve(source, uri) if isinstance(uri, str) and uri else None
    if isinstance(uri, str) and uri and avatar is None:
        yield ctx.warn(where, f"profile photo {uri!r} is not in the archive")
    yield Account(
        locator=where,
        platform="instagram",
        handle=username,
        display_name=name,
        phone_raw=phone,
        phone_e164=phone_e164(phone, ctx.region),
        email=email_key(email),
        avatar_ref=avatar.sha256 if avatar else None,
        is_owner=True,
    )


def _relationship_entries(source: Source) -> Iterator[tuple[str, int, object]]:
    """(pointer, offset, entry or None when unreadable) of a relationships file: a bare
    list, or lists under ``relationships_*`` keys. JsonDamage where the file breaks."""
    with source.open() as stream:
        scanner = JsonScanner(stream)
        if scanner.peek() == ord("["):
            lists: Iterator[str] = iter([""])
        else:
            lists = (f"/{k}" for k in scanner.root_keys())
        for prefix in lists:
            if prefix and not prefix.startswith("/relationships_"):
                scanner.value(0)
                continue
            for i, (offset, raw) in enumerate(scanner.elements(VALUE_LIMIT)):
                yield f"{prefix}/{i}", offset, load_value(raw) if raw is not None else None


def _username(entry: object) -> tuple[str | None, str | None]:
    """(username, profile URL) of one relationship entry: ``value``, else ``title``, else
    the name in its instagram.com profile URL; none when the link is not a profile's."""
    if not isinstance(entry, dict):
        return None, None
    data = entry.get("string_list_data")
    item = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
    href = clean(item.get("href"), True) or None
    found = _PROFILE_URL.match(href or "")
    if href and not found:
        return None, href
    name = clean(item.get("value"), True) or clean(entry.get("title"), True)
    return name or (found.group(1) if found else None), href


def _connections(source: Source, ctx: Context) -> Iterator[Record]:
    """One Account per username in a followers/following/blocked file."""
    seen: set[str] = set()
    try:
        for pointer, offset, entry in _relationship_entries(source):
            where = source.locate(pointer=pointer)
            username, href = _username(entry)
            if not username:
                yield ctx.warn(where, f"relationship entry at offset {offset} names no profile")
            elif username not in seen:
                seen.add(username)
                yield Account(
                    locator=where, platform="instagram", handle=username, profile_url=href
                )
    except JsonDamage as damage:
        yield ctx.warn(source.locate(offset=damage.offset), damage.what)


class InstagramJsonExtractor:
    """Instagram DYI thread pages, the owner's personal information and relationship lists."""

    name: ClassVar[str] = "instagram_json"
    version: ClassVar[str] = "1.2"
    description: ClassVar[str] = (
        "Instagram 'Download your information' JSON: message threads (mojibake repaired), "
        "owner's personal information, followers/following/blocked usernames"
    )

    def __init__(self) -> None:
        self._siblings = SiblingIndex()

    def sniff(self, source: Source) -> bool:
        """A thread page marked as Instagram's, personal_information.json or a relationships
        file."""
        if not source.name.lower().endswith(".json"):
            return False
        if _is_personal(source) or _is_connections(source):
            return True
        return looks_like_thread(source) and dyi_platform(source) == "instagram"

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Records in file order."""
        if _is_personal(source):
            yield from _owner(source, ctx, self._siblings)
        elif _is_connections(source):
            yield from _connections(source, ctx)
        else:
            yield from extract_thread(source, ctx, "instagram", self._siblings)


register(InstagramJsonExtractor())

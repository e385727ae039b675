"""What an X/Twitter archive member can learn from its siblings, and the archive's time forms.

Used by ``twitter_js``. The owner of the archive: ``data/account.js`` when the pipeline lets
a member read its siblings, else the ``data/profile_media/<accountId>-<name>`` file name.
Their profile picture is that file (its SHA-256); with several such files ``profile.js``
decides when it can be read, otherwise none is chosen and a note says why.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from extractors._export_json import read_sibling_json, sibling_named, sibling_path, string
from extractors.base import Sibling, Source
from extractors.identifiers import email_key, phone_e164
from extractors.records import Account, Locator
from extractors.timeutil import format_utc

PLATFORM = "x"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TWEET_TIME = re.compile(
    r"^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) "
    r"([+-])(\d{2})(\d{2}) (\d{4})$"
)
_PROFILE_MEDIA = re.compile(r"^(\d+)-(.+)$")
_MEDIA_FOLDERS = ("direct_messages_media", "direct_messages_group_media", "tweets_media")


@dataclass
class Owner:
    """What the archive says about its owner, as far as this member can see."""

    account_id: str | None = None
    account: Account | None = None  # full, from account.js read as a sibling
    avatar: str | None = None  # SHA-256 of the profile picture member


def iso_utc(raw: str | None) -> str | None:
    """UTC of an ISO 8601 time with a zone (``2022-09-12T17:38:27.668Z``), else None."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return format_utc(moment) if moment.tzinfo is not None else None


def tweet_utc(raw: str | None) -> tuple[str | None, str | None]:
    """UTC of a ``created_at`` (``Wed Oct 10 20:19:24 +0000 2018``) and a note if off.

    English day and month names are matched here, not through ``strptime`` and the locale.
    """
    match = _TWEET_TIME.match(raw or "")
    if not match or match[2] not in _MONTHS:
        return None, None
    day, mon, dd, hh, mi, ss, sign, oh, om, year = match.groups()
    try:
        offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
        moment = datetime(
            int(year), _MONTHS.index(mon) + 1, int(dd), int(hh), int(mi), int(ss),
            tzinfo=timezone(offset),
        )  # fmt: skip
    except ValueError:
        return None, None
    note = None if _DAYS[moment.weekday()] == day else f"weekday {day} does not match {raw}"
    return format_utc(moment), note


def owner_account(locator: Locator, info: Mapping[str, Any], avatar: str | None) -> Account:
    """The owner's Account from an ``account.js`` ``account`` object."""
    phone = string(info, "phoneNumber")
    return Account(
        locator=locator,
        platform=PLATFORM,
        platform_id=string(info, "accountId"),
        handle=string(info, "username"),
        display_name=string(info, "accountDisplayName"),
        phone_raw=phone,
        phone_e164=phone_e164(phone) if phone else None,
        email=email_key(string(info, "email")),
        avatar_ref=avatar,
        is_owner=True,
    )


def _first_account(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        inner = value[0].get("account", value[0])
        return inner if isinstance(inner, dict) else None
    return None


def avatar(source: Source, owner_id: str | None) -> tuple[str | None, str | None, str | None]:
    """The owner's id and profile picture (SHA-256) from ``profile_media/<id>-<name>`` siblings.

    Returns:
        The account id (``owner_id``, or the one id the file names give when it is None),
        the picture's SHA-256, and a note when several pictures leave the avatar undecided.
    """
    data_dir = posixpath.dirname(source.member or "")
    folder = posixpath.join(data_dir, "profile_media/").casefold()
    found: dict[str, list[Sibling]] = {}
    for sibling in source.siblings:
        if sibling.member.casefold().startswith(folder):
            match = _PROFILE_MEDIA.match(posixpath.basename(sibling.member))
            if match:
                found.setdefault(match[1], []).append(sibling)
    if owner_id is None and len(found) == 1:
        owner_id = next(iter(found))
    candidates = found.get(owner_id or "", [])
    if len(candidates) <= 1:
        return owner_id, candidates[0].sha256 if candidates else None, None
    profile = sibling_named(source, posixpath.join(data_dir, "profile.js"))
    if profile is not None:
        value, _ = read_sibling_json(source, profile)
        url = _profile_avatar_url(value)
        for sibling in candidates:
            if url and sibling.member.endswith("-" + url.rsplit("/", 1)[-1]):
                return owner_id, sibling.sha256, None
    names = ", ".join(s.member for s in candidates)
    return owner_id, None, f"several profile pictures ({names}); none taken as the avatar"


def _profile_avatar_url(value: Any) -> str | None:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        profile = value[0].get("profile")
        if isinstance(profile, dict):
            return string(profile, "avatarMediaUrl")
    return None


def find_owner(source: Source) -> tuple[Owner, list[str]]:
    """The owner as far as the siblings show it, and notes for warnings."""
    notes: list[str] = []
    account_js = sibling_named(
        source, posixpath.join(posixpath.dirname(source.member or ""), "account.js")
    )
    info = None
    if account_js is not None:
        value, note = read_sibling_json(source, account_js)
        if note:
            notes.append(note)
        info = _first_account(value)
    owner_id, picture, note = avatar(source, string(info, "accountId") if info else None)
    if note:
        notes.append(note)
    account = None
    if info is not None and account_js is not None and owner_id:
        where = Locator(account_js.sha256, sibling_path(source, account_js), pointer="/0/account")
        account = owner_account(where, info, picture)
    return Owner(owner_id, account, picture), notes


def media_index(source: Source) -> dict[str, str]:
    """``<message id>-<file name>`` (case-folded) → member, for the archive's media folders."""
    index: dict[str, str] = {}
    for sibling in source.siblings:
        folder, name = posixpath.split(sibling.member)
        if posixpath.basename(folder).casefold() in _MEDIA_FOLDERS:
            index.setdefault(name.casefold(), sibling.member)
    return index

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
  a file missing from the archive is kept as written and warned about), nothing else.
* ``reactions``: one canonical JSON object text per reaction,
  ``{"actor": name as written, "reaction": …[, "at": RFC 3339 UTC]}`` (``at`` from the
  reaction's ``timestamp`` in seconds; an unreadable one is warned about, not recorded).
  ``shares``: ``{"link": …[, "share_text": …]}`` for a message's ``share`` (text only when
  not empty); other keys of a share (Instagram's ``original_content_owner``) are named in
  the warning about keys not recorded. Canonical = sorted keys, no blanks, UTF-8.
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

The parts shared with ``instagram_json`` live in private modules: ``_dyi_json`` (the
streaming scanner), ``_dyi_mojibake``, ``_dyi_archive`` (layouts, thread ids, members named
by a ``uri``) and ``_dyi_thread`` (the thread reader).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from extractors._dyi_archive import SiblingIndex, dyi_platform, json_head, looks_like_thread
from extractors._dyi_json import VALUE_LIMIT as VALUE_LIMIT  # re-export: tests
from extractors._dyi_json import read_header
from extractors._dyi_mojibake import clean
from extractors._dyi_mojibake import repair_text as repair_text  # re-export: tests
from extractors._dyi_thread import extract_thread
from extractors.base import Context, Source
from extractors.identifiers import email_key
from extractors.records import Account, Record
from extractors.registry import register

_IMAGE = re.compile(r"\.(jpe?g|png|gif|webp|heic)$", re.IGNORECASE)


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
    version: ClassVar[str] = "1.1"
    description: ClassVar[str] = (
        "Facebook/Messenger 'Download your information' JSON: message_N.json thread pages "
        "(mojibake repaired), end-to-end-encrypted Messenger exports, owner profile"
    )

    def __init__(self) -> None:
        self._siblings = SiblingIndex()

    def sniff(self, source: Source) -> bool:
        """A thread page not marked as Instagram's, an E2EE export, or the owner profile."""
        head = json_head(source)
        if not head.startswith(b"{") or not source.name.lower().endswith(".json"):
            return False
        if _is_e2ee(head):
            return True
        if source.name.lower() == "profile_information.json":
            return b'"profile_v2"' in head or b'"profile"' in head
        return looks_like_thread(source) and dyi_platform(source) != "instagram"

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Records in file order; see the module docstring for the representation."""
        head = json_head(source)
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

"""X/Twitter archive ``data/*.js`` files (FORMATS.md §5): account, direct messages, tweets.

Each file is ``window.YTD.<name>.part<N> = <JSON>``: the prefix is skipped and the rest is
streamed as JSON (never evaluated). The dataset is chosen by ``<name>`` in the prefix, not by
the file name: ``account``; ``direct_messages`` / ``direct_messages_group`` (older archives:
``direct_message``…); ``tweets`` / ``tweet`` (``tweets-part1.js`` … are parts of the same).

* ``account.js``: the owner Account (``is_owner``): ``accountId``, ``username``,
  ``accountDisplayName``, ``email`` (case-folded), ``phoneNumber`` (raw and E.164). The
  profile picture ``data/profile_media/<accountId>-<name>`` beside it (a sibling) is the
  ``avatar_ref`` (its SHA-256); with several such files ``profile.js`` decides when it can be
  read, otherwise none is chosen and a warning says so.
* Direct messages: ``dmConversation.conversationId`` is the thread; ``messageCreate`` gives
  ``id``, ``senderId``, ``recipientId`` (1:1 only), ``text``, ``createdAt`` (UTC, ms kept),
  ``mediaUrls`` (media: the local ``direct_messages[_group]_media/<id>-<name>`` member when
  present, else the URL; the trailing t.co link to the media is not caption: removed, raw
  kept), ``editHistory`` (non-empty: edited), ``reactions`` (on the message: actor id as
  written, ``reactionKey``, UTC), ``urls`` (``shares``: the archive's own t.co expansions;
  the text keeps the t.co links as written); group events (``joinConversation``,
  ``participantsJoin``/``Leave``, ``conversationNameUpdate`` …) are ``system`` messages whose
  text lists the event's fields. Files are newest-first; file order is kept. Ids stay strings.
* The owner: known from ``account.js`` when the pipeline lets a member read its siblings,
  or else from the ``profile_media/<accountId>-…`` file name. A sender equal to the owner
  is the owner's Account (same key ``x:<id>`` as from ``account.js``); with the owner known
  ``direction`` is set, otherwise left None.
* Tweets: thread ``tweets``; ``id_str``, ``full_text`` (``&amp; &lt; &gt;`` decoded, raw
  kept, ``text_fixed``), ``created_at`` (``Wed Oct 10 20:19:24 +0000 2018``, English names
  parsed here, not by the C locale), reply target, media, ``edit_info.edit`` (edited),
  ``entities.urls`` (``shares``).
  The file does not name the sender: ``sender_identifier`` is None, ``sender_key`` the owner's
  when known; mentioned users (id, handle, name) become Accounts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from extractors._export_json import (
    ElementDamage,
    JsonDamage,
    JsonScanner,
    as_found,
    clean,
    clean_text,
    invalid_note,
    pointer,
    string,
    url_file_name,
)
from extractors._twitter_archive import (
    PLATFORM,
    Owner,
    avatar,
    find_owner,
    iso_utc,
    media_index,
    owner_account,
    tweet_utc,
)
from extractors.base import Context, Source
from extractors.records import Account, Locator, Message, Record
from extractors.registry import register

_YTD = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*window\.YTD\.([A-Za-z0-9_]+)\.part(\d+)\s*=")
_DATASETS = {
    "account": "account",
    "direct_messages": "dm",
    "direct_message": "dm",
    "direct_messages_group": "dm",
    "direct_message_group": "dm",
    "tweets": "tweets",
    "tweet": "tweets",
}
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


@dataclass
class _Run:
    """One extraction: the source, the owner and the accounts already yielded."""

    source: Source
    ctx: Context
    owner: Owner
    seen: set[str] = field(default_factory=set)
    media: dict[str, str] = field(default_factory=dict)  # "<id>-<name>" → member path

    def account(self, locator: Locator, user_id: str, **extra: Any) -> Iterator[Record]:
        """The Account of ``user_id`` the first time it is seen in this file."""
        key = f"{PLATFORM}:{user_id}"
        if key in self.seen:
            return
        self.seen.add(key)
        if user_id == self.owner.account_id:
            if self.owner.account is not None:
                yield self.owner.account
                return
            extra.update(is_owner=True, avatar_ref=self.owner.avatar)
        yield Account(locator=locator, platform=PLATFORM, platform_id=user_id, **extra)

    def direction(self, sender: str | None) -> str | None:
        if self.owner.account_id is None or sender is None:
            return None
        return "outgoing" if sender == self.owner.account_id else "incoming"


def _media_attachments(run: _Run, message_id: str | None, urls: Any) -> tuple[str, ...]:
    """Local media members for the URLs when present (``<id>-<file name>``), else the URLs."""
    out: list[str] = []
    for found in urls if isinstance(urls, list) else []:
        if isinstance(found, str):
            url = clean(found)
            out.append(run.media.get(f"{message_id}-{url_file_name(url)}".casefold(), url))
    return tuple(out)


def _raw_text(value: Any) -> str:
    """A text member as found (not yet cleaned); '' when absent or not a string."""
    return value if isinstance(value, str) else ""


def _strip_media_link(text: str, links: list[str]) -> str:
    stripped = text
    for link in links:
        if link and stripped.rstrip().endswith(link):
            stripped = stripped.rstrip()[: -len(link)].rstrip()
    return stripped


def _links(items: Any, marker: str) -> list[str]:
    """t.co links (``url``) of entities whose expansion contains ``marker``."""
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            url = string(item, "url")
            expanded = string(item, "expanded") or string(item, "expanded_url") or ""
            if url and marker in expanded:
                out.append(url)
    return out


class TwitterJsExtractor:
    """X/Twitter archive ``window.YTD`` data files: account, direct messages, tweets."""

    name: ClassVar[str] = "twitter_js"
    version: ClassVar[str] = "1.1"
    description: ClassVar[str] = "X/Twitter archive data/*.js: account, direct messages, tweets"

    def sniff(self, source: Source) -> bool:
        match = _YTD.match(source.head[:4096])
        return match is not None and match[1].decode() in _DATASETS

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        match = _YTD.match(source.head[:4096])
        if match is None or match[1].decode() not in _DATASETS:
            yield ctx.warn(source.locate(offset=0), "not a window.YTD account/DM/tweets file")
            return
        dataset = _DATASETS[match[1].decode()]
        owner, notes = find_owner(source) if dataset != "account" else (Owner(), [])
        for note in notes:
            yield ctx.warn(source.locate(offset=0), note)
        run = _Run(source, ctx, owner, media=media_index(source))
        with source.open() as stream:
            stream.read(match.end())
            scanner = JsonScanner(stream)
            try:
                if dataset == "account":
                    yield from _accounts(run, scanner)
                elif dataset == "dm":
                    yield from _conversations(run, scanner)
                else:
                    yield from _tweets(run, scanner)
            except JsonDamage as exc:
                yield ctx.warn(source.locate(offset=match.end()), f"damaged JSON: {exc}")
            if scanner.invalid_bytes:
                yield ctx.warn(source.locate(offset=0), invalid_note(scanner.invalid_bytes))


def _elements(run: _Run, scanner: JsonScanner) -> Iterator[tuple[int, Any] | Record]:
    """Each element of the top-level array, or a warning for one that could not be read."""
    for index in scanner.iter_array():
        run.ctx.check_cancelled()
        try:
            yield index, scanner.read_value()
        except ElementDamage as exc:
            yield run.ctx.warn(run.source.locate(pointer=pointer(index)), str(exc))


def _accounts(run: _Run, scanner: JsonScanner) -> Iterator[Record]:
    for item in _elements(run, scanner):
        if isinstance(item, Record):
            yield item
            continue
        index, value = item
        info = value.get("account") if isinstance(value, dict) else None
        if not isinstance(info, dict) or not string(info, "accountId"):
            yield run.ctx.warn(run.source.locate(pointer=pointer(index)), "no account.accountId")
            continue
        _, picture, note = avatar(run.source, string(info, "accountId"))
        if note:
            yield run.ctx.warn(run.source.locate(pointer=pointer(index)), note)
        locator = run.source.locate(pointer=pointer(index, "account"))
        yield owner_account(locator, info, picture)


def _conversations(run: _Run, scanner: JsonScanner) -> Iterator[Record]:
    for index in scanner.iter_array():
        if scanner.peek() != "{":
            yield run.ctx.warn(run.source.locate(pointer=pointer(index)), "not a conversation")
            scanner.skip_value()
            continue
        for key in scanner.iter_object():
            if key != "dmConversation" or scanner.peek() != "{":
                scanner.skip_value()
                continue
            yield from _conversation(run, scanner, pointer(index, key))


def _conversation(run: _Run, scanner: JsonScanner, base: str) -> Iterator[Record]:
    thread_id: str | None = None
    for key in scanner.iter_object():
        if key == "conversationId":
            try:
                value = scanner.read_value()
            except ElementDamage as exc:
                yield run.ctx.warn(run.source.locate(pointer=base + "/conversationId"), str(exc))
                continue
            thread_id = clean(value) if isinstance(value, str) else None
        elif key == "messages" and scanner.peek() == "[":
            if thread_id is None:
                yield run.ctx.warn(
                    run.source.locate(pointer=base), "messages before conversationId: no thread id"
                )
            for index in scanner.iter_array():
                run.ctx.check_cancelled()
                where = f"{base}/messages/{index}"
                try:
                    event = scanner.read_value()
                except ElementDamage as exc:
                    yield run.ctx.warn(run.source.locate(pointer=where), str(exc))
                    continue
                yield from _event(run, event, thread_id or "", where)
        else:
            scanner.skip_value()


def _event(run: _Run, event: Any, thread_id: str, where: str) -> Iterator[Record]:
    if not isinstance(event, dict) or len(event) != 1:
        yield run.ctx.warn(run.source.locate(pointer=where), "not a DM event object")
        return
    (raw_name, body), *_ = event.items()
    name = clean_text(raw_name)[0]
    if not isinstance(body, dict):
        yield run.ctx.warn(run.source.locate(pointer=where), f"{name} is not an object")
        return
    if name == "messageCreate":
        yield from _message(run, body, thread_id, f"{where}/{name}")
    else:
        yield from _system_event(run, name, body, thread_id, f"{where}/{name}")


def _timed(run: _Run, raw: str | None, locator: Locator) -> Iterator[Record]:
    """A warning when a time is missing or unreadable (the caller flags the record)."""
    if iso_utc(raw) is None:
        yield run.ctx.warn(locator, f"unreadable createdAt {raw!r}")


def _message(run: _Run, body: Mapping[str, Any], thread_id: str, where: str) -> Iterator[Record]:
    locator = run.source.locate(pointer=where)
    sender = string(body, "senderId")
    recipient = string(body, "recipientId")
    message_id = string(body, "id")
    for user in (sender, recipient):
        if user:
            yield from run.account(locator, user)
    raw_time = string(body, "createdAt")
    yield from _timed(run, raw_time, locator)
    reactions: list[str] = []
    for index, reaction in enumerate(_dicts(body.get("reactions"))):
        where_reaction = run.source.locate(pointer=f"{where}/reactions/{index}")
        actor = string(reaction, "senderId")
        if actor:
            yield from run.account(where_reaction, actor)
        at = string(reaction, "createdAt")
        if at and iso_utc(at) is None:
            yield run.ctx.warn(where_reaction, f"unreadable reaction createdAt {at!r}")
        reactions.append(_reaction(actor, string(reaction, "reactionKey"), iso_utc(at)))
    found = _raw_text(body.get("text"))
    attachments = _media_attachments(run, message_id, body.get("mediaUrls"))
    text = found
    if attachments:
        text = _strip_media_link(found, _links(body.get("urls"), "/messages/media/"))
    text = clean_text(text)[0]
    fixed = text != found
    edits = body.get("editHistory")
    yield Message(
        locator=locator,
        platform=PLATFORM,
        thread_id=thread_id,
        sender_key=f"{PLATFORM}:{sender}" if sender else None,
        sender_identifier=sender,
        recipients=(recipient,) if recipient else (),
        sent_at_utc=iso_utc(raw_time),
        sent_at_raw=raw_time or "",
        flags=("time_unparsed",) * (iso_utc(raw_time) is None) + ("text_fixed",) * fixed,
        kind="media" if attachments else "text",
        text=text,
        raw_text=as_found(found) if fixed else None,
        attachments=attachments,
        edited=isinstance(edits, list) and bool(edits),
        message_id=message_id,
        direction=run.direction(sender),
        reactions=tuple(reactions),
        shares=_shares(body.get("urls"), skip="/messages/media/"),
    )


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _canonical(obj: dict[str, str]) -> str:
    """Canonical JSON text (sorted keys, no blanks, UTF-8), as Message.reactions/shares hold."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _reaction(actor: str | None, reaction: str | None, at: str | None) -> str:
    entry = {"actor": actor or "", "reaction": reaction or ""}
    return _canonical(entry | ({"at": at} if at else {}))


def _shares(urls: Any, skip: str | None = None) -> tuple[str, ...]:
    """The links of ``urls`` entities, expanded (t.co resolved by the archive itself)."""
    out = []
    for item in _dicts(urls):
        link = string(item, "expanded") or string(item, "expanded_url") or string(item, "url")
        if link and not (skip and skip in link):
            out.append(_canonical({"link": link}))
    return tuple(out)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_describe(v) for v in value)
    if isinstance(value, dict):
        return "{" + "; ".join(f"{_describe(k)}={_describe(value[k])}" for k in sorted(value)) + "}"
    return clean_text(str(value))[0]


def _system_event(
    run: _Run, name: str, body: Mapping[str, Any], thread_id: str, where: str
) -> Iterator[Record]:
    """A group event (``joinConversation`` …) as a ``system`` message listing its fields."""
    locator = run.source.locate(pointer=where)
    actor = string(body, "initiatingUserId") or string(body, "senderId")
    if actor:
        yield from run.account(locator, actor)
    raw_time = string(body, "createdAt")
    yield from _timed(run, raw_time, locator)
    details = _describe({k: v for k, v in body.items() if k != "createdAt"})[1:-1]
    yield Message(
        locator=locator,
        platform=PLATFORM,
        thread_id=thread_id,
        sender_key=f"{PLATFORM}:{actor}" if actor else None,
        sender_identifier=actor,
        sent_at_utc=iso_utc(raw_time),
        sent_at_raw=raw_time or "",
        flags=("time_unparsed",) * (iso_utc(raw_time) is None),
        kind="system",
        text=f"{name}: {details}" if details else name,
        message_id=string(body, "eventId") or string(body, "id"),
        direction=run.direction(actor),
    )


def _tweets(run: _Run, scanner: JsonScanner) -> Iterator[Record]:
    owner_key = f"{PLATFORM}:{run.owner.account_id}" if run.owner.account_id else None
    for item in _elements(run, scanner):
        if isinstance(item, Record):
            yield item
            continue
        index, value = item
        tweet = value.get("tweet", value) if isinstance(value, dict) else None
        where = pointer(index, "tweet") if isinstance(value, dict) and "tweet" in value else None
        locator = run.source.locate(pointer=where or pointer(index))
        if not isinstance(tweet, dict) or not (string(tweet, "id_str") or string(tweet, "id")):
            yield run.ctx.warn(locator, "not a tweet (no id_str)")
            continue
        if run.owner.account_id:
            yield from run.account(locator, run.owner.account_id)
        yield from _mentions(run, tweet, locator)
        yield from _tweet(run, tweet, locator, owner_key)


def _mentions(run: _Run, tweet: Mapping[str, Any], locator: Locator) -> Iterator[Record]:
    entities = tweet.get("entities")
    mentions = entities.get("user_mentions") if isinstance(entities, dict) else None
    for mention in mentions if isinstance(mentions, list) else []:
        if isinstance(mention, dict) and (string(mention, "id_str") or string(mention, "id")):
            user_id = string(mention, "id_str") or string(mention, "id") or ""
            yield from run.account(
                locator,
                user_id,
                handle=string(mention, "screen_name"),
                display_name=string(mention, "name"),
            )


def _tweet_media(tweet: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    for holder in ("extended_entities", "entities"):
        entities = tweet.get(holder)
        media = entities.get("media") if isinstance(entities, dict) else None
        if isinstance(media, list) and media:
            return [m for m in media if isinstance(m, dict)]
    return []


def _tweet(
    run: _Run, tweet: Mapping[str, Any], locator: Locator, owner_key: str | None
) -> Iterator[Record]:
    tweet_id = string(tweet, "id_str") or string(tweet, "id")
    raw_time = string(tweet, "created_at")
    utc, note = tweet_utc(raw_time)
    if utc is None:
        yield run.ctx.warn(locator, f"unreadable created_at {raw_time!r}")
    elif note:
        yield run.ctx.warn(locator, note)
    found = _raw_text(tweet.get("full_text", tweet.get("text")))
    media = _tweet_media(tweet)
    urls = [string(m, "media_url_https") or string(m, "media_url") or "" for m in media]
    attachments = _media_attachments(run, tweet_id, [u for u in urls if u])
    text = _strip_media_link(found, [string(m, "url") or "" for m in media]) if media else found
    text = _ENTITY.sub(lambda m: _ENTITIES[m[1]], text)
    text = clean_text(text)[0]
    fixed = text != found
    edit_info = tweet.get("edit_info")
    entities = tweet.get("entities")
    yield Message(
        locator=locator,
        platform=PLATFORM,
        thread_id="tweets",
        sender_key=owner_key,
        recipients=tuple(u for u in [string(tweet, "in_reply_to_user_id_str")] if u),
        sent_at_utc=utc,
        sent_at_raw=raw_time or "",
        flags=("time_unparsed",) * (utc is None) + ("text_fixed",) * fixed,
        kind="media" if attachments else "text",
        text=text,
        raw_text=as_found(found) if fixed else None,
        attachments=attachments,
        edited=isinstance(edit_info, dict) and "edit" in edit_info,
        reply_to=string(tweet, "in_reply_to_status_id_str"),
        message_id=tweet_id,
        direction="outgoing",
        shares=_shares(entities.get("urls") if isinstance(entities, dict) else None),
    )


register(TwitterJsExtractor())

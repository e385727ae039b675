"""Telegram Desktop HTML export (``messages.html``, ``messages2.html``, …) (FORMATS.md §2).

Parsed as a stream with the standard library's ``html.parser``: the file is fed in chunks
and each ``div.message`` becomes records as soon as it closes, so memory is bounded by one
message (``MAX_TEXT`` characters, ``MAX_PENDING`` of unterminated markup).

Quirks handled:
* Times are the ``title`` of ``div.pull_right.date.details``: ``DD.MM.YYYY HH:MM:SS
  UTC+hh:mm`` (newer; the offset makes it exact, ``tz`` records the offset as written) or
  without the offset (older: the exporting computer's wall clock, converted with the
  examiner's zone and flagged).
* ``joined`` messages (same sender within 15 minutes) have no ``from_name``: the sender is
  carried forward from the previous message of the same page; tdesktop starts every page
  and every run after a service line with a named message, so a joined message without one
  is warned and left without a sender.
* ``from_name`` is a display name only (no id): Accounts are keyed by that name.
  "Deleted Account" is tdesktop's placeholder, not a name: kept as the identifier, no
  Account. A forwarded message's original author (``div.forwarded.body``'s ``from_name``,
  its date left out) is not the sender: the message gets flag ``forwarded`` and names the
  author, as written, in ``forwarded_from``.
* Service lines (``div.message.service``) are ``system`` messages without a sender; they
  carry no time in HTML: ``sent_at_raw`` is the day of the preceding date separator
  (negative ids, not messages) and the time is flagged ``time_unparsed``.
* Calls are ``call`` messages with empty text plus a Call record (status "Missed",
  "Incoming (12 seconds)", …); photos, stickers, files are ``media`` with their relative
  paths (matched to the other archive members when inside an archive); contacts,
  locations and polls get their shown details as text.
* Links in the text (``<a href="http…">``) become ``shares``, with the shown text when it is
  not the URL itself (a hidden link's address is not in the text).
* ``<br>`` is a line break, other markup is dropped, character references are decoded
  (control characters included, which tdesktop writes as ``&#x0B;``); invalid UTF-8
  becomes U+FFFD with ``raw_text`` and flag ``text_fixed``.
"""

from __future__ import annotations

import codecs
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from typing import ClassVar

from extractors.base import Context, Source
from extractors.records import Account, Call, Locator, Message, Record
from extractors.registry import register
from extractors.telegram_json import PLATFORM, canonical_entry, replace_surrogates
from extractors.timeutil import format_utc, local_to_utc

READ_CHUNK = 1 << 16
MAX_PENDING = 1 << 20  # characters of unterminated markup held before it is dropped
MAX_TEXT = 1 << 20  # characters kept of one message (Telegram allows 4096)
DELETED = "Deleted Account"
_TITLE = re.compile(
    r"\s*(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: UTC([+-])(\d{2}):(\d{2}))?\s*"
)
_MESSAGE_ID = re.compile(r"message(-?\d+)")
_GO_TO = re.compile(r"go_to_message(\d+)")
_VIA = re.compile(r" via @[A-Za-z0-9_]+$")
_CALL = re.compile(r"(Incoming|Outgoing|Missed|Cancelled|Declined)(?: \((\d+) seconds\))?")
_CALL_DIRECTION = {
    "Incoming": "incoming",
    "Outgoing": "outgoing",
    "Missed": "missed",
    "Cancelled": "outgoing",
    "Declined": "rejected",
}
_MESSAGE_DIRECTION = {"Outgoing": "outgoing", "Cancelled": "outgoing"} | {
    status: "incoming" for status in ("Incoming", "Missed", "Declined")
}
_KIND_OF_MEDIA = {
    "media_call": "call",
    "media_contact": "contact",
    "media_location": "location",
    "media_live_location": "location",
    "media_venue": "location",
    "media_poll": "text",
}
_CAPTURED = {"date", "from", "fwd_from", "text", "service", "title", "status", "description"}
_CAPTURED |= {"question", "answer", "signature"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WEB = re.compile(r"^https?://", re.IGNORECASE)


@dataclass
class _Draft:
    """One ``div.message`` as read so far."""

    line: int
    depth: int  # length of the div stack when it opened
    html_id: str | None
    service: bool
    joined: bool
    date_title: str | None = None
    parts: dict[str, list[str]] = field(default_factory=dict)
    media: set[str] = field(default_factory=set)
    hrefs: list[str] = field(default_factory=list)
    reply: str | None = None
    forwarded: bool = False
    size: int = 0
    cut: bool = False  # text over MAX_TEXT, or the file ended inside the message
    links: list[tuple[str, int]] = field(default_factory=list)  # href, where its text starts
    shares: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def text(self, role: str) -> str:
        return "".join(self.parts.get(role, ()))


class _ChatPage(HTMLParser):
    """Collects finished messages (``done``) and the chat's title from a tdesktop page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []  # role of every open div
        self.draft: _Draft | None = None
        self.done: list[_Draft] = []
        self.title: list[str] = []
        self.skip_span = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        classes = set(values.get("class", "").split())
        if tag == "div":
            role = self._open_div(classes, values.get("id"))
            self.stack.append(role)
            if self.draft is not None and role == "date":
                self.draft.date_title = values.get("title")
            elif self.draft is not None and role == "answer":
                self.draft.parts.setdefault("answer", []).append("\n")
        elif tag == "br":
            self._data("\n")
        elif self.draft is None:
            return
        elif tag == "a" and "media" in self.stack[self.draft.depth :]:
            self.draft.media |= classes
            if values.get("href"):
                self.draft.hrefs.append(values["href"])
        elif tag == "a" and self.stack[-1:] == ["text"] and _WEB.match(values.get("href", "")):
            self.draft.links.append((values["href"], len(self.draft.parts.get("text", ()))))
        elif tag == "a" and self.stack[-1:] == ["reply"]:
            found = _GO_TO.search(values.get("href", ""))
            self.draft.reply = found.group(1) if found else self.draft.reply
        elif tag == "span" and self.stack[-1:] == ["fwd_from"] and "date" in classes:
            self.skip_span += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.skip_span:
            self.skip_span -= 1
        if tag == "a" and self.draft is not None and self.draft.links:
            href, start = self.draft.links.pop()
            text = "".join(self.draft.parts.get("text", [])[start:])
            if not text.startswith("@"):  # a mention links to the profile, it shares nothing
                entry = {"link": href} | ({"share_text": text} if text != href else {})
                self.draft.shares.append(canonical_entry(entry))
        if tag != "div" or not self.stack:
            return
        role = self.stack.pop()
        if role == "message" and self.draft is not None:
            self.done.append(self.draft)
            self.draft = None

    def handle_data(self, data: str) -> None:
        self._data(data)

    def handle_entityref(self, name: str) -> None:
        self._data(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
            self._data(chr(code) if not 0xD800 <= code <= 0xDFFF else "\ufffd")
        except (ValueError, OverflowError):
            self._data("\ufffd")
            if self.draft is not None:
                self.draft.problems.append(f"invalid character reference &#{name[:20]};")

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """``<![…`` sections; the standard library raises AssertionError on an unknown
        keyword (a damaged ``<!DOCTYPE``): skipped to its ``>`` as a bogus declaration."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i)
            if self.draft is not None and end >= 0:
                self.draft.problems.append("damaged markup declaration skipped")
            return -1 if end < 0 else end + 1

    def close_draft(self, problem: str) -> None:
        """Finish an unclosed message (a new one started, or the file ended)."""
        if self.draft is not None:
            self.draft.problems.append(problem)
            self.draft.cut = self.draft.cut or problem.endswith("(truncated)")
            del self.stack[self.draft.depth - 1 :]
            self.done.append(self.draft)
            self.draft = None

    def _open_div(self, classes: set[str], html_id: str | None) -> str:
        if "message" in classes and ("default" in classes or "service" in classes):
            self.close_draft("not closed before the next message")
            self.draft = _Draft(
                line=self.getpos()[0],
                depth=len(self.stack) + 1,
                html_id=html_id,
                service="service" in classes,
                joined="joined" in classes,
            )
            return "message"
        if self.draft is None:
            if "page_header" in classes:
                return "header"
            return "title" if "header" in self.stack and {"text", "bold"} <= classes else ""
        return self._role(classes)

    def _role(self, classes: set[str]) -> str:
        assert self.draft is not None
        inside = self.stack[self.draft.depth :]
        if "service" in inside:  # some versions wrap the line in a further div
            return "service"
        if "media" in inside:
            self.draft.media |= classes
            for role in ("title", "status", "description", "question", "answer"):
                if role in classes:
                    return role
            return "media"
        if {"date", "details"} <= classes and "pull_right" in classes:
            return "date"
        if "from_name" in classes:
            return "fwd_from" if "forwarded" in inside else "from"
        if {"forwarded", "body"} <= classes:
            self.draft.forwarded = True
            return "forwarded"
        for css, role in (("reply_to", "reply"), ("media_wrap", "media"), ("text", "text")):
            if css in classes:
                return role
        if self.draft.service and {"body", "details"} <= classes:
            return "service"
        return "signature" if "signature" in classes else "other"

    def _data(self, data: str) -> None:
        if self.draft is None:
            if self.stack[-1:] == ["title"]:
                self.title.append(data)
            return
        role = self.stack[-1] if len(self.stack) > self.draft.depth else ""
        if role not in _CAPTURED or (role == "fwd_from" and self.skip_span):
            return
        self.draft.size += len(data)
        if self.draft.size > MAX_TEXT:
            if not self.draft.cut:
                self.draft.cut = True
                self.draft.problems.append(f"text over {MAX_TEXT} characters cut")
            return
        self.draft.parts.setdefault(role, []).append(data)


def _block_text(raw: str) -> str:
    """Text of a tdesktop block: its markup newline and indentation removed."""
    raw = raw[1:] if raw.startswith("\n") else raw
    return re.sub(r"\n[ \t]*$", "", raw)


@dataclass(frozen=True)
class _When:
    utc: str | None
    raw: str
    tz: str | None
    assumed: bool
    flags: tuple[str, ...]


@dataclass
class _Run:
    """One extraction of one page: sender carried forward, accounts seen, day shown."""

    source: Source
    ctx: Context
    members: frozenset[str]
    thread_id: str = ""
    title: str | None = None
    last_sender: str | None = None
    day: str = ""
    last_utc: str = ""
    names: set[str] = field(default_factory=set)
    messages: int = 0

    def records(self, draft: _Draft) -> Iterator[Record]:
        loc = self.source.locate(line=draft.line)
        for problem in draft.problems:
            yield self.ctx.warn(loc, f"message at line {draft.line}: {problem}")
        found = _MESSAGE_ID.fullmatch(draft.html_id or "")
        if draft.service and found and found.group(1).startswith("-"):
            self.day = replace_surrogates(_block_text(draft.text("service")).strip())[0]
            self.last_sender = None
            return
        self.ctx.check_cancelled()
        self.ctx.progress(1)
        self.messages += 1
        if draft.service:
            yield self._service(draft, loc, found.group(1) if found else None)
            return
        yield from self._message(draft, loc, found.group(1) if found else None)

    def _service(self, draft: _Draft, loc: Locator, message_id: str | None) -> Message:
        self.last_sender = None
        text, raw_text = replace_surrogates(_block_text(draft.text("service")))
        return Message(
            locator=loc,
            platform=PLATFORM,
            thread_id=self.thread_id,
            thread_title=self.title,
            sent_at_raw=self.day,
            flags=("time_unparsed",) + (("text_fixed",) if raw_text != text else ()),
            kind="system",
            text=text,
            raw_text=raw_text if raw_text != text else None,
            message_id=message_id,
        )

    def _message(self, draft: _Draft, loc: Locator, message_id: str | None) -> Iterator[Record]:
        name = replace_surrogates(draft.text("from").strip())[0] or None
        if draft.joined:
            name = self.last_sender
            if name is None:
                yield self.ctx.warn(loc, f"joined message at line {draft.line} has no sender")
        elif name is None:
            yield self.ctx.warn(loc, f"message at line {draft.line} names no sender")
        name = _VIA.sub("", name) if name else name
        self.last_sender = name
        key = None
        if name and name != DELETED:
            account = Account(locator=loc, platform=PLATFORM, display_name=name)
            key = account.key
            if name not in self.names:
                self.names.add(name)
                yield account
        when = self._when(draft)
        if when.utc is None:
            yield self.ctx.warn(loc, f"unreadable time {when.raw[:40]!r} at line {draft.line}")
        kind = _kind(draft.media)
        text, raw_text = replace_surrogates(_block_text(draft.text("text")))
        if not text and kind in ("contact", "location", "text"):
            text = replace_surrogates(_describe(draft))[0]
        attachments, missing = self._attachments(draft) if kind == "media" else ([], [])
        for path in missing:
            yield self.ctx.warn(loc, f"message at line {draft.line}: {path!r} not in the archive")
        call = _CALL.fullmatch(draft.text("status").strip()) if kind == "call" else None
        yield Message(
            locator=loc,
            platform=PLATFORM,
            thread_id=self.thread_id,
            thread_title=self.title,
            sender_key=key,
            sender_identifier=name,
            sent_at_utc=when.utc,
            sent_at_raw=when.raw,
            tz=when.tz,
            tz_assumed=when.assumed,
            flags=self._flags(draft, when, raw_text != text),
            kind=kind,
            text=text,
            raw_text=raw_text if raw_text != text else None,
            attachments=tuple(attachments),
            edited=bool(re.search(r"\bedited\b", draft.text("date"))),
            reply_to=draft.reply,
            message_id=message_id,
            direction=_MESSAGE_DIRECTION.get(call.group(1)) if call else None,
            shares=tuple(replace_surrogates(share)[0] for share in draft.shares),
            forwarded_from=_forwarded_from(draft),
        )
        if kind == "call":
            yield _call(loc, self.thread_id, when, key, call)

    def _when(self, draft: _Draft) -> _When:
        raw = replace_surrogates(draft.date_title or "")[0]
        found = _TITLE.fullmatch(raw)
        naive = None
        if found is not None:
            day, month, year, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
            try:
                naive = datetime(year, month, day, hour, minute, second)
            except ValueError:
                naive = None
        if found is None or naive is None:
            return _When(None, raw, None, False, ("time_unparsed",))
        if found.group(7):
            sign = 1 if found.group(7) == "+" else -1
            offset = sign * timedelta(hours=int(found.group(8)), minutes=int(found.group(9)))
            try:
                utc = format_utc((naive - offset).replace(tzinfo=UTC))
            except OverflowError:
                return _When(None, raw, None, False, ("time_unparsed",))
            zone_shown = f"UTC{found.group(7)}{found.group(8)}:{found.group(9)}"
            return _When(utc, raw, zone_shown, False, ())
        resolved = local_to_utc(naive, self.ctx.tz)
        return _When(resolved.utc, raw, self.ctx.tz, True, resolved.flags)

    def _flags(self, draft: _Draft, when: _When, fixed: bool) -> tuple[str, ...]:
        flags = list(when.flags)
        if fixed:
            flags.append("text_fixed")
        if draft.forwarded:
            flags.append("forwarded")  # the words are someone else's; the sender passed them on
        if draft.cut:
            flags.append("truncated")
        if when.utc is not None and self.last_utc and when.utc < self.last_utc:
            flags.append("out_of_order")
        self.last_utc = when.utc or self.last_utc
        return tuple(flags)

    def _attachments(self, draft: _Draft) -> tuple[list[str], list[str]]:
        found, missing = [], []
        for href in draft.hrefs:
            if _SCHEME.match(href) or href.startswith("#"):
                continue  # a map link, not a file of the export
            path = replace_surrogates(href)[0]
            if self.members and self.source.member is not None:
                base = posixpath.dirname(self.source.member)
                member = posixpath.normpath(posixpath.join(base, path))
                if member in self.members:
                    path = member
                else:
                    missing.append(path)
            found.append(path)
        return found, missing


def _forwarded_from(draft: _Draft) -> str | None:
    """The original author a forwarded block names (its ``from_name``, date left out)."""
    if not draft.forwarded:
        return None
    name = " ".join(_block_text(draft.text("fwd_from")).split())
    return replace_surrogates(name)[0] or None


def _kind(media: set[str]) -> str:
    for css, kind in _KIND_OF_MEDIA.items():
        if css in media:
            return kind
    return "media" if media else "text"


def _describe(draft: _Draft) -> str:
    """Shown details of a contact, location or poll (the message itself has no text)."""
    if draft.parts.get("question"):
        answers = [a.strip() for a in draft.text("answer").split("\n") if a.strip()]
        return f"poll: {draft.text('question').strip()} ({'; '.join(answers)})"
    parts = [draft.text(role).strip() for role in ("title", "description", "status")]
    return ", ".join(p for p in parts if p)


def _call(
    loc: Locator, thread_id: str, when: _When, key: str | None, status: re.Match[str] | None
) -> Call:
    direction = _CALL_DIRECTION[status.group(1)] if status else "unknown"
    return Call(
        locator=loc,
        platform=PLATFORM,
        thread_id=thread_id,
        party_key=key if direction != "outgoing" else None,
        started_at_utc=when.utc,
        started_at_raw=when.raw,
        tz=when.tz,
        tz_assumed=when.assumed,
        flags=when.flags,
        duration_s=int(status.group(2)) if status and status.group(2) else None,
        direction=direction,
    )


class TelegramHtmlExtractor:
    """Telegram Desktop ``messages*.html`` pages of one chat."""

    name: ClassVar[str] = "telegram_html"
    version: ClassVar[str] = "1.1"
    description: ClassVar[str] = "Telegram Desktop export, HTML (messages.html, messages2.html…)"

    def sniff(self, source: Source) -> bool:
        """An .html page with tdesktop's chat page or message markup."""
        if not source.name.lower().endswith((".html", ".htm")):
            return False
        head = source.head
        return b'class="page_body chat_page"' in head or b'class="message default' in head

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Each message's sender Account (first time seen), Message and, for calls, Call."""
        run = _Run(source, ctx, frozenset(s.member for s in source.siblings))
        page = _ChatPage()
        decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        first = True
        with source.open() as stream:
            for chunk in iter(lambda: stream.read(READ_CHUNK), b""):
                text = decoder.decode(chunk)
                if first:
                    text, first = text.removeprefix("\ufeff"), False
                yield from self._feed(page, run, text)
        yield from self._feed(page, run, decoder.decode(b"", final=True), final=True)
        if run.messages == 0:
            yield ctx.warn(source.locate(line=1), "no Telegram messages found")

    def _feed(self, page: _ChatPage, run: _Run, text: str, final: bool = False) -> Iterator[Record]:
        page.feed(text)
        if len(page.rawdata) > MAX_PENDING:
            line = page.getpos()[0]
            page.rawdata = ""
            yield run.ctx.warn(
                run.source.locate(line=line),
                f"unterminated markup of over {MAX_PENDING} characters at line {line} dropped",
            )
        if final:
            page.close()
            page.close_draft("the file ends inside this message (truncated)")
        if page.title and run.title is None:
            run.title = replace_surrogates(" ".join("".join(page.title).split()))[0] or None
        if not run.thread_id and (run.title or page.done):
            run.thread_id = run.title or f"file:{run.source.sha256[:16]}"
        for draft in page.done:
            yield from run.records(draft)
        page.done.clear()


register(TelegramHtmlExtractor())

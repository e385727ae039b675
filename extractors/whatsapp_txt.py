"""WhatsApp "Export chat" text, Android and iOS (FORMATS.md §1).

One message is a header line (date, time, maybe a sender) plus any following lines that are
not headers. The header grammar is read generously (brackets or not, ``/ . -`` dates, ``:``
or ``.`` times, seconds or not, 12 h with ``am``/``p. m.``/U+202F, Finnish ``klo``,
Croatian ``13. 6. 2018.``), then fixed per file: the file is read twice, and the first pass
finds the header layout most lines use (a line with another layout is text, and warned) and
the day/month/year order that every header of that layout allows (a field > 12 decides).
When more than one order fits, day-first is taken (month-first for the US and the
Philippines) and every message is flagged ``date_order_assumed``.

Times carry no zone: they are the exporting phone's wall clock, converted with the zone the
examiner stated (``tz_assumed``, DST flags). U+200E/U+200F are removed from text (raw kept,
``text_fixed``); U+200C/U+200D are content. Export markers are not text: media references
(matched to the other members of the zip), omitted media, deleted and edited markers,
missed calls, locations. System lines are known by the header shape (no ``Name: ``), or on
iOS by a leading U+200E before known system wording (iOS writes them as if from someone).

Private modules: ``_whatsapp_lines`` (decoding), ``_whatsapp_grammar`` (header patterns,
layout and date order), ``_whatsapp_markers`` (body markers, sender split, member matching).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import ClassVar

from extractors._whatsapp_grammar import (
    SHAPE_GROUPS,
    Layout,
    date_of,
    learn_layout,
    match_header,
    shape_of,
)
from extractors._whatsapp_lines import MAX_LINE as MAX_LINE  # re-export: tests
from extractors._whatsapp_lines import read_chunks
from extractors._whatsapp_markers import E2E, MARKS, classify, match_member, split_sender
from extractors.base import Context, Source
from extractors.identifiers import phone_e164, region_of_numbers
from extractors.records import Account, Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import Resolved, local_to_utc, zone

PLATFORM = "whatsapp"
MAX_BODY = 4 << 20  # characters of one message kept; further lines are dropped with a warning
MAX_LINE_WARNINGS = 100  # per kind of line problem; the rest are counted in one warning
_CHAT_PREFIXES = (  # English forms seen; the others are unverified localisations
    "WhatsApp Chat with ",
    "WhatsApp Chat - ",
    "WhatsApp-Chat mit ",
    "Chat de WhatsApp con ",
    "Conversa do WhatsApp com ",
    "Discussion WhatsApp avec ",
    "Chat WhatsApp con ",
)
_PM = "pP\u0645"  # "p.m.", "PM", Arabic "م" (and "ص" is a.m.)
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-.\u00a0\u202f\u2011]{5,}[0-9]")


@dataclass
class _Pending:
    """A message being collected: its header and body lines."""

    line: int
    stamp: str
    when: datetime | None
    rest: str
    lines: list[str]
    chars: int = 0
    dropped: int = 0
    cut: bool = False
    unparsed: bool = False  # a header-looking line that did not parse is in the body


# After a header candidate that is no header: "Name: " makes it look like a message.
_SENDER_AFTER = re.compile(r"[ \u00a0]?-?[ \u00a0]?[^:\n]{1,60}: ")


class WhatsAppTxtExtractor:
    """WhatsApp "Export chat" .txt (Android ``WhatsApp Chat with X.txt``, iOS ``_chat.txt``)."""

    name: ClassVar[str] = "whatsapp_txt"
    # 1.1: the exporter's "You" is keyed per export ("whatsapp:You (export <sha256[:12]>)"),
    # not shared by every phone's exports.
    # 1.2 (issue 16): date order from the whole file (dates running forward; flags
    # date_order_inferred/_assumed and one warning), Arabic-digit, time-first, Buddhist and
    # Japanese-era headers, localised message types from a table (_whatsapp_locale), venues,
    # Android "null" bodies, unparsed_header, phone regions from the export's own numbers.
    version: ClassVar[str] = "1.2"
    description: ClassVar[str] = "WhatsApp Export chat text (Android and iOS, all header locales)"

    def sniff(self, source: Source) -> bool:
        """Named as an export with a header in the head, or a .txt opening with WhatsApp headers."""
        try:
            return _sniff(source)
        except Exception:  # a sniff never raises: anything odd is "not mine"
            return False

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Two passes: learn the layout and date order, then yield accounts and messages."""
        zone(ctx.tz)  # an unknown zone is the examiner's error: raise before any record
        layout = learn_layout(source, ctx)
        if layout is None:
            yield ctx.warn(
                source.locate(line=1),
                f"no WhatsApp message header found: {source.name} was taken for a chat "
                "export but gave no message",
            )
            return
        if layout.note:
            yield ctx.warn(source.locate(line=1), f"{source.name}: {layout.note}")
        reader = _Reader(source, ctx, layout)
        yield from reader.run()
        if not reader.count:
            yield ctx.warn(
                source.locate(line=1),
                f"{source.name} looks like a WhatsApp chat export but gave no message",
            )


def _sniff(source: Source) -> bool:
    head = source.head
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "ignore")
    elif b"\x00" in head[:4096] and not _named_as_export(source):
        return False  # binary, or UTF-16 without its BOM
    else:
        # NUL bytes in an export (a damaged copy) do not hide it: the reader warns per line.
        text = head.replace(b"\x00", b"").decode("utf-8", "replace")
    lines = [ln for ln in text.lstrip("\ufeff").splitlines()[:200] if ln.strip()]
    headers = [m for m in map(match_header, lines) if m is not None]
    lowered = f"{source.name} {source.path}".lower()
    if "whatsapp" in lowered or source.name == "_chat.txt":
        return bool(headers)  # named as an export: a damaged first line is no reason to refuse
    if match_header(lines[0] if lines else "") is None:
        return False
    if not source.name.lower().endswith(".txt") or len(headers) < 2:
        return False
    # Without the name, ask for something logs rarely have: Android's " - ", a / or . date,
    # a date a log never writes (era, Buddhist or non-ASCII digits, time first), the
    # encryption notice, or senders that are names rather than a log's upper-case levels.
    if any(m["tail"] == " - " or m["ds"] != "-" or not m["d1"].isascii() for m in headers):
        return True
    if any(E2E.search(ln) for ln in lines):
        return True
    senders = {split_sender(ln[m.end() :])[0] for ln, m in _pairs(lines)}
    people = {s for s in senders if s and not s.isupper() and not s.isdigit()}
    return len(headers) >= 3 and len(people) >= 1 and len(senders - people - {None}) == 0


def _pairs(lines: list[str]) -> Iterator[tuple[str, re.Match[str]]]:
    for ln in lines:
        m = match_header(ln)
        if m is not None:
            yield ln, m


def _named_as_export(source: Source) -> bool:
    return "whatsapp" in f"{source.name} {source.path}".lower() or source.name == "_chat.txt"


def _chat_title(source: Source) -> str | None:
    """The chat's name from the export's file or zip name (``WhatsApp Chat with Dan``)."""
    names = [source.name]
    if "!/" in source.path:
        names.append(source.path.rsplit("!/", 1)[0])
    for name in names:
        stem = re.split(r"[\\/]", name)[-1]
        stem = re.sub(r"\.(?:txt|zip)$", "", stem, flags=re.IGNORECASE)
        stem = re.sub(r" \(\d+\)$", "", stem)  # a browser's copy number
        for prefix in _CHAT_PREFIXES:
            if stem.startswith(prefix) and stem[len(prefix) :].strip():
                return stem[len(prefix) :]
    return None


def _resolve(naive: datetime, tz: str) -> Resolved:
    """``local_to_utc``, shortened: one day's (or else one hour's) rule is reused when the
    whole day (or hour) shares it."""
    rule = _day_rule(naive.date(), tz)
    if rule is None:
        rule = _hour_rule(naive.replace(minute=0, second=0, microsecond=0), tz)
    if rule is None:
        return local_to_utc(naive, tz)
    offset, flags = rule
    return Resolved((naive - offset).isoformat() + "Z", flags)


_PLAIN = ("tz_assumed",)


@lru_cache(maxsize=4096)
def _day_rule(day: date, tz: str) -> tuple[timedelta, tuple[str, ...]] | None:
    """The rule of ``_hour_rule`` when every hour of the day has the same one, else None.

    Checked at the first and last second of every hour, where ``_hour_rule`` checks, with
    ``utcoffset`` directly: a moment whose two folds agree converts with that offset and
    only the ``tz_assumed`` flag (what ``local_to_utc`` gives it).
    """
    if not 1000 <= day.year <= 9998:
        return None  # the edges of the calendar: the hour-by-hour path decides
    zone_info = zone(tz)
    start = datetime(day.year, day.month, day.day)
    offset = None
    for hour in range(24):
        for moment in (start.replace(hour=hour), start.replace(hour=hour, minute=59, second=59)):
            first = moment.replace(tzinfo=zone_info, fold=0).utcoffset()
            if first != moment.replace(tzinfo=zone_info, fold=1).utcoffset():
                return None  # a gap or an overlap: flagged, hour by hour
            if offset is None:
                offset = first
            elif first != offset:
                return None
    return (offset, _PLAIN) if offset is not None else None


@lru_cache(maxsize=1024)
def _hour_rule(start: datetime, tz: str) -> tuple[timedelta, tuple[str, ...]] | None:
    """(UTC offset, flags) valid for every second of the hour, or None if they change in it."""
    first, last = start, start + timedelta(minutes=59, seconds=59)
    rules = []
    for moment in (first, last):
        resolved = local_to_utc(moment, tz)
        utc = datetime.strptime(resolved.utc, "%Y-%m-%dT%H:%M:%SZ")
        rules.append((moment - utc, resolved.flags))
    return rules[0] if rules[0] == rules[1] else None


class _Reader:
    """Second pass: messages in file order, with their accounts and warnings."""

    def __init__(self, source: Source, ctx: Context, layout: Layout) -> None:
        self.source, self.ctx, self.layout = source, ctx, layout
        title = _chat_title(source)
        self.thread_title = title
        self.thread_id = f"{PLATFORM}:{title}" if title else f"{PLATFORM}:sha256:{source.sha256}"
        self.accounts: set[str] = set()  # keys of the accounts yielded
        self.keys: dict[str, str] = {}  # sender as written -> account key
        self.prev_utc: str | None = None
        self.problems: dict[str, int] = {}
        self.no_archive_warned = False
        self.orphans = (0, 0, 0)  # first line, last line, count of text before any header
        self.day: date | None = None  # the day of the last message, and its _day_rule
        self.day_rule: tuple[timedelta, tuple[str, ...]] | None = None
        self.count = 0  # messages yielded
        # The country most of the export's numbers are in, before the case's default.
        self.export_region = region_of_numbers(layout.phones, ctx.region) if layout.phones else None
        flags = ["date_order_assumed"] if layout.order_assumed else []
        self.order_flags = (*flags, *(["date_order_inferred"] if layout.order_inferred else []))

    def loc(self, line: int) -> Locator:
        return self.source.locate(line=line)

    def run(self) -> Iterator[Record]:
        pending: _Pending | None = None
        shape = self.layout.shape
        match_candidate = self.layout.pattern.match
        # Header groups -> of this file's layout (True), of another (False), no header (None)
        is_ours: dict[tuple[str | None, ...], bool | None] = {}
        with self.source.open() as f:
            for chunk in read_chunks(f, self.source.head):
                self.ctx.check_cancelled()
                if chunk.problem:
                    yield from self.line_problem(chunk.first, chunk.problem)
                for number, text in enumerate(chunk.lines, chunk.first):
                    m = match_candidate(text)
                    if m is not None:
                        groups = m.group(*SHAPE_GROUPS)
                        ours = is_ours.get(groups)
                        if ours is None:
                            found = shape_of(groups)
                            ours = is_ours[groups] = None if found is None else found == shape
                        if not ours:
                            if ours is not None or _SENDER_AFTER.match(text, m.end()):
                                yield from self.line_problem(
                                    number,
                                    "looks like a header of another layout: kept as text"
                                    if ours is not None
                                    else "looks like a message header but does not parse: "
                                    "kept as text",
                                )
                                if pending is not None:
                                    pending.unparsed = True
                            m = None
                    if m is not None:
                        if self.orphans[2]:
                            yield from self.flush_orphans()
                        if pending is not None:
                            yield from self.emit(pending)
                        pending = self.start(number, text, m)
                        if pending.when is None:
                            yield from self.check_time(pending, m)
                    elif pending is None:
                        if text.strip():
                            first, _, count = self.orphans
                            self.orphans = (first or number, number, count + 1)
                    elif pending.chars + len(text) > MAX_BODY:
                        yield from self.too_long(pending, number)
                    else:
                        pending.lines.append(text)
                        pending.chars += len(text) + 1
                if pending is not None and chunk.cut:
                    pending.cut = True
                self.ctx.progress(chunk.size)
        yield from self.flush_orphans()
        if pending is not None:
            yield from self.emit(pending)
        for what, count in sorted(self.problems.items()):
            if count > MAX_LINE_WARNINGS:
                more = count - MAX_LINE_WARNINGS
                yield self.ctx.warn(self.loc(1), f"{more} more lines: {what} (not listed)")

    def line_problem(self, number: int, what: str) -> Iterator[Record]:
        key = what.split(":")[0]
        self.problems[key] = self.problems.get(key, 0) + 1
        if self.problems[key] <= MAX_LINE_WARNINGS:
            yield self.ctx.warn(self.loc(number), what)

    def flush_orphans(self) -> Iterator[Record]:
        first, last, count = self.orphans
        if count:
            yield self.ctx.warn(
                self.loc(first),
                f"{count} lines of text before the first message header "
                f"(lines {first}-{last}), not part of any message",
            )
            self.orphans = (0, 0, 0)

    def start(self, number: int, text: str, m: re.Match[str]) -> _Pending:
        when = None
        day = date_of((m["d1"], m["d2"], m["d3"]), self.layout.order)
        hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
        if m["ap"]:
            hour = hour % 12 + (12 if m["ap"] in _PM else 0) if hour <= 12 else hour
        if day is not None and hour < 24 and minute < 60 and second < 60:
            when = datetime(day.year, day.month, day.day, hour, minute, second)
        return _Pending(number, m["stamp"], when, text[m.end() :], [])

    def check_time(self, p: _Pending, m: re.Match[str]) -> Iterator[Record]:
        if p.when is None:
            yield self.ctx.warn(
                self.loc(p.line),
                f"date/time {m['stamp']!r} is not valid as {self.layout.order.upper()}",
            )

    def too_long(self, p: _Pending, number: int) -> Iterator[Record]:
        """A body line beyond MAX_BODY: dropped, with one warning per message."""
        if not p.dropped:
            yield self.ctx.warn(
                self.loc(number),
                f"message of line {p.line} longer than {MAX_BODY} characters: "
                "further lines dropped",
            )
        p.dropped += 1

    def emit(self, p: _Pending) -> Iterator[Record]:
        sender, first = split_sender(p.rest)
        raw = "\n".join([first, *p.lines]) if p.lines else first
        body = classify(raw, authored=sender is not None)
        # iOS writes system lines as if from someone: the actor, if any, is in the text.
        who = body.actor if body.kind == "system" else sender
        key = None
        if who is not None:
            key = self.keys.get(who)
            if key is None:
                account = self.account(who, p.line)
                key = self.keys[who] = account.key
                if key not in self.accounts:
                    self.accounts.add(key)
                    yield account
        attachments: list[str] = []
        for name in body.files:
            matched = yield from self.match_sibling(name, p.line, body.match_siblings)
            attachments.append(matched)
        flags: list[str] = []
        utc, tz = None, None
        if p.when is not None:
            day = p.when.date()
            if day != self.day:  # _resolve's first step, kept while the day lasts
                self.day, self.day_rule = day, _day_rule(day, self.ctx.tz)
            if self.day_rule is not None:
                utc, tz = (p.when - self.day_rule[0]).isoformat() + "Z", self.ctx.tz
                flags.extend(self.day_rule[1])
            else:
                try:
                    resolved = _resolve(p.when, self.ctx.tz)
                except (OverflowError, ValueError):
                    resolved = None
                    yield self.ctx.warn(self.loc(p.line), f"time {p.stamp!r} cannot be made UTC")
                if resolved is not None:
                    utc, tz = resolved.utc, self.ctx.tz
                    flags.extend(resolved.flags)
        if utc is None:
            flags.append("time_unparsed")
        flags.extend(self.order_flags)
        if body.null:
            flags.append("body_null")
        if p.unparsed:
            flags.append("unparsed_header")
        fixed = MARKS[0] in raw or MARKS[1] in raw
        if fixed:
            flags.append("text_fixed")
        if utc is not None and self.prev_utc is not None and utc < self.prev_utc:
            flags.append("out_of_order")
        if p.cut:
            flags.append("truncated")
        self.prev_utc = utc or self.prev_utc
        self.count += 1
        yield Message(
            locator=self.loc(p.line),
            platform=PLATFORM,
            thread_id=self.thread_id,
            thread_title=self.thread_title,
            sender_key=key,
            sender_identifier=who,
            sent_at_utc=utc,
            sent_at_raw=p.stamp,
            tz=tz,
            tz_assumed=tz is not None,
            flags=tuple(flags),
            kind=body.kind,
            text=body.text,
            raw_text=raw if fixed or body.null else None,
            attachments=tuple(attachments),
            edited=body.edited,
        )

    def account(self, name: str, line: int) -> Account:
        phone = bool(_PHONE.fullmatch(name))
        return Account(
            locator=self.loc(line),
            platform=PLATFORM,
            display_name=name,
            phone_raw=name if phone else None,
            phone_e164=(phone_e164(name, self.ctx.region, self.export_region) if phone else None),
            is_owner=name == "You",
            # "You" is whoever exported this chat: one phone's exporter, not every phone's.
            key_scope=f"export {self.source.sha256[:12]}" if name == "You" else None,
        )

    def match_sibling(self, name: str, line: int, check: bool) -> Generator[Record, None, str]:
        """The zip member a media marker names (byte-exact, else after NFC); warns if none.

        A generator returning the attachment name (``yield from`` gives it back).
        """
        if not check:
            return name
        siblings = self.source.siblings
        if not siblings and self.source.member is None:
            if not self.no_archive_warned:
                self.no_archive_warned = True
                yield self.ctx.warn(
                    self.loc(line),
                    f"media files are referenced (first: {name!r}) but this chat is not "
                    "inside an archive: they cannot be matched",
                )
            return name
        here = (self.source.member or "").rpartition("/")[0]
        member, problems = match_member(siblings, here, name)
        for problem in problems:
            yield self.ctx.warn(self.loc(line), problem)
        return member


register(WhatsAppTxtExtractor())

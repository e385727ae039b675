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
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import BinaryIO, ClassVar

from extractors.base import Context, Source
from extractors.identifiers import phone_e164
from extractors.records import Account, Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import Resolved, local_to_utc, zone

PLATFORM = "whatsapp"
MAX_LINE = 1 << 20  # bytes of one line kept as text; the rest is skipped with a warning
MAX_BODY = 4 << 20  # characters of one message kept; further lines are dropped with a warning
MAX_LINE_WARNINGS = 100  # per kind of line problem; the rest are counted in one warning
_MARKS = "\u200e\u200f"
# Bidi controls the exporting phone wraps names and numbers in: not part of the name.
_NAME_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069 "
_MONTH_FIRST_REGIONS = frozenset({"US", "PH"})
_ORDERS = ("dmy", "mdy", "ymd", "ydm", "dym", "myd")
_RANK_DAY_FIRST = ("dmy", "dym", "ymd", "mdy", "myd", "ydm")
_RANK_MONTH_FIRST = ("mdy", "myd", "ymd", "dmy", "dym", "ydm")
_CHAT_PREFIXES = (  # English forms seen; the others are unverified localisations
    "WhatsApp Chat with ",
    "WhatsApp Chat - ",
    "WhatsApp-Chat mit ",
    "Chat de WhatsApp con ",
    "Conversa do WhatsApp com ",
    "Discussion WhatsApp avec ",
    "Chat WhatsApp con ",
)

_HEADER = re.compile(
    r"[\u200e\u200f\ufeff]*"
    r"(?P<stamp>(?P<br>\[)?"
    r"(?P<d1>\d{1,4})(?P<ds>[/.\-]) ?(?P<d2>\d{1,4})(?P=ds) ?(?P<d3>\d{1,4})(?P<dot>\.)?"
    r"(?:,[ \u00a0]?|[ \u00a0])(?:klo[ \u00a0])?"
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?"
    r"(?:[ \u00a0\u202f]?(?P<ap>[aApP])\.?[ \u00a0\u202f]?[mM]\.?(?![^\W\d_]))?"
    r"(?(br)\]))"
    r"(?P<tail>(?(br)[ \u00a0]?|(?:[ \u00a0]-[ \u00a0]|:[ \u00a0]|[ \u00a0])))"
)
_EDITED_MARKERS = ("<This message was edited>", "<This message was edited.>")
_DELETED = re.compile(r"(?:This message was deleted|You deleted this message|Message deleted)\.?")
_ATTACHED = re.compile(r"(?m)<attached: (?P<f>[^<>\n]+)>[ \u00a0]*$")
_ATTACHED_OLD = re.compile(r"(?P<f>\S[^\n<>]*?) <attached>")
_FILE_ATTACHED = re.compile(
    r"(?P<f>[^\n]+?) \((?:file attached|Datei angehängt|archivo adjunto"
    r"|arquivo anexado|fichier joint)\)"  # the last two unverified
)
_MEDIA_OMITTED = re.compile(
    r"<(?:Media omitted|Multimédia omitido|Mídia omitida|Medien ausgeschlossen"
    r"|Video message omitted|Video note omitted)>",
    re.IGNORECASE,
)
_IOS_OMITTED = re.compile(
    r"(?:(?:(?P<doc>.+?) (?:• \d+ pages? )?)?document|(?P<card>Contact card)"
    r"|image|video|audio|sticker|GIF|video note) omitted",
    re.IGNORECASE,
)
_CALL = re.compile(
    r"(?:Missed (?:group )?(?:voice|video) call|(?:Group )?(?:Voice|Video) call)(?:[,.] .{0,60})?"
)
_LOCATION = re.compile(r"(?:live )?location: https?://\S+.*|live location shared", re.IGNORECASE)
_E2E = re.compile(
    r"(?:Messages and calls are end-to-end encrypted|Messages to this (?:group|chat) are now"
    r" secured with end-to-end encryption)"
)
_PASSIVE = re.compile(
    r"(?:.+ (?:were|was) added.*|You're (?:now|no longer) an admin|Your security code with .+"
    r"|Disappearing messages .+|This (?:chat|business) .+)\.?"
)
_ACTOR = re.compile(
    r"(?P<a>.+?) (?:created (?:the )?group [\"“]|(?:added|removed) (?!this)"
    r"|left(?: the group)?\.?$|joined using (?:this|a) group's invite link"
    r"|changed (?:the subject|the group (?:name|description|settings)|this group's"
    r"|their phone number|to \+|the message timer)|deleted this group's"
    r"|turned (?:on|off) disappearing messages|reset this group's invite link"
    r"|pinned a message|(?:blocked|unblocked) this (?:contact|business))"
)
_TIGHT_COLON = re.compile(r"(?P<name>[^:\"“”\n]+):(?P<body>\S.*|)", re.DOTALL)
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-.\u00a0\u202f\u2011]{5,}[0-9]")


@dataclass
class _ShapeStats:
    """What the first pass learns about one header layout."""

    count: int = 0
    first_line: int = 0
    invalid: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ORDERS, 0))
    long_positions: set[int] = field(default_factory=set)  # fields written with 4 digits


@dataclass
class _Layout:
    """The file's header layout and date order, decided from all its headers."""

    shape: tuple[object, ...]
    order: str
    order_assumed: bool


@dataclass
class _Line:
    number: int
    text: str
    size: int
    problem: str | None = None
    cut: bool = False  # the file ended inside a character


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


@dataclass
class _Body:
    kind: str
    text: str
    files: tuple[str, ...] = ()
    match_siblings: bool = False
    edited: bool = False
    actor: str | None = None


class WhatsAppTxtExtractor:
    """WhatsApp "Export chat" .txt (Android ``WhatsApp Chat with X.txt``, iOS ``_chat.txt``)."""

    name: ClassVar[str] = "whatsapp_txt"
    version: ClassVar[str] = "1.0"
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
        layout = _learn_layout(source, ctx)
        if layout is None:
            yield ctx.warn(source.locate(line=1), "no WhatsApp message header found")
            return
        yield from _Reader(source, ctx, layout).run()


def _sniff(source: Source) -> bool:
    head = source.head
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "ignore")
    elif b"\x00" in head[:4096]:
        return False
    else:
        text = head.decode("utf-8", "replace")
    lines = [ln for ln in text.lstrip("\ufeff").splitlines()[:200] if ln.strip()]
    headers = [m for m in map(_match, lines) if m is not None]
    lowered = f"{source.name} {source.path}".lower()
    if "whatsapp" in lowered or source.name == "_chat.txt":
        return bool(headers)  # named as an export: a damaged first line is no reason to refuse
    if _match(lines[0] if lines else "") is None:
        return False
    if not source.name.lower().endswith(".txt") or len(headers) < 2:
        return False
    # Without the name, ask for something logs rarely have: Android's " - ", a / or . date,
    # or the encryption notice.
    return any(m["tail"] == " - " or m["ds"] != "-" for m in headers) or any(
        _E2E.search(ln) for ln in lines
    )


def _match(text: str) -> re.Match[str] | None:
    m = _HEADER.match(text)
    if m is None or (m["tail"] in (" ", "\u00a0") and not m["br"] and not m["dot"]):
        return None  # a bare space after the time only follows a "13. 6. 2018." date
    return m


def _shape(m: re.Match[str]) -> tuple[object, ...]:
    tail = m["tail"].strip(" \u00a0") or " "
    return (bool(m["br"]), m["ds"], tail, m["s"] is not None, m["ap"] is not None)


def _fields(m: re.Match[str]) -> tuple[str, str, str]:
    return (m["d1"], m["d2"], m["d3"])


@lru_cache(maxsize=2048)
def _date_of(fields: tuple[str, str, str], order: str) -> date | None:
    parts = dict(zip(order, fields, strict=True))
    y, mo, d = parts["y"], parts["m"], parts["d"]
    if len(y) not in (2, 4) or len(mo) > 2 or len(d) > 2:
        return None
    try:
        return date(int(y) + (2000 if len(y) == 2 else 0), int(mo), int(d))
    except ValueError:
        return None


@lru_cache(maxsize=2048)
def _invalid_orders(fields: tuple[str, str, str]) -> tuple[str, ...]:
    return tuple(o for o in _ORDERS if _date_of(fields, o) is None)


def _learn_layout(source: Source, ctx: Context) -> _Layout | None:
    """First pass: the most used header layout and the date orders its headers allow."""
    stats: dict[tuple[object, ...], _ShapeStats] = {}
    with source.open() as f:
        for line in _read_lines(f, source.head):
            if line.number % 4096 == 0:
                ctx.check_cancelled()
            m = _match(line.text)
            if m is None:
                continue
            st = stats.setdefault(_shape(m), _ShapeStats(first_line=line.number))
            st.count += 1
            fields = _fields(m)
            for pos, value in enumerate(fields):
                if len(value) == 4:
                    st.long_positions.add(pos)
            for order in _invalid_orders(fields):
                st.invalid[order] += 1
    if not stats:
        return None
    shape, best = min(stats.items(), key=lambda kv: (-kv[1].count, kv[1].first_line))
    order, assumed = _decide_order(best, ctx.region.upper() in _MONTH_FIRST_REGIONS)
    return _Layout(shape, order, assumed)


def _decide_order(st: _ShapeStats, month_first: bool) -> tuple[str, bool]:
    """The day/month/year order every header allows; (order, True) when more than one does."""
    rank = _RANK_MONTH_FIRST if month_first else _RANK_DAY_FIRST
    if st.long_positions:
        tiers = [[o for o in _ORDERS if o[p] == "y"] for p in sorted(st.long_positions)]
    else:  # two-digit years: year last is the usual layout, year first only if that fails
        tiers = [["dmy", "mdy"], ["ymd", "ydm"], ["dym", "myd"]]
    for tier in tiers:
        fitting = [o for o in tier if st.invalid[o] == 0]
        if fitting:
            return min(fitting, key=rank.index), len(fitting) > 1
    candidates = [o for tier in tiers for o in tier]
    least = min(st.invalid[o] for o in candidates)
    best = [o for o in candidates if st.invalid[o] == least]
    return min(best, key=rank.index), len(best) > 1


def _read_lines(f: BinaryIO, head: bytes) -> Iterator[_Line]:
    """Lines without their ends, decoded; over-long lines cut, bad bytes replaced (noted)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield from _read_utf16_lines(f)
        return
    number = 0
    while raw := f.readline(MAX_LINE):
        number += 1
        size, problem = len(raw), None
        ended = raw.endswith(b"\n")
        if not ended and len(raw) == MAX_LINE:
            skipped = 0
            while more := f.readline(MAX_LINE):
                skipped += len(more)
                if more.endswith(b"\n"):
                    break
            if skipped:
                size += skipped
                problem = f"line longer than {MAX_LINE} bytes: {skipped} bytes after it skipped"
        raw = raw.rstrip(b"\n").rstrip(b"\r")
        cut = False
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            cut = not ended and exc.reason == "unexpected end of data" and exc.end == len(raw)
            if problem is None or not cut:
                text = raw.decode("utf-8", "replace")
            else:  # cut by the length limit above, not damaged
                text, cut = raw[: exc.start].decode("utf-8", "replace"), False
            if problem is None:
                problem = (
                    "the file ends inside a UTF-8 character (truncated?)"
                    if cut
                    else "invalid UTF-8 bytes replaced by U+FFFD"
                )
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield _Line(number, text, size, problem, cut)


def _read_utf16_lines(f: BinaryIO) -> Iterator[_Line]:
    """A re-saved UTF-16 file (WhatsApp writes UTF-8; Windows editors may not)."""
    stream = io.TextIOWrapper(f, encoding="utf-16", errors="replace", newline="")
    number = 0
    while text := stream.readline(MAX_LINE):
        number += 1
        problem = None
        if len(text) == MAX_LINE and not text.endswith("\n"):
            while (more := stream.readline(MAX_LINE)) and not more.endswith("\n"):
                pass
            problem = f"line longer than {MAX_LINE} characters: the rest skipped"
        text = text.rstrip("\n").rstrip("\r").removeprefix("\ufeff")
        if problem is None and "\ufffd" in text:
            problem = "invalid UTF-16 data replaced by U+FFFD"
        yield _Line(number, text, 2 * len(text), problem)


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


def _split_sender(rest: str) -> tuple[str | None, str]:
    """(sender, body) after the header; sender None for a system line (no ``Name: ``)."""
    name, sep, body = rest.partition(": ")
    if not sep:
        # "Name:" then nothing, or no space ("John Doe:."): still a sender, unless the line
        # reads as system wording.
        m = _TIGHT_COLON.fullmatch(rest)
        if m is None or _ACTOR.match(rest) or _E2E.match(rest):
            return None, rest
        name, body = m["name"], m["body"]
    if any(q in name for q in '"“”') and _ACTOR.match(rest):
        return None, rest  # a group subject with ": " in it, not a sender
    sender = name.strip(_NAME_CONTROLS)
    return (sender, body) if sender else (None, rest)


def _actor(text: str) -> str | None:
    m = _ACTOR.match(text)
    if m is None or _E2E.match(text) or _PASSIVE.fullmatch(text):
        return None
    return m["a"].strip(_NAME_CONTROLS) or None


def _classify(raw: str, authored: bool) -> _Body:
    """Kind, clean text and referenced files of a body (markers are not text)."""
    body = _drop_edited_marker(raw)
    edited = body is not None
    clean = _strip_marks(raw if body is None else body)
    first, _, rest = clean.partition("\n")
    whole = clean.strip()
    if not authored:
        if whole[:1] in "MVG" and _CALL.fullmatch(whole):
            return _Body("call", whole)
        return _Body("system", clean, actor=_actor(whole))
    out = _classify_authored(clean, first.strip(), rest, whole, raw[:1] in _MARKS)
    out.edited = edited
    return out


def _strip_marks(text: str) -> str:
    if "\u200e" in text or "\u200f" in text:
        return text.replace("\u200e", "").replace("\u200f", "")
    return text


def _drop_edited_marker(raw: str) -> str | None:
    """The body without a trailing ``<This message was edited>``; None if it has none."""
    tail = raw.rstrip(" \u200e\u200f")
    for marker in _EDITED_MARKERS:
        if tail.endswith(marker):
            return tail[: -len(marker)].rstrip(" \u00a0\u200e\u200f")
    return None


def _classify_authored(clean: str, first: str, rest: str, whole: str, marked: bool) -> _Body:
    # Each regex sits behind a cheap test: most bodies are plain text.
    if whole[:1] in "TYM" and _DELETED.fullmatch(whole):
        return _Body("deleted", whole)
    if "<attached: " in clean and (m := _ATTACHED.search(clean)):
        caption = clean[: m.start()].rstrip(" \u00a0") + clean[m.end() :]
        return _Body("media", caption.strip("\n"), (m["f"].strip(),), True)
    if first.endswith(("<attached>", ")")) and (
        m := _ATTACHED_OLD.fullmatch(first) or _FILE_ATTACHED.fullmatch(first)
    ):
        return _Body("media", rest, (m["f"].strip(),), True)
    if first.endswith(">") and _MEDIA_OMITTED.fullmatch(first):
        return _Body("media", rest)
    omitted = first[-7:].lower() == "omitted" and _IOS_OMITTED.fullmatch(first)
    if omitted and (marked or not omitted["doc"]):  # a named document needs iOS's mark
        kind = "contact" if omitted["card"] else "media"
        return _Body(kind, rest, (omitted["doc"],) if omitted["doc"] else ())
    if whole[:1] in "MVG" and "\n" not in whole and _CALL.fullmatch(whole):
        return _Body("call", whole)
    if first[:1] in "lL" and _LOCATION.fullmatch(first):
        return _Body("location", clean)
    if marked and (_E2E.match(whole) or _PASSIVE.fullmatch(whole) or _ACTOR.match(whole)):
        return _Body("system", clean, actor=None if _E2E.match(whole) else _actor(whole))
    return _Body("text", clean)


def _resolve(naive: datetime, tz: str) -> Resolved:
    """``local_to_utc``, shortened: one hour's rule is reused when the whole hour shares it."""
    rule = _hour_rule(naive.replace(minute=0, second=0, microsecond=0), tz)
    if rule is None:
        return local_to_utc(naive, tz)
    offset, flags = rule
    return Resolved((naive - offset).isoformat() + "Z", flags)


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

    def __init__(self, source: Source, ctx: Context, layout: _Layout) -> None:
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

    def loc(self, line: int) -> Locator:
        return self.source.locate(line=line)

    def run(self) -> Iterator[Record]:
        pending: _Pending | None = None
        done = 0
        with self.source.open() as f:
            for line in _read_lines(f, self.source.head):
                done += line.size
                if line.number % 4096 == 0:
                    self.ctx.check_cancelled()
                    self.ctx.progress(done)
                    done = 0
                if line.problem:
                    yield from self.line_problem(line.number, line.problem)
                m = _match(line.text)
                if m is not None and _shape(m) != self.layout.shape:
                    yield from self.line_problem(
                        line.number, "looks like a header of another layout: kept as text"
                    )
                    m = None
                if m is not None:
                    yield from self.flush_orphans()
                    if pending is not None:
                        yield from self.emit(pending)
                    pending = self.start(line, m)
                    yield from self.check_time(pending, m)
                elif pending is None:
                    if line.text.strip():
                        first, _, count = self.orphans
                        self.orphans = (first or line.number, line.number, count + 1)
                else:
                    yield from self.append(pending, line)
                if pending is not None and line.cut:
                    pending.cut = True
        self.ctx.progress(done)
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

    def start(self, line: _Line, m: re.Match[str]) -> _Pending:
        when = None
        day = _date_of(_fields(m), self.layout.order)
        hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
        if m["ap"]:
            hour = hour % 12 + (12 if m["ap"] in "pP" else 0) if hour <= 12 else hour
        if day is not None and hour < 24 and minute < 60 and second < 60:
            when = datetime(day.year, day.month, day.day, hour, minute, second)
        return _Pending(line.number, m["stamp"], when, line.text[m.end() :], [])

    def check_time(self, p: _Pending, m: re.Match[str]) -> Iterator[Record]:
        if p.when is None:
            yield self.ctx.warn(
                self.loc(p.line),
                f"date/time {m['stamp']!r} is not valid as {self.layout.order.upper()}",
            )

    def append(self, p: _Pending, line: _Line) -> Iterator[Record]:
        if p.chars + len(line.text) > MAX_BODY:
            if not p.dropped:
                yield self.ctx.warn(
                    self.loc(line.number),
                    f"message of line {p.line} longer than {MAX_BODY} characters: "
                    "further lines dropped",
                )
            p.dropped += 1
            return
        p.lines.append(line.text)
        p.chars += len(line.text) + 1

    def emit(self, p: _Pending) -> Iterator[Record]:
        sender, first = _split_sender(p.rest)
        raw = "\n".join([first, *p.lines]) if p.lines else first
        body = _classify(raw, authored=sender is not None)
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
        if self.layout.order_assumed:
            flags.append("date_order_assumed")
        fixed = any(c in raw for c in _MARKS)
        if fixed:
            flags.append("text_fixed")
        if utc is not None and self.prev_utc is not None and utc < self.prev_utc:
            flags.append("out_of_order")
        if p.cut:
            flags.append("truncated")
        self.prev_utc = utc or self.prev_utc
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
            raw_text=raw if fixed else None,
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
            phone_e164=phone_e164(name, self.ctx.region) if phone else None,
            is_owner=name == "You",
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
        by_dir = sorted(siblings, key=lambda s: s.member.rpartition("/")[0] != here)
        exact = [s for s in by_dir if s.member.rpartition("/")[2] == name]
        nfc = unicodedata.normalize("NFC", name)
        found = exact or [
            s for s in by_dir if unicodedata.normalize("NFC", s.member.rpartition("/")[2]) == nfc
        ]
        if not found:
            yield self.ctx.warn(self.loc(line), f"referenced file {name!r} is not in the archive")
            return name
        if not exact:
            yield self.ctx.warn(
                self.loc(line),
                f"referenced file {name!r} matched member {found[0].member!r} only after "
                "Unicode normalisation (NFC/NFD)",
            )
        if len(found) > 1:
            yield self.ctx.warn(
                self.loc(line),
                f"referenced file {name!r} matches {len(found)} members; took {found[0].member!r}",
            )
        return found[0].member


register(WhatsAppTxtExtractor())

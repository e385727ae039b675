"""Email: single messages (.eml) and mailboxes (mbox), parsed with the standard library.

Two extractors share this module: ``email_eml`` (one RFC 5322 message per file) and
``email_mbox`` (mboxo/mboxrd, Netscape/Thunderbird ``From -``, Gmail Takeout
``From <id>@xxx``). The mbox is split by a streaming splitter over lines (the stdlib
``mailbox`` module reads whole files for some operations), which records each message's
line number and byte offset. A ``From `` line is a separator only if it looks like one
(``From -``, ``From <who> <date>``, or ``From <id>@<host>`` after a blank line) *and* the
next line is a header field: unescaped body lines such as "From Russia with love" stay in
the body. ``>From `` body lines lose one ``>`` (mboxrd); the text before unescaping is kept
as ``raw_text`` with flag ``text_fixed``.

Per message: Accounts (From, To, Cc, Bcc), warnings, one Message, then one DerivedFile per
attachment. A party is its address: ``alice@example.com <bob@example.org>`` (which the
stdlib reads as alice@ alone) is bob@example.org with the display name "alice@example.com",
read by its angle address; a display name that is or holds another address (plain, quoted
or RFC 2047-encoded) is kept as written, warned, and the message flagged
``display_name_other_address``. Times come from ``Date`` (zone given: tz None; no usable
zone: the examiner's zone, flagged); without a readable ``Date`` the first (topmost,
delivering server's) ``Received`` date is used, flagged ``time_unparsed`` and warned. Each
message is capped at ``MAX_MESSAGE_BYTES`` in memory; a larger one is cut, flagged
``truncated`` and warned.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from email.errors import HeaderParseError
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.message import EmailMessage, Message, MIMEPart
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache, partial
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, TypeVar, cast

from extractors.base import Context, Source
from extractors.identifiers import email_key
from extractors.records import Account, DerivedFile, Locator, Record
from extractors.records import Message as MessageRecord
from extractors.registry import register
from extractors.timeutil import format_utc, local_to_utc

PLATFORM = "email"
MAX_MESSAGE_BYTES = 64 << 20  # one message in memory at most (Gmail's limit is 25 MB)
READ_CHUNK = 1 << 20  # longest piece of a line read at once
_BOM = b"\xef\xbb\xbf"
_MONTH = rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DATEISH = re.compile(  # a date as mbox writers put it after the sender
    rb"\b" + _MONTH + rb"\s+\d{1,2}\s+\d{1,2}:\d{2}.*\b\d{4}\b"  # asctime: Mar  4 10:22:50 2024
    rb"|\b\d{1,2}\s+" + _MONTH + rb"\s+\d{4}\s+\d{1,2}:\d{2}"  # RFC 5322: 4 Mar 2024 10:22
    rb"|\b" + _MONTH + rb"\s+\d{1,2},?\s+\d{4}\s+\d{1,2}:\d{2}",  # Mar 4 2024 10:22
    re.IGNORECASE,
)
_SEPARATOR = re.compile(rb"From (\S+)(?:[ \t]+(.*?))?[ \t]*\r?\n?")
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")
_ESCAPED_FROM = re.compile(rb">+From ")
_MSG_ID = re.compile(r"<[^<>\s]+>")
_UTC_MINUS_ZERO = re.compile(r"-0000\s*(?:\([^()]*\))?\s*$")
_KNOWN_HEADERS = {
    b"from", b"to", b"cc", b"date", b"subject", b"message-id", b"received", b"return-path",
    b"mime-version", b"delivered-to", b"references", b"in-reply-to", b"content-type",
}  # fmt: skip
_EXT = {"text/plain": ".txt", "text/html": ".html", "message/rfc822": ".eml", "image/jpeg": ".jpg",
        "image/png": ".png", "image/gif": ".gif", "application/pdf": ".pdf"}  # fmt: skip
_PYTHON_ONLY_CODECS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined"}
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_BYTE_ESCAPE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_ANGLE = re.compile(r"<([^<>]*)>\s*(?:\([^()]*\)\s*)*$")  # the last <…> of a mailbox
_COMMENT = re.compile(r"\([^()]*\)")
_IN_NAME = re.compile(r"[^\s<>\"'(),;:@\[\]]+@[^\s<>\"'(),;:@\[\]]+\.[^\s<>\"'(),;:@\[\]]+")
_T = TypeVar("_T")


# --- splitting ---------------------------------------------------------------------------


@dataclass
class RawMessage:
    """The bytes of one message and where it starts (line of its From_ line, byte offset)."""

    line: int
    offset: int
    data: bytes
    escaped: bytes | None = None  # the bytes before >From unescaping, when any line had it
    at_eof: bool = False
    oversize: int = 0  # bytes beyond MAX_MESSAGE_BYTES that were not kept
    notes: list[str] = field(default_factory=list)


@dataclass
class _Builder:
    line: int
    offset: int
    mbox: bool  # mbox mode: undo >From escapes, drop the blank line before the next From_
    parts: list[bytes] = field(default_factory=list)
    raw: list[bytes] | None = None
    size: int = 0
    dropped: int = 0

    def add(self, piece: bytes, at_line_start: bool) -> None:
        if self.dropped or self.size + len(piece) > MAX_MESSAGE_BYTES:
            self.dropped += len(piece)
            return
        self.size += len(piece)
        if self.mbox and at_line_start and piece[:1] == b">" and _ESCAPED_FROM.match(piece):
            if self.raw is None:
                self.raw = list(self.parts)
            self.parts.append(piece[1:])
        else:
            self.parts.append(piece)
        if self.raw is not None:
            self.raw.append(piece)

    def finish(self, at_eof: bool) -> RawMessage:
        def trimmed(chunks: list[bytes]) -> bytes:
            data = b"".join(chunks)
            if not self.mbox:  # a single .eml: kept as it is
                return data
            # mbox writers end every message with one empty line; it is not message content
            for blank in (b"\r\n\r\n", b"\n\n"):
                if data.endswith(blank):
                    return data[: -len(blank) // 2]
            return data

        escaped = trimmed(self.raw) if self.raw is not None else None
        return RawMessage(
            self.line, self.offset, trimmed(self.parts), escaped, at_eof, self.dropped
        )


def _pieces(stream: BinaryIO) -> Iterator[tuple[int, int, bytes, bool]]:
    """(line number, byte offset, bytes, starts a line) for each piece of at most READ_CHUNK."""
    number, offset, at_start = 1, 0, True
    while piece := stream.readline(READ_CHUNK):
        yield number, offset, piece, at_start
        offset += len(piece)
        at_start = piece.endswith(b"\n")
        number += at_start


def separator_kind(line: bytes, after_blank: bool) -> str | None:
    """Which kind of mbox From_ line this is ("netscape", "dated", "address"), or None."""
    match = _SEPARATOR.fullmatch(line) if len(line) < 1000 else None
    if match is None:
        return None
    who, rest = match.group(1), match.group(2) or b""
    if who == b"-":
        return "netscape"
    if _DATEISH.search(rest):
        return "dated"
    if b"@" in who and not rest and after_blank:
        return "address"  # Google Takeout without a date; weak, so only after a blank line
    return None


def split_mbox(stream: BinaryIO) -> Iterator[RawMessage]:
    """The messages of an mbox, one at a time (memory: one message)."""
    builder: _Builder | None = None
    preamble, after_blank, notes = 0, True, []
    pieces = _pieces(stream)
    current = next(pieces, None)
    while current is not None:
        following = next(pieces, None)
        number, offset, piece, at_start = current
        line = piece.removeprefix(_BOM) if offset == 0 else piece
        kind = separator_kind(line, after_blank) if at_start and line[:5] == b"From " else None
        if kind and not (following and _HEADER_LINE.match(following[2])):
            if after_blank:
                notes.append(f"line {number} looks like a From_ separator but no header follows; "
                             "kept as body text")  # fmt: skip
            kind = None
        if kind:
            if builder is not None:
                yield _with_notes(builder.finish(at_eof=False), notes)
            elif preamble:
                yield _preamble(preamble)
            builder = _Builder(number, offset, mbox=True)
        elif builder is None:
            preamble += len(piece)
        else:
            builder.add(piece, at_start)
        after_blank = at_start and piece in (b"\n", b"\r\n")
        current = following
    if builder is not None:
        yield _with_notes(builder.finish(at_eof=True), notes)
    elif preamble:
        yield _preamble(preamble)


def _preamble(size: int) -> RawMessage:
    note = f"{size} bytes outside any message (before the first From_ line); not parsed"
    return RawMessage(1, 0, b"", notes=[note])


def _with_notes(raw: RawMessage, notes: list[str]) -> RawMessage:
    raw.notes.extend(notes)
    notes.clear()
    return raw


def read_single(stream: BinaryIO) -> Iterator[RawMessage]:
    """A whole .eml file as one message (capped at MAX_MESSAGE_BYTES)."""
    builder = _Builder(1, 0, mbox=False)
    for _, offset, piece, at_start in _pieces(stream):
        builder.add(piece.removeprefix(_BOM) if offset == 0 else piece, at_start)
    raw = builder.finish(at_eof=True)
    if raw.data.strip():
        yield raw


# --- headers ------------------------------------------------------------------------------


def clean(text: str) -> str:
    """Header text with raw 8-bit bytes (surrogate escapes) decoded as UTF-8, else U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    text = _NOT_BYTE_ESCAPE.sub("\ufffd", text)  # surrogates that are no escaped byte (UTF-7)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _guarded(notes: list[str], what: str, fn: Callable[[], _T], fallback: _T, instead: str) -> _T:
    """fn(), or the fallback with a note: the stdlib's header and MIME code can crash on
    malformed input, and one bad header must not cost the rest of the message."""
    try:
        return fn()
    except Exception as exc:
        notes.append(f"{what} unreadable ({type(exc).__name__}: {exc}); {instead}")
        return fallback


def _raw_values(msg: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [
        clean(re.sub(r"\r?\n(?=[ \t])", "", str(value))).strip()
        for key, value in msg.raw_items()
        if key.lower() == wanted
    ]


def received_chain(msg: Message) -> tuple[str, ...]:
    """The Received header values, unfolded, in header order (topmost = last hop first)."""
    return tuple(_raw_values(msg, "Received"))


def _raw(msg: Message, name: str) -> str | None:
    """The first such header exactly as written (unfolded), without MIME decoding."""
    values = _raw_values(msg, name)
    return values[0] if values else None


def _header(msg: MIMEPart, name: str, notes: list[str]) -> str | None:
    def read() -> str | None:
        value = msg.get(name)
        return None if value is None else clean(str(value)).strip()

    raw = _raw_values(msg, name)
    return _guarded(notes, f"{name} header", read, raw[0] if raw else None, "raw value kept")


@dataclass(frozen=True)
class Address:
    """One address as the header writes it."""

    spec: str
    display_name: str | None


def _addresses(msg: MIMEPart, name: str, notes: list[str]) -> tuple[Address, ...]:
    defective = False

    def read() -> tuple[Address, ...]:
        nonlocal defective
        header = msg.get(name)
        if header is None:
            return ()
        for defect in getattr(header, "defects", ()):
            defective = True
            notes.append(f"{name} header: {defect}")
        return tuple(
            Address(clean(a.addr_spec), clean(a.display_name) or None)
            for a in getattr(header, "addresses", ())
            if a.addr_spec and a.addr_spec != "<>"
        )

    none: tuple[Address, ...] = ()
    found = _guarded(notes, f"{name} header", read, none, "read leniently")
    if found and not defective:
        return found
    # The stdlib gives up on shapes mailers (and spoofers) write: "a@x <b@y>" becomes a@x
    # alone, losing b@y, the address the mail is from. Read each mailbox by its <angle
    # address>, the text before it being the display name.
    lenient = tuple(a for raw in _raw_values(msg, name) for a in lenient_addresses(raw))
    if lenient and {a.spec for a in lenient} != {a.spec for a in found}:
        shown = ", ".join(a.spec for a in lenient)
        notes.append(f"{name} header malformed; read by its angle addresses as: {shown}")
        return lenient
    if not found:  # fall back to the lenient old parser before giving up
        pairs = getaddresses(_raw_values(msg, name))
        found = tuple(Address(clean(spec), clean(dn) or None) for dn, spec in pairs if spec)
    return found


def _mailboxes(value: str) -> Iterator[str]:
    """The mailboxes of an address list: split at commas outside quotes, comments and
    angle brackets; a group's name ("team:") and its closing ";" are dropped."""
    start, quoted, depth, angle, i = 0, False, 0, 0, 0
    while i < len(value):
        c = value[i]
        if c == "\\" and (quoted or depth):
            i += 2
            continue
        if quoted:
            quoted = c != '"'
        elif c == '"':
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")" and depth:
            depth -= 1
        elif depth:
            pass
        elif c == "<":
            angle += 1
        elif c == ">" and angle:
            angle -= 1
        elif not angle and c in ",;":
            yield value[start:i]
            start = i + 1
        elif not angle and c == ":":
            start = i + 1  # a group's display name
        i += 1
    yield value[start:]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = re.sub(r"\\(.)", r"\1", text[1:-1])
    return text.strip()


def _decoded_words(text: str) -> str:
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (HeaderParseError, LookupError, UnicodeError, ValueError):
        return text


def lenient_addresses(value: str) -> list[Address]:
    """Mailboxes of a header value read by their angle addresses: ``alice@x <bob@y>`` is
    bob@y shown as "alice@x". A mailbox without angle brackets is its address, a comment
    after it (``bob@y (Bob)``) its name. Parts with no ``@`` are left out."""
    found = []
    for box in _mailboxes(value):
        angle = _ANGLE.search(box)
        if angle is not None:
            spec = angle.group(1).rpartition(":")[2].strip()  # drop an obsolete route
            shown = _decoded_words(_unquote(box[: angle.start()]))
        else:
            comments = _COMMENT.findall(box)
            spec = _COMMENT.sub("", box).strip()
            shown = " ".join(c[1:-1].strip() for c in comments)
        if "@" in spec and not any(ch.isspace() for ch in spec):
            found.append(Address(clean(spec), clean(shown) or None))
    return found


def other_addresses(address: Address) -> list[str]:
    """Addresses written in the display name that are not the address itself (a name such
    as "alice@example.com" on the mail of bob@example.org)."""
    own = (email_key(address.spec) or address.spec).casefold()
    shown = _IN_NAME.findall(address.display_name or "")
    return [a for a in dict.fromkeys(shown) if a.casefold() != own]


def _first_id(value: str | None) -> str | None:
    if not value:
        return None
    match = _MSG_ID.search(value)
    if match:
        return match.group(0)
    words = value.split()
    return words[0] if words else None


def _thread_id(msg: MIMEPart, raw: RawMessage) -> str:
    gmail = _raw(msg, "X-GM-THRID")
    if gmail:
        return f"X-GM-THRID:{gmail}"
    for name in ("References", "In-Reply-To", "Message-ID"):
        root = _first_id(_raw(msg, name))
        if root:
            return root
    return f"no-message-id:line-{raw.line}"


def _direction(msg: MIMEPart, notes: list[str]) -> str | None:
    labels = {
        x.strip().casefold() for x in (_header(msg, "X-Gmail-Labels", notes) or "").split(",")
    }
    if "sent" in labels:
        return "outgoing"
    return "incoming" if "inbox" in labels else None


# --- time ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentTime:
    """The instant a Date (or Received) text gives, and how it was obtained."""

    utc: str | None
    raw: str
    tz: str | None = None
    assumed: bool = False
    flags: tuple[str, ...] = ()


def parse_date(raw: str, tz_name: str, notes: list[str]) -> SentTime | None:
    """An RFC 5322 date; a zone-less or unknown-zone date is converted with ``tz_name``."""
    try:
        moment = parsedate_to_datetime(raw)
        if moment.tzinfo is not None:
            return SentTime(format_utc(moment), raw)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    if _UTC_MINUS_ZERO.search(raw):  # RFC 5322: "-0000" is UTC with no local zone given
        return SentTime(format_utc(moment.replace(tzinfo=UTC)), raw)
    try:
        resolved = local_to_utc(moment, tz_name)
    except OverflowError:  # a date at the edge of the calendar
        return None
    notes.append(f"Date {raw!r} has no usable zone; read as local time in {tz_name}")
    return SentTime(resolved.utc, raw, tz_name, True, resolved.flags)


def _sent_time(msg: MIMEPart, chain: tuple[str, ...], tz_name: str, notes: list[str]) -> SentTime:
    raw = _raw(msg, "Date")
    if raw:
        found = parse_date(raw, tz_name, notes)
        if found is not None:
            return found
        problem = f"Date {raw!r} unreadable"
    else:
        problem = "no Date header" if raw is None else "empty Date header"
    for hop in chain:
        stamp = hop.rpartition(";")[2].strip()
        found = parse_date(stamp, tz_name, notes) if stamp else None
        if found is not None:
            notes.append(
                f"{problem}; time taken from the first (topmost) Received header, the time "
                f"the delivering server received it: {stamp!r}"
            )
            return SentTime(found.utc, found.raw, found.tz, found.assumed,
                            (*found.flags, "time_unparsed"))  # fmt: skip
    notes.append(f"{problem}; no time")
    return SentTime(None, raw or "", flags=("time_unparsed",))


# --- body text ----------------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """Crude HTML to text: drops script/style, breaks lines at block elements."""

    _BLOCK = frozenset(
        {"address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "h1", "h2", "h3",
         "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "section", "table", "td", "th", "tr",
         "ul"}
    )  # fmt: skip
    _HIDDEN = frozenset({"script", "style", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in self._HIDDEN
        if tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(re.sub(r"[ \t\n\r\f]+", " ", data))  # HTML white space only


def html_to_text(html: str) -> str:
    """The visible text of an HTML body, one block per line (crude, by html.parser)."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.chunks).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: join soft-broken lines (trailing space), undo space-stuffing."""
    out: list[str] = []
    lead, joined, depth = "", "", -1  # the open paragraph; depth -1 = none open
    for line in text.split("\n"):
        level = len(line) - len(line.lstrip(">"))
        content = line[level:]
        stuffed = content.startswith(" ")
        content = content[1:] if stuffed else content
        if depth >= 0 and level != depth:
            out.append(lead + joined)
            depth = -1
        if depth < 0:
            lead, joined = line[:level] + (" " if level and stuffed else ""), content
        else:
            joined += content
        if content.endswith(" ") and content != "-- ":
            joined, depth = (joined[:-1] if delsp else joined), level
        else:
            out.append(lead + joined)
            depth = -1
    if depth >= 0:
        out.append(lead + joined)
    return "\n".join(out)


def _codec(charset: str) -> str | None:
    """The Python codec of a MIME charset; None if unknown or not a charset mail can use."""
    try:
        info = codecs.lookup(charset)
    except LookupError:
        return None
    usable = getattr(info, "_is_text_encoding", True) and info.name not in _PYTHON_ONLY_CODECS
    return info.name if usable else None


def _decoded(data: bytes, codec: str, errors: str) -> str | None:
    try:
        return data.decode(codec, errors)
    except (UnicodeError, LookupError):
        return None


def _decode_part(part: MIMEPart, notes: list[str]) -> tuple[str, str | None]:
    """The text of a text/* part, and the text with undecodable bytes shown, if there were any."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    declared = _guarded(notes, "charset", part.get_content_charset, None, "ignored")
    codec = _codec(declared or "us-ascii")
    if codec is None:
        notes.append(f"unknown charset {declared!r}; decoded as UTF-8")
    for candidate in (codec or "utf-8", "utf-8"):
        text = _decoded(data, candidate, "strict")
        if text is None:
            continue
        if candidate != (codec or "utf-8"):
            notes.append(f"body is not valid {declared or 'ASCII (no charset)'}; decoded as UTF-8")
        if not _has_lone_surrogates(text):
            return text, None
        notes.append("body decodes to unpaired UTF-16 surrogates; replaced with U+FFFD")
        return _replace_lone_surrogates(text), text.encode("utf-8", "backslashreplace").decode()
    codec = codec or "utf-8"
    notes.append(f"body has bytes that are not valid {codec}; replaced with U+FFFD")
    text = _decoded(data, codec, "replace") or data.decode("utf-8", "replace")
    shown = _decoded(data, codec, "backslashreplace") or data.decode("utf-8", "backslashreplace")
    return _replace_lone_surrogates(text), shown


def _has_lone_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _replace_lone_surrogates(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True)
class Body:
    """The message text as shown to a reader, and how it was obtained."""

    text: str
    raw_text: str | None = None
    part: MIMEPart | None = None
    flags: tuple[str, ...] = ()


def _tidy(text: str, part: MIMEPart) -> str:
    text = text.replace("\r\n", "\n")
    if str(part.get_param("format", "")).lower() == "flowed":
        text = unflow(text, str(part.get_param("delsp", "")).lower() == "yes")
    return text.rstrip("\n")  # the last line's line break is not content


def body_text(msg: MIMEPart, notes: list[str]) -> Body:
    """The text/plain body (decoded), else the HTML body converted to text, else ''."""
    find = partial(msg.get_body, ("plain", "html"))
    part = _guarded(notes, "MIME body", find, None, "no text; parts kept as attachments")
    if part is None:
        return Body("")
    text, shown = _decode_part(part, notes)
    if part.get_content_type() == "text/html":
        notes.append("no text/plain body: text converted from the HTML body (crude); HTML kept")
        html = _tidy(text, part)
        converted = _guarded(notes, "HTML", partial(html_to_text, html), html, "HTML kept as text")
        return Body(converted, html, part, ("text_fixed",))
    flags = ("text_fixed",) if shown is not None else ()
    return Body(_tidy(text, part), None if shown is None else _tidy(shown, part), part, flags)


# --- attachments --------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """An attachment (any part that is not the body or another rendering of it)."""

    path: str  # IMAP-style part number, e.g. "2" or "1.3"
    name: str
    mime: str
    data: bytes


def _contains(tree: MIMEPart, part: MIMEPart) -> bool:
    return any(p is part for p in tree.walk())


def _leaf_parts(
    part: MIMEPart, body: MIMEPart | None, path: str, in_body_alt: bool
) -> Iterator[tuple[str, MIMEPart]]:
    if part is body:
        return
    if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
        alt = in_body_alt or (
            part.get_content_subtype() == "alternative"
            and body is not None
            and _contains(part, body)
        )
        for number, child in enumerate(cast(list[MIMEPart], part.get_payload()), 1):
            yield from _leaf_parts(child, body, f"{path}.{number}" if path else str(number), alt)
        return
    if in_body_alt and part.get_content_maintype() == "text" and not part.is_attachment():
        return  # the HTML (or plain) twin of the body, not an attachment
    if part.get_content_maintype() == "multipart" and not str(part.get_payload()).strip():
        return  # an empty multipart whose boundary never came (the defect is warned)
    yield path or "1", part


def _generated(msg: EmailMessage) -> bytes:
    buffer = io.BytesIO()
    policy = email.policy.default.clone(max_line_length=0, refold_source="none")
    BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(msg)
    return buffer.getvalue()


def _part_bytes(part: MIMEPart) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822, message/delivery-status: re-generated
        return b"".join(_generated(m) for m in cast(list[EmailMessage], payload))
    if part.get_content_maintype() == "multipart":  # boundary never found: the body as is
        return str(payload).encode("utf-8", "surrogateescape")
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def attachments(msg: MIMEPart, body: MIMEPart | None, notes: list[str]) -> list[Attachment]:
    """Every attachment of the message, in MIME order, with decoded bytes."""
    found = []
    for path, part in _leaf_parts(msg, body, "", False):
        mime = part.get_content_type()
        name = _guarded(notes, f"file name of part {path}", part.get_filename, None, "generated")
        if not name:
            ext = _EXT.get(mime, ".txt" if mime.split("/")[0] in ("text", "message") else ".bin")
            name = f"part-{path}{ext}"
        data = _guarded(notes, f"MIME part {path}", partial(_part_bytes, part), b"", "no bytes")
        found.append(Attachment(path, clean(name), mime, data))
    return found


def _defects(msg: MIMEPart, at_eof: bool) -> tuple[list[str], bool]:
    """MIME structure defects (not inside attached messages), and whether the file ends inside."""
    notes, truncated = [], False
    stack: list[tuple[str, MIMEPart]] = [("", msg)]
    while stack:
        path, part = stack.pop(0)
        names = sorted({type(d).__name__ for d in part.defects})
        if names:
            notes.append(f"MIME defects in {f'part {path}' if path else 'the message'}: "
                         + ", ".join(names))  # fmt: skip
        truncated |= at_eof and "CloseBoundaryNotFoundDefect" in names
        if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
            children = cast(list[MIMEPart], part.get_payload())
            stack.extend((f"{path}.{i}" if path else str(i), c) for i, c in enumerate(children, 1))
    if truncated:
        notes.append("the file ends inside this message (closing MIME boundary missing)")
    return notes, truncated


# --- records ------------------------------------------------------------------------------


@dataclass
class _Seen:
    accounts: set[tuple[str, str | None]] = field(default_factory=set)
    messages: int = 0


@lru_cache(maxsize=8192)
def _parsed_header(name: str, value: str) -> Any:
    return email.policy.default.header_fetch_parse(name, value)


if TYPE_CHECKING:
    _PolicyBase = EmailPolicy[EmailMessage]
else:
    _PolicyBase = EmailPolicy  # not subscriptable at run time


class _RememberingPolicy(_PolicyBase):
    """``email.policy.default`` that parses each distinct header value once: the stdlib
    re-parses a header on every access (Content-Type many times per message), which held
    mailboxes to a few hundred messages a second. Header objects are immutable."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, value)


_POLICY = _RememberingPolicy()


def _parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=_POLICY)


def _sender(msg: MIMEPart, senders: tuple[Address, ...], notes: list[str]) -> str | None:
    if senders:
        return senders[0].spec
    written = _raw(msg, "From")
    notes.append("From header has no readable address" if written else "no From header")
    return written or None


def _client_notes(msg: MIMEPart, notes: list[str]) -> None:
    status = _raw(msg, "X-Mozilla-Status") or ""
    if re.fullmatch(r"[0-9A-Fa-f]{1,4}", status) and int(status, 16) & 0x0008:
        notes.append(f"X-Mozilla-Status {status} marks this message deleted (expunged) in "
                     "Thunderbird/Netscape; it is still in the file")  # fmt: skip


def _body_of(raw: RawMessage, msg: MIMEPart, notes: list[str]) -> Body:
    body = body_text(msg, notes)
    if raw.escaped is not None:  # >From lines were unescaped: keep the text as found
        found = body_text(_parse(raw.escaped), [])
        if found.text != body.text:
            shown = found.raw_text if found.raw_text is not None else found.text
            return Body(body.text, shown, body.part, (*body.flags, "text_fixed"))
    return body


@dataclass(frozen=True)
class _Parties:
    locator: Locator
    senders: tuple[Address, ...]
    recipients: tuple[Address, ...]
    sender_key: str | None
    shown_as_other: bool = False  # a display name is or holds another address


def _names_of_other_addresses(
    senders: tuple[Address, ...], recipients: tuple[Address, ...], notes: list[str]
) -> bool:
    """Note every party whose display name is another address; True if any is."""
    found = False
    for role, party, address in [
        *(("sender", "the address the mail came from", a) for a in senders[:1]),
        *(("recipient", "the recipient's own address", a) for a in recipients),
    ]:
        others = other_addresses(address)
        if others:
            found = True
            notes.append(
                f"{role} {address.spec} is shown under the name {address.display_name!r}, "
                f"which is another address ({', '.join(others)}) than {party}: the "
                f"{role} is {address.spec}; the name is kept as written"
            )
    return found


def _message(
    raw: RawMessage, msg: MIMEPart, ctx: Context, notes: list[str], parties: _Parties
) -> tuple[MessageRecord, list[Attachment]]:
    chain = received_chain(msg)
    when = _sent_time(msg, chain, ctx.tz, notes)
    body = _body_of(raw, msg, notes)
    found = attachments(msg, body.part, notes)
    defects, truncated = _defects(msg, raw.at_eof)
    notes.extend(defects)
    if raw.oversize:
        notes.append(f"message larger than {MAX_MESSAGE_BYTES} bytes: the last {raw.oversize} "
                     "bytes were not parsed")  # fmt: skip
    _client_notes(msg, notes)
    kind = "media" if found else "text"
    if msg.get_content_type() == "multipart/report":
        kind = "system"  # a delivery or read report written by a mail system
    flags = (*when.flags, *body.flags, *(("truncated",) if truncated or raw.oversize else ()))
    if parties.shown_as_other:
        flags = (*flags, "display_name_other_address")
    record = MessageRecord(
        locator=parties.locator,
        platform=PLATFORM,
        thread_id=_thread_id(msg, raw),
        thread_title=_header(msg, "Subject", notes),
        sender_key=parties.sender_key,
        sender_identifier=_sender(msg, parties.senders, notes),
        recipients=tuple(a.spec for a in parties.recipients),
        sent_at_utc=when.utc,
        sent_at_raw=when.raw,
        tz=when.tz,
        tz_assumed=when.assumed,
        flags=tuple(dict.fromkeys(flags)),
        kind=kind,
        text=body.text,
        raw_text=body.raw_text,
        attachments=tuple(a.name for a in found),
        reply_to=_first_id(_raw(msg, "In-Reply-To")),
        message_id=_raw(msg, "Message-ID"),
        direction=_direction(msg, notes),
        received_chain=chain,
    )
    return record, found


def _account(address: Address, locator: Locator) -> Account:
    return Account(
        locator=locator,
        platform=PLATFORM,
        handle=address.spec,
        display_name=address.display_name,
        email=email_key(address.spec),
    )


def message_records(raw: RawMessage, source: Source, ctx: Context, seen: _Seen) -> Iterator[Record]:
    """Accounts first seen here, warnings, the Message, then its attachments."""
    locator = source.locate(line=raw.line, offset=raw.offset)
    notes = list(raw.notes)
    if not raw.data:  # only notes: bytes outside any message
        for note in notes:
            yield ctx.warn(locator, note)
        return
    seen.messages += 1
    msg = _parse(raw.data)
    senders = _addresses(msg, "From", notes)
    recipients = tuple(a for h in ("To", "Cc", "Bcc") for a in _addresses(msg, h, notes))
    shown_as_other = _names_of_other_addresses(senders, recipients, notes)
    keys: list[str] = []
    for address in (*senders, *recipients):
        account = _account(address, locator)
        keys.append(account.key)
        if (account.key, account.display_name) not in seen.accounts:
            seen.accounts.add((account.key, account.display_name))
            yield account
    parties = _Parties(locator, senders, recipients, keys[0] if senders else None, shown_as_other)
    record, found = _message(raw, msg, ctx, notes, parties)
    for note in dict.fromkeys(notes):
        yield ctx.warn(locator, note)
    yield record
    for item in found:
        pointer = f"/message[{seen.messages}]/part[{item.path}]"
        where = source.locate(line=raw.line, offset=raw.offset, pointer=pointer)
        yield DerivedFile(locator=where, name=item.name, mime=item.mime, data=item.data)


def _extract(messages: Iterator[RawMessage], source: Source, ctx: Context) -> Iterator[Record]:
    seen = _Seen()
    for raw in messages:
        ctx.check_cancelled()
        yield from message_records(raw, source, ctx, seen)
        ctx.progress(len(raw.data) + raw.oversize)
    if not seen.messages:
        yield ctx.warn(source.locate(line=1, offset=0), "no email message found")


# --- sniffing and the extractors ----------------------------------------------------------


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def looks_like_mbox(source: Source) -> bool:
    """A From_ separator line followed by a header line, or an mbox name or type."""
    lines = source.head.removeprefix(_BOM).split(b"\n", 2)
    if len(lines) >= 2 and separator_kind(lines[0] + b"\n", after_blank=True):
        return bool(_HEADER_LINE.match(lines[1]))
    return source.name.lower().endswith((".mbox", ".mbx")) or source.mime == "application/mbox"


def looks_like_eml(source: Source) -> bool:
    """An .eml name or message/rfc822 type, or a header block with typical mail fields."""
    if looks_like_mbox(source):
        return False
    if source.name.lower().endswith(".eml") or source.mime == "message/rfc822":
        return True
    head = source.head.removeprefix(_BOM)
    # Cheap rejection first: sniff runs on every item, and most items are not mail.
    if not _HEADER_LINE.match(head.split(b"\n", 1)[0]):
        return False
    block = _BLANK_LINE.split(head, maxsplit=1)[0]
    lines = block.splitlines()
    if not lines:
        return False
    names = {line.split(b":", 1)[0].strip().lower() for line in lines if _HEADER_LINE.match(line)}
    return len(names & _KNOWN_HEADERS) >= 3 and bool(names & {b"from", b"received", b"message-id"})


class EmailMboxExtractor:
    """Mailboxes: mboxo/mboxrd, Netscape/Thunderbird, Gmail Takeout."""

    name: ClassVar[str] = "email_mbox"
    version: ClassVar[str] = "1.1"
    description: ClassVar[str] = (
        "mbox mailboxes (mboxo/mboxrd, Netscape/Thunderbird, Gmail Takeout): one message "
        "record per email, accounts, attachments as derived files"
    )

    def sniff(self, source: Source) -> bool:
        """An mbox: first line a From_ separator followed by a header (or an mbox name)."""
        return looks_like_mbox(source)

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Messages in file order, split as the file is read."""
        with source.open() as stream:
            yield from _extract(split_mbox(stream), source, ctx)


class EmailEmlExtractor:
    """One RFC 5322 message per file (.eml)."""

    name: ClassVar[str] = "email_eml"
    version: ClassVar[str] = "1.1"
    description: ClassVar[str] = (
        "single email messages (.eml, RFC 5322/MIME): the message record, accounts, "
        "attachments as derived files"
    )

    def sniff(self, source: Source) -> bool:
        """An .eml name, message/rfc822 type, or a mail header block (and not an mbox)."""
        return looks_like_eml(source)

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """The one message of the file."""
        with source.open() as stream:
            yield from _extract(read_single(stream), source, ctx)


register(EmailEmlExtractor())
register(EmailMboxExtractor())

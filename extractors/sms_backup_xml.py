"""Android "SMS Backup & Restore" (SyncTech) XML: texts, MMS and call logs (FORMATS.md §7).

``<smses>`` holds ``<sms/>`` and ``<mms>`` (``<parts><part/>``, ``<addrs><addr/>``);
``<calls>`` holds ``<call/>``. Every fact sits in attributes; an ``<sms>`` or ``<call>`` is
one line. Call directions: incoming, outgoing, missed, voicemail, rejected, blocked,
answered_other (type 7, answered on another device), unknown.

How the file is read, and why:

* Streamed with expat (what ElementTree's iterparse runs on) through plain handlers: no tree
  is built, so memory is one element at a time (the largest is an MMS part's base64 data),
  and every record gets the line it starts on (iterparse cannot tell).
* The bytes are decoded here, not by expat, so that what XML forbids never stops the parse:
  the "store emojis" option writes characters outside the BMP as two references to UTF-16
  surrogates (``&#55357;&#56832;``); ``&#0;``, raw control characters and bytes that are not
  valid in the file's encoding occur too. Each is replaced by a marker that XML allows
  (noncharacters U+FDD0 .. U+FDD1 around the text as found) and resolved per attribute:
  surrogate pairs become the real character, lone surrogates and bad bytes U+FFFD, forbidden
  controls are dropped; ``raw_text`` keeps the text as found (controls and bad bytes as
  ``\\xNN``, as NUL cannot be stored in a PostgreSQL text column) and ``text_fixed`` is set.
* Syntax damage is a warning; reading resumes at the next ``<sms``/``<mms``/``<call`` so a
  corrupt byte does not cost the rest of the file. A truncated file keeps everything before
  the cut (an MMS cut short is kept, flagged ``truncated``).

Records and decisions:

* Platform ``sms`` for texts and MMS, ``phone`` for the call log: one ``Call`` and one
  ``Message`` of kind ``call`` (text '') per call, as the case truth counts calls as messages.
* Times from ``date`` (epoch ms, UTC; an MMS ``date`` below 10^11 is read as seconds, with a
  warning); ``sent_at_raw`` quotes ``date`` and the phone's ``readable_date`` as written.
* Received: ``sender_identifier`` is the address exactly as written (MMS: the ``addr`` of type
  137). The owner's own messages and calls name no sender (None); the other party is in
  ``recipients``. Drafts, outbox, failed and queued messages are kept, with a warning that
  they are not known to have been sent. Withheld/unknown/payphone callers (``number`` empty or
  ``-1``/``-2``/``-3``; ``presentation``) have no sender and thread ``phone:withheld`` etc.
* An ``Account`` per address and contact name (``(Unknown)`` is no name): ``phone_raw`` as
  written, ``phone_e164`` with ``ctx.region``; addresses without digits (``MPESA``) are
  handles, e-mail addresses (MMS gateways) are e-mails. Threads are ``sms:``/``phone:`` plus
  the E.164 form (else the text as written), as the phone itself shows ``07700 900123`` and
  ``+447700900123`` as one conversation; group MMS join the sorted members with ``~``.
* MMS parts: SMIL layout skipped; ``text/plain`` parts (``text``, or base64 ``data`` in
  ``chset``) joined with newlines as the text; every other part is an attachment, its bytes a
  ``DerivedFile`` (a part without data in the backup is listed and warned about). A subject
  (``subject``/``sub``, normally "null") is shown above the text as "Subject: ...".
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, ClassVar
from xml.parsers import expat

from extractors.base import Context, Source
from extractors.identifiers import email_key, phone_e164
from extractors.records import Account, Call, DerivedFile, Locator, Message, Record
from extractors.registry import register
from extractors.timeutil import epoch_ms_to_utc, epoch_s_to_utc

_CHUNK = 1 << 16
_MAX_CHUNK = 1 << 24
_MAX_RESYNCS = 1000

# --- text layer: decoding, and marking what XML forbids ---------------------------------

_BAD_BYTES = "sms_backup_xml.bad_bytes"
_OPEN, _CLOSE = "\ufdd0", "\ufdd1"
# Two passes: one regex with both alternatives is five times slower.
_REFS = re.compile(r"&#(?:([0-9]{1,12})|x([0-9a-fA-F]{1,12}));")
_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0\ufdd1\ufffe\uffff]")
_MARK = re.compile(f"{_OPEN}([^{_CLOSE}]*){_CLOSE}")


def _escape_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: each undecodable byte becomes U+DC00 + byte (marked later)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error(_BAD_BYTES, _escape_bad_bytes)


def _xml_char(cp: int) -> bool:
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or (0xE000 <= cp <= 0xFFFD and cp not in (0xFDD0, 0xFDD1))
        or 0x10000 <= cp <= 0x10FFFF
    )


def _mark_char(match: re.Match[str]) -> str:
    cp = ord(match.group(0))
    tag = f"b{cp - 0xDC00:02x}" if 0xDC00 <= cp <= 0xDCFF else f"u{cp:04x}"
    return f"{_OPEN}{tag}{_CLOSE}"


def _mark_ref(match: re.Match[str]) -> str:
    dec, hexa = match.groups()
    if _xml_char(int(dec) if dec is not None else int(hexa, 16)):
        return match.group(0)
    return f"{_OPEN}{match.group(0)[1:-1]}{_CLOSE}"


def _mark(text: str) -> str:
    """Line ends normalised (as XML does), forbidden characters and references marked."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _REFS.sub(_mark_ref, _CHARS.sub(_mark_char, text))


@dataclass(frozen=True)
class _Value:
    """An attribute value: decoded text, the text as found if that differs, bad bytes seen."""

    text: str
    raw: str | None = None
    bad_bytes: bool = False


def _token(tag: str) -> tuple[str, int]:
    """Kind ('ref', 'char' or 'byte') and number of one marked token."""
    if tag.startswith("#x"):
        return "ref", int(tag[2:], 16)
    if tag.startswith("#"):
        return "ref", int(tag[1:])
    return ("byte" if tag[0] == "b" else "char"), int(tag[1:], 16)


def _repair(value: str) -> _Value:
    """Resolve the markers of one attribute value (see the module docstring)."""
    if _OPEN not in value:
        return _Value(value)
    fixed: list[str] = []
    raw: list[str] = []
    changed = bad = False
    marks = list(_MARK.finditer(value))
    pos, i = 0, 0
    while i < len(marks):
        m = marks[i]
        fixed.append(value[pos : m.start()])
        raw.append(value[pos : m.start()])
        kind, cp = _token(m.group(1))
        pos, i = m.end(), i + 1
        if kind == "ref":
            raw.append(f"&{m.group(1)};")
            nxt = marks[i] if i < len(marks) else None
            if 0xD800 <= cp <= 0xDBFF and nxt is not None and nxt.start() == m.end():
                kind2, low = _token(nxt.group(1))
                if kind2 == "ref" and 0xDC00 <= low <= 0xDFFF:
                    fixed.append(chr(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)))
                    raw.append(f"&{nxt.group(1)};")
                    pos, i, changed = nxt.end(), i + 1, True
                    continue
            if cp in (0xFDD0, 0xFDD1):
                fixed.append(chr(cp))
                continue
            fixed.append("\ufffd" if 0xD800 <= cp <= 0xDFFF else "")
        elif kind == "byte":
            raw.append(f"\\x{cp:02x}")
            fixed.append("\ufffd")
            bad = True
        elif cp in (0xFDD0, 0xFDD1):
            raw.append(chr(cp))
            fixed.append(chr(cp))
            continue
        else:
            raw.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}")
        changed = True
    fixed.append(value[pos:])
    raw.append(value[pos:])
    return _Value("".join(fixed), "".join(raw) if changed else None, bad)


def _hold_point(text: str) -> int:
    """Where to cut a piece so no reference or CR LF is split across two pieces."""
    cut = len(text)
    if text.endswith("\r"):
        cut -= 1
    amp = text.rfind("&", max(0, cut - 32), cut)
    if amp >= 0 and ";" not in text[amp:cut]:
        cut = amp
    return cut


class _TextStream:
    """The file as text in pieces, line ends normalised, forbidden content marked."""

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(encoding)(errors=_BAD_BYTES)
        self._buf = ""
        self._pos = 0
        self._eof = False
        self.bytes_read = 0

    def _fill(self, limit: int) -> None:
        while len(self._buf) - self._pos < limit and not self._eof:
            data = self._stream.read(max(limit, _CHUNK))
            self.bytes_read += len(data)
            self._eof = not data
            self._buf = self._buf[self._pos :] + self._decoder.decode(data, final=self._eof)
            self._pos = 0

    def read(self, limit: int, line_end: bool = False) -> str | None:
        """Up to ``limit`` characters (only to the first line end if ``line_end``); None at
        the end. A piece never ends inside a character reference or a CR LF."""
        self._fill(limit)
        end = min(self._pos + limit, len(self._buf))
        if end == self._pos:
            return None
        if line_end and (nl := self._buf.find("\n", self._pos, end)) >= 0:
            end = nl + 1
        if end < len(self._buf) or not self._eof:
            end = self._pos + (_hold_point(self._buf[self._pos : end]) or end - self._pos)
        piece, self._pos = self._buf[self._pos : end], end
        return _mark(piece)


def _encoding_of(head: bytes) -> tuple[str, str | None]:
    """The codec to read the file with, and a problem worth a warning."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    m = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']", head)
    if m is None:
        return "utf-8", None
    name = m.group(1).decode("ascii")
    try:
        b"<".decode(name)
        wide = codecs.lookup(name).name.startswith(("utf-16", "utf-32"))
    except (LookupError, UnicodeError):
        return "utf-8", f"declared encoding {name!r} is unknown; read as UTF-8"
    if wide:  # an 8-bit "<?xml" cannot be UTF-16/32 without a byte-order mark
        return "utf-8", f"declared encoding {name!r} does not match the bytes; read as UTF-8"
    return name, None


# --- records ---------------------------------------------------------------------------

# Android's Telephony / CallLog codes. SMS type and MMS msg_box: 1 received, the rest the
# owner's own (3 draft, 4 outbox, 5 failed, 6 queued: never known to have left the phone).
_SMS_TYPES = {1: "incoming"} | dict.fromkeys((2, 3, 4, 5, 6), "outgoing")
_MMS_BOXES = {1: "incoming"} | dict.fromkeys((2, 3, 4, 5), "outgoing")
_UNSENT = {3: "draft", 4: "outbox", 5: "failed", 6: "queued"}
_MMS_TYPES = {132: "incoming", 128: "outgoing"}  # retrieve-conf, send-req
_CALL_TYPES = {1: "incoming", 2: "outgoing", 3: "missed", 4: "voicemail", 5: "rejected"}
_CALL_TYPES |= {6: "blocked", 7: "answered_other"}  # 7: answered on another device
_PRESENTATION = {2: "withheld", 3: "unknown", 4: "payphone"}
_SPECIAL_NUMBERS = {"-1": "unknown", "-2": "withheld", "-3": "payphone", "": "no number"}
_CHARSETS = {3: "ascii", 4: "latin-1", 106: "utf-8", 1000: "utf-16-be", 1015: "utf-16"}
_FROM, _TO_CC_BCC = 137, (151, 130, 129)
# readable_date as en-GB and en-US phones write it; other locales are not cross-checked.
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})"
_READABLE_GB = re.compile(r"(?P<d>\d{1,2}) (?P<mon>[A-Za-z]{3}) (?P<y>\d{4}) " + _TIME + "(?P<pm>)")
_READABLE_US = re.compile(
    r"(?P<mon>[A-Za-z]{3}) (?P<d>\d{1,2}), (?P<y>\d{4}) " + _TIME + r" ?(?P<pm>[AP]M)"
)
_TEXTS = ("body", "subject", "sub", "text")  # their repairs show as raw_text + text_fixed
_DIGITS = re.compile(r"-?[0-9]{1,18}")


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and _DIGITS.fullmatch(text.strip()) else None


class _Attrs:
    """An element's attributes with markers resolved, and as found where that differs."""

    __slots__ = ("raw", "text")

    def __init__(self, text: dict[str, str], raw: dict[str, str]) -> None:
        self.text = text
        self.raw = raw

    def opt(self, key: str) -> str | None:
        """The text; None when absent, empty or the literal "null" the app writes."""
        v = self.text.get(key)
        return None if v is None or v in ("", "null") else v

    def value(self, key: str) -> _Value:
        return _Value(self.text.get(key, ""), self.raw.get(key))

    def contact(self) -> str | None:
        name = self.opt("contact_name")
        return None if name == "(Unknown)" else name


@dataclass
class _When:
    utc: str | None
    raw: str
    flags: tuple[str, ...]


@dataclass
class _Mms:
    """An MMS being read: its attributes and what its parts and addresses said so far."""

    values: _Attrs
    loc: Locator
    parts: int = 0
    texts: list[_Value] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    vcards: int = 0  # attachments that are contact cards
    addrs: list[tuple[str, int | None]] = field(default_factory=list)


class _Builder:
    """Turns the attributes of each element into records, queued on ``out``."""

    def __init__(self, source: Source, ctx: Context) -> None:
        self.source = source
        self.ctx = ctx
        self.out: list[Record] = []
        self.mms: _Mms | None = None
        self._keys: dict[tuple[str, str, str | None], str] = {}
        self._e164: dict[str, str | None] = {}
        self._last_ms: int | None = None

    def warn(self, loc: Locator, message: str) -> None:
        self.out.append(self.ctx.warn(loc, message))

    def values(self, attrs: dict[str, str], loc: Locator, what: str) -> _Attrs:
        marked = [k for k, v in attrs.items() if _OPEN in v]
        if not marked:
            return _Attrs(attrs, {})
        text, raw, bad = dict(attrs), {}, []
        for k in marked:
            value = _repair(attrs[k])
            text[k] = value.text
            if value.raw is not None:
                raw[k] = value.raw
            if value.bad_bytes:
                bad.append(k)
        if bad:
            self.warn(
                loc, f"<{what}>: bytes invalid in the file's encoding in {bad}, shown as U+FFFD"
            )
        if fixed := [k for k in raw if k not in _TEXTS and k not in bad]:
            self.warn(loc, f"<{what}>: characters XML forbids removed from {fixed}")
        return _Attrs(text, raw)

    def phone(self, raw: str) -> str | None:
        if raw not in self._e164:
            self._e164[raw] = phone_e164(raw, self.ctx.region)
        return self._e164[raw]

    def account(self, platform: str, address: str, name: str | None, loc: Locator) -> str:
        """Queue the Account for an address (once per address and name); return its key."""
        known = self._keys.get((platform, address, name))
        if known is not None:
            return known
        email = email_key(address) if "@" in address else None
        is_phone = email is None and any(c.isdigit() for c in address)
        acc = Account(
            locator=loc,
            platform=platform,
            handle=None if is_phone else address,
            display_name=name,
            phone_raw=address if is_phone else None,
            phone_e164=self.phone(address) if is_phone else None,
            email=email,
        )
        self._keys[(platform, address, name)] = acc.key
        self.out.append(acc)
        return acc.key

    def thread(self, platform: str, addresses: list[str]) -> str:
        keys = sorted({self.phone(a) or a for a in addresses}) or ["(no address)"]
        return f"{platform}:{'~'.join(keys)}"

    def when(self, values: _Attrs, loc: Locator, what: str, mms: bool = False) -> _When:
        date, readable = values.opt("date"), values.opt("readable_date")
        raw = " ".join(
            f'{k}="{v}"' for k, v in (("date", date), ("readable_date", readable)) if v is not None
        )
        number = _int(date)
        flags: tuple[str, ...] = ()
        utc = None
        try:
            if number is not None and mms and 0 < number < 10**11:
                self.warn(
                    loc, f"<{what}> date {number} is too small for milliseconds; read as seconds"
                )
                utc, number = epoch_s_to_utc(number), number * 1000
            elif number is not None:
                utc = epoch_ms_to_utc(number)
        except (OverflowError, ValueError):
            number = None
        if utc is None:
            self.warn(loc, f"<{what}> has no readable date ({raw or 'none'})")
            flags = ("time_unparsed",)
        elif self._last_ms is not None and number is not None and number < self._last_ms:
            flags = ("out_of_order",)
        if number is not None:
            self._last_ms = number
            if readable is not None and _readable_gap(readable, number) > 26 * 3600:
                self.warn(
                    loc,
                    f"<{what}> readable_date {readable!r} is more than a day from date "
                    f"{date} ({utc}): the two disagree (file edited?); date was used",
                )
        return _When(utc, raw, flags)

    def sms(self, attrs: dict[str, str], loc: Locator) -> None:
        v = self.values(attrs, loc, "sms")
        address, name, kind = v.opt("address"), v.contact(), _int(v.opt("type"))
        direction = _SMS_TYPES.get(kind) if kind is not None else None
        if direction is None:
            self.warn(loc, f"<sms> type {v.opt('type')!r} unknown: direction not stated")
        elif kind in _UNSENT:
            self.warn(loc, f"<sms> type {kind} ({_UNSENT[kind]}): not known to have been sent")
        if address is None:
            self.warn(loc, "<sms> has no address: the other party is not named")
        key = self.account("sms", address, name, loc) if address else None
        when = self.when(v, loc, "sms")
        text, raw = _with_subject(v.value("subject"), v.value("body"))
        incoming = direction == "incoming"
        self.out.append(
            Message(
                locator=loc,
                platform="sms",
                thread_id=self.thread("sms", [address] if address else []),
                thread_title=name or address,
                sender_key=key if incoming else None,
                sender_identifier=address if incoming else None,
                recipients=(address,) if address and direction == "outgoing" else (),
                sent_at_utc=when.utc,
                sent_at_raw=when.raw,
                flags=when.flags + (("text_fixed",) if raw is not None else ()),
                text=text,
                raw_text=raw,
                direction=direction,
            )
        )

    def mms_start(self, attrs: dict[str, str], loc: Locator) -> None:
        self.mms = _Mms(self.values(attrs, loc, "mms"), loc)

    def mms_part(self, attrs: dict[str, str], loc: Locator) -> None:
        assert self.mms is not None
        self.mms.parts += 1
        v = self.values(attrs, loc, "part")
        ct = (v.opt("ct") or "").lower()
        data = v.opt("data")
        if ct == "application/smil":
            return  # the slide layout, not content
        if ct.startswith("text/plain"):
            text = v.value("text") if v.opt("text") is not None else None
            if text is None and data is not None:
                text = self._decode_text(data, _int(v.opt("chset")), loc)
            if text is not None:
                self.mms.texts.append(text)
            return
        name = v.opt("name") or v.opt("cl") or v.opt("fn")
        name = re.split(r"[\\/]", name)[-1] if name else f"part{self.mms.parts}"
        self.mms.attachments.append(name)
        self.mms.vcards += ct in ("text/x-vcard", "text/vcard")
        if data is not None:
            payload = self._base64(data, name, loc)
        elif v.opt("text") is not None:
            payload = v.text["text"].encode("utf-8")
        else:
            payload = None
            self.warn(loc, f"MMS part {name!r} ({ct or 'no type'}) has no data in the backup")
        if payload is not None:
            self.out.append(DerivedFile(locator=loc, name=name, mime=ct or None, data=payload))

    def _base64(self, data: str, name: str, loc: Locator) -> bytes | None:
        try:
            return base64.b64decode(data)
        except (binascii.Error, ValueError) as exc:
            self.warn(loc, f"MMS part {name!r}: data is not valid base64 ({exc})")
            return None

    def _decode_text(self, data: str, charset: int | None, loc: Locator) -> _Value | None:
        payload = self._base64(data, "text", loc)
        if payload is None:
            return None
        codec = _CHARSETS.get(charset or 106, "utf-8")
        text = payload.decode(codec, errors="replace")
        if text != payload.decode(codec, errors="ignore"):
            self.warn(loc, f"MMS text part: bytes invalid in {codec}, shown as U+FFFD")
        return _Value(text)

    def mms_addr(self, attrs: dict[str, str], loc: Locator) -> None:
        assert self.mms is not None
        v = self.values(attrs, loc, "addr")
        address = v.opt("address")
        if address is not None:
            self.mms.addrs.append((address, _int(v.opt("type"))))

    def mms_end(self, truncated: bool = False) -> None:
        m, self.mms = self.mms, None
        assert m is not None
        v, loc = m.values, m.loc
        box, mtype = _int(v.opt("msg_box")), _int(v.opt("m_type"))
        direction = _MMS_BOXES.get(box or 0) or _MMS_TYPES.get(mtype or 0)
        if direction is None:
            self.warn(loc, f"<mms> msg_box {box} / m_type {mtype}: direction not stated")
        elif box in (3, 4, 5):
            self.warn(loc, f"<mms> msg_box {box} ({_UNSENT[box]}): not known to have been sent")
        address, name = v.opt("address"), v.contact()
        others = [a for a in (address or "").split("~") if a]
        sender, recipients = self._mms_parties(m, direction, others)
        key = None
        for a in dict.fromkeys(([sender] if sender else []) + recipients + others):
            if a != "insert-address-token":  # placeholder for the phone's own number
                k = self.account("sms", a, name if a == address else None, loc)
                key = k if a == sender else key
        when = self.when(v, loc, "mms", mms=True)
        text, raw = _with_subject(v.value("sub"), _join(m.texts))
        flags = (("text_fixed",) if raw is not None else ()) + (("truncated",) if truncated else ())
        self.out.append(
            Message(
                locator=loc,
                platform="sms",
                thread_id=self.thread("sms", others),
                thread_title=name or address,
                sender_key=key,
                sender_identifier=sender,
                recipients=tuple(recipients),
                sent_at_utc=when.utc,
                sent_at_raw=when.raw,
                flags=when.flags + flags,
                kind=_mms_kind(m),
                text=text,
                raw_text=raw,
                attachments=tuple(m.attachments),
                message_id=v.opt("m_id"),
                direction=direction,
            )
        )

    def _mms_parties(
        self, m: _Mms, direction: str | None, others: list[str]
    ) -> tuple[str | None, list[str]]:
        """The sender (for a received MMS) and the to/cc/bcc addresses, as written."""
        froms = [a for a, t in m.addrs if t == _FROM]
        if not froms and len(others) == 1:
            froms = others
        sender = froms[0] if direction == "incoming" and froms else None
        if direction == "incoming" and sender is None:
            self.warn(m.loc, "<mms> received but no sender address is given")
        recipients = [a for a, t in m.addrs if t in _TO_CC_BCC]
        if direction == "outgoing" and not recipients:
            recipients = others
        return sender, recipients

    def call(self, attrs: dict[str, str], loc: Locator) -> None:
        v = self.values(attrs, loc, "call")
        number = v.text.get("number")
        kind = _int(v.opt("type"))
        direction = _CALL_TYPES.get(kind or 0, "unknown")
        if direction == "unknown":
            self.warn(loc, f"<call> type {v.opt('type')!r} unknown: direction not stated")
        hidden = _hidden_number(number, _int(v.opt("presentation")))
        name = v.contact()
        key = self.account("phone", number, name, loc) if number and not hidden else None
        e164 = self.phone(number) if number and not hidden else None
        thread = f"phone:{hidden or e164 or number}"
        when = self.when(v, loc, "call")
        duration = _int(v.opt("duration"))
        if duration is None:
            self.warn(loc, f"<call> duration {v.opt('duration')!r} is not a number of seconds")
        call = Call(
            locator=loc,
            platform="phone",
            thread_id=thread,
            number_raw=number,
            number_e164=e164,
            party_key=key,
            started_at_utc=when.utc,
            started_at_raw=when.raw,
            flags=when.flags,
            duration_s=duration,
            direction=direction,
        )
        said = None if direction == "unknown" else "outgoing" if kind == 2 else "incoming"
        from_them = said == "incoming" and not hidden
        self.out.append(call)
        self.out.append(
            Message(
                locator=loc,
                platform="phone",
                thread_id=thread,
                thread_title=name or (f"({hidden})" if hidden else number),
                sender_key=key if from_them else None,
                sender_identifier=number if from_them else None,
                recipients=(number,) if said == "outgoing" and number and not hidden else (),
                sent_at_utc=when.utc,
                sent_at_raw=when.raw,
                flags=when.flags,
                kind="call",
                direction=said,
            )
        )


def _readable_gap(readable: str, ms: int) -> float:
    """Seconds between the phone's display time (any zone, so up to ~14 h off) and ``date``;
    0 when the display format is not one of the common English ones. Parsed by hand, not
    strptime, whose month names follow the process locale (the GUI sets one)."""
    m = _READABLE_GB.fullmatch(readable) or _READABLE_US.fullmatch(readable)
    if m is None or m["mon"].title() not in _MONTHS:
        return 0.0
    hour = int(m["h"]) % 12 + (12 if m["pm"] == "PM" else 0) if m["pm"] else int(m["h"])
    try:
        shown = datetime(int(m["y"]), _MONTHS.index(m["mon"].title()) + 1, int(m["d"]), hour)
    except ValueError:
        return 0.0
    seconds = (shown - datetime(1970, 1, 1)).total_seconds() + int(m["mi"]) * 60 + int(m["s"])
    return abs(seconds - ms / 1000)


def _mms_kind(m: _Mms) -> str:
    if not m.attachments:
        return "text"
    return "contact" if m.vcards == len(m.attachments) else "media"


def _hidden_number(number: str | None, presentation: int | None) -> str | None:
    """Why a call has no usable number (withheld, unknown, payphone), or None if it has one."""
    n = (number or "").strip()
    if n not in ("", "null", "-1", "-2", "-3"):
        return None
    return _PRESENTATION.get(presentation or 0) or _SPECIAL_NUMBERS.get(n, "no number")


def _join(parts: list[_Value]) -> _Value:
    """The text parts of an MMS as one text (and as found, when any part was fixed)."""
    text = "\n".join(p.text for p in parts)
    if all(p.raw is None for p in parts):
        return _Value(text)
    return _Value(text, "\n".join(p.text if p.raw is None else p.raw for p in parts))


def _with_subject(subject: _Value | None, body: _Value) -> tuple[str, str | None]:
    """Text and raw text; a subject (rare) is shown above the body, as phones show it."""
    if subject is None or subject.text in ("", "null"):
        return body.text, body.raw
    text = f"Subject: {subject.text}\n{body.text}"
    if subject.raw is None and body.raw is None:
        return text, None
    s_raw = subject.text if subject.raw is None else subject.raw
    return text, f"Subject: {s_raw}\n{body.text if body.raw is None else body.raw}"


# --- the parse ---------------------------------------------------------------------------

_RECORD_START = re.compile(r"<(?:sms|mms|call)[\s/>]")
_BAD_TOKEN = expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]
_ROOT = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>\[]*>)*<(smses|calls)[\s/>]",
    re.S,
)


class _Stop(Exception):
    """Reading cannot go on (not this format, or XML entity declarations)."""


class _Reader:
    """Feeds the text to expat, dispatches elements to the builder, recovers from damage."""

    def __init__(self, source: Source, ctx: Context) -> None:
        self.source = source
        self.ctx = ctx
        self.builder = _Builder(source, ctx)
        self.root: str | None = None
        self.root_line = 1
        self.count: int | None = None
        self.read: Counter[str] = Counter()
        self.unknown: dict[str, list[int]] = {}  # element name -> [count, first line]
        self.sub: Counter[str] = Counter()  # parts and addrs of the current MMS
        self.resyncs = 0
        self.events = 0
        self.line_base = 0
        self.prefix_len = -1  # length of the stand-in root fed to a resumed parser
        self.parser = self._new_parser()

    def _new_parser(self) -> expat.XMLParserType:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.EntityDeclHandler = self._entity
        self.stack: list[str] = []
        self.fed = 0  # UTF-8 bytes given to this parser before the current piece
        return parser

    def run(self) -> Iterator[Record]:
        encoding, problem = _encoding_of(self.source.head)
        if problem:
            yield self.ctx.warn(self.source.locate(line=1), problem)
        with self.source.open() as stream:
            try:
                yield from self._parse(_TextStream(stream, encoding))
            except _Stop as stop:
                yield from self._drain()
                line = self.parser.CurrentLineNumber + self.line_base
                yield self.ctx.warn(self.source.locate(line=line), str(stop))
                return
        yield from self._summary()

    def _parse(self, text: _TextStream) -> Iterator[Record]:
        size, line, done = _CHUNK, 1, 0
        piece = text.read(size)
        while piece is not None:
            self.ctx.check_cancelled()
            self.ctx.progress(text.bytes_read - done)
            done, before = text.bytes_read, self.events
            try:
                self.parser.Parse(piece, False)
            except expat.ExpatError as exc:
                yield from self._drain()
                found = yield from self._recover(text, piece, line, exc)
                if found is None:
                    return
                piece, line = found
                continue
            self.fed += len(piece.encode("utf-8"))
            yield from self._drain()
            # expat 2.5 rescans an unfinished token on every feed: grow the pieces while
            # inside a large one (base64 media) so the work stays linear.
            size = _CHUNK if self.events > before else min(2 * size, _MAX_CHUNK)
            line += piece.count("\n")
            piece = text.read(size, line_end=size > _CHUNK)
        yield from self._close()

    def _recover(
        self, text: _TextStream, piece: str, line: int, exc: expat.ExpatError
    ) -> Generator[Record, None, tuple[str, int] | None]:
        """Warn about damage and find the next record start; a new parser reads on from it."""
        err_line, reason = exc.lineno + self.line_base, expat.ErrorString(exc.code)
        where = f"XML damaged at line {err_line}, column {exc.offset + 1} ({reason})"
        if self.builder.mms is not None:
            self.builder.mms_end(truncated=True)
            yield from self._drain()
        loc = self.source.locate(line=err_line)
        self.resyncs += 1
        if self.resyncs > _MAX_RESYNCS:
            yield self.ctx.warn(loc, f"{where}; too much damage, reading stopped")
            return None
        k = self.parser.ErrorByteIndex - self.fed
        start = len(piece.encode("utf-8")[:k].decode("utf-8", "ignore")) if k > 0 else 0
        at_record = _RECORD_START.match(piece, start) is not None
        if (k <= 0 and self.fed == self.prefix_len) or (at_record and exc.code != _BAD_TOKEN):
            start += 1  # the damage is in the start tag found there (not a stray "<"): skip it
        found = self._seek(text, piece, line, start)
        if found is None:
            yield self.ctx.warn(loc, f"{where}; no record after it")
            return None
        piece, line = found
        yield self.ctx.warn(loc, f"{where}; skipped to the next record, at line {line}")
        self.parser = self._new_parser()
        self.line_base = line - 1
        prefix = f"<{self.root or 'smses'}>"  # stands for the root; its end tag closes it
        self.parser.Parse(prefix, False)
        self.fed = self.prefix_len = len(prefix)
        return piece, line

    @staticmethod
    def _seek(text: _TextStream, piece: str, line: int, pos: int) -> tuple[str, int] | None:
        """The text from the next record start at or after ``pos``, and its line."""
        while True:
            m = _RECORD_START.search(piece, pos)
            if m is not None:
                return piece[m.start() :], line + piece.count("\n", 0, m.start())
            keep = max(pos, len(piece) - 5)  # a start tag may straddle two pieces
            line += piece.count("\n", 0, keep)
            more = text.read(_CHUNK)
            if more is None:
                return None
            piece, pos = piece[keep:] + more, 0

    def _close(self) -> Iterator[Record]:
        try:
            self.parser.Parse("", True)
        except expat.ExpatError as exc:
            yield from self._drain()
            if self.builder.mms is not None:
                self.builder.mms_end(truncated=True)
            err_line = exc.lineno + self.line_base
            if self.root is None and self.resyncs == 0:
                message = "no XML element in the file: empty, not XML, or cut before the root"
            else:
                message = (
                    f"the file ends inside the XML at line {err_line}, column {exc.offset + 1}"
                    f" ({expat.ErrorString(exc.code)}): truncated; what came before is kept"
                )
            self.builder.warn(self.source.locate(line=err_line), message)
        yield from self._drain()

    def _drain(self) -> Iterator[Record]:
        out, self.builder.out = self.builder.out, []
        yield from out

    def _summary(self) -> Iterator[Record]:
        loc = self.source.locate(line=self.root_line)
        names = ("sms", "mms") if self.root == "smses" else ("call",)
        found = sum(self.read[n] for n in names)
        if self.count is not None and self.count != found:
            yield self.ctx.warn(
                loc, f'<{self.root} count="{self.count}"> but {found} records were read'
            )
        for name, (n, first) in sorted(self.unknown.items()):
            yield self.ctx.warn(
                self.source.locate(line=first),
                f"{n} <{name}> element(s) skipped: not part of this format (first at line {first})",
            )

    # expat handlers -----------------------------------------------------------------

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        depth = len(self.stack)
        self.stack.append(name)
        line = self.parser.CurrentLineNumber + self.line_base
        if depth == 0:
            if self.resyncs == 0:
                self._root(name, attrs, line)
        elif depth == 1:
            self._record(name, attrs, line)
        elif self.builder.mms is not None and name in ("part", "addr") and depth == 3:
            self.sub[name] += 1
            base = self.builder.mms.loc.pointer
            pointer = f"{base}/{name}s/{name}[{self.sub[name]}]" if base else None
            loc = self.source.locate(line=line, pointer=pointer)
            if name == "part":
                self.builder.mms_part(attrs, loc)
            else:
                self.builder.mms_addr(attrs, loc)

    def _end(self, name: str) -> None:
        self.stack.pop()
        if len(self.stack) == 1 and name == "mms" and self.builder.mms is not None:
            self.builder.mms_end()

    def _entity(self, *_: object) -> None:
        raise _Stop(
            "the file declares XML entities (a DTD), which SMS Backup & Restore never "
            "writes; reading stopped"
        )

    def _root(self, name: str, attrs: dict[str, str], line: int) -> None:
        if name not in ("smses", "calls"):
            raise _Stop(
                f"root element <{name}> is not <smses> or <calls>: not an SMS Backup & "
                "Restore file; nothing read"
            )
        self.root, self.root_line = name, line
        self.count = _int(attrs.get("count"))

    def _record(self, name: str, attrs: dict[str, str], line: int) -> None:
        self.read[name] += 1
        pointer = f"/{self.root}/{name}[{self.read[name]}]" if self.resyncs == 0 else None
        loc = self.source.locate(line=line, pointer=pointer)
        if name == "sms":
            self.builder.sms(attrs, loc)
        elif name == "mms":
            self.sub = Counter()
            self.builder.mms_start(attrs, loc)
        elif name == "call":
            self.builder.call(attrs, loc)
        elif name in self.unknown or len(self.unknown) < 100:
            self.unknown.setdefault(name, [0, line])[0] += 1


class SmsBackupXmlExtractor:
    """SMS Backup & Restore (SyncTech) XML: SMS, MMS with parts, and call logs."""

    name: ClassVar[str] = "sms_backup_xml"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "Android SMS Backup & Restore XML (<smses>: SMS and MMS with their parts; "
        "<calls>: the call log)"
    )

    def sniff(self, source: Source) -> bool:
        """The first element is <smses> or <calls> (UTF-8, or UTF-16 with a BOM)."""
        head = source.head
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            head = head.decode("utf-16", errors="ignore").encode("utf-8")
        return _ROOT.match(head) is not None

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Yield accounts, messages, calls, MMS parts and warnings in file order."""
        yield from _Reader(source, ctx).run()


register(SmsBackupXmlExtractor())

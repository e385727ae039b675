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
  ``-1``/``-2``/``-3`` as Android's CallerInfo writes them: unknown, withheld, payphone;
  "Private", "Unknown" and the like; ``presentation`` 2/3/4, which wins) have no sender and
  no account, thread ``phone:withheld`` etc., title "(withheld)" and flag
  ``number_withheld``/``number_unknown``/``number_payphone``; a number given with such a
  presentation is kept, flagged and warned. A text from such a stand-in is the same
  (``sms:withheld``). A ``body`` of ``null`` (the app's word for none) is no text: flag
  ``body_null``, ``raw_text`` "null".
* An ``Account`` per address and contact name (``(Unknown)`` is no name): ``phone_raw`` as
  written, ``phone_e164`` read by ``identifiers.read_phone``: the number's own country code,
  else the country most international numbers at the start of the file are in (the phone
  was used there; warned), else ``ctx.region``; a national number valid only elsewhere (or
  valid in a country other numbers of the file are in) is kept as written (no E.164),
  warned once and its messages and calls flagged ``phone_region_unsure``; addresses
  without digits (``MPESA``) are
  handles, e-mail addresses (MMS gateways) are e-mails. Threads are ``sms:``/``phone:`` plus
  the E.164 form (else the text as written), as the phone itself shows ``07700 900123`` and
  ``+447700900123`` as one conversation; group MMS join the sorted members with ``~``.
* MMS parts: SMIL layout skipped; ``text/plain`` parts (``text``, or base64 ``data`` in
  ``chset``) joined with newlines as the text; every other part is an attachment, its bytes a
  ``DerivedFile`` (a part without data in the backup is listed and warned about). A subject
  (``subject``/``sub``, normally "null") is shown above the text as "Subject: ...".

The expat parse and its recovery are here; the text layer is ``_xml_text``, the records are
built in ``_sms_records`` (attribute values: ``_sms_fields``).
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Generator, Iterator
from typing import ClassVar
from xml.parsers import expat

from extractors._sms_fields import int_or_none
from extractors._sms_records import Builder
from extractors._xml_text import CHUNK, TextStream, encoding_of
from extractors.base import Context, Source
from extractors.records import Record
from extractors.registry import register

_MAX_CHUNK = 1 << 24
_MAX_RESYNCS = 1000
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
        self.builder = Builder(source, ctx)
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
        encoding, problem = encoding_of(self.source.head)
        if problem:
            yield self.ctx.warn(self.source.locate(line=1), problem)
        with self.source.open() as stream:
            try:
                yield from self._parse(TextStream(stream, encoding))
            except _Stop as stop:
                yield from self._drain()
                line = self.parser.CurrentLineNumber + self.line_base
                yield self.ctx.warn(self.source.locate(line=line), str(stop))
                return
        yield from self._summary()

    def _parse(self, text: TextStream) -> Iterator[Record]:
        size, line, done = CHUNK, 1, 0
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
            size = CHUNK if self.events > before else min(2 * size, _MAX_CHUNK)
            line += piece.count("\n")
            piece = text.read(size, line_end=size > CHUNK)
        yield from self._close()

    def _recover(
        self, text: TextStream, piece: str, line: int, exc: expat.ExpatError
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
    def _seek(text: TextStream, piece: str, line: int, pos: int) -> tuple[str, int] | None:
        """The text from the next record start at or after ``pos``, and its line."""
        while True:
            m = _RECORD_START.search(piece, pos)
            if m is not None:
                return piece[m.start() :], line + piece.count("\n", 0, m.start())
            keep = max(pos, len(piece) - 5)  # a start tag may straddle two pieces
            line += piece.count("\n", 0, keep)
            more = text.read(CHUNK)
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
        self.count = int_or_none(attrs.get("count"))

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
    version: ClassVar[str] = "1.1"
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

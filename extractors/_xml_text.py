"""The text layer of the SMS Backup & Restore reader: decoding, and marking what XML forbids.

The bytes are decoded here, not by expat, so that lone UTF-16 surrogate references
(``&#55357;``), ``&#0;``, raw control characters and bytes invalid in the file's encoding
never stop the parse: each is wrapped in noncharacter markers XML allows (U+FDD0 .. U+FDD1)
and resolved per attribute value by ``repair`` (see the ``sms_backup_xml`` docstring).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 16

_BAD_BYTES = "sms_backup_xml.bad_bytes"
MARK_OPEN, _CLOSE = "\ufdd0", "\ufdd1"
# Two passes: one regex with both alternatives is five times slower.
_REFS = re.compile(r"&#(?:([0-9]{1,12})|x([0-9a-fA-F]{1,12}));")
_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0\ufdd1\ufffe\uffff]")
_MARK = re.compile(f"{MARK_OPEN}([^{_CLOSE}]*){_CLOSE}")


def _escape_bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: each undecodable byte becomes U+DC00 + byte (marked later)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error(_BAD_BYTES, _escape_bad_bytes)


def encoding_of(head: bytes) -> tuple[str, str | None]:
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


class TextStream:
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
            data = self._stream.read(max(limit, CHUNK))
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


def _hold_point(text: str) -> int:
    """Where to cut a piece so no reference or CR LF is split across two pieces."""
    cut = len(text)
    if text.endswith("\r"):
        cut -= 1
    amp = text.rfind("&", max(0, cut - 32), cut)
    if amp >= 0 and ";" not in text[amp:cut]:
        cut = amp
    return cut


def _mark(text: str) -> str:
    """Line ends normalised (as XML does), forbidden characters and references marked."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _REFS.sub(_mark_ref, _CHARS.sub(_mark_char, text))


def _mark_char(match: re.Match[str]) -> str:
    cp = ord(match.group(0))
    tag = f"b{cp - 0xDC00:02x}" if 0xDC00 <= cp <= 0xDCFF else f"u{cp:04x}"
    return f"{MARK_OPEN}{tag}{_CLOSE}"


def _mark_ref(match: re.Match[str]) -> str:
    dec, hexa = match.groups()
    if _xml_char(int(dec) if dec is not None else int(hexa, 16)):
        return match.group(0)
    return f"{MARK_OPEN}{match.group(0)[1:-1]}{_CLOSE}"


def _xml_char(cp: int) -> bool:
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or (0xE000 <= cp <= 0xFFFD and cp not in (0xFDD0, 0xFDD1))
        or 0x10000 <= cp <= 0x10FFFF
    )


@dataclass(frozen=True)
class Value:
    """An attribute value: decoded text, the text as found if that differs, bad bytes seen."""

    text: str
    raw: str | None = None
    bad_bytes: bool = False


def repair(value: str) -> Value:
    """Resolve the markers of one attribute value (see the module docstring)."""
    if MARK_OPEN not in value:
        return Value(value)
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
    return Value("".join(fixed), "".join(raw) if changed else None, bad)


def _token(tag: str) -> tuple[str, int]:
    """Kind ('ref', 'char' or 'byte') and number of one marked token."""
    if tag.startswith("#x"):
        return "ref", int(tag[2:], 16)
    if tag.startswith("#"):
        return "ref", int(tag[1:])
    return ("byte" if tag[0] == "b" else "char"), int(tag[1:], 16)

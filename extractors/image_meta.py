"""Images offered as evidence: EXIF, PNG text chunks, file-name conventions, perceptual hash.

FORMATS.md §10. One ImageMeta record per image, after the warnings met on the way. EXIF comes
from exifread with ``details=True`` (without it the iOS ``UserComment`` marker is dropped),
behind a read budget; PNG chunks (eXIf, and tEXt/zTXt/iTXt where iOS keeps its XMP) are
walked here because exifread ignores text chunks; Pillow reads the size from the header and
decodes pixels only for the hash, behind a pixel limit. ``near_duplicates`` pairs perceptual
hashes without comparing all pairs.
"""

from __future__ import annotations

import html
import io
import re
import struct
import tempfile
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from fractions import Fraction
from typing import Any, BinaryIO, ClassVar, cast

import exifread
import imagehash
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from extractors.base import Context, Source
from extractors.records import ExtractWarning, ImageMeta, Record
from extractors.registry import register
from extractors.timeutil import format_utc, local_to_utc

# A step that may warn on the way and then hands back what it read.
_Step = Generator[ExtractWarning, None, Any]

_MIME_FORMAT = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heic",
    "image/heic-sequence": "heic",
    "image/heif-sequence": "heic",
    "image/avif": "avif",
}
_EXT_FORMAT = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
    "heic": "heic",
    "heif": "heic",
    "avif": "avif",
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_TEXT_CHUNK = 1 << 20  # PNG text chunks larger than this (or inflating past it) are skipped
_MAX_EXIF_CHUNK = 16 << 20  # a PNG/WebP EXIF chunk larger than this is not read
_EXIF_MAX_READS = 1_000_000  # a 64 KiB maker note read byte by byte needs 65,536
_EXIF_MAX_SHORT_READS = 10_000
_PNG_READ = dict.fromkeys((b"tEXt", b"zTXt", b"iTXt"), _MAX_TEXT_CHUNK) | {b"eXIf": _MAX_EXIF_CHUNK}
_SPOOL_IN_MEMORY = 32 << 20  # a non-seekable source is copied; beyond this it spills to disk
_DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's own default decompression-bomb limit
_BLOCK_ROWS = 1024  # near_duplicates compares a bucket this many rows at a time
_GPS_PLACES = 6  # decimal places of degrees kept as text (about 0.1 m)

# Native screen sizes (portrait, pixels) of iPhones and iPads: a PNG named IMG_1234 of exactly
# one of these sizes is what iOS saves for a screenshot (camera photos are HEIC/JPEG, 4:3).
_IOS_SCREENS = {
    (640, 960), (640, 1136), (750, 1334), (1242, 2208), (1125, 2436), (828, 1792),
    (1242, 2688), (1080, 2340), (1170, 2532), (1284, 2778), (1179, 2556), (1290, 2796),
    (1206, 2622), (1320, 2868), (1536, 2048), (1620, 2160), (1668, 2224), (1668, 2388),
    (1640, 2360), (1488, 2266), (2048, 2732), (2064, 2752),
}  # fmt: skip
# Package names MIUI appends to screenshot names, as the app a user would name.
_PACKAGE_APPS = {
    "com.whatsapp": "WhatsApp",
    "com.whatsapp.w4b": "WhatsApp Business",
    "com.instagram.android": "Instagram",
    "com.facebook.orca": "Messenger",
    "com.facebook.katana": "Facebook",
    "org.telegram.messenger": "Telegram",
    "com.snapchat.android": "Snapchat",
    "com.twitter.android": "X (Twitter)",
    "com.discord": "Discord",
    "com.google.android.apps.messaging": "Messages",
    "com.android.mms": "Messages",
    "com.samsung.android.messaging": "Messages",
}

_DUP = r"(?:\s?\(\d+\))?"  # " (1)" added by a copy
_EXT = r"\.(?:png|jpe?g|webp)$"
_NAME_SAMSUNG = re.compile(rf"^Screenshot_(\d{{8}}-\d{{6}})(?:_(.+?))?{_DUP}{_EXT}", re.I)
_NAME_MIUI = re.compile(
    rf"^Screenshot_(\d{{4}}(?:-\d\d){{5}})(?:-(\d{{3}}))?(?:_(.+?))?{_DUP}{_EXT}", re.I
)
_NAME_MACOS = re.compile(
    r"^Screen ?shot (\d{4}-\d\d-\d\d at \d{1,2}\.\d\d\.\d\d(?:\s?[AP]M)?)" + _DUP + r"\.png$", re.I
)
_NAME_WHATSAPP = re.compile(r"^IMG-(\d{8})-WA\d{4,}" + _DUP + r"\.(?:jpe?g|png|webp)$", re.I)
_NAME_TELEGRAM = re.compile(r"^photo_\d+@\d\d-\d\d-\d{4}_\d\d-\d\d-\d\d" + _DUP + r"\.jpe?g$", re.I)
_NAME_IOS = re.compile(r"^IMG_\d{4}" + _DUP + r"\.png$", re.I)

_EXIF_TIME = re.compile(r"^(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)$")
_ISO_TIME = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6})\d*)?)?(Z|[+-]\d\d:?\d\d)?$"
)
_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")
_SAYS_SCREENSHOT = re.compile(r"(?:(?:exif:)?UserComment\s*[:=]\s*)?Screenshot", re.I)


@dataclass(frozen=True)
class _Capture:
    """A capture time as one source in the file states it."""

    raw: str
    where: str  # e.g. "EXIF DateTimeOriginal", for warnings
    naive: datetime | None  # wall-clock time; None when the text could not be read
    offset: str | None = None  # "+01:00" when the file states the offset


@dataclass(frozen=True)
class _NameFacts:
    """What a file-name convention says (FORMATS.md §10)."""

    evidence: str | None = None  # a screenshot reason
    app: str | None = None
    capture: _Capture | None = None
    ios_candidate: bool = False  # IMG_1234.PNG: a screenshot only at an iOS screen size


@dataclass
class _Found:
    """What the image says about itself, gathered step by step."""

    width: int | None = None
    height: int | None = None
    make: str | None = None
    model: str | None = None
    software: str | None = None
    gps: tuple[str | None, str | None] = (None, None)
    user_comment: str | None = None
    exif_size: tuple[int, int] | None = None
    png_text: dict[str, str] = field(default_factory=dict)
    exif_block: bytes | None = None  # PNG eXIf chunk (TIFF)
    xmp: str | None = None
    phash: str | None = None


def _format_of(head: bytes) -> str | None:
    """Image format from the magic bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(_PNG_SIGNATURE):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heic"
    return None


def _tag_text(tag: Any) -> str | None:
    """An ASCII EXIF tag as text, NULs and padding removed; None if empty."""
    if tag is None:
        return None
    values = getattr(tag, "values", tag)
    if isinstance(values, bytes):
        text = values.decode("latin-1")  # exifread leaves non-UTF-8 ASCII tags as bytes
    elif isinstance(values, str):
        text = values
    else:
        text = str(getattr(tag, "printable", values))
    return text.replace("\x00", "").strip() or None


def _user_comment(tag: Any) -> str | None:
    """EXIF UserComment decoded from its 8-byte charset prefix (exifread mangles UTF-16)."""
    values = getattr(tag, "values", None)
    if isinstance(values, str):
        return values.replace("\x00", "").strip() or None
    if isinstance(values, bytes):
        data = values
    elif isinstance(values, list) and all(isinstance(v, int) for v in values):
        data = bytes(v & 0xFF for v in values)
    else:
        return None
    prefix, body = data[:8], data[8:]
    if prefix.startswith(b"UNICODE"):
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = body.decode("utf-16", "replace")
        else:  # no BOM: the zero bytes of ASCII-range text show the byte order
            big = body[0::2].count(0) > body[1::2].count(0)
            text = body.decode("utf-16-be" if big else "utf-16-le", "replace")
    elif prefix.startswith(b"JIS"):
        text = body.decode("shift_jis", "replace")
    else:  # ASCII, or the undefined (all-zero) prefix
        text = body.decode("utf-8", "replace")
    return text.replace("\x00", "").strip() or None


def _offset_text(raw: str | None) -> str | None:
    """``+HH:MM`` from an EXIF/ISO offset, or None if it is not one."""
    if raw is None:
        return None
    if raw == "Z":
        return "+00:00"
    m = _OFFSET.match(raw)
    if not m or int(m[2]) > 18 or int(m[3]) > 59:
        return None
    return f"{m[1]}{m[2]}:{m[3]}"


def _exif_naive(raw: str) -> datetime | None:
    """``YYYY:MM:DD HH:MM:SS`` as a naive datetime, or None."""
    m = _EXIF_TIME.match(raw)
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups())
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _iso_capture(raw: str, where: str) -> _Capture:
    """An ISO 8601 (XMP) or RFC 1123 (PNG 'Creation Time') time, with its offset if stated."""
    m = _ISO_TIME.match(raw)
    naive: datetime | None = None
    offset: str | None = None
    if m:
        year, month, day, hour, minute = (int(m[i]) for i in range(1, 6))
        micro = int((m[7] or "0").ljust(6, "0"))
        try:
            naive = datetime(year, month, day, hour, minute, int(m[6] or 0), micro)
        except ValueError:
            naive = None
        offset = _offset_text(m[8])
    elif (naive := _exif_naive(raw)) is None:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return _Capture(raw, where, None)
        naive = moment.replace(tzinfo=None)
        if (delta := moment.utcoffset()) is not None:
            minutes = int(delta.total_seconds()) // 60
            sign = "-" if minutes < 0 else "+"
            offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return _Capture(raw, where, naive, offset)


def _name_capture(raw: str, fmt: str) -> _Capture:
    try:
        return _Capture(raw, "the file name", datetime.strptime(raw, fmt))
    except ValueError:
        return _Capture(raw, "the file name", None)


def _name_facts(name: str, fmt: str | None) -> _NameFacts:
    """Screenshot evidence, app and local time from Android/OEM/iOS/macOS naming conventions."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if m := _NAME_SAMSUNG.match(base):
        capture = _name_capture(m[1], "%Y%m%d-%H%M%S")
        if m[2]:
            reason = f"File name has the Samsung screenshot form Screenshot_YYYYMMDD-HHMMSS_{m[2]}."
            return _NameFacts(reason, m[2], capture)
        form = "Android screenshot form Screenshot_YYYYMMDD-HHMMSS"
        return _NameFacts(f"File name has the {form}.", None, capture)
    if m := _NAME_MIUI.match(base):
        raw = m[1] + (f"-{m[2]}" if m[2] else "")
        capture = _name_capture(raw, "%Y-%m-%d-%H-%M-%S" + ("-%f" if m[2] else ""))
        if m[2] or m[3]:
            form = "Xiaomi (MIUI) screenshot form Screenshot_YYYY-MM-DD-HH-MM-SS-mmm_<package>"
            app = _PACKAGE_APPS.get(m[3], m[3]) if m[3] else None
            return _NameFacts(f"File name has the {form}.", app, capture)
        form = "older Android screenshot form Screenshot_YYYY-MM-DD-HH-MM-SS"
        return _NameFacts(f"File name has the {form}.", None, capture)
    if m := _NAME_MACOS.match(base):
        fmt12 = "%Y-%m-%d at %I.%M.%S%p" if m[1][-1] in "Mm" else "%Y-%m-%d at %H.%M.%S"
        capture = _name_capture(m[1].replace(" AM", "AM").replace(" PM", "PM"), fmt12)
        return _NameFacts("File name has the macOS screenshot form.", None, capture)
    if _NAME_WHATSAPP.match(base):
        # The date is when WhatsApp saved a received image, not a capture time: not used.
        return _NameFacts(None, "WhatsApp")
    if _NAME_TELEGRAM.match(base):
        # Telegram Desktop export: the name carries the message time, not a capture time.
        return _NameFacts(None, "Telegram")
    if _NAME_IOS.match(base) and fmt == "png":
        return _NameFacts(ios_candidate=True)
    return _NameFacts()


def _gps_degrees(tag: Any, ref_tag: Any, refs: str, limit: int) -> tuple[str | None, str]:
    """Decimal degrees as fixed-point text from EXIF D/M/S rationals, or (None, the problem)."""
    values = getattr(tag, "values", None)
    ref = (_tag_text(ref_tag) or "").upper()[:1]
    if not isinstance(values, list) or not 1 <= len(values) <= 3:
        return None, "is not one to three numbers"
    if not ref or ref not in refs:
        return None, f"has reference {ref!r}, not {refs[0]} or {refs[1]}: hemisphere unknown"
    total = Fraction(0)
    for value, unit in zip(values, (1, 60, 3600), strict=False):
        # exifread keeps a zero denominator in the Ratio's attributes: check them, not the value
        num, den = getattr(value, "numerator", value), getattr(value, "denominator", 1)
        if not isinstance(num, int) or not isinstance(den, int) or den == 0:
            return None, "has a zero or unreadable denominator"
        total += Fraction(num, den * unit)
    if not 0 <= total <= limit:
        return None, f"is {float(total):.3f} degrees, out of range"
    scaled = round(total * 10**_GPS_PLACES)
    sign = "-" if ref == refs[1] and scaled else ""
    return f"{sign}{scaled // 10**_GPS_PLACES}.{scaled % 10**_GPS_PLACES:0{_GPS_PLACES}d}", ""


@contextmanager
def _seekable(source: Source) -> Iterator[BinaryIO]:
    """The source's bytes in a seekable file (spooled to disk if the source cannot seek)."""
    with source.open() as raw:
        if raw.seekable():
            yield raw
            return
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as copy:
            while chunk := raw.read(1 << 20):
                copy.write(chunk)
            copy.seek(0)
            yield cast(BinaryIO, copy)


def _xmp_value(xmp: str, name: str) -> str | None:
    """A simple XMP property (element, rdf:Alt/Seq item, or attribute form), unescaped."""
    m = re.search(rf"<{name}(?:\s[^>]*)?>(.*?)</{name}>", xmp, re.S)
    if m:
        inner = m[1]
        if item := re.search(r"<rdf:li(?:\s[^>]*)?>(.*?)</rdf:li>", inner, re.S):
            inner = item[1]
    elif m := re.search(rf"\s{name}\s*=\s*([\"'])(.*?)\1", xmp, re.S):
        inner = m[2]
    else:
        return None
    return html.unescape(inner).strip() or None


def _read_exif(f: BinaryIO, fmt: str | None, found: _Found, source: Source, ctx: Context) -> _Step:
    """exifread's tags (``details=True`` keeps UserComment); a failure is a warning.

    PNG and WebP EXIF blocks are found here and handed over as TIFF: exifread's own PNG chunk
    scan fails on damaged chunks, and it misreads spec-conforming WebP (see ``_webp_exif``).
    """
    if fmt not in ("jpeg", "png", "webp", "heic", "avif"):
        return {}  # GIF has no EXIF
    stream: BinaryIO = f
    if fmt in ("png", "webp"):
        block = found.exif_block if fmt == "png" else (yield from _webp_exif(f, source, ctx))
        if block is None:
            return {}
        stream = io.BytesIO(block)
    tags: dict[str, Any] = {}
    warned = False
    for details in (True, False):
        try:
            tags = exifread.process_file(
                cast(BinaryIO, _BoundedReader(stream)),
                details=details,
                extract_thumbnail=False,
                truncate_tags=False,
            )
            break
        except Exception as exc:  # any failure of the EXIF parser means damaged EXIF
            retry = "; read again without maker note and UserComment" if details else ""
            message = f"EXIF unreadable ({_why(exc)}){retry or '; skipped'}"
            yield ctx.warn(source.locate(pointer="/exif"), message)
            warned = True
    stated = fmt in ("png", "webp") or (fmt == "jpeg" and b"Exif\x00\x00" in source.head)
    if not tags and not warned and stated:
        # exifread only logs when it gives up on a damaged block: say so here
        yield ctx.warn(source.locate(pointer="/exif"), "EXIF block present but unreadable")
    return dict(tags)


class _RunawayExif(Exception):
    """exifread was led into reading far more than any real EXIF block holds."""


class _BoundedReader:
    """The file as exifread sees it, with a budget.

    With ``details=True`` exifread reads a MakerNote one value per read, ``count`` times, and
    returns zeros past the end of the file: a forged count of 2**32 would run for hours.
    """

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._reads = 0
        self._short = 0

    def read(self, size: int = -1) -> bytes:
        self._reads += 1
        if self._reads > _EXIF_MAX_READS or size < 0 or size > _MAX_EXIF_CHUNK:
            raise _RunawayExif(f"gave up after {self._reads} reads (last asked {size} bytes)")
        data = self._f.read(size)
        if len(data) < size:
            self._short += 1
            if self._short > _EXIF_MAX_SHORT_READS:
                raise _RunawayExif("kept reading past the end of the file")
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()


def _webp_exif(f: BinaryIO, source: Source, ctx: Context) -> _Step:
    """The WebP EXIF chunk as a TIFF block, or None.

    The chunk holds raw TIFF (RIFF container spec); exifread 3.5.1 always skips an
    ``Exif\\0\\0`` prefix there and so misreads spec-conforming files: it is read here.
    """
    f.seek(12)
    pos = 12
    while len(header := f.read(8)) == 8:
        fourcc, size = header[:4], int.from_bytes(header[4:], "little")
        if fourcc == b"EXIF":
            if size > _MAX_EXIF_CHUNK:
                yield ctx.warn(source.locate(offset=pos), f"EXIF chunk of {size} bytes skipped")
                return None
            payload = f.read(size)
            if len(payload) < size:
                yield ctx.warn(source.locate(offset=pos), "WebP truncated inside the EXIF chunk")
            return payload.removeprefix(b"Exif\x00\x00")
        f.seek(size + (size & 1), 1)
        pos += 8 + size + (size & 1)
    return None


def _take_exif(tags: dict[str, Any], found: _Found, source: Source, ctx: Context) -> _Step:
    """Make, model, software, UserComment, stated size and GPS from the EXIF tags."""
    found.make = _tag_text(tags.get("Image Make"))
    found.model = _tag_text(tags.get("Image Model"))
    found.software = _tag_text(tags.get("Image Software"))
    found.user_comment = _user_comment(tags.get("EXIF UserComment"))
    for wkey, hkey in (
        ("EXIF ExifImageWidth", "EXIF ExifImageLength"),
        ("Image ImageWidth", "Image ImageLength"),
    ):
        width, height = _tag_int(tags.get(wkey)), _tag_int(tags.get(hkey))
        if width and height:
            found.exif_size = (width, height)
            break
    gps: list[str | None] = []
    for axis, refs, limit in (("Latitude", "NS", 90), ("Longitude", "EW", 180)):
        tag = tags.get(f"GPS GPS{axis}")
        degrees, problem = (
            (None, "")
            if tag is None
            else _gps_degrees(tag, tags.get(f"GPS GPS{axis}Ref"), refs, limit)
        )
        if problem:
            where = source.locate(pointer=f"/exif/GPS GPS{axis}")
            yield ctx.warn(where, f"EXIF GPS {axis.lower()} {problem}; not used")
        gps.append(degrees)
    found.gps = (gps[0], gps[1])


def _tag_int(tag: Any) -> int | None:
    values = getattr(tag, "values", None)
    if isinstance(values, list) and values and isinstance(values[0], int):
        return values[0]
    return None


def _walk_png(f: BinaryIO, found: _Found, source: Source, ctx: Context) -> _Step:
    """Read the text and eXIf chunks (wherever they are, also after IDAT), skipping pixels."""
    f.seek(len(_PNG_SIGNATURE))
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos % 1024 == 0:
            ctx.check_cancelled()
        header = f.read(8)
        if len(header) < 8:
            yield ctx.warn(source.locate(offset=pos), "PNG ends without an IEND chunk (truncated)")
            return
        length, ctype = struct.unpack(">I4s", header)
        if not ctype.isalpha() or length > 0x7FFFFFFF:
            yield ctx.warn(source.locate(offset=pos), "not a PNG chunk here; chunk walk stopped")
            return
        if ctype == b"IEND":
            return
        name, limit = ctype.decode(), _PNG_READ.get(ctype)
        if limit is not None and length > limit:
            yield ctx.warn(source.locate(offset=pos), f"{name} chunk of {length} bytes skipped")
        if limit is None or length > limit:
            f.seek(length + 4, 1)
        else:
            body, crc = f.read(length), f.read(4)
            if len(crc) < 4:
                yield ctx.warn(source.locate(offset=pos), f"PNG truncated inside a {name} chunk")
                return
            if problem := _png_chunk(ctype, body, crc, found):
                yield ctx.warn(source.locate(offset=pos), f"{name} chunk {problem}; skipped")
        pos += 12 + length


def _png_chunk(ctype: bytes, body: bytes, crc: bytes, found: _Found) -> str:
    """Keep an eXIf block or a text chunk in ``found``; return the problem, if any."""
    if zlib.crc32(ctype + body) != int.from_bytes(crc, "big"):
        return "fails its CRC (damaged)"
    if ctype != b"eXIf":
        return _png_text(ctype, body, found)
    if found.exif_block is not None:
        return "is a second one (PNG allows one)"
    found.exif_block = body
    return ""


def _png_text(ctype: bytes, body: bytes, found: _Found) -> str:
    """Store one text chunk's keyword and text in ``found``; return the problem, if any."""
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or not 1 <= len(keyword) <= 79:
        return "has no keyword"
    compressed = ctype == b"zTXt"
    if ctype == b"iTXt":
        if len(rest) < 2:
            return "is cut short"
        compressed, rest = rest[0] == 1, rest[2:]
        _lang, _, rest = rest.partition(b"\x00")
        _translated, _, rest = rest.partition(b"\x00")
    elif compressed:
        rest = rest[1:]  # compression method byte: 0 (deflate) is the only one defined
    if compressed:
        inflater = zlib.decompressobj()
        try:
            rest = inflater.decompress(rest, _MAX_TEXT_CHUNK)
        except zlib.error:
            return "does not inflate"
        if inflater.unconsumed_tail:
            return f"inflates past {_MAX_TEXT_CHUNK} bytes"
    try:  # tEXt/zTXt are Latin-1 by definition, iTXt UTF-8
        text = rest.decode("utf-8") if ctype == b"iTXt" else rest.decode("latin-1")
    except UnicodeDecodeError:
        return "is not valid UTF-8"
    found.png_text.setdefault(keyword.decode("latin-1"), text)
    return ""


def _decode(f: BinaryIO, fmt: str | None, found: _Found, source: Source, ctx: Context) -> _Step:
    """Size (header only), XMP of non-PNG formats, and the perceptual hash behind a pixel limit."""
    where = source.locate(offset=0)
    f.seek(0)
    try:
        image = Image.open(f)
    except Image.DecompressionBombError as exc:
        yield ctx.warn(where, f"too many pixels to open safely ({exc}): metadata only")
        return
    except UnidentifiedImageError:
        what = f"{fmt.upper()} (no HEIF decoder here)" if fmt in ("heic", "avif") else "image"
        yield ctx.warn(where, f"Pillow cannot decode this {what}: metadata only, no size or hash")
        return
    except Exception as exc:  # a header Pillow cannot read is a damaged image
        yield ctx.warn(where, f"image header unreadable ({_why(exc)}): metadata only")
        return
    with image:
        found.width, found.height = image.size
        xmp = image.info.get("xmp")
        if fmt != "png" and isinstance(xmp, bytes | str):
            found.xmp = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp
        limit = Image.MAX_IMAGE_PIXELS or _DEFAULT_MAX_PIXELS
        if found.width * found.height > limit:
            size = f"{found.width}x{found.height}"
            yield ctx.warn(where, f"{size} pixels exceed the decode limit {limit}: no hash")
            return
        try:
            found.phash = str(imagehash.phash(image))
        except Exception as exc:  # truncated or corrupt pixel data is damage
            yield ctx.warn(where, f"pixels unreadable ({_why(exc)}): no perceptual hash")


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def _blank(raw: str | None) -> bool:
    """EXIF writes an unknown date as blanks or zeros; that is 'not stated', not damage."""
    return raw is None or set(raw) <= set(" :0")


def _exif_captures(tags: dict[str, Any], source: Source, ctx: Context) -> _Step:
    """DateTimeOriginal, then DateTime, each with its own offset tag when stated."""
    original = _tag_text(tags.get("EXIF DateTimeOriginal") or tags.get("Image DateTimeOriginal"))
    modified = _tag_text(tags.get("Image DateTime"))
    offset_original = _tag_text(tags.get("EXIF OffsetTimeOriginal"))
    offset_modified = _tag_text(tags.get("EXIF OffsetTime"))
    if offset_original is None and original == modified:
        offset_original = offset_modified  # OffsetTime belongs to DateTime: same wall time here
    captures: list[_Capture] = []
    for raw, offset_raw, where in (
        (original, offset_original, "EXIF DateTimeOriginal"),
        (modified, offset_modified, "EXIF DateTime"),
    ):
        if raw is None or _blank(raw):
            continue
        offset = _offset_text(offset_raw)
        if offset_raw is not None and offset is None:
            message = f"offset {offset_raw!r} of {where} is not ±HH:MM; the time is taken as local"
            yield ctx.warn(source.locate(pointer="/exif"), message)
        captures.append(_Capture(raw, where, _exif_naive(raw), offset))
    return captures


def _other_captures(found: _Found) -> list[_Capture]:
    """Capture times from XMP and the PNG 'Creation Time' text, in that order."""
    captures = []
    for name in ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate"):
        value = _xmp_value(found.xmp, name) if found.xmp else None
        if value:
            captures.append(_iso_capture(value, f"XMP {name}"))
    if creation := found.png_text.get("Creation Time", "").strip():
        captures.append(_iso_capture(creation, "PNG 'Creation Time'"))
    return captures


def _screenshot_reasons(found: _Found, facts: _NameFacts) -> list[str]:
    """Why the image is thought to be a screenshot, one short sentence each."""
    reasons = []
    if (found.user_comment or "").lower() == "screenshot":
        reasons.append("EXIF UserComment is 'Screenshot', as iOS writes in screenshots.")
    xmp_comment = _xmp_value(found.xmp, "exif:UserComment") if found.xmp else None
    if (xmp_comment or "").lower() == "screenshot":
        reasons.append("XMP exif:UserComment is 'Screenshot', as iOS writes in screenshots.")
    for keyword, text in found.png_text.items():
        if keyword != "XML:com.adobe.xmp" and _SAYS_SCREENSHOT.fullmatch(text.strip()):
            reasons.append(f"PNG text {keyword!r} says {text.strip()!r}.")
    if facts.evidence:
        reasons.append(facts.evidence)
    size = (found.width, found.height)
    if facts.ios_candidate and (size in _IOS_SCREENS or size[::-1] in _IOS_SCREENS):
        reasons.append(
            f"File name IMG_nnnn.PNG and size {size[0]}x{size[1]} match an iPhone/iPad screen."
        )
    return reasons


def _image_record(
    tags: dict[str, Any], found: _Found, fmt: str | None, source: Source, ctx: Context
) -> Iterator[Record]:
    """Choose the capture time, cross-check it, and yield the ImageMeta record."""
    facts = _name_facts(source.name, fmt)
    captures = yield from _exif_captures(tags, source, ctx)
    captures += _other_captures(found)
    if facts.capture is not None:
        captures.append(facts.capture)
    chosen: _Capture | None = None
    for capture in captures:
        if capture.naive is None:
            message = f"{capture.where} {capture.raw!r} is not a full date and time"
            yield ctx.warn(source.locate(offset=0), message)
        elif chosen is None:
            chosen = capture
    yield from _cross_checks(chosen, facts, found, source, ctx)
    utc: str | None = None
    tz: str | None = None
    flags: tuple[str, ...] = ()
    if chosen is not None and chosen.naive is not None:
        if chosen.offset is not None:
            sign = -1 if chosen.offset[0] == "-" else 1
            delta = timedelta(hours=int(chosen.offset[1:3]), minutes=int(chosen.offset[4:6]))
            utc = format_utc(chosen.naive.replace(tzinfo=timezone(sign * delta)))
        else:
            resolved = local_to_utc(chosen.naive, ctx.tz)
            utc, tz, flags = resolved.utc, ctx.tz, resolved.flags
    elif captures:
        chosen, flags = captures[0], ("time_unparsed",)
    reasons = _screenshot_reasons(found, facts)
    xmp = found.xmp or ""
    yield ImageMeta(
        locator=source.locate(offset=0),
        width=found.width,
        height=found.height,
        captured_at_raw=chosen.raw if chosen else None,
        captured_at_utc=utc,
        captured_offset=chosen.offset if chosen and utc else None,
        tz=tz,
        tz_assumed=tz is not None,
        flags=flags,
        make=found.make or (_xmp_value(xmp, "tiff:Make") if xmp else None),
        model=found.model or (_xmp_value(xmp, "tiff:Model") if xmp else None),
        software=found.software
        or found.png_text.get("Software", "").strip()
        or (_xmp_value(xmp, "xmp:CreatorTool") if xmp else None),
        gps_lat=found.gps[0],
        gps_lon=found.gps[1],
        screenshot=bool(reasons),
        screenshot_evidence=tuple(reasons),
        app_guess=facts.app,
        phash=found.phash,
        user_comment=found.user_comment or (_xmp_value(xmp, "exif:UserComment") if xmp else None),
    )


def _cross_checks(
    chosen: _Capture | None, facts: _NameFacts, found: _Found, source: Source, ctx: Context
) -> Iterator[ExtractWarning]:
    """Disagreements an examiner must see: name vs EXIF time, stated vs real size."""
    named = facts.capture
    if chosen and named and chosen is not named and chosen.naive and named.naive:
        gap = abs(chosen.naive.replace(microsecond=0) - named.naive.replace(microsecond=0))
        if gap > timedelta(seconds=1):
            message = (
                f"the file name says {named.raw} but {chosen.where} says {chosen.raw}: "
                "renamed, or a different clock"
            )
            yield ctx.warn(source.locate(pointer="/name"), message)
    size = (found.width, found.height)
    if found.exif_size and found.width is not None and found.exif_size != size:
        stated = f"{found.exif_size[0]}x{found.exif_size[1]}"
        message = f"EXIF states {stated} pixels but the image is {size[0]}x{size[1]}: re-encoded"
        yield ctx.warn(source.locate(pointer="/exif"), message)


class ImageMetaExtractor:
    """Screenshots and other images: EXIF, PNG text/XMP, file-name conventions, perceptual hash."""

    name: ClassVar[str] = "image_meta"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "Images (JPEG, PNG, WebP, GIF, HEIC): capture time, device, GPS, screenshot markers, "
        "app from the file name, 64-bit perceptual hash"
    )

    def sniff(self, source: Source) -> bool:
        """An image by its magic bytes, or by the MIME type found at acquisition."""
        return _format_of(source.head) is not None or source.mime in _MIME_FORMAT

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Warnings met on the way, then one ImageMeta record."""
        ctx.check_cancelled()
        fmt = _format_of(source.head) or _MIME_FORMAT.get(source.mime)
        _, dot, suffix = source.name.rpartition(".")
        ext = _EXT_FORMAT.get(suffix.lower()) if dot else None
        if fmt and ext and ext != fmt:
            message = f"the file name says {ext.upper()} but the content is {fmt.upper()}"
            yield ctx.warn(source.locate(pointer="/name"), message)
        found = _Found()
        with _seekable(source) as f:
            if fmt == "png":
                yield from _walk_png(f, found, source, ctx)
                found.xmp = found.png_text.get("XML:com.adobe.xmp")
            tags = yield from _read_exif(f, fmt, found, source, ctx)
            yield from _take_exif(tags, found, source, ctx)
            yield from _decode(f, fmt, found, source, ctx)
        ctx.progress(source.size)
        yield from _image_record(tags, found, fmt, source, ctx)


def _hash_int(item_id: str, phash: str) -> int:
    if not re.fullmatch(r"[0-9a-fA-F]{16}", phash):
        raise ValueError(f"perceptual hash of {item_id!r} is not 16 hex digits: {phash!r}")
    return int(phash, 16)


def _bands(max_distance: int) -> list[tuple[int, int]]:
    """(shift, mask) of max_distance+1 disjoint bands covering the 64 bits."""
    count = max_distance + 1
    bands, start = [], 0
    for index in range(count):
        width = 64 // count + (1 if index < 64 % count else 0)
        bands.append((start, (1 << width) - 1))
        start += width
    return bands


def near_duplicates(
    phashes: list[tuple[str, str]], max_distance: int = 8
) -> list[tuple[str, str, int]]:
    """Pairs of items whose 64-bit perceptual hashes differ in at most ``max_distance`` bits.

    Pigeonhole: split the 64 bits into max_distance+1 bands; two hashes within the distance
    agree exactly on at least one band, so only items sharing a band value are compared
    (vectorised per bucket with numpy, which ImageHash already needs).

    Args:
        phashes: (item id, 16 hex digits); an id listed twice is never paired with itself.
        max_distance: 0..63.

    Returns:
        (id_a, id_b, distance) with id_a < id_b, sorted by distance, then ids.

    Raises:
        ValueError: a hash that is not 16 hex digits, or max_distance out of range.
    """
    if not 0 <= max_distance <= 63:
        raise ValueError(f"max_distance must be 0..63, not {max_distance}")
    items = sorted((item_id, _hash_int(item_id, h)) for item_id, h in phashes)
    values = np.array([value for _, value in items], dtype=np.uint64)
    found: dict[tuple[int, int], int] = {}
    for bucket in _buckets(values, max_distance):
        for start in range(0, len(bucket), _BLOCK_ROWS):  # bounded memory for huge buckets
            rows = bucket[start : start + _BLOCK_ROWS]
            distances = np.bitwise_count(values[rows, None] ^ values[None, bucket])
            for r, c in zip(*np.nonzero(distances <= max_distance), strict=True):
                i, j = int(rows[r]), int(bucket[c])
                if i < j and items[i][0] != items[j][0]:
                    found[(i, j)] = int(distances[r, c])
    pairs = [(items[i][0], items[j][0], d) for (i, j), d in found.items()]
    return sorted(pairs, key=lambda p: (p[2], p[0], p[1]))


def _buckets(values: NDArray[np.uint64], max_distance: int) -> Iterator[NDArray[np.intp]]:
    """Sorted index groups of two or more items sharing one band's value, band by band."""
    for shift, mask in _bands(max_distance):
        keys = (values >> np.uint64(shift)) & np.uint64(mask)
        order = np.argsort(keys, kind="stable")
        for group in np.split(order, np.flatnonzero(np.diff(keys[order])) + 1):
            if len(group) > 1:
                yield np.sort(group)


register(ImageMetaExtractor())

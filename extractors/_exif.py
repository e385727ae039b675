"""EXIF for image_meta: exifread behind a read budget, WebP EXIF, GPS, capture times, offsets.

exifread runs with ``details=True`` (without it the iOS ``UserComment`` marker is dropped);
a forged maker note could make it read for hours, hence ``_BoundedReader``.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from fractions import Fraction
from typing import Any, BinaryIO, cast

import exifread

from extractors._image_facts import Capture, Found, Step, why
from extractors.base import Context, Source

MAX_EXIF_CHUNK = 16 << 20  # a PNG/WebP EXIF chunk larger than this is not read
_EXIF_MAX_READS = 1_000_000  # a 64 KiB maker note read byte by byte needs 65,536
_EXIF_MAX_SHORT_READS = 10_000
_GPS_PLACES = 6  # decimal places of degrees kept as text (about 0.1 m)

_EXIF_TIME = re.compile(r"^(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)$")
_ISO_TIME = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6})\d*)?)?(Z|[+-]\d\d:?\d\d)?$"
)
_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")


def read_exif(f: BinaryIO, fmt: str | None, found: Found, source: Source, ctx: Context) -> Step:
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
            message = f"EXIF unreadable ({why(exc)}){retry or '; skipped'}"
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
        if self._reads > _EXIF_MAX_READS or size < 0 or size > MAX_EXIF_CHUNK:
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


def _webp_exif(f: BinaryIO, source: Source, ctx: Context) -> Step:
    """The WebP EXIF chunk as a TIFF block, or None.

    The chunk holds raw TIFF (RIFF container spec); exifread 3.5.1 always skips an
    ``Exif\\0\\0`` prefix there and so misreads spec-conforming files: it is read here.
    """
    f.seek(12)
    pos = 12
    while len(header := f.read(8)) == 8:
        fourcc, size = header[:4], int.from_bytes(header[4:], "little")
        if fourcc == b"EXIF":
            if size > MAX_EXIF_CHUNK:
                yield ctx.warn(source.locate(offset=pos), f"EXIF chunk of {size} bytes skipped")
                return None
            payload = f.read(size)
            if len(payload) < size:
                yield ctx.warn(source.locate(offset=pos), "WebP truncated inside the EXIF chunk")
            return payload.removeprefix(b"Exif\x00\x00")
        f.seek(size + (size & 1), 1)
        pos += 8 + size + (size & 1)
    return None


def take_exif(tags: dict[str, Any], found: Found, source: Source, ctx: Context) -> Step:
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


def exif_captures(tags: dict[str, Any], source: Source, ctx: Context) -> Step:
    """DateTimeOriginal, then DateTime, each with its own offset tag when stated."""
    original = _tag_text(tags.get("EXIF DateTimeOriginal") or tags.get("Image DateTimeOriginal"))
    modified = _tag_text(tags.get("Image DateTime"))
    offset_original = _tag_text(tags.get("EXIF OffsetTimeOriginal"))
    offset_modified = _tag_text(tags.get("EXIF OffsetTime"))
    if offset_original is None and original == modified:
        offset_original = offset_modified  # OffsetTime belongs to DateTime: same wall time here
    captures: list[Capture] = []
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
        captures.append(Capture(raw, where, _exif_naive(raw), offset))
    return captures


def _blank(raw: str | None) -> bool:
    """EXIF writes an unknown date as blanks or zeros; that is 'not stated', not damage."""
    return raw is None or set(raw) <= set(" :0")


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


def iso_capture(raw: str, where: str) -> Capture:
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
            return Capture(raw, where, None)
        naive = moment.replace(tzinfo=None)
        if (delta := moment.utcoffset()) is not None:
            minutes = int(delta.total_seconds()) // 60
            sign = "-" if minutes < 0 else "+"
            offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return Capture(raw, where, naive, offset)

"""Images offered as evidence: EXIF, PNG text chunks, file-name conventions, perceptual hash.

FORMATS.md §10. One ImageMeta record per image, after the warnings met on the way. EXIF comes
from exifread with ``details=True`` (without it the iOS ``UserComment`` marker is dropped),
behind a read budget; PNG chunks (eXIf, and tEXt/zTXt/iTXt where iOS keeps its XMP) are
walked here because exifread ignores text chunks; Pillow reads the size from the header and
decodes pixels only for the hash, behind a pixel limit. ``near_duplicates`` pairs perceptual
hashes without comparing all pairs.

The readers live in private modules: ``_exif`` (EXIF, GPS, capture times), ``_png_chunks``,
``_image_names`` (file-name conventions, screenshot evidence) and ``_phash_neighbours``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta, timezone
from typing import Any, BinaryIO, ClassVar, cast

import imagehash
from PIL import Image, UnidentifiedImageError

from extractors._exif import exif_captures, iso_capture, read_exif, take_exif
from extractors._image_facts import Capture, Found, Step, why, xmp_value
from extractors._image_names import NameFacts, name_facts, screenshot_reasons
from extractors._phash_neighbours import _buckets as _buckets  # re-export: tests
from extractors._phash_neighbours import near_duplicates as near_duplicates  # re-export: API
from extractors._png_chunks import PNG_SIGNATURE, walk_png
from extractors.base import Context, Source
from extractors.records import ExtractWarning, ImageMeta, Record
from extractors.registry import register
from extractors.timeutil import format_utc, local_to_utc

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
_SPOOL_IN_MEMORY = 32 << 20  # a non-seekable source is copied; beyond this it spills to disk
_DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's own default decompression-bomb limit


#: The least side, in pixels, a JPEG is decoded at for its perceptual hash (8x its 32 px).
_HASH_SOURCE_PX = 256


def _format_of(head: bytes) -> str | None:
    """Image format from the magic bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(PNG_SIGNATURE):
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


def _decode(f: BinaryIO, fmt: str | None, found: Found, source: Source, ctx: Context) -> Step:
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
        yield ctx.warn(where, f"image header unreadable ({why(exc)}): metadata only")
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
        if image.format == "JPEG":
            # The hash looks at 32x32 grey pixels: let the JPEG decoder scale by 1/2 to 1/8
            # and give grey directly, keeping at least 256 px a side: a 12-megapixel photo
            # hashes about 3x faster (bench/bench_phash.py), to the same hash or within 2
            # of its 64 bits (tests).
            image.draft("L", (_HASH_SOURCE_PX, _HASH_SOURCE_PX))
        try:
            found.phash = str(imagehash.phash(image))
        except Exception as exc:  # truncated or corrupt pixel data is damage
            yield ctx.warn(where, f"pixels unreadable ({why(exc)}): no perceptual hash")


def _image_record(
    tags: dict[str, Any], found: Found, fmt: str | None, source: Source, ctx: Context
) -> Iterator[Record]:
    """Choose the capture time, cross-check it, and yield the ImageMeta record."""
    facts = name_facts(source.name, fmt)
    captures = yield from exif_captures(tags, source, ctx)
    captures += _other_captures(found)
    if facts.capture is not None:
        captures.append(facts.capture)
    chosen: Capture | None = None
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
    reasons = screenshot_reasons(found, facts)
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
        make=found.make or (xmp_value(xmp, "tiff:Make") if xmp else None),
        model=found.model or (xmp_value(xmp, "tiff:Model") if xmp else None),
        software=found.software
        or found.png_text.get("Software", "").strip()
        or (xmp_value(xmp, "xmp:CreatorTool") if xmp else None),
        gps_lat=found.gps[0],
        gps_lon=found.gps[1],
        screenshot=bool(reasons),
        screenshot_evidence=tuple(reasons),
        app_guess=facts.app,
        phash=found.phash,
        user_comment=found.user_comment or (xmp_value(xmp, "exif:UserComment") if xmp else None),
    )


def _other_captures(found: Found) -> list[Capture]:
    """Capture times from XMP and the PNG 'Creation Time' text, in that order."""
    captures = []
    for name in ("exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate"):
        value = xmp_value(found.xmp, name) if found.xmp else None
        if value:
            captures.append(iso_capture(value, f"XMP {name}"))
    if creation := found.png_text.get("Creation Time", "").strip():
        captures.append(iso_capture(creation, "PNG 'Creation Time'"))
    return captures


def _cross_checks(
    chosen: Capture | None, facts: NameFacts, found: Found, source: Source, ctx: Context
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
    # 1.1: JPEG pixels decoded at reduced scale for the perceptual hash (see _decode).
    version: ClassVar[str] = "1.1"
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
        found = Found()
        with _seekable(source) as f:
            if fmt == "png":
                yield from walk_png(f, found, source, ctx)
                found.xmp = found.png_text.get("XML:com.adobe.xmp")
            tags = yield from read_exif(f, fmt, found, source, ctx)
            yield from take_exif(tags, found, source, ctx)
            yield from _decode(f, fmt, found, source, ctx)
        ctx.progress(source.size)
        yield from _image_record(tags, found, fmt, source, ctx)


register(ImageMetaExtractor())

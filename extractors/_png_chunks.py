"""PNG chunk walking for image_meta: the eXIf block and tEXt/zTXt/iTXt text chunks.

exifread ignores text chunks (where iOS keeps its XMP) and its own chunk scan fails on
damaged chunks, so the chunks are walked here, pixels skipped, each chunk behind a size limit.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

from extractors._exif import MAX_EXIF_CHUNK
from extractors._image_facts import Found, Step
from extractors.base import Context, Source

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_TEXT_CHUNK = 1 << 20  # PNG text chunks larger than this (or inflating past it) are skipped
_PNG_READ = dict.fromkeys((b"tEXt", b"zTXt", b"iTXt"), _MAX_TEXT_CHUNK) | {b"eXIf": MAX_EXIF_CHUNK}


def walk_png(f: BinaryIO, found: Found, source: Source, ctx: Context) -> Step:
    """Read the text and eXIf chunks (wherever they are, also after IDAT), skipping pixels."""
    f.seek(len(PNG_SIGNATURE))
    pos = len(PNG_SIGNATURE)
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


def _png_chunk(ctype: bytes, body: bytes, crc: bytes, found: Found) -> str:
    """Keep an eXIf block or a text chunk in ``found``; return the problem, if any."""
    if zlib.crc32(ctype + body) != int.from_bytes(crc, "big"):
        return "fails its CRC (damaged)"
    if ctype != b"eXIf":
        return _png_text(ctype, body, found)
    if found.exif_block is not None:
        return "is a second one (PNG allows one)"
    found.exif_block = body
    return ""


def _png_text(ctype: bytes, body: bytes, found: Found) -> str:
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

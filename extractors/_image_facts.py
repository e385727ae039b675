"""What image_meta gathers about one image, shared by its EXIF, PNG and file-name readers."""

from __future__ import annotations

import html
import re
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from extractors.records import ExtractWarning

# A step that may warn on the way and then hands back what it read.
Step = Generator[ExtractWarning, None, Any]


@dataclass(frozen=True)
class Capture:
    """A capture time as one source in the file states it."""

    raw: str
    where: str  # e.g. "EXIF DateTimeOriginal", for warnings
    naive: datetime | None  # wall-clock time; None when the text could not be read
    offset: str | None = None  # "+01:00" when the file states the offset


@dataclass
class Found:
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


def why(exc: BaseException) -> str:
    """The exception as a short phrase for a warning."""
    return f"{type(exc).__name__}: {exc}"[:200]


def xmp_value(xmp: str, name: str) -> str | None:
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

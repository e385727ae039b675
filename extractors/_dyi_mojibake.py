"""Mojibake repair of "Download your information" strings (FORMATS.md §3).

Facebook and Instagram write every non-ASCII string as UTF-8 bytes, each as a ``\\u00XX``
escape; lone surrogates from broken escapes are made storable.
"""

from __future__ import annotations

import contextlib
import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def repair_text(value: str, mojibake: bool) -> tuple[str, str | None]:
    """(clean text, raw text when changed): mojibake undone, lone surrogates replaced."""
    text, raw = value, value
    if mojibake and not text.isascii() and max(text) <= "\xff":
        with contextlib.suppress(UnicodeDecodeError):  # not mojibake: keep as written
            text = text.encode("latin-1").decode("utf-8")
    if _SURROGATE.search(text):  # storable forms: U+FFFD in text, an escape in raw
        text = _SURROGATE.sub("\ufffd", text)
        raw = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return text, (None if text == value else raw)


def clean(value: object, mojibake: bool) -> str | None:
    """A string value repaired, or None when the value is not a string."""
    return repair_text(value, mojibake)[0] if isinstance(value, str) else None

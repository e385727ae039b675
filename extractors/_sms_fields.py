"""Attribute values of SMS Backup & Restore elements: numbers, hidden callers, the phone's
readable date, and texts with their subject."""

from __future__ import annotations

import re
from datetime import datetime

from extractors._xml_text import Value

# CallLog.Calls presentation: 1 allowed, 2 restricted (withheld by the caller), 3 unknown
# (the network gave none), 4 payphone. Before it existed Android stored the number as
# CallerInfo's UNKNOWN_NUMBER "-1", PRIVATE_NUMBER "-2" or PAYPHONE_NUMBER "-3"; some ROMs
# and older apps write words instead. None of these is a number: never an account.
_PRESENTATION = {2: "withheld", 3: "unknown", 4: "payphone"}
_SPECIAL_NUMBERS = {"-1": "unknown", "-2": "withheld", "-3": "payphone", "": "unknown"}
_SPECIAL_NUMBERS |= {"null": "unknown", "unknown": "unknown", "unknown number": "unknown"}
_SPECIAL_NUMBERS |= dict.fromkeys(
    ("private", "private number", "withheld", "number withheld", "restricted", "anonymous",
     "hidden", "no caller id"),
    "withheld",
)  # fmt: skip
_SPECIAL_NUMBERS |= {"payphone": "payphone", "pay phone": "payphone"}
# readable_date as en-GB and en-US phones write it; other locales are not cross-checked.
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})"
_READABLE_GB = re.compile(r"(?P<d>\d{1,2}) (?P<mon>[A-Za-z]{3}) (?P<y>\d{4}) " + _TIME + "(?P<pm>)")
_READABLE_US = re.compile(
    r"(?P<mon>[A-Za-z]{3}) (?P<d>\d{1,2}), (?P<y>\d{4}) " + _TIME + r" ?(?P<pm>[AP]M)"
)
_DIGITS = re.compile(r"-?[0-9]{1,18}")


def int_or_none(text: str | None) -> int | None:
    """An attribute's whole number (at most 18 digits, sign allowed), else None."""
    return int(text) if text is not None and _DIGITS.fullmatch(text.strip()) else None


class Attrs:
    """An element's attributes with markers resolved, and as found where that differs."""

    __slots__ = ("raw", "text")

    def __init__(self, text: dict[str, str], raw: dict[str, str]) -> None:
        self.text = text
        self.raw = raw

    def opt(self, key: str) -> str | None:
        """The text; None when absent, empty or the literal "null" the app writes."""
        v = self.text.get(key)
        return None if v is None or v in ("", "null") else v

    def value(self, key: str) -> Value:
        return Value(self.text.get(key, ""), self.raw.get(key))

    def contact(self) -> str | None:
        name = self.opt("contact_name")
        return None if name == "(Unknown)" else name


def readable_gap(readable: str, ms: int) -> float:
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


def hidden_number(number: str | None, presentation: int | None) -> str | None:
    """Why a call or text has no usable number ("withheld", "unknown", "payphone"), or None
    if it has one. The presentation, when given, says it; else the number's stand-in."""
    n = (number or "").strip().casefold()
    if n not in _SPECIAL_NUMBERS:
        return None
    return _PRESENTATION.get(presentation or 0) or _SPECIAL_NUMBERS[n]


def presentation_word(presentation: int | None) -> str | None:
    """What a presentation other than "allowed" says ("withheld", …), else None."""
    return _PRESENTATION.get(presentation or 0)


def join_texts(parts: list[Value]) -> Value:
    """The text parts of an MMS as one text (and as found, when any part was fixed)."""
    text = "\n".join(p.text for p in parts)
    if all(p.raw is None for p in parts):
        return Value(text)
    return Value(text, "\n".join(p.text if p.raw is None else p.raw for p in parts))


def with_subject(subject: Value | None, body: Value) -> tuple[str, str | None]:
    """Text and raw text; a subject (rare) is shown above the body, as phones show it."""
    if subject is None or subject.text in ("", "null"):
        return body.text, body.raw
    text = f"Subject: {subject.text}\n{body.text}"
    if subject.raw is None and body.raw is None:
        return text, None
    s_raw = subject.text if subject.raw is None else subject.raw
    return text, f"Subject: {s_raw}\n{body.text if body.raw is None else body.raw}"

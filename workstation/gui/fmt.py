"""How values are shown: local time with the zone name (UTC on hover), sizes, hashes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_time(utc_text: str | None, tz: str) -> str:
    """'2024-03-31 02:30:00 BST' from an RFC 3339 UTC text; the raw text if unreadable."""
    if not utc_text:
        return ""
    try:
        moment = datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    except ValueError:
        return utc_text
    local = moment.astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or tz)


def utc_tooltip(utc_text: str | None) -> str:
    """The tooltip under every local time: the instant in UTC."""
    return f"UTC {utc_text}" if utc_text else ""


def size(n: int | None) -> str:
    """Bytes with a readable unit."""
    if n is None:
        return ""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{n} B"


def count(n: int, noun: str) -> str:
    """'1 message', '2,000 messages'."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"

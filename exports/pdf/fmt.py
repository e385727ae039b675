"""How times, sizes and missing values read on paper."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from exports.context import ExaminerView


def parse_utc(utc: str) -> datetime:
    return datetime.fromisoformat(utc).astimezone(UTC)


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def utc_text(utc: str | None) -> str | None:
    """'2024-03-05 19:36:00 UTC', or None."""
    if not utc:
        return None
    return parse_utc(utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def local_text(utc: str | None, tz: str) -> str | None:
    """'Tue 05 Mar 2024 19:36:00 GMT', or None."""
    if not utc:
        return None
    return parse_utc(utc).astimezone(zone(tz)).strftime("%a %d %b %Y %H:%M:%S %Z")


def both(utc: str | None, tz: str) -> str | None:
    """'2024-03-05 19:36:00 UTC (Tue 05 Mar 2024 19:36:00 GMT, Europe/London)', or None."""
    if not utc:
        return None
    return f"{utc_text(utc)} ({local_text(utc, tz)}, {tz})"


def short(utc: str | None, tz: str) -> str | None:
    """'04 Mar 2024 22:03 GMT (22:03 UTC)', or None."""
    if not utc:
        return None
    when = parse_utc(utc)
    local = when.astimezone(zone(tz))
    return f"{local:%d %b %Y %H:%M} {local.tzname()} ({when:%H:%M} UTC)"


def day_text(utc: str | None, tz: str) -> str | None:
    """'05 Mar 2024' in the case's zone, or None."""
    if not utc:
        return None
    return parse_utc(utc).astimezone(zone(tz)).strftime("%d %b %Y")


def date_range(start: str | None, end: str | None, tz: str) -> str | None:
    """'05 Mar 2024 – 30 Apr 2024' (local dates), or None when neither end is known."""
    if not start and not end:
        return None
    return f"{day_text(start, tz) or '?'} – {day_text(end, tz) or '?'}"


def size_text(size: int) -> str:
    """'1.4 MiB (1,468,006 bytes)'."""
    if size < 1024:
        return f"{size:,} bytes"
    value, unit = size / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:,.1f} {unit} ({size:,} bytes)"


def yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def joined(values: tuple[str, ...] | list[str], sep: str = "; ") -> str | None:
    """The values joined, or None (for completion) when there are none."""
    return sep.join(values) if values else None


def examiner_name(examiners: tuple[ExaminerView, ...], initials: str) -> str:
    for ex in examiners:
        if ex.initials == initials:
            return f"{ex.name} ({ex.initials})"
    return initials


def examiner_by_key(examiners: tuple[ExaminerView, ...], key_id: str) -> str:
    """Initials of the examiner whose key id starts with `key_id` (ledger actors may be short)."""
    for ex in examiners:
        if key_id and ex.key_id.startswith(key_id):
            return ex.initials
    return key_id[:16]


def ref_path(ref: str) -> str:
    """'JS/1' -> 'JS-1', as in the bundle's paths."""
    return ref.replace("/", "-")

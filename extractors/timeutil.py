"""Local times without a zone, made UTC with the zone stated, and flagged honestly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Resolved:
    """A UTC instant (RFC 3339 with Z) and the flags describing how it was obtained."""

    utc: str
    flags: tuple[str, ...]


def format_utc(moment: datetime) -> str:
    """RFC 3339 UTC with Z and only the precision the moment has: s, ms or µs.

    Strings of different precision do not sort as instants ('.' < 'Z'); order by
    ``sort_key`` instead.
    """
    moment = moment.astimezone(UTC)
    if not moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if moment.microsecond % 1000 == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sort_key(utc_text: str | None) -> str | None:
    """A fixed-width form of an RFC 3339 UTC text (microseconds), for ordering by string."""
    if not utc_text:
        return None
    # Fast paths for what format_utc writes: whole seconds and milliseconds.
    if len(utc_text) == 20 and utc_text[-1] == "Z" and utc_text[10] == "T":
        return utc_text[:19] + ".000000Z"
    if len(utc_text) == 24 and utc_text[-1] == "Z" and utc_text[19] == ".":
        return utc_text[:23] + "000Z"
    try:
        moment = datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def zone(name: str) -> ZoneInfo:
    """The IANA zone; raises ValueError with the name if it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def local_to_utc(naive: datetime, tz_name: str) -> Resolved:
    """Convert a wall-clock time of a device in ``tz_name`` to UTC, flagging DST problems.

    In an overlap (clocks go back) the earlier instant is taken and flagged
    ``ambiguous_local_time``; in a gap (clocks go forward) the time never existed on the
    device: it is converted with the offset before the gap and flagged
    ``nonexistent_local_time``. Nothing is silently shifted.
    """
    tz = zone(tz_name)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    flags: list[str] = ["tz_assumed"]
    if first.utcoffset() != second.utcoffset():
        round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if round_trip == naive:
            flags.append("ambiguous_local_time")
        else:
            flags.append("nonexistent_local_time")
    return Resolved(format_utc(first), tuple(flags))


def epoch_ms_to_utc(ms: int) -> str:
    """Milliseconds since the Unix epoch to RFC 3339 UTC."""
    return format_utc(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms))


def epoch_s_to_utc(seconds: int) -> str:
    """Seconds since the Unix epoch to RFC 3339 UTC."""
    return format_utc(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))

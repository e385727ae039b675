"""The scope a device's holder agreed to, from the command line: parties, a window, apps.

A record outside the scope is kept (nothing is deleted) but marked; the timeline, exhibits
and bundle leave it out by default and the MG6C counts it as material outside the agreed
scope. An empty part of the scope (no parties, no apps, no start or end) limits nothing.

Parties are matched on what a record names: a telephone number (compared in E.164, so
``07700 900123`` and ``+447700900123`` are one party), an e-mail address or a handle
(case-folded), or a contact name (case-folded). Times: ``--scope-from``/``--scope-to`` take
an RFC 3339 time or a date; a date is the whole day in UTC (``--scope-to 2024-04-30`` ends
at 2024-04-30T23:59:59.999999Z).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from chain_of_custody.canonical import format_time
from exports.device_custody import Scope, party_key
from workstation.device.errors import DeviceError

__all__ = ["Scope", "party_key", "scope_from_options"]


def _bound(text: str, end: bool) -> str:
    text = text.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            if end:
                moment = datetime.combine(day, time.max, UTC)
            else:
                moment = datetime.combine(day, time.min, UTC)
        else:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
            if moment.tzinfo is None:
                raise DeviceError(f"scope time {text!r} has no zone: add Z or an offset")
    except ValueError:
        raise DeviceError(f"scope time {text!r} is not a date (YYYY-MM-DD) or RFC 3339") from None
    return format_time(moment.astimezone(UTC))


def scope_from_options(
    parties: Sequence[str] = (),
    start: str | None = None,
    end: str | None = None,
    apps: Sequence[str] = (),
) -> Scope:
    """A scope from command-line values (comma-separated lists allowed).

    Raises:
        DeviceError: a bound is not a time, or the window ends before it starts.
    """
    scope = Scope(
        parties=_split(parties),
        start=_bound(start, end=False) if start else None,
        end=_bound(end, end=True) if end else None,
        apps=tuple(a.casefold() for a in _split(apps)),
    )
    if scope.start and scope.end and scope.end < scope.start:
        raise DeviceError(f"--scope-to {scope.end} is before --scope-from {scope.start}")
    return scope


def _split(values: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(dict.fromkeys(out))

"""The scope a device's holder agreed to: parties, a time window and apps.

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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from chain_of_custody.canonical import format_time
from extractors.identifiers import phone_e164
from workstation.device.errors import DeviceError


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


def party_key(text: str, region: str = "GB") -> str:
    """The form a party is compared in: E.164 for numbers, else case-folded text."""
    text = text.strip()
    if sum(c.isdigit() for c in text) >= 6 and "@" not in text:
        e164 = phone_e164(text, region)
        if e164:
            return e164
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Scope:
    """What the holder agreed to hand over (see the module docstring)."""

    parties: tuple[str, ...] = ()
    start: str | None = None  # RFC 3339 UTC
    end: str | None = None
    apps: tuple[str, ...] = ()

    @classmethod
    def from_options(
        cls,
        parties: Sequence[str] = (),
        start: str | None = None,
        end: str | None = None,
        apps: Sequence[str] = (),
    ) -> Scope:
        """A scope from command-line values (comma-separated lists allowed).

        Raises:
            DeviceError: a bound is not a time, or the window ends before it starts.
        """
        scope = cls(
            parties=_split(parties),
            start=_bound(start, end=False) if start else None,
            end=_bound(end, end=True) if end else None,
            apps=tuple(a.casefold() for a in _split(apps)),
        )
        if scope.start and scope.end and scope.end < scope.start:
            raise DeviceError(f"--scope-to {scope.end} is before --scope-from {scope.start}")
        return scope

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Scope:
        """The scope a ``scope.set`` entry recorded."""
        return cls(
            parties=tuple(str(p) for p in data.get("parties", [])),
            start=data.get("from") or None,
            end=data.get("to") or None,
            apps=tuple(str(a) for a in data.get("apps", [])),
        )

    def as_data(self) -> dict[str, Any]:
        """Ledger data (no nulls: an open bound is an empty string)."""
        return {
            "parties": list(self.parties),
            "from": self.start or "",
            "to": self.end or "",
            "apps": list(self.apps),
        }

    @property
    def limits_anything(self) -> bool:
        return bool(self.parties or self.start or self.end or self.apps)

    def outside(self, platform: str, at_utc: str | None, parties: Iterable[str | None]) -> str:
        """Why a record is outside the scope ("" when it is inside).

        A record without a time is inside a time window (it cannot be shown to be outside;
        the examiner sees it flagged elsewhere).
        """
        if self.apps and platform.casefold() not in self.apps:
            return f"app {platform} not in the agreed apps"
        if at_utc and self.start and _utc(at_utc) < _utc(self.start):
            return f"before {self.start}"
        if at_utc and self.end and _utc(at_utc) > _utc(self.end):
            return f"after {self.end}"
        if self.parties:
            wanted = {party_key(p) for p in self.parties}
            named = {party_key(p) for p in parties if p}
            if not wanted & named:
                return "no agreed party takes part"
        return ""


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _split(values: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(dict.fromkeys(out))

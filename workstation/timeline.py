"""The timeline by person: each alias group's messages and calls across every platform, in
time order, with counts per day and week, first and last contact, and an escalation measure
(messages per week, its least-squares trend, threats flagged by an editable keyword list)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.models import CallRecord, MessageRecord
from exports.device_custody import outside_scope
from workstation import aliases
from workstation.aliases import AliasReport, Group

T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]
T_CALL = CallRecord.__table__  # type: ignore[attr-defined]
BUILT_IN_KEYWORDS = Path(__file__).with_name("threat_keywords.txt")
CASE_KEYWORDS = "threat_keywords.txt"
_EXCERPT = 160


class TimelineError(EvidenceError):
    """The timeline cannot be built as asked (e.g. an unreadable keyword list)."""


@dataclass(frozen=True)
class KeywordList:
    """The threat keywords in use, and where they came from (printed with the timeline)."""

    words: tuple[str, ...]
    source: str  # built-in | case folder | file
    path: str
    sha256: str

    @classmethod
    def load(cls, path: Path, source: str) -> KeywordList:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise TimelineError(f"cannot read keyword list {path}: {exc.strerror}") from exc
        words = []
        for line in raw.decode("utf-8", errors="replace").splitlines():
            word = _plain(line.split("#", 1)[0]).strip()
            if word and word not in words:
                words.append(word)
        return cls(tuple(words), source, str(path), hashlib.sha256(raw).hexdigest())

    @classmethod
    def for_case(cls, case: Case, override: Path | None = None) -> KeywordList:
        """The examiner's file if given, else the case folder's own list, else the built-in."""
        if override is not None:
            return cls.load(override, "file")
        own = case.folder / CASE_KEYWORDS
        if own.is_file():
            return cls.load(own, "case folder")
        return cls.load(BUILT_IN_KEYWORDS, "built-in")

    def pattern(self) -> re.Pattern[str] | None:
        if not self.words:
            return None
        alternatives = sorted((re.escape(w) for w in self.words), key=len, reverse=True)
        return re.compile(r"(?<!\w)(" + "|".join(alternatives) + r")(?!\w)")

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "path": self.path, "sha256": self.sha256,
                "count": len(self.words)}  # fmt: skip


def _plain(text: str) -> str:
    return text.casefold().replace("\u2019", "'").replace("\u2018", "'")


@dataclass
class PersonTimeline:
    """One alias group's course of conduct."""

    group: Group
    events: list[tuple[str, str, int, str]] = field(default_factory=list)  # sort, kind, id, at
    by_platform: dict[str, Counter[str]] = field(default_factory=dict)
    per_day: dict[date, Counter[str]] = field(default_factory=dict)
    untimed: Counter[str] = field(default_factory=Counter)
    threats: list[dict[str, Any]] = field(default_factory=list)
    call_lines: set[tuple[str, str]] = field(default_factory=set)  # (item, time) of chat calls
    #: Messages left out as outside the scope their device's holder agreed to (issue 13 §5).
    outside_scope: int = 0

    def as_json(self) -> dict[str, Any]:
        timed = [e for e in self.events if e[3]]
        weeks = _weeks(self.per_day)
        counts = {
            "messages": sum(c["messages"] for c in self.by_platform.values()),
            "calls": sum(c["calls"] for c in self.by_platform.values()),
            "by_platform": {
                p: dict(sorted(c.items())) for p, c in sorted(self.by_platform.items())
            },
            "untimed": dict(self.untimed),
            "outside_scope_left_out": self.outside_scope,
        }
        return {
            "id": self.group.id,
            "label": self.group.label,
            "accounts": self.group.accounts,
            "first_contact": min((e[3] for e in timed), default=None),
            "last_contact": max((e[3] for e in timed), default=None),
            "counts": counts,
            "per_day": [
                {"date": d.isoformat(), **{k: c[k] for k in ("messages", "calls")}}
                for d, c in sorted(self.per_day.items())
            ],
            "per_week": weeks,
            "trend": _trend(weeks),
            "threats": self.threats,
            "events": [{"type": k, "id": i, "at": at or None} for _s, k, i, at in self.events],
        }


@dataclass
class Timeline:
    """What ``ews timeline --json`` prints."""

    tz: str
    keywords: KeywordList
    people: list[PersonTimeline]

    def as_json(self) -> dict[str, Any]:
        return {
            "tz": self.tz,
            "week_starts": "Monday",
            "keywords": self.keywords.as_json(),
            "groups": [p.as_json() for p in self.people],
        }


def build(
    case: Case,
    report: AliasReport | None = None,
    *,
    keywords: KeywordList | None = None,
    include_ungrouped: bool = False,
    include_outside_scope: bool = False,
) -> Timeline:
    """The timeline of every confirmed alias group (and, if asked, of every other account
    that sent a message or made a call, each on its own).

    Messages count when an account of the group is the sender; calls when it is the party
    (a chat's call line and the same call in the chat's call records count once). Messages
    outside the scope agreed for the device they came from are left out (and counted as
    such) unless ``include_outside_scope``.
    """
    tz = case.info()["tz"]
    zone = ZoneInfo(tz)
    keywords = keywords or KeywordList.for_case(case)
    pattern = keywords.pattern()
    found = list(report.groups if report is not None else aliases.groups(case))
    if include_ungrouped:
        found += _singletons(case, {k for g in found for k in g.accounts})
    people = []
    with db.read_connection(case.engine) as conn:
        outside: set[int] = set()
        outside_calls: set[int] = set()
        if not include_outside_scope:
            outside = set(outside_scope(conn, case.case_id))
            outside_calls = set(outside_scope(conn, case.case_id, "call"))
        for group in found:
            person = PersonTimeline(group)
            _add_messages(conn, case, person, zone, pattern, outside)
            _add_calls(conn, case, person, zone, outside_calls)
            person.events.sort(key=lambda e: (e[0] == "", e[0], e[1], e[2]))
            people.append(person)
    return Timeline(tz, keywords, people)


def _singletons(case: Case, grouped: set[str]) -> list[Group]:
    with db.read_connection(case.engine) as conn:
        senders = conn.execute(
            sa.select(T_MESSAGE.c.sender_key)
            .where(T_MESSAGE.c.case_id == case.case_id, T_MESSAGE.c.sender_key.isnot(None))
            .distinct()
        ).scalars()
        parties = conn.execute(
            sa.select(T_CALL.c.party_key)
            .where(T_CALL.c.case_id == case.case_id, T_CALL.c.party_key.isnot(None))
            .distinct()
        ).scalars()
        keys = sorted((set(senders) | set(parties)) - grouped)
    return [Group(f"account:{k}", None, [k], []) for k in keys]


class _LocalDays:
    """UTC instant → local date, cached per UTC hour (zones change offset on the hour or
    half hour; 30-minute buckets cover both)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.cache: dict[str, date] = {}

    def __call__(self, utc: str) -> date:
        bucket = utc[:14] + ("00" if utc[14:16] < "30" else "30")
        day = self.cache.get(bucket)
        if day is None:
            at = datetime.fromisoformat(bucket + ":00+00:00")
            day = self.cache[bucket] = at.astimezone(self.zone).date()
        return day


def _add_messages(
    conn: sa.Connection,
    case: Case,
    person: PersonTimeline,
    zone: ZoneInfo,
    pattern: re.Pattern[str] | None,
    outside: set[int],
) -> None:
    local = _LocalDays(zone)
    m = T_MESSAGE.c
    rows = conn.execution_options(yield_per=5000).execute(
        sa.select(m.id, m.item_id, m.platform, m.sent_at_utc, m.sent_at_sort, m.kind, m.text).where(
            m.case_id == case.case_id, m.sender_key.in_(person.group.accounts)
        )
    )
    for mid, item_id, platform, utc, sort, kind, text in rows:
        kind_ = "calls" if kind == "call" else "messages"
        if kind == "call":
            person.call_lines.add((item_id, _fixed_width(utc)))
        if mid in outside:
            person.outside_scope += 1
            continue
        person.by_platform.setdefault(platform, Counter())[kind_] += 1
        person.events.append((sort or "", "message", int(mid), utc or ""))
        if utc:
            person.per_day.setdefault(local(utc), Counter())[kind_] += 1
        else:
            person.untimed[kind_] += 1
        if pattern is not None and text:
            hit = pattern.search(_plain(text))
            if hit:
                person.threats.append(_threat(int(mid), utc, hit, text))
    person.threats.sort(key=lambda t: (t["sent_at_utc"] or "~", t["message_id"]))


def _threat(mid: int, utc: str | None, hit: re.Match[str], text: str) -> dict[str, Any]:
    start = max(0, hit.start() - _EXCERPT // 2)
    excerpt = text[start : start + _EXCERPT].replace("\n", " ")
    return {
        "message_id": mid,
        "sent_at_utc": utc,
        "keyword": hit.group(1),
        "excerpt": ("…" if start else "") + excerpt + ("…" if start + _EXCERPT < len(text) else ""),
    }


def _add_calls(
    conn: sa.Connection, case: Case, person: PersonTimeline, zone: ZoneInfo, outside: set[int]
) -> None:
    local = _LocalDays(zone)
    c = T_CALL.c
    rows = conn.execute(
        sa.select(c.id, c.item_id, c.platform, c.started_at_utc).where(
            c.case_id == case.case_id, c.party_key.in_(person.group.accounts)
        )
    )
    for cid, item_id, platform, utc in rows:
        if (item_id, _fixed_width(utc)) in person.call_lines:
            continue  # the same call as a chat's call line, already counted
        if cid in outside:
            person.outside_scope += 1
            continue
        person.by_platform.setdefault(platform, Counter())["calls"] += 1
        person.events.append((_fixed_width(utc), "call", int(cid), utc or ""))
        if utc:
            person.per_day.setdefault(local(utc), Counter())["calls"] += 1
        else:
            person.untimed["calls"] += 1


def _fixed_width(utc: str | None) -> str:
    """A call's UTC time in the fixed-width form messages are sorted by."""
    if not utc:
        return ""
    try:
        at = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    except ValueError:
        return utc
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _weeks(per_day: dict[date, Counter[str]]) -> list[dict[str, Any]]:
    """Every week (Monday first) from the first active day's week to the last's, zeros too."""
    if not per_day:
        return []
    totals: dict[date, Counter[str]] = defaultdict(Counter)
    for day, c in per_day.items():
        totals[day - timedelta(days=day.weekday())].update(c)
    first, last = min(totals), max(totals)
    weeks = []
    week = first
    while week <= last:
        c = totals.get(week, Counter())
        weeks.append(
            {"week_start": week.isoformat(), "messages": c["messages"], "calls": c["calls"]}
        )
        week += timedelta(days=7)
    return weeks


def _trend(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Least-squares slope of messages per week, and a sentence a reader can follow."""
    counts = [w["messages"] for w in weeks]
    n = len(counts)
    if n < 2:
        return {"weeks": n, "slope_per_week": 0.0, "mean_per_week": float(sum(counts)),
                "text": "Too short a period (under two weeks) to show a trend."}  # fmt: skip
    mean_x, mean_y = (n - 1) / 2, sum(counts) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(counts)) / sxx
    slope = round(slope, 2)
    first_half = sum(counts[: n // 2]) / max(n // 2, 1)
    second_half = sum(counts[n // 2 :]) / max(n - n // 2, 1)
    if abs(slope) < 0.5:
        how = "roughly level"
    elif slope > 0:
        how = f"rising by about {slope:g} messages a week, each week"
    else:
        how = f"falling by about {-slope:g} messages a week, each week"
    text = (
        f"Over {n} weeks, messages per week were {how} (least-squares trend); "
        f"{first_half:.1f} a week in the first half of the period, {second_half:.1f} in the second."
    )
    return {"weeks": n, "slope_per_week": slope, "mean_per_week": round(mean_y, 2), "text": text}

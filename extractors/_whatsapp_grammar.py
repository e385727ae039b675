"""The WhatsApp header grammar (FORMATS.md §1): one generous pattern for every locale
variant, then the layout most headers of a file use and the date order all of them allow."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from extractors._whatsapp_lines import read_chunks
from extractors.base import Context, Source

_MONTH_FIRST_REGIONS = frozenset({"US", "PH"})
_ORDERS = ("dmy", "mdy", "ymd", "ydm", "dym", "myd")
_RANK_DAY_FIRST = ("dmy", "dym", "ymd", "mdy", "myd", "ydm")
_RANK_MONTH_FIRST = ("mdy", "myd", "ymd", "dmy", "dym", "ydm")

_HEADER = re.compile(
    r"[\u200e\u200f\ufeff]*"
    r"(?P<stamp>(?P<br>\[)?"
    r"(?P<d1>\d{1,4})(?P<ds>[/.\-]) ?(?P<d2>\d{1,4})(?P=ds) ?(?P<d3>\d{1,4})(?P<dot>\.)?"
    r"(?:,[ \u00a0]?|[ \u00a0])(?:klo[ \u00a0])?"
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?"
    r"(?:[ \u00a0\u202f]?(?P<ap>[aApP])\.?[ \u00a0\u202f]?[mM]\.?(?![^\W\d_]))?"
    r"(?(br)\]))"
    r"(?P<tail>(?(br)[ \u00a0]?|(?:[ \u00a0]-[ \u00a0]|:[ \u00a0]|[ \u00a0])))"
)


@dataclass
class _ShapeStats:
    """What the first pass learns about one header layout."""

    count: int = 0
    first_line: int = 0
    invalid: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ORDERS, 0))
    long_positions: set[int] = field(default_factory=set)  # fields written with 4 digits


@dataclass
class Layout:
    """The file's header layout and date order, decided from all its headers."""

    shape: tuple[object, ...]
    order: str
    order_assumed: bool


def match_header(text: str) -> re.Match[str] | None:
    """The header at the start of a line, or None."""
    m = _HEADER.match(text)
    if m is None or shape_of(m.group(*SHAPE_GROUPS)) is None:
        return None
    return m


#: The groups of a header that decide its layout (``shape_of``).
SHAPE_GROUPS = ("br", "dot", "tail", "ds", "s", "ap")
#: ``_HEADER.match``: a header candidate, to be confirmed by ``shape_of`` (match_header).
match_candidate = _HEADER.match


def shape_of(groups: tuple[str | None, ...]) -> tuple[object, ...] | None:
    """The layout (brackets, date separator, tail, seconds, 12 h) of a header candidate by
    its ``SHAPE_GROUPS``; None when it is no header after all."""
    br, dot, tail, ds, s, ap = groups
    if tail in (" ", "\u00a0") and not br and not dot:
        return None  # a bare space after the time only follows a "13. 6. 2018." date
    return (bool(br), ds, (tail or "").strip(" \u00a0") or " ", s is not None, ap is not None)


@lru_cache(maxsize=2048)
def date_of(fields: tuple[str, str, str], order: str) -> date | None:
    """The date the fields give read in ``order`` (e.g. "dmy"), or None if none."""
    parts = dict(zip(order, fields, strict=True))
    y, mo, d = parts["y"], parts["m"], parts["d"]
    if len(y) not in (2, 4) or len(mo) > 2 or len(d) > 2:
        return None
    try:
        return date(int(y) + (2000 if len(y) == 2 else 0), int(mo), int(d))
    except ValueError:
        return None


@lru_cache(maxsize=2048)
def _invalid_orders(fields: tuple[str, str, str]) -> tuple[str, ...]:
    return tuple(o for o in _ORDERS if date_of(fields, o) is None)


_KEY_GROUPS = (*SHAPE_GROUPS, "d1", "d2", "d3")
_MAX_KEYS = 1 << 16  # distinct headers counted before they are folded into the statistics


def learn_layout(source: Source, ctx: Context) -> Layout | None:
    """First pass: the most used header layout and the date orders its headers allow.

    Headers are counted by their groups as written (a chat has few distinct dates and
    times of day), then each distinct one is read once.
    """
    stats: dict[tuple[object, ...], _ShapeStats] = {}
    seen: dict[tuple[str | None, ...], list[int]] = {}  # groups -> [count, first line]
    match = _HEADER.match
    with source.open() as f:
        for chunk in read_chunks(f, source.head):
            ctx.check_cancelled()
            for number, text in enumerate(chunk.lines, chunk.first):
                m = match(text)
                if m is not None:
                    key = m.group(*_KEY_GROUPS)
                    if key in seen:
                        seen[key][0] += 1
                    else:
                        seen[key] = [1, number]
                        if len(seen) > _MAX_KEYS:
                            _fold(seen, stats)
    _fold(seen, stats)
    if not stats:
        return None
    shape, best = min(stats.items(), key=lambda kv: (-kv[1].count, kv[1].first_line))
    order, assumed = _decide_order(best, ctx.region.upper() in _MONTH_FIRST_REGIONS)
    return Layout(shape, order, assumed)


def _fold(
    seen: dict[tuple[str | None, ...], list[int]], stats: dict[tuple[object, ...], _ShapeStats]
) -> None:
    """Add the counted headers to the statistics by layout (as ``match_header`` reads them)."""
    for groups, (count, first_line) in seen.items():
        shape = shape_of(groups[:6])
        if shape is None:
            continue  # not a header: see match_header
        fields = groups[6:]
        st = stats.get(shape)
        if st is None:
            st = stats[shape] = _ShapeStats(first_line=first_line)
        st.first_line = min(st.first_line, first_line)
        st.count += count
        date = (fields[0] or "", fields[1] or "", fields[2] or "")
        for pos, value in enumerate(date):
            if len(value) == 4:
                st.long_positions.add(pos)
        for order in _invalid_orders(date):
            st.invalid[order] += count
    seen.clear()


def _decide_order(st: _ShapeStats, month_first: bool) -> tuple[str, bool]:
    """The day/month/year order every header allows; (order, True) when more than one does."""
    rank = _RANK_MONTH_FIRST if month_first else _RANK_DAY_FIRST
    if st.long_positions:
        tiers = [[o for o in _ORDERS if o[p] == "y"] for p in sorted(st.long_positions)]
    else:  # two-digit years: year last is the usual layout, year first only if that fails
        tiers = [["dmy", "mdy"], ["ymd", "ydm"], ["dym", "myd"]]
    for tier in tiers:
        fitting = [o for o in tier if st.invalid[o] == 0]
        if fitting:
            return min(fitting, key=rank.index), len(fitting) > 1
    candidates = [o for tier in tiers for o in tier]
    least = min(st.invalid[o] for o in candidates)
    best = [o for o in candidates if st.invalid[o] == least]
    return min(best, key=rank.index), len(best) > 1

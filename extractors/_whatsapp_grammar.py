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

# A date field: digits (any script: Arabic-Indic ``٠-٩`` and ``۰-۹`` are ``\d`` too), a
# Japanese era year (``R4``, ``H31``, ``令和4``) or a Buddhist Era year (``2565 BE``); a phone
# set to right-to-left writes U+200F after each field (Arabic iOS).
_F = r"(?:\d{1,4}(?:[ \u00a0]BE)?|[RHS]\d{1,2}|(?:令和|平成|昭和)\d{1,2})"
_M = r"[\u200e\u200f]?"
_DATE = (
    rf"(?P<d1>{_F}){_M}(?P<ds>[/.\-]){_M} ?(?P<d2>{_F}){_M}(?P=ds){_M} ?(?P<d3>{_F}){_M}"
    r"(?P<dot>\.)?"
)
_TIME = (
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?"
    # am/pm: Latin (a.m., PM, with U+202F), or Arabic ص/م
    r"(?:[ \u00a0\u202f]?(?P<ap>[aApP](?=\.?[ \u00a0\u202f]?[mM]\.?(?![^\W\d_]))|[\u0635\u0645]"
    r"(?![^\W\d_]))(?:\.?[ \u00a0\u202f]?[mM]\.?)?)?"
)
_TAIL = r"(?P<tail>(?(br)[ \u00a0]?|(?:[ \u00a0]-[ \u00a0]|:[ \u00a0]|[ \u00a0])))"
_LEAD = r"[\u200e\u200f\ufeff]*"
# The usual headers (ASCII-like digits in any script, no marks inside, no era or BE years):
# tried first by learn_layout, and cheaper per line than the generous _HEADER below.
_PLAIN = re.compile(
    rf"{_LEAD}(?P<stamp>(?P<br>\[)?"
    r"(?P<d1>\d{1,4})(?P<ds>[/.\-]) ?(?P<d2>\d{1,4})(?P=ds) ?(?P<d3>\d{1,4})(?P<dot>\.)?"
    r"(?:,[ \u00a0]?|[ \u00a0])(?:klo[ \u00a0])?"
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?"
    r"(?:[ \u00a0\u202f]?(?P<ap>[aApP])\.?[ \u00a0\u202f]?[mM]\.?(?![^\W\d_]))?"
    rf"(?(br)\])){_TAIL}"
)
_HEADER = re.compile(
    rf"{_LEAD}(?P<stamp>(?P<br>\[)?{_DATE}"
    r"(?:[,\u060c][ \u00a0]?|[ \u00a0])(?:klo[ \u00a0])?"
    rf"{_M}{_TIME}{_M}(?(br)\])){_TAIL}"
)
# Time before date (Vietnamese iOS: ``[14:56:01, 3/18/22] Name: text``): the same groups.
_HEADER_TIME_FIRST = re.compile(
    rf"{_LEAD}(?P<stamp>(?P<br>\[)?{_TIME}(?:,[ \u00a0]?|[ \u00a0]){_DATE}(?(br)\])){_TAIL}"
)
#: Tried in this order by learn_layout: the first that finds a header in the file is its
#: pattern (a file of unusual headers costs one more pass per pattern it skips).
PATTERNS = (_PLAIN, _HEADER, _HEADER_TIME_FIRST)


@dataclass
class _ShapeStats:
    """What the first pass learns about one header layout."""

    count: int = 0
    first_line: int = 0
    invalid: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ORDERS, 0))
    long_positions: set[int] = field(default_factory=set)  # fields that can only be years


@dataclass
class Layout:
    """The file's header layout and date order, decided from all its headers.

    ``order_assumed``: more than one order fits every date and none is settled by the dates
    running forward (flag ``date_order_assumed``); ``order_inferred``: more than one order
    fits every date, and only ``order`` has them run forward (flag ``date_order_inferred``).
    ``note`` is the warning that says which, naming the orders.
    """

    shape: tuple[object, ...]
    order: str
    order_assumed: bool
    order_inferred: bool = False
    note: str | None = None
    pattern: re.Pattern[str] = _HEADER
    phones: tuple[str, ...] = ()  # senders written as numbers (for the export's region)


def match_header(text: str) -> re.Match[str] | None:
    """The header at the start of a line (date first, else time first), or None."""
    for pattern in PATTERNS:
        m = pattern.match(text)
        if m is not None and shape_of(m.group(*SHAPE_GROUPS)) is not None:
            return m
    return None


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


#: Japanese eras: the Gregorian year before each era's year 1 (Reiwa 1 = 2019).
_ERAS = {"R": 2018, "令和": 2018, "H": 1988, "平成": 1988, "S": 1925, "昭和": 1925}
_BUDDHIST_OFFSET = 543  # Buddhist Era year 2565 = 2022 CE


def year_of(text: str) -> int | None:
    """The Gregorian year a year field gives: ``24``, ``2024``, ``2567 BE``, ``R4``."""
    if text.isdigit():  # any script's digits: int() reads them
        if len(text) == 2:
            return 2000 + int(text)
        if len(text) == 4:
            year = int(text)
            # A four-digit year past 2400 is a Buddhist Era year written without "BE".
            return year - _BUDDHIST_OFFSET if year > 2400 else year
        return None
    if text.endswith("BE") and text[:4].isdigit():
        return int(text[:4]) - _BUDDHIST_OFFSET
    for era, base in _ERAS.items():
        if text.startswith(era) and text[len(era) :].isdigit():
            return base + int(text[len(era) :])
    return None


def _can_only_be_year(text: str) -> bool:
    return len(text) == 4 or not text.isdigit()


@lru_cache(maxsize=2048)
def date_of(fields: tuple[str, str, str], order: str) -> date | None:
    """The date the fields give read in ``order`` (e.g. "dmy"), or None if none."""
    parts = dict(zip(order, fields, strict=True))
    mo, d = parts["m"], parts["d"]
    if not (mo.isdigit() and d.isdigit()) or len(mo) > 2 or len(d) > 2:
        return None
    year = year_of(parts["y"])
    if year is None:
        return None
    try:
        return date(year, int(mo), int(d))
    except ValueError:
        return None


@lru_cache(maxsize=2048)
def _invalid_orders(fields: tuple[str, str, str]) -> tuple[str, ...]:
    return tuple(o for o in _ORDERS if date_of(fields, o) is None)


_KEY_GROUPS = (*SHAPE_GROUPS, "d1", "d2", "d3")
_MAX_KEYS = 1 << 16  # distinct headers counted before they are folded into the statistics
_MAX_STEPS = 1 << 16  # distinct date changes kept to see which order runs forward
_MAX_PHONES = 2000  # senders written as numbers kept for the export's region
_PHONE_START = ("+", "0")
_LONG_GAP = 366  # days: a step of over a year between consecutive dates (a misread year)


def learn_layout(source: Source, ctx: Context) -> Layout | None:
    """First pass: the most used header layout and the date order its headers allow.

    Headers are counted by their groups as written (a chat has few distinct dates and
    times of day), then each distinct one is read once. The date changes between
    consecutive headers (one per day of chat, not per message) are kept too, to find the
    order under which the dates run forward. A file with no date-first header is tried
    again for time-first headers (Vietnamese iOS): that pass costs only such files.
    """
    for pattern in PATTERNS:
        layout = _learn(source, ctx, pattern)
        if layout is not None:
            return layout
    return None


def _learn(source: Source, ctx: Context, pattern: re.Pattern[str]) -> Layout | None:
    stats: dict[tuple[object, ...], _ShapeStats] = {}
    seen: dict[tuple[str | None, ...], list[int]] = {}  # groups -> [count, first line]
    steps: dict[tuple[tuple[str | None, ...], tuple[str | None, ...]], int] = {}
    phones: set[str] = set()
    last: tuple[str | None, ...] = ()
    last_key: tuple[str | None, ...] = ()
    match = pattern.match
    with source.open() as f:
        for chunk in read_chunks(f, source.head):
            ctx.check_cancelled()
            for number, text in enumerate(chunk.lines, chunk.first):
                m = match(text)
                if m is not None:
                    key = m.group(*_KEY_GROUPS)
                    entry = seen.get(key)
                    if entry is not None:
                        entry[0] += 1
                    else:
                        seen[key] = [1, number]
                        if len(seen) > _MAX_KEYS:
                            _fold(seen, stats)
                    if key != last_key:  # another day (or layout): a step of the dates
                        last_key, day = key, key[6:]
                        if day != last:
                            if last and len(steps) < _MAX_STEPS:
                                step = (last, day)
                                steps[step] = steps.get(step, 0) + 1
                            last = day
                    if text.startswith(_PHONE_START, m.end()) and len(phones) < _MAX_PHONES:
                        phones.add(text[m.end() :].partition(": ")[0])
    _fold(seen, stats)
    if not stats:
        return None
    shape, best = min(stats.items(), key=lambda kv: (-kv[1].count, kv[1].first_line))
    month_first = ctx.region.upper() in _MONTH_FIRST_REGIONS
    order, assumed, inferred, note = _decide_order(best, steps, month_first)
    return Layout(shape, order, assumed, inferred, note, pattern, tuple(sorted(phones)))


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
            if _can_only_be_year(value):
                st.long_positions.add(pos)
        for order in _invalid_orders(date):
            st.invalid[order] += count
    seen.clear()


def _runs(
    order: str, steps: dict[tuple[tuple[str | None, ...], tuple[str | None, ...]], int]
) -> tuple[int, int]:
    """(steps back in time, steps of more than _LONG_GAP days) of the dates read in order."""
    back = long = 0
    for (before, after), count in steps.items():
        a = date_of((before[0] or "", before[1] or "", before[2] or ""), order)
        b = date_of((after[0] or "", after[1] or "", after[2] or ""), order)
        if a is None or b is None:
            continue
        if b < a:
            back += count
        elif (b - a).days > _LONG_GAP:
            long += count
    return back, long


def _decide_order(
    st: _ShapeStats,
    steps: dict[tuple[tuple[str | None, ...], tuple[str | None, ...]], int],
    month_first: bool,
) -> tuple[str, bool, bool, str | None]:
    """(order, assumed, inferred, note): the order every header allows; among several, the
    only one under which the dates run forward (fewest steps back, then fewest long jumps),
    else the region's usual order, assumed."""
    rank = _RANK_MONTH_FIRST if month_first else _RANK_DAY_FIRST
    if st.long_positions:
        usual = [o for o in _ORDERS if all(o[p] == "y" for p in st.long_positions)]
        usual = usual or [o for o in _ORDERS if any(o[p] == "y" for p in st.long_positions)]
    else:  # two-digit years: the year first or last, not in the middle
        usual = ["dmy", "mdy", "ymd", "ydm"]
    fitting = [o for o in usual if st.invalid[o] == 0]
    if not fitting:
        fitting = [o for o in _ORDERS if st.invalid[o] == 0]
    if not fitting:  # no order reads every date: the one that reads most, warned per line
        candidates = usual
        least = min(st.invalid[o] for o in candidates)
        best = [o for o in candidates if st.invalid[o] == least]
        return min(best, key=rank.index), len(best) > 1, False, None
    if len(fitting) == 1:
        return fitting[0], False, False, None
    runs = {o: _runs(o, steps) for o in fitting}
    best_run = min(runs.values())
    forward = [o for o in fitting if runs[o] == best_run]
    names = "/".join(o.upper() for o in sorted(fitting, key=rank.index))
    if len(forward) == 1:
        order = forward[0]
        return (
            order,
            False,
            True,
            (
                f"date order {order.upper()} inferred: every date fits {names}, and only "
                f"{order.upper()} has them run forward"
            ),
        )
    order = min(forward, key=rank.index)
    return (
        order,
        True,
        False,
        (
            f"date order cannot be settled: every date fits {names} and runs forward under "
            f"more than one; {order.upper()} assumed"
        ),
    )

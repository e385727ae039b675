"""A conversation printed for a lawyer: chat-like, every message numbered, timed and located.

Incoming messages sit on the left, outgoing ones indented to the right, in time order, with
a rule at each new local day. Each message shows its sender identifier, the local time with
the zone and the UTC time, its flags in words, and its locator in the native original
(``[A] line 12``: the letters name the source files listed at the top). Messages the
examiner chose are shaded yellow and marked "CHOSEN" in the margin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from reportlab.lib.units import mm  # type: ignore[import-untyped]

from exports.context import ExhibitView, MessageView
from exports.pdf import fmt
from exports.pdf._fonts import BOLD, ITALIC, REGULAR
from exports.pdf.layout import (
    BOTTOM,
    GREY,
    HIGHLIGHT,
    LEFT,
    RIGHT,
    RULE,
    TOP,
    Style,
    Writer,
)

_TEXT = Style(REGULAR, 8.6, 10.8)
_NAME_IN = Style(BOLD, 7.6, 10.0, (0.10, 0.22, 0.45))
_NAME_OUT = Style(BOLD, 7.6, 10.0, (0.05, 0.38, 0.18))
_META = Style(REGULAR, 6.8, 10.0, GREY)
_FLAG = Style(ITALIC, 7.0, 9.2, (0.62, 0.25, 0.0))
_NUM = Style(REGULAR, 6.8, 10.0, GREY)
_CHOSEN = Style(BOLD, 6.2, 8.0, (0.55, 0.40, 0.0))
_DAY = Style(BOLD, 7.6, 10.0, GREY)
_IN_BG = (0.955, 0.960, 0.970)
_OUT_BG = (0.935, 0.965, 0.940)

_GUTTER = 15 * mm  # message numbers and the CHOSEN mark
_INDENT = 22 * mm  # outgoing messages sit this far to the right
_PAD = 2.5

FLAG_WORDS = {
    "tz_assumed": "time assumed ({tz})",
    "date_order_assumed": "date order assumed (day and month could be read either way)",
    "ambiguous_local_time": "local time ambiguous (clock change)",
    "nonexistent_local_time": "local time did not exist (clock change)",
    "time_unparsed": "time could not be read",
    "text_fixed": "text encoding repaired (text as found kept in the record)",
    "out_of_order": "out of order in the source",
    "truncated": "truncated in the source",
    "not_sent": "not sent (draft, queued or failed)",
    "forwarded": "forwarded",
    "deleted": "deleted",
    "date_order_inferred": "date order inferred from the whole file",
    "unparsed_header": "a line that looked like a new message could not be read (kept here)",
    "body_null": "no body (the phone wrote “null”)",
    "display_name_other_address": "display name is a different address (possible spoof)",
    "number_withheld": "caller withheld their number",
    "number_unknown": "number unknown to the network",
    "number_payphone": "from a payphone",
    "phone_region_unsure": "number's country uncertain (kept as written)",
    "unsent": "unsent by the sender",
}
_TIME_FLAGS = frozenset(
    ("date_order_assumed", "ambiguous_local_time", "nonexistent_local_time", "time_unparsed")
)


def flag_text(m: MessageView, tz: str = "") -> str:
    """The message's flags in words ('time assumed (Europe/London) · edited').

    The time as recorded is added where it could not be read, or was read with an
    assumption other than the zone (a zone different from the case's, a day/month order…).
    """
    words = [FLAG_WORDS.get(f, f.replace("_", " ")).format(tz=m.tz or "unknown") for f in m.flags]
    if m.kind == "deleted" and "deleted" not in m.flags:
        words.append("deleted")
    if m.edited:
        words.append("edited")
    if _TIME_FLAGS.intersection(m.flags) or not m.sent_at_utc or (m.tz and m.tz != tz):
        words.append(f"time as recorded: “{m.sent_at_raw}”")
    return " · ".join(words)


class _Clock:
    """Local and UTC text of message times; the day part is formatted once per day."""

    def __init__(self, tz: str) -> None:
        self.zone = fmt.zone(tz)
        self.days: dict[tuple[int, int, int], tuple[str, str]] = {}

    def times(self, utc: str | None) -> tuple[str, str, str]:
        """(local day heading, 'Tue 05 Mar 2024 19:36:12 GMT', '19:36:12 UTC')."""
        if not utc:
            return "", "time not known", ""
        when = datetime.fromisoformat(utc)
        local = when.astimezone(self.zone)
        key = (local.year, local.month, local.day)
        day = self.days.get(key)
        if day is None:
            day = self.days[key] = (local.strftime("%A %d %B %Y"), local.strftime("%a %d %b %Y"))
        return (
            day[0],
            f"{day[1]} {local.hour:02d}:{local.minute:02d}:{local.second:02d} {local.tzname()}",
            f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} UTC",
        )


def source_letters(ex: ExhibitView) -> dict[str, str]:
    """Letters A, B, … for the exhibit's native files, in the order the exhibit lists them."""
    letters: dict[str, str] = {}
    for item in ex.items:
        if item.sha256 not in letters:
            letters[item.sha256] = _letter(len(letters))
    for m in ex.messages:
        if m.item_sha256 not in letters:
            letters[m.item_sha256] = _letter(len(letters))
    return letters


def _letter(n: int) -> str:
    return chr(ord("A") + n) if n < 26 else f"A{n}"


def participants(messages: Sequence[MessageView]) -> list[tuple[str, int]]:
    count = Counter(_sender(m) for m in messages)
    return sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))


def _sender(m: MessageView) -> str:
    ident = m.sender_identifier or m.sender_account_id or "unknown sender"
    if m.sender_display and m.sender_display != ident:
        return f"{m.sender_display} ‹{ident}›"
    return ident


def write_messages(w: Writer, ex: ExhibitView, tz: str) -> None:
    """Every message of the exhibit, in order (the bulk of a bundle's pages)."""
    clock = _Clock(tz)
    letters = source_letters(ex)
    paths = {item.sha256: item.path for item in ex.items}
    day = ""
    for n, m in enumerate(ex.messages, 1):
        heading, local, utc = clock.times(m.sent_at_utc)
        if heading and heading != day:
            day = heading
            _day_rule(w, heading)
        _message(w, n, m, local, utc, letters, paths, tz)


def _day_rule(w: Writer, heading: str) -> None:
    w.need(3 * _DAY.leading)
    w.y -= 3
    mid = (LEFT + RIGHT) / 2
    half = w.measure(heading, _DAY) / 2 + 6
    y = w.y - _DAY.size / 2 - 1
    w.line(LEFT + _GUTTER, y, mid - half, y, RULE)
    w.line(mid + half, y, RIGHT, y, RULE)
    w.text(mid - half + 6, w.y - _DAY.size, heading, _DAY)
    w.y -= _DAY.leading + 1


def _locator(m: MessageView, letters: dict[str, str], paths: dict[str, str]) -> str:
    letter = letters.get(m.item_sha256, "?")
    path = paths.get(m.item_sha256)
    loc = m.locator
    if path and loc.startswith(path):
        loc = loc[len(path) :].lstrip(", ")
    return f"[{letter}] {loc}"


def _message(
    w: Writer,
    n: int,
    m: MessageView,
    local: str,
    utc: str,
    letters: dict[str, str],
    paths: dict[str, str],
    tz: str,
) -> None:
    outgoing = m.direction == "outgoing"
    x = LEFT + _GUTTER + (_INDENT if outgoing else 0)
    right = RIGHT - (0 if outgoing else _INDENT)
    inner = right - x - 2 * _PAD
    name_style = _NAME_OUT if outgoing else _NAME_IN
    name = w.clean(_sender(m))
    when = f"{local}  ({utc})" if utc else local
    locator = w.clean(_locator(m, letters, paths))
    flags = w.clean(flag_text(m, tz))
    name_w, when_w = w.measure(name, name_style), w.measure(when, _META)
    loc_w = w.measure(locator, _META)
    flag_w = w.measure(flags, _FLAG) if flags else 0.0
    # The header line holds what fits: name, time, flags, locator (right); the rest follows.
    head_flags = bool(flags) and name_w + when_w + flag_w + loc_w + 36 <= inner
    head_loc = name_w + when_w + (flag_w + 12 if head_flags else 0) + loc_w + 24 <= inner
    head_when = name_w + when_w + 10 <= inner
    rows: list[tuple[str, Style]] = []
    if not head_when:
        rows.append((when, _META))
    if not head_loc:
        rows.append((locator, _META))
    rows += [
        (ln, _TEXT) for ln in w.wrap(w.clean(m.text) if m.text else f"({m.kind})", _TEXT, inner)
    ]
    for att in m.attachments:
        rows += [(ln, _FLAG) for ln in w.wrap(w.clean(f"Attachment: {att}"), _FLAG, inner)]
    if flags and not head_flags:
        rows += [(ln, _FLAG) for ln in w.wrap(flags, _FLAG, inner)]
    height = name_style.leading + sum(r[1].leading for r in rows) + 2 * _PAD + 2
    if w.y - height < BOTTOM and w.y < TOP and height < TOP - BOTTOM:
        w.new_page()
    bg = HIGHLIGHT if m.highlighted else (_OUT_BG if outgoing else _IN_BG)
    shaded = height <= w.y - BOTTOM
    if shaded:
        w.rect(x, w.y - height + 2, right - x, height - 2, bg)
    base = w.y - _PAD - name_style.size
    w.text(LEFT, base, f"#{n}", _NUM)
    if m.highlighted:
        w.text(LEFT, base - _CHOSEN.leading, "CHOSEN", _CHOSEN)
    w.text(x + _PAD, base, name, name_style)
    if head_when:
        w.text(x + _PAD + name_w + 10, base, when, _META)
    if head_flags:
        w.text(x + _PAD + name_w + when_w + 22, base, flags, _FLAG)
    if head_loc:
        w.rtext(right - _PAD, base, locator, _META)
    w.y -= _PAD + name_style.leading
    for text, style in rows:
        if w.y - style.leading < BOTTOM:
            w.new_page()
        if not shaded:  # a block longer than the page: shade line by line
            w.rect(x, w.y - style.leading, right - x, style.leading, bg)
        w.text(x + _PAD, w.y - style.size, text, style)
        w.y -= style.leading
    w.y -= _PAD + 2.5

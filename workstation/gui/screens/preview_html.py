"""The preview pane's text: an image's EXIF and near-duplicates, an e-mail with its headers,
a thread as a chat (times in the case's zone with its name, UTC on hover, flags in words).

Pure functions of database rows to the HTML subset ``QTextBrowser`` shows; nothing here
reads the case. Values missing from a source are said to be missing, never filled in.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workstation.gui.fmt import local_time

E = html.escape
GREY = "#666666"
WARN = "#a15c00"
IN_BG = "#eef1f5"
OUT_BG = "#e3f1e4"
CHOSEN_BG = "#fff3c4"

FLAG_WORDS = {
    "tz_assumed": "time zone assumed ({tz})",
    "date_order_assumed": "date order assumed (could not be settled from the file)",
    "ambiguous_local_time": "local time ambiguous (clock change)",
    "nonexistent_local_time": "local time did not exist (clock change)",
    "time_unparsed": "time could not be read",
    "text_fixed": "text repaired (text as found kept)",
    "out_of_order": "out of order in the source",
    "truncated": "truncated in the source",
    "not_sent": "not sent (draft, queued or failed)",
    "forwarded": "forwarded",
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


@dataclass(frozen=True)
class Neighbour:
    """An image whose perceptual hash is near another's."""

    item_id: str
    name: str
    sha256: str
    distance: int  # differing bits of 64
    identical: bool = False  # the same SHA-256: the same file acquired again


def sender_label(m: Any) -> str:
    """Who sent a message, as shown: its identifier, else what the record says about it.

    A message with no sender is the device owner's only when it is outgoing (or its direction
    is unknown); an incoming one with no sender is a withheld or unknown number.
    """
    if m.sender_identifier:
        return str(m.sender_identifier)
    if m.direction == "incoming":
        flags = _json_list(m.flags)
        for flag, words in _HIDDEN_SENDER.items():
            if flag in flags:
                return words
        return "(sender not recorded)"
    return "(device owner)"


_HIDDEN_SENDER = {
    "number_withheld": "(number withheld)",
    "number_unknown": "(number unknown)",
    "number_payphone": "(payphone)",
}


def table(rows: Sequence[tuple[str, str]]) -> str:
    """A two-column table of already escaped (label, value) pairs."""
    body = "".join(
        f"<tr><th align=left valign=top>{k}</th><td valign=top>{v}</td></tr>" for k, v in rows
    )
    return f"<table cellspacing=3>{body}</table>"


def _json_list(text: str | None) -> list[Any]:
    if not text:
        return []
    value = json.loads(text)
    return value if isinstance(value, list) else []


def when(utc: str | None, raw: str | None, tz: str, short: bool = False) -> str:
    """The local time with its zone name, the UTC instant and the text as written on hover;
    the text as written when the time could not be read."""
    hover = E(f"UTC {utc}" if utc else "time not read")
    if raw:
        hover += E(f" · as written: {raw}")
    if not utc:
        return f'<span title="{hover}">{E(raw or "no time")} (as written)</span>'
    shown = local_time(utc, tz)
    if short:
        shown = shown.split(" ", 1)[1]
    return f'<span title="{hover}">{E(shown)}</span>'


def flag_words(m: Any) -> list[str]:
    """A message's flags, edits, deletion and forwarding in words."""
    flags = _json_list(m.flags)
    words = [FLAG_WORDS.get(f, f.replace("_", " ")).format(tz=m.tz or "?") for f in flags]
    if m.tz_assumed and "tz_assumed" not in flags:
        words.append(FLAG_WORDS["tz_assumed"].format(tz=m.tz or "?"))
    if m.edited:
        words.append("edited")
    if m.kind == "deleted":
        words.append("deleted")
    if m.forwarded_from:
        words.append(f"forwarded from {m.forwarded_from}")
    return words


def _badges(words: Sequence[str]) -> str:
    return f'<br><font color="{WARN}">⚑ {E(" · ".join(words))}</font>' if words else ""


def _local_day(utc: str | None, tz: str) -> str:
    return local_time(utc, tz).split(" ", 1)[0] if utc else ""


MARK_BG = "#ffe066"


def marked(text: str, query: str | None) -> str:
    """``text`` escaped, each place ``query`` appears (case- and accent-insensitive, as
    ``ews search`` matches) on a highlight background; plain escaping without a query."""
    from workstation.search import _original_span, fold

    needle = fold(query.strip()) if query else ""
    if not needle:
        return E(text)
    folded = fold(text)
    out: list[str] = []
    done = 0
    at = folded.find(needle)
    while at >= 0:
        start, end = _original_span(text, at, len(needle))
        if start >= done:
            out.append(E(text[done:start]))
            out.append(f'<span style="background-color:{MARK_BG}">{E(text[start:end])}</span>')
            done = end
        at = folded.find(needle, at + len(needle))
    out.append(E(text[done:]))
    return "".join(out)


def _body(m: Any, query: str | None = None) -> str:
    text = marked(m.text, query).replace("\n", "<br>") if m.text else f"<i>{E(m.kind)}</i>"
    attachments = _json_list(m.attachments)
    if attachments:
        text += f'<br><font color="{GREY}">📎 {E(", ".join(str(a) for a in attachments))}</font>'
    return text


def chat_html(
    messages: Sequence[Any], tz: str, highlight: int | None = None, query: str | None = None
) -> str:
    """A thread as a chat: the device owner's messages on the right, others on the left,
    a line for each new day; times in ``tz`` with the zone's name, UTC on hover. A flag
    every message shares is said once above the thread; the chosen message is anchored
    as ``chosen``; the words of a search ``query`` are highlighted."""
    if not messages:
        return ""
    words = [flag_words(m) for m in messages]
    common = [w for w in words[0] if all(w in other for other in words)] if words else []
    out = [f"<h4>{len(messages)} messages shown · times in {E(tz)} (UTC on hover)</h4>"]
    if common:
        out.append(f'<p><font color="{WARN}">⚑ Every message: {E(" · ".join(common))}</font></p>')
    day = None
    for m, flags in zip(messages, words, strict=True):
        own = [w for w in flags if w not in common]
        this_day = _local_day(m.sent_at_utc, tz)
        if this_day and this_day != day:
            day = this_day
            out.append(f'<p align=center><font color="{GREY}"><b>{E(day)}</b></font></p>')
        anchor = '<a name="chosen"></a>' if m.id == highlight else ""
        if m.kind == "system":
            out.append(
                f'<p align=center>{anchor}<font color="{GREY}"><i>{E(m.text)}</i> · '
                f"{when(m.sent_at_utc, m.sent_at_raw, tz, short=True)}</font>"
                f"{_badges(own)}</p>"
            )
            continue
        outgoing = m.direction == "outgoing" or (m.direction is None and not m.sender_identifier)
        colour = CHOSEN_BG if m.id == highlight else (OUT_BG if outgoing else IN_BG)
        who = E(sender_label(m))
        bubble = (
            f'<td bgcolor="{colour}">{anchor}<b>{who}</b> &nbsp;<font color="{GREY}">'
            f"{when(m.sent_at_utc, m.sent_at_raw, tz, short=True)}</font><br>"
            f"{_body(m, query)}{_badges(own)}</td>"
        )
        gap = '<td width="18%"></td>'
        cells = gap + bubble if outgoing else bubble + gap
        out.append(
            f'<table width="100%" cellspacing=0 cellpadding=6 style="margin-bottom:4px">'
            f"<tr>{cells}</tr></table>"
        )
    return "".join(out)


def email_html(m: Any, tz: str, query: str | None = None) -> str:
    """One e-mail: its headers (the Received chain in header order, newest hop first) and
    body, the words of a search ``query`` highlighted in the subject and body."""
    recipients = _json_list(m.recipients)
    received = _json_list(m.received_chain)
    rows = [
        ("From", E(m.sender_identifier or "(not in the message)")),
        ("To", E(", ".join(str(r) for r in recipients) or "(not in the message)")),
        ("Date (as written)", E(m.sent_at_raw or "(no Date header)")),
        (
            "Date (UTC)",
            E(m.sent_at_utc or "(not read)")
            + (f" · {E(local_time(m.sent_at_utc, tz))}" if m.sent_at_utc else ""),
        ),
        ("Message-ID", f"<tt>{E(m.message_id or '(none)')}</tt>"),
    ]
    if m.reply_to:
        rows.append(("In reply to", f"<tt>{E(m.reply_to)}</tt>"))
    rows.append(("Subject", marked(m.thread_title, query) if m.thread_title else "(no subject)"))
    hops = "".join(f"<li><tt>{E(' '.join(str(h).split()))}</tt></li>" for h in received)
    chain = (
        f"<p><b>Received</b> ({len(received)} hops, in header order: the last server first)</p>"
        f"<ol>{hops}</ol>"
        if received
        else "<p><b>Received</b>: no Received headers</p>"
    )
    body = marked(m.text, query).replace("\n", "<br>") if m.text else "<i>(no text body)</i>"
    attachments = _json_list(m.attachments)
    files = (
        f"<p><b>Attachments</b>: {E(', '.join(str(a) for a in attachments))}</p>"
        if attachments
        else ""
    )
    words = flag_words(m)
    flags = f'<p><font color="{WARN}">⚑ {E(" · ".join(words))}</font></p>' if words else ""
    return (
        f"<h3>✉ {E(m.thread_title or '(no subject)')}</h3>{table(rows)}{chain}{flags}"
        f'<hr><p style="white-space: pre-wrap">{body}</p>{files}'
    )


def exif_html(meta: Any, tz: str) -> str:
    """An image's metadata as read from the file; what the file does not hold is listed."""
    rows: list[tuple[str, str]] = []
    missing: list[str] = []

    def add(label: str, value: str | None) -> None:
        if value:
            rows.append((label, value))
        else:
            missing.append(label.lower())

    add("Captured (as written)", E(meta.captured_at_raw) if meta.captured_at_raw else None)
    if meta.captured_at_utc:
        zone = f" · zone {E(meta.tz)} assumed" if meta.tz_assumed and meta.tz else ""
        add(
            "Captured",
            f"{when(meta.captured_at_utc, meta.captured_at_raw, tz)} · UTC "
            f"{E(meta.captured_at_utc)}"
            + (f" · offset {E(meta.captured_offset)}" if meta.captured_offset else "")
            + zone,
        )
    camera = " ".join(v for v in (meta.make, meta.model) if v)
    add("Camera", E(camera) if camera else None)
    add("Software", E(meta.software) if meta.software else None)
    if meta.width and meta.height:
        rows.append(("Pixels", f"{meta.width} × {meta.height}"))
    gps = f"{meta.gps_lat}, {meta.gps_lon}" if meta.gps_lat and meta.gps_lon else None
    add("GPS", E(gps) if gps else None)
    add("User comment", E(meta.user_comment) if meta.user_comment else None)
    evidence = _json_list(meta.screenshot_evidence)
    shot = "yes" if meta.screenshot else "no sign of one"
    if evidence:
        shot += "<br>" + "<br>".join(f"· {E(str(x))}" for x in evidence)
    rows.append(("Screenshot", shot))
    add("App (guess)", E(meta.app_guess) if meta.app_guess else None)
    add("Perceptual hash", f"<tt>{E(meta.phash)}</tt>" if meta.phash else None)
    flags = [f.replace("_", " ") for f in _json_list(meta.flags)]
    if flags:
        rows.append(("Flags", f'<font color="{WARN}">{E(", ".join(flags))}</font>'))
    out = "<h4>Image metadata (EXIF)</h4>" + table(rows)
    if missing:
        out += f'<p><font color="{GREY}">Not in the file: {E(", ".join(missing))}.</font></p>'
    return out


def near_html(neighbours: Sequence[Neighbour], max_distance: int) -> str:
    """The near-duplicates, each a link that selects it in the items table."""
    head = f"<h4>Near-duplicates (perceptual hash within {max_distance} of 64 bits)</h4>"
    if not neighbours:
        return head + f'<p><font color="{GREY}">None in this case.</font></p>'
    lines = []
    for n in neighbours:
        same = " · identical bytes (same SHA-256)" if n.identical else ""
        lines.append(
            f'<li><a href="item:{E(n.item_id)}">{E(n.name)}</a> — distance {n.distance}{same} · '
            f"<tt>{E(n.sha256[:16])}…</tt></li>"
        )
    return head + f"<ul>{''.join(lines)}</ul>"

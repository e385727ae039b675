"""What a WhatsApp message body is: sender or system line, and the export's markers (media
references, omitted media, deleted, edited, calls, locations), which are not text; and the
archive member a media reference names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from extractors._whatsapp_locale import (
    DOCUMENT_ENDINGS,
    EDITED_MARKERS,
    EXACT,
    LOCATION_LABELS,
    LONGEST,
    TAILS,
    key_of,
)
from extractors.base import Sibling

MARKS = "\u200e\u200f"
# Bidi controls the exporting phone wraps names and numbers in: not part of the name.
_NAME_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069 "

_EDITED_MARKERS = EDITED_MARKERS  # every language's, from _whatsapp_locale
_DELETED = re.compile(r"(?:This message was deleted|You deleted this message|Message deleted)\.?")
_ATTACHED = re.compile(r"(?m)<attached: (?P<f>[^<>\n]+)>[ \u00a0]*$")
_ATTACHED_OLD = re.compile(r"(?P<f>\S[^\n<>]*?) <attached>")
_FILE_ATTACHED = re.compile(
    r"(?P<f>[^\n]+?) \((?:file attached|Datei angehängt|archivo adjunto"
    r"|arquivo anexado|fichier joint)\)"  # the last two unverified
)
_MEDIA_OMITTED = re.compile(
    r"<(?:Media omitted|Multimédia omitido|Mídia omitida|Medien ausgeschlossen"
    r"|Video message omitted|Video note omitted)>",
    re.IGNORECASE,
)
_IOS_OMITTED = re.compile(
    r"(?:(?:(?P<doc>.+?) (?:• \d+ pages? )?)?document|(?P<card>Contact card)"
    r"|image|video|audio|sticker|GIF|video note) omitted",
    re.IGNORECASE,
)
_CALL = re.compile(
    r"(?:Missed (?:group )?(?:voice|video) call|(?:Group )?(?:Voice|Video) call)(?:[,.] .{0,60})?"
)
# A shared place: "<label>: <map link>", the label a word ("location", "Standort") or a
# venue ("Pimlico Gardens (London, United Kingdom)"); Android may put the venue's name on
# the line before the link.
_MAP_LINK = re.compile(
    r"(?:(?P<label>[^\n]{1,120}?):? )?(?P<url>https://(?:maps\.google\.com/\?q=|foursquare\.com/v/"
    r"|maps\.apple\.com/\?|www\.google\.com/maps)\S*)"
)
_FILE_NAME = re.compile(r".+\.\w{1,6}(?: • .+)?")
E2E = re.compile(
    r"(?:Messages and calls are end-to-end encrypted|Messages to this (?:group|chat) are now"
    r" secured with end-to-end encryption)"
)
_PASSIVE = re.compile(
    r"(?:.+ (?:were|was) added.*|You're (?:now|no longer) an admin|Your security code with .+"
    r"|Disappearing messages .+|This (?:chat|business) .+)\.?"
)
_ACTOR = re.compile(
    r"(?P<a>.+?) (?:created (?:the )?group [\"“]|(?:added|removed) (?!this)"
    r"|left(?: the group)?\.?$|joined using (?:this|a) group's invite link"
    r"|changed (?:the subject|the group (?:name|description|settings)|this group's"
    r"|their phone number|to \+|the message timer)|deleted this group's"
    r"|turned (?:on|off) disappearing messages|reset this group's invite link"
    r"|pinned a message|(?:blocked|unblocked) this (?:contact|business))"
)
_TIGHT_COLON = re.compile(r"(?P<name>[^:\"“”\n]+):(?P<body>\S.*|)", re.DOTALL)


@dataclass
class Body:
    """A classified message body: kind, clean text, referenced files, system actor."""

    kind: str
    text: str
    files: tuple[str, ...] = ()
    match_siblings: bool = False
    edited: bool = False
    actor: str | None = None
    null: bool = False  # Android's "null" placeholder (view once, unsupported): no text


def split_sender(rest: str) -> tuple[str | None, str]:
    """(sender, body) after the header; sender None for a system line (no ``Name: ``)."""
    name, sep, body = rest.partition(": ")
    if not sep:
        # "Name:" then nothing, or no space ("John Doe:."): still a sender, unless the line
        # reads as system wording.
        m = _TIGHT_COLON.fullmatch(rest)
        if m is None or _ACTOR.match(rest) or E2E.match(rest):
            return None, rest
        name, body = m["name"], m["body"]
    if ('"' in name or "“" in name or "”" in name) and _ACTOR.match(rest):
        return None, rest  # a group subject with ": " in it, not a sender
    sender = name.strip(_NAME_CONTROLS)
    return (sender, body) if sender else (None, rest)


def _actor(text: str) -> str | None:
    m = _ACTOR.match(text)
    if m is None or E2E.match(text) or _PASSIVE.fullmatch(text):
        return None
    return m["a"].strip(_NAME_CONTROLS) or None


def classify(raw: str, authored: bool) -> Body:
    """Kind, clean text and referenced files of a body (markers are not text)."""
    body = _drop_edited_marker(raw)
    edited = body is not None
    clean = _strip_marks(raw if body is None else body)
    first, _, rest = clean.partition("\n")
    whole = clean.strip()
    if not authored:
        if whole[:1] in "MVG" and _CALL.fullmatch(whole):
            return Body("call", whole)
        return Body("system", clean, actor=_actor(whole))
    out = _classify_authored(clean, first.strip(), rest, whole, raw[:1] in MARKS)
    out.edited = edited
    return out


def _strip_marks(text: str) -> str:
    if "\u200e" in text or "\u200f" in text:
        return text.replace("\u200e", "").replace("\u200f", "")
    return text


def _drop_edited_marker(raw: str) -> str | None:
    """The body without a trailing ``<This message was edited>``; None if it has none."""
    tail = raw.rstrip(" \u200e\u200f")
    if not tail.endswith(_EDITED_MARKERS):
        return None
    for marker in _EDITED_MARKERS:
        if tail.endswith(marker):
            return tail[: -len(marker)].rstrip(" \u00a0\u200e\u200f")
    return None


def _classify_authored(clean: str, first: str, rest: str, whole: str, marked: bool) -> Body:
    # Each test sits behind a cheap one: most bodies are plain text.
    if whole == "null":
        return Body("media", "", null=True)  # Android: a view-once or unsupported item
    marker_tail = whole[-2:] in TAILS
    if marker_tail and len(whole) <= LONGEST:
        kind = EXACT.get(key_of(whole))
        if kind is not None:
            return Body(kind, whole if kind in ("deleted", "location") else "")
    if "<attached: " in clean and (m := _ATTACHED.search(clean)):
        caption = clean[: m.start()].rstrip(" \u00a0") + clean[m.end() :]
        return Body("media", caption.strip("\n"), (m["f"].strip(),), True)
    if first.endswith(("<attached>", ")")) and (
        m := _ATTACHED_OLD.fullmatch(first) or _FILE_ATTACHED.fullmatch(first)
    ):
        return Body("media", rest, (m["f"].strip(),), True)
    if first.endswith(">"):
        if len(first) <= LONGEST and EXACT.get(key_of(first)) == "media":
            return Body("media", rest)  # Android "<Media omitted>", then the caption
        if _MEDIA_OMITTED.fullmatch(first):
            return Body("media", rest)
    if marker_tail and not rest:
        named = _named_document(first, marked)
        if named is not None:
            return named
    if whole[:1] in "MVG" and "\n" not in whole and _CALL.fullmatch(whole):
        return Body("call", whole)
    if "https://" in clean and clean.count("\n") <= 1:
        place = _place(first, rest)
        if place is not None:
            return place
    if marked and (E2E.match(whole) or _PASSIVE.fullmatch(whole) or _ACTOR.match(whole)):
        return Body("system", clean, actor=None if E2E.match(whole) else _actor(whole))
    return Body("text", clean)


def _named_document(first: str, marked: bool) -> Body | None:
    """``<file> document omitted`` in any language; the name needs iOS's mark or the
    shape of a file name (``Plan.pdf``, ``Plan.pdf • 2 pages``)."""
    folded = first.rstrip(" .").casefold()
    if not folded.endswith(DOCUMENT_ENDINGS):
        return None
    for ending in DOCUMENT_ENDINGS:
        if folded.endswith(ending):
            name = first.rstrip(" .")[: len(folded) - len(ending)].strip(" \u00a0<")
            if not name:
                return Body("media", "")
            if marked or _FILE_NAME.fullmatch(name):
                return Body("media", "", (re.sub(r" • .*$", "", name),))
            return None
    return None


def _place(first: str, rest: str) -> Body | None:
    """A shared location or venue: one line ``label: link``, or a venue line then a link."""
    lines = [first, rest] if rest else [first]
    m = _MAP_LINK.fullmatch(lines[-1].strip())
    if m is None:
        return None
    label = (m["label"] or "").strip()
    if len(lines) == 2 and label and key_of(label) not in LOCATION_LABELS:
        return None  # two lines: the second must be the bare link or "location: link"
    return Body("location", "\n".join(lines))


def match_member(siblings: Sequence[Sibling], here: str, name: str) -> tuple[str, list[str]]:
    """The member a media marker names (byte-exact, else after NFC; those in the chat's own
    folder ``here`` first), or the name itself; with what the examiner must be told."""
    by_dir = sorted(siblings, key=lambda s: s.member.rpartition("/")[0] != here)
    exact = [s for s in by_dir if s.member.rpartition("/")[2] == name]
    nfc = unicodedata.normalize("NFC", name)
    found = exact or [
        s for s in by_dir if unicodedata.normalize("NFC", s.member.rpartition("/")[2]) == nfc
    ]
    if not found:
        return name, [f"referenced file {name!r} is not in the archive"]
    problems = []
    if not exact:
        problems.append(
            f"referenced file {name!r} matched member {found[0].member!r} only after "
            "Unicode normalisation (NFC/NFD)"
        )
    if len(found) > 1:
        problems.append(
            f"referenced file {name!r} matches {len(found)} members; took {found[0].member!r}"
        )
    return found[0].member, problems

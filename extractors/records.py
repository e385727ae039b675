"""The typed records extractors produce (DESIGN.md §5).

Frozen dataclasses of flat values only (str, int, bool, None and tuples of them), so a
record has exactly one canonical JSON form and the Merkle root of a record set can be
recomputed by anyone. No floats: coordinates are decimal strings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any, ClassVar


@dataclass(frozen=True)
class Locator:
    """Where a record was found: item, member path inside a container, and the place in it.

    Exactly one of ``line`` (1-based), ``offset`` (byte offset) or ``pointer`` (JSON
    pointer / XPath-like path) is normally set.
    """

    item_sha256: str
    path: str = ""
    line: int | None = None
    offset: int | None = None
    pointer: str | None = None


@dataclass(frozen=True)
class Record:
    """Base of every record; ``record_type`` names it in canonical form."""

    record_type: ClassVar[str] = "record"
    locator: Locator


@dataclass(frozen=True)
class Account(Record):
    """An account seen in a source, with the identifiers the file gives, verbatim."""

    record_type: ClassVar[str] = "account"
    platform: str = ""
    platform_id: str | None = None
    handle: str | None = None
    display_name: str | None = None
    phone_raw: str | None = None
    phone_e164: str | None = None
    email: str | None = None
    avatar_ref: str | None = None  # member path or SHA-256 of a profile picture
    profile_url: str | None = None
    is_owner: bool = False  # the account whose export this is
    # Where the identifier means this account, when only within one export: WhatsApp calls
    # every exporter "You", so "You" of two phones' exports are two accounts. None: the
    # identifier means the same account wherever it is seen on the platform.
    key_scope: str | None = None

    @property
    def key(self) -> str:
        """A stable key within the platform: the strongest identifier the file gives (with
        its scope, when it names this account only within one export)."""
        ident = (
            self.platform_id
            or self.phone_e164
            or self.email
            or self.handle
            or self.phone_raw
            or self.display_name
            or ""
        )
        if self.key_scope is not None:
            return f"{self.platform}:{ident} ({self.key_scope})"
        return f"{self.platform}:{ident}"


@dataclass(frozen=True)
class Message(Record):
    """One message (or system line, deleted marker, call record) in a thread."""

    record_type: ClassVar[str] = "message"
    platform: str = ""
    thread_id: str = ""
    thread_title: str | None = None
    sender_key: str | None = None  # Account.key of the sender, when known
    sender_identifier: str | None = None  # as written in the source
    recipients: tuple[str, ...] = ()
    sent_at_utc: str | None = None  # RFC 3339 with Z; None if the time could not be read
    sent_at_raw: str = ""
    tz: str | None = None  # zone used to convert a local time, or None when the source had UTC
    tz_assumed: bool = False
    flags: tuple[str, ...] = ()  # see FLAGS
    kind: str = "text"  # see KINDS
    text: str = ""
    raw_text: str | None = None  # the text as found, when a fix was applied to ``text``
    attachments: tuple[str, ...] = ()  # file names or member paths
    edited: bool = False
    reply_to: str | None = None
    message_id: str | None = None
    direction: str | None = None  # "incoming" | "outgoing" when the source says
    received_chain: tuple[str, ...] = ()  # email: the Received headers, in header order
    # Reactions to this message, each a canonical JSON object text:
    # {"actor": name as written, "reaction": emoji or word[, "at": RFC 3339 UTC]}.
    reactions: tuple[str, ...] = ()
    # Shared links, each a canonical JSON object text: {"link": url[, "share_text": text]}.
    shares: tuple[str, ...] = ()
    forwarded_from: str | None = None  # the original author as written, when forwarded


@dataclass(frozen=True)
class Call(Record):
    """A call record (SMS backup call log, WhatsApp missed call, Messenger call)."""

    record_type: ClassVar[str] = "call"
    platform: str = ""
    thread_id: str | None = None
    number_raw: str | None = None
    number_e164: str | None = None
    party_key: str | None = None
    started_at_utc: str | None = None
    started_at_raw: str = ""
    tz: str | None = None
    tz_assumed: bool = False
    flags: tuple[str, ...] = ()
    duration_s: int | None = None
    # incoming | outgoing | missed | rejected | blocked | voicemail | answered_other | unknown
    direction: str | None = None


@dataclass(frozen=True)
class ImageMeta(Record):
    """What an image says about itself: EXIF, PNG chunks, file-name conventions, hash."""

    record_type: ClassVar[str] = "image_meta"
    width: int | None = None
    height: int | None = None
    captured_at_raw: str | None = None
    captured_at_utc: str | None = None
    captured_offset: str | None = None  # e.g. "+01:00" when EXIF gives it
    tz: str | None = None
    tz_assumed: bool = False
    flags: tuple[str, ...] = ()
    make: str | None = None
    model: str | None = None
    software: str | None = None
    gps_lat: str | None = None  # decimal degrees as text
    gps_lon: str | None = None
    screenshot: bool = False
    screenshot_evidence: tuple[str, ...] = ()  # why it is thought to be a screenshot
    app_guess: str | None = None
    phash: str | None = None  # 64-bit perceptual hash, 16 hex digits
    user_comment: str | None = None


@dataclass(frozen=True)
class DerivedFile(Record):
    """Bytes embedded in a source (MMS part, email attachment) to become a child item."""

    record_type: ClassVar[str] = "derived_file"
    name: str = ""
    mime: str | None = None
    data: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class ExtractWarning(Record):
    """Something wrong inside a recognised file; the extractor went on."""

    record_type: ClassVar[str] = "warning"
    message: str = ""


KINDS = frozenset({"text", "media", "system", "deleted", "call", "location", "contact"})
FLAGS = frozenset(
    {
        "tz_assumed",  # local time converted with the zone the examiner stated
        "date_order_assumed",  # day/month order undecidable in the file; day-first assumed
        # more than one date order fits every date of the file; only the one taken has the
        # dates run forward (WhatsApp text)
        "date_order_inferred",
        # a line that looks like a message header but did not parse is in this message's
        # text (warned with its line number), not silently glued
        "unparsed_header",
        "ambiguous_local_time",  # local time falls in a DST overlap (two instants)
        "nonexistent_local_time",  # local time falls in a DST gap
        "time_unparsed",  # the time text could not be read
        "text_fixed",  # text was repaired (mojibake, invisible marks, surrogates); raw kept
        "out_of_order",  # earlier than the message before it in the file
        "truncated",  # the source ended inside this record
        "not_sent",  # a draft, queued or failed message: not known to have been sent
        "forwarded",  # forwarded from someone else: the words are not the sender's own
        "unsent",  # withdrawn by its sender after it was sent (iMessage "Undo Send")
        # e-mail: a From/To/Cc/Bcc display name is or holds another address than the
        # party's own (a spoofing shape); the account is the address, the name kept as written
        "display_name_other_address",
        "body_null",  # SMS backup wrote the literal "null" for the body: no text, raw kept
        "number_withheld",  # the caller withheld the number (presentation restricted, -2)
        "number_unknown",  # the network gave no number (presentation unknown, -1, empty)
        "number_payphone",  # a payphone (presentation 4, -3)
        # a phone number kept as written: not valid in the export's or the case's region
        # but valid elsewhere, so its country could not be told (never a guessed +44)
        "phone_region_unsure",
    }
)


_FIELD_NAMES: dict[type[Record], tuple[str, ...]] = {}


def field_names(kind: type[Record]) -> tuple[str, ...]:
    """The dataclass field names of a record type, in declaration order (cached)."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    return names


def record_to_canonical(record: Record) -> dict[str, Any]:
    """The record as a plain dict (for hashing, JSON and the database); bytes as SHA-256.

    Absent values (None) are left out; tuples become lists; the locator is an object.
    """
    out: dict[str, Any] = {"type": record.record_type}
    values = record.__dict__
    for name in field_names(type(record)):
        value = values[name]
        if name == "locator":
            value = {k: v for k, v in value.__dict__.items() if v is not None}
        elif isinstance(value, bytes):
            out[f"{name}_sha256"] = hashlib.sha256(value).hexdigest()
            out[f"{name}_size"] = len(value)
            continue
        elif isinstance(value, tuple):
            value = list(value)
        if value is None:
            continue
        out[name] = value
    return out


# The canonical JSON text of a record, written directly: at a million records per item the
# dict of ``record_to_canonical`` and a general encoder cost more than parsing the evidence.
# The bytes are exactly ``canonical_bytes(record_to_canonical(record))`` (tested, including
# hypothesis): keys sorted, no whitespace, UTF-8, strings escaped as ``json.dumps`` with
# ``ensure_ascii=False`` escapes them (the same C function).

_TYPE = -1  # where "type" goes among the keys
_LOCATOR_FIELDS = tuple(f.name for f in fields(Locator))
_locator_values = itemgetter(*_LOCATOR_FIELDS)


def _json_value(value: Any) -> str:
    """Canonical JSON of one field value (any type ``record_to_canonical`` would keep)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is tuple:
        try:  # strings (or str subclasses, which json.dumps writes the same way)
            return "[" + ",".join(map(encode_basestring, value)) + "]"
        except TypeError:
            pass
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _locator_json(values: tuple[Any, ...]) -> str:
    """The locator object, from its values in field order."""
    sha256, path, line, offset, pointer = values
    if type(sha256) is not str or type(path) is not str:
        return _json_value(
            {k: v for k, v in zip(_LOCATOR_FIELDS, values, strict=True) if v is not None}
        )
    out = '{"item_sha256":' + encode_basestring(sha256)
    if line is not None:
        out += ',"line":' + _json_value(line)
    if offset is not None:
        out += ',"offset":' + _json_value(offset)
    out += ',"path":' + encode_basestring(path)
    if pointer is not None:
        out += ',"pointer":' + _json_value(pointer)
    return out + "}"


class _Shape:
    """How one record type is flattened and written as canonical JSON."""

    def __init__(self, kind: type[Record]) -> None:
        names = field_names(kind)
        if names[0] != "locator":
            raise TypeError(f"{kind.__name__}: the locator must be the first field")
        self.values = itemgetter(*names)
        self.type_json = encode_basestring(kind.record_type)
        # Records holding bytes write them as name_sha256/name_size: the general path.
        self.direct = not any("bytes" in str(f.type) for f in fields(kind))
        order = sorted([*((n, i) for i, n in enumerate(names)), ("type", _TYPE)])
        self.plan = tuple((i, encode_basestring(n) + ":") for n, i in order)


_SHAPES: dict[type[Record], _Shape] = {}


def _shape(kind: type[Record]) -> _Shape:
    shape = _SHAPES.get(kind)
    if shape is None:
        shape = _SHAPES[kind] = _Shape(kind)
    return shape


def flat_values(record: Record) -> tuple[Any, ...]:
    """The record's field values in field order, its locator (first) as a tuple of values.

    Plain tuples: cheap to send to another process, unlike the dataclasses.
    """
    values = _shape(type(record)).values(record.__dict__)
    return (_locator_values(values[0].__dict__), *values[1:])


def canonical_from_values(kind: type[Record], values: tuple[Any, ...]) -> bytes:
    """``canonical_json`` of the record of type ``kind`` whose ``flat_values`` these are."""
    shape = _shape(kind)
    if not shape.direct:
        names = field_names(kind)
        record = kind(**dict(zip(names, (Locator(*values[0]), *values[1:]), strict=True)))
        return json.dumps(
            record_to_canonical(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    parts: list[str] = []
    add = parts.append
    encode = encode_basestring
    for index, key in shape.plan:
        if index <= 0:
            add(key + (shape.type_json if index else _locator_json(values[0])))
            continue
        value = values[index]
        if value is None:
            continue
        kind_of = type(value)
        if kind_of is str:
            add(key + encode(value))
        elif kind_of is bool:
            add(key + ("true" if value else "false"))
        elif kind_of is tuple and not value:
            add(key + "[]")
        else:
            add(key + _json_value(value))
    return ("{" + ",".join(parts) + "}").encode("utf-8")


def canonical_json(record: Record) -> bytes:
    """The record's canonical JSON bytes, what its Merkle leaf hashes.

    Equal to ``canonical_bytes(record_to_canonical(record))``; faster, with no dict.
    """
    if not _shape(type(record)).direct:
        return json.dumps(
            record_to_canonical(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    return canonical_from_values(type(record), flat_values(record))

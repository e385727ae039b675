"""What the case database says about each account, gathered for alias grouping: identifiers,
names, profile pictures, address-book names with the source and export holder they came
from, identifiers seen together in one record, identifiers written in messages, shared
wording. Export holders: ``workstation._alias_holders``.

Read with a few set-based queries (DISTINCT column pairs, joins to the item's source), not
row by row: 100,000 accounts load in about a second.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from chain_of_custody.case import T_ITEM
from chain_of_custody.models import AccountAvatar, AccountRecord, ImageMetaRecord, MessageRecord
from extractors.identifiers import email_key, phone_e164
from workstation._alias_names import fold_name, folded_name

T_ACCOUNT = AccountRecord.__table__  # type: ignore[attr-defined]
T_AVATAR = AccountAvatar.__table__  # type: ignore[attr-defined]
T_IMAGE = ImageMetaRecord.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PHASH = re.compile(r"^[0-9a-fA-F]{16}$")
_PHONE_TEXT = re.compile(r"(?<![\w+])\+?\d[\d ()\-.]{7,16}\d(?!\w)")
_EMAIL_TEXT = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
#: Platforms whose display names are the device owner's address-book names.
ADDRESS_BOOK_PLATFORMS = ("whatsapp", "sms", "phone")
#: A line shared word for word counts only if it is at least this long and has this many
#: words: "Leave me alone" is what anyone writes, a 40-character sentence is not.
WORDING_MIN_CHARS = 20
WORDING_MIN_WORDS = 4
#: A line sent by more accounts than this is boilerplate (a system notice), not wording.
WORDING_MAX_SENDERS = 20
#: Items per ``IN (...)`` list (well under SQLite's and PostgreSQL's parameter limits).
_CHUNK = 500

_NONE: frozenset[str] = frozenset()
_NO_NAMES: Mapping[str, str] = MappingProxyType({})
_NO_ENTRIES: frozenset[tuple[str, str, str]] = frozenset()


@dataclass(slots=True)
class AccountFacts:
    """Everything alias grouping knows about one account key. Empty facts share one empty
    value (most accounts have few), so 100,000 accounts cost little memory."""

    key: str
    platform: str = ""
    platform_ids: AbstractSet[str] = _NONE
    phones: AbstractSet[str] = _NONE
    emails: AbstractSet[str] = _NONE
    names: Mapping[str, str] = field(default_factory=lambda: _NO_NAMES)  # folded -> written
    pictures: AbstractSet[str] = _NONE  # SHA-256 of profile pictures
    is_owner: bool = False
    #: (name as saved, ingest source, holder group of the export or "") of each address-book
    #: name the account is shown under.
    address_book: AbstractSet[tuple[str, str, str]] = _NO_ENTRIES
    #: ingest source -> how the account is the holder of exports handed over under it.
    holder_of: Mapping[str, str] = field(default_factory=lambda: _NO_NAMES)


@dataclass(frozen=True)
class Mention:
    """An identifier of one account written in a message sent by another."""

    writer: str
    mentioned: str
    message_id: int
    identifier: str


@dataclass
class MessageEvidence:
    """Identifiers written in messages, and lines sent word for word by several accounts."""

    mentions: list[Mention] = field(default_factory=list)
    shared_lines: dict[tuple[str, str], list[str]] = field(default_factory=dict)


@lru_cache(maxsize=1 << 16)
def _phone(e164: str | None, raw: str | None) -> str | None:
    return e164 or phone_e164(raw)


_email = lru_cache(maxsize=1 << 16)(email_key)


def _rows(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[Any]:
    """The rows of a query, fetched 20,000 at a time (bounded memory, no per-row fetch)."""
    for part in conn.execution_options(yield_per=20000).execute(query).partitions():
        yield from part


rows_of = _rows


def _grouped(pairs: Iterable[tuple[str, Any]]) -> dict[str, set[Any]]:
    found: dict[str, set[Any]] = defaultdict(set)
    for key, value in pairs:
        found[key].add(value)
    return found


def of_case(conn: sa.Connection, column: Any, case_id: str) -> Any:
    """``column == case_id``. On SQLite written as ``column || '' = case_id`` so that the
    planner scans the table instead of walking a ``(case_id, …)`` index row by row: reading
    all of a case's rows (a case's database holds that case), a scan is about five times
    faster. PostgreSQL keeps the plain comparison (its planner knows the statistics)."""
    return (column.concat("") if conn.dialect.name == "sqlite" else column) == case_id


def load_accounts(conn: sa.Connection, case_id: str) -> dict[str, AccountFacts]:
    """Every account key with its identifiers, names and profile pictures (address-book
    names and holders are added by ``address_book`` and ``_alias_holders.load``). One
    narrow query per kind of fact; an account seen in many records is folded into one by
    sets, not by ``DISTINCT`` (a sort in SQLite)."""
    c = T_ACCOUNT.c
    mine = of_case(conn, c.case_id, case_id)

    def rows(*cols: Any, where: Any = None) -> Iterator[Any]:
        query = sa.select(*cols).where(mine)
        return _rows(conn, query if where is None else query.where(where))

    facts: dict[str, AccountFacts] = {}
    for key, platform, owner in rows(c.account_key, c.platform, c.is_owner):
        acc = facts.get(key)
        if acc is None:
            acc = facts[key] = AccountFacts(key, platform)
        if owner:
            acc.is_owner = True
    found = rows(c.account_key, c.platform, c.platform_id, where=c.platform_id.isnot(None))
    for key, ids in _grouped((k, f"{p}:{v}") for k, p, v in found).items():
        facts[key].platform_ids = ids
    found = rows(
        c.account_key, c.phone_e164, c.phone_raw,
        where=sa.or_(c.phone_e164.isnot(None), c.phone_raw.isnot(None)),
    )  # fmt: skip
    for key, phones in _grouped((k, _phone(e, r)) for k, e, r in found).items():
        phones.discard(None)
        if phones:
            facts[key].phones = phones
    found = rows(c.account_key, c.email, where=c.email.isnot(None))
    for key, emails in _grouped((k, _email(e)) for k, e in found).items():
        emails.discard(None)
        if emails:
            facts[key].emails = emails
    names: dict[str, dict[str, str]] = defaultdict(dict)
    found = rows(
        c.account_key, c.display_name, c.handle, c.key_scope,
        where=sa.or_(c.display_name.isnot(None), c.handle.isnot(None)),
    )  # fmt: skip
    for key, shown, handle, scope in found:
        if scope is not None:  # a name that means this account within one export only
            continue  # (WhatsApp's "You"): two exports' "You" are not alike by name
        for text in (shown, handle):
            name = folded_name(text)
            if name is not None:
                names[key].setdefault(*name)
    for key, by_fold in names.items():
        facts[key].names = by_fold
    refs = rows(c.account_key, c.avatar_ref, where=c.avatar_ref.isnot(None))
    a = T_AVATAR.c
    linked = _rows(conn, sa.select(a.account_key, a.sha256).where(a.case_id == case_id))
    pictures = _grouped(
        (k, v.lower()) for k, v in [*refs, *linked] if k in facts and _SHA256.match(v.lower())
    )
    for key, shas in pictures.items():
        facts[key].pictures = shas
    return facts


def address_book(
    conn: sa.Connection,
    case_id: str,
    facts: dict[str, AccountFacts],
    device_of: Callable[[str], str],
) -> None:
    """Names a phone's address book shows: an SMS or call-log number's contact name, and a
    WhatsApp chat shown under a name instead of a number; each with the item's source and
    the holder group of its export (``device_of``: "" when the export names no holder)."""
    c = T_ACCOUNT.c
    query = (
        sa.select(c.account_key, c.platform, c.display_name, c.phone_e164, c.phone_raw)
        .add_columns(T_ITEM.c.source, c.item_id)
        .join(T_ITEM, T_ITEM.c.id == c.item_id)
        .where(
            of_case(conn, c.case_id, case_id),
            c.platform.in_(ADDRESS_BOOK_PLATFORMS),
            c.display_name.isnot(None),
        )
    )
    entries: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for key, platform, shown, e164, raw, source, item in _rows(conn, query):
        found = folded_name(shown)
        if found is None or (platform == "whatsapp" and _phone(e164, raw)):
            continue
        source, device = (source or "").strip(), device_of(item)
        entries[key].add((" ".join(found[1].split()), source, device))
    for key, saved in entries.items():
        facts[key].address_book = saved


def titled(acc: AccountFacts | None, thread: str, title: str) -> bool:
    """True if the chat's title names this account (its key, a name, a number)."""
    if acc is None:
        return False
    if acc.key == thread or fold_name(title) in acc.names:
        return True
    number = phone_e164(title) if any(ch.isdigit() for ch in title) else None
    return number is not None and number in acc.phones


@dataclass(frozen=True)
class Tie:
    """One account record that shows two identifiers of one account together (an Instagram
    username beside the display name, a platform id beside a username): the account keyed by
    the weaker identifier elsewhere is the record's account."""

    key: str  # the record's account key (its strongest identifier)
    other: str  # the account keyed by another identifier of the same record
    value: str  # that identifier as the record writes it
    kind: str  # "username" | "name"
    where: str  # the item the record is in (and where in it)
    same_export: bool  # ``other`` is seen in the same export (archive or file) as the record
    rivals: tuple[str, ...] = ()  # other record keys shown with the same name


def _ident_norm(text: str) -> str:
    folded = text.casefold()
    if " " not in folded and folded.isprintable():  # no run of spaces, tab or newline
        return folded
    return " ".join(folded.split())


def seen_together(conn: sa.Connection, case_id: str, facts: dict[str, AccountFacts]) -> list[Tie]:
    """Every tie (``Tie``) the case's account records make between two account keys. Any
    extractor that reads two identifiers of one account in one place makes one by writing
    both in one Account record: a download's profile data, a list of followers with names,
    and (later) the header of a screenshot read by OCR."""
    keyed: dict[tuple[str, str], list[str]] = defaultdict(list)  # (platform, ident) -> keys
    for acc in facts.values():
        ident = acc.key.split(":", 1)[1] if ":" in acc.key else acc.key
        keyed[(acc.platform, _ident_norm(ident))].append(acc.key)
    c = T_ACCOUNT.c
    stronger = sa.or_(c.platform_id.isnot(None), c.phone_e164.isnot(None), c.email.isnot(None))
    query = sa.select(
        c.account_key, c.platform, c.handle, c.display_name, c.item_id, c.loc_pointer, c.loc_line
    ).where(
        of_case(conn, c.case_id, case_id),
        c.key_scope.is_(None),
        sa.or_(
            sa.and_(c.handle.isnot(None), stronger),
            sa.and_(
                c.display_name.isnot(None),
                c.platform.notin_(ADDRESS_BOOK_PLATFORMS),
                sa.or_(stronger, c.handle.isnot(None), c.phone_raw.isnot(None)),
            ),
        ),
    )  # no DISTINCT (a sort in SQLite): ties are folded below
    # Phones and emails are compared as identifiers already (identifier_pairs); here the
    # username and the display name, which key an account when the file gives nothing more.
    # On WhatsApp, SMS and call logs a name is a phone's saved label, not the account's:
    # address_book_pairs compares those.
    raw: list[tuple[str, str, str, str, str, str]] = []  # key, other, value, kind, item, where
    for key, platform, handle, shown, item, pointer, line in _rows(conn, query):
        book = platform in ADDRESS_BOOK_PLATFORMS
        for kind, value in (("username", handle), ("name", None if book else shown)):
            if not value:
                continue
            found = keyed.get((platform or "", _ident_norm(value)))
            if not found:
                continue
            for other in found:
                if other != key:
                    place = pointer or (f"line {line}" if line else "")
                    raw.append((key, other, value, kind, item, place))
    if not raw:
        return []
    names: dict[tuple[str, str], set[str]] = defaultdict(set)  # who else shows the name
    for key, other, value, kind, _item, _where in raw:
        if kind == "name":
            names[(other, _ident_norm(value))].add(key)
    items = {item for *_, item, _ in raw}
    wanted = sorted({other for _, other, *_ in raw})
    root = _item_roots(conn, case_id)

    seen_in: dict[str, set[str]] = defaultdict(set)
    for start in range(0, len(wanted), _CHUNK):
        query = (
            sa.select(c.account_key, c.item_id)
            .where(c.case_id == case_id, c.account_key.in_(wanted[start : start + _CHUNK]))
            .distinct()
        )
        for key, item in _rows(conn, query):
            seen_in[key].add(root(item))
    shown_names: dict[str, str] = {}
    listed = sorted(items)
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start : start + _CHUNK]
        query = sa.select(T_ITEM.c.id, T_ITEM.c.name).where(T_ITEM.c.id.in_(chunk))
        shown_names.update((i, n or i) for i, n in _rows(conn, query))
    ties: dict[tuple[str, str], Tie] = {}
    for key, other, value, kind, item, where in raw:
        same = root(item) in seen_in.get(other, ())
        rivals = tuple(sorted(names.get((other, _ident_norm(value)), set()) - {key}))
        place = shown_names.get(item, item) + (f" at {where}" if where else "")
        tie = Tie(key, other, value, kind, place, same, rivals if kind == "name" else ())
        old = ties.get((key, other))
        if old is None or (tie.same_export and not old.same_export):
            ties[(key, other)] = tie
    return sorted(ties.values(), key=lambda t: (t.key, t.other))


def picture_hashes(conn: sa.Connection, case_id: str, wanted: set[str]) -> dict[str, str]:
    """Perceptual hash of each wanted picture (by SHA-256) that has one; a broken image has
    none and can then only match by its exact bytes."""
    found: dict[str, str] = {}
    if not wanted:
        return found
    rows = _rows(
        conn,
        sa.select(T_ITEM.c.sha256, T_IMAGE.c.phash)
        .join(T_ITEM, T_ITEM.c.id == T_IMAGE.c.item_id)
        .where(of_case(conn, T_IMAGE.c.case_id, case_id), T_IMAGE.c.phash.isnot(None)),
    )
    for sha, phash in rows:
        if sha in wanted and _PHASH.match(phash):
            found[sha] = phash.lower()
    return found


def archive_holders(
    conn: sa.Connection, case_id: str, facts: dict[str, AccountFacts]
) -> list[tuple[str, str, str]]:
    """(holder, participant, name) for each participant of an archive named exactly as the
    archive's holder account (checked only for accounts bearing a holder's name)."""
    owners = [acc for acc in facts.values() if acc.is_owner and acc.names]
    owner_names = {folded for acc in owners for folded in acc.names}
    bearers = [acc.key for acc in facts.values() if owner_names.intersection(acc.names)]
    if not owners or len(bearers) < 2:
        return []
    root = _item_roots(conn, case_id)

    roots: dict[str, set[str]] = defaultdict(set)
    c = T_ACCOUNT.c
    for start in range(0, len(bearers), _CHUNK):
        chunk = bearers[start : start + _CHUNK]
        query = (
            sa.select(c.account_key, c.item_id)
            .where(c.case_id == case_id, c.account_key.in_(chunk))
            .distinct()
        )
        for key, item in _rows(conn, query):
            roots[key].add(root(item))
    found = []
    for owner in owners:
        for other in bearers:
            if other == owner.key or not roots[owner.key] & roots[other]:
                continue
            for folded in owner.names.keys() & facts[other].names.keys():
                found.append((owner.key, other, owner.names[folded]))
                break
    return found


def _wording_line(line: str) -> str | None:
    text = " ".join(line.casefold().split())
    if len(text) < WORDING_MIN_CHARS or len(text.split()) < WORDING_MIN_WORDS:
        return None
    return text


def _identifiers_in(text: str) -> Iterable[str]:
    if "@" in text:
        for m in _EMAIL_TEXT.finditer(text):
            key = _email(m.group(0).rstrip("."))
            if key:
                yield key
    for m in _PHONE_TEXT.finditer(text):
        number = _phone(None, m.group(0))
        if number:
            yield number


def message_evidence(
    conn: sa.Connection, case_id: str, facts: dict[str, AccountFacts]
) -> MessageEvidence:
    """Identifiers of other accounts written in each account's messages, and the lines two
    accounts sent word for word, in one pass over the messages."""
    by_identifier: dict[str, set[str]] = defaultdict(set)
    for acc in facts.values():
        for ident in (*acc.phones, *acc.emails):
            by_identifier[ident].add(acc.key)
    participants: dict[str, set[str]] = defaultdict(set)
    raw_mentions: list[tuple[str, str, int, str, str]] = []
    line_senders: dict[str, set[str]] = defaultdict(set)
    as_written: dict[str, str] = {}
    m = T_MESSAGE.c
    rows = _rows(
        conn,
        sa.select(m.id, m.sender_key, m.thread_id, m.text)
        .where(
            of_case(conn, m.case_id, case_id),
            m.sender_key.isnot(None),
            m.kind.in_(("text", "media")),
        )
        .order_by(m.id),
    )
    for mid, sender, thread, text in rows:
        participants[thread].add(sender)
        if not text:
            continue
        if "@" in text or _PHONE_TEXT.search(text):
            known = facts.get(sender)
            own = {*known.phones, *known.emails} if known else set()
            for ident in set(_identifiers_in(text)) - own:
                for other in by_identifier.get(ident, ()):
                    if other != sender:
                        raw_mentions.append((sender, other, int(mid), ident, thread))
        for line in text.splitlines():
            key = _wording_line(line)
            if key is not None:
                line_senders[key].add(sender)
                as_written.setdefault(key, line.strip())
    evidence = MessageEvidence()
    for writer, other, mid, ident, thread in raw_mentions:
        # Naming the number of the account you are writing to is addressing it ("stop
        # texting me from 07700 900987"), not saying it is yours.
        if other not in participants[thread]:
            evidence.mentions.append(Mention(writer, other, mid, ident))
    for line, senders in line_senders.items():
        if 2 <= len(senders) <= WORDING_MAX_SENDERS:
            ordered = sorted(senders)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    evidence.shared_lines.setdefault((a, b), []).append(as_written[line])
    return evidence


def _item_roots(conn: Any, case_id: str) -> Callable[[str], str]:
    """item id -> the id of the top-level item it was taken from (itself if none)."""
    parent = dict(
        _rows(
            conn,
            sa.select(T_ITEM.c.id, T_ITEM.c.parent_id).where(
                T_ITEM.c.case_id == case_id, T_ITEM.c.parent_id.isnot(None)
            ),
        )
    )

    def root(item: str) -> str:
        for _ in range(64):  # bounded: a damaged parent chain cannot loop forever
            if item not in parent:
                break
            item = parent[item]
        return item

    return root

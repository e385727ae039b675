"""What the case database says about each account, gathered for alias grouping: identifiers,
names, profile pictures, archive holders, identifiers written in messages, shared wording."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from chain_of_custody.case import T_ITEM
from chain_of_custody.models import AccountAvatar, AccountRecord, ImageMetaRecord, MessageRecord
from extractors.identifiers import email_key, phone_e164
from workstation._alias_names import fold_name, is_name

T_ACCOUNT = AccountRecord.__table__  # type: ignore[attr-defined]
T_AVATAR = AccountAvatar.__table__  # type: ignore[attr-defined]
T_IMAGE = ImageMetaRecord.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PHONE_TEXT = re.compile(r"(?<![\w+])\+?\d[\d ()\-.]{7,16}\d(?!\w)")
_EMAIL_TEXT = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
#: Platforms whose display names are the device owner's address-book names.
ADDRESS_BOOK_PLATFORMS = frozenset({"whatsapp", "sms", "phone"})
#: A line shared word for word counts only if it is at least this long and has this many
#: words: "Leave me alone" is what anyone writes, a 40-character sentence is not.
WORDING_MIN_CHARS = 20
WORDING_MIN_WORDS = 4
#: A line sent by more accounts than this is boilerplate (a system notice), not wording.
WORDING_MAX_SENDERS = 20


@dataclass
class AccountFacts:
    """Everything alias grouping knows about one account key."""

    key: str
    platform: str = ""
    platform_ids: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # folded -> as written
    pictures: set[str] = field(default_factory=set)  # SHA-256 of profile pictures
    is_owner: bool = False
    items: set[str] = field(default_factory=set)
    address_book_name: str | None = None


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


def _name_of(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip()
    if "@" in text:  # an address or @handle: the local part is the name-like part
        text = text.lstrip("@").split("@", 1)[0]
    return text if is_name(text) else None


def load_accounts(conn: sa.Connection, case_id: str) -> dict[str, AccountFacts]:
    """Every account key with its identifiers, names and linked profile pictures."""
    facts: dict[str, AccountFacts] = {}
    cols = T_ACCOUNT.c
    rows = conn.execution_options(yield_per=10000).execute(
        sa.select(
            cols.account_key,
            cols.platform,
            cols.platform_id,
            cols.handle,
            cols.display_name,
            cols.phone_raw,
            cols.phone_e164,
            cols.email,
            cols.avatar_ref,
            cols.is_owner,
            cols.item_id,
        )
        .where(cols.case_id == case_id)
        .order_by(cols.id)
    )
    for r in rows:
        acc = facts.get(r.account_key)
        if acc is None:
            acc = facts[r.account_key] = AccountFacts(r.account_key, r.platform)
        if r.platform_id:
            acc.platform_ids.add(str(r.platform_id))
        phone = r.phone_e164 or phone_e164(r.phone_raw)
        if phone:
            acc.phones.add(phone)
        email = email_key(r.email)
        if email:
            acc.emails.add(email)
        for text in (r.display_name, r.handle):
            name = _name_of(text)
            if name:
                acc.names.setdefault(fold_name(name), name)
        if r.avatar_ref and _SHA256.match(r.avatar_ref.lower()):
            acc.pictures.add(r.avatar_ref.lower())
        acc.is_owner = acc.is_owner or bool(r.is_owner)
        acc.items.add(r.item_id)
        if acc.address_book_name is None and r.platform in ADDRESS_BOOK_PLATFORMS:
            shown = _name_of(r.display_name)
            if shown and not (r.platform == "whatsapp" and phone):
                acc.address_book_name = " ".join(shown.split())
    for r in conn.execute(
        sa.select(T_AVATAR.c.account_key, T_AVATAR.c.sha256).where(T_AVATAR.c.case_id == case_id)
    ):
        if r.account_key in facts:
            facts[r.account_key].pictures.add(r.sha256)
    return facts


def picture_hashes(conn: sa.Connection, case_id: str, wanted: set[str]) -> dict[str, str]:
    """Perceptual hash of each wanted picture (by SHA-256) that has one; a broken image has
    none and can then only match by its exact bytes."""
    found: dict[str, str] = {}
    if not wanted:
        return found
    rows = conn.execute(
        sa.select(T_ITEM.c.sha256, T_IMAGE.c.phash)
        .join(T_ITEM, T_ITEM.c.id == T_IMAGE.c.item_id)
        .where(T_IMAGE.c.case_id == case_id, T_IMAGE.c.phash.isnot(None))
    )
    for sha, phash in rows:
        if sha in wanted and re.fullmatch(r"[0-9a-fA-F]{16}", phash or ""):
            found[sha] = phash.lower()
    return found


def archive_roots(conn: sa.Connection, case_id: str) -> dict[str, str]:
    """The top-level item (the archive or file as acquired) of every item."""
    parent = {
        r.id: r.parent_id
        for r in conn.execute(
            sa.select(T_ITEM.c.id, T_ITEM.c.parent_id).where(T_ITEM.c.case_id == case_id)
        )
    }
    roots: dict[str, str] = {}
    for item in parent:
        chain = [item]
        while parent.get(chain[-1]) and chain[-1] not in roots and len(chain) < 64:
            chain.append(str(parent[chain[-1]]))
        top = roots.get(chain[-1], chain[-1])
        for x in chain:
            roots[x] = top
    return roots


def _wording_line(line: str) -> str | None:
    text = " ".join(line.casefold().split())
    if len(text) < WORDING_MIN_CHARS or len(text.split()) < WORDING_MIN_WORDS:
        return None
    return text


def _identifiers_in(text: str) -> Iterable[str]:
    if "@" in text:
        for m in _EMAIL_TEXT.finditer(text):
            key = email_key(m.group(0).rstrip("."))
            if key:
                yield key
    for m in _PHONE_TEXT.finditer(text):
        number = phone_e164(m.group(0))
        if number:
            yield number


def message_evidence(
    conn: sa.Connection, case_id: str, facts: dict[str, AccountFacts]
) -> MessageEvidence:
    """Identifiers of other accounts written in each account's messages, and the lines two
    accounts sent word for word, in one pass over the messages."""
    by_identifier: dict[str, set[str]] = defaultdict(set)
    for acc in facts.values():
        for ident in acc.phones | acc.emails:
            by_identifier[ident].add(acc.key)
    participants: dict[str, set[str]] = defaultdict(set)
    raw_mentions: list[tuple[str, str, int, str, str]] = []
    line_senders: dict[str, set[str]] = defaultdict(set)
    as_written: dict[str, str] = {}
    rows = conn.execution_options(yield_per=10000).execute(
        sa.select(T_MESSAGE.c.id, T_MESSAGE.c.sender_key, T_MESSAGE.c.thread_id, T_MESSAGE.c.text)
        .where(
            T_MESSAGE.c.case_id == case_id,
            T_MESSAGE.c.sender_key.isnot(None),
            T_MESSAGE.c.kind.in_(("text", "media")),
        )
        .order_by(T_MESSAGE.c.id)
    )
    for mid, sender, thread, text in rows:
        participants[thread].add(sender)
        if not text:
            continue
        own = facts[sender].phones | facts[sender].emails if sender in facts else set()
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

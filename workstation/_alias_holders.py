"""Who holds each export, from the export itself (issue 16 §3), and the holder signals.

An **export** is one account's download (an archive whose members name its owner: a
Facebook, Instagram, X or Discord download) or else one acquired file (a WhatsApp chat, an
SMS backup, a Telegram chat). Its **holders** are the accounts the export itself names as
its holder: an owner account (a download's account, WhatsApp's "You" of that export), the
one participant of a one-to-one chat titled with the other party ("WhatsApp Chat with Dan":
the participant who is not Dan is the side the export was made on), and the number every
incoming message of an export was addressed to (an SMS backup's MMS name the phone's own
number as their recipient).

The holders of one export are one person: the export says so. Two exports share a holder
only when their own evidence says so: the same holder account key, a shared identifier
(phone, email, platform id), or the same full name as holder in both, handed over together.
Exports are grouped into **holder groups** (union-find) by exactly that evidence. Exports
handed over under one ``--source`` whose holders are in different groups are *not* joined:
a victim's folder can hold a friend's export of the friend's own chat, forwarded to her, and
that export's holder is the friend.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from chain_of_custody.case import T_ITEM
from extractors.identifiers import phone_e164
from workstation._alias_evidence import (
    T_ACCOUNT,
    T_MESSAGE,
    AccountFacts,
    of_case,
    rows_of,
    titled,
)
from workstation._alias_names import letters

#: A holder's name joins two exports only if it is a full name: two words or more, and not
#: WhatsApp's "You" (every exporter is "You" to their own phone).
_NOT_A_NAME = frozenset({"you"})


@dataclass
class Export:
    """One export and the accounts it names as its holder (key -> how it names it)."""

    unit: str  # item id: the download's archive, or the file
    name: str
    source: str
    holders: dict[str, str] = field(default_factory=dict)


@dataclass
class Holders:
    """Every export with holders, each holder account's exports, and the holder groups."""

    exports: dict[str, Export] = field(default_factory=dict)
    unit_of: dict[str, str] = field(default_factory=dict)  # item id -> export unit
    group_of: dict[str, str] = field(default_factory=dict)  # export unit -> holder group
    group_names: dict[str, list[str]] = field(default_factory=dict)  # group -> names shown
    units_of_key: dict[str, list[str]] = field(default_factory=dict)  # holder -> exports
    #: source -> the named holder groups of its exports, for a source whose exports of one
    #: platform name different holders (two WhatsApp exports, two profile names): it holds
    #: several phones, so it is not taken as one device.
    several_phones: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def group_of_key(self, key: str) -> str | None:
        """The holder group of a holder account (None for an account that holds nothing)."""
        units = self.units_of_key.get(key)
        return self.group_of[units[0]] if units else None

    def device_of(self, item: str) -> str:
        """The holder group of the export an item belongs to ("" when it names none)."""
        unit = self.unit_of.get(item, item)
        return self.group_of.get(unit, "")

    def shown(self, group: str) -> str:
        """The group's holders as the exports name them, for a reason's text."""
        names = self.group_names.get(group) or []
        return ", ".join(map(repr, names)) if names else "named only as 'You'"


def full_name(acc: AccountFacts | None) -> set[str]:
    """The folded names of an account that can tie two exports' holders: two words or
    more (a first name alone is shared by too many), never "You"."""
    if acc is None:
        return set()
    return {
        n for n in acc.names if n not in _NOT_A_NAME and len(n.split()) >= 2 and letters(n) >= 4
    }


def _items(conn: sa.Connection, case_id: str) -> dict[str, tuple[str | None, str, str]]:
    """item id -> (parent id, name, source) of every item of the case."""
    t = T_ITEM.c
    query = sa.select(t.id, t.parent_id, t.name, t.source).where(t.case_id == case_id)
    return {i: (p, n or "", (s or "").strip()) for i, p, n, s in rows_of(conn, query)}


def _owners(conn: sa.Connection, case_id: str) -> list[tuple[str, str, str, bool]]:
    """(account key, item id, platform, scoped) of every owner account record."""
    c = T_ACCOUNT.c
    query = (
        sa.select(c.account_key, c.item_id, c.platform, c.key_scope)
        .where(of_case(conn, c.case_id, case_id), c.is_owner)
        .distinct()
    )
    return [(k, i, p or "", scope is not None) for k, i, p, scope in rows_of(conn, query)]


def _chat_holders(
    conn: sa.Connection, case_id: str, facts: dict[str, AccountFacts]
) -> list[tuple[str, str, str, str]]:
    """(item id, holder key, platform, title) for each one-to-one chat titled with the other
    party ("WhatsApp Chat with Dan", Facebook's thread "Sophie Turner"): the one participant
    who is not that party is the side the export was made on."""
    m = T_MESSAGE.c
    query = sa.select(m.item_id, m.thread_id, m.thread_title, m.sender_key, m.platform).where(
        of_case(conn, m.case_id, case_id),
        m.sender_key.isnot(None),
        m.thread_title.isnot(None),
        m.kind.in_(("text", "media")),
    )
    threads: dict[tuple[str, str], set[tuple[str, str, str]]] = defaultdict(set)
    for item, thread, title, sender, platform in rows_of(conn, query):
        threads[(item, thread)].add((sender, title, platform or ""))
    found = []
    for (item, thread), seen in threads.items():
        senders = sorted(seen)
        if len({s for s, _, _ in senders}) != 2 or len({t for _, t, _ in senders}) != 1:
            continue
        title, platform = senders[0][1], senders[0][2]
        named = [s for s, _, _ in senders if titled(facts.get(s), thread, title)]
        if len(named) == 1:
            [holder] = [s for s, _, _ in senders if s != named[0]]
            found.append((item, holder, platform, title))
    return found


def _addressed_holders(
    conn: sa.Connection, case_id: str, facts: dict[str, AccountFacts]
) -> list[tuple[str, str, str]]:
    """(item id, holder key, number) for each export (an SMS backup) whose incoming messages
    name their recipients and were all addressed to one number: the phone's own number, so
    its account is the export's holder. An export with no such message, or addressed to
    several numbers (group messages only), names none."""
    m = T_MESSAGE.c
    query = sa.select(m.item_id, m.platform, m.recipients).where(
        of_case(conn, m.case_id, case_id),
        m.direction == "incoming",
        m.recipients.isnot(None),
        m.recipients.notin_(("", "[]")),
    )
    common: dict[tuple[str, str], set[str]] = {}
    for item, platform, recipients in rows_of(conn, query):
        try:
            listed = json.loads(recipients)
        except ValueError:
            continue
        numbers: set[str] = set()
        for r in listed if isinstance(listed, list) else []:
            number = phone_e164(r) if isinstance(r, str) else None
            if number:
                numbers.add(number)
        at = (item, platform or "")
        common[at] = common[at] & numbers if at in common else numbers
    found = []
    for (item, platform), numbers in common.items():
        if len(numbers) == 1:
            [number] = numbers
            if f"{platform}:{number}" in facts:
                found.append((item, f"{platform}:{number}", number))
    return found


def load(conn: sa.Connection, case_id: str, facts: dict[str, AccountFacts]) -> Holders:
    """The case's exports, their holders and holder groups; also sets each holder's
    ``AccountFacts.holder_of`` (source -> how)."""
    items = _items(conn, case_id)
    found = Holders()
    # A download: the archive of an owner that names the account (not a scoped "You").
    downloads: dict[str, set[str]] = defaultdict(set)  # archive item -> owner platforms

    def add(unit: str, key: str, how: str) -> None:
        if key not in facts or unit not in items:
            return
        export = found.exports.get(unit)
        if export is None:
            _parent, name, source = items[unit]
            export = found.exports[unit] = Export(unit, name, source)
        export.holders.setdefault(key, how)

    owners = _owners(conn, case_id)
    for _key, item, platform, scoped in owners:
        parent = items.get(item, (None, "", ""))[0]
        if not scoped and parent is not None:
            downloads[parent].add(platform)
    for key, item, platform, scoped in owners:
        parent = items.get(item, (None, "", ""))[0]
        unit = parent if parent is not None and platform in downloads.get(parent, ()) else item
        how = (
            "it is the exporter the export calls 'You'"
            if scoped
            else "the download names it as its account holder"
        )
        found.unit_of[item] = unit
        add(unit, key, how)
    for item, key, platform, title in _chat_holders(conn, case_id, facts):
        parent = items.get(item, (None, "", ""))[0]
        unit = parent if parent is not None and platform in downloads.get(parent, ()) else item
        found.unit_of[item] = unit
        add(unit, key, f"the other party of its chat with {title!r}")
    for item, key, number in _addressed_holders(conn, case_id, facts):
        found.unit_of[item] = item
        add(item, key, f"every incoming message in it was addressed to {number}")
    _group(found, facts)
    for export in found.exports.values():
        for key, how in export.holders.items():
            acc = facts[key]
            if not isinstance(acc.holder_of, dict):
                acc.holder_of = {}
            if export.source:
                acc.holder_of.setdefault(export.source, how)
    return found


def _group(found: Holders, facts: dict[str, AccountFacts]) -> None:
    """Holder groups: exports joined by a common holder account, a shared identifier of
    their holders, or the same full name as holder in two exports of one source."""
    parent: dict[str, str] = {u: u for u in found.exports}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(units: list[str]) -> None:
        for u in units[1:]:
            a, b = root(units[0]), root(u)
            if a != b:
                parent[max(a, b)] = min(a, b)

    by_key: dict[str, list[str]] = defaultdict(list)
    by_ident: dict[str, list[str]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for export in found.exports.values():
        for key in export.holders:
            by_key[key].append(export.unit)
            acc = facts[key]
            for ident in (*acc.phones, *acc.emails, *acc.platform_ids):
                by_ident[ident].append(export.unit)
            for name in full_name(acc):
                if export.source:
                    by_name[(export.source, name)].append(export.unit)
    for units in (*by_key.values(), *by_ident.values(), *by_name.values()):
        join(units)
    found.units_of_key = dict(by_key)
    names: dict[str, dict[str, None]] = defaultdict(dict)
    for export in found.exports.values():
        group = found.group_of[export.unit] = root(export.unit)
        for key in export.holders:
            for folded, shown in facts[key].names.items():
                if folded not in _NOT_A_NAME:
                    names[group].setdefault(shown)
    found.group_names = {g: sorted(n) for g, n in names.items()}
    by_source: dict[str, set[str]] = defaultdict(set)
    by_platform: dict[tuple[str, str], set[str]] = defaultdict(set)
    for export in found.exports.values():
        if export.source:
            group = found.group_of[export.unit]
            by_source[export.source].add(group)
            if found.group_names.get(group):
                for key in export.holders:
                    by_platform[(export.source, facts[key].platform)].add(group)
    for (source, _platform), groups in by_platform.items():
        if len(groups) > 1:
            known = found.several_phones.setdefault(source, [])
            known.extend(sorted(groups - set(known)))
    for source, groups in sorted(by_source.items()):
        if len(groups) > 1 and len(found.notes) < 20:
            who = "; ".join(sorted(found.shown(g) for g in groups))
            found.notes.append(
                f"the exports handed over as {source!r} name {len(groups)} holders that "
                f"nothing in them ties together ({who}): they are not taken as one person's; "
                "their holders are linked only weakly (export_holder_source)"
            )

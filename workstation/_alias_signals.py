"""Candidate pairs from blocking keys, and the reasons (signals with weights) for each pair.

Weights are chances, combined as independent evidence (noisy-OR): score = 1 − Π(1 − w), one
weight per kind of signal (the strongest of its kind). Why each weight is what it is:

- ``platform_id`` 0.95: the platform's own id; two records of one account.
- ``phone`` / ``email`` 0.90: one number or mailbox, normalised (E.164; case-folded, no
  provider rules). Not 1.0: numbers are recycled and mailboxes shared within households.
- ``picture`` 0.80 (same image, ≤ 2 bits apart), ``picture_near`` 0.70 (≤ 8 bits: resized,
  recompressed, slightly cropped): people reuse their own photo across new profiles; a
  stock picture or a default avatar is shared by strangers, so a picture on more than
  ``COMMON_PICTURE`` accounts only counts 0.20.
- ``export_holder`` 0.85: the holder of an export comes from the export itself
  (``workstation._alias_holders``): an owner account it names (WhatsApp's "You" of that
  export, a download's account holder), or the one participant of a one-to-one chat titled
  with the other party ("WhatsApp Chat with Dan": the side the export was made on). Strong
  for two holders of *one* export (the export says they are one), and for two holders
  named with the same full name (two words or more) in exports handed over together under
  one ingest source. Not 1.0: a name is the export's statement, and the grouping of files
  into a source is the examiner's.
- ``export_holder_source`` 0.20: holders of exports handed over under one source that
  nothing in the exports ties (different names, "You" of a group chat alone). One source is
  not one person: a victim's folder can hold a friend's export of the friend's own chat
  with her, forwarded to her, whose holder is the friend. Under ``MIN_SCORE`` alone.
- ``seen_together`` 0.90: one account record shows two identifiers of one account together
  (``_alias_evidence.seen_together``), e.g. a username beside the display name by which
  messages name the account: the account keyed by each is one account. A username is
  unique on its platform; a display name counts 0.90 when the messages are in
  the same export as the record, ``seen_together_elsewhere`` 0.80 when the record is in
  another (a profile page, a screenshot's header read later by OCR), and
  ``seen_together_weak`` 0.30 when the case shows the name with several accounts. Names on
  WhatsApp, SMS and call logs are a phone's saved labels: ``address_book_name`` compares
  those.
- ``archive_holder`` 0.80: inside one archive, the participant named exactly as the
  archive's holder is the holder.
- ``address_book_name`` 0.85 when both items came from one device: one ingest source whose
  exports do not name different holders (or exports of one holder group): a WhatsApp chat
  shown under a contact name and an SMS/call-log number whose contact name is the same are
  that phone's one address-book entry; not 1.0, as a phone can hold two entries saved under
  one name. Under different sources (or none), or under a source whose exports come from
  several people's phones, it is the same saved name only, 0.50, and weak.
- ``identifier_in_message`` 0.75: an account writes another account's number or address
  ("Call me on +44 7700 900555"); naming the number you are writing to is ignored. Written
  by a holder of the evidence (an owner account, or an export holder as above: the victim
  passing a number on) it only counts 0.30.
- ``shared_wording`` 0.65 for three or more distinct sentences sent word for word from both
  accounts: copied scripts are how one person's new accounts read. One or two count 0.20:
  everyday questions recur between strangers (in case-alpha the victim and her friend both
  ask "Did the police get back to you?"), so alone they stay under ``MIN_SCORE``.
- ``name`` 0.35 (≥ 0.95 similar), 0.25 (≥ 0.85), 0.15 (≥ 0.75), at most 0.15 for names of
  three letters or fewer: "Daniel Mercer" and "Daniel Mercado" are different people.

A suggestion is **strong** when its score is at least ``STRONG_SCORE`` *and* one signal of a
strong kind (identifier, picture, export or archive holder, identifiers seen together, the
same address-book entry of one phone, identifier in a message, three shared sentences)
supports it; names, the same saved name across sources, holders tied by their source only
and a sentence or two alone can only ever be **weak**. A weak
suggestion is listed (shown to the examiner) when its score is at least ``MIN_SCORE``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from extractors.image_meta import near_duplicates
from workstation._alias_evidence import (
    AccountFacts,
    MessageEvidence,
    Tie,
)
from workstation._alias_holders import Holders, full_name
from workstation._alias_names import letters, name_keys, name_similarity, similar_pairs

STRONG_SCORE = 0.60
MIN_SCORE = 0.25
#: A block (accounts sharing one key) larger than this is not paired all-against-all.
BLOCK_MAX = 50
NAME_BLOCK_MAX = 20
NAME_MIN = 0.75
COMMON_PICTURE = 20
PICTURE_NEAR_BITS = 8

WEIGHTS: dict[str, float] = {
    "platform_id": 0.95,
    "phone": 0.90,
    "email": 0.90,
    "picture": 0.80,
    "picture_near": 0.70,
    "picture_common": 0.20,
    "export_holder": 0.85,
    "export_holder_source": 0.20,
    "archive_holder": 0.80,
    "seen_together": 0.90,
    "seen_together_elsewhere": 0.80,
    "seen_together_weak": 0.30,
    "address_book_name": 0.85,
    "address_book_name_only": 0.50,
    "identifier_in_message": 0.75,
    "identifier_from_holder": 0.30,
    "shared_wording": 0.65,
    "shared_wording_few": 0.20,
    "name": 0.35,
}
STRONG_KINDS = frozenset(
    {
        "platform_id",
        "phone",
        "email",
        "picture",
        "picture_near",
        "export_holder",
        "archive_holder",
        "seen_together",
        "seen_together_elsewhere",
        "address_book_name",
        "identifier_in_message",
        "shared_wording",
    }
)


@dataclass(frozen=True)
class Reason:
    """One signal behind a suggestion: its kind, weight and a sentence a court can read.
    ``key`` identifies the evidence (to tell new evidence from old after a rejection);
    ``strong`` says whether it may make a suggestion strong on its own kind."""

    signal: str
    weight: float
    text: str
    key: str = ""
    strong: bool = False

    def as_json(self) -> dict[str, object]:
        return {"signal": self.signal, "weight": self.weight, "text": self.text,
                "strong": self.strong}  # fmt: skip


def reason(signal: str, text: str, key: str, *, weight: str | None = None) -> Reason:
    """A reason of a known signal, with the weight and strength of ``weight`` (a ``WEIGHTS``
    entry) or of the signal itself."""
    entry = weight or signal
    return Reason(signal, WEIGHTS[entry], text, key, entry in STRONG_KINDS)


Pair = tuple[str, str]


class Candidates:
    """Pairs found through blocking keys, with the reasons found on the way."""

    def __init__(self) -> None:
        self.reasons: dict[Pair, dict[str, Reason]] = defaultdict(dict)
        self.notes: list[str] = []
        self.capped_blocks = 0

    def add(self, a: str, b: str, why: Reason) -> None:
        if a == b:
            return
        known = self.reasons[(a, b) if a < b else (b, a)]
        old = known.get(why.signal)
        if old is None or why.weight > old.weight:
            known[why.signal] = why

    def touch(self, a: str, b: str) -> None:
        if a != b:
            self.reasons.setdefault((a, b) if a < b else (b, a), {})

    def capped(self, what: str, size: int, how: str) -> None:
        self.capped_blocks += 1
        if len(self.notes) < 20:
            self.notes.append(f"{what} is shared by {size} accounts: {how} (capped)")

    def block(self, members: Iterable[str], what: str, *, star: bool) -> list[Pair]:
        """Pairs of a block; a block over ``BLOCK_MAX`` is chained to its first member
        (identifiers: still one group), a name block over ``NAME_BLOCK_MAX`` is skipped (a
        name that common means nothing on its own)."""
        keys = sorted(set(members))
        if len(keys) < 2:
            return []
        if len(keys) > (BLOCK_MAX if star else NAME_BLOCK_MAX):
            how = "paired with the first only" if star else "not compared by name"
            self.capped(what, len(keys), how)
            return [(keys[0], k) for k in keys[1:]] if star else []
        return list(combinations(keys, 2))


def _shared(values: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """value -> accounts, for the values two or more accounts have."""
    found: dict[str, list[str]] = defaultdict(list)
    for value, key in values:
        found[value].append(key)
    return {v: ks for v, ks in found.items() if len(ks) > 1}


def identifier_pairs(facts: dict[str, AccountFacts], cand: Candidates) -> None:
    """Same platform id, same E.164 phone, same case-folded email."""
    texts = {
        "platform_id": "Both accounts have the platform id {v}.",
        "phone": "Both accounts use the phone number {v} (E.164, however written).",
        "email": "Both accounts use the email address {v}.",
    }
    values = {
        "platform_id": [(v, a.key) for a in facts.values() for v in a.platform_ids],
        "phone": [(v, a.key) for a in facts.values() for v in a.phones],
        "email": [(v, a.key) for a in facts.values() for v in a.emails],
    }
    for signal, text in texts.items():
        for value, members in _shared(values[signal]).items():
            shown = value.split(":", 1)[1] if signal == "platform_id" else value
            why = reason(signal, text.format(v=shown), f"{signal}:{value}")
            for a, b in cand.block(members, f"{signal} {shown}", star=True):
                cand.add(a, b, why)


def picture_pairs(
    facts: dict[str, AccountFacts], phashes: dict[str, str], cand: Candidates
) -> None:
    """Same profile picture (same bytes or equal perceptual hash) or a near one (hash within
    8 bits). Pictures are grouped by hash first, so a default avatar on thousands of accounts
    is one value, not millions of pairs; a broken image (no hash) matches by its bytes."""
    users: dict[str, set[str]] = defaultdict(set)  # picture value -> accounts
    for acc in facts.values():
        for sha in acc.pictures:
            users[phashes.get(sha) or f"sha256 {sha[:12]}…"].add(acc.key)
    hashed = set(phashes.values())
    near = near_duplicates([(h, h) for h in users if h in hashed], PICTURE_NEAR_BITS)
    reach: dict[str, set[str]] = {}  # accounts on this picture or a near one

    def reached(h: str) -> set[str]:
        if h not in reach:
            reach[h] = set(users[h])
        return reach[h]

    for h1, h2, _bits in near:
        reached(h1).update(users[h2])
        reached(h2).update(users[h1])
    same = [(h, h, 0) for h, u in users.items() if len(u) > 1]
    for h1, h2, bits in same + near:
        common = max(len(reached(h1)), len(reached(h2)))
        if common > COMMON_PICTURE:
            signal = "picture_common"
            text = (
                f"Both show a profile picture used by {common} accounts in this case "
                "(a common or default picture)."
            )
        elif bits <= 2:
            signal = "picture"
            text = f"Both accounts use the same profile picture (perceptual hash {h1}"
            text += ")." if h1 == h2 else f" and {h2}, {bits} of 64 bits differ)."
        else:
            signal = "picture_near"
            text = (
                f"Both accounts use a near-identical profile picture (perceptual hashes {h1} "
                f"and {h2}, {bits} of 64 bits differ: resized, recompressed or cropped)."
            )
        why = reason(signal, text, f"picture:{min(h1, h2)}")
        members = users[h1] | users[h2]
        for a, b in cand.block(members, f"profile picture {h1}", star=True):
            if (a in users[h1] and b in users[h2]) or (a in users[h2] and b in users[h1]):
                cand.add(a, b, why)


def holder_pairs(archive_holders: list[tuple[str, str, str]], cand: Candidates) -> None:
    """In an archive, the participant named exactly as the archive's holder is the holder."""
    for owner, other, shown in archive_holders:
        text = (
            f"In the holder's own archive, this participant is named exactly as the "
            f"archive's holder ({shown!r})."
        )
        cand.add(owner, other, reason("archive_holder", text, f"holder:{owner}"))


def export_holder_pairs(facts: dict[str, AccountFacts], holders: Holders, cand: Candidates) -> None:
    """Holders of exports handed over under one ingest source: one person when the exports
    say so (one export's holders; the same full name as holder in two exports), weak
    otherwise (the source alone: a folder can hold a friend's export), and nothing between
    holders the exports already tie another way (a shared identifier; a chain of ties)."""
    for acc in facts.values():
        if len(acc.holder_of) > 1 and len(cand.notes) < 40:
            cand.notes.append(
                f"{acc.key} is the holder under {len(acc.holder_of)} sources "
                f"({', '.join(map(repr, sorted(acc.holder_of)))}): exports of all of them "
                "are tied through this one account key; check it is one person's "
                "(extractors key some accounts by the name as written, e.g. a WhatsApp "
                "exporter's profile name)"
            )
    cand.notes.extend(holders.notes[: max(0, 40 - len(cand.notes))])
    by_source: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for export in holders.exports.values():
        if export.source:
            for key in export.holders:
                by_source[export.source][key].append(export.unit)
    for source, members in by_source.items():
        for a, b in cand.block(members, f"the holders of {source!r}", star=True):
            why = _holder_reason(facts, holders, source, a, b, members)
            if why is not None:
                cand.add(a, b, why)


def _holder_reason(
    facts: dict[str, AccountFacts],
    holders: Holders,
    source: str,
    a: str,
    b: str,
    members: dict[str, list[str]],
) -> Reason | None:
    ex = holders.exports
    common = sorted(set(members[a]) & set(members[b]))
    if common:
        export = ex[common[0]]
        text = (
            f"Both are the holder of one export, {export.name!r} (acquired as {source!r}): "
            f"{a} because {export.holders[a]}, {b} because {export.holders[b]}."
        )
        return reason("export_holder", text, f"holder-in:{common[0]}")
    ea, eb = ex[members[a][0]], ex[members[b][0]]
    names = sorted(full_name(facts[a]) & full_name(facts[b]))
    if names:
        shown = facts[a].names[names[0]]
        text = (
            f"Both are named {shown!r} as the holder of exports handed over together as "
            f"{source!r}: {a} of {ea.name!r} because {ea.holders[a]}, {b} of {eb.name!r} "
            f"because {eb.holders[b]}."
        )
        return reason("export_holder", text, f"holder-name:{source}:{names[0]}")
    ga, gb = holders.group_of_key(a), holders.group_of_key(b)
    if ga is None or gb is None or ga == gb:
        return None  # tied through other exports or a shared identifier: said there
    text = (
        f"Both are holders of exports handed over together as {source!r} ({a} of "
        f"{ea.name!r} because {ea.holders[a]}; {b} of {eb.name!r} because {eb.holders[b]}), "
        "but nothing in the exports says they have one holder (the holders are "
        f"{holders.shown(ga)} and {holders.shown(gb)}): one source can hold several people's "
        "exports, e.g. a friend's export of her own chat forwarded to the victim, so the "
        "source alone is weak."
    )
    return reason("export_holder_source", text, f"holder-of:{source}")


def seen_together_pairs(ties: list[Tie], cand: Candidates) -> None:
    """One account record that shows two identifiers of one account (a username beside the
    display name): the account keyed by each is one account."""
    for t in ties:
        base = (
            f"One record ({t.where}) shows {t.key} together with the {t.kind} {t.value!r}, "
            f"by which {t.other} is known"
        )
        if t.kind != "name":
            text = f"{base}: {t.kind}s are unique on the platform."
            cand.add(t.key, t.other, reason("seen_together", text, f"tie:{t.key}:{t.other}"))
            continue
        if t.rivals:
            others = ", ".join(t.rivals[:3])
            text = (
                f"{base}, but the name is shown with {len(t.rivals) + 1} accounts in this case "
                f"(also {others}): a display name is not unique, so this alone is weak."
            )
            signal = "seen_together_weak"
        elif t.same_export:
            text = f"{base}, in the same export: the name there is this account's."
            signal = "seen_together"
        else:
            text = (
                f"{base}; the name is shown with no other account in this case (seen in "
                "another export than the messages, e.g. a profile or a screenshot of it)."
            )
            signal = "seen_together_elsewhere"
        cand.add(t.key, t.other, reason(signal, text, f"tie:{t.key}:{t.other}"))


def address_book_pairs(facts: dict[str, AccountFacts], holders: Holders, cand: Candidates) -> None:
    """A WhatsApp chat and an SMS/call-log number shown under the same address-book name:
    strong when both came from one device, weak otherwise. One ingest source is taken as one
    device unless its exports of one platform name different holders (``several_phones``:
    two WhatsApp exports with two profile names are two phones); then only exports the
    evidence gives one holder are."""
    by_name: dict[str, dict[str, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for acc in facts.values():
        for name, source, device in acc.address_book:
            by_name[name][acc.key].add((source, device))
        sources = sorted({source for _, source, _ in acc.address_book if source})
        phones = sorted({device for _, _, device in acc.address_book if device})
        holder = bool(acc.holder_of)  # the holder note (export_holder_pairs) says it then
        if acc.platform == "whatsapp" and not holder and len(cand.notes) < 40:
            # WhatsApp keys a contact saved by name by that name: one key for every device.
            if len(sources) > 1:
                cand.notes.append(
                    f"{acc.key} is a contact name saved on {len(sources)} devices "
                    f"({', '.join(map(repr, sources))}): its messages from all of them are "
                    "under this one account key; a saved name is one phone's label, so check "
                    "the devices' contacts are one person"
                )
            elif len(phones) > 1:
                who = "; ".join(sorted(holders.shown(p) for p in phones))
                cand.notes.append(
                    f"{acc.key} is a contact name in the exports of {len(phones)} different "
                    f"holders ({who}): its messages "
                    "from all of them are under this one account key; a saved name is one "
                    "phone's label, so check the phones' contacts are one person"
                )
    for name, members in by_name.items():
        for a, b in cand.block(members, f"address-book name {name!r}", star=False):
            if (facts[a].platform == "whatsapp") == (facts[b].platform == "whatsapp"):
                continue
            cand.add(a, b, _book_reason(name, members[a], members[b], holders))


def _book_reason(
    name: str, seen_a: set[tuple[str, str]], seen_b: set[tuple[str, str]], holders: Holders
) -> Reason:
    both = "a WhatsApp contact and a texted or called number saved as one entry"
    common = sorted({s for s, _ in seen_a if s} & {s for s, _ in seen_b if s})
    for source in common:
        da = {d for s, d in seen_a if s == source}
        db = {d for s, d in seen_b if s == source}
        same = sorted((da & db) - {""})
        if same:
            text = (
                f"Both are shown under the address-book name {name!r} on one device (both "
                f"acquired as {source!r}, in exports whose holder is {holders.shown(same[0])}): "
                f"{both}."
            )
            return reason("address_book_name", text, f"book:{name}:{source}")
        if source not in holders.several_phones:
            text = (
                f"Both are shown under the address-book name {name!r} on one device (both "
                f"acquired as {source!r}): {both}."
            )
            return reason("address_book_name", text, f"book:{name}:{source}")
    if common:
        source = common[0]
        groups = holders.several_phones.get(source, [])
        who = "; ".join(sorted(holders.shown(g) for g in groups))
        text = (
            f"Both are saved in an address book as {name!r} and were acquired as {source!r}, "
            f"but exports under it come from {len(groups)} phones (holders {who}), and "
            "nothing ties both entries' "
            "exports to one of them: they are not shown to come from the same device, only "
            "the same saved name."
        )
    else:
        text = (
            f"Both are saved in an address book as {name!r} (a WhatsApp contact and a "
            "texted or called number); not shown to come from the same device (no "
            "common ingest source), so only the same saved name."
        )
    return reason("address_book_name", text, f"book:{name}", weight="address_book_name_only")


def message_pairs(facts: dict[str, AccountFacts], ev: MessageEvidence, cand: Candidates) -> None:
    """Identifiers written in another account's messages; sentences sent by both."""
    for m in ev.mentions:
        writer = facts.get(m.writer)
        holder = writer is not None and (writer.is_owner or bool(writer.holder_of))
        signal = "identifier_from_holder" if holder else "identifier_in_message"
        text = (
            f"Account {m.writer} wrote {m.identifier}, the identifier of {m.mentioned}, "
            f"in message {m.message_id}."
        )
        cand.add(m.writer, m.mentioned, reason(signal, text, f"said:{m.identifier}"))
    for (a, b), lines in ev.shared_lines.items():
        many = len(lines) >= 3
        signal = "shared_wording" if many else "shared_wording_few"
        example = sorted(lines, key=len, reverse=True)[0]
        text = (
            f"Both accounts sent {len(lines)} identical sentence{'s' if len(lines) > 1 else ''} "
            f"of 20 characters or more, e.g. {example[:80]!r}."
        )
        cand.add(a, b, reason(signal, text, f"wording:{len(lines)}"))


def name_block_pairs(facts: dict[str, AccountFacts], cand: Candidates) -> None:
    """Candidate pairs whose folded names share a word or a run-together form and are at
    least ``NAME_MIN`` similar. Accounts are grouped by folded name first and each block's
    size is counted before any comparison, so a block over ``NAME_BLOCK_MAX`` accounts costs
    nothing; a block's distinct names are compared at once (rapidfuzz matrices)."""
    by_name: dict[str, list[str]] = defaultdict(list)  # folded name -> accounts
    for acc in facts.values():
        for folded in acc.names:
            by_name[folded].append(acc.key)
    by_key: dict[str, list[str]] = defaultdict(list)  # blocking key -> folded names
    size: dict[str, int] = defaultdict(int)
    for folded, accounts in by_name.items():
        for k in name_keys(folded):
            by_key[k].append(folded)
            size[k] += len(accounts)
    for key, names in by_key.items():
        if size[key] < 2:
            continue
        if size[key] > NAME_BLOCK_MAX:
            distinct = {a for n in names for a in by_name[n]}
            if len(distinct) > NAME_BLOCK_MAX:
                cand.capped(f"the name {key!r}", len(distinct), "not compared by name")
                continue
        names.sort()
        for n in names:
            for a, b in combinations(by_name[n], 2):
                cand.touch(a, b)
        for i, j in similar_pairs(names, NAME_MIN):
            for a in by_name[names[i]]:
                for b in by_name[names[j]]:
                    cand.touch(a, b)


def name_reason(a: AccountFacts, b: AccountFacts) -> Reason | None:
    """The best name agreement of two accounts, if any is worth saying."""
    best: tuple[float, str, str] | None = None
    for fa in a.names:
        for fb in b.names:
            s = name_similarity(fa, fb) if fa <= fb else name_similarity(fb, fa)
            if best is None or s > best[0]:
                best = (s, fa, fb)
    if best is None or best[0] < NAME_MIN:
        return None
    s, fa, fb = best
    ra, rb = a.names[fa], b.names[fb]
    weight = 0.35 if s >= 0.95 else 0.25 if s >= 0.85 else 0.15
    short = min(letters(fa), letters(fb)) <= 3
    if short:
        weight = min(weight, 0.15)
    how = "the same" if s >= 0.999 else f"{round(s * 100)}% similar"
    text = (
        f"Names {ra!r} and {rb!r} are {how} after folding case, accents, look-alike letters, "
        "separators and repeated letters (a name alone is weak evidence"
        + ("; a very short name" if short else "")
        + ")."
    )
    return Reason("name", weight, text, "name")


def score(reasons: Iterable[Reason]) -> tuple[float, str]:
    """Noisy-OR score and strength ("strong" or "weak") of a pair's reasons."""
    left = 1.0
    strong_kind = False
    for r in reasons:
        left *= 1.0 - r.weight
        strong_kind = strong_kind or r.strong
    value = round(1.0 - left, 3)
    return value, "strong" if value >= STRONG_SCORE and strong_kind else "weak"

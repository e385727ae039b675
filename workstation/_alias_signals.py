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
- ``archive_holder`` 0.80: inside one archive, the participant named exactly as the
  archive's holder is the holder.
- ``identifier_in_message`` 0.75: an account writes another account's number or address
  ("Call me on +44 7700 900555"); naming the number you are writing to is ignored. Written
  by the evidence's holder (the victim passing a number on) it only counts 0.30.
- ``shared_wording`` 0.65 for three or more distinct sentences sent word for word from both
  accounts, 0.25 for one or two: copied scripts are how one person's new accounts read.
- ``address_book_name`` 0.50: a WhatsApp contact and an SMS/call-log number saved under the
  same name; the same address-book entry if both came from one phone (not proven here).
- ``name`` 0.35 (≥ 0.95 similar), 0.25 (≥ 0.85), 0.15 (≥ 0.75), at most 0.15 for names of
  three letters or fewer: "Daniel Mercer" and "Daniel Mercado" are different people.

A suggestion is **strong** when its score is at least ``STRONG_SCORE`` *and* one signal of a
strong kind (identifier, picture, archive holder, identifier in a message, three shared
sentences) supports it; names and address-book names alone can only ever be **weak**.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from extractors.image_meta import near_duplicates
from workstation._alias_evidence import AccountFacts, MessageEvidence
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
    "archive_holder": 0.80,
    "identifier_in_message": 0.75,
    "identifier_from_holder": 0.30,
    "shared_wording": 0.65,
    "shared_wording_few": 0.25,
    "address_book_name": 0.50,
    "name": 0.35,
}
STRONG_KINDS = frozenset(
    {
        "platform_id",
        "phone",
        "email",
        "picture",
        "picture_near",
        "archive_holder",
        "identifier_in_message",
        "shared_wording",
    }
)


@dataclass(frozen=True)
class Reason:
    """One signal behind a suggestion: its kind, weight and a sentence a court can read.
    ``key`` identifies the evidence (to tell new evidence from old after a rejection)."""

    signal: str
    weight: float
    text: str
    key: str = ""

    def as_json(self) -> dict[str, object]:
        return {"signal": self.signal, "weight": self.weight, "text": self.text}


Pair = tuple[str, str]


class Candidates:
    """Pairs found through blocking keys, with the reasons found on the way."""

    def __init__(self) -> None:
        self.reasons: dict[Pair, dict[str, Reason]] = defaultdict(dict)
        self.notes: list[str] = []
        self.capped_blocks = 0

    def add(self, a: str, b: str, reason: Reason) -> None:
        if a == b:
            return
        pair = (a, b) if a < b else (b, a)
        known = self.reasons[pair]
        old = known.get(reason.signal)
        if old is None or reason.weight > old.weight:
            known[reason.signal] = reason

    def touch(self, a: str, b: str) -> None:
        if a != b:
            self.reasons.setdefault((a, b) if a < b else (b, a), {})

    def block(self, members: Iterable[str], what: str, *, star: bool) -> list[Pair]:
        """Pairs of a block; a block over ``BLOCK_MAX`` is chained to its first member
        (identifiers: still one group), a name block over ``NAME_BLOCK_MAX`` is skipped (a
        name that common means nothing on its own)."""
        keys = sorted(set(members))
        if len(keys) < 2:
            return []
        if len(keys) > (BLOCK_MAX if star else NAME_BLOCK_MAX):
            self.capped_blocks += 1
            if len(self.notes) < 20:
                how = "paired with the first only" if star else "not compared by name"
                self.notes.append(f"{what} is shared by {len(keys)} accounts: {how} (capped)")
            return [(keys[0], k) for k in keys[1:]] if star else []
        return [(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :]]


def _blocks(facts: dict[str, AccountFacts], attr: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for acc in facts.values():
        for value in getattr(acc, attr):
            found[f"{acc.platform}:{value}" if attr == "platform_ids" else value].append(acc.key)
    return found


def identifier_pairs(facts: dict[str, AccountFacts], cand: Candidates) -> None:
    """Same platform id, same E.164 phone, same case-folded email."""
    texts = {
        "platform_ids": ("platform_id", "Both accounts have the platform id {v}."),
        "phones": ("phone", "Both accounts use the phone number {v} (E.164, however written)."),
        "emails": ("email", "Both accounts use the email address {v}."),
    }
    for attr, (signal, text) in texts.items():
        for value, members in _blocks(facts, attr).items():
            shown = value.split(":", 1)[1] if attr == "platform_ids" else value
            reason = Reason(signal, WEIGHTS[signal], text.format(v=shown), f"{signal}:{value}")
            for a, b in cand.block(members, f"{signal} {shown}", star=True):
                cand.add(a, b, reason)


def picture_pairs(
    facts: dict[str, AccountFacts], phashes: dict[str, str], cand: Candidates
) -> None:
    """Same profile picture (same bytes or equal perceptual hash) or a near one (hash within
    8 bits). Pictures are grouped by hash first, so a default avatar on thousands of accounts
    is one value, not millions of pairs; a broken image (no hash) matches by its bytes."""
    users: dict[str, set[str]] = defaultdict(set)  # picture value -> accounts
    for acc in facts.values():
        for sha in acc.pictures:
            users[phashes[sha] if sha in phashes else f"sha256 {sha[:12]}…"].add(acc.key)
    hashed = set(phashes.values())
    near = near_duplicates([(h, h) for h in users if h in hashed], PICTURE_NEAR_BITS)
    reach = {h: set(u) for h, u in users.items()}  # accounts on this picture or a near one
    for h1, h2, _bits in near:
        reach[h1] |= users[h2]
        reach[h2] |= users[h1]
    for h1, h2, bits in [(h, h, 0) for h in users] + near:
        common = max(len(reach[h1]), len(reach[h2]))
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
        reason = Reason(signal, WEIGHTS[signal], text, f"picture:{min(h1, h2)}")
        members = users[h1] | users[h2]
        for a, b in cand.block(members, f"profile picture {h1}", star=True):
            if (a in users[h1] and b in users[h2]) or (a in users[h2] and b in users[h1]):
                cand.add(a, b, reason)


def holder_pairs(facts: dict[str, AccountFacts], roots: dict[str, str], cand: Candidates) -> None:
    """In an archive, the participant named exactly as the archive's holder is the holder."""
    by_root_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for acc in facts.values():
        for root in {roots.get(i, i) for i in acc.items}:
            for folded in acc.names:
                by_root_name[(root, folded)].append(acc.key)
    for (_root, folded), members in by_root_name.items():
        owners = [k for k in members if facts[k].is_owner]
        for owner in owners:
            shown = facts[owner].names[folded]
            text = (
                f"In the holder's own archive, this participant is named exactly as the "
                f"archive's holder ({shown!r})."
            )
            for other in members:
                cand.add(
                    owner,
                    other,
                    Reason("archive_holder", WEIGHTS["archive_holder"], text, f"holder:{owner}"),
                )


def address_book_pairs(facts: dict[str, AccountFacts], cand: Candidates) -> None:
    """A WhatsApp contact and an SMS/call-log number saved under the same name."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for acc in facts.values():
        if acc.address_book_name:
            by_name[acc.address_book_name].append(acc.key)
    for name, members in by_name.items():
        text = (
            f"Both are saved in an address book as {name!r} (a WhatsApp contact and a "
            "texted or called number); one entry if both came from the same phone."
        )
        reason = Reason("address_book_name", WEIGHTS["address_book_name"], text, f"book:{name}")
        for a, b in cand.block(members, f"address-book name {name!r}", star=False):
            if (facts[a].platform == "whatsapp") != (facts[b].platform == "whatsapp"):
                cand.add(a, b, reason)


def message_pairs(facts: dict[str, AccountFacts], ev: MessageEvidence, cand: Candidates) -> None:
    """Identifiers written in another account's messages; sentences sent by both."""
    for m in ev.mentions:
        holder = facts[m.writer].is_owner
        signal = "identifier_from_holder" if holder else "identifier_in_message"
        text = (
            f"Account {m.writer} wrote {m.identifier}, the identifier of {m.mentioned}, "
            f"in message {m.message_id}."
        )
        cand.add(
            m.writer, m.mentioned, Reason(signal, WEIGHTS[signal], text, f"said:{m.identifier}")
        )
    for (a, b), lines in ev.shared_lines.items():
        many = len(lines) >= 3
        signal = "shared_wording" if many else "shared_wording_few"
        example = sorted(lines, key=len, reverse=True)[0]
        text = (
            f"Both accounts sent {len(lines)} identical sentence{'s' if len(lines) > 1 else ''} "
            f"of 20 characters or more, e.g. {example[:80]!r}."
        )
        cand.add(a, b, Reason(signal, WEIGHTS[signal], text, f"wording:{len(lines)}"))


def name_block_pairs(facts: dict[str, AccountFacts], cand: Candidates) -> None:
    """Candidate pairs whose folded names share a word or a run-together form and are at
    least ``NAME_MIN`` similar (compared a block at a time, vectorised by rapidfuzz)."""
    by_key: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for acc in facts.values():
        for folded in acc.names:
            for k in name_keys(folded):
                by_key[k].add((acc.key, folded))
    for key, entries in by_key.items():
        keys = {k for k, _ in entries}
        if len(keys) < 2 or not cand.block(keys, f"the name {key!r}", star=False):
            continue
        ordered = sorted(entries)
        for i, j in similar_pairs([name for _, name in ordered], NAME_MIN):
            cand.touch(ordered[i][0], ordered[j][0])


def name_reason(a: AccountFacts, b: AccountFacts) -> Reason | None:
    """The best name agreement of two accounts, if any is worth saying."""
    best: tuple[float, str, str] | None = None
    for fa in a.names:
        for fb in b.names:
            s = name_similarity(fa, fb)
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
        strong_kind = strong_kind or r.signal in STRONG_KINDS
    value = round(1.0 - left, 3)
    return value, "strong" if value >= STRONG_SCORE and strong_kind else "weak"

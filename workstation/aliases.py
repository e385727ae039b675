"""Alias grouping (DESIGN.md §6): explained suggestions that accounts belong to one person,
decided by the examiner on the record. Suggestions are never merges; confirmed links form
groups (union-find). Signals and weights: see ``workstation._alias_signals``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from chain_of_custody import db, witness
from chain_of_custody.case import Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from chain_of_custody.models import AccountRecord, AliasDecision, AliasLabel
from workstation import _alias_evidence as evidence
from workstation import _alias_holders as holders
from workstation import _alias_signals as signals
from workstation._alias_signals import Reason

T_DECISION = AliasDecision.__table__  # type: ignore[attr-defined]
T_LABEL = AliasLabel.__table__  # type: ignore[attr-defined]
T_ACCOUNT = AccountRecord.__table__  # type: ignore[attr-defined]

Decision = Literal["confirm", "reject", "undo"]
_ACTIONS = {"confirm": "alias.confirmed", "reject": "alias.rejected", "undo": "alias.undone"}
_STATES = {"alias.confirmed": "confirmed", "alias.rejected": "rejected", "alias.undone": "undone"}


class AliasError(EvidenceError):
    """An alias decision or label cannot be recorded as asked."""


@dataclass
class Suggestion:
    """A suggested (or decided) link between two accounts, with the reasons for it."""

    a: str
    b: str
    score: float
    strength: str
    reasons: list[Reason]
    status: str = "suggested"  # suggested | confirmed | rejected
    decided_by: str | None = None
    decided_at: str | None = None
    note: str = ""
    ledger_seq: int | None = None

    def signal_keys(self) -> list[str]:
        return sorted({r.key for r in self.reasons if r.key})

    def as_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "score": self.score,
            "strength": self.strength,
            "reasons": [r.as_json() for r in self.reasons],
            "status": self.status,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "note": self.note,
            "ledger_seq": self.ledger_seq,
        }


@dataclass
class Group:
    """Accounts joined by confirmed links. The id is the ledger seq of the group's earliest
    confirmation still in force, so it stays when the group grows or absorbs another."""

    id: str
    label: str | None
    accounts: list[str]
    links: list[tuple[str, str]]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "accounts": self.accounts,
            "links": [list(p) for p in self.links],
        }


@dataclass
class AliasReport:
    """What ``ews aliases --json`` prints (DESIGN.md §8, with added keys)."""

    suggestions: list[Suggestion]
    groups: list[Group]
    capped: bool = False
    notes: list[str] = field(default_factory=list)
    accounts: int = 0

    def find(self, a: str, b: str) -> Suggestion | None:
        a, b = sorted((a, b))
        return next((s for s in self.suggestions if s.a == a and s.b == b), None)

    def strong_component(self, account: str) -> set[str]:
        """The accounts strong suggestions connect to ``account`` (itself included): what
        the evidence ties together, for the examiner to confirm link by link."""
        edges: dict[str, set[str]] = {}
        for s in self.suggestions:
            if s.strength == "strong":
                edges.setdefault(s.a, set()).add(s.b)
                edges.setdefault(s.b, set()).add(s.a)
        seen, todo = {account}, [account]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def as_json(self) -> dict[str, Any]:
        return {
            "suggestions": [s.as_json() for s in self.suggestions],
            "groups": [g.as_json() for g in self.groups],
            "capped": self.capped,
            "notes": self.notes,
            "accounts": self.accounts,
        }


# --- analysis ------------------------------------------------------------------------------


def _candidates(case: Case) -> tuple[signals.Candidates, dict[str, evidence.AccountFacts]]:
    with db.read_connection(case.engine) as conn:
        facts = evidence.load_accounts(conn, case.case_id)
        found = holders.load(conn, case.case_id, facts)
        evidence.address_book(conn, case.case_id, facts, found.device_of)
        wanted = {sha for acc in facts.values() for sha in acc.pictures}
        phashes = evidence.picture_hashes(conn, case.case_id, wanted)
        in_archive = evidence.archive_holders(conn, case.case_id, facts)
        ties = evidence.seen_together(conn, case.case_id, facts)
        said = evidence.message_evidence(conn, case.case_id, facts)
    cand = signals.Candidates()
    signals.identifier_pairs(facts, cand)
    signals.picture_pairs(facts, phashes, cand)
    signals.holder_pairs(in_archive, cand)
    signals.export_holder_pairs(facts, found, cand)
    signals.seen_together_pairs(ties, cand)
    signals.address_book_pairs(facts, found, cand)
    signals.message_pairs(facts, said, cand)
    signals.name_block_pairs(facts, cand)
    return cand, facts


def _scored(cand: signals.Candidates, facts: dict[str, evidence.AccountFacts]) -> list[Suggestion]:
    found = []
    for (a, b), by_signal in cand.reasons.items():
        reasons = list(by_signal.values())
        named = signals.name_reason(facts[a], facts[b])
        if named is not None:
            reasons.append(named)
        value, strength = signals.score(reasons)
        if value >= signals.MIN_SCORE:
            reasons.sort(key=lambda r: (-r.weight, r.signal))
            found.append(Suggestion(a, b, value, strength, reasons))
    return found


def analyse(case: Case, *, max_suggestions: int = 5000) -> AliasReport:
    """Suggested links between the case's accounts, the examiner's decisions, and the groups.

    Args:
        max_suggestions: undecided suggestions beyond this many (weakest first) are left out
            and the report says so; decided pairs are always listed.
    """
    cand, facts = _candidates(case)
    found = {(s.a, s.b): s for s in _scored(cand, facts)}
    decided = _latest_decisions(case)
    for pair, row in decided.items():
        s = found.get(pair)
        if s is None:
            if row["state"] == "undone":
                continue
            why = Reason("examiner", 0.0, "No automatic signal links these accounts now.")
            s = found[pair] = Suggestion(pair[0], pair[1], 0.0, "weak", [why])
        _apply_decision(s, row)
    suggestions = sorted(found.values(), key=lambda s: (-s.score, s.a, s.b))
    open_ = [s for s in suggestions if s.status == "suggested"]
    notes = list(cand.notes)
    capped = cand.capped_blocks > 0
    if len(open_) > max_suggestions:
        keep = {id(s) for s in open_[:max_suggestions]}
        suggestions = [s for s in suggestions if s.status != "suggested" or id(s) in keep]
        notes.append(
            f"{len(open_) - max_suggestions} weaker suggestions left out "
            f"(limit {max_suggestions}; capped)"
        )
        capped = True
    return AliasReport(suggestions, _groups(case, decided), capped, notes, len(facts))


def _apply_decision(s: Suggestion, row: dict[str, Any]) -> None:
    s.decided_by, s.decided_at = row["examiner"], row["decided_at"]
    s.note, s.ledger_seq = row["note"], row["ledger_seq"]
    if row["state"] == "confirmed":
        s.status = "confirmed"
    elif row["state"] == "rejected":
        new = sorted(set(s.signal_keys()) - set(row["signals"]))
        if not new:
            s.status = "rejected"
            return
        what = "; ".join(r.text for r in s.reasons if r.key in new)
        s.reasons.insert(
            0,
            Reason(
                "new_evidence",
                0.0,
                f"Rejected by {row['examiner']} at {row['decided_at']}; suggested again "
                f"because of new evidence since: {what}",
            ),
        )


# --- decisions -----------------------------------------------------------------------------


def _latest_decisions(case: Case) -> dict[tuple[str, str], dict[str, Any]]:
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_DECISION)
            .where(T_DECISION.c.case_id == case.case_id)
            .order_by(T_DECISION.c.ledger_seq)
        )
        for r in rows:
            latest[(r.account_a, r.account_b)] = {
                "state": r.decision,
                "note": r.note,
                "signals": json.loads(r.signals),
                "examiner": r.examiner,
                "decided_at": r.decided_at,
                "ledger_seq": int(r.ledger_seq),
            }
    return latest


def _known_accounts(case: Case, keys: list[str]) -> set[str]:
    with db.read_connection(case.engine) as conn:
        return set(
            conn.execute(
                sa.select(T_ACCOUNT.c.account_key)
                .where(T_ACCOUNT.c.case_id == case.case_id, T_ACCOUNT.c.account_key.in_(keys))
                .distinct()
            ).scalars()
        )


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def decide(
    case: Case,
    signer: Signer,
    a: str,
    b: str,
    decision: Decision,
    note: str = "",
    *,
    report: AliasReport | None = None,
) -> Suggestion:
    """Record the examiner's decision on the link a–b (a new ledger entry, never an edit).

    Args:
        decision: "confirm", "reject", or "undo" (withdraws the pair's latest decision).
        report: a fresh ``analyse`` result to take the pair's signals from (saves a pass).

    Raises:
        AliasError: unknown account, the same account twice, or nothing to undo.
    """
    if decision not in _ACTIONS:
        raise AliasError(f"unknown decision {decision!r}: confirm, reject or undo")
    if a == b:
        raise AliasError(f"an account cannot be linked to itself ({a})")
    missing = sorted({a, b} - _known_accounts(case, [a, b]))
    if missing:
        raise AliasError(f"no account {missing[0]!r} in this case (see `ews accounts`)")
    a, b = sorted((a, b))
    previous = _latest_decisions(case).get((a, b))
    state = previous["state"] if previous else "undone"
    if decision == "undo" and state == "undone":
        raise AliasError(f"no decision on {a} and {b} to undo")
    if _STATES[_ACTIONS[decision]] == state:
        raise AliasError(f"the link {a} – {b} is already {state}")
    current = (report or analyse(case, max_suggestions=10**9)).find(a, b)
    keys = current.signal_keys() if current else []
    data: dict[str, Any] = {"a": a, "b": b, "note": note, "signals": keys}
    if current is not None:
        data |= {"score": f"{current.score:.3f}", "strength": current.strength}
    if decision == "undo" and previous:
        data["undoes"] = previous["ledger_seq"]

    def write(conn: sa.Connection, made: list[Any]) -> None:
        conn.execute(
            sa.insert(T_DECISION),
            {
                "case_id": case.case_id,
                "account_a": a,
                "account_b": b,
                "decision": _STATES[_ACTIONS[decision]],
                "note": note,
                "signals": json.dumps(keys),
                "examiner": signer.key_id,
                "decided_at": made[0].at,
                "ledger_seq": made[0].seq,
            },
        )

    made = case.record(signer, [NewEntry(_ACTIONS[decision], f"{a} ~ {b}", data)], write)
    result = current or Suggestion(a, b, 0.0, "weak", [])
    _apply_decision(
        result,
        {
            "state": _STATES[_ACTIONS[decision]],
            "note": note,
            "signals": keys,
            "examiner": signer.key_id,
            "decided_at": made[0].at,
            "ledger_seq": made[0].seq,
        },
    )
    if decision == "undo":
        result.status = "suggested"
    return result


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def label(case: Case, signer: Signer, group_id: str, text: str) -> Group:
    """Name an alias group ("Suspect A"); the label stays with the group as it grows.

    Raises:
        AliasError: no such group, or an empty label.
    """
    text = text.strip()
    if not text:
        raise AliasError("a group label cannot be empty")
    group = next((g for g in groups(case) if g.id == group_id), None)
    if group is None:
        raise AliasError(f"no alias group {group_id!r} (see `ews aliases CASE_DIR`)")

    def write(conn: sa.Connection, made: list[Any]) -> None:
        conn.execute(
            sa.insert(T_LABEL),
            {
                "case_id": case.case_id,
                "group_id": group_id,
                "label": text,
                "examiner": signer.key_id,
                "labelled_at": made[0].at,
                "ledger_seq": made[0].seq,
            },
        )

    entry = NewEntry("alias.labelled", group_id, {"label": text, "accounts": group.accounts})
    case.record(signer, [entry], write)
    group.label = text
    return group


# --- groups --------------------------------------------------------------------------------


def groups(case: Case) -> list[Group]:
    """The alias groups formed by the confirmed links (no analysis needed)."""
    return _groups(case, _latest_decisions(case))


def _groups(case: Case, decided: dict[tuple[str, str], dict[str, Any]]) -> list[Group]:
    confirmed = sorted(
        ((row["ledger_seq"], pair) for pair, row in decided.items() if row["state"] == "confirmed")
    )
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _seq, (a, b) in confirmed:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    links: dict[str, list[tuple[int, tuple[str, str]]]] = {}
    for key in parent:
        members.setdefault(find(key), []).append(key)
    for seq, pair in confirmed:
        links.setdefault(find(pair[0]), []).append((seq, pair))
    labels = _labels(case)
    found = []
    for root, accounts in members.items():
        seqs = [seq for seq, _ in links[root]]
        candidates = [labels[f"G{s}"] for s in seqs if f"G{s}" in labels]
        chosen = max(candidates)[1] if candidates else None
        found.append(Group(f"G{seqs[0]}", chosen, sorted(accounts), [p for _, p in links[root]]))
    return sorted(found, key=lambda g: int(g.id[1:]))


def _labels(case: Case) -> dict[str, tuple[int, str]]:
    """Latest label per group id, with its ledger seq (the newest label wins on a merge)."""
    found: dict[str, tuple[int, str]] = {}
    with db.read_connection(case.engine) as conn:
        for r in conn.execute(
            sa.select(T_LABEL.c.group_id, T_LABEL.c.label, T_LABEL.c.ledger_seq)
            .where(T_LABEL.c.case_id == case.case_id)
            .order_by(T_LABEL.c.ledger_seq)
        ):
            found[r.group_id] = (int(r.ledger_seq), r.label)
    return found

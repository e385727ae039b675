"""The custody ledger: canonical entries, chain, signatures and checkpoints (DESIGN.md §4)."""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest

from chain_of_custody import db, ledger, merkle
from chain_of_custody.canonical import canonical_bytes, check_data, entry_hash
from chain_of_custody.case import Case
from chain_of_custody.errors import CaseError, CheckpointConflict, MalformedEntry
from chain_of_custody.keys import Signer, verify_signature
from chain_of_custody.ledger import NewEntry, SignedCheckpoint
from chain_of_custody.trust import add_examiner
from chain_of_custody.verify import verify_case


def test_canonical_bytes_are_sorted_compact_utf8() -> None:
    obj = {"b": 1, "a": "Zoë", "c": {"y": [1, "x"], "x": "–"}}
    assert canonical_bytes(obj) == '{"a":"Zoë","b":1,"c":{"x":"–","y":[1,"x"]}}'.encode()


def test_entry_hash_is_the_rfc6962_leaf_hash_of_the_canonical_entry() -> None:
    fields = {
        "seq": 0,
        "case": "c",
        "prev": "0" * 64,
        "at": "2026-01-01T00:00:00.000000Z",
        "actor": "k",
        "action": "case.created",
        "subject": "c",
        "data": {"n": 1},
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    assert entry_hash(fields) == hashlib.sha256(b"\x00" + canonical).digest()


@pytest.mark.parametrize("bad", [1.5, True, None, {"k": 0.1}, [1, None], {1: "x"}, b"x"])
def test_non_canonical_data_is_refused(bad: object) -> None:
    with pytest.raises(MalformedEntry):
        check_data({"v": bad})


def test_entries_chain_and_verify(case: Case, signer: Signer) -> None:
    made = case.record(
        signer,
        [
            NewEntry("scope.set", "s", {"keywords": ["threat", "kill"]}),
            NewEntry("scope.set", "t", {"n": 2}),
        ],
    )
    entries = list(case.ledger_entries())
    assert [e.seq for e in entries] == list(range(len(entries)))
    assert entries[0].prev == "0" * 64
    for before, after in itertools.pairwise(entries):
        assert after.prev == before.entry_hash
    for e in entries:
        assert e.entry_hash == entry_hash(e.signed_fields()).hex()
        assert verify_signature(
            signer.identity.public_key, bytes.fromhex(e.entry_hash), e.signature
        )
    assert [e.action for e in entries] == [
        "case.created",
        "examiner.added",
        "checkpoint",  # the creation is witnessed (chain_of_custody/witness.py)
        "scope.set",
        "scope.set",
    ]
    assert made[-1].data == {"n": 2}
    assert verify_case(case).ok


def test_float_in_data_is_refused_and_nothing_is_written(case: Case, signer: Signer) -> None:
    before = len(list(case.ledger_entries()))
    with pytest.raises(MalformedEntry, match="float"):
        case.record(signer, [NewEntry("scope.set", "s", {"ratio": 0.5})])
    assert len(list(case.ledger_entries())) == before


def test_second_examiner_joins_only_when_an_examiner_adds_them(
    case: Case, signer: Signer, second_signer: Signer
) -> None:
    before = case.ledger_size()
    with pytest.raises(CaseError, match=r"is not an examiner of this case: an examiner of the"):
        case.record(second_signer, [NewEntry("scope.set", "s", {"by": "RP"})])
    assert case.ledger_size() == before and second_signer.key_id not in case.examiners()
    add_examiner(case, signer, second_signer.identity)
    case.record(second_signer, [NewEntry("scope.set", "s", {"by": "RP"})])
    actions = [(e.action, e.actor, e.subject) for e in case.ledger_entries()][-3:]
    assert actions == [
        ("examiner.added", signer.key_id, second_signer.key_id),
        ("checkpoint", signer.key_id, ledger.origin_of(case.case_id)),  # witnessed
        ("scope.set", second_signer.key_id, "s"),
    ]
    assert second_signer.key_id in case.examiners()
    assert verify_case(case).ok


def test_checkpoint_matches_tree_and_is_recorded(case: Case, signer: Signer) -> None:
    cp = case.make_checkpoint(signer)
    entries = list(case.ledger_entries())
    assert cp.size == len(entries) - 1  # the checkpoint entry itself comes after
    leaves = [bytes.fromhex(e.entry_hash) for e in entries[: cp.size]]
    assert merkle.root_of(leaves).hex() == cp.root
    assert entries[-1].action == "checkpoint" and entries[-1].data["root"] == cp.root
    assert ledger.checkpoint_signature_ok(cp, signer.identity.public_key)
    later = case.make_checkpoint(signer)
    assert later.size == cp.size + 1
    report = verify_case(case)
    assert report.checkpoints == 3  # with the one Case.create ends with
    assert report.witnessed_checkpoints == 3


def test_contradicting_checkpoint_is_refused(case: Case, signer: Signer) -> None:
    cp = case.make_checkpoint(signer)
    fake_root = bytes(32).hex()
    forged = ledger.sign_checkpoint(signer, cp.origin, cp.size, fake_root, cp.at)
    with pytest.raises(CheckpointConflict, match="does not match this case's ledger"):
        case.import_checkpoint(forged)
    # An unsigned (or wrongly signed) checkpoint is refused even when its root is right.
    size = 1  # Case.create's checkpoint already holds size 2
    unsigned = SignedCheckpoint(cp.origin, size, _root_at(case, size), cp.at, signer.key_id, "00")
    with pytest.raises(CheckpointConflict, match="signature"):
        case.import_checkpoint(unsigned)
    # A correctly signed checkpoint of an earlier size is consistent and accepted.
    case.import_checkpoint(ledger.sign_checkpoint(signer, cp.origin, size, unsigned.root, cp.at))
    assert verify_case(case).checkpoints == 3  # with the one Case.create ends with


def test_check_consistent_refuses_a_forked_history(signer: Signer) -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(10)]
    tree = merkle.MerkleTree(leaves)
    origin = "o"
    good_old = ledger.sign_checkpoint(signer, origin, 6, tree.root(6).hex(), "t")
    new = ledger.sign_checkpoint(signer, origin, 10, tree.root(10).hex(), "t")
    ledger.check_consistent(good_old, new, tree)  # no exception
    forked = merkle.MerkleTree([*leaves[:5], merkle.leaf_hash(b"x"), *leaves[6:]])
    bad_old = ledger.sign_checkpoint(signer, origin, 6, forked.root(6).hex(), "t")
    with pytest.raises(CheckpointConflict, match="not consistent"):
        ledger.check_consistent(bad_old, new, tree)
    same_size = ledger.sign_checkpoint(signer, origin, 10, forked.root(10).hex(), "t")
    with pytest.raises(CheckpointConflict, match="disagree"):
        ledger.check_consistent(new, same_size, tree)


def _root_at(case: Case, size: int) -> str:
    with db.read_connection(case.engine) as conn:
        return ledger.tree_of(conn, case.case_id).root(size).hex()

"""Tests for the RFC 6962 Merkle tree in chain_of_custody.merkle.

Known answers come from tests/data/merkle/rfc6962_vectors.json (published transparency-dev/merkle
values); broken cases from tests/data/merkle/broken_proofs.json. Random trees are checked against
a deliberately naive recursive reference written straight from RFC 6962 §2.1 in this file, so
the optimised tree is never its own oracle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_of_custody import merkle
from chain_of_custody.merkle import (
    EMPTY_ROOT,
    MalformedProof,
    MerkleError,
    MerkleTree,
    ProofVerificationFailed,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "merkle"
VECTORS: dict[str, Any] = json.loads((DATA / "rfc6962_vectors.json").read_text("utf-8"))
BROKEN: list[dict[str, Any]] = json.loads((DATA / "broken_proofs.json").read_text("utf-8"))

MAX_RANDOM_SIZE = 300
# One pool of distinct leaves; every random tree is a prefix of it, which is what an
# append-only log looks like anyway.
POOL = [hashlib.sha256(b"\x00" + i.to_bytes(4, "big")).digest() for i in range(MAX_RANDOM_SIZE)]
POOL_TREE = MerkleTree(POOL)

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def h(hex_string: str) -> bytes:
    return bytes.fromhex(hex_string)


def hs(hex_strings: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in hex_strings]


def reference_leaf_hashes() -> list[bytes]:
    return hs(VECTORS["node_hashes"][0])


# ---------------------------------------------------------------------------------------------
# Independent reference: literal transcription of RFC 6962 §2.1, no shared code with the module.
# ---------------------------------------------------------------------------------------------


def _ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _ref_split(len(leaves))
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _ref_split(len(leaves))
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [ref_mth(leaves)]
    k = _ref_split(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], complete), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def ref_consistency(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if m in (0, len(leaves)):
        return []
    return ref_subproof(m, leaves, True)


@cache
def pool_root(size: int) -> bytes:
    return ref_mth(POOL[:size])


def flip_bit(value: bytes, bit: int) -> bytes:
    mutated = bytearray(value)
    mutated[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutated)


# ---------------------------------------------------------------------------------------------
# Known-answer vectors (transparency-dev/merkle).
# ---------------------------------------------------------------------------------------------


def test_vectors_file_names_its_source() -> None:
    source = VECTORS["source"]
    assert "transparency-dev/merkle" in source["repository"]
    assert "Apache" in source["licence"]


def test_leaf_hash_matches_published_leaf_hashes() -> None:
    leaves = hs(VECTORS["leaves_hex"])
    assert [leaf_hash(x) for x in leaves] == reference_leaf_hashes()


def test_node_hash_matches_published_level_one() -> None:
    level0 = reference_leaf_hashes()
    level1 = hs(VECTORS["node_hashes"][1])
    assert [node_hash(level0[2 * i], level0[2 * i + 1]) for i in range(4)] == level1


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert EMPTY_ROOT.hex() == expected
    assert root_of([]) == EMPTY_ROOT
    assert MerkleTree().root() == EMPTY_ROOT
    assert MerkleTree(reference_leaf_hashes()).root(0) == EMPTY_ROOT


def test_published_complete_subtree_hashes() -> None:
    leaves = reference_leaf_hashes()
    tree = MerkleTree(leaves)
    for level, nodes in enumerate(VECTORS["node_hashes"]):
        width = 1 << level
        for i, expected in enumerate(hs(nodes)):
            assert root_of(leaves[i * width : (i + 1) * width]) == expected, (level, i)
            assert ref_mth(leaves[i * width : (i + 1) * width]) == expected, (level, i)
    assert tree.root() == h(VECTORS["node_hashes"][3][0])


@pytest.mark.parametrize("size", range(9))
def test_published_roots(size: int) -> None:
    leaves = reference_leaf_hashes()
    expected = h(VECTORS["roots"][size])
    assert root_of(leaves[:size]) == expected
    assert MerkleTree(leaves).root(size) == expected
    assert MerkleTree(leaves[:size]).root() == expected


def test_published_roots_after_each_append() -> None:
    tree = MerkleTree()
    for size, leaf in enumerate(reference_leaf_hashes(), start=1):
        tree.append(leaf)
        assert tree.size == size
        assert tree.root() == h(VECTORS["roots"][size])


@pytest.mark.parametrize(
    "vector", VECTORS["inclusion_proofs"], ids=lambda v: f"{v['index']}of{v['size']}"
)
def test_published_inclusion_proofs(vector: dict[str, Any]) -> None:
    leaves = reference_leaf_hashes()
    index, size, expected = vector["index"], vector["size"], hs(vector["proof"])
    assert MerkleTree(leaves).inclusion_proof(index, size) == expected
    assert MerkleTree(leaves[:size]).inclusion_proof(index) == expected
    verify_inclusion(leaves[index], index, size, expected, h(VECTORS["roots"][size]))


@pytest.mark.parametrize(
    "vector",
    VECTORS["consistency_proofs"],
    ids=lambda v: f"{v['old_size']}to{v['new_size']}",
)
def test_published_consistency_proofs(vector: dict[str, Any]) -> None:
    leaves = reference_leaf_hashes()
    old, new, expected = vector["old_size"], vector["new_size"], hs(vector["proof"])
    assert MerkleTree(leaves).consistency_proof(old, new) == expected
    assert MerkleTree(leaves[:new]).consistency_proof(old) == expected
    roots = hs(VECTORS["roots"])
    verify_consistency(old, new, roots[old], roots[new], expected)


def test_reference_implementation_agrees_with_published_vectors() -> None:
    # Guards the oracle used by the random tests below.
    leaves = reference_leaf_hashes()
    for size in range(9):
        assert ref_mth(leaves[:size]) == h(VECTORS["roots"][size])
    for v in VECTORS["inclusion_proofs"]:
        assert ref_path(v["index"], leaves[: v["size"]]) == hs(v["proof"])
    for v in VECTORS["consistency_proofs"]:
        assert ref_consistency(v["old_size"], leaves[: v["new_size"]]) == hs(v["proof"])


# ---------------------------------------------------------------------------------------------
# Deliberately broken proofs.
# ---------------------------------------------------------------------------------------------


def test_broken_cases_are_documented() -> None:
    ids = [case["id"] for case in BROKEN]
    assert len(ids) == len(set(ids))
    for case in BROKEN:
        assert case["expect"] in {"MalformedProof", "ProofVerificationFailed"}
        assert case["kind"] in {"inclusion", "consistency"}
        assert case["why"].strip()
    kinds = {(c["kind"], c["expect"]) for c in BROKEN}
    assert len(kinds) == 4


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: str(c["id"]))
def test_broken_proof_raises_exactly(case: dict[str, Any]) -> None:
    expected: type[MerkleError] = getattr(merkle, case["expect"])
    with pytest.raises(MerkleError) as caught:
        if case["kind"] == "inclusion":
            verify_inclusion(
                h(case["leaf"]), case["index"], case["size"], hs(case["proof"]), h(case["root"])
            )
        else:
            verify_consistency(
                case["old_size"],
                case["new_size"],
                h(case["old_root"]),
                h(case["new_root"]),
                hs(case["proof"]),
            )
    assert type(caught.value) is expected, case["why"]


# ---------------------------------------------------------------------------------------------
# Edge cases of the API.
# ---------------------------------------------------------------------------------------------


def test_exception_hierarchy() -> None:
    assert issubclass(MalformedProof, MerkleError)
    assert issubclass(ProofVerificationFailed, MerkleError)
    assert not issubclass(MalformedProof, ProofVerificationFailed)
    assert not issubclass(ProofVerificationFailed, MalformedProof)


def test_trivial_consistency_cases_verify() -> None:
    root = POOL_TREE.root(7)
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 7, EMPTY_ROOT, root, [])
    verify_consistency(7, 7, root, root, [])
    assert POOL_TREE.consistency_proof(0, 7) == []
    assert POOL_TREE.consistency_proof(7, 7) == []


def test_single_leaf_tree() -> None:
    tree = MerkleTree([POOL[0]])
    assert tree.root() == POOL[0]
    assert tree.inclusion_proof(0) == []
    verify_inclusion(POOL[0], 0, 1, [], POOL[0])


def test_verifiers_accept_bytes_like_hashes() -> None:
    # Typed as Any: the public signature says bytes, but a verifier reading files or sockets
    # naturally ends up holding bytearray/memoryview buffers.
    leaf: Any = bytearray(POOL[3])
    proof: Any = [memoryview(p) for p in POOL_TREE.inclusion_proof(3, 10)]
    root: Any = bytearray(pool_root(10))
    verify_inclusion(leaf, 3, 10, proof, root)


@pytest.mark.parametrize("bad", [True, 1.0, "3"])
def test_verify_inclusion_rejects_non_int_index(bad: Any) -> None:
    proof = POOL_TREE.inclusion_proof(1, 4)
    with pytest.raises(MalformedProof):
        verify_inclusion(POOL[1], bad, 4, proof, pool_root(4))


def test_verify_inclusion_rejects_a_bare_hash_as_proof() -> None:
    # Two-leaf tree: the proof is one hash, easy to pass without the surrounding list.
    sibling = POOL[1]
    with pytest.raises(MalformedProof):
        verify_inclusion(POOL[0], 0, 2, sibling, pool_root(2))  # type: ignore[arg-type]
    with pytest.raises(MalformedProof):
        verify_inclusion(POOL[0], 0, 2, None, pool_root(2))  # type: ignore[arg-type]
    verify_inclusion(POOL[0], 0, 2, [sibling], pool_root(2))


def test_verify_consistency_rejects_bool_sizes() -> None:
    with pytest.raises(MalformedProof):
        verify_consistency(True, 2, pool_root(1), pool_root(2), [POOL[1]])


def test_tree_rejects_bad_leaf_hashes() -> None:
    with pytest.raises(ValueError):
        MerkleTree([POOL[0], b"short"])
    with pytest.raises(ValueError):
        root_of([POOL[0][:31]])
    with pytest.raises(TypeError):
        MerkleTree(["00" * 32])  # type: ignore[list-item]
    tree = MerkleTree()
    with pytest.raises(ValueError):
        tree.append(POOL[0] + b"\x00")
    assert tree.size == 0


def test_tree_copies_mutable_leaf_buffers() -> None:
    buffer = bytearray(POOL[0])
    tree = MerkleTree([buffer])  # type: ignore[list-item]
    buffer[0] ^= 0xFF
    assert tree.root() == POOL[0]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda t: t.root(11), ValueError),
        (lambda t: t.root(-1), ValueError),
        (lambda t: t.inclusion_proof(10), ValueError),
        (lambda t: t.inclusion_proof(-1), ValueError),
        (lambda t: t.inclusion_proof(0, 0), ValueError),
        (lambda t: t.inclusion_proof(5, 5), ValueError),
        (lambda t: t.inclusion_proof(0, 11), ValueError),
        (lambda t: t.consistency_proof(6, 5), ValueError),
        (lambda t: t.consistency_proof(11), ValueError),
        (lambda t: t.consistency_proof(-1, 5), ValueError),
        (lambda t: t.root(True), TypeError),
        (lambda t: t.inclusion_proof(1.0), TypeError),
    ],
)
def test_tree_rejects_out_of_range_arguments(call: Any, error: type[Exception]) -> None:
    tree = MerkleTree(POOL[:10])
    with pytest.raises(error):
        call(tree)


def test_exhaustive_small_trees_match_reference() -> None:
    tree = MerkleTree()
    for size in range(1, 65):
        tree.append(POOL[size - 1])
        leaves = POOL[:size]
        root = ref_mth(leaves)
        assert tree.root() == root
        for index in range(size):
            proof = tree.inclusion_proof(index)
            assert proof == ref_path(index, leaves), (index, size)
            verify_inclusion(POOL[index], index, size, proof, root)
        for old in range(size + 1):
            proof = tree.consistency_proof(old)
            assert proof == ref_consistency(old, leaves), (old, size)
            verify_consistency(old, size, pool_root(old), root, proof)


def test_larger_tree_spot_checks() -> None:
    # Crosses several power-of-two boundaries with a ragged right edge at every level.
    size = (1 << 16) + (1 << 9) + 3
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    tree = MerkleTree(leaves)
    root = root_of(leaves)
    assert tree.root() == root
    for index in (0, 1, 65535, 65536, 65536 + 511, size - 2, size - 1):
        verify_inclusion(leaves[index], index, size, tree.inclusion_proof(index), root)
    for old in (1, 2, 3, 65535, 65536, 65537, 65536 + 512, size - 1):
        old_root = tree.root(old)
        assert old_root == root_of(leaves[:old])
        verify_consistency(old, size, old_root, root, tree.consistency_proof(old))


# ---------------------------------------------------------------------------------------------
# Property tests.
# ---------------------------------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=MAX_RANDOM_SIZE)


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return draw(st.integers(min_value=0, max_value=size - 1)), size


@st.composite
def old_and_new(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(min_value=0, max_value=MAX_RANDOM_SIZE))
    return draw(st.integers(min_value=0, max_value=new)), new


@PROPERTY_SETTINGS
@given(st.lists(index_and_size(), min_size=1, max_size=20))
def test_property_inclusion_proofs_verify(pairs: list[tuple[int, int]]) -> None:
    for index, size in pairs:
        proof = POOL_TREE.inclusion_proof(index, size)
        assert proof == ref_path(index, POOL[:size])
        verify_inclusion(POOL[index], index, size, proof, pool_root(size))


@PROPERTY_SETTINGS
@given(old_and_new())
def test_property_consistency_proofs_verify(sizes_pair: tuple[int, int]) -> None:
    old, new = sizes_pair
    proof = POOL_TREE.consistency_proof(old, new)
    assert proof == ref_consistency(old, POOL[:new])
    verify_consistency(old, new, pool_root(old), pool_root(new), proof)


@PROPERTY_SETTINGS
@given(st.integers(min_value=0, max_value=MAX_RANDOM_SIZE), st.data())
def test_property_prefix_roots(total: int, data: st.DataObject) -> None:
    tree = MerkleTree()
    for leaf in POOL[:total]:
        tree.append(leaf)
    size = data.draw(st.integers(min_value=0, max_value=total))
    assert tree.root(size) == root_of(POOL[:size]) == pool_root(size)
    assert MerkleTree(POOL[:total]).root(size) == tree.root(size)


@PROPERTY_SETTINGS
@given(index_and_size(), st.data())
def test_property_inclusion_bit_flip_fails(pair: tuple[int, int], data: st.DataObject) -> None:
    index, size = pair
    proof = POOL_TREE.inclusion_proof(index, size)
    root = pool_root(size)
    # Position 0 is the leaf, 1..len(proof) the proof hashes, the last one the root.
    target = data.draw(st.integers(min_value=0, max_value=len(proof) + 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    leaf, mutated = POOL[index], list(proof)
    if target == 0:
        leaf = flip_bit(leaf, bit)
    elif target <= len(proof):
        mutated[target - 1] = flip_bit(mutated[target - 1], bit)
    else:
        root = flip_bit(root, bit)
    with pytest.raises(ProofVerificationFailed):
        verify_inclusion(leaf, index, size, mutated, root)


@PROPERTY_SETTINGS
@given(old_and_new(), st.data())
def test_property_consistency_bit_flip_fails(
    sizes_pair: tuple[int, int], data: st.DataObject
) -> None:
    old, new = sizes_pair
    proof = POOL_TREE.consistency_proof(old, new)
    old_root, new_root = pool_root(old), pool_root(new)
    # Position 0 is the old root, 1..len(proof) the proof hashes, the last one the new root.
    # Every tree extends the empty tree, so for old == 0 < new the new root is unconstrained.
    last = len(proof) if old == 0 < new else len(proof) + 1
    target = data.draw(st.integers(min_value=0, max_value=last))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    mutated = list(proof)
    if target == 0:
        old_root = flip_bit(old_root, bit)
    elif target <= len(proof):
        mutated[target - 1] = flip_bit(mutated[target - 1], bit)
    else:
        new_root = flip_bit(new_root, bit)
    with pytest.raises(ProofVerificationFailed):
        verify_consistency(old, new, old_root, new_root, mutated)


@PROPERTY_SETTINGS
@given(index_and_size(), st.integers(min_value=-3, max_value=3))
def test_property_proof_length_changes_are_malformed(pair: tuple[int, int], delta: int) -> None:
    index, size = pair
    proof = POOL_TREE.inclusion_proof(index, size)
    if delta == 0 or len(proof) + delta < 0:
        return
    changed = proof[:delta] if delta < 0 else proof + [POOL[0]] * delta
    with pytest.raises(MalformedProof):
        verify_inclusion(POOL[index], index, size, changed, pool_root(size))


@PROPERTY_SETTINGS
@given(st.lists(st.binary(max_size=40), max_size=80))
def test_property_append_matches_bulk_build(datas: list[bytes]) -> None:
    leaves = [leaf_hash(d) for d in datas]
    appended = MerkleTree()
    for leaf in leaves:
        appended.append(leaf)
    bulk = MerkleTree(leaves)
    assert appended.size == bulk.size == len(leaves)
    for size in range(len(leaves) + 1):
        assert appended.root(size) == bulk.root(size) == ref_mth(leaves[:size])
    for index in range(len(leaves)):
        assert appended.inclusion_proof(index) == bulk.inclusion_proof(index)

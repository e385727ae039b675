"""The verifier's own RFC 6962 proof checks, canonical JSON and imports.

The published vectors in tests/data/merkle and the project's chain_of_custody.merkle (an
independent implementation) are the oracles.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_of_custody import canonical as project_canonical
from chain_of_custody import merkle
from exports import verify_bundle as vb

DATA = Path(__file__).resolve().parents[1] / "data" / "merkle"
VECTORS = json.loads((DATA / "rfc6962_vectors.json").read_text())
BROKEN = json.loads((DATA / "broken_proofs.json").read_text())
ROOTS = [bytes.fromhex(r) for r in VECTORS["roots"]]
LEAVES = [bytes.fromhex(h) for h in VECTORS["node_hashes"][0]]


def test_leaf_and_node_hashes_match_the_vectors() -> None:
    for raw, leaf in zip(VECTORS["leaves_hex"], LEAVES, strict=True):
        assert vb.leaf_hash(bytes.fromhex(raw)) == leaf
    level1 = [bytes.fromhex(h) for h in VECTORS["node_hashes"][1]]
    assert vb.node_hash(LEAVES[0], LEAVES[1]) == level1[0]


@pytest.mark.parametrize("vector", VECTORS["inclusion_proofs"], ids=lambda v: str(v)[:40])
def test_published_inclusion_proofs_verify(vector: dict[str, Any]) -> None:
    index, size = vector["index"], vector["size"]
    vb.verify_inclusion(LEAVES[index], index, size, vector["proof"], ROOTS[size])
    if vector["proof"]:
        wrong = list(vector["proof"])
        wrong[0] = "00" * 32
        with pytest.raises(vb.ProofMismatch):
            vb.verify_inclusion(LEAVES[index], index, size, wrong, ROOTS[size])


@pytest.mark.parametrize("vector", VECTORS["consistency_proofs"], ids=lambda v: str(v)[:40])
def test_published_consistency_proofs_verify(vector: dict[str, Any]) -> None:
    old, new = vector["old_size"], vector["new_size"]
    vb.verify_consistency(old, new, ROOTS[old], ROOTS[new], vector["proof"])
    if vector["proof"]:
        with pytest.raises(vb.ProofError):
            vb.verify_consistency(old, new, ROOTS[old], ROOTS[new], vector["proof"][:-1])


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: str(c["id"]))
def test_broken_proofs_are_refused(case: dict[str, Any]) -> None:
    expected = vb.MalformedProof if case["expect"] == "MalformedProof" else vb.ProofMismatch

    def value(key: str) -> Any:
        v = case[key]
        return bytes.fromhex(v) if isinstance(v, str) and len(v) == 64 else v

    with pytest.raises(vb.ProofError) as caught:
        if case["kind"] == "inclusion":
            vb.verify_inclusion(
                value("leaf"), case["index"], case["size"], case["proof"], value("root")
            )
        else:
            vb.verify_consistency(
                case["old_size"],
                case["new_size"],
                value("old_root"),
                value("new_root"),
                case["proof"],
            )
    # Malformed proofs are never reported as well-formed mismatches and vice versa, except
    # where a wrong-typed hash is only detected when decoding it (then MalformedProof too).
    assert isinstance(caught.value, expected), (case["id"], caught.value)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_every_proof_of_the_project_tree_verifies_and_any_change_fails(
    size: int, data: st.DataObject
) -> None:
    leaves = [vb.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    tree = merkle.MerkleTree(leaves)
    root = tree.root()
    index = data.draw(st.integers(0, size - 1))
    path = tree.inclusion_proof(index)
    vb.verify_inclusion(leaves[index], index, size, [h.hex() for h in path], root)
    if path:
        at = data.draw(st.integers(0, len(path) - 1))
        bad = [h.hex() for h in path]
        bad[at] = "%064x" % (int(bad[at], 16) ^ 1)
        with pytest.raises(vb.ProofMismatch):
            vb.verify_inclusion(leaves[index], index, size, bad, root)
        with pytest.raises(vb.MalformedProof):
            vb.verify_inclusion(leaves[index], index, size, path[:-1], root)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        with pytest.raises(vb.ProofError):
            vb.verify_inclusion(leaves[index], other, size, path, root)
    old = data.draw(st.integers(0, size))
    proof = tree.consistency_proof(old)
    vb.verify_consistency(old, size, tree.root(old), root, proof)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bad_proof = list(proof)
        bad_proof[at] = bytes(32)
        with pytest.raises(vb.ProofMismatch):
            vb.verify_consistency(old, size, tree.root(old), root, bad_proof)
    if 0 < old < size:
        with pytest.raises(vb.ProofError):
            vb.verify_consistency(old, size, tree.root(old - 1), root, proof)


@given(
    st.recursive(
        st.text() | st.integers(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_canonical_json_and_entry_hash_agree_with_the_project(value: Any) -> None:
    entry = {
        "seq": 3,
        "case": "c",
        "prev": "0" * 64,
        "at": "2026-01-01T00:00:00.000000Z",
        "actor": "k",
        "action": "x",
        "subject": "s",
        "data": {"v": value},
    }
    assert vb.canonical(entry) == project_canonical.canonical_bytes(entry)
    assert vb.entry_leaf(entry) == project_canonical.entry_hash(entry)
    assert vb.parse_json(vb.canonical(entry), "x", require_canonical=True) == entry


def test_non_canonical_and_non_json_are_refused() -> None:
    with pytest.raises(vb.Bad):
        vb.parse_json(b'{"b":1,"a":2}', "x", require_canonical=True)
    with pytest.raises(vb.Bad):
        vb.parse_json(b'{"a":1,"a":2}', "x", require_canonical=True)  # duplicate key
    with pytest.raises(vb.Bad):
        vb.parse_json(b'{"a":NaN}', "x")
    with pytest.raises(vb.Bad):
        vb.parse_json(b"\xff", "x")


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "a/../b", "..", "a//b", "./a", "a\\b", "C:/x", "a\x00b", "a/", ""],
)
def test_unsafe_paths(path: str) -> None:
    assert vb.path_problem(path) is not None


def test_safe_paths() -> None:
    for path in ["a", "04_exhibits/JS-1/native/0123456789ab_chat.txt", "keys/JS_x.pub", "é/ü"]:
        assert vb.path_problem(path) is None


# --- what the module may import ------------------------------------------------------------


def test_module_imports_only_the_standard_library_and_cryptography_by_ast() -> None:
    tree = ast.parse(Path(vb.__file__).read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            assert node.module is not None
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            pytest.fail("dynamic import")
    outside = {r for r in roots if r not in sys.stdlib_module_names and r != "__future__"}
    assert outside == {"cryptography"}


_PROBE = """
import importlib.util, json, sys
{pre}
before = set(sys.modules)
spec = importlib.util.spec_from_file_location("verify_bundle_probe", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["verify_bundle_probe"] = module
spec.loader.exec_module(module)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_module_loads_nothing_beyond_what_cryptography_itself_loads() -> None:
    """In a fresh interpreter: everything the module pulls in is stdlib, or is pulled in just
    as well by importing the two cryptography modules it uses."""

    def loaded(pre: str) -> set[str]:
        out = subprocess.run(
            [sys.executable, "-I", "-c", _PROBE.format(pre=pre), vb.__file__],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return set(json.loads(out))

    crypto = "import cryptography.exceptions, cryptography.hazmat.primitives.asymmetric.ed25519"
    alone = loaded("")
    assert not any(
        m.split(".")[0]
        in {"chain_of_custody", "exports", "workstation", "extractors", "sqlalchemy"}
        for m in alone
    )
    third_party = {m for m in alone if m.split(".")[0] not in sys.stdlib_module_names}
    assert "cryptography" in third_party
    with_crypto_first = loaded(crypto)
    assert {m for m in with_crypto_first if m.split(".")[0] not in sys.stdlib_module_names} == {
        "verify_bundle_probe"
    }, with_crypto_first

"""The custody ledger extract of a bundle: the entries the exhibits rest on, a checkpoint
signed for the export, and RFC 6962 inclusion and consistency proofs against it.

The checkpoint is signed in memory over the ledger as it stands; it is stored (with an
``export.created`` entry) only after the bundle is written, so the bundle never depends on
entries made by exporting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody import ledger, merkle
from chain_of_custody.errors import LedgerError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import SignedCheckpoint
from chain_of_custody.models import LedgerEntry
from exports.context import LedgerExtract

T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Proofs:
    """What ``11_custody_ledger/inclusion_proofs.json`` and ``consistency_proofs.json`` hold."""

    inclusion: dict[str, Any]
    consistency: dict[str, Any]


def head_checkpoint(
    conn: Connection, case_id: str, signer: Signer, at: str
) -> tuple[merkle.MerkleTree, SignedCheckpoint]:
    """The Merkle tree of the ledger as it stands and a checkpoint of it signed at ``at``.

    Raises:
        LedgerError: if the ledger is empty.
    """
    tree = ledger.tree_of(conn, case_id)
    if tree.size == 0:
        raise LedgerError("the ledger is empty")
    cp = ledger.sign_checkpoint(signer, ledger.origin_of(case_id), tree.size, tree.root().hex(), at)
    return tree, cp


def examiner_seqs(conn: Connection, case_id: str, size: int) -> list[int]:
    """Seqs of ``case.created`` and every ``examiner.added`` entry within the first ``size``."""
    rows = conn.execute(
        sa.select(T_LEDGER.c.seq).where(
            T_LEDGER.c.case_id == case_id,
            T_LEDGER.c.seq < size,
            T_LEDGER.c.action.in_(["case.created", "examiner.added"]),
        )
    )
    return [int(r.seq) for r in rows]


def details_seqs(conn: Connection, case_id: str, size: int) -> list[int]:
    """Seqs of every ``details.set`` entry within the first ``size``: the case details a
    bundle prints rest on them, so a recipient can compare the two (verify-bundle)."""
    rows = conn.execute(
        sa.select(T_LEDGER.c.seq).where(
            T_LEDGER.c.case_id == case_id,
            T_LEDGER.c.seq < size,
            T_LEDGER.c.action == "details.set",
        )
    )
    return [int(r.seq) for r in rows]


def entries_by_seq(conn: Connection, case_id: str, seqs: Iterable[int]) -> list[dict[str, Any]]:
    """``Entry.as_json()`` of each seq, ascending (missing seqs are an error).

    Raises:
        LedgerError: if a seq is not in the ledger.
    """
    wanted = sorted(set(seqs))
    found: dict[int, dict[str, Any]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        for row in conn.execute(
            sa.select(T_LEDGER).where(T_LEDGER.c.case_id == case_id, T_LEDGER.c.seq.in_(chunk))
        ):
            found[int(row.seq)] = ledger._row_to_entry(row).as_json()
    missing = [s for s in wanted if s not in found]
    if missing:
        raise LedgerError(f"ledger entry {missing[0]} is missing")
    return [found[s] for s in wanted]


def prove(
    conn: Connection,
    case_id: str,
    tree: merkle.MerkleTree,
    cp: SignedCheckpoint,
    entries: list[dict[str, Any]],
) -> Proofs:
    """Inclusion proofs of the entries, and consistency proofs from every earlier checkpoint."""
    size = cp.size
    inclusion = {
        "tree_size": size,
        "root": cp.root,
        "proofs": [
            {
                "seq": e["seq"],
                "leaf_index": e["seq"],  # seq counts from 0: entry 0 is leaf 0
                "entry_hash": e["entry_hash"],
                "path": [h.hex() for h in tree.inclusion_proof(int(e["seq"]), size)],
            }
            for e in entries
        ],
    }
    earlier: dict[tuple[int, str], None] = {}
    for old in ledger.list_checkpoints(conn, case_id):
        if old.size <= size:
            earlier[(old.size, old.root)] = None
    consistency = {
        "to_size": size,
        "to_root": cp.root,
        "proofs": [
            {
                "from_size": old_size,
                "from_root": old_root,
                "path": [h.hex() for h in tree.consistency_proof(old_size, size)],
            }
            for old_size, old_root in sorted(earlier)
        ],
    }
    return Proofs(inclusion, consistency)


def build_extract(
    conn: Connection,
    case_id: str,
    tree: merkle.MerkleTree,
    cp: SignedCheckpoint,
    seqs: Iterable[int],
) -> tuple[LedgerExtract, Proofs]:
    """The extract of the given entries (plus case, examiner and case-details entries) and
    its proofs."""
    wanted = set(seqs) | set(examiner_seqs(conn, case_id, cp.size))
    wanted |= set(details_seqs(conn, case_id, cp.size))
    entries = entries_by_seq(conn, case_id, (s for s in wanted if s < cp.size))
    extract = LedgerExtract(
        entries=tuple(entries), checkpoint=cp.as_json(), tree_size=cp.size, root=cp.root
    )
    return extract, prove(conn, case_id, tree, cp, entries)

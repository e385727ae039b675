"""The custody ledger: append-only, hash-chained, signed entries and signed checkpoints.

See DESIGN.md §4. Appends happen inside ``db.write_transaction`` so the read of the last
entry and the insert of the next are serialised per case.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody import merkle
from chain_of_custody.canonical import (
    GENESIS_PREV,
    canonical_bytes,
    check_data,
    entry_hash,
    format_time,
    utc_now,
)
from chain_of_custody.errors import CheckpointConflict, LedgerError
from chain_of_custody.keys import Signer, verify_signature
from chain_of_custody.models import Checkpoint, LedgerEntry

_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
_CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewEntry:
    """What a caller wants recorded; seq, prev, time and signature are added on append."""

    action: str
    subject: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Entry:
    """A ledger entry as stored and signed."""

    seq: int
    case: str
    prev: str
    at: str
    actor: str
    action: str
    subject: str
    data: dict[str, Any]
    entry_hash: str
    signature: str

    def signed_fields(self) -> dict[str, Any]:
        """The fields covered by entry_hash."""
        return {
            "seq": self.seq,
            "case": self.case,
            "prev": self.prev,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "data": self.data,
        }

    def as_json(self) -> dict[str, Any]:
        """The documented JSON shape of `ews ledger --json`."""
        return {**self.signed_fields(), "entry_hash": self.entry_hash, "signature": self.signature}


def parse_data(seq: object, raw: str) -> dict[str, Any]:
    """An entry's stored data as a dict.

    Raises:
        LedgerError: the stored text is not a JSON object (the database was damaged or
            edited); one line, never a traceback.
    """
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise LedgerError(
            f"ledger entry {seq}: its data is not a JSON object; the case database is "
            "damaged or was edited (restore it from a copy)"
        )
    return data


def _row_to_entry(row: Any) -> Entry:
    return Entry(
        seq=row.seq,
        case=row.case_id,
        prev=row.prev,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        data=parse_data(row.seq, row.data),
        entry_hash=row.entry_hash,
        signature=row.signature,
    )


def last_entry(conn: Connection, case_id: str) -> tuple[int, str]:
    """(seq, entry_hash) of the newest entry, or (-1, 64 zeros) for an empty ledger."""
    row = conn.execute(
        sa.select(_LEDGER.c.seq, _LEDGER.c.entry_hash)
        .where(_LEDGER.c.case_id == case_id)
        .order_by(_LEDGER.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return -1, GENESIS_PREV
    return int(row.seq), str(row.entry_hash)


def append_entries(
    conn: Connection,
    case_id: str,
    signer: Signer,
    entries: Sequence[NewEntry],
    at: datetime | None = None,
) -> list[Entry]:
    """Append entries, chained and signed, in the caller's write transaction.

    Raises:
        MalformedEntry: if any data holds floats or other non-canonical values.
    """
    for new in entries:
        check_data(dict(new.data))
    seq, prev = last_entry(conn, case_id)
    stamp = format_time(at or utc_now())
    made: list[Entry] = []
    for new in entries:
        seq += 1
        fields: dict[str, Any] = {
            "seq": seq,
            "case": case_id,
            "prev": prev,
            "at": stamp,
            "actor": signer.key_id,
            "action": new.action,
            "subject": new.subject,
            "data": dict(new.data),
        }
        digest = entry_hash(fields)
        entry = Entry(
            seq=seq,
            case=case_id,
            prev=prev,
            at=stamp,
            actor=signer.key_id,
            action=new.action,
            subject=new.subject,
            data=fields["data"],
            entry_hash=digest.hex(),
            signature=signer.sign(digest),
        )
        made.append(entry)
        prev = entry.entry_hash
    if made:
        conn.execute(
            sa.insert(_LEDGER),
            [
                {
                    "case_id": e.case,
                    "seq": e.seq,
                    "prev": e.prev,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "data": canonical_bytes(e.data).decode("utf-8"),
                    "entry_hash": e.entry_hash,
                    "signature": e.signature,
                }
                for e in made
            ],
        )
    return made


def iter_entries(
    conn: Connection, case_id: str, after: int = -1, batch: int = 5000
) -> Iterator[Entry]:
    """Every entry in seq order, read in batches (memory stays flat)."""
    while True:
        rows = conn.execute(
            sa.select(_LEDGER)
            .where(_LEDGER.c.case_id == case_id, _LEDGER.c.seq > after)
            .order_by(_LEDGER.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _row_to_entry(row)
        after = int(rows[-1].seq)


def tree_of(conn: Connection, case_id: str) -> merkle.MerkleTree:
    """The Merkle tree over the stored entry hashes, in seq order."""
    tree = merkle.MerkleTree()
    for (digest,) in conn.execute(
        sa.select(_LEDGER.c.entry_hash).where(_LEDGER.c.case_id == case_id).order_by(_LEDGER.c.seq)
    ):
        tree.append(bytes.fromhex(digest))
    return tree


# --- checkpoints ---------------------------------------------------------------------


def origin_of(case_id: str) -> str:
    """The checkpoint origin line for a case (C2SP style: names the log)."""
    return f"evidence-workstation/case/{case_id}"


def checkpoint_body(origin: str, size: int, root: str, at: str) -> bytes:
    """The signed bytes of a checkpoint: canonical JSON of {origin, size, root, at}."""
    return canonical_bytes({"origin": origin, "size": size, "root": root, "at": at})


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint with its signature."""

    origin: str
    size: int
    root: str
    at: str
    key_id: str
    signature: str

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root": self.root,
            "at": self.at,
            "key_id": self.key_id,
            "signature": self.signature,
        }


def list_checkpoints(conn: Connection, case_id: str) -> list[SignedCheckpoint]:
    """All stored checkpoints, oldest (smallest) first."""
    rows = conn.execute(
        sa.select(_CHECKPOINT)
        .where(_CHECKPOINT.c.case_id == case_id)
        .order_by(_CHECKPOINT.c.size, _CHECKPOINT.c.id)
    ).all()
    return [
        SignedCheckpoint(r.origin, int(r.size), r.root, r.at, r.key_id, r.signature) for r in rows
    ]


def check_consistent(
    earlier: SignedCheckpoint, later: SignedCheckpoint, tree: merkle.MerkleTree
) -> None:
    """Refuse ``later`` if it contradicts ``earlier`` (same log, sizes and roots).

    Raises:
        CheckpointConflict: with the reason.
    """
    if earlier.origin != later.origin:
        raise CheckpointConflict(f"checkpoint origin {later.origin!r} is not {earlier.origin!r}")
    if later.size < earlier.size:
        earlier, later = later, earlier
    if earlier.size == later.size:
        if earlier.root != later.root:
            raise CheckpointConflict(
                f"two checkpoints of size {later.size} disagree on the root "
                f"({earlier.root[:12]}… vs {later.root[:12]}…)"
            )
        return
    try:
        proof = tree.consistency_proof(earlier.size, later.size)
        merkle.verify_consistency(
            earlier.size,
            later.size,
            bytes.fromhex(earlier.root),
            bytes.fromhex(later.root),
            proof,
        )
    except (merkle.MerkleError, ValueError) as exc:
        raise CheckpointConflict(
            f"checkpoint of size {later.size} is not consistent with the earlier one of size "
            f"{earlier.size}: {exc}"
        ) from exc


def add_checkpoint(
    conn: Connection,
    case_id: str,
    candidate: SignedCheckpoint,
    tree: merkle.MerkleTree,
    timestamp: tuple[bytes, str] | None = None,
) -> None:
    """Store a checkpoint after proving it consistent with every earlier one.

    ``timestamp``: an RFC 3161 token over it and the authority's URL (chain_of_custody/
    timestamp.py), kept in the row.

    Raises:
        CheckpointConflict: if it contradicts an earlier checkpoint or the ledger itself.
    """
    if candidate.size > tree.size or tree.root(candidate.size).hex() != candidate.root:
        raise CheckpointConflict(
            f"checkpoint of size {candidate.size} does not match this case's ledger"
        )
    for earlier in list_checkpoints(conn, case_id):
        check_consistent(earlier, candidate, tree)
    conn.execute(
        sa.insert(_CHECKPOINT),
        {
            "case_id": case_id,
            "origin": candidate.origin,
            "size": candidate.size,
            "root": candidate.root,
            "at": candidate.at,
            "key_id": candidate.key_id,
            "signature": candidate.signature,
            "timestamp_token": timestamp[0] if timestamp else None,
            "timestamp_authority": timestamp[1] if timestamp else None,
        },
    )


def sign_checkpoint(signer: Signer, origin: str, size: int, root: str, at: str) -> SignedCheckpoint:
    """Sign {origin, size, root, at} with the examiner's key."""
    sig = signer.sign(checkpoint_body(origin, size, root, at))
    return SignedCheckpoint(origin, size, root, at, signer.key_id, sig)


def checkpoint_signature_ok(cp: SignedCheckpoint, public_key_hex: str) -> bool:
    """True if the checkpoint's signature verifies under the key."""
    return verify_signature(
        public_key_hex, checkpoint_body(cp.origin, cp.size, cp.root, cp.at), cp.signature
    )

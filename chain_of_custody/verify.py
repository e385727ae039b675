"""Verification of a whole case: ledger, signatures, checkpoints, items and every blob.

Each failure names the entry (seq) or the item (id and SHA-256) concerned. Verification
never stops at the first failure: the examiner sees the whole damage at once.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db, ledger, merkle, trust, witness
from chain_of_custody.canonical import GENESIS_PREV, entry_hash
from chain_of_custody.case import Case
from chain_of_custody.keys import Signer, key_id_of, verify_signature
from chain_of_custody.ledger import Entry, NewEntry
from chain_of_custody.models import Extraction, IngestRun
from chain_of_custody.verify_records import verify_records
from chain_of_custody.verify_rows import verify_rows

T_RUN = IngestRun.__table__  # type: ignore[attr-defined]
T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]
ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Failure:
    """One thing that did not verify."""

    # entry | signature | chain | checkpoint | item | blob | examiner | witness | row | record
    # | untrusted_key (a signer the acting examiner's data folder does not trust: trust.py)
    kind: str
    subject: str
    message: str
    seq: int | None = None


@dataclass
class VerifyReport:
    """The outcome of ``verify_case``; ``ok`` only if no failure was found."""

    entries: int = 0
    signatures: int = 0
    checkpoints: int = 0
    witnessed_checkpoints: int = 0  # checked against witness.py's records
    extractions: int = 0  # whose record roots were recomputed (verify_records.py)
    records: int = 0  # record rows read for that
    items: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # reported, not failures (--allow-untrusted)
    # Every entry but item.acquired (kept in ``acquired``), by action, in seq order: what
    # the row and record checks compare the database with.
    by_action: dict[str, list[Entry]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, kind: str, subject: str, message: str, seq: int | None = None) -> None:
        self.failures.append(Failure(kind, subject, message, seq))

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": {
                "entries": self.entries,
                "signatures": self.signatures,
                "checkpoints": self.checkpoints,
                "witnessed_checkpoints": self.witnessed_checkpoints,
                "extractions": self.extractions,
                "records": self.records,
                "items": self.items,
                "blobs": self.blobs,
                "blob_bytes": self.blob_bytes,
            },
            "failures": [asdict(f) for f in self.failures],
            "notes": list(self.notes),
        }


def verify_case(
    case: Case,
    progress: ProgressFn | None = None,
    *,
    blobs: bool = True,
    allow_untrusted: bool = False,
) -> VerifyReport:
    """Check everything that can be checked in a case (DESIGN.md §4, last bullet).

    ``blobs=False`` leaves out re-hashing the store (the export hashes what it copies).
    Signers must be trusted by the acting examiner's data folder (``trust.check_case``);
    with ``allow_untrusted`` an untrusted signer is a note, not a failure.
    """
    report = VerifyReport()
    with db.read_connection(case.engine) as conn:
        keys, tree, acquired = _verify_entries(
            ledger.iter_entries(conn, case.case_id), case.case_id, report
        )
        _verify_checkpoints(conn, case, keys, tree, report)
        # Rollback, truncation, fork: the ledger must extend every checkpoint witnessed.
        report.witnessed_checkpoints, problems = witness.check(conn, case.case_id, keys, tree)
        for p in problems:
            report.fail("witness", p.subject, p.message)
        trust.check_case(conn, case.case_id, keys, report, allow_untrusted)  # examiner, key
        verify_rows(conn, case, acquired, report)  # every shown row vs its entry (kind row)
        verify_records(conn, case, report)  # record roots from the rows now (kind record)
    if blobs:
        _verify_blobs(case, acquired, report, progress)
    return report


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def record_verification(case: Case, signer: Signer, report: VerifyReport) -> None:
    """Record a ``verify.run`` entry with the outcome (the CLI and the GUI both call this)."""
    case.record(
        signer,
        [
            NewEntry(
                "verify.run",
                case.case_id,
                {
                    "result": "passed" if report.ok else "failed",
                    "entries": report.entries,
                    "items": report.items,
                    "blobs": report.blobs,
                    "blob_bytes": report.blob_bytes,
                    "failures": len(report.failures),
                },
            )
        ],
    )


def _verify_entries(
    entries: Iterator[Entry], case_id: str, report: VerifyReport
) -> tuple[dict[str, str], merkle.MerkleTree, dict[str, dict[str, Any]]]:
    keys: dict[str, str] = {}
    tree = merkle.MerkleTree()
    acquired: dict[str, dict[str, Any]] = {}  # item_id -> entry data (+seq)
    expected_prev = GENESIS_PREV
    expected_seq = 0
    for e in entries:
        report.entries += 1
        where = f"entry {e.seq} ({e.action})"
        # 1. sequence and case
        if e.seq != expected_seq:
            report.fail("chain", where, f"expected seq {expected_seq}, found {e.seq}", e.seq)
        if e.case != case_id:
            report.fail("entry", where, f"belongs to case {e.case}", e.seq)
        # 2. hash chain
        if e.prev != expected_prev:
            report.fail("chain", where, "prev does not match the previous entry's hash", e.seq)
        # 3. entry hash over the canonical fields
        recomputed = entry_hash(e.signed_fields()).hex()
        if recomputed != e.entry_hash:
            report.fail("entry", where, "content does not match its entry hash (altered)", e.seq)
        # 4. signature by the actor's recorded key
        _learn_key(e, keys, report, where)
        pub_key = keys.get(e.actor)
        if pub_key is None:
            report.fail("signature", where, f"actor {e.actor} has no recorded key", e.seq)
        elif not verify_signature(pub_key, bytes.fromhex(recomputed), e.signature):
            report.fail("signature", where, f"signature by {e.actor} does not verify", e.seq)
        else:
            report.signatures += 1
        if e.action == "item.acquired":
            item = {**e.data, "seq": e.seq, "at": e.at, "actor": e.actor}
            acquired[str(e.data.get("item_id"))] = item
        else:
            report.by_action.setdefault(e.action, []).append(e)
        tree.append(bytes.fromhex(e.entry_hash) if _is_hex64(e.entry_hash) else bytes(32))
        expected_prev = e.entry_hash
        expected_seq = e.seq + 1
    if report.entries == 0:
        report.fail("chain", "ledger", "the ledger is empty")
    return keys, tree, acquired


def _learn_key(e: Entry, keys: dict[str, str], report: VerifyReport, where: str) -> None:
    """Keys come only from the ledger: the creator's in case.created, others in examiner.added."""
    if e.action == "case.created" and e.seq == 0:
        creator = e.data.get("examiner")
        pub = str(creator.get("public_key", "")) if isinstance(creator, dict) else ""
        key_id = e.actor
    elif e.action == "examiner.added":
        pub, key_id = str(e.data.get("public_key", "")), e.subject
    else:
        return
    if key_id in keys:
        return
    if _safe_key_id(pub) == key_id:
        keys[key_id] = pub
    else:
        report.fail("examiner", where, "public key does not match its key id", e.seq)


def _safe_key_id(pub: str) -> str | None:
    try:
        return key_id_of(bytes.fromhex(pub))
    except ValueError:
        return None


def _is_hex64(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _verify_checkpoints(
    conn: sa.Connection,
    case: Case,
    keys: dict[str, str],
    tree: merkle.MerkleTree,
    report: VerifyReport,
) -> None:
    origin = ledger.origin_of(case.case_id)
    for cp in ledger.list_checkpoints(conn, case.case_id):
        report.checkpoints += 1
        where = f"checkpoint size {cp.size} at {cp.at}"
        pub = keys.get(cp.key_id)
        if cp.origin != origin:
            report.fail("checkpoint", where, f"origin {cp.origin!r} is not this case's")
        if pub is None or not ledger.checkpoint_signature_ok(cp, pub):
            report.fail("checkpoint", where, "signature does not verify")
        if cp.size > tree.size or tree.root(cp.size).hex() != cp.root:
            report.fail("checkpoint", where, "root does not match the ledger (history rewritten?)")


def _rehash(path: os.PathLike[str]) -> tuple[str, int]:
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        return hashlib.file_digest(f, "sha256").hexdigest(), st.st_mode


def _verify_blobs(
    case: Case,
    acquired: dict[str, dict[str, Any]],
    report: VerifyReport,
    progress: ProgressFn | None,
) -> None:
    wanted: dict[str, dict[str, Any]] = {}
    for data in acquired.values():
        wanted.setdefault(str(data.get("sha256")), data)
    total = len(wanted)

    def check(sha: str) -> tuple[str, str | None, int]:
        path = case.store.blob_path(sha)
        try:
            digest, mode = _rehash(path)
        except FileNotFoundError:
            return sha, "missing from the store", 0
        except OSError as exc:
            return sha, f"unreadable: {exc.strerror}", 0
        if digest != sha:
            return sha, f"content changed: now hashes to {digest}", 0
        if mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return sha, "is writable (should be read-only 0444)", 0
        return sha, None, int(wanted[sha].get("size", 0))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for done, (sha, problem, size) in enumerate(pool.map(check, sorted(wanted)), 1):
            data = wanted[sha]
            if problem is None:
                report.blobs += 1
                report.blob_bytes += size
            else:
                report.fail(
                    "blob",
                    f"item {data.get('item_id')} ({data.get('name')}) {sha}",
                    problem,
                    data.get("seq"),
                )
            if progress is not None:
                progress("blobs", done, total)
    for sha in case.store.iter_blob_hashes():
        if sha not in wanted:
            report.fail("blob", f"blob {sha}", "in the store but never acquired in the ledger")

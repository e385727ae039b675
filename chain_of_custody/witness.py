"""Witnessed checkpoints: the ledger heads a case had, recorded outside the case folder.

A signed, hash-chained ledger proves that nothing inside it was altered, but not that it is
the newest copy: an older consistent copy of a case folder, or one whose last entries were
cut together with their checkpoint rows, verifies on its own. Certificate Transparency
answers this with witnesses that keep the tree heads they have seen; here every command that
changes a case ends with a signed checkpoint (``Case.make_checkpoint``) that is recorded

- in the acting examiner's data folder: ``<data folder>/witness/<case id>.jsonl``, one JSON
  line per checkpoint, appended and fsynced (``EWS_WITNESS_DIR`` names another folder, for
  example a unit share that each workstation appends to);
- on PostgreSQL, in the ``witness`` table as well: the workstation only ever INSERTs into it
  and a trigger refuses UPDATE, DELETE and TRUNCATE (migration 0007).

``ews verify`` then requires the ledger to extend every witnessed checkpoint of the case: at
least as many entries, the same Merkle root over the first ``size`` of them (and over the
head once the ``checkpoint`` entry itself was appended), and a checkpoint signature that
verifies under a key of the case. Witnessing adds no ledger entry beyond the checkpoint.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chain_of_custody import keys, ledger, merkle
from chain_of_custody.canonical import format_time, utc_now
from chain_of_custody.errors import CaseError
from chain_of_custody.models import WitnessRow

if TYPE_CHECKING:
    from chain_of_custody.case import Case
    from chain_of_custody.keys import Signer

T_WITNESS = WitnessRow.__table__  # type: ignore[attr-defined]
FORMAT = "evidence-workstation/witness/1"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Witnessed:
    """One witnessed checkpoint: the signed {origin, size, root, at} and what recorded it."""

    origin: str
    size: int
    root: str
    at: str
    key_id: str
    signature: str
    head_size: int  # the ledger once the ``checkpoint`` entry was appended
    head_root: str
    entry_hash: str  # that ``checkpoint`` entry, with its signature
    entry_signature: str
    witnessed_at: str
    examiner_key_id: str
    examiner_initials: str
    examiner_name: str
    case_folder: str
    database: str

    def checkpoint(self) -> ledger.SignedCheckpoint:
        return ledger.SignedCheckpoint(
            self.origin, self.size, self.root, self.at, self.key_id, self.signature
        )

    def describe(self) -> str:
        """'checkpoint size 12 (root 3f2a…), witnessed 2026-… by Jane Smith (JS)'."""
        return (
            f"checkpoint size {self.size} (root {self.root[:16]}…), witnessed "
            f"{self.witnessed_at} by {self.examiner_name} ({self.examiner_initials})"
        )

    def identity(self) -> tuple[int, str, str, int]:
        return (self.size, self.root, self.signature, self.head_size)


def witness_dir() -> Path:
    """Where this examiner's witness files are kept (``EWS_WITNESS_DIR`` overrides it)."""
    override = os.environ.get("EWS_WITNESS_DIR")
    return Path(override) if override else keys.data_dir() / "witness"


def witness_file(case_id: str) -> Path:
    """The append-only file of the checkpoints witnessed for one case."""
    return witness_dir() / f"{case_id}.jsonl"


# --- recording ---------------------------------------------------------------------------


def make_record(
    case: Case,
    signer: Signer,
    cp: ledger.SignedCheckpoint,
    entry: ledger.Entry,
    head: merkle.MerkleTree,
) -> Witnessed:
    """What is witnessed for checkpoint ``cp``, recorded by ``entry`` (``head`` includes it)."""
    ident = signer.identity
    return Witnessed(
        origin=cp.origin,
        size=cp.size,
        root=cp.root,
        at=cp.at,
        key_id=cp.key_id,
        signature=cp.signature,
        head_size=head.size,
        head_root=head.root().hex(),
        entry_hash=entry.entry_hash,
        entry_signature=entry.signature,
        witnessed_at=format_time(utc_now()),
        examiner_key_id=signer.key_id,
        examiner_initials=ident.initials,
        examiner_name=ident.name,
        case_folder=str(case.folder.resolve()),
        database=case.engine.dialect.name,
    )


def insert_row(conn: Connection, case_id: str, record: Witnessed) -> None:
    """On PostgreSQL, add the record to the unit's insert-only table (same transaction)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.insert(T_WITNESS), {"case_id": case_id, **asdict(record)})


def append_to_file(case_id: str, record: Witnessed) -> None:
    """Append the record to the examiner's witness file and fsync it.

    Raises:
        CaseError: when the witness folder cannot be written.
    """
    path = witness_file(case_id)
    line = json.dumps(
        {"format": FORMAT, "case_id": case_id, **asdict(record)},
        sort_keys=True,
        ensure_ascii=False,
    )
    try:
        created = not path.parent.exists()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _lock(fd)
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(path.parent)
    except OSError as exc:
        raise CaseError(
            f"the checkpoint is recorded in the case but could not be witnessed in {path}: "
            f"{exc.strerror or exc}"
        ) from exc


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover (Windows: appends are serialised by the OS)
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover (Windows cannot open folders)
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_active = threading.local()


def witnessed(
    fn: Callable[Concatenate[Case, Signer, P], R],
) -> Callable[Concatenate[Case, Signer, P], R]:
    """Make a command that changes a case end with one witnessed checkpoint.

    Put on the core function the CLI and the GUI both call (``fn(case, signer, ...)``). A
    nested call (one such function calling another) checkpoints once, at the outer end; a
    function that raises checkpoints nothing (an interrupted ingest is witnessed when it is
    resumed and completes).
    """

    @functools.wraps(fn)
    def wrapper(case: Case, signer: Signer, /, *args: P.args, **kwargs: P.kwargs) -> R:
        running: set[int] = _active.__dict__.setdefault("cases", set())
        if id(case) in running:
            return fn(case, signer, *args, **kwargs)
        running.add(id(case))
        try:
            result = fn(case, signer, *args, **kwargs)
        finally:
            running.discard(id(case))
        case.make_checkpoint(signer)
        return result

    return wrapper


# --- checking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A witnessed checkpoint the ledger does not extend (``ews verify`` kind ``witness``)."""

    subject: str
    message: str


def _from_mapping(data: dict[str, Any]) -> Witnessed:
    fields = Witnessed.__dataclass_fields__
    values = {name: data[name] for name in fields}
    for name in ("size", "head_size"):
        if not isinstance(values[name], int) or isinstance(values[name], bool):
            raise ValueError(f"{name} is not an integer")
    for name in fields:
        if name not in ("size", "head_size") and not isinstance(values[name], str):
            raise ValueError(f"{name} is not a string")
    return Witnessed(**values)


def read_file(case_id: str) -> tuple[list[Witnessed], list[Problem]]:
    """The records of this case in the witness file, and its unreadable lines."""
    path = witness_file(case_id)
    records: list[Witnessed] = []
    problems: list[Problem] = []
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return records, problems
    except OSError as exc:
        return records, [Problem(f"witness file {path}", f"unreadable: {exc.strerror}")]
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or data.get("case_id") != case_id:
                raise ValueError("not a witnessed checkpoint of this case")
            records.append(_from_mapping(data))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            problems.append(
                Problem(f"witness file {path} line {number}", f"unreadable record: {exc}")
            )
    return records, problems


def read_table(conn: Connection, case_id: str) -> list[Witnessed]:
    """The records of this case in the unit's table (PostgreSQL only; SQLite's stays empty)."""
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(
        sa.select(T_WITNESS).where(T_WITNESS.c.case_id == case_id).order_by(T_WITNESS.c.id)
    ).mappings()
    names = Witnessed.__dataclass_fields__
    return [Witnessed(**{n: row[n] for n in names}) for row in rows]


def check(
    conn: Connection, case_id: str, case_keys: dict[str, str], tree: merkle.MerkleTree
) -> tuple[int, list[Problem]]:
    """Check every witnessed checkpoint of the case against its ledger (``tree``).

    ``case_keys``: the examiners' public keys by key id, as the ledger states them. Returns
    how many distinct witnessed checkpoints were checked and what failed.
    """
    from_file, problems = read_file(case_id)
    from_table = read_table(conn, case_id)
    origin = ledger.origin_of(case_id)
    seen: set[tuple[int, str, str, int]] = set()
    where_of = {
        **{w.identity(): "in the unit's witness table" for w in from_table},
        **{w.identity(): f"in {witness_file(case_id)}" for w in from_file},
    }
    for w in [*from_file, *from_table]:
        if w.identity() in seen:
            continue
        seen.add(w.identity())
        subject = f"{w.describe()} {where_of[w.identity()]}"
        problems.extend(Problem(subject, m) for m in _check_one(w, origin, case_keys, tree))
    return len(seen), problems


def _check_one(
    w: Witnessed, origin: str, case_keys: dict[str, str], tree: merkle.MerkleTree
) -> Iterator[str]:
    if w.origin != origin:
        yield f"origin {w.origin!r} is not this case's"
    public_key = case_keys.get(w.key_id)
    if public_key is None:
        yield f"signed by key {w.key_id}, which is not an examiner of this case's ledger"
    elif not ledger.checkpoint_signature_ok(w.checkpoint(), public_key):
        yield f"its signature by {w.key_id} does not verify"
    if tree.size < w.size:
        yield (
            f"the ledger holds only {tree.size} entries, fewer than the {w.size} witnessed: "
            "an older copy of the case, or its last entries removed"
        )
        return
    if tree.root(w.size).hex() != w.root:
        yield (
            f"the ledger's first {w.size} entries have root {tree.root(w.size).hex()[:16]}…, "
            "not the witnessed one: its history was rewritten (a fork)"
        )
        return
    if tree.size < w.head_size:
        yield (
            f"the ledger holds only {tree.size} entries, but the checkpoint entry {w.size} "
            f"that recorded it was witnessed (head size {w.head_size}): its last entries "
            "were removed"
        )
    elif w.head_size > 0 and tree.root(w.head_size).hex() != w.head_root:
        yield (
            f"the ledger's first {w.head_size} entries do not end with the witnessed "
            "checkpoint entry: its history was rewritten (a fork)"
        )

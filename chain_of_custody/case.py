"""The Case facade: one case folder, its store, its database and its ledger."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from chain_of_custody import __version__ as _pkg_version
from chain_of_custody import db, ledger, witness
from chain_of_custody.acquire import Acquisition
from chain_of_custody.canonical import format_time, utc_now
from chain_of_custody.errors import CaseError, CheckpointConflict, LedgerError
from chain_of_custody.keys import ExaminerIdentity, Signer
from chain_of_custody.ledger import Entry, NewEntry, SignedCheckpoint
from chain_of_custody.models import Blob, CaseInfo, Examiner, Item, ItemWarning
from chain_of_custody.store import BlobStore, RecoveryReport

CASE_FILE = "case.json"
CASE_FORMAT = "evidence-workstation/case/1"
TOOL = f"evidence-workstation {_pkg_version}"

T_ITEM = Item.__table__  # type: ignore[attr-defined]
T_BLOB = Blob.__table__  # type: ignore[attr-defined]
T_WARN = ItemWarning.__table__  # type: ignore[attr-defined]
T_EXAMINER = Examiner.__table__  # type: ignore[attr-defined]
T_CASE = CaseInfo.__table__  # type: ignore[attr-defined]

RowWriter = Callable[[Connection, list[Entry]], None]


@dataclass(frozen=True)
class ItemWarningNote:
    """A warning about an item, to be recorded in the ledger and shown with the item."""

    item_id: str
    item_sha256: str
    origin: str
    text: str
    extra: Mapping[str, Any] | None = None


def sqlite_url(folder: Path) -> str:
    """The default database of a case: SQLite in the case folder."""
    return f"sqlite:///{(folder / 'case.sqlite').resolve()}"


class Case:
    """An open case. Use ``Case.create`` or ``Case.open``; close with ``close()``."""

    def __init__(self, folder: Path, case_id: str, engine: Engine, db_url: str) -> None:
        self.folder = folder
        self.case_id = case_id
        self.engine = engine
        self.db_url = db_url
        self.store = BlobStore(folder / "store")
        self._held = threading.local()  # a write connection held by this thread, if any
        self._known_examiners: set[str] = set()  # key ids seen committed in the database
        self.warnings: list[str] = []  # found while opening (e.g. files set aside by recover)

    # --- life cycle --------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        folder: Path,
        *,
        urn: str,
        title: str,
        signer: Signer,
        db_url: str | None = None,
        tz: str = "Europe/London",
    ) -> Case:
        """Create a case folder, its database and its first ledger entries.

        Raises:
            CaseError: if the folder already holds a case or is not empty.
        """
        if (folder / CASE_FILE).exists():
            raise CaseError(f"{folder} already holds a case")
        if folder.exists() and any(folder.iterdir()):
            raise CaseError(f"{folder} exists and is not empty")
        if not urn.strip() or not title.strip():
            raise CaseError("a case needs a URN and a title")
        folder.mkdir(parents=True, exist_ok=True)
        url = db_url or sqlite_url(folder)
        engine = db.make_engine(url)
        db.upgrade_schema(engine)
        case = cls(folder, str(uuid.uuid4()), engine, url)
        case.store.create_layout()
        now = format_time(utc_now())
        ident = signer.identity
        with db.write_transaction(engine, case.case_id) as conn:
            conn.execute(
                sa.insert(T_CASE),
                {
                    "id": case.case_id,
                    "urn": urn.strip(),
                    "title": title.strip(),
                    "created_at": now,
                    "tz": tz,
                },
            )
            entries = ledger.append_entries(
                conn,
                case.case_id,
                signer,
                [
                    NewEntry(
                        "case.created",
                        case.case_id,
                        {
                            "urn": urn.strip(),
                            "title": title.strip(),
                            "tz": tz,
                            "created_at": now,  # the case_info row's (verify_rows)
                            "tool": TOOL,
                            "database": engine.dialect.name,
                            # The creator's key is stated here so entry 0 can be checked on its own.
                            "examiner": {
                                "name": ident.name,
                                "initials": ident.initials,
                                "public_key": ident.public_key,
                            },
                        },
                    ),
                    _examiner_entry(ident),
                ],
            )
            _insert_examiner(conn, case.case_id, ident, entries[1].at)
        # case.json last: a folder without it is not a case, so a crash above can be retried.
        config: dict[str, Any] = {"format": CASE_FORMAT, "case_id": case.case_id, "urn": urn}
        if db_url:
            config["db"] = db_url
        (folder / CASE_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        case.make_checkpoint(signer)  # witnessed from the start (issue 12)
        return case

    @classmethod
    def open(cls, folder: Path, *, db_url: str | None = None, recover: bool = True) -> Case:
        """Open an existing case; finish the work of any writer that was killed.

        Raises:
            CaseError: if the folder is not a case.
        """
        config_path = folder / CASE_FILE
        if not config_path.exists():
            raise CaseError(f"{folder} is not a case folder (no {CASE_FILE}); use `ews init`")
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CaseError(f"{config_path}: unreadable case file: {exc}") from exc
        if config.get("format") != CASE_FORMAT:
            raise CaseError(f"{config_path}: unknown case format {config.get('format')!r}")
        url = db_url or config.get("db") or sqlite_url(folder)
        engine = db.make_engine(url)
        db.upgrade_schema(engine)
        case = cls(folder, config["case_id"], engine, url)
        with db.read_connection(engine) as conn:
            if (
                conn.execute(sa.select(T_CASE.c.id).where(T_CASE.c.id == case.case_id)).first()
                is None
            ):
                raise CaseError(f"case {case.case_id} is not in the database {engine.url!r}")
        if recover:
            case.recover()
        return case

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def holding_connection(self) -> Iterator[None]:
        """Run this thread's write transactions on one connection until the block ends.

        For phases of many transactions (an ingest): one connection instead of one per
        transaction. On SQLite it also stops each transaction's closing connection, when it
        is the last one open, from checkpointing the whole WAL into the database file (an
        fsync each). Nested use keeps the outer connection.
        """
        if getattr(self._held, "conn", None) is not None:
            yield
            return
        with db.write_connection(self.engine) as conn:
            self._held.conn = conn
            try:
                yield
            finally:
                self._held.conn = None

    def _write(self) -> AbstractContextManager[Connection]:
        return db.write_transaction(self.engine, self.case_id, getattr(self._held, "conn", None))

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def recover(self) -> RecoveryReport:
        """Finish blobs whose entries were committed; drop copies never recorded."""
        self.store.create_layout()
        with db.read_connection(self.engine) as conn:

            def is_recorded(sha256: str) -> bool:
                q = sa.select(T_BLOB.c.sha256).where(
                    T_BLOB.c.case_id == self.case_id, T_BLOB.c.sha256 == sha256
                )
                return conn.execute(q).first() is not None

            report = self.store.recover(is_recorded)
        self.warnings.extend(report.set_aside)  # shown by the CLI and GUI; the case opens
        return report

    # --- facts -------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """URN, title, time zone and creation time of the case."""
        with db.read_connection(self.engine) as conn:
            row = conn.execute(sa.select(T_CASE).where(T_CASE.c.id == self.case_id)).one()
        return {
            "case_id": row.id,
            "urn": row.urn,
            "title": row.title,
            "created_at": row.created_at,
            "tz": row.tz,
        }

    def examiners(self) -> dict[str, ExaminerIdentity]:
        """The examiners recorded in the case, by key id."""
        with db.read_connection(self.engine) as conn:
            rows = conn.execute(
                sa.select(T_EXAMINER).where(T_EXAMINER.c.case_id == self.case_id)
            ).all()
        return {r.key_id: ExaminerIdentity(r.name, r.initials, r.public_key) for r in rows}

    def ledger_size(self) -> int:
        """How many entries the ledger holds (one indexed query)."""
        with db.read_connection(self.engine) as conn:
            return ledger.last_entry(conn, self.case_id)[0] + 1

    def ledger_entries(self) -> Iterator[Entry]:
        """Every ledger entry in order."""
        with db.read_connection(self.engine) as conn:
            yield from ledger.iter_entries(conn, self.case_id)

    # --- writing -----------------------------------------------------------------------

    def record(
        self,
        signer: Signer,
        entries: Sequence[NewEntry],
        write_rows: RowWriter | None = None,
    ) -> list[Entry]:
        """Append entries (and the rows they justify) in one serialised transaction."""
        with self._write() as conn:
            self._ensure_examiner(conn, signer)
            made = ledger.append_entries(conn, self.case_id, signer, entries)
            if write_rows is not None:
                write_rows(conn, made)
        return made

    def _ensure_examiner(self, conn: Connection, signer: Signer) -> None:
        """Refuse a signer who is not an examiner of the case: nobody is added silently (an
        examiner of the case adds others with ``trust.add_examiner``, ``ews examiners add``).

        Examiners are never removed, so once seen committed a key needs no query again.

        Raises:
            CaseError: if the signer's key is not an examiner of the case.
        """
        if signer.key_id in self._known_examiners:
            return
        known = conn.execute(
            sa.select(T_EXAMINER.c.key_id).where(
                T_EXAMINER.c.case_id == self.case_id, T_EXAMINER.c.key_id == signer.key_id
            )
        ).first()
        if known is None:
            from chain_of_custody.trust import not_an_examiner

            raise not_an_examiner(signer.identity)
        self._known_examiners.add(signer.key_id)

    @contextmanager
    def writing(self, signer: Signer) -> Iterator[CaseWriter]:
        """One serialised write transaction: entries and the rows they justify commit together."""
        with self._write() as conn:
            self._ensure_examiner(conn, signer)
            yield CaseWriter(self, conn, signer)

    def record_acquisitions(
        self,
        signer: Signer,
        acquisitions: Sequence[Acquisition],
        notes: Sequence[ItemWarningNote] = (),
        extra: Sequence[NewEntry] = (),
        place_blobs: bool = True,
    ) -> list[Entry]:
        """Record staged items (and warnings) in one transaction, then place their blobs.

        The blobs are moved into the store proper only after the commit, so a crash leaves
        either both the entry and (recoverably) the blob, or neither. With
        ``place_blobs=False`` the caller must call ``store.finalise`` itself (e.g. on a
        background thread); until then the blobs are safe in ``pending/``.
        """
        with self.writing(signer) as writer:
            made = writer.add_acquisitions(acquisitions)
            made += writer.add_warnings(notes)
            made += writer.append(extra)
        if place_blobs:
            self.store.finalise(a.staged for a in acquisitions)
        return made

    def make_checkpoint(self, signer: Signer) -> SignedCheckpoint:
        """Sign the current ledger head, store it, record a ``checkpoint`` entry, and witness
        it outside the case folder (``witness.py``: the examiner's data folder and, on
        PostgreSQL, the unit's insert-only table). Every command that changes a case ends here.

        Raises:
            CheckpointConflict: if the head contradicts an earlier checkpoint.
            CaseError: if the examiner's witness file cannot be written.
        """
        with self._write() as conn:
            self._ensure_examiner(conn, signer)
            tree = ledger.tree_of(conn, self.case_id)
            if tree.size == 0:
                raise LedgerError("the ledger is empty")
            origin = ledger.origin_of(self.case_id)
            cp = ledger.sign_checkpoint(
                signer, origin, tree.size, tree.root().hex(), format_time(utc_now())
            )
            ledger.add_checkpoint(conn, self.case_id, cp, tree)
            (entry,) = ledger.append_entries(
                conn,
                self.case_id,
                signer,
                [
                    NewEntry(
                        "checkpoint",
                        origin,
                        {
                            "size": cp.size,
                            "root": cp.root,
                            "signature": cp.signature,
                            "key_id": cp.key_id,
                            "at": cp.at,  # the checkpoint row's (verify_rows)
                        },
                    )
                ],
            )
            tree.append(bytes.fromhex(entry.entry_hash))
            record = witness.make_record(self, signer, cp, entry, tree)
            witness.insert_row(conn, self.case_id, record)
        # After the commit: a witness must never name a checkpoint the case does not hold.
        witness.append_to_file(self.case_id, record)
        return cp

    def import_checkpoint(self, cp: SignedCheckpoint) -> None:
        """Store a checkpoint made elsewhere (e.g. from an earlier bundle) after checking it.

        Raises:
            CheckpointConflict: if it contradicts this ledger or an earlier checkpoint.
        """
        public_key = {k: e.public_key for k, e in self.examiners().items()}.get(cp.key_id)
        if public_key is None or not ledger.checkpoint_signature_ok(cp, public_key):
            raise CheckpointConflict(
                f"checkpoint of size {cp.size}: signature by {cp.key_id} does not verify "
                "against any examiner of this case"
            )
        with self._write() as conn:
            ledger.add_checkpoint(conn, self.case_id, cp, ledger.tree_of(conn, self.case_id))


def _examiner_entry(ident: ExaminerIdentity) -> NewEntry:
    return NewEntry(
        "examiner.added",
        ident.key_id,
        {
            "name": ident.name,
            "initials": ident.initials,
            "public_key": ident.public_key,
            "algorithm": "Ed25519",
        },
    )


def _insert_examiner(conn: Connection, case_id: str, ident: ExaminerIdentity, at: str) -> None:
    conn.execute(
        sa.insert(T_EXAMINER),
        {
            "case_id": case_id,
            "key_id": ident.key_id,
            "name": ident.name,
            "initials": ident.initials,
            "public_key": ident.public_key,
            "added_at": at,
        },
    )


def _warning_entry(note: ItemWarningNote) -> NewEntry:
    data: dict[str, Any] = {"item_id": note.item_id, "origin": note.origin, "text": note.text}
    if note.extra:
        data.update(note.extra)
    return NewEntry("item.warning", note.item_sha256, data)


def _item_row(case_id: str, a: Acquisition, entry: Entry) -> dict[str, Any]:
    return {
        "id": a.item_id,
        "case_id": case_id,
        "sha256": a.staged.sha256,
        "size": a.staged.size,
        "mime": a.mime,
        "name": a.name,
        "path": a.path,
        "parent_id": a.parent_id,
        "parent_sha256": a.parent_sha256,
        "member": a.member,
        "member_index": a.member_index,
        "member_modified_local": a.member_modified_local,
        "modified_at": a.times.modified_at,
        "changed_at": a.times.changed_at,
        "accessed_at": a.times.accessed_at,
        "acquired_at": entry.at,
        "acquired_by": entry.actor,
        "source": a.source,
        "reason": a.reason,
        "run_id": a.run_id,
        "ledger_seq": entry.seq,
        "device_path": a.device_path,
        "derived_from": a.derivation.original_id if a.derivation else None,
        "derived_method": a.derivation.method if a.derivation else None,
    }


class CaseWriter:
    """Appends entries and inserts rows inside one ``Case.writing`` transaction."""

    def __init__(self, case: Case, conn: Connection, signer: Signer) -> None:
        self.case = case
        self.conn = conn
        self.signer = signer

    def append(self, entries: Sequence[NewEntry]) -> list[Entry]:
        """Append signed, chained entries."""
        if not entries:
            return []
        return ledger.append_entries(self.conn, self.case.case_id, self.signer, entries)

    def add_acquisitions(self, acquisitions: Sequence[Acquisition]) -> list[Entry]:
        """``item.acquired`` entries plus the blob and item rows (blobs stay pending)."""
        if not acquisitions:
            return []
        made = self.append(
            [
                NewEntry("item.acquired", a.staged.sha256, a.ledger_data(self.signer.key_id, TOOL))
                for a in acquisitions
            ]
        )
        rows = {
            a.staged.sha256: {
                "case_id": self.case.case_id,
                "sha256": a.staged.sha256,
                "size": a.staged.size,
                "mime": a.mime,
            }
            for a in acquisitions
        }
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(T_BLOB).on_conflict_do_nothing(index_elements=["case_id", "sha256"])
        self.conn.execute(stmt, list(rows.values()))
        self.conn.execute(
            sa.insert(T_ITEM),
            [_item_row(self.case.case_id, a, e) for a, e in zip(acquisitions, made, strict=True)],
        )
        # A derived item's origin and method, after its item.acquired (issue 13 and 15).
        derived = [a for a in acquisitions if a.derivation is not None]
        made += self.append(
            [NewEntry("item.derived", a.staged.sha256, a.derived_data()) for a in derived]
        )
        return made

    def add_warnings(self, notes: Sequence[ItemWarningNote]) -> list[Entry]:
        """``item.warning`` entries plus the rows shown with each item."""
        made = self.append([_warning_entry(n) for n in notes])
        if notes:
            self.conn.execute(
                sa.insert(T_WARN),
                [
                    {"item_id": n.item_id, "origin": n.origin, "text": n.text, "ledger_seq": e.seq}
                    for n, e in zip(notes, made, strict=True)
                ],
            )
        return made

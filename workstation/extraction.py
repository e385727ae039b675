"""Running extractors over acquired items and recording what they found.

For each item and each extractor whose sniff accepts it, the database gets: the record
rows (inserted in chunks as the generator yields them), any embedded files acquired as
child items, the warnings, an ``extraction`` row and one ``item.extracted`` entry with the
Merkle root of the canonical records. An extractor that crashes part-way keeps what it
yielded: the entry says ``status: failed`` and the error is a warning on the item.
Small extractions share a write transaction (``WriteBatch``: one commit for up to 64 of
them); a big item has its own. A crash loses only the uncommitted batch, which a resumed
ingest extracts again.

The work is split over two processes where there are two cores: a large item, or a page
of several items, is extracted in a forked worker (``workstation.extract_worker``) that
runs the extractor and builds the rows (``item_batches``); this process hashes each
record's canonical JSON into the Merkle root and inserts the rows (``Recorder``), in the
order the extractor yielded them, so both ways give the same rows and roots.
"""

from __future__ import annotations

import gc
import hashlib
import json
import operator
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Any, BinaryIO

import sqlalchemy as sa

from chain_of_custody import db, merkle
from chain_of_custody.acquire import Acquisition, mime_of
from chain_of_custody.case import T_ITEM, Case, CaseWriter, ItemWarningNote
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from chain_of_custody.models import (
    AccountRecord,
    CallRecord,
    Extraction,
    ImageMetaRecord,
    MessageRecord,
    RecordLeaf,
)
from extractors import registry
from extractors.base import Context, Extractor, Sibling, Source, environment_secrets
from extractors.errors import ExtractionCancelled
from extractors.records import (
    Account,
    Call,
    DerivedFile,
    ExtractWarning,
    ImageMeta,
    Message,
    Record,
    canonical_from_values,
    canonical_json,
    field_names,
    flat_values,
)
from extractors.timeutil import sort_key
from workstation.extract_worker import (
    WORKER_MIN_BYTES,
    ExtractorFailed,
    JobWorker,
    run_in_worker,
    use_worker,
    workers_allowed,
)

T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]
T_LEAF = RecordLeaf.__table__  # type: ignore[attr-defined]
TABLES: dict[type[Record], Any] = {
    Account: AccountRecord.__table__,  # type: ignore[attr-defined]
    Message: MessageRecord.__table__,  # type: ignore[attr-defined]
    Call: CallRecord.__table__,  # type: ignore[attr-defined]
    ImageMeta: ImageMetaRecord.__table__,  # type: ignore[attr-defined]
}
#: Records per batch: rows go to the database one executemany per table and batch.
BATCH_RECORDS = 1000
_JSON_LISTS = {
    "recipients",
    "flags",
    "attachments",
    "screenshot_evidence",
    "received_chain",
    "reactions",
    "shares",
}


@dataclass
class ExtractionSummary:
    """Counts over a whole extraction phase."""

    items: int = 0
    extractions: int = 0
    records: int = 0
    warnings: list[str] = field(default_factory=list)
    derived: int = 0


class _Table:
    """One record table for one extraction: its INSERT and how a record becomes a row tuple.

    Rows are tuples in column order, inserted with the driver's executemany: at hundreds of
    thousands of records per item, building a dict or compiling a statement per row costs
    more than parsing the evidence. A row holds the extraction's ids, the ordinal, the
    locator as columns, every record field with a table column (lists as JSON text) and the
    derived columns (``account_key``, ``sent_at_sort``).
    """

    def __init__(self, kind: type[Record], table: Any, base: dict[str, Any], dialect: str):
        columns = [c.name for c in table.columns if c.name != "id"]
        mark = "?" if dialect == "sqlite" else "%s"
        self.name: str = table.name
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join([mark] * len(columns))})"
        )
        # PostgreSQL: COPY, 2.2x faster than executemany for the same rows (200,000 message
        # rows: 2.9 s against 6.5 s, durable server on this project's machine).
        self.copy_sql = (
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            if dialect == "postgresql"
            else None
        )
        self.base = base
        self._base = (*base.values(),)
        names = field_names(kind)  # the order of flat_values; the locator first
        record_fields = [n for n in names[1:] if n in columns]
        derived = [n for n in _DERIVED if n in columns and issubclass(kind, _DERIVED[n])]
        if len(derived) > 1:
            raise TypeError(f"{kind.__name__}: more than one derived column")
        self.derived: Callable[[Any], tuple[Any, ...]] = (
            _DERIVED_VALUE[derived[0]] if derived else _no_derived
        )
        natural = [*base, "ordinal", *_LOCATOR_COLUMNS, *record_fields, *derived]
        missing = [c for c in columns if c not in natural]
        if missing:
            raise KeyError(f"{table.name}: no value for column(s) {', '.join(missing)}")
        self._fields = operator.itemgetter(*(names.index(n) for n in record_fields))
        self._lists = [i for i, n in enumerate(record_fields) if n in _JSON_LISTS]
        order = [natural.index(c) for c in columns]
        self._order = None if order == list(range(len(natural))) else operator.itemgetter(*order)
        self._no_nul = dialect == "postgresql"

    def insert(self, conn: sa.Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows (as ``row`` makes them) in the connection's open transaction."""
        if self.copy_sql is None:
            conn.exec_driver_sql(self.sql, rows)
            return
        driver: Any = conn.connection.driver_connection  # psycopg, in the same transaction
        with driver.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
            for row in rows:
                copy.write_row(row)

    def row(
        self, values: tuple[Any, ...], derived: tuple[Any, ...], ordinal: int
    ) -> tuple[Any, ...]:
        """The database row of a record given as ``flat_values``, in column order."""
        fields: Any = self._fields(values)
        if self._lists:
            fields = list(fields)
            for i in self._lists:
                fields[i] = _json_list(fields[i])
        row: tuple[Any, ...] = (*self._base, ordinal, *values[0], *fields, *derived)
        if self._order is not None:
            row = self._order(row)
        if self._no_nul:
            # PostgreSQL text cannot hold NUL; show it as U+2400 in the database view. The
            # record's canonical form (and the Merkle root in the ledger) keeps the NUL.
            row = tuple(v.replace("\x00", "\u2400") if isinstance(v, str) else v for v in row)
        return row


_LOCATOR_COLUMNS = ("loc_sha256", "loc_path", "loc_line", "loc_offset", "loc_pointer")
_DERIVED: dict[str, type[Record]] = {"account_key": Account, "sent_at_sort": Message}
#: The derived column values of a record (computed where the record is, in the worker).
_DERIVED_VALUE: dict[str, Callable[[Any], tuple[Any, ...]]] = {
    "account_key": lambda r: (r.key,),
    "sent_at_sort": lambda r: (sort_key(r.sent_at_utc),),
}


def _no_derived(_record: Any) -> tuple[Any, ...]:
    return ()


_EMPTY_LIST = "[]"


def _json_list(value: Any) -> str:
    """A list field as the database keeps it: ``json.dumps(list(value), ensure_ascii=False)``."""
    if not value:
        return _EMPTY_LIST
    if type(value) is tuple:
        try:  # strings (or str subclasses, which json.dumps writes the same way)
            return "[" + ", ".join(map(encode_basestring, value)) + "]"
        except TypeError:
            pass
    return json.dumps(list(value), ensure_ascii=False)


def record_tables(base: dict[str, Any], dialect: str) -> dict[type[Record], _Table]:
    """The tables of one extraction (``base``: case, extraction and item ids), by record type."""
    return {kind: _Table(kind, table, base, dialect) for kind, table in TABLES.items()}


#: A record on its way to the database: (type, flat_values, row) for the record types with
#: a table, the record itself for warnings and embedded files.
Item = tuple[type[Record], tuple[Any, ...], tuple[Any, ...]] | ExtractWarning | DerivedFile


def item_batches(
    records: Iterator[Record], tables: dict[type[Record], _Table], size: int = BATCH_RECORDS
) -> Iterator[list[Item]]:
    """The records as plain tuples with their database rows, in order, in lists of ``size``.

    This is all the extraction worker does besides running the extractor: tuples cross the
    pipe far more cheaply than dataclasses (a row shares its strings with the values, which
    pickle sends once), and the parent, which hashes and stores them, has its share of the
    work. When the extractor raises, the records before the failure are yielded as a last
    batch, then the exception propagates.
    """
    batch: list[Item] = []
    try:
        for ordinal, record in enumerate(records):
            kind = type(record)
            table = tables.get(kind)
            if table is not None:
                values = flat_values(record)
                batch.append((kind, values, table.row(values, table.derived(record), ordinal)))
            elif isinstance(record, ExtractWarning | DerivedFile):
                batch.append(record)
            else:
                raise TypeError(f"unknown record type {kind.__name__}")
            if len(batch) >= size:
                yield batch
                batch = []
    except ExtractionCancelled:
        raise
    except Exception:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


class Recorder:
    """The receiving end: Merkle leaves, rows by table and notes, for one extraction.

    ``take`` hashes each record's canonical JSON (in order: the leaves of the Merkle root)
    and queues its row; ``flush`` inserts the queued rows. After a failure part-way through
    a batch, what was taken before it is still consistent: leaves, rows and notes agree.

    The leaves no row gives back are queued for ``record_leaf`` (``ews verify`` rebuilds
    the root from the rows and these): warnings and embedded files, and on PostgreSQL a
    record whose row had NUL replaced (its canonical JSON then holds ``\\u0000``).
    """

    def __init__(self, tables: dict[type[Record], _Table]) -> None:
        self.tables = tables
        self.peaks = merkle.MerklePeaks()
        self.rows: dict[type[Record], list[tuple[Any, ...]]] = {kind: [] for kind in tables}
        self.notes: list[ExtractWarning | DerivedFile] = []
        self.leaves: list[dict[str, Any]] = []
        first = next(iter(tables.values()), None)
        self._base = {} if first is None else first.base
        self._nul = first is not None and first._no_nul

    def take(self, items: list[Item]) -> None:
        peaks, rows = self.peaks, self.rows
        sha256 = hashlib.sha256
        nul = self._nul
        for item in items:
            if type(item) is tuple:
                kind, values, row = item
                canonical = canonical_from_values(kind, values)
                if nul and b"\\u0000" in canonical:
                    self._leaf(peaks.size, "row", canonical)
                peaks.append(sha256(b"\x00" + canonical).digest())
                rows[kind].append(row)
            else:
                note: Any = item
                canonical = canonical_json(note)
                self._leaf(peaks.size, note.record_type, canonical)
                peaks.append(sha256(b"\x00" + canonical).digest())
                self.notes.append(note)

    def _leaf(self, ordinal: int, kind: str, canonical: bytes) -> None:
        self.leaves.append(
            {
                "case_id": self._base.get("case_id"),
                "extraction_id": self._base.get("extraction_id"),
                "ordinal": ordinal,
                "kind": kind,
                "canonical": canonical.decode("utf-8"),
            }
        )

    def flush(self, conn: sa.Connection) -> None:
        for kind, rows in self.rows.items():
            if rows:
                self.tables[kind].insert(conn, rows)
                rows.clear()
        if self.leaves:
            conn.execute(sa.insert(T_LEAF), self.leaves)
            self.leaves.clear()


def record_leaf(record: Record) -> bytes:
    """RFC 6962 leaf hash of the record's canonical JSON."""
    return merkle.leaf_hash(canonical_json(record))


def records_root(records: Iterator[Record]) -> tuple[str, int]:
    """Merkle root (hex) and count of a record sequence: what ``item.extracted`` states."""
    peaks = merkle.MerklePeaks()
    for record in records:
        peaks.append(record_leaf(record))
    return peaks.root().hex(), peaks.size


#: When a batch of small extractions is committed: whichever limit is reached first.
BATCH_MAX_RECORDS = 20_000
BATCH_MAX_EXTRACTIONS = 64
BATCH_MAX_SECONDS = 0.5


class WriteBatch:
    """Several small extractions in one write transaction: one commit (one fsync) for all.

    Each extraction keeps its own extraction row, ``item.extracted`` entry and Merkle root,
    exactly as when it commits alone; only the commit is shared. Files found embedded in
    them are staged until the commit and placed in the store after it. If anything escapes
    an extraction (a crash, a cancel), ``abort`` rolls back the whole batch: none of its
    extractions is recorded, and a resumed ingest runs them again (an item without its
    ``item.extracted`` entry is not extracted yet).
    """

    def __init__(self, case: Case, signer: Signer) -> None:
        self.case = case
        self.signer = signer
        self.items = 0
        self.records = 0
        self.derived: list[Acquisition] = []
        self._stack: ExitStack | None = None
        self._writer: CaseWriter | None = None
        self._started = 0.0

    def writer(self) -> CaseWriter:
        """The open transaction's writer (a transaction begins with the first extraction)."""
        if self._writer is None:
            stack = ExitStack()
            self._writer = stack.enter_context(self.case.writing(self.signer))
            self._stack = stack
            self._started = time.monotonic()
        return self._writer

    def full(self) -> bool:
        """Whether the batch holds enough to be committed now."""
        return self._writer is not None and (
            self.records >= BATCH_MAX_RECORDS
            or self.items >= BATCH_MAX_EXTRACTIONS
            or time.monotonic() - self._started >= BATCH_MAX_SECONDS
        )

    def commit(self) -> None:
        """Commit what the batch holds, then place its embedded files in the store."""
        stack, derived = self._reset()
        if stack is None:
            return
        try:
            stack.close()
        except BaseException:
            self._discard(derived)
            raise
        self.case.store.finalise(a.staged for a in derived)

    def abort(self) -> None:
        """Roll back what the batch holds (call from an ``except`` block)."""
        stack, derived = self._reset()
        try:
            if stack is not None:
                stack.__exit__(*sys.exc_info())
        finally:
            self._discard(derived)

    def _reset(self) -> tuple[ExitStack | None, list[Acquisition]]:
        stack, derived = self._stack, self.derived
        self._stack, self._writer, self.derived = None, None, []
        self.items = self.records = 0
        return stack, derived

    def _discard(self, derived: list[Acquisition]) -> None:
        for acq in derived:
            self.case.store.discard(acq.staged)


@dataclass
class Job:
    """One extraction of one item by one extractor, planned."""

    item: Any
    source: Source
    extractor: Extractor
    extraction_id: str
    base: dict[str, Any]
    tables: dict[type[Record], _Table]


class ItemExtractor:
    """Extracts one item with every matching extractor."""

    def __init__(
        self, case: Case, signer: Signer, tz: str, cancelled: Callable[[], bool] | None = None
    ) -> None:
        self.case = case
        self.signer = signer
        self.tz = tz
        self.cancelled = cancelled or (lambda: False)
        self._members: tuple[tuple[Sibling, ...], dict[str, str]] | None = None

    def source_of(self, item: Any, siblings: tuple[Sibling, ...]) -> Source:
        store = self.case.store
        with store.open_blob(item.sha256) as f:
            head = f.read(1 << 16)
        if self._members is None or self._members[0] is not siblings:
            # One archive's members serve all its items: built once, not once per member.
            self._members = (siblings, {s.member: s.sha256 for s in siblings})
        by_member = self._members[1]

        def open_sibling(member: str) -> BinaryIO:
            return store.open_blob(by_member[member])  # KeyError when not a member

        return Source(
            sha256=item.sha256,
            name=item.name,
            path=item.path,
            mime=item.mime,
            size=int(item.size),
            head=head,
            opener=lambda: store.open_blob(item.sha256),
            member=item.member,
            siblings=siblings,
            sibling_opener=open_sibling if siblings else None,
        )

    def plan(self, item: Any, source: Source, extractor: Extractor) -> Job:
        """An extraction to run: its id and tables are fixed before any worker starts."""
        extraction_id = str(uuid.uuid4())
        base = {"case_id": self.case.case_id, "extraction_id": extraction_id, "item_id": item.id}
        tables = record_tables(base, self.case.engine.dialect.name)
        return Job(item, source, extractor, extraction_id, base, tables)

    def produce(self, job: Job) -> Callable[[], Iterator[list[Item]]]:
        """What a worker process runs for a job: the extractor, its records as batches."""
        return lambda: item_batches(
            job.extractor.extract(job.source, Context(tz=self.tz, secrets=environment_secrets())),
            job.tables,
        )

    def record(
        self,
        item: Any,
        source: Source,
        extractor: Extractor,
        summary: ExtractionSummary,
        batch: WriteBatch,
        job: Job | None = None,
        results: Iterator[list[Item]] | None = None,
    ) -> None:
        """Extract and record in the batch's open transaction, which the caller commits.

        If this raises, the caller must abort the batch (nothing of it is recorded).
        """
        ctx = Context(tz=self.tz, cancelled=self.cancelled, secrets=environment_secrets())
        job = job or self.plan(item, source, extractor)
        extraction_id, base = job.extraction_id, job.base
        recorder = Recorder(job.tables)
        derived = batch.derived  # staged; placed after the commit, discarded on abort
        derived_before = len(derived)
        warnings: list[str] = []
        status, error = "complete", None
        label = registry.label(extractor)
        writer = batch.writer()
        # The extraction row goes first so record rows can reference it.
        writer.conn.execute(
            sa.insert(T_EXTRACTION),
            {
                **{k: v for k, v in base.items() if k != "extraction_id"},
                "id": extraction_id,
                "extractor": extractor.name,
                "version": extractor.version,
                "status": "running",
                "record_count": 0,
                "warning_count": 0,
                "merkle_root": "",
                "ledger_seq": -1,
            },
        )
        try:
            batches: Iterator[list[Item]]
            if results is not None:
                batches = results
            elif use_worker(source):
                batches = run_in_worker(self.produce(job), self.cancelled)
            else:
                batches = item_batches(extractor.extract(source, ctx), recorder.tables)
            for part in batches:
                try:
                    recorder.take(part)
                finally:
                    recorder.flush(writer.conn)
                    for note in recorder.notes:
                        if isinstance(note, ExtractWarning):
                            warnings.append(_warning_text(note))
                        else:
                            derived.append(self._stage_derived(item, note, label))
                    recorder.notes.clear()
        except ExtractionCancelled:
            raise
        except Exception as exc:  # recorded, with what was found kept
            status = "failed"
            error = (
                str(exc) if isinstance(exc, ExtractorFailed) else (f"{type(exc).__name__}: {exc}")
            )
            warnings.append(
                f"{source.path}: {label} stopped after {recorder.peaks.size} records: {error}"
            )
        self._finish(
            writer,
            item,
            extractor,
            extraction_id,
            recorder.peaks,
            warnings,
            derived[derived_before:],
            status,
            error,
        )
        batch.items += 1
        batch.records += recorder.peaks.size
        summary.extractions += 1
        summary.records += recorder.peaks.size
        summary.derived += len(derived) - derived_before
        summary.warnings.extend(warnings)

    def _stage_derived(self, item: Any, record: DerivedFile, label: str) -> Acquisition:
        staged = self.case.store.stage(iter([record.data]))
        loc = record.locator
        where = loc.pointer or (f"line {loc.line}" if loc.line else f"offset {loc.offset}")
        return Acquisition(
            staged=staged,
            mime=record.mime or mime_of(staged.head),
            name=record.name,
            path=f"{item.path}!/{record.name}",
            source=item.source,
            reason=f"embedded in {item.name} ({where}); extracted by {label}",
            run_id=item.run_id,
            parent_id=item.id,
            parent_sha256=item.sha256,
            member=f"{where}: {record.name}",
        )

    def _finish(
        self,
        writer: CaseWriter,
        item: Any,
        extractor: Extractor,
        extraction_id: str,
        found: merkle.MerklePeaks,
        warnings: list[str],
        derived: list[Acquisition],
        status: str,
        error: str | None,
    ) -> None:
        data: dict[str, Any] = {
            "item_id": item.id,
            "extractor": registry.label(extractor),
            "status": status,
            "records": found.size,
            "warnings": len(warnings),
            "merkle_root": found.root().hex(),
            "derived_items": len(derived),
            "tz": self.tz,
        }
        if error:
            data["error"] = error
        made = writer.append([NewEntry("item.extracted", item.sha256, data)])
        writer.add_warnings(
            [ItemWarningNote(item.id, item.sha256, registry.label(extractor), w) for w in warnings]
        )
        writer.add_acquisitions(derived)
        writer.conn.execute(
            sa.update(T_EXTRACTION)
            .where(T_EXTRACTION.c.id == extraction_id)
            .values(
                status=status,
                record_count=found.size,
                warning_count=len(warnings),
                merkle_root=found.root().hex(),
                ledger_seq=made[0].seq,
            )
        )


def _warning_text(w: ExtractWarning) -> str:
    loc = w.locator
    place = (
        f"line {loc.line}"
        if loc.line is not None
        else f"offset {loc.offset}"
        if loc.offset is not None
        else f"at {loc.pointer}"
        if loc.pointer
        else ""
    )
    return f"{loc.path}{', ' + place if place else ''}: {w.message}"


def extract_run_items(
    case: Case,
    signer: Signer,
    run_id: str | None,
    tz: str,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[str], None] | None = None,
    skip: frozenset[str] = frozenset(),
) -> ExtractionSummary:
    """Extract every item of a run (or of the case) not yet extracted by each extractor.

    ``skip`` names extractors the examiner chose not to run (recorded in ingest.started).

    Items are visited in ledger order, including child items that extraction itself
    acquires (they come later in the ledger), so nested content is reached too.
    """
    with case.holding_connection(), _heap_frozen():
        return _extract_items(case, signer, run_id, tz, cancelled, progress, skip)


@contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the garbage collector off the objects that exist before the phase (modules,
    the engine, the GUI) while millions of short-lived rows come and go; given back after."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _extract_items(
    case: Case,
    signer: Signer,
    run_id: str | None,
    tz: str,
    cancelled: Callable[[], bool] | None,
    progress: Callable[[str], None] | None,
    skip: frozenset[str],
) -> ExtractionSummary:
    summary = ExtractionSummary()
    worker = ItemExtractor(case, signer, tz, cancelled)
    members_of: dict[str, tuple[Sibling, ...]] = {}  # by parent id: big archives, one query
    after = -1
    while True:
        with db.read_connection(case.engine) as conn:
            q = sa.select(T_ITEM).where(
                T_ITEM.c.case_id == case.case_id, T_ITEM.c.ledger_seq > after
            )
            if run_id is not None:
                q = q.where(T_ITEM.c.run_id == run_id)
            rows = conn.execute(q.order_by(T_ITEM.c.ledger_seq).limit(500)).all()
            if not rows:
                return summary
            done = {
                (r.item_id, r.extractor, r.version)
                for r in conn.execute(
                    sa.select(
                        T_EXTRACTION.c.item_id, T_EXTRACTION.c.extractor, T_EXTRACTION.c.version
                    ).where(T_EXTRACTION.c.item_id.in_([r.id for r in rows]))
                )
            }
        jobs: list[Job] = []
        for item in rows:
            after = int(item.ledger_seq)
            if cancelled is not None and cancelled():
                raise ExtractionCancelled("extraction cancelled")
            siblings: tuple[Sibling, ...] = ()
            if item.parent_id is not None:
                if item.parent_id not in members_of:
                    members_of.clear()  # archives are walked one after another
                    members_of[item.parent_id] = _members(case, item.parent_id)
                siblings = members_of[item.parent_id]
            source = worker.source_of(item, siblings)
            matched = [
                e
                for e in registry.matching(source)
                if (item.id, e.name, e.version) not in done and e.name not in skip
            ]
            if matched:
                summary.items += 1
            jobs.extend(worker.plan(item, source, e) for e in matched)
        _run_jobs(worker, jobs, summary, progress)


#: A page with at least this many extractions runs them in one worker process, in order.
PAGE_WORKER_MIN_JOBS = 2


def _run_jobs(
    worker: ItemExtractor,
    jobs: list[Job],
    summary: ExtractionSummary,
    progress: Callable[[str], None] | None,
) -> None:
    """Run a page's extractions in order: in one worker process beside the database writer
    when there are several (a fork per small item would cost more than it saves)."""
    pool = None
    if len(jobs) >= PAGE_WORKER_MIN_JOBS and workers_allowed():
        pool = JobWorker([worker.produce(job) for job in jobs])
    batch = WriteBatch(worker.case, worker.signer)
    try:
        for index, job in enumerate(jobs):
            if progress is not None:
                progress(f"{registry.label(job.extractor)}: {job.item.path}")
            results = None
            if pool is not None and not pool.dead:
                results = pool.results(index, worker.cancelled)
            alone = job.source.size >= WORKER_MIN_BYTES  # a big item: its own transaction
            if alone:
                batch.commit()
            worker.record(job.item, job.source, job.extractor, summary, batch, job, results)
            if alone or batch.full():
                batch.commit()
        # Committed before the next page is read: it must see the items found embedded.
        batch.commit()
    except BaseException:
        batch.abort()
        raise
    finally:
        if pool is not None:
            pool.close()


def _members(case: Case, parent_id: str) -> tuple[Sibling, ...]:
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_ITEM.c.member, T_ITEM.c.sha256, T_ITEM.c.size)
            .where(T_ITEM.c.parent_id == parent_id)
            .order_by(T_ITEM.c.member_index, T_ITEM.c.ledger_seq)
        ).all()
    return tuple(Sibling(r.member or "", r.sha256, int(r.size)) for r in rows)

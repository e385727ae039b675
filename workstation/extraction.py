"""Running extractors over acquired items and recording what they found.

For each item and each extractor whose sniff accepts it, one write transaction holds:
the record rows (inserted in chunks as the generator yields them), any embedded files
acquired as child items, the warnings, and one ``item.extracted`` entry with the Merkle
root of the canonical records. An extractor that crashes part-way keeps what it yielded:
the entry says ``status: failed`` and the error is a warning on the item.
"""

from __future__ import annotations

import json
import operator
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import sqlalchemy as sa

from chain_of_custody import db, merkle
from chain_of_custody.acquire import Acquisition, mime_of
from chain_of_custody.canonical import canonical_bytes
from chain_of_custody.case import T_ITEM, Case, CaseWriter, ItemWarningNote
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from chain_of_custody.models import (
    AccountRecord,
    CallRecord,
    Extraction,
    ImageMetaRecord,
    MessageRecord,
)
from extractors import registry
from extractors.base import Context, Extractor, Sibling, Source
from extractors.errors import ExtractionCancelled
from extractors.records import (
    Account,
    Call,
    DerivedFile,
    ExtractWarning,
    ImageMeta,
    Message,
    Record,
    record_to_canonical,
)
from extractors.timeutil import sort_key
from workstation.extract_worker import ExtractorFailed, records_in_worker, use_worker

T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]
TABLES: dict[type[Record], Any] = {
    Account: AccountRecord.__table__,  # type: ignore[attr-defined]
    Message: MessageRecord.__table__,  # type: ignore[attr-defined]
    Call: CallRecord.__table__,  # type: ignore[attr-defined]
    ImageMeta: ImageMetaRecord.__table__,  # type: ignore[attr-defined]
}
CHUNK_ROWS = 2000
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


class _Pending:
    """Rows of one record table waiting to be inserted, as tuples in column order.

    Inserted with the driver's executemany: at hundreds of thousands of records per item,
    building and compiling a statement per row costs more than parsing the evidence.
    """

    def __init__(self, table: Any, dialect: str) -> None:
        self.columns = [c.name for c in table.columns if c.name != "id"]
        mark = "?" if dialect == "sqlite" else "%s"
        self.sql = (
            f"INSERT INTO {table.name} ({', '.join(self.columns)}) "
            f"VALUES ({', '.join([mark] * len(self.columns))})"
        )
        self.rows: list[tuple[Any, ...]] = []
        self._no_nul = dialect == "postgresql"
        self._values = operator.itemgetter(*self.columns)

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        """The row as a tuple in this table's column order."""
        values: tuple[Any, ...] = self._values(row)
        if self._no_nul:
            # PostgreSQL text cannot hold NUL; show it as U+2400 in the database view. The
            # record's canonical form (and the Merkle root in the ledger) keeps the NUL.
            values = tuple(v.replace("\x00", "\u2400") if isinstance(v, str) else v for v in values)
        return values


#: (leaf hash, record type when it has a table, row tuple — or the record itself otherwise)
Prepared = tuple[bytes, type[Record] | None, Any]


def prepare_records(
    records: Iterator[Record], base: dict[str, Any], tables: dict[type[Record], _Pending]
) -> Iterator[Prepared]:
    """Hash and shape each record for the ledger and the database, in order.

    The same function runs in-process or in the extraction worker, so both give the same
    rows and the same Merkle root.
    """
    for ordinal, record in enumerate(records):
        leaf = record_leaf(record)
        kind = type(record)
        table = tables.get(kind)
        if table is not None:
            yield leaf, kind, table.values(record_row(record, base, ordinal))
        elif isinstance(record, ExtractWarning | DerivedFile):
            yield leaf, None, record
        else:
            raise TypeError(f"unknown record type {kind.__name__}")


_EMPTY_LIST = "[]"


def record_row(record: Record, base: dict[str, Any], ordinal: int) -> dict[str, Any]:
    """The database row of a record (lists as JSON text, locator as columns)."""
    row: dict[str, Any] = dict(base, ordinal=ordinal)
    loc = record.locator
    row.update(
        loc_sha256=loc.item_sha256,
        loc_path=loc.path,
        loc_line=loc.line,
        loc_offset=loc.offset,
        loc_pointer=loc.pointer,
    )
    for name, value in record.__dict__.items():
        if name == "locator":
            continue
        if name in _JSON_LISTS:
            value = json.dumps(list(value), ensure_ascii=False) if value else _EMPTY_LIST
        row[name] = value
    if isinstance(record, Account):
        row["account_key"] = record.key
    elif isinstance(record, Message):
        row["sent_at_sort"] = sort_key(record.sent_at_utc)
    return row


def record_leaf(record: Record) -> bytes:
    """RFC 6962 leaf hash of the record's canonical JSON."""
    return merkle.leaf_hash(canonical_bytes(record_to_canonical(record)))


def records_root(records: Iterator[Record]) -> tuple[str, int]:
    """Merkle root (hex) and count of a record sequence: what ``item.extracted`` states."""
    tree = merkle.MerkleTree(record_leaf(r) for r in records)
    return tree.root().hex(), tree.size


class ItemExtractor:
    """Extracts one item with every matching extractor."""

    def __init__(
        self, case: Case, signer: Signer, tz: str, cancelled: Callable[[], bool] | None = None
    ) -> None:
        self.case = case
        self.signer = signer
        self.tz = tz
        self.cancelled = cancelled or (lambda: False)

    def source_of(self, item: Any, siblings: tuple[Sibling, ...]) -> Source:
        store = self.case.store
        with store.open_blob(item.sha256) as f:
            head = f.read(1 << 16)
        by_member = {s.member: s.sha256 for s in siblings}

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

    def run(
        self, item: Any, source: Source, extractor: Extractor, summary: ExtractionSummary
    ) -> None:
        """Extract and record in one transaction (see module docstring)."""
        ctx = Context(tz=self.tz, cancelled=self.cancelled)
        extraction_id = str(uuid.uuid4())
        base = {"case_id": self.case.case_id, "extraction_id": extraction_id, "item_id": item.id}
        tree = merkle.MerkleTree()
        dialect = self.case.engine.dialect.name
        pending = {kind: _Pending(table, dialect) for kind, table in TABLES.items()}
        derived: list[Acquisition] = []
        warnings: list[str] = []
        status, error = "complete", None
        label = registry.label(extractor)
        try:
            with self.case.writing(self.signer) as writer:
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
                    prepared: Iterator[Prepared]
                    if use_worker(source):
                        prepared = records_in_worker(
                            lambda: prepare_records(
                                extractor.extract(source, Context(tz=self.tz)), base, pending
                            ),
                            self.cancelled,
                        )
                    else:
                        prepared = prepare_records(extractor.extract(source, ctx), base, pending)
                    for leaf, kind, payload in prepared:
                        tree.append(leaf)
                        if kind is not None:
                            self._queue(writer, pending, kind, payload)
                        elif isinstance(payload, ExtractWarning):
                            warnings.append(_warning_text(payload))
                        else:
                            derived.append(self._stage_derived(item, payload, label))
                except ExtractionCancelled:
                    raise
                except Exception as exc:  # recorded, with what was found kept
                    status = "failed"
                    error = (
                        str(exc)
                        if isinstance(exc, ExtractorFailed)
                        else (f"{type(exc).__name__}: {exc}")
                    )
                    warnings.append(
                        f"{source.path}: {label} stopped after {tree.size} records: {error}"
                    )
                for table in pending:
                    self._flush(writer, pending, table)
                self._finish(
                    writer, item, extractor, extraction_id, tree, warnings, derived, status, error
                )
        except BaseException:
            for acq in derived:
                self.case.store.discard(acq.staged)
            raise
        self.case.store.finalise(a.staged for a in derived)
        summary.extractions += 1
        summary.records += tree.size
        summary.derived += len(derived)
        summary.warnings.extend(warnings)

    def _queue(
        self,
        writer: CaseWriter,
        pending: dict[type[Record], _Pending],
        kind: type[Record],
        row: tuple[Any, ...],
    ) -> None:
        pending[kind].rows.append(row)
        if len(pending[kind].rows) >= CHUNK_ROWS:
            self._flush(writer, pending, kind)

    @staticmethod
    def _flush(
        writer: CaseWriter, pending: dict[type[Record], _Pending], kind: type[Record]
    ) -> None:
        batch = pending[kind]
        if batch.rows:
            writer.conn.exec_driver_sql(batch.sql, batch.rows)
            batch.rows = []

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
        tree: merkle.MerkleTree,
        warnings: list[str],
        derived: list[Acquisition],
        status: str,
        error: str | None,
    ) -> None:
        data: dict[str, Any] = {
            "item_id": item.id,
            "extractor": registry.label(extractor),
            "status": status,
            "records": tree.size,
            "warnings": len(warnings),
            "merkle_root": tree.root().hex(),
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
                record_count=tree.size,
                warning_count=len(warnings),
                merkle_root=tree.root().hex(),
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
            for extractor in matched:
                if progress is not None:
                    progress(f"{registry.label(extractor)}: {item.path}")
                worker.run(item, source, extractor, summary)


def _members(case: Case, parent_id: str) -> tuple[Sibling, ...]:
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_ITEM.c.member, T_ITEM.c.sha256, T_ITEM.c.size)
            .where(T_ITEM.c.parent_id == parent_id)
            .order_by(T_ITEM.c.member_index, T_ITEM.c.ledger_seq)
        ).all()
    return tuple(Sibling(r.member or "", r.sha256, int(r.size)) for r in rows)

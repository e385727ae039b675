"""Database tables (SQLModel). Alembic owns the schema: see ``migrations/``.

Evidence rows are never deleted or updated by the program, except ``ingest_run.finished_at``
and the examiner-visible status of a run; foreign keys never cascade.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class CaseInfo(SQLModel, table=True):
    """One row per case held in this database."""

    __tablename__ = "case_info"

    id: str = Field(primary_key=True, max_length=36)
    urn: str = Field(max_length=64)
    title: str
    created_at: str = Field(max_length=32)
    tz: str = Field(default="Europe/London", max_length=64)


class Examiner(SQLModel, table=True):
    """An examiner recorded in a case, with the public key that checks their entries."""

    __tablename__ = "examiner"

    case_id: str = Field(foreign_key="case_info.id", primary_key=True, max_length=36)
    key_id: str = Field(primary_key=True, max_length=16)
    name: str
    initials: str = Field(max_length=8)
    public_key: str = Field(max_length=64)
    added_at: str = Field(max_length=32)


class Blob(SQLModel, table=True):
    """Bytes held in the store: one row per distinct SHA-256."""

    __tablename__ = "blob"

    case_id: str = Field(foreign_key="case_info.id", primary_key=True, max_length=36)
    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    mime: str = Field(max_length=255)


class IngestRun(SQLModel, table=True):
    """One `ews ingest` invocation; lets an interrupted run resume without duplicates."""

    __tablename__ = "ingest_run"
    __table_args__ = (Index("ix_ingest_run_params", "case_id", "params_hash"),)

    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    params_hash: str = Field(max_length=64)
    started_at: str = Field(max_length=32)
    finished_at: str | None = Field(default=None, max_length=32)
    examiner: str = Field(max_length=16)
    source: str
    reason: str
    tz: str = Field(max_length=64)


class Item(SQLModel, table=True):
    """One acquisition of a file or archive member (the same bytes may be acquired twice)."""

    __tablename__ = "item"
    __table_args__ = (
        Index("ix_item_sha256", "case_id", "sha256"),
        Index("ix_item_run", "run_id", "path"),
        Index("ix_item_parent", "parent_id"),
        Index("ix_item_case_seq", "case_id", "ledger_seq"),  # the evidence table's order
        Index("ix_item_device_path", "case_id", "device_path"),  # attachments by phone path
    )

    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    mime: str = Field(max_length=255)
    name: str
    path: str
    parent_id: str | None = Field(default=None, foreign_key="item.id", max_length=36)
    parent_sha256: str | None = Field(default=None, max_length=64)
    member: str | None = None
    member_index: int | None = None
    member_modified_local: str | None = Field(default=None, max_length=32)  # zip time, no zone
    modified_at: str | None = Field(default=None, max_length=32)
    changed_at: str | None = Field(default=None, max_length=32)
    accessed_at: str | None = Field(default=None, max_length=32)
    acquired_at: str = Field(max_length=32)
    acquired_by: str = Field(max_length=16)
    source: str
    reason: str
    run_id: str | None = Field(default=None, foreign_key="ingest_run.id", max_length=36)
    ledger_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: Where the phone keeps the file (``HomeDomain/Library/SMS/sms.db``): from a device
    #: backup's manifest or a device's file system (issue 13); stated in ``item.acquired``.
    device_path: str | None = None
    #: A derived item (a decrypted copy, say): the item it was made from and how, as its
    #: ``item.derived`` entry states them.
    #: No foreign key: SQLite would have to rebuild the item table to add one to a case.
    derived_from: str | None = Field(default=None, max_length=36)
    derived_method: str | None = Field(default=None, max_length=64)


class ItemWarning(SQLModel, table=True):
    """Something the examiner must know about an item (a refused member, a damaged archive)."""

    __tablename__ = "item_warning"

    id: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(foreign_key="item.id", index=True, max_length=36)
    origin: str = Field(max_length=64)
    text: str
    ledger_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class LedgerEntry(SQLModel, table=True):
    """One custody ledger entry exactly as signed (DESIGN.md §4)."""

    __tablename__ = "ledger_entry"

    case_id: str = Field(foreign_key="case_info.id", primary_key=True, max_length=36)
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    prev: str = Field(max_length=64)
    at: str = Field(max_length=32)
    actor: str = Field(max_length=16)
    action: str = Field(max_length=64)
    subject: str
    data: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON of the object
    entry_hash: str = Field(max_length=64)
    signature: str = Field(max_length=128)


class Checkpoint(SQLModel, table=True):
    """A signed statement of the ledger's size and Merkle root at a moment."""

    __tablename__ = "checkpoint"
    __table_args__ = (UniqueConstraint("case_id", "size", "root"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    origin: str
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root: str = Field(max_length=64)
    at: str = Field(max_length=32)
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=128)
    # Room for an RFC 3161 token from a unit's timestamp authority; offline machines have none.
    timestamp_token: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    timestamp_authority: str | None = None


# --- records found by extractors --------------------------------------------------------


class Extraction(SQLModel, table=True):
    """One run of one extractor over one item, as recorded by ``item.extracted``."""

    __tablename__ = "extraction"
    __table_args__ = (Index("ix_extraction_item", "item_id", "extractor"),)

    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    item_id: str = Field(foreign_key="item.id", max_length=36)
    extractor: str = Field(max_length=64)
    version: str = Field(max_length=32)
    status: str = Field(max_length=16)  # complete | failed
    record_count: int
    warning_count: int
    merkle_root: str = Field(max_length=64)
    ledger_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class _RecordColumns(SQLModel):
    """Columns every record table shares: its extraction, order and locator."""

    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    extraction_id: str = Field(foreign_key="extraction.id", max_length=36)
    item_id: str = Field(foreign_key="item.id", max_length=36)
    ordinal: int
    loc_sha256: str = Field(max_length=64)
    loc_path: str
    loc_line: int | None = None
    loc_offset: int | None = Field(default=None, sa_type=BigInteger)
    loc_pointer: str | None = None


class AccountRecord(_RecordColumns, table=True):
    """An account as one source shows it."""

    __tablename__ = "account_record"
    __table_args__ = (
        Index("ix_account_record_key", "case_id", "account_key"),
        Index("ix_account_record_extraction", "extraction_id", "ordinal"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_key: str
    platform: str = Field(max_length=32)
    platform_id: str | None = None
    handle: str | None = None
    display_name: str | None = None
    phone_raw: str | None = None
    phone_e164: str | None = Field(default=None, max_length=20)
    email: str | None = None
    avatar_ref: str | None = None
    profile_url: str | None = None
    is_owner: bool = False
    key_scope: str | None = None  # where the identifier names this account (Account.key)


class MessageRecord(_RecordColumns, table=True):
    """A message, system line, deleted marker or call line in a thread."""

    __tablename__ = "message_record"
    __table_args__ = (
        Index("ix_message_record_time", "case_id", "sent_at_sort"),
        Index("ix_message_record_sender", "case_id", "sender_key"),
        Index("ix_message_record_thread", "case_id", "thread_id"),
        Index("ix_message_record_item", "item_id", "ordinal"),  # an item's messages, in order
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    thread_id: str
    thread_title: str | None = None
    sender_key: str | None = None
    sender_identifier: str | None = None
    recipients: str = "[]"  # JSON list
    sent_at_utc: str | None = Field(default=None, max_length=32)
    sent_at_raw: str = ""
    tz: str | None = Field(default=None, max_length=64)
    tz_assumed: bool = False
    flags: str = "[]"  # JSON list
    kind: str = Field(max_length=16)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    raw_text: str | None = Field(default=None, sa_column=Column(Text))
    attachments: str = "[]"  # JSON list
    edited: bool = False
    reply_to: str | None = None
    message_id: str | None = None
    direction: str | None = Field(default=None, max_length=16)
    received_chain: str = "[]"  # JSON list (email Received headers)
    reactions: str = "[]"  # JSON list of JSON object texts
    shares: str = "[]"  # JSON list of JSON object texts
    forwarded_from: str | None = None
    sent_at_sort: str | None = Field(default=None, max_length=32)  # fixed-width, for ordering


class CallRecord(_RecordColumns, table=True):
    """A call in a call log or chat."""

    __tablename__ = "call_record"
    __table_args__ = (Index("ix_call_record_extraction", "extraction_id", "ordinal"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    thread_id: str | None = None
    number_raw: str | None = None
    number_e164: str | None = Field(default=None, max_length=20)
    party_key: str | None = None
    started_at_utc: str | None = Field(default=None, max_length=32)
    started_at_raw: str = ""
    tz: str | None = Field(default=None, max_length=64)
    tz_assumed: bool = False
    flags: str = "[]"
    duration_s: int | None = None
    direction: str | None = Field(default=None, max_length=16)


class ImageMetaRecord(_RecordColumns, table=True):
    """Metadata of an image, with its perceptual hash."""

    __tablename__ = "image_meta_record"
    __table_args__ = (
        Index("ix_image_meta_phash", "case_id", "phash"),
        Index("ix_image_meta_item", "item_id"),  # an image's metadata, for its preview
        Index("ix_image_meta_extraction", "extraction_id", "ordinal"),
    )

    id: int | None = Field(default=None, primary_key=True)
    width: int | None = None
    height: int | None = None
    captured_at_raw: str | None = None
    captured_at_utc: str | None = Field(default=None, max_length=32)
    captured_offset: str | None = Field(default=None, max_length=8)
    tz: str | None = Field(default=None, max_length=64)
    tz_assumed: bool = False
    flags: str = "[]"
    make: str | None = None
    model: str | None = None
    software: str | None = None
    gps_lat: str | None = Field(default=None, max_length=32)
    gps_lon: str | None = Field(default=None, max_length=32)
    screenshot: bool = False
    screenshot_evidence: str = "[]"
    app_guess: str | None = None
    phash: str | None = Field(default=None, max_length=16)
    user_comment: str | None = None


class RecordLeaf(SQLModel, table=True):
    """A Merkle leaf of an extraction that its record rows cannot give back (issue 12).

    ``kind`` is ``warning`` or ``derived_file`` (records with no table of their own) or
    ``row``: a record whose row holds it only approximately (PostgreSQL text cannot hold
    NUL, stored as U+2400); its row must still match. ``canonical`` is the record's
    canonical JSON, what the leaf at ``ordinal`` hashes.
    """

    __tablename__ = "record_leaf"
    __table_args__ = (Index("ix_record_leaf_extraction", "extraction_id", "ordinal"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    extraction_id: str = Field(foreign_key="extraction.id", max_length=36)
    ordinal: int
    kind: str = Field(max_length=16)  # warning | derived_file | row
    canonical: str = Field(sa_column=Column(Text, nullable=False))


class AccountAvatar(SQLModel, table=True):
    """A profile picture an examiner linked to an account by hand (``account.avatar_linked``)."""

    __tablename__ = "account_avatar"
    __table_args__ = (Index("ix_account_avatar_key", "case_id", "account_key"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    account_key: str
    item_id: str = Field(foreign_key="item.id", max_length=36)
    sha256: str = Field(max_length=64)
    ledger_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


# --- exhibits and case details (issue 6) ---


class ExhibitRow(SQLModel, table=True):
    """An exhibit reference as assigned (``exhibit.assigned``); never renumbered or deleted."""

    __tablename__ = "exhibit"
    __table_args__ = (UniqueConstraint("case_id", "prefix", "number"),)

    case_id: str = Field(foreign_key="case_info.id", primary_key=True, max_length=36)
    ref: str = Field(primary_key=True, max_length=24)  # "JS/1"
    prefix: str = Field(max_length=8)  # the producer's initials
    number: int
    producer: str = Field(max_length=16)  # key id of the producing examiner
    kind: str = Field(max_length=16)  # item | thread | messages
    description: str
    reason: str
    assigned_at: str = Field(max_length=32)
    ledger_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class ExhibitPart(SQLModel, table=True):
    """What an exhibit is made of: items (sha256), threads (thread id) or messages (id)."""

    __tablename__ = "exhibit_part"
    __table_args__ = (Index("ix_exhibit_part_ref", "case_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    ref: str = Field(max_length=24)
    role: str = Field(max_length=16)  # item | thread | message
    value: str


class CaseDetailsRow(SQLModel, table=True):
    """One ``details.set`` entry: the whole document (section "*") or one section."""

    __tablename__ = "case_details"

    case_id: str = Field(foreign_key="case_info.id", primary_key=True, max_length=36)
    ledger_seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    section: str = Field(max_length=64)
    document: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON


# --- alias decisions (issue 5) ---


class AliasDecision(SQLModel, table=True):
    """An examiner's decision on a suggested alias link (``alias.confirmed`` / ``.rejected`` /
    ``.undone``). The latest decision of a pair is its status; rows are never edited."""

    __tablename__ = "alias_decision"
    __table_args__ = (Index("ix_alias_decision_pair", "case_id", "account_a", "account_b"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    account_a: str  # the smaller account key of the pair
    account_b: str
    decision: str = Field(max_length=16)  # confirmed | rejected | undone
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    signals: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    examiner: str = Field(max_length=16)
    decided_at: str = Field(max_length=32)
    ledger_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class AliasLabel(SQLModel, table=True):
    """A label an examiner gave an alias group (``alias.labelled``); the latest one counts."""

    __tablename__ = "alias_label"
    __table_args__ = (Index("ix_alias_label_group", "case_id", "group_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    group_id: str = Field(max_length=64)
    label: str
    examiner: str = Field(max_length=16)
    labelled_at: str = Field(max_length=32)
    ledger_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


# --- the witness (issue 12) ------------------------------------------------------------


class WitnessRow(SQLModel, table=True):
    """A signed checkpoint as witnessed when a command changed a case (``witness.py``).

    On PostgreSQL this is the unit's table: the workstation only ever INSERTs into it and a
    trigger refuses UPDATE, DELETE and TRUNCATE. No foreign key: a witness outlives anything
    done to the case's own rows. On SQLite the table exists but stays empty (the case
    database lives in the case folder; the examiner's data folder is the witness there).
    """

    __tablename__ = "witness"
    __table_args__ = (Index("ix_witness_case", "case_id", "size"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=36)
    origin: str
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root: str = Field(max_length=64)
    at: str = Field(max_length=32)
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=128)
    # The ``checkpoint`` entry that recorded it: the ledger's head once the command ended.
    head_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    head_root: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)
    entry_signature: str = Field(max_length=128)
    witnessed_at: str = Field(max_length=32)
    examiner_key_id: str = Field(max_length=16)
    examiner_initials: str = Field(max_length=8)
    examiner_name: str
    case_folder: str
    database: str = Field(max_length=16)


# --- search index (issue 15 §1) ---


class SearchDoc(SQLModel, table=True):
    """One searchable field of a record, folded (NFKD without combining marks, casefolded).

    Derived from the records (never shown as evidence): workstation/search.py fills it on
    the first search and keeps it in step by extraction and item ledger sequence. The
    database's own index over ``folded`` (SQLite FTS5 trigram, PostgreSQL pg_trgm GIN) is
    created beside it by search.py, because Alembic's model comparison cannot describe them.
    """

    __tablename__ = "search_doc"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case_info.id", max_length=36)
    kind: str = Field(max_length=16)  # message | item | account
    ref: str  # the message id, item id or account key
    row_id: int | None = Field(default=None, sa_type=BigInteger)  # message/account row id
    field: str = Field(max_length=32)
    folded: str = Field(sa_column=Column(Text, nullable=False))


class SearchState(SQLModel, table=True):
    """How far the search index has read each kind of record: the last ledger sequence."""

    __tablename__ = "search_state"

    case_id: str = Field(foreign_key="case_info.id", primary_key=True, max_length=36)
    kind: str = Field(primary_key=True, max_length=16)
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))

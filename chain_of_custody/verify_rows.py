"""Every row a command, screen or bundle shows, compared with the signed entry behind it.

Each table the workstation shows is justified row by row by ledger entries (see
docs/integrity.md for the table-by-table map). ``verify_rows`` compares them both ways:

* a row whose fields differ from its entry (edited) fails, naming the field, the value in
  the row and what the ledger entry says;
* a row that no entry justifies (inserted) fails;
* an entry whose row is missing (deleted) fails.

Every failure is of kind ``row`` and names the table and the row's key. The entries come
from ``VerifyReport.by_action`` (every entry but ``item.acquired``) and ``acquired`` (the
``item.acquired`` data by item id, with ``seq``, ``at`` and ``actor``), so the ledger is
read once, by ``verify_case``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from chain_of_custody.canonical import canonical_bytes
from chain_of_custody.case import T_BLOB, T_CASE, T_EXAMINER, T_ITEM, T_WARN, Case
from chain_of_custody.ledger import Entry
from chain_of_custody.models import (
    AccountAvatar,
    AliasDecision,
    AliasLabel,
    CaseDetailsRow,
    Checkpoint,
    ExhibitPart,
    ExhibitRow,
    Extraction,
    IngestRun,
)

if TYPE_CHECKING:
    from chain_of_custody.verify import VerifyReport

T_RUN = IngestRun.__table__  # type: ignore[attr-defined]
T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]
T_CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]
T_AVATAR = AccountAvatar.__table__  # type: ignore[attr-defined]
T_DECISION = AliasDecision.__table__  # type: ignore[attr-defined]
T_LABEL = AliasLabel.__table__  # type: ignore[attr-defined]
T_EXHIBIT = ExhibitRow.__table__  # type: ignore[attr-defined]
T_PART = ExhibitPart.__table__  # type: ignore[attr-defined]
T_DETAILS = CaseDetailsRow.__table__  # type: ignore[attr-defined]

#: The section value of a ``case_details`` row holding the whole document (exports.details).
WHOLE_DOCUMENT = "*"
#: Cases made before the row checks of issue 12 stated no creation or run times in their
#: entries: the row's time was taken a moment before (or, for a run's end, after) the entry
#: was signed. Such a legacy time must lie this close to the entry's own time.
LEGACY_TIME_WINDOW = timedelta(seconds=10)
#: The alias decision each action records (workstation.aliases).
ALIAS_STATES = {
    "alias.confirmed": "confirmed",
    "alias.rejected": "rejected",
    "alias.undone": "undone",
}
#: The item columns and the item.acquired data key that states each (absent key: NULL).
ITEM_FIELDS = (
    ("sha256", "sha256"),
    ("size", "size"),
    ("mime", "mime"),
    ("name", "name"),
    ("path", "path"),
    ("source", "source"),
    ("reason", "reason"),
    ("parent_id", "parent_item_id"),
    ("parent_sha256", "parent_sha256"),
    ("member", "member"),
    ("member_index", "member_index"),
    ("member_modified_local", "member_modified_local"),
    ("modified_at", "modified_at"),
    ("changed_at", "changed_at"),
    ("accessed_at", "accessed_at"),
    ("run_id", "run_id"),
    ("device_path", "device_path"),
)


def verify_rows(
    conn: sa.Connection, case: Case, acquired: dict[str, dict[str, Any]], report: VerifyReport
) -> None:
    """Compare every shown row of the case with its signed entry (kind ``row``)."""
    check = _Checker(report)
    by_action = report.by_action
    _case_info(conn, case, by_action, check)
    _examiners(conn, case, by_action, check)
    _items(conn, case, acquired, check, report)
    _blobs(conn, case, acquired, check)
    _warnings(conn, case, by_action, check)
    _runs(conn, case, by_action, check)
    _checkpoints(conn, case, by_action, check)
    _avatars(conn, case, by_action, check)
    _alias_decisions(conn, case, by_action, check)
    _alias_labels(conn, case, by_action, check)
    _exhibits(conn, case, by_action, check)
    _details(conn, case, by_action, check)
    _extractions_witnessed(conn, case, by_action, report)


class _Checker:
    """Words every row failure the same way."""

    def __init__(self, report: VerifyReport) -> None:
        self.report = report

    def field(
        self, subject: str, name: str, row: Any, says: Any, entry: Entry | int, action: str = ""
    ) -> bool:
        """Fail unless the row's value equals what the entry says; True if it does."""
        if row == says:
            return True
        seq = entry.seq if isinstance(entry, Entry) else entry
        act = entry.action if isinstance(entry, Entry) else action
        self.report.fail(
            "row",
            subject,
            f"{name}: row says {_show(row)}, ledger entry {seq} ({act}) says {_show(says)}",
            seq,
        )
        return False

    def inserted(self, subject: str, table: str, action: str, why: str = "") -> None:
        self.report.fail(
            "row",
            subject,
            f"inserted: no {action} entry in the ledger justifies this {table} row{why}",
        )

    def deleted(self, subject: str, table: str, entry: Entry | int, action: str = "") -> None:
        seq = entry.seq if isinstance(entry, Entry) else entry
        act = entry.action if isinstance(entry, Entry) else action
        self.report.fail(
            "row",
            subject,
            f"deleted: ledger entry {seq} ({act}) records it, but the {table} table has no row",
            seq,
        )

    def fields(
        self, subject: str, row: Any, expected: Iterable[tuple[str, Any]], entry: Entry
    ) -> None:
        for name, says in expected:
            self.field(subject, name, getattr(row, name), says, entry)


def _show(value: Any) -> str:
    if value is None:
        return "nothing (NULL)"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "…"


def _first_by(entries: Iterable[Entry], key: Callable[[Entry], Any]) -> dict[Any, Entry]:
    found: dict[Any, Entry] = {}
    for e in entries:
        found.setdefault(key(e), e)
    return found


def _by_seq(
    rows: Iterable[Any],
    entries: Iterable[Entry],
    check: _Checker,
    table: str,
    subject: Callable[[Any], str],
    same: Callable[[Any, Entry], bool] = lambda _r, _e: True,
) -> list[tuple[Any, Entry]]:
    """Rows paired with the entry their ``ledger_seq`` names; unpaired ones fail.

    Of several rows naming one entry, the first that ``same`` says is the entry's own (its
    key is the one the entry states) is paired; the others are inserted.
    """
    wanted = {e.seq: e for e in entries}
    claims: dict[int, list[Any]] = {}
    for r in rows:
        seq = int(r.ledger_seq)
        if seq not in wanted:
            check.inserted(subject(r), table, _action_of(wanted), f" (its ledger_seq is {seq})")
        else:
            claims.setdefault(seq, []).append(r)
    pairs: list[tuple[Any, Entry]] = []
    for seq, e in wanted.items():
        got = claims.get(seq, [])
        if not got:
            check.deleted(f"{table} for entry {seq}", table, e)
            continue
        own = next((r for r in got if same(r, e)), got[0])
        pairs.append((own, e))
        for r in got:
            if r is not own:
                check.inserted(subject(r), table, e.action, f" (a second row for entry {seq})")
    return pairs


def _action_of(entries: dict[int, Entry]) -> str:
    return sorted({e.action for e in entries.values()})[0] if entries else "matching"


def _time_ok(row: str | None, entry_at: str, stated: Any, *, after: bool) -> bool:
    """A legacy row time (no time stated in the entry) close to the entry's own time."""
    if stated is not None or row is None:
        return False
    try:
        moment = datetime.fromisoformat(row.replace("Z", "+00:00"))
        signed = datetime.fromisoformat(entry_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    gap = moment - signed if after else signed - moment
    return timedelta(0) <= gap <= LEGACY_TIME_WINDOW


# --- case, examiners ----------------------------------------------------------------------


def _case_info(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    row = conn.execute(sa.select(T_CASE).where(T_CASE.c.id == case.case_id)).first()
    created = next((e for e in by_action.get("case.created", []) if e.seq == 0), None)
    subject = f"case_info {case.case_id}"
    if created is None:
        return  # the ledger check already fails an empty ledger or a missing entry 0
    if row is None:
        check.deleted(subject, "case_info", created)
        return
    d = created.data
    check.fields(subject, row, (("urn", d.get("urn")), ("title", d.get("title"))), created)
    check.field(subject, "tz", row.tz, d.get("tz"), created)
    stated = d.get("created_at")
    if not _time_ok(row.created_at, created.at, stated, after=False):
        check.field(subject, "created_at", row.created_at, stated or created.at, created)


def _examiners(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    added = _first_by(by_action.get("examiner.added", []), lambda e: e.subject)
    rows = conn.execute(sa.select(T_EXAMINER).where(T_EXAMINER.c.case_id == case.case_id)).all()
    for r in rows:
        subject = f"examiner {r.initials} ({r.key_id})"
        e = added.pop(r.key_id, None)
        if e is None:
            check.inserted(subject, "examiner", "examiner.added")
            continue
        d = e.data
        check.fields(
            subject,
            r,
            (
                ("name", d.get("name")),
                ("initials", d.get("initials")),
                ("public_key", d.get("public_key")),
                ("added_at", e.at),
            ),
            e,
        )
    for key_id, e in added.items():
        check.deleted(f"examiner {e.data.get('initials')} ({key_id})", "examiner", e)


# --- items, blobs, warnings, runs, checkpoints --------------------------------------------


def _items(
    conn: sa.Connection,
    case: Case,
    acquired: dict[str, dict[str, Any]],
    check: _Checker,
    report: VerifyReport,
) -> None:
    seen: set[str] = set()
    derived = _first_by(report.by_action.get("item.derived", []), lambda e: e.data.get("item_id"))
    for r in conn.execute(
        sa.select(T_ITEM).where(T_ITEM.c.case_id == case.case_id).order_by(T_ITEM.c.ledger_seq)
    ):
        report.items += 1
        subject = f"item {r.id} ({r.name})"
        data = acquired.get(r.id)
        if data is None or r.id in seen:
            check.inserted(subject, "item", "item.acquired")
            continue
        seen.add(r.id)
        seq = int(data["seq"])
        for column, key in ITEM_FIELDS:
            check.field(subject, column, getattr(r, column), data.get(key), seq, "item.acquired")
        check.field(subject, "acquired_at", r.acquired_at, data.get("at"), seq, "item.acquired")
        check.field(subject, "acquired_by", r.acquired_by, data.get("actor"), seq, "item.acquired")
        check.field(subject, "ledger_seq", r.ledger_seq, seq, seq, "item.acquired")
        _derivation(subject, r, derived.pop(r.id, None), check)
    for e in derived.values():
        check.deleted(f"derived item {e.data.get('item_id')}", "item", e)
    for item_id, data in acquired.items():
        if item_id not in seen:
            check.deleted(
                f"item {item_id} ({data.get('name')})", "item", data["seq"], "item.acquired"
            )


def _derivation(subject: str, r: Any, e: Entry | None, check: _Checker) -> None:
    """A derived item's origin and method against its ``item.derived`` entry (issue 13)."""
    if e is None:
        if r.derived_from is not None or r.derived_method is not None:
            check.inserted(subject, "item", "item.derived", " (its derived_from)")
        return
    d = e.data
    check.fields(
        subject,
        r,
        (
            ("derived_from", d.get("derived_from")),
            ("derived_method", d.get("method")),
            ("sha256", d.get("sha256")),
            ("size", d.get("size")),
        ),
        e,
    )


def _blobs(
    conn: sa.Connection, case: Case, acquired: dict[str, dict[str, Any]], check: _Checker
) -> None:
    first: dict[str, dict[str, Any]] = {}
    for data in sorted(acquired.values(), key=lambda d: int(d["seq"])):
        first.setdefault(str(data.get("sha256")), data)
    for r in conn.execute(sa.select(T_BLOB).where(T_BLOB.c.case_id == case.case_id)):
        found = first.pop(r.sha256, None)
        subject = f"blob {r.sha256}"
        if found is None:
            check.inserted(subject, "blob", "item.acquired")
            continue
        data = found
        seq = int(data["seq"])
        check.field(subject, "size", r.size, data.get("size"), seq, "item.acquired")
        check.field(subject, "mime", r.mime, data.get("mime"), seq, "item.acquired")
    for sha, data in first.items():
        check.deleted(f"blob {sha}", "blob", data["seq"], "item.acquired")


def _warnings(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    # item_warning has no case column: a warning belongs to the case of its item (a row
    # naming no item at all is kept, so an inserted orphan is found too).
    rows = conn.execute(
        sa.select(T_WARN)
        .select_from(T_WARN.outerjoin(T_ITEM, T_ITEM.c.id == T_WARN.c.item_id))
        .where(sa.or_(T_ITEM.c.case_id == case.case_id, T_ITEM.c.id.is_(None)))
        .order_by(T_WARN.c.id)
    ).all()
    pairs = _by_seq(
        rows,
        by_action.get("item.warning", []),
        check,
        "item_warning",
        lambda r: f"item_warning {r.id} (item {r.item_id})",
        lambda r, e: r.item_id == e.data.get("item_id"),
    )
    for r, e in pairs:
        check.fields(
            f"item_warning {r.id} (item {r.item_id})",
            r,
            (
                ("item_id", e.data.get("item_id")),
                ("origin", e.data.get("origin")),
                ("text", e.data.get("text")),
            ),
            e,
        )


#: The ingest.started data keys whose canonical JSON the run's params_hash is (ingest.py).
RUN_PARAMS = ("paths", "source", "reason", "tz")


def _runs(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    started = _first_by(by_action.get("ingest.started", []), lambda e: e.subject)
    completed = _first_by(by_action.get("ingest.completed", []), lambda e: e.subject)
    for r in conn.execute(
        sa.select(T_RUN).where(T_RUN.c.case_id == case.case_id).order_by(T_RUN.c.started_at)
    ):
        subject = f"ingest_run {r.id}"
        e = started.pop(r.id, None)
        done = completed.pop(r.id, None)
        if e is None:
            check.inserted(subject, "ingest_run", "ingest.started")
            if done is not None and r.finished_at is None:
                check.field(
                    subject, "finished_at", None, done.data.get("finished_at", done.at), done
                )
            continue
        d = e.data
        params = {k: d[k] for k in RUN_PARAMS if k in d}
        check.fields(
            subject,
            r,
            (
                ("params_hash", hashlib.sha256(canonical_bytes(params)).hexdigest()),
                ("examiner", e.actor),
                ("source", d.get("source")),
                ("reason", d.get("reason")),
                ("tz", d.get("tz")),
            ),
            e,
        )
        stated = d.get("started_at")
        if not _time_ok(r.started_at, e.at, stated, after=False):
            check.field(subject, "started_at", r.started_at, stated or e.at, e)
        if done is None:
            if r.finished_at is not None:
                # a finished run whose ingest.completed entry is gone (e.g. cut off the end)
                check.report.fail(
                    "row",
                    subject,
                    f"finished_at: row says {_show(r.finished_at)}, but its ingest.completed "
                    "entry is missing from the ledger",
                )
            continue
        stated = done.data.get("finished_at")
        if not _time_ok(r.finished_at, done.at, stated, after=True):
            check.field(subject, "finished_at", r.finished_at, stated or done.at, done)
    for run_id, e in started.items():
        check.deleted(f"ingest_run {run_id}", "ingest_run", e)
    for run_id, e in completed.items():
        check.deleted(f"ingest_run {run_id}", "ingest_run", e)


def _checkpoints(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    recorded = _first_by(
        by_action.get("checkpoint", []), lambda e: (e.data.get("size"), e.data.get("root"))
    )
    for r in conn.execute(
        sa.select(T_CHECKPOINT)
        .where(T_CHECKPOINT.c.case_id == case.case_id)
        .order_by(T_CHECKPOINT.c.size, T_CHECKPOINT.c.id)
    ):
        subject = f"checkpoint size {r.size} at {r.at}"
        e = recorded.pop((int(r.size), r.root), None)
        if e is None:
            check.inserted(subject, "checkpoint", "checkpoint")
            continue
        d = e.data
        check.fields(
            subject,
            r,
            (
                ("origin", e.subject),
                ("key_id", d.get("key_id")),
                ("signature", d.get("signature")),
            ),
            e,
        )
        # Entries made before issue 12 do not state the time; the checkpoint's signature,
        # checked by verify_case, covers it.
        if "at" in d:
            check.field(subject, "at", r.at, d["at"], e)
    for (size, _root), e in recorded.items():
        check.deleted(f"checkpoint size {size}", "checkpoint", e)


# --- accounts, aliases --------------------------------------------------------------------


def _avatars(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    rows = conn.execute(
        sa.select(T_AVATAR).where(T_AVATAR.c.case_id == case.case_id).order_by(T_AVATAR.c.id)
    ).all()
    for r, e in _by_seq(
        rows,
        by_action.get("account.avatar_linked", []),
        check,
        "account_avatar",
        lambda r: f"account_avatar {r.account_key}",
        lambda r, e: r.account_key == e.subject,
    ):
        check.fields(
            f"account_avatar {r.account_key}",
            r,
            (
                ("account_key", e.subject),
                ("item_id", e.data.get("item_id")),
                ("sha256", e.data.get("sha256")),
            ),
            e,
        )


def _alias_decisions(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    rows = conn.execute(
        sa.select(T_DECISION).where(T_DECISION.c.case_id == case.case_id).order_by(T_DECISION.c.id)
    ).all()
    entries = [e for action in ALIAS_STATES for e in by_action.get(action, [])]
    for r, e in _by_seq(
        rows,
        entries,
        check,
        "alias_decision",
        lambda r: f"alias_decision {r.account_a} ~ {r.account_b}",
        lambda r, e: (r.account_a, r.account_b) == (e.data.get("a"), e.data.get("b")),
    ):
        d = e.data
        subject = f"alias_decision {r.account_a} ~ {r.account_b}"
        check.fields(
            subject,
            r,
            (
                ("account_a", d.get("a")),
                ("account_b", d.get("b")),
                ("decision", ALIAS_STATES[e.action]),
                ("note", d.get("note", "")),
                ("examiner", e.actor),
                ("decided_at", e.at),
            ),
            e,
        )
        try:
            signals = json.loads(r.signals)
        except ValueError:
            signals = r.signals
        check.field(subject, "signals", signals, d.get("signals", []), e)


def _alias_labels(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    rows = conn.execute(
        sa.select(T_LABEL).where(T_LABEL.c.case_id == case.case_id).order_by(T_LABEL.c.id)
    ).all()
    for r, e in _by_seq(
        rows,
        by_action.get("alias.labelled", []),
        check,
        "alias_label",
        lambda r: f"alias_label {r.group_id}",
        lambda r, e: r.group_id == e.subject,
    ):
        check.fields(
            f"alias_label {r.group_id}",
            r,
            (
                ("group_id", e.subject),
                ("label", e.data.get("label")),
                ("examiner", e.actor),
                ("labelled_at", e.at),
            ),
            e,
        )


# --- exhibits, case details ---------------------------------------------------------------


def exhibit_parts(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The (role, value) parts an exhibit.assigned entry states, in the order they are stored."""
    return (
        [("item", str(v)) for v in data.get("items", [])]
        + [("thread", str(v)) for v in data.get("thread_ids", [])]
        + [("message", str(v)) for v in data.get("message_ids", [])]
    )


def _exhibits(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    rows = conn.execute(
        sa.select(T_EXHIBIT)
        .where(T_EXHIBIT.c.case_id == case.case_id)
        .order_by(T_EXHIBIT.c.ledger_seq)
    ).all()
    parts: dict[str, list[tuple[str, str]]] = {}
    for p in conn.execute(
        sa.select(T_PART.c.ref, T_PART.c.role, T_PART.c.value)
        .where(T_PART.c.case_id == case.case_id)
        .order_by(T_PART.c.id)
    ):
        parts.setdefault(p.ref, []).append((p.role, p.value))
    for r, e in _by_seq(
        rows,
        by_action.get("exhibit.assigned", []),
        check,
        "exhibit",
        lambda r: f"exhibit {r.ref}",
        lambda r, e: r.ref == e.data.get("ref"),
    ):
        d = e.data
        ref = str(d.get("ref"))
        prefix, _, number = ref.rpartition("/")
        check.fields(
            f"exhibit {r.ref}",
            r,
            (
                ("ref", ref),
                ("prefix", prefix),
                ("number", int(number) if number.isdigit() else number),
                ("producer", e.actor),
                ("kind", d.get("kind")),
                ("description", d.get("description")),
                ("reason", d.get("reason")),
                ("assigned_at", e.at),
            ),
            e,
        )
        check.field(f"exhibit_part {ref}", "parts", parts.pop(ref, []), exhibit_parts(d), e)
    for ref, got in parts.items():
        check.inserted(f"exhibit_part {ref}", "exhibit_part", "exhibit.assigned", f" ({got})")


def _details(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], check: _Checker
) -> None:
    rows = conn.execute(
        sa.select(T_DETAILS)
        .where(T_DETAILS.c.case_id == case.case_id)
        .order_by(T_DETAILS.c.ledger_seq)
    ).all()
    for r, e in _by_seq(
        rows,
        by_action.get("details.set", []),
        check,
        "case_details",
        lambda r: f"case_details entry {r.ledger_seq} ({r.section})",
    ):
        d = e.data
        section = WHOLE_DOCUMENT if d.get("scope") == "document" else d.get("section")
        subject = f"case_details entry {e.seq} ({section})"
        check.field(subject, "section", r.section, section, e)
        stored = canonical_bytes({"v": d.get("document")}).decode("utf-8")
        if r.document != stored:
            check.field(subject, "document", _document_of(r.document), d.get("document"), e)


def _document_of(text: str) -> Any:
    try:
        return json.loads(text).get("v")
    except (ValueError, AttributeError):
        return text


# --- extractions (their records are checked by verify_records) ----------------------------


def _extractions_witnessed(
    conn: sa.Connection, case: Case, by_action: dict[str, list[Entry]], report: VerifyReport
) -> None:
    """Every extraction row must have its item.extracted entry (a cut-off tail leaves one)."""
    seqs = {e.seq for e in by_action.get("item.extracted", [])}
    for item_id, extractor, seq in conn.execute(
        sa.select(
            T_EXTRACTION.c.item_id, T_EXTRACTION.c.extractor, T_EXTRACTION.c.ledger_seq
        ).where(T_EXTRACTION.c.case_id == case.case_id)
    ):
        if int(seq) not in seqs:
            report.fail(
                "entry",
                f"item {item_id} extraction by {extractor}",
                f"its item.extracted entry (seq {seq}) is missing from the ledger",
                seq,
            )

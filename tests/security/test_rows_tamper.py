"""Issue 12, point 1 and 2: every row shown is compared with the signed entry behind it.

An attacker with the case folder (or the PostgreSQL tables) and no examiner key edits,
deletes or inserts rows with raw SQL. Each change must make ``verify`` fail with kind
``row``, naming the table, the row's key and the field; ``ews export`` must refuse the
tampered case; and ``verify-bundle`` must catch a bundle whose printed facts contradict
its own signed ledger extract.

Each test builds one small case holding every kind of shown row (items with archive
members, a warning, runs, checkpoints, an exhibit with its parts, case details, an avatar
link, an alias decision and label), then applies each tampering in turn, checking it is
caught and restoring the row before the next.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from chain_of_custody.canonical import canonical_bytes
from chain_of_custody.case import T_BLOB, T_CASE, T_EXAMINER, T_ITEM, T_WARN, Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from chain_of_custody.verify_rows import (
    T_AVATAR,
    T_CHECKPOINT,
    T_DECISION,
    T_DETAILS,
    T_EXHIBIT,
    T_LABEL,
    T_PART,
    T_RUN,
)
from exports.details import set_details
from exports.exhibits import assign_exhibit
from extractors import registry
from extractors.base import Context, Source
from extractors.records import Account, Message, Record
from tests.data.make_demo_evidence import png_bytes
from workstation import aliases
from workstation.accounts import link_avatar
from workstation.export import ExportError, export_case
from workstation.ingest import IngestOptions, ingest_paths

EWS = [sys.executable, "-m", "workstation.cli"]
REASON = "seized under warrant"
AT = "2030-01-01T00:00:00Z"


class PeopleExtractor:
    """Test extractor: a ``NAME.people`` file is NAME's account and one message per line;
    a line ``BAD`` is an unreadable line (a warning on the item)."""

    name: ClassVar[str] = "test_people"
    version: ClassVar[str] = "1"
    description: ClassVar[str] = "an account and its messages"

    def sniff(self, source: Source) -> bool:
        return source.name.endswith(".people")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        who = source.name.rsplit("/", 1)[-1].removesuffix(".people")
        yield Account(
            locator=source.locate(line=1),
            platform="test",
            platform_id=who,
            display_name=who.title(),
            phone_raw="07700 900123",  # the same phone: a strong suggestion to decide
        )
        with source.open() as f:
            for number, raw in enumerate(f, 1):
                text = raw.decode("utf-8").rstrip("\n")
                if text == "BAD":
                    yield ctx.warn(source.locate(line=number), "unreadable line")
                    continue
                yield Message(
                    locator=source.locate(line=number),
                    platform="test",
                    thread_id=f"t-{who}",
                    sender_key=f"test:{who}",
                    sender_identifier=who,
                    sent_at_utc=f"2026-09-14T21:{number:02d}:00Z",
                    sent_at_raw=f"21:{number:02d}",
                    text=text,
                )


@pytest.fixture
def people_extractor() -> Iterator[PeopleExtractor]:
    extractor = PeopleExtractor()
    registry.register(extractor)  # type: ignore[arg-type]
    yield extractor
    registry.unregister(extractor.name)


@dataclass(frozen=True)
class Built:
    case: Case
    alice_id: str  # alice.people, exhibited, with a warning
    member_id: str  # bob.people inside chats.zip
    plain_id: str  # notes.bin: nothing refers to it
    group_id: str
    exhibit_ref: str


@pytest.fixture
def built(case: Case, signer: Signer, tmp_path: Path, people_extractor: PeopleExtractor) -> Built:
    src = tmp_path / "src"
    src.mkdir()
    (src / "alice.people").write_text("hello\nBAD\nbye\n", encoding="utf-8")
    (src / "notes.bin").write_bytes(bytes(range(256)) * 3)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("bob.people", (2024, 4, 1, 12, 30, 0)), "hi there\n")
    (src / "chats.zip").write_bytes(buf.getvalue())
    ingest_paths(case, signer, [src], IngestOptions(source="victim's phone", reason=REASON))
    case.make_checkpoint(signer)
    with case.engine.connect() as conn:
        items = {r.name: r for r in conn.execute(sa.select(T_ITEM))}
    alice, member, plain = items["alice.people"], items["bob.people"], items["notes.bin"]
    assert member.parent_id and member.member_modified_local
    exhibit = assign_exhibit(case, signer, "item", [alice.sha256], "Alice's chat", "threats")
    set_details(case, signer, {"suspect": "Daniel Mercer"})
    picture = tmp_path / "alice.png"
    picture.write_bytes(png_bytes(40, 40, (1, 2, 3)))
    link_avatar(case, signer, "test:alice", str(picture))
    aliases.decide(case, signer, "test:alice", "test:bob", "confirm", "same phone")
    group = aliases.groups(case)[0]
    aliases.label(case, signer, group.id, "Suspect A")
    report = verify_case(case)
    assert report.ok, report.failures
    return Built(case, alice.id, member.id, plain.id, group.id, exhibit.ref)


# --- tampering helpers ----------------------------------------------------------------------

Restore = Callable[[], None]


def _where(table: sa.Table, key: dict[str, Any]) -> Any:
    return sa.and_(*(table.c[k] == v for k, v in key.items()))


def edit(case: Case, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> Restore:
    with case.engine.begin() as conn:
        old = conn.execute(sa.select(table).where(_where(table, key))).one()._asdict()
        assert conn.execute(sa.update(table).where(_where(table, key)).values(values)).rowcount
    back = {k: old[k] for k in values}
    now = {k: values.get(k, v) for k, v in key.items()}  # the key may be what was edited

    def restore() -> None:
        with case.engine.begin() as conn:
            conn.execute(sa.update(table).where(_where(table, now)).values(back))

    return restore


def delete(case: Case, table: sa.Table, key: dict[str, Any]) -> Restore:
    with case.engine.begin() as conn:
        rows = [r._asdict() for r in conn.execute(sa.select(table).where(_where(table, key)))]
        assert rows
        conn.execute(sa.delete(table).where(_where(table, key)))

    def restore() -> None:
        with case.engine.begin() as conn:
            conn.execute(sa.insert(table), rows)

    return restore


def insert(case: Case, table: sa.Table, key: dict[str, Any], changes: dict[str, Any]) -> Restore:
    """Insert a copy of the row at ``key`` with ``changes`` (a new key, a new fact)."""
    with case.engine.begin() as conn:
        row = conn.execute(sa.select(table).where(_where(table, key))).first()
        assert row is not None
        new = {k: v for k, v in row._asdict().items() if k != "id" or "id" in changes}
        new.update(changes)
        if "id" in table.c and "id" not in new:
            pass  # an autoincrement id
        conn.execute(sa.insert(table), new)
    match = {k: new[k] for k in changes}

    def restore() -> None:
        with case.engine.begin() as conn:
            conn.execute(sa.delete(table).where(_where(table, match)))

    return restore


def assert_row_failure(case: Case, *needles: str) -> None:
    """verify fails with a kind ``row`` failure whose subject and message hold each needle."""
    report = verify_case(case, blobs=False)
    rows = [f"{f.subject}: {f.message}" for f in report.failures if f.kind == "row"]
    assert rows, f"not caught as a row failure: {report.failures}"
    assert any(all(n in text for n in needles) for text in rows), (needles, rows)


def caught_then_restored(case: Case, restore: Restore, *needles: str) -> None:
    try:
        assert_row_failure(case, *needles)
    finally:
        restore()
    assert verify_case(case, blobs=False).ok


# --- verify: each table, edited, deleted and inserted ---------------------------------------

ITEM_EDITS = [
    ("reason", "found in a bin"),
    ("source", "someone else's phone"),
    ("name", "renamed.people"),
    ("mime", "text/html"),
    ("size", 1),
    ("modified_at", "2001-01-01T00:00:00.000000Z"),
    ("changed_at", "2001-01-01T00:00:00.000000Z"),
    ("accessed_at", "2001-01-01T00:00:00.000000Z"),
    ("acquired_at", "2001-01-01T00:00:00.000000Z"),
    ("acquired_by", "0123456789abcdef"),
]
MEMBER_EDITS = [
    ("member", "other.people"),
    ("member_index", 7),
    ("member_modified_local", "1999-12-31T23:59:59"),
    ("parent_sha256", "ab" * 32),
    ("parent_id", None),
    ("path", "elsewhere/chats.zip!bob.people"),
]


def test_untouched_case_verifies(built: Built) -> None:
    report = verify_case(built.case)
    assert report.ok and report.items >= 5


def test_item_rows(built: Built) -> None:
    case = built.case
    for column, value in ITEM_EDITS:
        restore = edit(case, T_ITEM, {"id": built.alice_id}, {column: value})
        caught_then_restored(case, restore, f"item {built.alice_id}", f"{column}: row says")
    for column, value in MEMBER_EDITS:
        restore = edit(case, T_ITEM, {"id": built.member_id}, {column: value})
        caught_then_restored(case, restore, f"item {built.member_id}", f"{column}: row says")
    restore = delete(case, T_ITEM, {"id": built.plain_id})
    caught_then_restored(case, restore, f"item {built.plain_id}", "deleted", "item.acquired")
    fake = str(uuid.uuid4())
    restore = insert(case, T_ITEM, {"id": built.plain_id}, {"id": fake})
    caught_then_restored(case, restore, f"item {fake}", "inserted", "item.acquired")


def test_blob_rows(built: Built) -> None:
    case = built.case
    with case.engine.connect() as conn:
        sha = conn.execute(sa.select(T_ITEM.c.sha256).where(T_ITEM.c.id == built.plain_id)).one()[0]
    key = {"case_id": case.case_id, "sha256": sha}
    restore = edit(case, T_BLOB, key, {"mime": "image/png"})
    caught_then_restored(case, restore, f"blob {sha}", "mime: row says")
    restore = delete(case, T_BLOB, key)
    caught_then_restored(case, restore, f"blob {sha}", "deleted")
    restore = insert(case, T_BLOB, key, {"sha256": "cd" * 32})
    caught_then_restored(case, restore, f"blob {'cd' * 32}", "inserted")


def test_warning_rows(built: Built) -> None:
    case = built.case
    with case.engine.connect() as conn:
        wid = conn.execute(sa.select(T_WARN.c.id).where(T_WARN.c.item_id == built.alice_id)).one()[
            0
        ]
    restore = edit(case, T_WARN, {"id": wid}, {"text": "nothing to worry about"})
    caught_then_restored(case, restore, f"item_warning {wid}", "text: row says", "item.warning")
    restore = edit(case, T_WARN, {"id": wid}, {"item_id": built.plain_id})
    caught_then_restored(case, restore, f"item_warning {wid}", "item_id: row says")
    restore = delete(case, T_WARN, {"id": wid})
    caught_then_restored(case, restore, "item_warning", "deleted", "item.warning")
    restore = insert(case, T_WARN, {"id": wid}, {"id": wid + 1000, "text": "planted"})
    caught_then_restored(case, restore, f"item_warning {wid + 1000}", "inserted")


def test_checkpoint_rows(built: Built) -> None:
    case = built.case
    with case.engine.connect() as conn:
        cp = conn.execute(
            sa.select(T_CHECKPOINT).where(T_CHECKPOINT.c.case_id == case.case_id).limit(1)
        ).one()
    restore = edit(case, T_CHECKPOINT, {"id": cp.id}, {"at": "2001-01-01T00:00:00.000000Z"})
    caught_then_restored(case, restore, f"checkpoint size {cp.size}", "at: row says")
    restore = edit(case, T_CHECKPOINT, {"id": cp.id}, {"key_id": "0123456789abcdef"})
    caught_then_restored(case, restore, f"checkpoint size {cp.size}", "key_id: row says")
    restore = delete(case, T_CHECKPOINT, {"id": cp.id})
    caught_then_restored(case, restore, f"checkpoint size {cp.size}", "deleted", "(checkpoint)")
    restore = insert(case, T_CHECKPOINT, {"id": cp.id}, {"root": "ef" * 32})
    caught_then_restored(case, restore, f"checkpoint size {cp.size}", "inserted")


def test_ingest_run_rows(built: Built) -> None:
    case = built.case
    with case.engine.connect() as conn:
        run_id = conn.execute(
            sa.select(T_ITEM.c.run_id).where(T_ITEM.c.id == built.plain_id)
        ).one()[0]
    for column, value in (
        ("reason", "no reason"),
        ("source", "a stranger's phone"),
        ("tz", "America/New_York"),
        ("examiner", "0123456789abcdef"),
        ("params_hash", "00" * 32),
        ("started_at", "2001-01-01T00:00:00.000000Z"),
        ("finished_at", "2001-01-01T00:00:00.000000Z"),
        ("finished_at", None),
    ):
        restore = edit(case, T_RUN, {"id": run_id}, {column: value})
        caught_then_restored(case, restore, f"ingest_run {run_id}", f"{column}: row says")
    fake = str(uuid.uuid4())
    restore = insert(case, T_RUN, {"id": run_id}, {"id": fake})
    caught_then_restored(case, restore, f"ingest_run {fake}", "inserted", "ingest.started")
    # A run cannot go while its items point at it (a foreign key): take them along.
    with case.engine.begin() as conn:
        items = [
            r._asdict() for r in conn.execute(sa.select(T_ITEM).where(T_ITEM.c.run_id == run_id))
        ]
        conn.execute(sa.update(T_ITEM).where(T_ITEM.c.run_id == run_id).values(run_id=None))
    restore_run = delete(case, T_RUN, {"id": run_id})

    def restore() -> None:
        restore_run()
        with case.engine.begin() as conn:
            for it in items:
                conn.execute(sa.update(T_ITEM).where(T_ITEM.c.id == it["id"]).values(run_id=run_id))

    caught_then_restored(case, restore, f"ingest_run {run_id}", "deleted", "ingest.started")


def test_examiner_rows(built: Built, signer: Signer) -> None:
    case = built.case
    key = {"case_id": case.case_id, "key_id": signer.key_id}
    for column, value in (
        ("name", "Someone Else"),
        ("initials", "XX"),
        ("added_at", "2001-01-01T00:00:00.000000Z"),
    ):
        restore = edit(case, T_EXAMINER, key, {column: value})
        caught_then_restored(case, restore, f"({signer.key_id})", f"{column}: row says")
    restore = insert(case, T_EXAMINER, key, {"key_id": "0123456789abcdef", "initials": "ZZ"})
    caught_then_restored(case, restore, "(0123456789abcdef)", "inserted", "examiner.added")
    restore = delete(case, T_EXAMINER, key)
    caught_then_restored(case, restore, f"({signer.key_id})", "deleted", "examiner.added")


def test_case_info_row(built: Built) -> None:
    """The case row itself cannot be deleted or duplicated without the case failing to open
    (every table refers to it); each of its shown fields is compared."""
    case = built.case
    for column, value in (
        ("urn", "99ZZ9999999"),
        ("title", "R v Somebody Else"),
        ("tz", "Asia/Tokyo"),
        ("created_at", "2001-01-01T00:00:00.000000Z"),
    ):
        restore = edit(case, T_CASE, {"id": case.case_id}, {column: value})
        caught_then_restored(case, restore, f"case_info {case.case_id}", f"{column}: row says")


def test_avatar_rows(built: Built) -> None:
    case = built.case
    key = {"case_id": case.case_id, "account_key": "test:alice"}
    restore = edit(case, T_AVATAR, key, {"sha256": "ab" * 32})
    caught_then_restored(case, restore, "account_avatar test:alice", "sha256: row says")
    restore = edit(case, T_AVATAR, key, {"account_key": "test:bob"})
    caught_then_restored(case, restore, "account_avatar test:bob", "account_key: row says")
    restore = delete(case, T_AVATAR, key)
    caught_then_restored(case, restore, "account_avatar", "deleted", "account.avatar_linked")
    restore = insert(case, T_AVATAR, key, {"account_key": "test:bob"})
    caught_then_restored(case, restore, "account_avatar test:bob", "inserted")


def test_alias_decision_rows(built: Built) -> None:
    case = built.case
    key = {"case_id": case.case_id, "account_a": "test:alice"}
    subject = "alias_decision test:alice ~ test:bob"
    for column, value in (
        ("decision", "rejected"),
        ("note", "they are different people"),
        ("signals", "[]"),
        ("examiner", "0123456789abcdef"),
    ):
        restore = edit(case, T_DECISION, key, {column: value})
        caught_then_restored(case, restore, subject, f"{column}: row says")
    restore = delete(case, T_DECISION, key)
    caught_then_restored(case, restore, "alias_decision", "deleted", "alias.confirmed")
    restore = insert(case, T_DECISION, key, {"account_b": "test:carol"})
    caught_then_restored(case, restore, "alias_decision test:alice ~ test:carol", "inserted")


def test_alias_label_rows(built: Built) -> None:
    case = built.case
    key = {"case_id": case.case_id, "group_id": built.group_id}
    restore = edit(case, T_LABEL, key, {"label": "The victim"})
    caught_then_restored(case, restore, f"alias_label {built.group_id}", "label: row says")
    restore = delete(case, T_LABEL, key)
    caught_then_restored(case, restore, "alias_label", "deleted", "alias.labelled")
    restore = insert(case, T_LABEL, key, {"group_id": "G1", "label": "Planted"})
    caught_then_restored(case, restore, "alias_label G1", "inserted")


def test_exhibit_rows(built: Built) -> None:
    case = built.case
    ref = built.exhibit_ref
    key = {"case_id": case.case_id, "ref": ref}
    for column, value in (
        ("description", "A love letter"),
        ("reason", "exculpatory"),
        ("kind", "thread"),
        ("assigned_at", "2001-01-01T00:00:00.000000Z"),
        ("producer", "0123456789abcdef"),
    ):
        restore = edit(case, T_EXHIBIT, key, {column: value})
        caught_then_restored(case, restore, f"exhibit {ref}", f"{column}: row says")
    restore = delete(case, T_EXHIBIT, key)
    caught_then_restored(case, restore, "exhibit", "deleted", "exhibit.assigned")
    restore = insert(case, T_EXHIBIT, key, {"ref": "JS/99", "number": 99})
    caught_then_restored(case, restore, "exhibit JS/99", "inserted")
    # its parts: what the exhibit is made of
    restore = edit(case, T_PART, key, {"value": "ab" * 32})
    caught_then_restored(case, restore, f"exhibit_part {ref}", "parts: row says")
    restore = delete(case, T_PART, key)
    caught_then_restored(case, restore, f"exhibit_part {ref}", "parts: row says")
    restore = insert(case, T_PART, key, {"value": "cd" * 32})
    caught_then_restored(case, restore, f"exhibit_part {ref}", "parts: row says")
    restore = insert(case, T_PART, key, {"ref": "JS/98"})
    caught_then_restored(case, restore, "exhibit_part JS/98", "inserted")


def test_case_details_rows(built: Built) -> None:
    case = built.case
    with case.engine.connect() as conn:
        seq = conn.execute(
            sa.select(T_DETAILS.c.ledger_seq).where(T_DETAILS.c.case_id == case.case_id)
        ).one()[0]
    key = {"case_id": case.case_id, "ledger_seq": seq}
    planted = canonical_bytes({"v": {"suspect": "Someone Innocent"}}).decode()
    restore = edit(case, T_DETAILS, key, {"document": planted})
    caught_then_restored(case, restore, f"case_details entry {seq}", "document: row says")
    restore = edit(case, T_DETAILS, key, {"section": "suspect"})
    caught_then_restored(case, restore, f"case_details entry {seq}", "section: row says")
    restore = delete(case, T_DETAILS, key)
    caught_then_restored(case, restore, "case_details", "deleted", "details.set")
    restore = insert(case, T_DETAILS, key, {"ledger_seq": seq + 10_000, "document": planted})
    caught_then_restored(case, restore, f"case_details entry {seq + 10_000}", "inserted")


def test_cli_verify_names_table_key_and_field(built: Built) -> None:
    case = built.case
    edit(case, T_EXHIBIT, {"case_id": case.case_id, "ref": built.exhibit_ref},
         {"description": "A love letter"})  # fmt: skip
    r = subprocess.run(
        [*EWS, "verify", str(case.folder), "--no-record", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 1
    failures = json.loads(r.stdout)["failures"]
    row = next(f for f in failures if f["kind"] == "row")
    assert row["subject"] == f"exhibit {built.exhibit_ref}"
    assert row["message"].startswith("description: row says 'A love letter', ledger entry ")
    assert '(exhibit.assigned) says "Alice\'s chat"' in row["message"]


# --- export refuses a case that does not verify ---------------------------------------------


def test_export_refuses_a_tampered_case(built: Built, signer: Signer, tmp_path: Path) -> None:
    case = built.case
    size = case.ledger_size()
    edit(case, T_EXHIBIT, {"case_id": case.case_id, "ref": built.exhibit_ref},
         {"description": "A love letter"})  # fmt: skip
    out = tmp_path / "out"
    with pytest.raises(ExportError, match=r"does not verify.*exhibit JS/1.*run ews verify"):
        export_case(case, signer, file_type="pre-charge", out=out, at=AT)
    assert not out.exists() or not any(out.iterdir())
    r = subprocess.run(
        [*EWS, "export", str(case.folder), "--file", "pre-charge", "--out", str(out), "--at", AT],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "description: row says 'A love letter'" in lines[0]
    assert "run ews verify" in lines[0]
    assert not out.exists() or not any(out.iterdir())
    assert case.ledger_size() == size  # nothing recorded either


# --- verify-bundle: printed facts against the signed extract --------------------------------


@pytest.fixture
def exported(built: Built, signer: Signer, tmp_path: Path) -> Path:
    summary = export_case(built.case, signer, file_type="pre-charge", out=tmp_path / "b", at=AT)
    return summary.folder


def _facts_problems(folder: Path) -> list[str]:
    from exports.verify_bundle import Verifier, open_source

    source = open_source(str(folder))
    try:
        report = Verifier(source).run()
    finally:
        source.close()
    return [f"{p.subject}: {p.message}" for p in report.check(6).problems] + [
        f"check {c.number}: {p.subject}: {p.message}"
        for c in report.checks
        if c.number != 6
        for p in c.problems
    ]


def test_extract_carries_details_and_exhibit_entries(exported: Path) -> None:
    entries = json.loads((exported / "11_custody_ledger/entries.json").read_text())
    actions = {e["action"] for e in entries}
    assert {"exhibit.assigned", "details.set", "case.created"} <= actions
    proven = {p["seq"] for p in json.loads(
        (exported / "11_custody_ledger/inclusion_proofs.json").read_text())["proofs"]}  # fmt: skip
    assert {e["seq"] for e in entries} == proven
    assert _facts_problems(exported) == []


def _resign(folder: Path, signer: Signer, changed: dict[str, bytes]) -> Path:
    """A copy of the bundle with files replaced and the manifest re-signed by the examiner's
    own key: every hash and signature holds, so only the facts check can catch it."""
    import hashlib

    copy = folder.with_name(folder.name + "-edited")
    shutil.copytree(folder, copy)
    for rel, data in changed.items():
        (copy / rel).write_bytes(data)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["files"]:
        if f["path"] in changed:
            f["sha256"] = hashlib.sha256(changed[f["path"]]).hexdigest()
            f["size"] = len(changed[f["path"]])
    data = canonical_bytes(manifest)
    (copy / "manifest.json").write_bytes(data)
    sig = {"algorithm": "ed25519", "key_id": signer.key_id, "signature": signer.sign(data)}
    (copy / "manifest.sig").write_bytes(canonical_bytes(sig))
    return copy


def test_verify_bundle_catches_exhibits_json_contradicting_the_extract(
    exported: Path, signer: Signer
) -> None:
    doc = json.loads((exported / "exhibits.json").read_text(encoding="utf-8"))
    doc["exhibits"][0]["description"] = "A love letter"
    doc["exhibits"][0]["kind"] = "thread"
    copy = _resign(exported, signer, {"exhibits.json": canonical_bytes(doc)})
    problems = _facts_problems(copy)
    assert any(
        p.startswith("exhibits.json exhibit JS/1: description: says 'A love letter', ledger entry")
        and '(exhibit.assigned) says "Alice\'s chat"' in p
        for p in problems
    ), problems
    assert any("exhibits.json exhibit JS/1: kind: says 'thread'" in p for p in problems)
    assert not any(p.startswith("check ") for p in problems), problems  # only this check
    r = subprocess.run(
        [*EWS, "verify-bundle", str(copy)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert r.returncode == 1


def test_verify_bundle_catches_exhibit_list_and_case_facts_contradicting_the_extract(
    exported: Path, signer: Signer
) -> None:
    doc = json.loads((exported / "case.jsonld").read_text(encoding="utf-8"))
    for node in doc["@graph"]:
        if node.get("@type") == "investigation:ProvenanceRecord":
            node["core:description"] = "A love letter"
        if node.get("@type") == "investigation:Investigation":
            node["core:name"] = "99ZZ9999999"
        if node.get("core:name") == "exhibit JS/1 produced":
            node["core:description"] = "exculpatory; ledger entry 1"
    data = (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    copy = _resign(exported, signer, {"case.jsonld": data})
    # the manifest's own case facts: edited, then signed again by the examiner's key
    m = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    m["title"] = "R v Somebody Else"
    body = canonical_bytes(m)
    (copy / "manifest.json").write_bytes(body)
    sig = {"algorithm": "ed25519", "key_id": signer.key_id, "signature": signer.sign(body)}
    (copy / "manifest.sig").write_bytes(canonical_bytes(sig))
    problems = _facts_problems(copy)
    assert any(p.startswith("case.jsonld exhibit JS/1: description: says 'A love letter'")
               for p in problems), problems  # fmt: skip
    assert any(p.startswith("case.jsonld exhibit JS/1 produced: reason: says") for p in problems)
    assert any(p.startswith("case.jsonld investigation: name: says '99ZZ9999999'")
               for p in problems)  # fmt: skip
    assert any(p.startswith("manifest.json: title: says 'R v Somebody Else', ledger entry 0")
               for p in problems)  # fmt: skip

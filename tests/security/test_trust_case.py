"""Trust anchored outside the case (issue 12, point 3; chain_of_custody/trust.py).

The attacker has write access to the case folder (and, on PostgreSQL, to the case's rows)
and a key of their own that carries the examiner's name and initials, but not the
examiner's key. Before this change a case re-signed whole under such a key passed
``ews verify``, the genuine examiner's next command added the impostor's twin silently as a
second "JS", a self-signed ``examiner.added`` was accepted, and so was a second examiner
with initials already used in the case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain_of_custody import db, ledger
from chain_of_custody.case import Case, _examiner_entry, _insert_examiner
from chain_of_custody.keys import ExaminerIdentity, Signer, format_fingerprint
from chain_of_custody.ledger import NewEntry
from chain_of_custody.trust import export_text
from workstation.cli import main


def impostor(name: str = "Jane Smith", initials: str = "JS") -> Signer:
    """A fresh key that claims to be ``name (initials)``; no data folder trusts it."""
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Signer(ExaminerIdentity(name, initials, raw.hex()), key)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def db_args(db_url: str | None) -> list[str]:
    return ["--db", db_url] if db_url else []


def verify_json(
    capsys: pytest.CaptureFixture[str], folder: Path, db_url: str | None, *extra: str
) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(
        capsys, "verify", str(folder), "--no-record", "--json", *db_args(db_url), *extra
    )
    return code, json.loads(out)


def kinds(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in report["failures"] if f["kind"] == kind]


def append_as(case: Case, signer: Signer, entries: list[NewEntry]) -> None:
    """What an attacker with write access does: append entries signed by their own key,
    chained to the head, bypassing every check of the workstation."""
    with db.write_transaction(case.engine, case.case_id) as conn:
        ledger.append_entries(conn, case.case_id, signer, entries)


def self_add(case: Case, signer: Signer, endorser: Signer | None = None) -> None:
    """An examiner.added entry and row for ``signer``, signed by ``endorser`` (itself if None)."""
    with db.write_transaction(case.engine, case.case_id) as conn:
        (made,) = ledger.append_entries(
            conn, case.case_id, endorser or signer, [_examiner_entry(signer.identity)]
        )
        _insert_examiner(conn, case.case_id, signer.identity, made.at)


def test_case_resigned_whole_under_an_impostor_key_fails_untrusted_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str | None, signer: Signer
) -> None:
    fake = impostor()
    assert (fake.identity.name, fake.identity.initials) == (
        signer.identity.name,
        signer.identity.initials,
    )
    folder = tmp_path / "case"
    with Case.create(folder, urn="01TR0000001", title="R v Test", signer=fake, db_url=db_url) as c:
        c.record(fake, [NewEntry("note.added", "n1", {"text": "a fabricated note"})])
        size = c.ledger_size()
    code, report = verify_json(capsys, folder, db_url)
    assert code == 1 and not report["ok"]
    (bad,) = kinds(report, "untrusted_key")
    assert bad["subject"] == f"key {fake.key_id}"
    assert format_fingerprint(fake.identity.fingerprint) in bad["message"]
    assert "claims to be Jane Smith (JS)" in bad["message"]
    assert f"signed {size} entries from entry 0" in bad["message"]
    assert bad["seq"] == 0
    # --allow-untrusted: reported as a note, and the case verifies otherwise.
    code, report = verify_json(capsys, folder, db_url, "--allow-untrusted")
    assert code == 0 and report["ok"], report["failures"]
    assert any(f"untrusted_key: key {fake.key_id}" in n for n in report["notes"])


def test_genuine_examiner_is_never_added_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str | None, signer: Signer
) -> None:
    fake = impostor()
    folder = tmp_path / "case"
    with Case.create(folder, urn="01TR0000002", title="R v Test", signer=fake, db_url=db_url) as c:
        before = [(e.action, e.subject) for e in c.ledger_entries()]
    # The genuine JS runs a command that writes to the case: refused in one line.
    code, _, err = run(capsys, "checkpoint", str(folder), "--examiner", "JS", *db_args(db_url))
    assert code == 1
    assert err.strip() == (
        f"ews: error: Jane Smith (JS, key {signer.key_id}) is not an examiner of this case: "
        "an examiner of the case must add them with `ews examiners CASE add`"
    )
    # Recording a verification is refused the same way; the report is still shown.
    code, _, err = run(capsys, "verify", str(folder), "--examiner", "JS", *db_args(db_url))
    assert code == 1 and "FAILED untrusted_key" in err
    assert "not recorded: Jane Smith (JS" in err
    with Case.open(folder, db_url=db_url) as c:
        after = [(e.action, e.subject) for e in c.ledger_entries()]
        examiners = c.examiners()
    assert after == before
    assert list(examiners) == [fake.key_id]
    assert [a for a in after if a[0] == "examiner.added"] == [("examiner.added", fake.key_id)]


def test_self_signed_examiner_added_is_an_examiner_failure(
    case: Case, capsys: pytest.CaptureFixture[str], db_url: str | None, signer: Signer
) -> None:
    fake = impostor("Dan Evans", "DE")
    self_add(case, fake)  # re-chained and signed by the impostor
    append_as(case, fake, [NewEntry("note.added", "n1", {"text": "a fabricated note"})])
    seq = case.ledger_size() - 2
    for extra in ((), ("--allow-untrusted",)):
        code, report = verify_json(capsys, case.folder, db_url, *extra)
        assert code == 1
        (bad,) = kinds(report, "examiner")
        assert bad["subject"] == f"entry {seq} (examiner.added)" and bad["seq"] == seq
        assert bad["message"] == (
            f"Dan Evans (DE, key {fake.key_id}) is self-signed: no examiner of the case endorsed it"
        )
    # An addition signed by a key that is not (yet) an examiner is refused too.
    other = impostor("Eve Fox", "EF")
    self_add(case, other, endorser=impostor("Nobody", "NB"))
    code, report = verify_json(capsys, case.folder, db_url, "--allow-untrusted")
    assert any(
        "is endorsed by key" in f["message"] and "not an examiner" in f["message"]
        for f in kinds(report, "examiner")
    )
    del signer


def test_duplicate_initials_refused_by_examiners_add_and_by_verify(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    db_url: str | None,
    signer: Signer,
) -> None:
    twin = impostor("John Stone", "JS")  # a genuine colleague, but initials already used
    key_file = tmp_path / "john.json"
    key_file.write_text(export_text(twin.identity), encoding="utf-8")
    code, _, err = run(
        capsys,
        "examiners",
        str(case.folder),
        "add",
        str(key_file),
        "--name",
        "John Stone",
        "--initials",
        "JS",
        "--examiner",
        "JS",
        *db_args(db_url),
    )
    assert code == 1
    assert "initials JS are already used in this case by Jane Smith" in err
    assert twin.key_id not in case.examiners()
    # Written past the command (an older workstation, or the database edited): verify fails.
    self_add(case, twin, endorser=signer)
    code, report = verify_json(capsys, case.folder, db_url, "--allow-untrusted")
    assert code == 1
    (bad,) = kinds(report, "examiner")
    assert "reuses initials JS of Jane Smith (added in entry 0)" in bad["message"]


def test_examiner_added_by_an_examiner_of_the_case_verifies(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    db_url: str | None,
    signer: Signer,
    second_signer: Signer,
) -> None:
    key_file = tmp_path / "rp.json"
    code, _, _ = run(capsys, "keys", "export", "--initials", "RP", "--out", str(key_file))
    assert code == 0
    code, out, err = run(
        capsys,
        "examiners",
        str(case.folder),
        "add",
        str(key_file),
        "--name",
        "Ravi Patel",
        "--initials",
        "RP",
        "--examiner",
        "JS",
        *db_args(db_url),
    )
    assert code == 0, err
    assert f"examiner Ravi Patel (RP, key {second_signer.key_id}) added by JS" in out
    case.record(second_signer, [NewEntry("note.added", "n1", {"text": "RP's note"})])
    code, report = verify_json(capsys, case.folder, db_url)
    assert code == 0 and report["ok"], report["failures"]
    code, out, _ = run(capsys, "examiners", str(case.folder), "--json", *db_args(db_url))
    listed = json.loads(out)
    assert [(e["initials"], e["trusted"]) for e in listed] == [("JS", True), ("RP", True)]
    # Adding oneself, or someone twice, is refused.
    code, _, err = run(
        capsys,
        "examiners",
        str(case.folder),
        "add",
        str(key_file),
        "--name",
        "Ravi Patel",
        "--initials",
        "RP",
        "--examiner",
        "RP",
        *db_args(db_url),
    )
    assert code == 1 and "cannot add themselves" in err
    del signer

"""A recipient names the signer they expect (issue 12, point 4; exports/verify_bundle.py).

The attacker holds a genuine bundle (and here, to build forgeries quickly, a copy of its
case) and a key of their own named like the examiner. Before this change a bundle fully
re-signed under that key passed ``ews verify-bundle`` on its own, and a forged bundle that
appends a self-signed ``examiner.added`` and entries signed by that key passed
``verify-bundle NEW --previous OLD``; the verifier's only guide pointed at files inside the
bundle being checked.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain_of_custody import db, ledger
from chain_of_custody.case import Case, _examiner_entry, _insert_examiner
from chain_of_custody.keys import ExaminerIdentity, Signer, format_fingerprint
from chain_of_custody.ledger import NewEntry
from chain_of_custody.trust import export_text
from exports import verify_bundle as vb
from tests.exports import bundle_factory as bf

FILES = {"chat.txt": b"[01/03/2024, 10:00:00] Dan: you can't hide from me\n" * 20}


def impostor(name: str = "Jane Smith", initials: str = "JS") -> Signer:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Signer(ExaminerIdentity(name, initials, raw.hex()), key)


def check(path: Path, *extra: str) -> tuple[int, str]:
    lines: list[str] = []
    args = vb.configure(argparse.ArgumentParser()).parse_args([str(path), *extra])
    return vb.run(args, lines.append), "".join(lines)


def fails(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("FAIL")]


@pytest.fixture(scope="module")
def genuine(
    tmp_path_factory: pytest.TempPathFactory, signer: Signer
) -> Iterator[tuple[Path, bf.Bundle, Path]]:
    """JS's case folder, a bundle of it, and JS's public key file (from ``ews keys export``)."""
    base = tmp_path_factory.mktemp("trust-bundle")
    case = bf.new_case(base / "case", signer, FILES, urn="01TB0000001")
    sha = bf.acquired(case)["chat.txt"]
    bf.assign(case, signer, "JS/1", [sha])
    (base / "out").mkdir()
    bundle = bf.export(case, signer, base / "out", {"JS/1": [sha]})
    case.close()
    key_file = base / "jane-smith.json"
    key_file.write_text(export_text(signer.identity), encoding="utf-8")
    yield base / "case", bundle, key_file


def test_without_trust_integrity_only_exit_3(
    genuine: tuple[Path, bf.Bundle, Path], signer: Signer, tmp_path: Path
) -> None:
    _, bundle, _ = genuine
    code, text = check(bundle.zip)
    assert code == 3, text
    assert "integrity verified, signer not established: pass --trust" in text.splitlines()
    assert format_fingerprint(signer.identity.fingerprint) in text
    assert "by telephone" in text and "keys/ folder" not in text
    code, text = check(bundle.zip, "--json")
    report = json.loads(text)
    assert code == 3 and report["exit_code"] == 3
    assert report["ok"] is False and report["signer_established"] is False
    assert report["signer_fingerprint"] == signer.identity.fingerprint
    # A failed check still exits 1, which wins over 3.
    copy = tmp_path / bundle.bundle_id
    shutil.copytree(bundle.folder, copy)
    (copy / "VERIFY.txt").write_bytes(b"changed\n")
    code, text = check(copy)
    assert code == 1 and "signer not established" not in text


def test_trust_by_file_openssh_line_or_fingerprint_with_spaces(
    genuine: tuple[Path, bf.Bundle, Path], signer: Signer, tmp_path: Path
) -> None:
    _, bundle, key_file = genuine
    code, text = check(bundle.zip, "--trust", str(key_file))
    assert code == 0, text
    assert "RESULT: PASS" in text.splitlines()[-1]
    ssh = tmp_path / "js.pub"
    ssh.write_bytes(bf.openssh_line(signer))
    assert check(bundle.folder, "--trust", str(ssh))[0] == 0
    grouped = format_fingerprint(signer.identity.fingerprint)
    code, text = check(bundle.zip, "--trust-fingerprint", grouped, "--json")
    assert code == 0 and json.loads(text)["signer_established"] is True
    assert check(bundle.zip, "--trust-fingerprint", grouped.upper().replace(" ", ""))[0] == 0
    # A 16-digit key id is not a fingerprint; a file that is not a public key is refused.
    assert check(bundle.zip, "--trust-fingerprint", signer.key_id)[0] == 2
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    assert check(bundle.zip, "--trust", str(junk))[0] == 2
    # Trusting someone else's key: the bundle's signer is not established.
    other = tmp_path / "other.json"
    other.write_text(export_text(impostor("Ravi Patel", "RP").identity))
    code, text = check(bundle.zip, "--trust", str(other))
    assert code == 1
    assert any(
        line.startswith(f"FAIL  8. signers: JS (key {signer.key_id})") for line in fails(text)
    )


def test_fully_resigned_bundle_fails_with_trust_of_the_genuine_key(
    genuine: tuple[Path, bf.Bundle, Path], tmp_path: Path
) -> None:
    _, bundle, key_file = genuine
    fake = impostor()
    case = bf.new_case(tmp_path / "case", fake, FILES, urn="01TB0000001")
    sha = bf.acquired(case)["chat.txt"]
    bf.assign(case, fake, "JS/1", [sha])
    (tmp_path / "out").mkdir()
    forged = bf.export(case, fake, tmp_path / "out", {"JS/1": [sha]}, bundle_id=bundle.bundle_id)
    case.close()
    code, text = check(forged.zip)
    assert code == 3  # intact: only the recipient's trust can tell
    code, text = check(forged.zip, "--trust", str(key_file))
    assert code == 1, text
    bad = fails(text)
    assert bad and all(line.startswith("FAIL  8. signers:") for line in bad), text
    assert f"JS (key {fake.key_id})" in bad[0]
    assert "the manifest" in bad[0] and "not a key you trust" in bad[0]


def _forge_extension(folder: Path, fake: Signer) -> Case:
    """Append to a copy of the case what the attacker needs: a self-signed examiner.added
    for their key (named like the examiner), and entries signed by it."""
    case = Case.open(folder)
    with db.write_transaction(case.engine, case.case_id) as conn:
        (made,) = ledger.append_entries(conn, case.case_id, fake, [_examiner_entry(fake.identity)])
        _insert_examiner(conn, case.case_id, fake.identity, made.at)
    sha = bf.acquired(case)["chat.txt"]
    case.record(fake, [NewEntry("note.added", "n1", {"text": "a fabricated note"})])
    bf.assign(case, fake, "JS/2", [sha])
    return case


def test_forged_bundle_with_self_signed_examiner_fails_alone_and_with_previous(
    genuine: tuple[Path, bf.Bundle, Path], tmp_path: Path
) -> None:
    case_dir, old, key_file = genuine
    copy = tmp_path / "case"
    shutil.copytree(case_dir, copy)
    fake = impostor()
    case = _forge_extension(copy, fake)
    sha = bf.acquired(case)["chat.txt"]
    (tmp_path / "out").mkdir()
    new = bf.export(case, fake, tmp_path / "out", {"JS/1": [sha], "JS/2": [sha]})
    case.close()
    # NEW extends OLD: the consistency proof holds, but its signers are not OLD's.
    code, text = check(new.zip, "--previous", str(old.zip))
    assert code == 1, text
    bad = [line for line in fails(text) if line.startswith("FAIL  7. previous bundle:")]
    assert any("(examiner.added): adds key " + fake.key_id in line for line in bad), text
    assert any(f"JS (key {fake.key_id}): signed the manifest" in line for line in bad), text
    # Alone, with the genuine key trusted: the self-signed addition endorses nobody.
    code, text = check(new.zip, "--trust", str(key_file))
    assert code == 1, text
    bad = fails(text)
    assert any("signed by that key itself: no examiner endorsed it" in line for line in bad)
    assert any(f"JS (key {fake.key_id})" in line and "not a key you trust" in line for line in bad)
    # And with both.
    assert check(new.zip, "--trust", str(key_file), "--previous", str(old.zip))[0] == 1


def test_later_bundle_by_an_examiner_added_by_a_trusted_one_passes(
    genuine: tuple[Path, bf.Bundle, Path], signer: Signer, second_signer: Signer, tmp_path: Path
) -> None:
    from chain_of_custody.trust import add_examiner

    case_dir, old, key_file = genuine
    copy = tmp_path / "case"
    shutil.copytree(case_dir, copy)
    case = Case.open(copy)
    add_examiner(case, signer, second_signer.identity)
    sha = bf.acquired(case)["chat.txt"]
    bf.assign(case, second_signer, "RP/1", [sha])
    (tmp_path / "out").mkdir()
    new = bf.export(case, second_signer, tmp_path / "out", {"JS/1": [sha], "RP/1": [sha]})
    case.close()
    code, text = check(new.zip, "--trust", str(key_file), "--previous", str(old.zip))
    assert code == 0, text
    assert "RP (key " in text and "added by JS" in text

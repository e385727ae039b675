"""``ews keys trust|list|export`` and ``EWS_TRUSTED_KEYS``: the trust of a data folder.

Before this change there was no trust outside the case: any key recorded in the case was
believed. Here a second data folder (another examiner's machine) trusts JS only once it is
told to, by ``ews keys trust`` or by the unit's published folder of public key files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer, fingerprint, format_fingerprint
from chain_of_custody.ledger import NewEntry
from chain_of_custody.trust import add_examiner, export_text
from workstation.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    """Another examiner's data folder: it trusts nobody yet."""
    saved = os.environ["EWS_DATA_DIR"]
    home = tmp_path / "elsewhere"
    home.mkdir()
    os.environ["EWS_DATA_DIR"] = str(home)
    try:
        yield home
    finally:
        os.environ["EWS_DATA_DIR"] = saved
        os.environ.pop("EWS_TRUSTED_KEYS", None)


def test_fingerprint_is_sha256_of_the_raw_key_in_groups_of_four() -> None:
    pub = "00" * 32
    fp = fingerprint(pub)
    assert fp == "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    assert format_fingerprint(fp).split(" ")[:2] == ["6668", "7aad"]
    assert len(format_fingerprint(fp).split(" ")) == 16


def test_export_trust_list_and_verify_from_another_data_folder(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    signer: Signer,
    elsewhere: Path,
) -> None:
    # JS's public key file, as JS exported it on their own machine.
    js_file = tmp_path / "js.json"
    js_file.write_text(export_text(signer.identity), encoding="utf-8")
    code, _, err = run(capsys, "verify", str(case.folder), "--no-record")
    assert code == 1 and f"FAILED untrusted_key: key {signer.key_id}" in err
    code, out, err = run(capsys, "keys", "trust", str(js_file), "--name", "Jane Smith (MIU)")
    assert code == 0, err
    assert format_fingerprint(signer.identity.fingerprint) in out
    code, out, _ = run(capsys, "keys", "list", "--json")
    listed = json.loads(out)
    assert [(k["source"], k["fingerprint"]) for k in listed] == [
        ("trusted", signer.identity.fingerprint)
    ]
    code, _, err = run(capsys, "verify", str(case.folder), "--no-record")
    assert code == 0, err


def test_unit_folder_of_public_keys(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    signer: Signer,
    elsewhere: Path,
) -> None:
    unit = tmp_path / "unit-keys"
    unit.mkdir()
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(signer.identity.public_key))
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (unit / "JS.pub").write_bytes(line + b" Jane Smith (JS)\n")
    (unit / "README.txt").write_text("not a key\n")
    os.environ["EWS_TRUSTED_KEYS"] = str(unit)
    code, _, err = run(capsys, "verify", str(case.folder), "--no-record")
    assert code == 0, err
    code, out, _ = run(capsys, "keys", "list")
    assert out.startswith("unit ") and format_fingerprint(signer.identity.fingerprint) in out


def test_trust_refuses_what_is_not_a_public_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], elsewhere: Path
) -> None:
    for name, text in (
        ("garbage.txt", "hello\n"),
        ("rsa.pub", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x\n"),
        ("bad.json", json.dumps({"format": "other", "public_key": "00" * 32})),
        ("private.pem", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        code, _, err = run(capsys, "keys", "trust", str(path), "--name", "X")
        assert code == 1, name
        assert err.startswith(f"ews: error: {path}: "), err
    assert not (elsewhere / "trusted").exists()


def test_export_writes_the_public_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signer: Signer
) -> None:
    code, out, _ = run(capsys, "keys", "export", "--initials", "JS")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "evidence-workstation/public-key/1"
    assert (doc["name"], doc["initials"], doc["public_key"]) == (
        "Jane Smith",
        "JS",
        signer.identity.public_key,
    )
    assert doc["fingerprint"] == signer.identity.fingerprint
    assert "PRIVATE" not in out


def test_an_examiner_added_by_a_trusted_one_is_trusted_through_the_chain(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    signer: Signer,
    second_signer: Signer,
    _examiner_home: Path,
    elsewhere: Path,
) -> None:
    """Trust flows down endorsements, never up: trusting JS is enough for RP whom JS added,
    but trusting RP alone does not make JS, the creator, trusted."""
    os.environ["EWS_DATA_DIR"] = str(_examiner_home)  # on JS's machine, JS adds RP
    add_examiner(case, signer, second_signer.identity)
    case.record(second_signer, [NewEntry("note.added", "n1", {"text": "RP's note"})])
    os.environ["EWS_DATA_DIR"] = str(elsewhere)
    js_file, rp_file = tmp_path / "js.json", tmp_path / "rp.json"
    js_file.write_text(export_text(signer.identity), encoding="utf-8")
    rp_file.write_text(export_text(second_signer.identity), encoding="utf-8")
    assert run(capsys, "keys", "trust", str(rp_file), "--name", "Ravi Patel")[0] == 0
    code, _, err = run(capsys, "verify", str(case.folder), "--no-record")
    assert code == 1 and f"FAILED untrusted_key: key {signer.key_id}" in err
    assert f"key {second_signer.key_id}" not in err
    assert run(capsys, "keys", "trust", str(js_file), "--name", "Jane Smith")[0] == 0
    code, _, err = run(capsys, "verify", str(case.folder), "--no-record")
    assert code == 0, err

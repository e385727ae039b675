"""The iPhone backup reader: manifest, identity, keybag and decryption (ios_backup.py).

Backups come from tests/data/device_fixtures/ios_backup.py; the keybag and the encryption
there follow the public descriptions of the format, written independently of the reader.
"""

from __future__ import annotations

import hashlib
import plistlib
from pathlib import Path

import pytest

from chain_of_custody.errors import AcquisitionError
from chain_of_custody.ios_backup import (
    BackupPasswordError,
    IosBackup,
    Keybag,
    decrypt_chunks,
    file_id_of,
    is_backup_folder,
    mbfile_facts,
    read_identity,
)
from tests.data.device_fixtures import ios_backup as gen

KEY = bytes(range(32))


def test_file_ids_and_device_paths(tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "b")
    assert is_backup_folder(made.folder)
    backup = IosBackup.open(made.folder, lambda _f: None)
    sms = gen.PhoneFile("HomeDomain", "Library/SMS/sms.db")
    assert sms.file_id == "3d0d7e5fb2ce288813306e4d4636395e047a3d28"  # widely published
    entry = backup.files[sms.file_id]
    assert (entry.device_path, entry.name, entry.flags) == (
        "HomeDomain/Library/SMS/sms.db",
        "sms.db",
        1,
    )
    assert entry.size == len(made.files[0].data)
    assert entry.protection_class == 3
    assert entry.wrapped_key is None
    assert backup.files[hashlib.sha1(b"HomeDomain-Library/SMS").hexdigest()].flags == 2  # a folder
    assert file_id_of(f"3d/{sms.file_id}") == sms.file_id
    assert file_id_of(f"ab/{sms.file_id}") is None  # not in its own folder
    assert file_id_of("Manifest.db") is None
    assert backup.warnings == []


def test_identity_from_info_plist() -> None:
    ident = read_identity(plistlib.dumps(gen.IDENTITY))
    assert ident.ledger_data()["last_backup_date"] == "2026-11-30T18:45:12.000000Z"
    assert ident.get("product_version") == "17.1.2"
    assert ident.get("meid") is None
    with pytest.raises(AcquisitionError, match="not a property list"):
        read_identity(b"garbage")


def test_keybag_unlocks_with_the_password_only(tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "e", password="pw", dpic=3, iterations=2)
    manifest = plistlib.loads((made.folder / "Manifest.plist").read_bytes())
    bag = Keybag.parse(manifest["BackupKeyBag"])
    assert sorted(bag.class_keys) == list(range(1, 12))
    assert int.from_bytes(bag.attrs["ITER"], "big") == 2
    keys = bag.unlock("pw")
    assert sorted(keys) == list(range(1, 11))  # class 11 has no passcode-wrapped key
    with pytest.raises(BackupPasswordError, match="wrong backup password"):
        bag.unlock("pW")


def test_encrypted_files_decrypt_to_their_bytes(tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "e", password=gen.PASSWORD)
    backup = IosBackup.open(made.folder, lambda _f: gen.PASSWORD)
    assert backup.encrypted
    assert len([f for f in backup.files.values() if f.flags == 1]) == len(made.files)
    for f in made.files:
        with open(made.folder / f.file_id[:2] / f.file_id, "rb") as blob:
            assert b"".join(backup.decrypted(blob, backup.files[f.file_id])) == f.data


def test_decrypt_cuts_at_size_or_padding() -> None:
    data = b"x" * 33
    enc = gen.encrypt(KEY, data)
    assert len(enc) == 48
    assert b"".join(decrypt_chunks(KEY, [enc[:5], enc[5:40], enc[40:]], 33)) == data
    assert b"".join(decrypt_chunks(KEY, [enc], None)) == data
    with pytest.raises(AcquisitionError, match="not whole AES blocks"):
        list(decrypt_chunks(KEY, [enc[:47]], 33))
    with pytest.raises(AcquisitionError, match="ends 8 bytes short of its size 40"):
        list(decrypt_chunks(KEY, [enc[:32]], 40))


def test_mbfile_facts() -> None:
    f = gen.PhoneFile("HomeDomain", "a/b.txt", b"hello", protection_class=2)
    facts = mbfile_facts(gen.mbfile(f, 7, b"\x02\x00\x00\x00" + bytes(40)))
    assert facts == {
        "size": 5,
        "protection_class": 2,
        "wrapped_key": b"\x02\x00\x00\x00" + bytes(40),
    }
    with pytest.raises(ValueError, match="not a keyed archive"):
        mbfile_facts(plistlib.dumps({"a": 1}, fmt=plistlib.FMT_BINARY))


def test_damaged_mbfile_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    import sqlite3

    made = gen.make_backup(tmp_path / "b")
    db = made.folder / "Manifest.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE Files SET file = x'00' WHERE relativePath = 'Library/SMS/sms.db'")
    conn.commit()
    conn.close()
    backup = IosBackup.open(made.folder, lambda _f: None)
    entry = backup.files[made.files[0].file_id]
    assert entry.device_path == "HomeDomain/Library/SMS/sms.db"
    assert entry.size is None
    assert entry.damage is not None
    assert "(HomeDomain/Library/SMS/sms.db): MBFile is not a keyed archive" in entry.damage

"""Ingest of iPhone backup folders (workstation.ingest_backup, docs/device-acquisition.md).

The backups come from tests/data/device_fixtures/ios_backup.py (synthetic, built at test
time, plain and encrypted with a known password and low iteration counts).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.errors import AcquisitionError
from chain_of_custody.ios_backup import BackupPasswordError, library_version
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from tests.data.device_fixtures import ios_backup as gen
from workstation.ingest import IngestOptions, ingest_paths
from workstation.queries import item_by_device_path, iter_items

SMS = "HomeDomain/Library/SMS/sms.db"
ATTACHMENT = (
    "MediaDomain/Library/SMS/Attachments/3f/15/AB12CD34-0000-4000-8000-000000000001/IMG_0042.jpeg"
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _entries(case: Case, action: str) -> list[Any]:
    return [e for e in case.ledger_entries() if e.action == action]


def _options(password: str | None = None) -> IngestOptions:
    return IngestOptions(
        source="Sam's iPhone (exhibit JS/2)",
        reason="test",
        backup_password=(lambda _folder: password),
    )


def test_plain_backup_items_carry_device_paths(case: Case, signer: Signer, tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "backup")
    summary = ingest_paths(case, signer, [made.folder], _options())
    assert summary.items == len(made.files) + 4  # Manifest.db and the three plists
    items = {i["path"]: i for i in iter_items(case)}
    for f in made.files:
        item = items[str(made.folder / f.file_id[:2] / f.file_id)]
        assert item["device_path"] == f"{f.domain}/{f.relative_path}"
        assert item["name"] == f.relative_path.rsplit("/", 1)[-1]
        assert item["sha256"] == sha(f.data)
        assert item["derived_from"] is None
    assert items[str(made.folder / "Manifest.db")]["device_path"] is None
    sms = item_by_device_path(case, SMS)
    assert [i["name"] for i in sms] == ["sms.db"]
    assert [i["sha256"] for i in item_by_device_path(case, ATTACHMENT)] == [sha(made.files[1].data)]
    acquired = next(e for e in _entries(case, "item.acquired") if e.data.get("device_path") == SMS)
    assert acquired.data["name"] == "sms.db"
    report = verify_case(case)
    assert report.ok, report.failures


def test_device_identified_entry(case: Case, signer: Signer, tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "backup")
    ingest_paths(case, signer, [made.folder], _options())
    (entry,) = _entries(case, "device.identified")
    info = (made.folder / "Info.plist").read_bytes()
    assert entry.subject == "00008110-000A1B2C3D4E5F60"
    d = entry.data
    assert {k: d[k] for k in ("device_name", "product_type", "product_version")} == {
        "device_name": "Sam's iPhone",
        "product_type": "iPhone14,5",
        "product_version": "17.1.2",
    }
    assert d["serial_number"] == "F2LXK0TEST01"
    assert d["imei"] == "356789104567891"
    assert d["phone_number"] == "+44 7700 900123"
    assert d["last_backup_date"] == "2026-11-30T18:45:12.000000Z"
    assert d["encrypted"] == "no"
    assert d["info_plist_sha256"] == sha(info)
    assert d["files_in_manifest"] == len(made.files)
    assert d["backup_path"] == str(made.folder)


def test_encrypted_backup_gives_derived_items(case: Case, signer: Signer, tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "enc", password=gen.PASSWORD)
    summary = ingest_paths(case, signer, [made.folder], _options(gen.PASSWORD))
    # every file twice (encrypted, decrypted), Manifest.db twice, the three plists once
    assert summary.items == 2 * len(made.files) + 2 + 3
    items = list(iter_items(case))
    by_id = {i["id"]: i for i in items}
    for f in made.files:
        found = item_by_device_path(case, f"{f.domain}/{f.relative_path}")
        assert len(found) == 2
        encrypted, plain = sorted(found, key=lambda i: i["derived_from"] is not None)
        assert encrypted["sha256"] != sha(f.data)
        assert plain["sha256"] == sha(f.data)
        assert plain["size"] == len(f.data)
        assert plain["derived_from"] == {
            "item_id": encrypted["id"],
            "method": "ios-backup-aes-cbc",
        }
        assert plain["parent_id"] == encrypted["id"]
        assert by_id[plain["id"]]["name"] == f.relative_path.rsplit("/", 1)[-1]
    derived = _entries(case, "item.derived")
    assert len(derived) == len(made.files) + 1
    manifest = next(
        e
        for e in derived
        if e.data["item_id"] in by_id and not by_id[e.data["item_id"]]["device_path"]
    )
    assert by_id[manifest.data["item_id"]]["name"] == "Manifest.db"
    d = derived[-1].data
    assert d["method"] == "ios-backup-aes-cbc"
    assert d["library"] == "cryptography"
    assert d["library_version"] == library_version()
    assert d["derived_from_sha256"] == by_id[d["derived_from"]]["sha256"]
    assert d["parameters"]["cipher"] == "AES-256-CBC, zero IV"
    # The decrypted Manifest.db is a readable database listing every file.
    blob = case.store.blob_path(by_id[manifest.data["item_id"]]["sha256"])
    conn = sqlite3.connect(f"file:{blob}?mode=ro&immutable=1", uri=True)
    assert conn.execute("SELECT count(*) FROM Files WHERE flags = 1").fetchone()[0] == len(
        made.files
    )
    conn.close()
    (ident,) = _entries(case, "device.identified")
    assert ident.data["encrypted"] == "yes"
    report = verify_case(case)
    assert report.ok, report.failures


def test_password_never_recorded(case: Case, signer: Signer, tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "enc", password=gen.PASSWORD)
    ingest_paths(case, signer, [made.folder], _options(gen.PASSWORD))
    needle = gen.PASSWORD.encode()
    for path in case.folder.rglob("*"):
        if path.is_file() and "store" not in path.parts:
            assert needle not in path.read_bytes(), path
    for e in case.ledger_entries():
        assert gen.PASSWORD not in repr(e.data)


def test_wrong_password_acquires_nothing(case: Case, signer: Signer, tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "enc", password=gen.PASSWORD)
    before = case.ledger_size()
    with pytest.raises(BackupPasswordError, match="wrong backup password"):
        ingest_paths(case, signer, [made.folder], _options("not-it"))
    with pytest.raises(AcquisitionError, match="encrypted; give its password"):
        ingest_paths(case, signer, [made.folder], _options(None))
    assert case.ledger_size() == before
    with case.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(T_ITEM)).scalar() == 0
    assert list(case.store.iter_pending()) == []


def test_old_mbdb_backup_refused(case: Case, signer: Signer, tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "Manifest.mbdb").write_bytes(b"mbdb\x05\x00")
    (folder / "Manifest.plist").write_bytes(b"<plist/>")
    with pytest.raises(AcquisitionError, match=r"Manifest\.mbdb \(iOS 9 or earlier\)"):
        ingest_paths(case, signer, [folder], _options())


def test_missing_file_is_warned(case: Case, signer: Signer, tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "backup")
    gone = made.files[0]
    (made.folder / gone.file_id[:2] / gone.file_id).unlink()
    summary = ingest_paths(case, signer, [made.folder], _options())
    assert any(
        "1 file(s) listed in the manifest are not in the backup folder: " + SMS in w
        for w in summary.warnings
    )


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("device_path", "HomeDomain/Library/SMS/other.db", "device_path"),
        ("derived_method", "made-up", "derived_method"),
    ],
)
def test_edited_device_columns_fail_verify(
    case: Case, signer: Signer, tmp_path: Path, column: str, value: str, says: str
) -> None:
    made = gen.make_backup(tmp_path / "enc", password=gen.PASSWORD)
    ingest_paths(case, signer, [made.folder], _options(gen.PASSWORD))
    plain = next(i for i in item_by_device_path(case, SMS) if i["derived_from"])
    with case.engine.begin() as conn:
        conn.execute(sa.update(T_ITEM).where(T_ITEM.c.id == plain["id"]).values({column: value}))
    failures = [f for f in verify_case(case).failures if f.kind == "row"]
    assert len(failures) == 1
    assert f"{says}: row says {value!r}" in failures[0].message


def test_derived_from_inserted_fails_verify(case: Case, signer: Signer, tmp_path: Path) -> None:
    made = gen.make_backup(tmp_path / "backup")
    ingest_paths(case, signer, [made.folder], _options())
    (sms,) = item_by_device_path(case, SMS)
    with case.engine.begin() as conn:
        conn.execute(
            sa.update(T_ITEM).where(T_ITEM.c.id == sms["id"]).values(derived_from=sms["id"])
        )
    failures = [f for f in verify_case(case).failures if f.kind == "row"]
    assert [f.message for f in failures] == [
        "inserted: no item.derived entry in the ledger justifies this item row (its derived_from)"
    ]


def test_mg11_names_the_device_beside_a_backup_item(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    from types import SimpleNamespace

    from exports.pdf.mg11 import _backup_device

    made = gen.make_backup(tmp_path / "backup")
    ingest_paths(case, signer, [made.folder], _options())
    ledger = SimpleNamespace(entries=tuple(e.as_json() for e in case.ledger_entries()))
    ctx: Any = SimpleNamespace(ledger=ledger)
    (sms,) = item_by_device_path(case, SMS)
    seq = next(e.seq for e in _entries(case, "device.identified"))
    assert _backup_device(ctx, cast(Any, SimpleNamespace(**sms))) == (
        "name Sam's iPhone, model iPhone14,5, iOS 17.1.2, serial number F2LXK0TEST01, "
        "IMEI 356789104567891, phone number +44 7700 900123, UDID 00008110-000A1B2C3D4E5F60, "
        f"backup made 2026-11-30T18:45:12.000000Z; unencrypted backup at {made.folder} "
        f"(ledger seq {seq}, device.identified)"
    )
    other = tmp_path / "note.txt"
    other.write_text("not from a phone", encoding="utf-8")
    ingest_paths(case, signer, [other], _options())
    note = next(i for i in iter_items(case) if i["name"] == "note.txt")
    ledger.entries = tuple(e.as_json() for e in case.ledger_entries())
    ctx = SimpleNamespace(ledger=SimpleNamespace(entries=ledger.entries))
    assert _backup_device(ctx, cast(Any, SimpleNamespace(**note))) is None


def test_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workstation.ingest_backup import backup_password_source

    monkeypatch.setenv("EWS_BACKUP_PASSWORD", "from-env")
    given = tmp_path / "pw.txt"
    given.write_text("from-file\nsecond line\n", encoding="utf-8")
    assert backup_password_source(str(given))("/b") == "from-file"
    assert backup_password_source(None)("/b") == "from-env"
    monkeypatch.delenv("EWS_BACKUP_PASSWORD")
    monkeypatch.setattr("sys.stdin", None)
    assert backup_password_source(None)("/b") is None
    with pytest.raises(AcquisitionError, match="cannot read the backup password file"):
        backup_password_source(str(tmp_path / "missing"))("/b")


def test_cli_backup_password_file(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from workstation import cli

    made = gen.make_backup(tmp_path / "enc", password=gen.PASSWORD)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("nope\n", encoding="utf-8")
    right = tmp_path / "right.txt"
    right.write_text(gen.PASSWORD + "\n", encoding="utf-8")
    args = ["ingest", str(case.folder), str(made.folder), "--json", "--backup-password-file"]
    capsys.readouterr()
    assert cli.main([*args, str(wrong)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "wrong backup password: it does not unlock the backup's keybag" in err[0]
    assert cli.main([*args, str(right)]) == 0
    out = json.loads(capsys.readouterr().out)
    # each of the 6 files encrypted and decrypted, Manifest.db both ways, the 3 plists
    assert out["items"] == 2 * len(made.files) + 2 + 3


def test_backups_inside_a_mobilesync_folder(case: Case, signer: Signer, tmp_path: Path) -> None:
    parent = tmp_path / "Backup"
    one = gen.make_backup(parent / "00008110-000A1B2C3D4E5F60")
    two = gen.make_backup(parent / "00008030-00112233445566AA", password=gen.PASSWORD, seed=2)
    ingest_paths(case, signer, [parent], _options(gen.PASSWORD))
    assert sorted(e.data["backup_path"] for e in _entries(case, "device.identified")) == [
        str(two.folder),
        str(one.folder),
    ]
    assert len(item_by_device_path(case, SMS)) == 3  # plain, encrypted, decrypted

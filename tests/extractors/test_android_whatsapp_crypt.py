"""WhatsApp encrypted backups: crypt14 with the key file, crypt15 with the 64-digit key."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import cryptography
import pytest

from extractors.base import Context, Sibling, Source
from extractors.records import DerivedFile, ExtractWarning
from extractors.whatsapp_crypt import WhatsAppCryptExtractor, crypt15_key
from tests.data.device_fixtures.android import (
    TEST_HEX_KEY,
    make_crypt14,
    make_crypt15,
    make_key_file,
    make_msgstore,
)
from tests.extractors.helpers import extract_all, source_from_bytes

EX = WhatsAppCryptExtractor()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("crypt") / "msgstore.db"
    make_msgstore(path)
    return path.read_bytes()


def with_key_sibling(data: bytes, name: str, key: bytes, key_member: str) -> Source:
    members = {f"WhatsApp/Databases/{name}": data, key_member: key}
    return Source(
        sha256=hashlib.sha256(data).hexdigest(),
        name=name,
        path=f"pull.zip!/WhatsApp/Databases/{name}",
        mime="application/octet-stream",
        size=len(data),
        head=data[:65536],
        opener=lambda: io.BytesIO(data),
        member=f"WhatsApp/Databases/{name}",
        siblings=tuple(
            Sibling(m, hashlib.sha256(b).hexdigest(), len(b)) for m, b in members.items()
        ),
        sibling_opener=lambda m: io.BytesIO(members[m]),
    )


def test_key_derivation_is_hmac_sha256() -> None:
    # HMAC-SHA256(HMAC-SHA256(32 zero bytes, root), "backup encryption" 0x01), computed once
    # by hand with hmac/hashlib and kept: a change of the derivation fails here.
    assert crypt15_key(bytes.fromhex(TEST_HEX_KEY)).hex() == (
        "a0682eb5fb1500f033c18ced94c8fae1451730d0e4cb5aee53ce72ddabcdd37b"
    )


def test_crypt15_with_the_examiners_key(plain: bytes) -> None:
    data = make_crypt15(plain)
    source = source_from_bytes(data, "msgstore.db.crypt15")
    assert EX.sniff(source)
    ctx = Context(secrets={"whatsapp_key": TEST_HEX_KEY.encode()})
    records = extract_all(EX, source, ctx)
    assert len(records) == 1 and isinstance(records[0], DerivedFile)
    derived = records[0]
    assert derived.data == plain
    assert (derived.name, derived.mime) == ("msgstore.db", "application/vnd.sqlite3")
    assert derived.locator.pointer == (
        "decrypted crypt15 AES-256-GCM + zlib with the examiner's 64-digit key, HMAC-SHA256 "
        f"derivation (cryptography {cryptography.__version__})"
    )


def test_crypt14_with_the_key_file_beside_it(plain: bytes) -> None:
    key_file = make_key_file()
    data = make_crypt14(plain, key_file)
    source = with_key_sibling(data, "msgstore.db.crypt14", key_file, "files/key")
    assert EX.sniff(source)
    records = extract_all(EX, source)
    assert [type(r) for r in records] == [DerivedFile]
    assert isinstance(records[0], DerivedFile) and records[0].data == plain
    assert "files/key (key file bytes 126-158)" in (records[0].locator.pointer or "")


def test_crypt14_key_file_given_by_the_examiner(plain: bytes) -> None:
    key_file = make_key_file()
    source = source_from_bytes(make_crypt14(plain, key_file), "msgstore.db.crypt14")
    records = extract_all(EX, source, Context(secrets={"whatsapp_key": key_file}))
    assert isinstance(records[0], DerivedFile) and records[0].data == plain


def test_no_key_one_warning(plain: bytes) -> None:
    records = extract_all(EX, source_from_bytes(make_crypt15(plain), "msgstore.db.crypt15"))
    assert [r.message for r in records if isinstance(r, ExtractWarning)] == [
        "msgstore.db.crypt15: encrypted WhatsApp backup and no key given (the 'key' or "
        "'encrypted_backup.key' file, or the 64-digit key): not decrypted"
    ]
    assert len(records) == 1


def test_wrong_key_never_yields_bytes(plain: bytes) -> None:
    source = source_from_bytes(make_crypt15(plain), "msgstore.db.crypt15")
    records = extract_all(EX, source, Context(secrets={"whatsapp_key": b"ab" * 32}))
    assert [type(r) for r in records] == [ExtractWarning]
    assert isinstance(records[0], ExtractWarning)
    assert "none of the 1 key(s) given decrypts it" in records[0].message


def test_sniff_needs_the_content_not_only_the_name(tmp_path: Path) -> None:
    assert not EX.sniff(source_from_bytes(b"hello" * 100, "msgstore.db.crypt15"))
    assert not EX.sniff(source_from_bytes(make_crypt15(b"x" * 300), "msgstore.db"))


def test_crypt15_without_the_md5_trailer(plain: bytes) -> None:
    source = source_from_bytes(make_crypt15(plain, md5=False), "msgstore.db.crypt15")
    records = extract_all(EX, source, Context(secrets={"whatsapp_key": TEST_HEX_KEY.encode()}))
    assert isinstance(records[0], DerivedFile) and records[0].data == plain

"""Android mmssms.db: SMS and MMS from the Telephony provider's tables (generated fixture)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from extractors.android_mmssms import AndroidMmsSmsExtractor
from extractors.base import Context
from extractors.records import Account, ExtractWarning, Message
from tests.data.device_fixtures.android import PARTS_DIR, make_mmssms
from tests.extractors.helpers import extract_all, source_from_bytes, source_from_file

EX = AndroidMmsSmsExtractor()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mmssms") / "mmssms.db"
    make_mmssms(path)
    return path


@pytest.fixture(scope="module")
def records(db: Path) -> list[object]:
    return list(extract_all(EX, source_from_file(db)))


def messages(records: list[object]) -> dict[str, Message]:
    return {r.locator.pointer or "": r for r in records if isinstance(r, Message)}


def test_sniff_by_schema_not_name(db: Path, tmp_path: Path) -> None:
    renamed = source_from_bytes(db.read_bytes(), "evidence.bin")
    assert EX.sniff(renamed)
    other = tmp_path / "mmssms.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (x TEXT)").connection.commit()
    assert not EX.sniff(source_from_file(other))


def test_sms_in_and_out(records: list[object]) -> None:
    m = messages(records)
    first = m["/sms/1"]
    assert (first.sender_key, first.sender_identifier, first.direction) == (
        "sms:+447700900123", "+447700900123", "incoming",
    )  # fmt: skip
    assert first.thread_id == "sms:+447700900123"
    assert first.sent_at_utc == "2024-03-02T20:15:03Z"
    assert first.sent_at_raw == 'date="1709410503000" date_sent="1709410501000"'
    assert first.text == "Why aren't you answering me?"
    mine = m["/sms/2"]
    assert (mine.sender_key, mine.recipients, mine.direction) == (
        None, ("+447700900123",), "outgoing",
    )  # fmt: skip
    # 07700900987 and +447700900987 are one conversation on the phone.
    assert m["/sms/3"].thread_id == "sms:+447700900987"
    assert m["/sms/3"].sender_identifier == "07700900987"


def test_draft_withheld_and_nul(records: list[object]) -> None:
    m = messages(records)
    assert m["/sms/4"].flags == ("not_sent",)
    withheld = m["/sms/5"]
    assert (withheld.thread_id, withheld.sender_key, withheld.sender_identifier) == (
        "sms:withheld", None, None,
    )  # fmt: skip
    assert withheld.thread_title == "(withheld)"
    damaged = m["/sms/6"]
    assert (damaged.text, damaged.raw_text, damaged.flags) == (
        "Answerme", "Answer\\x00me", ("text_fixed",),
    )  # fmt: skip
    warnings = [r.message for r in records if isinstance(r, ExtractWarning)]
    assert warnings == [
        "sms _id=4: type 3 (draft): not known to have been sent",
        "sms _id=6: NUL bytes in ['body'] removed; raw_text keeps them as \\x00",
    ]
    accounts = sorted(r.key for r in records if isinstance(r, Account))
    assert accounts == ["sms:+447700900123", "sms:+447700900678", "sms:+447700900987"]


def test_mms_parts_addresses_and_group(records: list[object]) -> None:
    m = messages(records)
    photo = m["/pdu/1"]
    assert photo.kind == "media"
    assert photo.text == "Saw you tonight"
    assert photo.attachments == (f"{PARTS_DIR}/PART_1709661662000_IMG_0412.jpg",)
    assert photo.sent_at_utc == "2024-03-05T18:01:02Z"  # pdu.date is in seconds
    assert photo.sent_at_raw == 'date="1709661662" date_sent="1709661660"'
    assert (photo.sender_identifier, photo.recipients, photo.message_id) == (
        "+447700900123", (), "mms-id-0001",
    )  # fmt: skip
    group = m["/pdu/2"]
    assert group.thread_id == "sms:+447700900123~+447700900678"
    assert group.recipients == ("+447700900123", "+447700900678")
    assert group.text == "Subject: Saturday\nAre we still on?"
    assert (group.direction, group.sender_key, group.kind) == ("outgoing", None, "text")


def test_not_a_database_is_a_warning(tmp_path: Path) -> None:
    data = b"SQLite format 3\x00" + b"\x00" * 200
    records = list(EX.extract(source_from_bytes(data, "mmssms.db"), Context()))
    assert len(records) == 1 and isinstance(records[0], ExtractWarning)
    assert records[0].message.startswith("mmssms.db: database unreadable")

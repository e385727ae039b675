"""SMS Backup & Restore XML: case-alpha truth, the format samples, damage, memory, determinism.

Samples: tests/data/formats/sms_backup_restore/synthetic/ (hand-written, see its SOURCES.md);
case files: tests/data/case_alpha/evidence/. Damaged and large inputs are generated here.
"""

from __future__ import annotations

import base64
import json
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from extractors.base import Context, Source
from extractors.records import (
    FLAGS,
    KINDS,
    Account,
    Call,
    DerivedFile,
    ExtractWarning,
    Locator,
    Message,
    Record,
    record_to_canonical,
)
from extractors.sms_backup_xml import SmsBackupXmlExtractor
from tests.data import issue16_misc
from tests.extractors.helpers import extract_all, source_from_bytes, source_from_file

DATA = Path(__file__).parents[1] / "data"
EVIDENCE = DATA / "case_alpha" / "evidence"
TRUTH = json.loads((DATA / "case_alpha" / "truth.json").read_text(encoding="utf-8"))
SAMPLES = DATA / "formats" / "sms_backup_restore" / "synthetic"
SMS_FILE, CALLS_FILE = "sms-20240501093012.xml", "calls-20240501093012.xml"
EXTRACTOR = SmsBackupXmlExtractor()

HEADER = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
    '<smses count="{n}" backup_set="x" backup_date="1714552212000" type="full">\n'
)


def sms(body: str, date: int = 1709320361220, address: str = "+447700900123", kind: int = 1) -> str:
    """One <sms> line as the app writes it (body already escaped)."""
    return (
        f'  <sms protocol="0" address="{address}" date="{date}" type="{kind}" subject="null" '
        f'body="{body}" toa="null" sc_toa="null" service_center="null" read="1" status="-1" '
        f'locked="0" date_sent="0" sub_id="1" readable_date="1 Mar 2024 19:12:41" '
        f'contact_name="(Unknown)" />\n'
    )


def backup(*lines: str, count: int | None = None, close: bool = True) -> bytes:
    n = len(lines) if count is None else count
    return (HEADER.format(n=n) + "".join(lines) + ("</smses>\n" if close else "")).encode()


def run(data: bytes, name: str = "sms-20240101000000.xml") -> list[Record]:
    return extract_all(EXTRACTOR, source_from_bytes(data, name, mime="text/xml"))


def of(records: list[Record], kind: type[Record]) -> list[Any]:
    return [r for r in records if isinstance(r, kind)]


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def truth_messages(file: str) -> list[dict[str, Any]]:
    found = [m for m in TRUTH["messages"] if m["file"] == file and not m.get("member")]
    return sorted(found, key=lambda m: m["index"])


def assert_only_records(records: list[Record]) -> None:
    """What every input, however damaged, may produce: well-formed records."""
    for r in records:
        assert isinstance(r, Account | Message | Call | DerivedFile | ExtractWarning)
        assert isinstance(r.locator, Locator) and r.locator.item_sha256
        if isinstance(r, Message):
            assert r.kind in KINDS and set(r.flags) <= FLAGS
            json.dumps(record_to_canonical(r))  # storable: no lone surrogates
            assert "\x00" not in r.text + (r.raw_text or "")


# --- sniffing ---------------------------------------------------------------------------


def test_sniff_accepts_backups_and_rejects_other_files() -> None:
    for path in [EVIDENCE / SMS_FILE, EVIDENCE / CALLS_FILE, *sorted(SAMPLES.glob("*.xml"))]:
        assert EXTRACTOR.sniff(source_from_file(path, mime="text/xml")), path
    utf16 = (EVIDENCE / CALLS_FILE).read_text(encoding="utf-8").encode("utf-16")
    assert EXTRACTOR.sniff(source_from_bytes(utf16, "calls.xml", mime="text/xml"))
    for other in [
        b"",
        b"<?xml",
        b"<?xml version='1.0'?>\n<rss><channel/></rss>",
        b'{"smses": []}',
        (EVIDENCE / "WhatsApp Chat with Daniel Mercado.txt").read_bytes(),
        b"<?xml version='1.0'?><!DOCTYPE smses [<!ENTITY a 'b'>]><smses/>",
    ]:
        assert not EXTRACTOR.sniff(source_from_bytes(other, "x.xml", mime="text/xml")), other


# --- case alpha -------------------------------------------------------------------------


def test_case_alpha_sms_matches_truth_exactly() -> None:
    records = extract_all(EXTRACTOR, source_from_file(EVIDENCE / SMS_FILE))
    messages = of(records, Message)
    truth = truth_messages(SMS_FILE)
    assert len(messages) == len(truth) == 91
    for got, want in zip(messages, truth, strict=True):
        assert got.sender_identifier == want["sender_identifier"], want["id"]
        assert instant(got.sent_at_utc) == instant(want["sent_at_utc"]), want["id"]
        assert (got.kind, got.text) == (want["kind"], want["text"]), want["id"]
        assert list(got.attachments) == want.get("attachments", []), want["id"]
        assert got.platform == "sms" and got.tz is None and not got.tz_assumed
        assert got.direction == ("outgoing" if want["sender_identifier"] is None else "incoming")
    count = next(c for c in TRUTH["counts"] if c["file"] == SMS_FILE)
    assert count["messages"] == len(messages)
    assert dict(Counter(m.kind for m in messages)) == count["by_kind"]
    assert of(records, ExtractWarning) == [] and all(not m.flags for m in messages)
    # The MMS photo becomes a child item; the message lists it by name.
    (photo,) = of(records, DerivedFile)
    assert (photo.name, photo.mime, photo.data[:3]) == (
        "image000000.jpg",
        "image/jpeg",
        b"\xff\xd8\xff",
    )
    assert photo.locator.pointer == "/smses/mms[1]/parts/part[2]" and photo.locator.line == 23


def test_case_alpha_sms_accounts_as_written_and_before_use() -> None:
    records = extract_all(EXTRACTOR, source_from_file(EVIDENCE / SMS_FILE))
    seen: set[str] = set()
    for r in records:
        if isinstance(r, Account):
            seen.add(r.key)
        elif isinstance(r, Message) and r.sender_key is not None:
            assert r.sender_key in seen
    accounts = {(a.phone_raw, a.phone_e164, a.display_name) for a in of(records, Account)}
    expected = {
        (a["identifier"], a["phone"], a.get("contact_name"))
        for a in TRUTH["accounts"]
        if a["platform"] == "sms"
    }
    # Plus Hannah's own number, named as the "to" address of the MMS she received.
    assert accounts == expected | {("+447700900461", "+447700900461", None)}


def test_case_alpha_calls_match_truth_exactly() -> None:
    records = extract_all(EXTRACTOR, source_from_file(EVIDENCE / CALLS_FILE))
    messages, calls = of(records, Message), of(records, Call)
    truth = truth_messages(CALLS_FILE)
    assert len(messages) == len(calls) == len(truth) == 65
    for msg, call, want in zip(messages, calls, truth, strict=True):
        assert msg.sender_identifier == want["sender_identifier"], want["id"]
        assert instant(msg.sent_at_utc) == instant(want["sent_at_utc"]), want["id"]
        assert (msg.kind, msg.text, msg.platform) == ("call", "", "phone")
        assert (call.direction, call.duration_s) == (want["call"], want["duration_s"])
        assert call.number_raw == want["number"] and call.locator == msg.locator
        assert call.started_at_utc == msg.sent_at_utc
        if want.get("withheld"):
            assert call.thread_id == "phone:withheld" and call.party_key is None
            assert call.number_e164 is None and msg.sender_key is None
    count = next(c for c in TRUTH["counts"] if c["file"] == CALLS_FILE)
    assert count["messages"] == 65 and count["by_kind"] == {"call": 65}
    assert of(records, ExtractWarning) == []
    accounts = {(a.phone_raw, a.phone_e164, a.display_name) for a in of(records, Account)}
    assert accounts == {
        (a["identifier"], a["phone"], a.get("contact_name"))
        for a in TRUTH["accounts"]
        if a["platform"] == "phone"
    }


def test_case_alpha_flags_for_these_files_are_raised() -> None:
    relevant = [f for f in TRUTH["flags"] if f.get("file") in (SMS_FILE, CALLS_FILE)]
    assert relevant == []  # the truth expects no warnings here; epoch times have no DST issue
    for name in (SMS_FILE, CALLS_FILE):
        ctx = Context()
        list(EXTRACTOR.extract(source_from_file(EVIDENCE / name), ctx))
        assert ctx.warnings == []


def test_extraction_is_deterministic() -> None:
    source = source_from_file(EVIDENCE / SMS_FILE)
    first = [record_to_canonical(r) for r in extract_all(EXTRACTOR, source)]
    second = [record_to_canonical(r) for r in extract_all(EXTRACTOR, source)]
    assert first == second and len(first) == 98


# --- the format samples -----------------------------------------------------------------


def test_samples_parse_with_their_stated_counts() -> None:
    sms_records = extract_all(EXTRACTOR, source_from_file(SAMPLES / "sms-20240113090000.xml"))
    assert [type(r).__name__ for r in sms_records] == [
        "Account",
        "Message",
        "Account",
        "Message",
        "DerivedFile",
        "Account",  # the MMS "to" address
        "Message",
    ]
    calls = extract_all(EXTRACTOR, source_from_file(SAMPLES / "calls-20240113090000.xml"))
    assert Counter(type(r).__name__ for r in calls) == {"Account": 2, "Call": 3, "Message": 3}


def test_surrogate_entities_repaired_one_sms_field_by_field() -> None:
    source = source_from_file(SAMPLES / "sms-20240113090000.xml")
    account, message = extract_all(EXTRACTOR, source)[:2]
    loc = Locator(source.sha256, source.path, line=5, pointer="/smses/sms[1]")
    assert account == Account(
        locator=loc,
        platform="sms",
        display_name="Alex Smith",
        phone_raw="+447700900123",
        phone_e164="+447700900123",
    )
    assert message == Message(
        locator=loc,
        platform="sms",
        thread_id="sms:+447700900123",
        thread_title="Alex Smith",
        sender_key="sms:+447700900123",
        sender_identifier="+447700900123",
        sent_at_utc="2024-01-12T21:05:33Z",
        sent_at_raw='date="1705093533000" readable_date="12 Jan 2024 21:05:33"',
        tz=None,
        tz_assumed=False,
        flags=("text_fixed",),
        kind="text",
        text="I can see you 😀\nanswer the phone",
        raw_text="I can see you &#55357;&#56832;\nanswer the phone",
        direction="incoming",
    )


def test_mms_sample_sender_recipients_parts() -> None:
    records = extract_all(EXTRACTOR, source_from_file(SAMPLES / "sms-20240113090000.xml"))
    mms = of(records, Message)[2]
    assert (mms.kind, mms.text, mms.attachments) == (
        "media",
        "outside your house",
        ("image000000.jpg",),
    )
    assert (mms.sender_identifier, mms.recipients) == ("+447700900123", ("+447700900456",))
    assert mms.sent_at_utc == "2024-01-12T21:08:20Z" and mms.direction == "incoming"
    (part,) = of(records, DerivedFile)
    assert part.data == b"\xff\xd8\xff\xd9" and part.locator.line == 10
    sent = of(records, Message)[1]
    assert (sent.sender_identifier, sent.sender_key, sent.recipients) == (
        None,
        None,
        ("07700 900123",),
    )
    assert sent.thread_id == mms.thread_id == "sms:+447700900123"


def test_one_withheld_call_field_by_field() -> None:
    source = source_from_file(SAMPLES / "calls-20240113090000.xml")
    records = extract_all(EXTRACTOR, source)
    call, message = records[3], records[4]  # account, call, message of call 1; then call 2
    loc = Locator(source.sha256, source.path, line=4, pointer="/calls/call[2]")
    raw = 'date="1705093680000" readable_date="12 Jan 2024 21:08:00"'
    assert call == Call(
        locator=loc,
        platform="phone",
        thread_id="phone:withheld",
        number_raw="",
        started_at_utc="2024-01-12T21:08:00Z",
        started_at_raw=raw,
        flags=("number_withheld",),
        duration_s=0,
        direction="blocked",
    )
    assert message == Message(
        locator=loc,
        platform="phone",
        thread_id="phone:withheld",
        thread_title="(withheld)",
        sent_at_utc="2024-01-12T21:08:00Z",
        sent_at_raw=raw,
        flags=("number_withheld",),
        kind="call",
        direction="incoming",
    )


# --- quirks and damage ------------------------------------------------------------------


def test_forbidden_references_and_characters_are_repaired_with_raw_kept() -> None:
    body = "a&#0;b\x01c &#55357;d &#xD83D;&#xDE00; &#xFDD0;"
    records = run(backup(sms(body)))
    (message,) = of(records, Message)
    assert message.text == "abc \ufffdd 😀 \ufdd0"
    assert message.raw_text == "a&#0;b\\x01c &#55357;d &#xD83D;&#xDE00; &#xFDD0;"
    assert message.flags == ("text_fixed",) and of(records, ExtractWarning) == []


def test_bytes_invalid_in_the_encoding_are_warned_and_shown() -> None:
    data = backup(sms("invoice \xa3145")).replace("\xa3".encode(), b"\xa3")
    records = run(data)
    (message,) = of(records, Message)
    assert (message.text, message.raw_text) == ("invoice \ufffd145", "invoice \\xa3145")
    (warning,) = of(records, ExtractWarning)
    assert "bytes invalid" in warning.message and warning.locator.line == 3


def test_declared_and_bom_encodings_are_honoured() -> None:
    latin = backup(sms("\xa3145 &amp; more")).replace(b"UTF-8", b"windows-1252")
    latin = latin.replace("\xa3".encode(), b"\xa3")
    (message,) = of(run(latin), Message)
    assert message.text == "£145 & more" and message.raw_text is None
    plain = extract_all(EXTRACTOR, source_from_file(EVIDENCE / SMS_FILE))
    utf16 = (EVIDENCE / SMS_FILE).read_text(encoding="utf-8").encode("utf-16")
    wide = run(utf16)
    assert [m.text for m in of(wide, Message)] == [m.text for m in of(plain, Message)]
    bogus = run(backup(sms("hi")).replace(b"UTF-8", b"no-such-codec"))
    assert [m.text for m in of(bogus, Message)] == ["hi"]
    assert "unknown" in of(bogus, ExtractWarning)[0].message


def test_truncated_at_every_offset_keeps_what_came_before() -> None:
    data = (SAMPLES / "sms-20240113090000.xml").read_bytes()
    full = of(run(data), Message)
    for cut in range(len(data.rstrip())):  # cutting only the final newline loses nothing
        records = run(data[:cut])
        assert_only_records(records)
        got = of(records, Message)
        where = [(m.locator.line, m.locator.pointer) for m in got]
        assert where == [(m.locator.line, m.locator.pointer) for m in full[: len(got)]]
        for m, whole in zip(got, full, strict=False):
            same = (m.text, m.sent_at_utc, m.sender_identifier) == (
                whole.text,
                whole.sent_at_utc,
                whole.sender_identifier,
            )
            assert same or "truncated" in m.flags
        assert of(records, ExtractWarning), cut  # a cut is never silent


def test_truncated_inside_the_mms_photo_keeps_the_mms_flagged() -> None:
    data = (EVIDENCE / SMS_FILE).read_bytes()
    cut = data.index(b'data="/9j/') + 5000
    records = run(data[:cut])
    messages = of(records, Message)
    assert len(messages) == 16 and messages[-1].flags == ("truncated",)
    assert messages[-1].attachments == () and of(records, DerivedFile) == []
    cut_short, count = of(records, ExtractWarning)
    assert "truncated" in cut_short.message and cut_short.locator.line == 23
    assert count.message == '<smses count="91"> but 16 records were read'


def test_damaged_record_is_skipped_and_reading_resumes() -> None:
    lines = [sms(f"message {i}", date=1709320361220 + i) for i in range(6)]
    lines[2] = lines[2].replace('type="1"', 'type="1" type="1"')  # a repeated attribute
    lines[4] = lines[4].replace('body="', 'body=<"')
    records = run(backup(*lines))
    messages = of(records, Message)
    assert [m.text for m in messages] == ["message 0", "message 1", "message 3", "message 5"]
    assert [m.locator.line for m in messages] == [3, 4, 6, 8]
    assert [m.locator.pointer for m in messages] == ["/smses/sms[1]", "/smses/sms[2]", None, None]
    damage = [w.message for w in of(records, ExtractWarning)][:2]
    assert "line 5" in damage[0] and "skipped to the next record, at line 6" in damage[0]
    assert "line 7" in damage[1] and "at line 8" in damage[1]


@pytest.mark.parametrize(
    ("damage", "texts", "warnings"),
    [
        # An entity no XML file defines: reported at the start tag, that record is lost.
        (('body="m1"', 'body="m1&nbsp;"'), ["m0", "m2", "m3"], 2),
        # An unclosed quote swallows the rest of its line; the next line is read.
        (('body="m1"', 'body="m1'), ["m0", "m2", "m3"], 2),
        # A lost ">": the next record's "<" is the stray token; that record is kept.
        (('contact_name="(Unknown)" />\n', 'contact_name="(Unknown)" \n'), ["m0", "m2", "m3"], 2),
    ],
)
def test_one_damaged_record_costs_one_record(
    damage: tuple[str, str], texts: list[str], warnings: int
) -> None:
    lines = [sms(f"m{i}") for i in range(4)]
    lines[1] = lines[1].replace(*damage)
    records = run(backup(*lines))
    assert [m.text for m in of(records, Message)] == texts
    assert len(of(records, ExtractWarning)) == warnings  # the damage, and the count


def test_concatenated_backups_are_both_read() -> None:
    one = backup(sms("first"), sms("second"))
    records = run(one + one)
    assert [m.text for m in of(records, Message)] == ["first", "second"] * 2
    junk, count = (w.message for w in of(records, ExtractWarning))
    assert "junk after document element" in junk and "at line 8" in junk
    assert count == '<smses count="2"> but 4 records were read'


def test_cancellation_is_honoured() -> None:
    from extractors.errors import ExtractionCancelled

    source = source_from_file(EVIDENCE / SMS_FILE)
    with pytest.raises(ExtractionCancelled, match="cancelled"):
        list(EXTRACTOR.extract(source, Context(cancelled=lambda: True)))


def test_unknown_layout_and_non_xml_give_warnings_only() -> None:
    for data in [
        b"<?xml version='1.0'?>\n<rss><sms body='x' date='1'/></rss>",
        b"",
        b"\x00\xff" * 100,
        b"<?xml version='1.0'?><!DOCTYPE smses [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;'>]>"
        b"<smses><sms body='&b;' date='1' type='1' address='1'/></smses>",
    ]:
        records = run(data)
        assert records and all(isinstance(r, ExtractWarning) for r in records), data


def test_count_mismatch_unknown_elements_and_odd_types_are_warned() -> None:
    lines = [
        sms("draft", kind=3),
        sms("typeless", kind=9),
        "  <backup_note text='x' />\n",
        sms("no date", date=0).replace('date="0"', 'date="null"'),
    ]
    records = run(backup(*lines, count=7))
    texts = [w.message for w in of(records, ExtractWarning)]
    assert any("type 3 (draft)" in t for t in texts)
    assert any("type '9' unknown" in t for t in texts)
    assert any("no readable date" in t for t in texts)
    assert any('count="7"> but 3 records' in t for t in texts)
    assert any("1 <backup_note> element(s) skipped" in t for t in texts)
    no_date = of(records, Message)[2]
    assert no_date.sent_at_utc is None and no_date.flags == ("time_unparsed",)
    assert of(records, Message)[1].direction is None


def test_readable_date_far_from_date_is_warned() -> None:
    # A year apart, as if one attribute had been edited; an hour apart (BST) is normal.
    records = run(backup(sms("edited", date=1709320361220 - 366 * 86400_000), sms("bst")))
    (warning,) = of(records, ExtractWarning)
    assert warning.locator.line == 3 and "more than a day from date" in warning.message
    us = sms("us").replace("1 Mar 2024 19:12:41", "Mar 1, 2024 8:12:41 PM")
    assert of(run(backup(us)), ExtractWarning) == []


def test_mms_without_media_and_in_seconds_and_sent() -> None:
    mms = (
        '  <mms date="1705093700" msg_box="2" m_type="128" address="+447700900123~07700900456" '
        'sub="Look" contact_name="Alex Smith, Sam" m_id="null">\n'
        '    <parts><part seq="0" ct="image/png" name="null" cl="photo.png" text="null" />\n'
        '      <part seq="0" ct="text/plain" chset="106" text="null" data="'
        + base64.b64encode("hé".encode()).decode()
        + '" /></parts>\n'
        '    <addrs><addr address="insert-address-token" type="137" />\n'
        '      <addr address="+447700900123" type="151" /><addr address="07700900456" type="151" />'
        "</addrs>\n  </mms>\n"
    )
    records = run(backup(mms))
    (message,) = of(records, Message)
    assert (message.kind, message.text, message.attachments) == (
        "media",
        "Subject: Look\nhé",
        ("photo.png",),
    )
    assert (message.sender_identifier, message.direction) == (None, "outgoing")
    assert message.recipients == ("+447700900123", "07700900456")
    assert message.thread_id == "sms:+447700900123~+447700900456"
    assert message.sent_at_utc == "2024-01-12T21:08:20Z"
    texts = [w.message for w in of(records, ExtractWarning)]
    assert any("read as seconds" in t for t in texts)
    assert any("'photo.png' (image/png) has no data" in t for t in texts)
    assert {a.phone_raw for a in of(records, Account)} == {"+447700900123", "07700900456"}


def test_special_numbers_of_old_phones_are_not_numbers() -> None:
    calls = (
        b"<?xml version='1.0'?>\n<calls count='3'>\n"
        b'<call number="-2" duration="0" date="1705093620000" type="3" presentation="1" />\n'
        b'<call number="-1" duration="x" date="1705093620001" type="4" />\n'
        b'<call number="+447700900123" duration="5" date="1705093620002" type="8" />\n'
        b"</calls>\n"
    )
    records = run(calls, "calls.xml")
    got = [(c.thread_id, c.number_raw, c.direction, c.duration_s) for c in of(records, Call)]
    assert got == [
        ("phone:withheld", "-2", "missed", 0),
        ("phone:unknown", "-1", "voicemail", None),
        ("phone:+447700900123", "+447700900123", "unknown", 5),
    ]
    assert [m.sender_identifier for m in of(records, Message)] == [None, None, None]
    assert len(of(records, ExtractWarning)) == 2 and len(of(records, Account)) == 1


def test_very_long_single_line_is_read(tmp_path: Path) -> None:
    # ~20 MB on one line (the suite stays fast; the code has no per-line limit): one SMS with
    # a 10 MB body, then 10 MB of base64 in one MMS part, no newline anywhere.
    body = "x" * 10_000_000
    part = base64.b64encode(b"\x89PNG" + b"\x00" * 7_500_000).decode()
    mms = (
        f'<mms date="1709320361221" msg_box="1" address="+447700900123"><parts>'
        f'<part ct="image/png" name="big.png" data="{part}"/></parts></mms>'
    )
    data = backup(sms(body).strip(), mms).replace(b"\n", b"")
    started = time.perf_counter()
    records = run(data)
    assert time.perf_counter() - started < 10
    message, mms_message = of(records, Message)
    assert len(message.text) == 10_000_000 and mms_message.attachments == ("big.png",)
    assert len(of(records, DerivedFile)[0].data) == 7_500_004
    assert of(records, ExtractWarning) == []
    garbage = run(HEADER.format(n=0).encode() + b"q" * 20_000_000)
    assert garbage and all(isinstance(r, ExtractWarning) for r in garbage)


def big_backup(messages: int, photo_every: int) -> Iterator[bytes]:
    yield HEADER.format(n=messages).encode()
    photo = base64.b64encode(bytes(range(256)) * 1200).decode()  # 300 KB of data
    for i in range(messages):
        if i % photo_every == 0:
            yield (
                f'<mms date="{1709320361220 + i}" msg_box="1" address="+4477009{i % 1000:05d}">'
                f'<parts><part ct="image/jpeg" name="p{i}.jpg" data="{photo}"/>'
                f'<part ct="text/plain" text="caption {i}"/></parts></mms>\n'
            ).encode()
        else:
            yield sms(
                f"message {i} &#55357;&#56832;", 1709320361220 + i, f"07700 9{i % 1000:05d}"
            ).encode()
    yield b"</smses>\n"


def peak_memory(path: Path) -> tuple[int, int]:
    """Peak traced allocation while extracting (records counted, not kept), and records."""
    source = source_from_file(path, mime="text/xml")
    tracemalloc.start()
    try:
        count = sum(1 for _ in EXTRACTOR.extract(source, Context()))
        return tracemalloc.get_traced_memory()[1], count
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_file_grows(tmp_path: Path) -> None:
    # 6 MB and 24 MB files, mostly MMS photos (tracemalloc makes many small records slow);
    # a one-off run on a 100 MB file gave the same bound (see the report).
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    small.write_bytes(b"".join(big_backup(500, 25)))
    large.write_bytes(b"".join(big_backup(2_000, 25)))
    small_peak, small_count = peak_memory(small)
    large_peak, large_count = peak_memory(large)
    assert large.stat().st_size > 3.9 * small.stat().st_size and large_count > 3 * small_count
    assert large_peak < 4_000_000, large_peak  # one 300 KB part, decoded, and one piece
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)


# --- properties -------------------------------------------------------------------------

SAMPLE = (SAMPLES / "sms-20240113090000.xml").read_bytes()
CALLS_SAMPLE = (SAMPLES / "calls-20240113090000.xml").read_bytes()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from([SAMPLE, CALLS_SAMPLE]),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "delete", "insert"]),
            st.integers(0, 10_000),
            st.sampled_from([0, 1, 0x22, 0x26, 0x3C, 0x3E, 0x80, 0xA3, 0xED, 0xFF]),
        ),
        max_size=6,
    ),
    cut=st.one_of(st.none(), st.integers(0, 3_000)),
)
def test_mutated_samples_give_records_or_warnings(
    base: bytes, edits: list[tuple[str, int, int]], cut: int | None
) -> None:
    data = bytearray(base)
    for op, at, byte in edits:
        at %= max(len(data), 1)
        if op == "flip" and data:
            data[at] ^= byte or 0x20
        elif op == "delete" and data:
            del data[at]
        else:
            data.insert(at, byte)
    assert_only_records(run(bytes(data[:cut])))


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_after_the_header_give_records_or_warnings(tail: bytes) -> None:
    assert_only_records(run(HEADER.format(n=1).encode() + tail))


# --- end to end -------------------------------------------------------------------------


def test_ingest_stores_messages_and_the_mms_photo_as_a_child_item(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    from workstation import queries
    from workstation.ingest import ingest_paths

    path = tmp_path / SMS_FILE
    path.write_bytes((EVIDENCE / SMS_FILE).read_bytes())
    ingest_paths(case, signer, [path])
    items = list(queries.iter_items(case))
    assert "sms_backup_xml@1.1" in items[0]["extractors"] and items[0]["warnings"] == []
    photo = next(i for i in items if i["name"] == "image000000.jpg")
    assert photo["parent_id"] == items[0]["id"]
    sms_messages = [m for m in queries.iter_messages(case) if m["platform"] == "sms"]
    assert len(sms_messages) == 91
    mms = next(m for m in sms_messages if m["kind"] == "media")
    assert mms["sender"]["phone_e164"] == "+447700900987"


def test_ingest_stores_repaired_text_on_every_backend(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    from workstation import queries
    from workstation.ingest import ingest_paths

    damaged = backup(sms("nul\x00 &#0;&#55357;&#56832; \xa3", address="07700\x01900123"))
    path = tmp_path / "sms-20240101000000.xml"
    path.write_bytes(damaged.replace("\xa3".encode(), b"\xa3"))
    ingest_paths(case, signer, [path])
    (message,) = [m for m in queries.iter_messages(case) if m["platform"] == "sms"]
    assert message["text"] == "nul 😀 \ufffd" and "text_fixed" in message["flags"]
    assert message["raw_text"] == "nul\\x00 &#0;&#55357;&#56832; \\xa3"
    assert message["sender"]["identifier"] == "07700900123"
    (item,) = list(queries.iter_items(case))
    assert [w.split(": ", 1)[1] for w in item["warnings"]] == [
        "<sms>: bytes invalid in the file's encoding in ['body'], shown as U+FFFD",
        "<sms>: characters XML forbids removed from ['address']",
        "<sms>: NUL bytes in ['body'] removed; raw_text keeps them as \\x00",  # issue 12
    ]


def _source(data: bytes) -> Source:
    return source_from_bytes(data, "sms.xml", mime="text/xml")


@pytest.mark.parametrize("split", [1, 7, 13, 20])
def test_surrogate_pair_split_across_pieces_is_still_joined(split: int) -> None:
    # Pieces are 64 KiB: put the pair right at a piece boundary.
    before = len(HEADER.format(n=1)) + sms("#").index("#")
    filler = "y" * (65536 - split - before)
    data = backup(sms(filler + "&#55357;&#56832;"))
    (message,) = of(extract_all(EXTRACTOR, _source(data)), Message)
    assert message.text.endswith("y😀")


# --- issue 16 §4: "null" bodies, hidden callers, numbers of other countries ----------------


def test_null_body_is_no_text_flagged_with_raw_kept() -> None:
    records = run(issue16_misc.sms_null_and_hidden())
    null, hidden, plain = of(records, Message)
    assert (null.text, null.raw_text, null.flags) == ("", "null", ("body_null",))
    assert (plain.text, plain.raw_text, plain.flags) == ("ok", None, ())
    assert (hidden.thread_id, hidden.thread_title, hidden.flags) == (
        "sms:withheld",
        "(withheld)",
        ("number_withheld",),
    )
    assert (hidden.sender_key, hidden.sender_identifier, hidden.text) == (
        None,
        None,
        "you know who",
    )
    assert [a.phone_raw for a in of(records, Account)] == ["07700 900123"]  # no "-2" account
    assert of(records, ExtractWarning) == []


def test_hidden_callers_in_every_shape_read_as_what_they_are() -> None:
    records = run(issue16_misc.calls_hidden(), "calls-20240305000000.xml")
    calls, messages = of(records, Call), of(records, Message)
    assert [(c.number_raw, c.thread_id, c.number_e164, c.party_key, c.flags) for c in calls] == [
        ("-1", "phone:unknown", None, None, ("number_unknown",)),
        ("-2", "phone:withheld", None, None, ("number_withheld",)),
        ("-3", "phone:payphone", None, None, ("number_payphone",)),
        ("", "phone:withheld", None, None, ("number_withheld",)),
        ("", "phone:unknown", None, None, ("number_unknown",)),
        ("", "phone:payphone", None, None, ("number_payphone",)),
        ("Private", "phone:withheld", None, None, ("number_withheld",)),
        ("Unknown", "phone:unknown", None, None, ("number_unknown",)),
        ("07700 900123", "phone:+447700900123", "+447700900123", "phone:+447700900123",
         ("number_withheld",)),
        ("07700 900123", "phone:+447700900123", "+447700900123", "phone:+447700900123", ()),
    ]  # fmt: skip
    assert [m.thread_title for m in messages[:8]] == [
        "(unknown)", "(withheld)", "(payphone)", "(withheld)", "(unknown)", "(payphone)",
        "(withheld)", "(unknown)",
    ]  # fmt: skip
    assert [m.flags for m in messages] == [c.flags for c in calls]
    assert [m.sender_key for m in messages[:8]] == [None] * 8
    assert [a.phone_raw for a in of(records, Account)] == ["07700 900123"]
    assert [w.message for w in of(records, ExtractWarning)] == [
        "<call> presentation 2 (withheld) but number '07700 900123' given: the number is kept"
    ]


def test_austrian_phone_reads_national_numbers_as_austrian() -> None:
    records = run(issue16_misc.sms_austrian_phone())
    lena = next(a for a in of(records, Account) if a.display_name == "Lena")
    assert (lena.phone_raw, lena.phone_e164, lena.key) == (
        "0664 1234567",
        "+436641234567",
        "sms:+436641234567",
    )
    assert of(records, Message)[-2].thread_id == "sms:+436641234567"
    assert [w.message for w in of(records, ExtractWarning)] == [
        "most international numbers at the start of the file are in AT: numbers written "
        "without a country code are read as AT numbers first, then GB (the case's region)"
    ]


def test_foreign_national_number_in_a_gb_backup_is_kept_raw_and_flagged() -> None:
    records = run(issue16_misc.sms_foreign_in_gb())
    lena = next(a for a in of(records, Account) if a.display_name == "Lena")
    assert (lena.phone_raw, lena.phone_e164, lena.key) == ("0664 1234567", None, "sms:0664 1234567")
    assert [m.flags for m in of(records, Message)] == [
        (),
        ("phone_region_unsure",),
        ("phone_region_unsure",),
        (),
        ("phone_region_unsure",),  # valid in Germany, where another number of the file is
    ]
    warnings = of(records, ExtractWarning)
    assert [w.locator.line for w in warnings] == [4, 7]
    assert warnings[0].message.startswith(
        "phone number '0664 1234567' is not valid in GB (the case's region) but would be in AT"
    )
    assert "'0171 1234567' is not valid in GB" in warnings[1].message

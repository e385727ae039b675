"""WhatsApp "Export chat" text: case-alpha truth, the format samples, quirks, damage, scale.

Samples: tests/data/formats/whatsapp/ (chat-miner MIT files and hand-written synthetic ones,
see its SOURCES.md); case files: tests/data/case_alpha/evidence/ (zip members are read with
zipfile and given their fellow members as siblings, as the pipeline does). Quirk, damaged and
large inputs are generated here; the long-line test uses 20 MB, not 200 MB, to stay fast.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import tracemalloc
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from extractors.base import Context, Sibling, Source
from extractors.records import (
    FLAGS,
    KINDS,
    Account,
    ExtractWarning,
    Locator,
    Message,
    Record,
    record_to_canonical,
)
from extractors.whatsapp_txt import MAX_BODY, MAX_LINE, WhatsAppTxtExtractor
from tests.extractors.helpers import (
    extract_all,
    source_from_bytes,
    source_from_file,
    source_from_zip_member,
)

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"
EVIDENCE = DATA / "case_alpha" / "evidence"
TRUTH = json.loads((DATA / "case_alpha" / "truth.json").read_text(encoding="utf-8"))
SAMPLES = DATA / "formats" / "whatsapp"
EXTRACTOR = WhatsAppTxtExtractor()
LRM = "\u200e"
CASE_FILES = [
    ("WhatsApp Chat with Dan.zip", "WhatsApp Chat with Dan.txt"),
    ("WhatsApp Chat - +44 7700 900987.zip", "_chat.txt"),
    ("WhatsApp Chat with Dan Price.txt", None),
    ("WhatsApp Chat with Daniel Mercado.txt", None),
]
CHATMINER = sorted(p.name for p in SAMPLES.glob("chatminer__*.txt"))


def member_source(zip_path: Path, member: str) -> Source:
    """A zip member with the other members as siblings (what ingest passes)."""
    source = source_from_zip_member(zip_path, member, mime="text/plain")
    with zipfile.ZipFile(zip_path) as archive:
        siblings = tuple(
            Sibling(i.filename, hashlib.sha256(archive.read(i)).hexdigest(), i.file_size)
            for i in archive.infolist()
            if i.filename != member
        )
    return dataclasses.replace(source, siblings=siblings)


def case_source(file: str, member: str | None) -> Source:
    if member is None:
        return source_from_file(EVIDENCE / file, mime="text/plain")
    return member_source(EVIDENCE / file, member)


def chat(text: str | bytes, name: str = "WhatsApp Chat with Alex.txt", **kw: str) -> Source:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return source_from_bytes(data, name, mime="text/plain", **kw)


def run(source: Source, ctx: Context | None = None) -> list[Record]:
    return extract_all(EXTRACTOR, source, ctx)


def messages(records: list[Record]) -> list[Message]:
    return [r for r in records if isinstance(r, Message)]


def warnings(records: list[Record]) -> list[str]:
    """The warnings, without the file's one note on its date order (see date_order_notes)."""
    return [m for m in all_warnings(records) if ": date order " not in m]


def all_warnings(records: list[Record]) -> list[str]:
    return [r.message for r in records if isinstance(r, ExtractWarning)]


def date_order_notes(records: list[Record]) -> list[str]:
    return [m for m in all_warnings(records) if ": date order " in m]


def check_outcome(records: list[Record]) -> None:
    """The only outcomes allowed: well-formed records or warnings."""
    for r in records:
        assert isinstance(r, Account | Message | ExtractWarning), r
        if isinstance(r, Message):
            assert r.kind in KINDS and set(r.flags) <= FLAGS, r
            assert r.sent_at_utc is None or r.sent_at_utc.endswith("Z")


# --- sniffing ----------------------------------------------------------------------------


def test_sniff_accepts_exports_and_rejects_other_files() -> None:
    for file, member in CASE_FILES:
        assert EXTRACTOR.sniff(case_source(file, member)), file
    for path in [*SAMPLES.glob("*.txt"), *SAMPLES.glob("synthetic/*.txt")]:
        assert EXTRACTOR.sniff(source_from_file(path, mime="text/plain")), path
    assert not EXTRACTOR.sniff(source_from_file(EVIDENCE / "WhatsApp Chat with Dan.zip"))
    assert not EXTRACTOR.sniff(chat("Dear Hannah,\nsee you at 12/01/2024, 21:05.\n", "a.txt"))
    log = "2024-01-12 21:05:33 host sshd[1]: accepted\n" * 3
    assert not EXTRACTOR.sniff(chat(log, "auth.txt"))
    bracketed_log = "[2024-01-12 21:05:33] INFO: started\n" * 3
    assert not EXTRACTOR.sniff(chat(bracketed_log, "app.txt"))
    assert EXTRACTOR.sniff(chat(bracketed_log, "WhatsApp Chat with Info.txt"))
    damaged_first_line = "\x01garbage\n12/01/2024, 21:05 - Alex: hi\n"
    assert EXTRACTOR.sniff(chat(damaged_first_line, "WhatsApp Chat with Alex.txt"))
    assert not EXTRACTOR.sniff(chat(damaged_first_line, "notes.txt"))
    assert not EXTRACTOR.sniff(chat(bytes(range(256)) * 4, "WhatsApp Chat with X.txt"))
    utf16 = "\ufeff12/01/2024, 21:05 - Alex: hi\n".encode("utf-16-le")
    assert EXTRACTOR.sniff(chat(utf16, "WhatsApp Chat with Alex.txt"))


# --- case alpha --------------------------------------------------------------------------


def truth_messages(file: str, member: str | None) -> list[dict[str, object]]:
    return [m for m in TRUTH["messages"] if m["file"] == file and m.get("member") == member]


@pytest.mark.parametrize(("file", "member"), CASE_FILES)
def test_case_alpha_matches_truth_exactly(file: str, member: str | None) -> None:
    records = run(case_source(file, member))
    got = [
        (m.sender_identifier, m.sent_at_utc, m.kind, m.text, list(m.attachments), m.edited)
        for m in messages(records)
    ]
    want = [
        (
            t["sender_identifier"],
            t["sent_at_utc"],
            t["kind"],
            t["text"],
            t.get("attachments", []),
            t.get("edited", False),
        )
        for t in truth_messages(file, member)
    ]
    assert got == want
    count = next(c for c in TRUTH["counts"] if c["file"] == file and c["member"] == member)
    assert len(got) == count["messages"]
    assert Counter(m.kind for m in messages(records)) == Counter(count["by_kind"])
    assert warnings(records) == []
    raws = [m.sent_at_raw for m in messages(records)]
    assert raws == [t["local_time_raw"] for t in truth_messages(file, member)]


def test_case_alpha_accounts_as_written_and_before_first_use() -> None:
    source = case_source(*CASE_FILES[0])
    records = run(source)
    seen: set[str] = set()
    for r in records:
        if isinstance(r, Account):
            seen.add(r.key)
        elif isinstance(r, Message) and r.sender_key is not None:
            assert r.sender_key in seen
    accounts = [r for r in records if isinstance(r, Account)]
    assert [(a.display_name, a.key, a.is_owner) for a in accounts] == [
        ("Dan", "whatsapp:Dan", False),
        ("Hannah Price", "whatsapp:Hannah Price", False),
        ("You", f"whatsapp:You (export {source.sha256[:12]})", True),
    ]
    ios = [r for r in run(case_source(*CASE_FILES[1])) if isinstance(r, Account)]
    assert [(a.display_name, a.phone_raw, a.phone_e164) for a in ios] == [
        ("+44 7700 900987", "+44 7700 900987", "+447700900987"),
        ("Hannah Price", None, None),
    ]


def test_the_exporter_you_is_one_account_per_export_not_per_platform() -> None:
    # Android writes the exporter's own actions as "You" ("You blocked this contact"). Two
    # phones' exports (the victim's and a suspect's) must not share one "You" account.
    def chat(line: str) -> bytes:
        return f"01/03/2024, 10:00 - Dan: hi\n01/03/2024, 10:05 - {line}\n".encode()

    keys = []
    for data in (chat("You blocked this contact"), chat("You unblocked this contact")):
        source = source_from_bytes(data, "WhatsApp Chat with Dan.txt")
        records = run(source)
        (you,) = [r for r in records if isinstance(r, Account) and r.is_owner]
        (line,) = [m for m in messages(records) if m.kind == "system"]
        assert you.key == f"whatsapp:You (export {source.sha256[:12]})"
        assert line.sender_key == you.key and line.sender_identifier == "You"
        keys.append(you.key)
        again = run(source_from_bytes(data, "WhatsApp Chat with Dan.txt"))
        assert [r.key for r in again if isinstance(r, Account)] == [
            r.key for r in records if isinstance(r, Account)
        ]  # same bytes, same keys: the Merkle root is repeatable
    assert keys[0] != keys[1]
    # The other party is named as the phone saved them: not scoped (the alias grouping
    # decides whether two phones' "Dan" are one person).
    assert "whatsapp:Dan" in {r.key for r in run(source) if isinstance(r, Account)}


def test_case_alpha_clock_change_times_and_flags() -> None:
    wanted = [c for c in TRUTH["dst_checks"] if "WhatsApp" in c["file"]]
    assert len(wanted) == 4
    for check in wanted:
        found = messages(run(case_source(check["file"], check.get("member"))))
        (m,) = [m for m in found if m.sent_at_raw == check["raw"]]
        assert m.sent_at_utc == check["expected_utc"]
        assert "nonexistent_local_time" not in m.flags and "ambiguous_local_time" not in m.flags
    # truth.json expects no other flag for these files; ours are only the zone assumption
    # and (iOS) the removed U+200E marks.
    assert [f for f in TRUTH["flags"] if "WhatsApp" in json.dumps(f)] == []
    for file, member in CASE_FILES:
        for m in messages(run(case_source(file, member))):
            assert set(m.flags) <= {"tz_assumed", "text_fixed"}
            assert m.tz == "Europe/London" and m.tz_assumed


def test_case_alpha_thread_from_the_export_name() -> None:
    titles = {
        file: {(m.thread_id, m.thread_title) for m in messages(run(case_source(file, member)))}
        for file, member in CASE_FILES
    }
    assert titles == {
        "WhatsApp Chat with Dan.zip": {("whatsapp:Dan", "Dan")},
        "WhatsApp Chat - +44 7700 900987.zip": {("whatsapp:+44 7700 900987", "+44 7700 900987")},
        "WhatsApp Chat with Dan Price.txt": {("whatsapp:Dan Price", "Dan Price")},
        "WhatsApp Chat with Daniel Mercado.txt": {("whatsapp:Daniel Mercado", "Daniel Mercado")},
    }


def test_one_ios_media_message_field_by_field() -> None:
    source = case_source(*CASE_FILES[1])
    records = run(source)
    assert len(records) == 135 and len(messages(records)) == 133  # 2 accounts, no warnings
    (m,) = [m for m in messages(records) if m.text == "Recognise this?"]
    assert m == Message(
        locator=Locator(source.sha256, "WhatsApp Chat - +44 7700 900987.zip!/_chat.txt", line=16),
        platform="whatsapp",
        thread_id="whatsapp:+44 7700 900987",
        thread_title="+44 7700 900987",
        sender_key="whatsapp:+447700900987",
        sender_identifier="+44 7700 900987",
        sent_at_utc="2024-03-26T22:41:30Z",
        sent_at_raw="[26/03/2024, 22:41:30]",
        tz="Europe/London",
        tz_assumed=True,
        flags=("tz_assumed", "text_fixed"),
        kind="media",
        text="Recognise this?",
        raw_text=f"Recognise this? {LRM}<attached: 00000013-PHOTO-2024-03-26-22-41-30.jpg>",
        attachments=("00000013-PHOTO-2024-03-26-22-41-30.jpg",),
    )
    line = source.open().read().decode("utf-8").split("\n")[15]
    assert line.startswith(f"{LRM}[26/03/2024, 22:41:30] +44 7700 900987: Recognise this?")


def test_extraction_is_deterministic() -> None:
    for file, member in CASE_FILES:
        first = [record_to_canonical(r) for r in run(case_source(file, member))]
        second = [record_to_canonical(r) for r in run(case_source(file, member))]
        assert first == second


# --- the format samples ------------------------------------------------------------------

# Each chat-miner file holds the same 9 messages in its own header layout.
CHATMINER_UTC = [
    "2019-01-01T11:25:00Z",
    "2019-01-20T11:23:00Z",
    "2019-01-30T20:49:00Z",
    "2020-06-10T14:55:00Z",
    "2020-06-19T23:08:00Z",
    "2020-06-30T08:10:00Z",
    "2021-12-10T10:10:00Z",
    "2021-12-20T12:10:00Z",
    "2021-12-30T22:01:00Z",
]


@pytest.mark.parametrize("name", CHATMINER)
def test_chatminer_samples_parse_with_their_counts(name: str) -> None:
    records = run(source_from_file(SAMPLES / name, mime="text/plain"))
    found = messages(records)
    assert len(found) == 9 and warnings(records) == []  # 9 headers, 2 continuation lines
    assert Counter(m.kind for m in found) == {"text": 7, "system": 2}
    assert [m.sent_at_utc for m in found] == CHATMINER_UTC
    assert all("date_order_assumed" not in m.flags for m in found)
    assert [m.sender_identifier for m in found] == [
        "John Doe",
        "John Doe",  # "John Doe:." - a sender, then "."
        "Jahn Doe",
        "John-John Doe",
        "+12 345 578",  # a system line: the actor it names
        None,  # "You were added": no actor named
        "John Doe 🤓",
        "🤓",
        "John Doe",
    ]
    assert found[1].text == "." and found[3].text == "Lorem ipsum : dolor sit amet."
    assert found[2].text == "Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. Duis libero."


def test_synthetic_ios_sample_kinds_and_marks() -> None:
    records = run(source_from_file(SAMPLES / "synthetic" / "ios_en-GB__chat.txt"))
    found = messages(records)
    assert [m.kind for m in found] == [
        "system",
        "text",
        "text",
        "media",
        "media",
        "media",
        "deleted",
        "text",
        "call",
        "text",
        "media",
        "location",
    ]
    assert found[0].sender_identifier is None  # the E2E notice written as if from Alex
    assert found[2].text == "I know you are at home\nI can see the lights on\n\nAnswer me"
    assert found[7].text == "pick up" and found[7].edited
    assert found[11].text == "Location: https://maps.google.com/?q=51.5007,-0.1246"
    assert all(LRM not in m.text for m in found)
    assert [m.raw_text is not None for m in found] == ["text_fixed" in m.flags for m in found]
    assert warnings(records) == [
        "media files are referenced (first: '00000004-PHOTO-2024-01-12-21-07-45.jpg') but "
        "this chat is not inside an archive: they cannot be matched"
    ]


def test_synthetic_ios_zip_missing_media_is_warned() -> None:
    source = member_source(SAMPLES / "synthetic" / "WhatsApp Chat - Alex Smith.zip", "_chat.txt")
    records = run(source)
    media = [m for m in messages(records) if m.attachments]
    assert [m.attachments for m in media] == [
        ("00000004-PHOTO-2024-01-12-21-07-45.jpg",),
        ("00000005-PHOTO-2024-01-12-21-08-01.jpg",),
        ("00000009-AUDIO-2024-01-13-00-02-00.opus",),
    ]
    assert warnings(records) == [
        "referenced file '00000005-PHOTO-2024-01-12-21-08-01.jpg' is not in the archive",
        "referenced file '00000009-AUDIO-2024-01-13-00-02-00.opus' is not in the archive",
    ]
    assert {m.thread_title for m in messages(records)} == {"Alex Smith"}


def test_synthetic_android_12h_sample() -> None:
    path = SAMPLES / "synthetic" / "android_en-GB_12h__WhatsApp Chat with Alex Smith.txt"
    found = messages(run(source_from_file(path)))
    assert [(m.kind, m.sender_identifier, m.sent_at_utc) for m in found] == [
        ("system", None, "2024-01-12T21:05:00Z"),
        ("text", "Alex Smith", "2024-01-12T21:06:00Z"),
        ("media", "Alex Smith", "2024-01-12T21:07:00Z"),
        ("media", "Alex Smith", "2024-01-12T21:07:00Z"),
        ("deleted", "Alex Smith", "2024-01-12T21:08:00Z"),
        ("text", "Alex Smith", "2024-01-12T21:09:00Z"),
        ("media", "Alex Smith", "2024-01-12T21:10:00Z"),  # Android's "null": no text
        ("system", "+44 7700 900123", "2024-01-12T23:59:00Z"),
        ("system", "You", "2024-01-13T00:01:00Z"),
    ]
    assert found[3].text == "look at this" and found[3].attachments == ("IMG-20240112-WA0004.jpg",)
    assert found[2].text == "" and found[2].attachments == ()
    assert found[5].text == "pick up" and found[5].edited
    assert found[0].sent_at_raw == "12/01/2024, 9:05\u202fpm"
    assert (found[6].text, found[6].raw_text) == ("", "null")
    assert "body_null" in found[6].flags and "body_null" not in found[5].flags


# --- header variants and date order ------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"
JUNE_3, JUNE_13 = "2018-06-03T13:55:00Z", "2018-06-13T21:25:15Z"


@pytest.mark.parametrize(
    ("line", "utc", "assumed"),
    [
        ("3/6/18, 1:55 p.m. - a: m", JUNE_3, True),
        ("03-06-2018, 01.55 PM - a: m", JUNE_3, True),
        ("13.06.18 21.25.15: a: m", JUNE_13, True),  # or 2013-06-18: one date cannot tell
        ("[06.13.18 21:25:15] a: m", JUNE_13, False),
        ("13.6.2018 klo 21.25.15 - a: m", JUNE_13, False),
        ("13. 6. 2018. 21:25:15 a: m", JUNE_13, False),
        ("[3/6/18 1:55:00 p. m.] a: m", JUNE_3, True),
        (f"{LRM}[3/6/18 1:55:00 a. m.] a: m", "2018-06-03T01:55:00Z", True),
        ("[2018/06/13, 21:25:15] a: m", JUNE_13, False),
        ("[06/2018/13, 21:25:15] a: m", JUNE_13, False),
        (f"3/6/2018 1:55 p.{NBSP}m. - a: m", JUNE_3, True),
        (f"3/6/18, 1:55{NNBSP}PM - a: m", JUNE_3, True),
        ("[2018-06-13 21:25] a: m", "2018-06-13T21:25:00Z", False),
        ("13-06-18, 21:25 - a: m", "2018-06-13T21:25:00Z", True),
        ("[13/06/2018, 12:05:00 AM] a: m", "2018-06-13T00:05:00Z", False),
    ],
)
def test_header_locale_variants(line: str, utc: str, assumed: bool) -> None:
    (m,) = messages(run(chat(line + "\n"), Context(tz="UTC")))
    assert (m.sender_identifier, m.text, m.sent_at_utc) == ("a", "m", utc)
    assert ("date_order_assumed" in m.flags) == assumed


def test_date_order_is_decided_from_all_headers_of_the_file() -> None:
    lines = ["01/02/2024, 10:00 - A: one", "05/02/2024, 10:00 - A: two"]
    day_first = messages(run(chat("\n".join([*lines, "13/02/2024, 10:00 - A: three"]))))
    assert [m.sent_at_utc for m in day_first] == [
        "2024-02-01T10:00:00Z",
        "2024-02-05T10:00:00Z",
        "2024-02-13T10:00:00Z",
    ]
    month_first = messages(run(chat("\n".join([*lines, "02/13/2024, 10:00 - A: three"]))))
    assert [(m.sent_at_utc or "")[:10] for m in month_first] == [
        "2024-01-02",
        "2024-05-02",
        "2024-02-13",
    ]
    for found in (day_first, month_first):
        assert all("date_order_assumed" not in m.flags for m in found)


def test_undecidable_date_order_is_flagged_on_every_message() -> None:
    text = "01/02/2024, 10:00 - A: one\n05/02/2024, 10:00 - A: two\n"
    uk = messages(run(chat(text)))
    assert [(m.sent_at_utc or "")[:10] for m in uk] == ["2024-02-01", "2024-02-05"]
    assert all("date_order_assumed" in m.flags for m in uk)
    us = messages(run(chat(text), Context(region="US")))
    assert [(m.sent_at_utc or "")[:10] for m in us] == ["2024-01-02", "2024-05-02"]
    assert all("date_order_assumed" in m.flags for m in us)


def test_out_of_order_message_is_flagged() -> None:
    text = "02/03/2024, 10:00 - A: one\n02/03/2024, 09:00 - A: two\n02/03/2024, 09:00 - A: three\n"
    found = messages(run(chat(text)))
    assert ["out_of_order" in m.flags for m in found] == [False, True, False]


def test_clock_change_gap_and_overlap_are_flagged_not_shifted() -> None:
    text = "31/03/2024, 01:30 - A: gap\n27/10/2024, 01:30 - A: overlap\n"
    gap, overlap = messages(run(chat(text)))
    assert gap.sent_at_utc == "2024-03-31T01:30:00Z" and "nonexistent_local_time" in gap.flags
    assert overlap.sent_at_utc == "2024-10-27T00:30:00Z"
    assert "ambiguous_local_time" in overlap.flags


def test_invalid_date_is_unparsed_and_warned_not_guessed() -> None:
    text = "13/02/2024, 10:00 - A: one\n31/02/2024, 10:00 - A: two\n14/02/2024, 25:00 - A: x\n"
    records = run(chat(text))
    found = messages(records)
    assert [m.sent_at_utc for m in found] == ["2024-02-13T10:00:00Z", None, None]
    assert ["time_unparsed" in m.flags for m in found] == [False, True, True]
    assert found[1].sent_at_raw == "31/02/2024, 10:00" and found[1].tz is None
    assert warnings(records) == [
        "date/time '31/02/2024, 10:00' is not valid as DMY",
        "date/time '14/02/2024, 25:00' is not valid as DMY",
    ]


# --- text, marks and line endings --------------------------------------------------------


def test_invisible_marks_removed_with_raw_kept_but_joiners_are_content() -> None:
    family = "👨\u200d👩\u200d👧"
    persian = "می\u200cخواهم"
    text = (
        f"[12/01/2024, 21:05:33] A: {LRM}hi \u200fthere\n"
        f"[12/01/2024, 21:06:00] A: {family} {persian}\n"
    )
    first, second = messages(run(chat(text)))
    assert first.text == "hi there" and first.raw_text == f"{LRM}hi \u200fthere"
    assert "text_fixed" in first.flags
    assert second.text == f"{family} {persian}" and second.raw_text is None
    assert "text_fixed" not in second.flags


def test_bom_and_crlf_give_the_same_messages() -> None:
    text = "[12/01/2024, 21:05:33] A: one\n\ntwo\n[12/01/2024, 21:06:00] B: three\n"

    def view(data: bytes) -> list[tuple[object, ...]]:
        return [(m.sender_identifier, m.text, m.sent_at_utc) for m in messages(run(chat(data)))]

    plain = view(text.encode())
    assert plain[0][1] == "one\n\ntwo"
    assert view(text.replace("\n", "\r\n").encode()) == plain
    assert view(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()) == plain


def test_utf16_resaved_export_is_read() -> None:
    text = "12/01/2024, 21:05 - Alex: hi £\n13/01/2024, 21:05 - Alex: bye\n"
    found = messages(run(chat(("\ufeff" + text).encode("utf-16-le"))))
    assert [m.text for m in found] == ["hi £", "bye"]


# --- system lines, markers, senders ------------------------------------------------------


def test_system_lines_are_known_by_header_shape_not_by_words() -> None:
    text = "\n".join(
        [
            "12/01/2024, 21:05 - Messages and calls are end-to-end encrypted. Tap to learn more.",
            "12/01/2024, 21:06 - Alex: You blocked this contact. Tap to unblock.",
            '12/01/2024, 21:07 - Alex changed the subject to "Plans: Friday"',
            "12/01/2024, 21:08 - You were added",
            "12/01/2024, 21:09 - Missed voice call",
            "12/01/2024, 21:10 - Alex: Missed voice call",
            "12/01/2024, 21:11 - Jo left",
        ]
    )
    found = messages(run(chat(text)))
    assert [(m.kind, m.sender_identifier) for m in found] == [
        ("system", None),
        ("text", "Alex"),
        ("system", "Alex"),
        ("system", None),
        ("call", None),
        ("call", "Alex"),
        ("system", "Jo"),
    ]
    assert found[2].text == 'Alex changed the subject to "Plans: Friday"'


def test_ios_system_lines_written_as_if_from_someone() -> None:
    text = "\n".join(
        [
            f"[12/01/2024, 21:05:33] Group: {LRM}Messages and calls are end-to-end encrypted.",
            f"[12/01/2024, 21:05:40] Priya: {LRM}You added Priya.",
            f"[12/01/2024, 21:05:50] Priya: {LRM}Your security code with Priya changed.",
            "[12/01/2024, 21:06:00] Alex: Messages and calls are end-to-end encrypted.",
            f"[12/01/2024, 21:07:00] Alex: {LRM}Something else entirely",
        ]
    )
    found = messages(run(chat(text)))
    assert [(m.kind, m.sender_identifier) for m in found] == [
        ("system", None),
        ("system", "You"),
        ("system", None),
        ("text", "Alex"),  # no mark: typed by Alex
        ("text", "Alex"),  # a mark but no system wording: kept as Alex's text
    ]


def test_deleted_and_edited_markers() -> None:
    text = "\n".join(
        [
            "[12/01/2024, 21:05:00] A: This message was deleted",
            f"[12/01/2024, 21:05:01] A: {LRM}This message was deleted.",
            f"[12/01/2024, 21:05:02] A: {LRM}You deleted this message.",
            "[12/01/2024, 21:05:03] A: two lines",
            f"then edited {LRM}<This message was edited.>",
            "[12/01/2024, 21:05:04] A: the words This message was deleted, quoted",
        ]
    )
    found = messages(run(chat(text)))
    assert [(m.kind, m.text, m.edited) for m in found] == [
        ("deleted", "This message was deleted", False),
        ("deleted", "This message was deleted.", False),
        ("deleted", "You deleted this message.", False),
        ("text", "two lines\nthen edited", True),
        ("text", "the words This message was deleted, quoted", False),
    ]


def test_media_markers_of_both_families() -> None:
    text = "\n".join(
        [
            "12/01/2024, 21:05 - A: IMG-20240112-WA0004.jpg (file attached)",
            "look at this",
            "and this",
            "12/01/2024, 21:06 - A: DOC-20240112-WA0005.pdf (Datei angehängt)",
            "12/01/2024, 21:07 - A: <Media omitted>",
            "12/01/2024, 21:08 - A: <Multimédia omitido>",
            f"12/01/2024, 21:09 - A: {LRM}image omitted",
            f"12/01/2024, 21:10 - A: {LRM}Contact card omitted",
            f"12/01/2024, 21:11 - A: {LRM}report.pdf • 3 pages document omitted",
            f"12/01/2024, 21:12 - A: 2015-08-04-PHOTO-00004762.jpg <{LRM}attached>",
            f"12/01/2024, 21:13 - A: caption here {LRM}<attached: 00000005-PHOTO-x.jpg>",
            "12/01/2024, 21:14 - A: location: https://maps.google.com/?q=51.5,-0.12",
            "12/01/2024, 21:15 - A: live location shared",
            "12/01/2024, 21:16 - A: my attached: file is <not> a marker",
        ]
    )
    found = messages(run(chat(text)))
    assert [(m.kind, m.text, m.attachments) for m in found] == [
        ("media", "look at this\nand this", ("IMG-20240112-WA0004.jpg",)),
        ("media", "", ("DOC-20240112-WA0005.pdf",)),
        ("media", "", ()),
        ("media", "", ()),
        ("media", "", ()),
        ("contact", "", ()),
        ("media", "", ("report.pdf",)),
        ("media", "", ("2015-08-04-PHOTO-00004762.jpg",)),
        ("media", "caption here", ("00000005-PHOTO-x.jpg",)),
        ("location", "location: https://maps.google.com/?q=51.5,-0.12", ()),
        ("location", "live location shared", ()),
        ("text", "my attached: file is <not> a marker", ()),
    ]


def test_media_matched_to_members_byte_exact_then_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Café.jpg")
    siblings = (
        Sibling("other/x.jpg", "0" * 64, 1),
        Sibling("chat/x.jpg", "1" * 64, 1),
        Sibling(f"chat/{nfd}", "2" * 64, 1),
        Sibling("chat/exact.jpg", "3" * 64, 1),
    )
    text = "\n".join(
        [
            "[12/01/2024, 21:05:00] A: <attached: exact.jpg>",
            "[12/01/2024, 21:05:01] A: <attached: Café.jpg>",
            "[12/01/2024, 21:05:02] A: <attached: x.jpg>",
            "[12/01/2024, 21:05:03] A: <attached: gone.jpg>",
        ]
    )
    source = dataclasses.replace(
        chat(
            text, "_chat.txt", path="WhatsApp Chat - A.zip!/chat/_chat.txt", member="chat/_chat.txt"
        ),
        siblings=siblings,
    )
    records = run(source)
    assert [m.attachments for m in messages(records)] == [
        ("chat/exact.jpg",),
        (f"chat/{nfd}",),
        ("chat/x.jpg",),  # the member beside the chat first
        ("gone.jpg",),
    ]
    assert warnings(records) == [
        f"referenced file 'Café.jpg' matched member 'chat/{nfd}' only after Unicode "
        "normalisation (NFC/NFD)",
        "referenced file 'x.jpg' matches 2 members; took 'chat/x.jpg'",
        "referenced file 'gone.jpg' is not in the archive",
    ]


def test_senders_numbers_push_names_and_bidi_wrappers() -> None:
    text = "\n".join(
        [
            "12/01/2024, 21:05 - \u202a+44 7700 900123\u202c: hi",
            "12/01/2024, 21:06 - ~\u202fDana: hello",
            "12/01/2024, 21:07 - Dr: Who: colon in the body",
            "12/01/2024, 21:08 - +44 7700 900123: again",
        ]
    )
    records = run(chat(text))
    accounts = [r for r in records if isinstance(r, Account)]
    assert [(a.display_name, a.phone_raw, a.phone_e164) for a in accounts] == [
        ("+44 7700 900123", "+44 7700 900123", "+447700900123"),
        ("~\u202fDana", None, None),
        ("Dr", None, None),
    ]
    found = messages(records)
    assert [(m.sender_identifier, m.sender_key, m.text) for m in found] == [
        ("+44 7700 900123", "whatsapp:+447700900123", "hi"),
        ("~\u202fDana", "whatsapp:~\u202fDana", "hello"),
        ("Dr", "whatsapp:Dr", "Who: colon in the body"),
        ("+44 7700 900123", "whatsapp:+447700900123", "again"),
    ]


@pytest.mark.parametrize(
    ("name", "path", "thread"),
    [
        ("WhatsApp Chat with Dan (1).txt", None, ("whatsapp:Dan", "Dan")),
        (
            "_chat.txt",
            "x/WhatsApp Chat - Jo Bloggs.zip!/_chat.txt",
            ("whatsapp:Jo Bloggs", "Jo Bloggs"),
        ),
        (
            "WhatsApp Chat with Sam.txt",
            "WhatsApp Chat with Sam.zip!/WhatsApp Chat with Sam.txt",
            ("whatsapp:Sam", "Sam"),
        ),
        ("_chat.txt", None, (None, None)),
    ],
)
def test_thread_from_the_file_or_zip_name(
    name: str, path: str | None, thread: tuple[str | None, str | None]
) -> None:
    source = chat("[12/01/2024, 21:05:00] A: hi\n", name, **({"path": path} if path else {}))
    (m,) = messages(run(source))
    expected_id = thread[0] or f"whatsapp:sha256:{source.sha256}"
    assert (m.thread_id, m.thread_title) == (expected_id, thread[1])


# --- damage ------------------------------------------------------------------------------

IOS_CASE = zipfile.ZipFile(EVIDENCE / "WhatsApp Chat - +44 7700 900987.zip").read("_chat.txt")


def test_truncated_file_keeps_what_came_before() -> None:
    full = [(m.sent_at_raw, m.sender_identifier) for m in messages(run(chat(IOS_CASE)))]
    for cut in range(0, len(IOS_CASE), 97):
        records = run(chat(IOS_CASE[:cut]))
        check_outcome(records)
        got = [(m.sent_at_raw, m.sender_identifier) for m in messages(records)]
        # The last message may be cut anywhere, even inside its header's name.
        assert got[:-1] == full[: max(len(got) - 1, 0)]
    emoji = IOS_CASE.index("😂".encode())
    records = run(chat(IOS_CASE[: emoji + 2]))
    last = messages(records)[-1]
    assert "truncated" in last.flags and last.text.endswith("\ufffd")
    assert warnings(records) == ["the file ends inside a UTF-8 character (truncated?)"]


def test_wrong_encoding_is_warned_and_shown() -> None:
    text = "12/01/2024, 21:05 - Chloé: £30 cheaper\n12/01/2024, 21:06 - A: fine\n"
    records = run(chat(text.encode("cp1252")))
    found = messages(records)
    assert [m.text for m in found] == ["\ufffd30 cheaper", "fine"]
    assert found[0].sender_identifier == "Chlo\ufffd"
    assert warnings(records) == ["invalid UTF-8 bytes replaced by U+FFFD"]


@pytest.mark.parametrize(
    "data",
    [b"", b"hello\nworld\n", b'{"messages": []}', b"\x00\x01\x02" * 100, "ü".encode() * 10],
)
def test_unknown_layout_gives_one_warning(data: bytes) -> None:
    records = run(chat(data))
    assert [type(r) for r in records] == [ExtractWarning]
    assert warnings(records) == [
        "no WhatsApp message header found: WhatsApp Chat with Alex.txt was taken for a chat "
        "export but gave no message"
    ]


def test_text_before_the_first_header_is_warned() -> None:
    records = run(chat("garbage\n\nmore garbage\n12/01/2024, 21:05 - A: hi\n"))
    assert [m.text for m in messages(records)] == ["hi"]
    assert warnings(records) == [
        "2 lines of text before the first message header (lines 1-3), not part of any message"
    ]


def test_header_of_another_layout_is_text_and_warned() -> None:
    text = (
        "12/01/2024, 21:05 - A: quoting:\n"
        "[11/01/2024, 10:00:00] B: old\n"
        "12/01/2024, 21:06 - A: ok\n"
    )
    records = run(chat(text))
    assert [m.text for m in messages(records)] == ["quoting:\n[11/01/2024, 10:00:00] B: old", "ok"]
    assert warnings(records) == ["looks like a header of another layout: kept as text"]


def test_very_long_single_line_is_cut_and_warned() -> None:
    # 20 MB rather than 200 MB to keep the suite fast; reading is in MAX_LINE pieces.
    head = b"12/01/2024, 21:05 - A: "
    long_line = head + b"x" * (20 << 20) + b"\n12/01/2024, 21:06 - A: after\n"
    records = run(chat(long_line))
    first, second = messages(records)
    assert len(first.text) == MAX_LINE - len(head) and second.text == "after"
    skipped = (20 << 20) + len(head) + 1 - MAX_LINE
    assert warnings(records) == [
        f"line longer than {MAX_LINE} bytes: {skipped} bytes after it skipped"
    ]
    spaces = b"12/01/2024, 21:05 - A: " + b" " * (MAX_LINE - 100) + b"<attached: \n"
    check_outcome(run(chat(spaces)))  # no quadratic regex on a line of blanks
    lone = run(chat(b"y" * (20 << 20)))
    assert warnings(lone)[-1].startswith("no WhatsApp message header found: ")


def test_message_longer_than_the_cap_drops_lines_with_a_warning() -> None:
    body = ("z" * 999 + "\n") * (MAX_BODY // 1000 + 50)
    records = run(chat("12/01/2024, 21:05 - A: start\n" + body + "12/01/2024, 21:06 - A: next\n"))
    first, second = messages(records)
    assert len(first.text) <= MAX_BODY and second.text == "next"
    assert len(warnings(records)) == 1 and "further lines dropped" in warnings(records)[0]


# --- properties --------------------------------------------------------------------------

ANDROID_SAMPLE = (
    SAMPLES / "synthetic" / "android_en-GB_12h__WhatsApp Chat with Alex Smith.txt"
).read_bytes()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from([IOS_CASE[:3000], ANDROID_SAMPLE]),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "delete", "insert"]),
            st.integers(0, 3_000),
            st.sampled_from([0x00, 0x0A, 0x0D, 0x20, 0x2F, 0x3A, 0x5B, 0x5D, 0x80, 0xE2, 0xFF]),
        ),
        max_size=8,
    ),
    cut=st.one_of(st.none(), st.integers(0, 3_000)),
)
def test_mutated_samples_give_records_or_warnings(
    base: bytes, edits: list[tuple[str, int, int]], cut: int | None
) -> None:
    data = bytearray(base)
    for op, at, value in edits:
        at %= len(data) + 1
        if op == "flip" and at < len(data):
            data[at] ^= value or 0x01
        elif op == "delete":
            del data[at : at + 1]
        else:
            data[at:at] = bytes([value])
    records = run(chat(bytes(data[:cut] if cut is not None else data)))
    check_outcome(records)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.text(max_size=200))
def test_random_input_after_a_header_gives_records_or_warnings(tail: bytes, text: str) -> None:
    data = b"12/01/2024, 21:05 - A: " + tail + text.encode("utf-8", "surrogatepass")
    check_outcome(run(chat(data)))


# --- generated chats: scale and the benchmark generator ----------------------------------


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_whatsapp", ROOT / "bench" / "gen_whatsapp.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_generator_output_parses_completely(tmp_path: Path) -> None:
    gen = load_generator()
    out = tmp_path / "WhatsApp Chat with Bench.txt"
    counts = gen.generate(out, 3000, 7)
    again = tmp_path / "again.txt"
    gen.generate(again, 3000, 7)
    assert out.read_bytes() == again.read_bytes()  # fixed seed
    source = source_from_file(out, mime="text/plain")
    assert EXTRACTOR.sniff(source)
    records = run(source)
    found = messages(records)
    assert len(found) == counts["messages"] == 3000
    assert sum(m.kind == "system" for m in found) == counts["system"]
    assert sum(bool(m.attachments) for m in found) == counts["media_files"]
    assert all("date_order_assumed" not in m.flags for m in found)
    assert len(warnings(records)) == 1  # media cannot be matched outside an archive


def peak_memory(source: Source) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in EXTRACTOR.extract(source, Context()))
        return tracemalloc.get_traced_memory()[1], count
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_chat_grows(tmp_path: Path) -> None:
    # Eight copies of one chat: as many distinct dates (the only bounded caches), 8x the
    # messages and bytes. Peak memory must not follow the size.
    gen = load_generator()
    small, large = tmp_path / "WhatsApp Chat with S.txt", tmp_path / "WhatsApp Chat with L.txt"
    gen.generate(small, 1_000, 1)
    large.write_bytes(small.read_bytes() * 8)
    peak_memory(source_from_file(small, mime="text/plain"))  # fill the bounded date caches
    small_peak, small_count = peak_memory(source_from_file(small, mime="text/plain"))
    large_peak, large_count = peak_memory(source_from_file(large, mime="text/plain"))
    assert large_count > 7 * small_count
    assert large_peak < small_peak * 1.5 + 50_000, (small_peak, large_peak)


# --- end to end --------------------------------------------------------------------------


def test_ingest_of_the_zip_matches_media_to_its_members(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    from workstation import queries
    from workstation.ingest import ingest_paths

    path = tmp_path / "WhatsApp Chat with Dan.zip"
    path.write_bytes((EVIDENCE / "WhatsApp Chat with Dan.zip").read_bytes())
    ingest_paths(case, signer, [path])
    items = {i["name"]: i for i in queries.iter_items(case)}
    chat_item = items["WhatsApp Chat with Dan.txt"]
    assert f"whatsapp_txt@{WhatsAppTxtExtractor.version}" in chat_item["extractors"]
    assert chat_item["warnings"] == []
    found = [m for m in queries.iter_messages(case) if m["platform"] == "whatsapp"]
    assert len(found) == 64
    (media,) = [m for m in found if m["kind"] == "media"]
    assert media["attachments"] == ["IMG-20240302-WA0002.jpg"]
    assert media["thread_title"] == "Dan"

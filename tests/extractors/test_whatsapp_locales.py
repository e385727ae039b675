"""WhatsApp exports from other people's phones (issue 16 §4): date order from the whole
file, Arabic/Persian digits, time-first, Buddhist and Japanese-era dates, localised message
types from the table, unparsed headers, Android "null", recognition by content, phone regions.

Fixtures: tests/data/whatsapp_locales/ (synthetic, written for issue 16; gen_locales.py).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from extractors import _whatsapp_locale as table
from extractors.base import Context
from extractors.records import FLAGS, Account, ExtractWarning, Message
from tests.extractors.helpers import source_from_bytes, source_from_file, source_from_zip_member
from tests.extractors.test_whatsapp_txt import (
    all_warnings,
    chat,
    check_outcome,
    messages,
    run,
    warnings,
)

HERE = Path(__file__).parents[1] / "data" / "whatsapp_locales"
UTC = Context(tz="UTC")


def fixture(name: str) -> list[Message]:
    records = run(source_from_file(HERE / name, mime="text/plain"), UTC)
    check_outcome(records)
    return messages(records)


def test_two_digit_year_first_is_read_year_first_and_flagged_inferred() -> None:
    source = source_from_file(HERE / "WhatsApp Chat with John.txt", mime="text/plain")
    records = run(source, UTC)
    found = messages(records)
    assert [m.sent_at_utc for m in found] == [
        "2019-09-05T03:50:00Z",
        "2019-09-13T10:00:00Z",
        "2019-10-02T08:15:00Z",
    ]
    assert [m.sent_at_raw for m in found] == [
        "19-09-05, 03:50",
        "19-09-13, 10:00",
        "19-10-02, 08:15",
    ]
    assert all("date_order_inferred" in m.flags for m in found)
    assert all("date_order_assumed" not in m.flags for m in found)
    assert all_warnings(records) == [
        "WhatsApp Chat with John.txt: date order YMD inferred: every date fits DMY/YMD, "
        "and only YMD has them run forward"
    ]


def test_date_order_that_cannot_be_settled_is_flagged_and_warned_once() -> None:
    text = "19-09-05, 03:50 - John: only one day\n19-09-05, 03:51 - John: x\n"
    records = run(chat(text), UTC)
    found = messages(records)
    assert [m.sent_at_utc for m in found] == ["2005-09-19T03:50:00Z", "2005-09-19T03:51:00Z"]
    assert all("date_order_assumed" in m.flags for m in found)
    assert all_warnings(records) == [
        "WhatsApp Chat with Alex.txt: date order cannot be settled: every date fits DMY/YMD/YDM "
        "and runs forward under more than one; DMY assumed"
    ]


def test_a_field_above_31_settles_the_order_without_a_flag() -> None:
    found = messages(run(chat("45-01-13, 10:00 - A: x\n"), UTC))  # 45: a year, 13: a day
    assert found[0].sent_at_utc == "2045-01-13T10:00:00Z"
    assert not {"date_order_assumed", "date_order_inferred"} & set(found[0].flags)


@pytest.mark.parametrize("name", ["ios_arabic__chat.txt", "ios_persian_digits__chat.txt"])
def test_arabic_ios_digits_marks_and_am_pm(name: str) -> None:
    found = fixture(name)
    assert [(m.kind, m.sent_at_utc) for m in found] == [
        ("text", "2022-03-27T21:41:35Z"),
        ("media", "2022-03-27T21:41:55Z"),
        ("deleted", "2022-03-27T21:54:45Z"),
        ("text", "2022-03-28T09:05:00Z"),
    ]
    assert found[0].sender_identifier == "سارة" and found[0].text == "مرحبا"
    assert found[0].sent_at_raw.startswith("[") and "\u060c" in found[0].sent_at_raw


def test_vietnamese_ios_time_before_date() -> None:
    found = fixture("ios_vietnamese__chat.txt")
    assert [(m.kind, m.sent_at_utc) for m in found] == [
        ("text", "2022-03-27T21:41:35Z"),
        ("media", "2022-03-27T21:41:55Z"),
        ("media", "2022-03-27T21:44:16Z"),
        ("media", "2022-03-27T21:50:25Z"),
        ("deleted", "2022-03-27T21:54:45Z"),
        ("location", "2022-03-27T21:56:46Z"),
        ("text", "2022-04-02T08:00:00Z"),
    ]
    assert found[0].sent_at_raw == "[21:41:35, 3/27/22]"
    assert found[3].attachments == ("Hop-dong.pdf",)


def test_buddhist_calendar_years_are_gregorian_instants_with_the_raw_kept() -> None:
    found = fixture("ios_buddhist__chat.txt")
    assert [(m.kind, m.sent_at_utc, m.sent_at_raw) for m in found] == [
        ("text", "2022-03-27T21:41:35Z", "[3/27/2565 BE, 21:41:35]"),
        ("location", "2022-03-27T21:46:03Z", "[3/27/2565 BE, 21:46:03]"),
        ("media", "2023-01-12T02:05:44Z", "[1/12/2566 BE, 02:05:44]"),
    ]


def test_japanese_era_years_cross_heisei_to_reiwa() -> None:
    found = fixture("ios_japanese_era__chat.txt")
    assert [(m.kind, m.sent_at_utc) for m in found] == [
        ("text", "2019-04-30T23:59:00Z"),
        ("text", "2019-05-01T00:00:10Z"),
        ("media", "2022-03-27T21:41:55Z"),
        ("media", "2022-03-27T21:50:43Z"),
    ]
    assert found[0].sent_at_raw == "[4/30/H31, 23:59:00]"
    assert found[3].attachments == ("計画.docx",)


def test_android_markers_in_other_languages_and_null() -> None:
    found = fixture("android_markers__chat.txt")
    assert [(m.sender_identifier, m.kind, m.text) for m in found] == [
        ("Ana", "media", ""),
        ("Ana", "deleted", "Se eliminó este mensaje"),
        ("Jonas", "media", ""),
        ("Jonas", "deleted", "Diese Nachricht wurde gelöscht"),
        ("Joana", "media", ""),
        ("Ivan", "media", ""),
        ("Ivan", "deleted", "Вы удалили данное сообщение"),
        ("Ana", "location", "ubicación: https://maps.google.com/?q=40.4168,-3.7038"),
        ("Ana", "location", "Plaza Mayor\nlocation: https://maps.google.com/?q=40.4155,-3.7074"),
        ("Jonas", "location", "Live-Standort wird geteilt"),
        ("Jonas", "media", ""),
    ]
    null = found[-1]
    assert null.raw_text == "null" and "body_null" in null.flags


def test_english_document_omitted_and_venue() -> None:
    found = fixture("ios_english_markers__chat.txt")
    assert [(m.kind, m.attachments) for m in found] == [
        ("media", ("Notes.txt",)),
        ("media", ("Plan.pdf",)),
        ("media", ()),
        ("location", ()),
        ("location", ()),
    ]
    assert found[3].text.startswith("Hyde Park (London, United Kingdom): https://foursquare")


REQUIRED = (
    "en",
    "es",
    "pt",
    "fr",
    "de",
    "it",
    "nl",
    "tr",
    "ru",
    "ar",
    "id",
    "hi",
    "vi",
    "ja",
    "zh",
)
KINDS_OF = {
    "media": (
        table.IMAGE_OMITTED,
        table.VIDEO_OMITTED,
        table.AUDIO_OMITTED,
        table.STICKER_OMITTED,
        table.GIF_OMITTED,
    ),
    "contact": (table.CONTACT_OMITTED,),
    "deleted": (table.DELETED, table.YOU_DELETED),
    "location": (table.LIVE_LOCATION,),
}


def test_the_table_covers_the_languages_whatsapp_ships() -> None:
    tables = [t for ts in KINDS_OF.values() for t in ts]
    tables += [table.DOCUMENT_OMITTED, table.MEDIA_OMITTED, table.LOCATION_LABEL]
    for t in tables:
        assert set(REQUIRED) <= set(t), sorted(set(REQUIRED) - set(t))


@pytest.mark.parametrize("language", REQUIRED)
def test_every_language_row_gives_its_kind_in_an_ios_export(language: str) -> None:
    lines, expected = [], []
    for kind, tables in KINDS_OF.items():
        for t in tables:
            for phrase in t[language]:
                lines.append(f"[27/03/2022, 21:41:35] Ana: \u200e{phrase}")
                expected.append(kind)
    for phrase in table.DOCUMENT_OMITTED[language]:
        lines.append(f"[27/03/2022, 21:41:35] Ana: \u200eplan.pdf {phrase}")
        expected.append("media")
    for phrase in table.MEDIA_OMITTED[language]:
        lines.append(f"27/03/2022, 21:41 - Ana: <{phrase}>")
        expected.append("media")
    ios = [ln for ln in lines if ln.startswith("[")]
    android = [ln for ln in lines if not ln.startswith("[")]
    found = messages(run(chat("\n".join(ios) + "\n")))
    found += messages(run(chat("\n".join(android) + "\n")))
    assert [m.kind for m in found] == expected[: len(ios)] + expected[len(ios) :]
    assert all(m.text == "" for m in found if m.kind in ("media", "contact"))


def test_plain_text_that_resembles_a_marker_stays_text() -> None:
    found = messages(run(chat("12/01/2024, 21:05 - A: the image omitted from the report\n")))
    assert [m.kind for m in found] == ["text"]


def test_unparsed_header_in_the_middle_is_flagged_and_warned_with_its_line() -> None:
    source = source_from_file(HERE / "unparsed_header__chat.txt", mime="text/plain")
    records = run(source, UTC)
    found = messages(records)
    assert [m.flags for m in found] == [("tz_assumed", "unparsed_header"), ("tz_assumed",)]
    assert found[0].text == "one\n12/01/2024, 21:06 Alex: two (no dash: not a header of this file)"
    problems = [(r.locator.line, r.message) for r in records if isinstance(r, ExtractWarning)]
    assert problems == [(2, "looks like a message header but does not parse: kept as text")]
    assert {"unparsed_header", "date_order_inferred", "body_null"} <= FLAGS


VIETNAMESE = (HERE / "ios_vietnamese__chat.txt").read_bytes()
ARABIC = (HERE / "ios_arabic__chat.txt").read_bytes()


@pytest.mark.parametrize(
    "data", [VIETNAMESE, ARABIC, (HERE / "ios_buddhist__chat.txt").read_bytes()]
)
@pytest.mark.parametrize("name", ["notes.txt", "export (2).txt", "Chat.TXT"])
def test_recognised_by_content_under_any_txt_name(data: bytes, name: str) -> None:
    from extractors.whatsapp_txt import WhatsAppTxtExtractor

    assert WhatsAppTxtExtractor().sniff(source_from_bytes(data, name, mime="text/plain"))


def test_recognised_by_content_inside_a_zip(tmp_path: Path) -> None:
    from extractors.whatsapp_txt import WhatsAppTxtExtractor

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("chat/history.txt", VIETNAMESE)
    source = source_from_zip_member(path, "chat/history.txt", mime="text/plain")
    assert WhatsAppTxtExtractor().sniff(source)
    assert len(messages(run(source))) == 7


@pytest.mark.parametrize(
    "text",
    [
        "Shopping list\n- milk\n- bread\nSee you at 12/01/2024, 21:05.\n",
        "date,time,name,amount\n12/01/2024,21:05,Alex,3\n13/01/2024,21:06,Sam,4\n",
        "[2024-01-12 21:05:33] INFO: started\n[2024-01-12 21:05:34] WARN: slow\n" * 3,
        "2024-01-12 21:05:33 host sshd[1]: accepted\n" * 3,
        "[2024-01-12 21:05:33] worker: 42\n[2024-01-12 21:05:34] worker: 43\n",
    ],
)
def test_other_text_files_are_not_claimed(text: str) -> None:
    from extractors.whatsapp_txt import WhatsAppTxtExtractor

    for name in ("notes.txt", "data.csv", "app.log"):
        assert not WhatsAppTxtExtractor().sniff(chat(text, name))


def test_national_numbers_take_the_region_of_the_exports_own_numbers() -> None:
    senders = [f"+43 664 12345{n:02}" for n in range(6)]
    lines = [f"12/01/2024, 21:0{i} - {s}: hallo" for i, s in enumerate(senders)]
    lines.append("12/01/2024, 21:09 - 0664 1234599: servus")
    accounts = [r for r in run(chat("\n".join(lines) + "\n")) if isinstance(r, Account)]
    national = [a for a in accounts if a.display_name == "0664 1234599"]
    assert [a.phone_e164 for a in national] == ["+436641234599"]
    gb = [r for r in run(chat(lines[-1] + "\n")) if isinstance(r, Account)]
    assert [a.phone_e164 for a in gb] == [None]  # alone, in a GB case: kept as written


def test_a_chat_looking_file_that_gives_nothing_says_so() -> None:
    records = run(chat("12/01/2024 21:05 Alex hi\n", "WhatsApp Chat with Alex.txt"))
    assert messages(records) == []
    assert warnings(records) == [
        "no WhatsApp message header found: WhatsApp Chat with Alex.txt was taken for a chat "
        "export but gave no message"
    ]


def test_generator_reproduces_the_fixtures(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_locales", HERE / "gen_locales.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.FILES.items():
        assert (HERE / name).read_text(encoding="utf-8") == text, name

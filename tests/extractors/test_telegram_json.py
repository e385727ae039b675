"""Telegram Desktop result.json: case-alpha truth, the format samples, quirks, damage, scale.

Samples: tests/data/formats/telegram/ (chat-miner and tg-parser MIT files, synthetic/);
case file: tests/data/case_alpha/evidence/ChatExport_2024-05-01/result.json. Full-account
exports, escapes, damaged and large inputs are generated here (``export``/``message``).
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from extractors.base import Context, Sibling
from extractors.records import (
    FLAGS,
    KINDS,
    Account,
    Call,
    ExtractWarning,
    Locator,
    Message,
    Record,
    record_to_canonical,
)
from extractors.telegram_json import TelegramJsonExtractor, _Scanner, _walk
from tests.data.issue16_misc import telegram_forwards_json
from tests.extractors.helpers import extract_all, source_from_bytes, source_from_file
from workstation import queries
from workstation.ingest import ingest_paths

DATA = Path(__file__).parents[1] / "data"
CASE_FILE = "ChatExport_2024-05-01/result.json"
EVIDENCE = DATA / "case_alpha" / "evidence"
TRUTH = json.loads((DATA / "case_alpha" / "truth.json").read_text(encoding="utf-8"))
SAMPLES = DATA / "formats" / "telegram"
EXTRACTOR = TelegramJsonExtractor()


def run(data: bytes, name: str = "result.json", tz: str = "Europe/London") -> list[Record]:
    return extract_all(EXTRACTOR, source_from_bytes(data, name), Context(tz=tz))


def of(records: list[Record], kind: type[Record]) -> list[Any]:
    return [r for r in records if isinstance(r, kind)]


def message(n: int, text: str = '"hi"', **fields: str | None) -> str:
    """One message object as tdesktop writes it; ``fields`` are raw JSON values."""
    base: dict[str, str | None] = {
        "id": str(n),
        "type": '"message"',
        "date": f'"2024-04-0{1 + n % 9}T10:00:{n % 60:02d}"',
        "date_unixtime": f'"{1711962000 + 86400 * (n % 9) + n % 60}"',
        "from": '"Dan M"',
        "from_id": '"user42"',
    }
    base.update(fields)
    base["text"] = text
    body = ",\n".join(f'    "{k}": {v}' for k, v in base.items() if v is not None)
    return "   {\n" + body + "\n   }"


def chat(*messages: str, name: str = "Dan M", chat_id: int = 42) -> str:
    return (
        f'{{\n "name": "{name}",\n "type": "personal_chat",\n "id": {chat_id},\n'
        f' "messages": [\n{",".join(messages)}\n ]\n}}'
    )


def export(*messages: str) -> bytes:
    return chat(*messages).encode()


def truth_for(file: str) -> list[dict[str, Any]]:
    return [m for m in TRUTH["messages"] if m["file"] == file and not m.get("member")]


# --- case alpha -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_records() -> list[Record]:
    source = source_from_file(EVIDENCE / CASE_FILE)
    assert EXTRACTOR.sniff(source)
    return extract_all(EXTRACTOR, source)


def test_case_alpha_every_message_matches_truth(case_records: list[Record]) -> None:
    truth = truth_for(CASE_FILE)
    found = of(case_records, Message)
    assert len(found) == len(truth) == 51
    ids = [m.message_id for m in found]
    for got, want in zip(found, truth, strict=True):
        assert got.sender_identifier == want["sender_identifier"], want["id"]
        assert got.sent_at_utc == want["sent_at_utc"], want["id"]
        assert got.kind == want["kind"], want["id"]
        assert got.text == want["text"], want["id"]
        assert list(got.attachments) == want.get("attachments", []), want["id"]
        assert got.edited == want.get("edited", False), want["id"]
        reply = want.get("reply_to_index")
        assert got.reply_to == (None if reply is None else ids[reply]), want["id"]
        assert got.sender_key == f"telegram:{want['from_id']}"
        assert got.flags == () and got.tz is None and not got.tz_assumed
    assert not of(case_records, ExtractWarning)


def test_case_alpha_counts_and_accounts(case_records: list[Record]) -> None:
    (count,) = [c for c in TRUTH["counts"] if c["file"] == CASE_FILE]
    kinds = Counter(m.kind for m in of(case_records, Message))
    assert sum(kinds.values()) == count["messages"] and dict(kinds) == count["by_kind"]
    accounts = {(a.platform_id, a.display_name) for a in of(case_records, Account)}
    want = {
        (a["identifier"], a["display_name"])
        for a in TRUTH["accounts"]
        if a["platform"] == "telegram" and "display_name" in a
    }
    assert accounts == want
    # Each Account comes before the first message that names it.
    seen: set[str] = set()
    for record in case_records:
        if isinstance(record, Account):
            seen.add(record.key)
        elif isinstance(record, Message):
            assert record.sender_key in seen
    calls = of(case_records, Call)
    assert [(c.direction, c.started_at_utc) for c in calls] == [
        ("missed", "2024-04-15T23:20:02Z"),
        ("missed", "2024-04-22T22:47:39Z"),
    ]
    relevant = [f for f in TRUTH["flags"] if str(f.get("file", "")).startswith("ChatExport")]
    assert relevant == []  # truth expects no warnings or flags for this export


def test_one_full_record(case_records: list[Record]) -> None:
    edited = of(case_records, Message)[29]
    source = source_from_file(EVIDENCE / CASE_FILE)
    assert edited == Message(
        locator=Locator(source.sha256, source.path, pointer="/messages/29"),
        platform="telegram",
        thread_id="5550001",
        thread_title="Daniel M",
        sender_key="telegram:user5550001",
        sender_identifier="Daniel M",
        sent_at_utc="2024-04-15T22:01:44Z",
        sent_at_raw="1713218504",
        tz=None,
        tz_assumed=False,
        flags=(),
        kind="text",
        text="I'm outside. Come down",
        raw_text=None,
        attachments=(),
        edited=True,
        reply_to=None,
        message_id="441",
        direction="incoming",  # from the peer of this personal chat (chat id 5550001)
    )
    assert len(case_records) == 51 + 2 + 2  # messages, accounts, call records


# --- the format samples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kinds", "accounts", "warnings"),
    [
        ("chatminer__test_batch_export.json", {"text": 2}, 2, 0),
        ("chatminer__test_single_export.json", {"text": 2}, 2, 0),
        ("tgparser__personal_chat.json", {"text": 4, "call": 1}, 2, 1),
        ("tgparser__supergroup_with_topics.json", {"system": 3, "text": 4}, 4, 0),
        ("synthetic/ChatExport_2024-01-13/result.json", {"text": 3, "media": 2, "call": 1}, 3, 0),
    ],
)
def test_samples_parse_with_their_counts(
    name: str, kinds: dict[str, int], accounts: int, warnings: int
) -> None:
    source = source_from_file(SAMPLES / name)
    assert EXTRACTOR.sniff(source)
    records = extract_all(EXTRACTOR, source)
    assert dict(Counter(m.kind for m in of(records, Message))) == kinds
    assert len(of(records, Account)) == accounts
    assert len(of(records, ExtractWarning)) == warnings


def test_sample_text_arrays_service_and_deleted_account() -> None:
    batch = extract_all(EXTRACTOR, source_from_file(SAMPLES / "chatminer__test_batch_export.json"))
    assert [m.text for m in of(batch, Message)] == ["Minimal Message", "Link:https://telegram.org/"]
    assert {m.thread_id for m in of(batch, Message)} == {"Chatname"}
    personal = extract_all(EXTRACTOR, source_from_file(SAMPLES / "tgparser__personal_chat.json"))
    (warning,) = of(personal, ExtractWarning)
    assert "-00:20" in warning.message  # hand-made file: date and date_unixtime disagree
    assert of(personal, Message)[2].text == "Check this important message"
    group = extract_all(
        EXTRACTOR, source_from_file(SAMPLES / "tgparser__supergroup_with_topics.json")
    )
    assert of(group, Message)[0].text == "create_group (title: Test Group)"
    synthetic = extract_all(
        EXTRACTOR, source_from_file(SAMPLES / "synthetic/ChatExport_2024-01-13/result.json")
    )
    voice, _call, forwarded = of(synthetic, Message)[3:]
    assert voice.attachments == (
        "(File not included. Change data exporting settings to download.)",
    )
    assert (forwarded.sender_identifier, forwarded.flags) == ("user5000000003", ("forwarded",))
    deleted = of(synthetic, Account)[-1]
    assert (deleted.platform_id, deleted.display_name) == ("user5000000003", None)


# --- quirks ---------------------------------------------------------------------------


def full_export() -> bytes:
    owner = '"personal_information": {"user_id": 777, "first_name": "Hannah", "last_name": '
    owner += '"Price", "phone_number": "+44 7700 900461", "username": "@hannahp"}'
    contacts = '"contacts": {"about": "x", "list": [{"user_id": 42, "first_name": "Dan", '
    contacts += '"last_name": "", "phone_number": "07700 900123", "date": "2024-01-01T00:00:00"}]}'
    mine = message(2, '"leave me alone"', **{"from": '"Hannah Price"', "from_id": '"user777"'})
    chats = f'"chats": {{"about": "x", "list": [{chat(message(1), mine)}, '
    chats += f"{chat(message(3), name='Group', chat_id=9)}]}}"
    left = f'"left_chats": {{"about": "x", "list": [{chat(message(4), name="Old", chat_id=8)}]}}'
    return f'{{"about": "Telegram", {owner}, {contacts}, {chats}, {left}}}'.encode()


def test_empty_contact_entries_are_not_accounts() -> None:
    data = full_export().replace(
        b'"list": [{"user_id": 42', b'"list": [{"date": "x"}, {"user_id": 42'
    )
    assert len(of(run(data), Account)) == len(of(run(full_export()), Account))


def test_full_export_owner_contacts_chats_and_directions() -> None:
    records = run(full_export())
    owner, contact = of(records, Account)[:2]
    assert (owner.platform_id, owner.display_name, owner.is_owner) == (
        "user777",
        "Hannah Price",
        True,
    )
    assert (owner.phone_e164, owner.handle) == ("+447700900461", "@hannahp")
    assert (contact.platform_id, contact.phone_e164, contact.is_owner) == (
        "user42",
        "+447700900123",
        False,
    )
    messages = of(records, Message)
    assert [(m.thread_id, m.direction) for m in messages] == [
        ("42", "incoming"),
        ("42", "outgoing"),
        ("9", "incoming"),
        ("8", "incoming"),
    ]
    assert messages[2].locator.pointer == "/chats/list/1/messages/0"
    assert messages[3].locator.pointer == "/left_chats/list/0/messages/0"
    assert not of(records, ExtractWarning)


def test_invalid_x_escape_is_decoded_warned_and_kept_as_found() -> None:
    records = run(export(message(1, r'"line\x0Bbreak \\x41 ok"')))
    (msg,) = of(records, Message)
    assert msg.text == "line\x0bbreak \\x41 ok"  # an escaped backslash stays a backslash
    assert msg.raw_text == "line\\x0Bbreak \\x41 ok"
    assert "text_fixed" in msg.flags
    (warning,) = of(records, ExtractWarning)
    assert "\\x0B" in warning.message and warning.locator.pointer == "/messages/0"


def test_other_invalid_escapes_are_kept_literally() -> None:
    (msg,) = of(run(export(message(1, r'"it\'s \q"'))), Message)
    assert msg.text == "it\\'s \\q" and msg.raw_text is None


def test_date_only_is_local_time_converted_with_the_stated_zone() -> None:
    gap = message(1, date='"2024-03-31T01:30:00"', date_unixtime=None)
    overlap = message(2, date='"2024-10-27T01:30:00"', date_unixtime=None)
    plain = message(3, date='"2024-11-02T10:00:00"', date_unixtime=None)
    records = run(export(gap, overlap, plain))
    got = [(m.sent_at_utc, m.tz, m.tz_assumed, m.flags) for m in of(records, Message)]
    assert got == [
        ("2024-03-31T01:30:00Z", "Europe/London", True, ("tz_assumed", "nonexistent_local_time")),
        ("2024-10-27T00:30:00Z", "Europe/London", True, ("tz_assumed", "ambiguous_local_time")),
        ("2024-11-02T10:00:00Z", "Europe/London", True, ("tz_assumed",)),
    ]
    assert of(records, Message)[0].sent_at_raw == "2024-03-31T01:30:00"


def test_exporting_computer_in_another_zone_is_warned_once() -> None:
    # 2024-04-02T10:00:0nZ written as 12:00:0n local: a computer on Berlin time.
    berlin = [
        message(n, date=f'"2024-04-02T12:00:0{n}"', date_unixtime=f'"{1712052000 + n}"')
        for n in range(3)
    ]
    records = run(export(*berlin))
    (warning,) = of(records, ExtractWarning)
    assert "+02:00" in warning.message and "Europe/London was UTC+01:00" in warning.message
    assert of(records, Message)[0].sent_at_utc == "2024-04-02T10:00:00Z"


def test_epoch_as_number_and_dates_with_an_offset_are_exact() -> None:
    number = message(1, date_unixtime="1712052000")
    aware = message(2, date='"2024-04-02T12:00:01+02:00"', date_unixtime=None)
    got = [(m.sent_at_utc, m.tz, m.tz_assumed) for m in of(run(export(number, aware)), Message)]
    assert got == [
        ("2024-04-02T10:00:00Z", None, False),
        ("2024-04-02T10:00:01Z", "UTC+02:00", False),
    ]


def test_unreadable_times_are_flagged_and_warned() -> None:
    records = run(export(message(1, date_unixtime='"soon"', date='"later"')))
    (msg,) = of(records, Message)
    assert (msg.sent_at_utc, msg.sent_at_raw, msg.flags) == (None, "later", ("time_unparsed",))
    (warning,) = of(records, ExtractWarning)
    assert "unreadable date_unixtime 'soon'; unreadable date 'later'" in warning.message


def test_media_contact_location_poll_sticker_and_unsupported() -> None:
    sticker = message(1, '""', file='"stickers/sticker.webp"', media_type='"sticker"')
    card = '{"first_name": "Dan", "last_name": "M", "phone_number": "+44 7700 900555"}'
    contact = message(2, '""', contact_information=card)
    location = message(3, '""', location_information='{"latitude": 51.5, "longitude": -0.12}')
    poll = message(
        4, '""', poll='{"question": "Meet?", "answers": [{"text": "yes"}, {"text": "no"}]}'
    )
    unsupported = '   {"id": 5, "type": "unsupported"}'
    service = message(6, '""', type='"service"', action='"invite_members"', members='["A", null]')
    records = run(export(sticker, contact, location, poll, unsupported, service))
    got = [(m.kind, m.text, m.attachments) for m in of(records, Message)]
    assert got == [
        ("media", "", ("stickers/sticker.webp",)),
        ("contact", "Dan M, +44 7700 900555", ()),
        ("location", "51.5, -0.12", ()),
        ("text", "poll: Meet? (yes; no)", ()),
        ("system", "unsupported message (content not exported by Telegram Desktop)", ()),
        ("system", "invite_members (members: A, (deleted))", ()),
    ]
    (warning,) = of(records, ExtractWarning)
    assert "unsupported" in warning.message
    assert of(records, Message)[4].flags == ("time_unparsed",)


def test_links_become_shares_and_reactions_are_kept() -> None:
    text = (
        '["see ", {"type": "link", "text": "https://a.example"}, " and ", '
        '{"type": "text_link", "text": "this", "href": "https://b.example/x"}]'
    )
    reactions = (
        '[{"type": "emoji", "count": 3, "emoji": "👍", "recent": '
        '[{"from": "Zoe", "from_id": "user7", "date": "2024-04-01T10:00:00"}]}]'
    )
    (msg,) = of(run(export(message(1, text, reactions=reactions))), Message)
    assert msg.text == "see https://a.example and this"
    assert msg.shares == (
        '{"link":"https://a.example"}',
        '{"link":"https://b.example/x","share_text":"this"}',
    )
    assert msg.reactions == (
        '{"actor":"Zoe","reaction":"👍"}',
        '{"actor":"","count":2,"reaction":"👍"}',
    )


def test_reply_to_another_chat_and_out_of_order() -> None:
    late = message(1, reply_to_message_id="7", reply_to_peer_id='"channel5"')
    early = message(2, date_unixtime='"1000"')
    msgs = of(run(export(late, early)), Message)
    assert msgs[0].reply_to == "channel5:7"
    assert msgs[1].flags == ("out_of_order",)


def test_attachments_are_matched_to_archive_members() -> None:
    data = export(
        message(1, photo='"photos/a.jpg"'),
        message(2, photo='"photos/gone.jpg"'),
        message(
            3, file='"(File exceeds maximum size. Change data exporting settings to download.)"'
        ),
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ChatExport_2024-05-01/result.json", data)
        archive.writestr("ChatExport_2024-05-01/photos/a.jpg", b"jpeg")
    source = source_from_bytes(
        data,
        "result.json",
        path="x.zip!/ChatExport_2024-05-01/result.json",
        member="ChatExport_2024-05-01/result.json",
    )
    source = dataclasses.replace(
        source, siblings=(Sibling("ChatExport_2024-05-01/photos/a.jpg", "0" * 64, 4),)
    )
    records = extract_all(EXTRACTOR, source)
    assert [m.attachments for m in of(records, Message)] == [
        ("ChatExport_2024-05-01/photos/a.jpg",),
        ("photos/gone.jpg",),
        ("(File exceeds maximum size. Change data exporting settings to download.)",),
    ]
    (warning,) = of(records, ExtractWarning)
    assert "photos/gone.jpg" in warning.message


def test_sniff() -> None:
    assert EXTRACTOR.sniff(source_from_bytes(full_export(), "result.json"))
    assert EXTRACTOR.sniff(source_from_bytes(b"\xef\xbb\xbf" + export(message(1)), "result.json"))
    facebook = (
        b'{"participants": [{"name": "A"}], "messages": [{"sender_name": "A", "timestamp_ms": 1}]}'
    )
    assert not EXTRACTOR.sniff(source_from_bytes(facebook, "message_1.json"))
    html = source_from_bytes(export(message(1)), "messages.html", mime="text/html")
    assert not EXTRACTOR.sniff(html)
    assert not EXTRACTOR.sniff(source_from_bytes(b"[1, 2]", "result.json"))


# --- damage ---------------------------------------------------------------------------


def test_truncated_file_keeps_what_came_before() -> None:
    data = export(message(1), message(2), message(3))
    records = run(data[: data.index(b'"id": 3') + 20])
    assert [m.message_id for m in of(records, Message)] == ["1", "2"]
    (warning,) = of(records, ExtractWarning)
    assert "truncated" in warning.message and warning.locator.offset is not None


def test_wrong_encoding_and_invalid_bytes() -> None:
    utf16 = run(export(message(1)).decode().encode("utf-16"))
    assert not of(utf16, Message) and len(of(utf16, ExtractWarning)) == 2
    latin = run(export(message(1, '"caf\xe9"')).replace("\xe9".encode(), b"\xe9"))
    (msg,) = of(latin, Message)
    assert (msg.text, msg.raw_text, msg.flags) == ("caf\ufffd", "caf\\xe9", ("text_fixed",))
    assert "invalid UTF-8" in of(latin, ExtractWarning)[0].message
    surrogate = of(run(export(message(1, '"half \\ud83d"'))), Message)[0]
    assert (surrogate.text, surrogate.raw_text) == ("half \ufffd", "half \\ud83d")


def test_invalid_syntax_inside_a_message_costs_that_message_only() -> None:
    broken = message(2).replace('"from": "Dan M",', '"from": "Dan M" "oops",')
    records = run(export(message(1), broken, message(3)))
    assert [m.message_id for m in of(records, Message)] == ["1", "3"]
    (warning,) = of(records, ExtractWarning)
    assert "not valid JSON" in warning.message and warning.locator.pointer == "/messages/1"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"[]", "not a JSON object"),
        (b'{"something": "else"}', "no chat"),
        (b'{"messages": [1, "x"]}', "not an object"),
        (export(message(1)) + b"trailing", "after the end"),
        (b'{"messages": [,]}', "where a value was expected"),
    ],
)
def test_unknown_layout_and_structure_errors_are_warnings(data: bytes, expected: str) -> None:
    records = run(data)
    assert records and all(isinstance(r, Account | Message | ExtractWarning) for r in records)
    assert any(expected in w.message for w in of(records, ExtractWarning))


def test_long_single_line_is_streamed_and_an_oversized_message_skipped() -> None:
    # 20 MB (not 200 MB) keeps the suite fast; the limits are per message, not per file.
    many = [message(n).replace("\n", "") for n in range(20_000)]
    huge = message(20_000, '"' + "x" * (17 << 20) + '"').replace("\n", "")
    data = export(*many[:10_000], huge, *many[10_000:]).replace(b"\n", b"")
    assert len(data) > 20_000_000 and b"\n" not in data
    started = time.monotonic()
    scanner = _Scanner(io.BytesIO(data))
    largest = 0
    for _found in _walk(scanner):  # what is held between values: one element and a chunk
        largest = max(largest, len(scanner.buf))
    assert largest < 4 << 20
    records = run(data)
    assert len(of(records, Message)) == 20_000
    (warning,) = of(records, ExtractWarning)
    assert "over 16 MiB" in warning.message and warning.locator.pointer == "/messages/10000"
    assert time.monotonic() - started < 15


# --- properties -----------------------------------------------------------------------


SEED = export(
    message(1, r'"a\x0Bb"'),
    message(2, '["x ", {"type": "bold", "text": "y"}]', edited='"2024-04-01T10:01:00"'),
    message(3, '""', type='"service"', action='"phone_call"', discard_reason='"missed"'),
    message(4, '""', photo='"photos/p.jpg"', reply_to_message_id="1"),
)


def assert_well_formed(records: list[Record]) -> None:
    for record in records:
        assert isinstance(record, Account | Message | Call | ExtractWarning)
        canonical = record_to_canonical(record)
        json.dumps(canonical, ensure_ascii=False).encode("utf-8")  # no lone surrogates stored
        if isinstance(record, Message):
            assert record.kind in KINDS and set(record.flags) <= FLAGS | {"forwarded"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_exports_give_only_records_or_warnings(data: st.DataObject) -> None:
    blob = bytearray(SEED)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        at = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        if op == "flip" and blob:
            blob[at] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "delete":
            del blob[at : at + data.draw(st.integers(1, 8))]
        elif op == "insert":
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del blob[at:]
    assert_well_formed(run(bytes(blob)))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_give_only_records_or_warnings(blob: bytes) -> None:
    assert_well_formed(run(b'{"messages": [' + blob))


def test_extraction_is_deterministic(case_records: list[Record]) -> None:
    again = extract_all(EXTRACTOR, source_from_file(EVIDENCE / CASE_FILE))
    assert [record_to_canonical(r) for r in again] == [record_to_canonical(r) for r in case_records]
    assert run(SEED) == run(SEED) and run(full_export()) == run(full_export())


def test_bad_zone_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        run(export(message(1, date_unixtime=None)), tz="Mars/Olympus")


def test_pipeline_ingests_a_zipped_export(case: Case, signer: Signer, tmp_path: Path) -> None:
    archive = tmp_path / "ChatExport_2024-05-01.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted((EVIDENCE / "ChatExport_2024-05-01").rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(EVIDENCE).as_posix())
    ingest_paths(case, signer, [archive])
    messages = [m for m in queries.iter_messages(case) if m["platform"] == "telegram"]
    assert len(messages) == 51
    media = [m["attachments"] for m in messages if m["kind"] == "media"]
    assert media[0] == ["ChatExport_2024-05-01/photos/photo_1@13-04-2024_02-22-08.jpg"]
    assert messages[0]["sender"]["display_name"] == "Daniel M"
    (item,) = [i for i in queries.iter_items(case) if i["name"] == "result.json"]
    assert item["extractors"] == ["telegram_json@1.1"] and item["warnings"] == []
    assert verify_case(case).ok


def test_forwards_name_their_original_author() -> None:
    """issue 16 §4: a forward carries the author the export names (null: none named)."""

    records = extract_all(EXTRACTOR, source_from_bytes(telegram_forwards_json(), "result.json"))
    messages = of(records, Message)
    assert [(m.text, m.flags, m.forwarded_from) for m in messages] == [
        ("he is watching you", ("forwarded",), "Karen M"),
        ("leaked", ("forwarded",), None),
        ("see above", (), None),
    ]
    assert {m.sender_identifier for m in messages} == {"Zoe Ray"}  # the sender, not Karen
    assert of(records, ExtractWarning) == []

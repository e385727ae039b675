"""Discord data package: messages.csv/json in every layout, channel.json, account/user.json."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors import _export_json
from extractors.base import Context, Source
from extractors.discord_package import ONE_SIDED_NOTE, DiscordPackageExtractor
from extractors.records import Account, Locator, Message
from tests.extractors._export_archive_helpers import (
    CASE_ALPHA,
    assert_matches_truth,
    folder_sources,
    member_sources,
    messages,
    mutated,
    run,
    truth,
    warnings,
    zip_sources,
)
from tests.extractors.helpers import source_from_bytes

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats" / "discord" / "synthetic"
PACKAGE = CASE_ALPHA / "evidence" / "package.zip"
EXTRACTOR = DiscordPackageExtractor()
CSV_2021 = (FORMATS / "package-2021/messages/c1190000000000000002/messages.csv").read_bytes()
JSON_2025 = (FORMATS / "package-2025/Messages/c1190000000000000001/messages.json").read_bytes()


def _member(data: bytes, member: str) -> Source:
    return source_from_bytes(
        data, member.rsplit("/", 1)[-1], path=f"p.zip!/{member}", member=member
    )


# --- sniffing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "data", "expected"),
    [
        ("messages/1190000000000000002/messages.csv", CSV_2021, True),  # before June 2021
        ("messages/c1190000000000000002/messages.csv", CSV_2021, True),
        ("package/messages/c1/messages.csv", CSV_2021, True),
        ("Messages/c1190000000000000001/messages.json", JSON_2025, True),  # 2025 Title-case
        ("Messages/c1/channel.json", b'{"id": "1"}', True),
        ("account/user.json", b'{"id": "1"}', True),
        ("Account/user.json", b'{"id": "1"}', True),
        ("Messages/index.json", b'{"1": "x"}', False),
        ("Servers/index.json", b'{"1": "x"}', False),
        ("messages/c1/messages.csv", b"a,b,c\r\n", False),
        ("messages/c1/messages.json", b'{"messages": []}', False),
        ("other/c1/messages.json", JSON_2025, False),
    ],
)
def test_sniff_matches_every_layout_case_insensitively(
    member: str, data: bytes, expected: bool
) -> None:
    assert EXTRACTOR.sniff(_member(data, member)) is expected


# --- synthetic samples --------------------------------------------------------------------


def test_2021_csv_layout_one_full_record_and_counts() -> None:
    sources = folder_sources(FORMATS / "package-2021", "package.zip")
    source = sources["messages/c1190000000000000002/messages.csv"]
    records = run(EXTRACTOR, source)
    assert warnings(records) == [] and len(records) == 2
    first, second = messages(records)
    assert first == Message(
        locator=Locator(source.sha256, source.path, line=2),
        platform="discord",
        thread_id="1190000000000000002",
        thread_title="general in Some Server" + ONE_SIDED_NOTE,
        sent_at_utc="2021-06-14T20:01:02.123Z",
        sent_at_raw="2021-06-14 20:01:02.123000+00:00",
        kind="text",
        text='multi, line\r\nmessage with "quotes"',
        message_id="1195000000000000789",
        direction="outgoing",
    )
    assert second.locator.line == 4  # the quoted field spanned two lines
    assert second.kind == "media" and second.text == ""
    assert second.attachments == ("a.png", "b.jpg")
    assert (second.sent_at_utc, second.tz, second.tz_assumed) == (
        "2021-06-14T20:02:00Z",
        None,
        False,
    )


def test_2025_json_layout_big_ids_utc_taken_and_owner_from_user_json() -> None:
    sources = folder_sources(FORMATS / "package-2025", "package.zip")
    records = run(EXTRACTOR, sources["Messages/c1190000000000000001/messages.json"])
    written = re.findall(rb'"ID":(\d+)', JSON_2025)
    found = messages(records)
    assert [m.message_id for m in found] == [w.decode() for w in written]
    assert found[0].message_id == "1195000000000000123"  # float64 would say ...000128
    assert all(m.tz == "UTC" and m.tz_assumed and m.flags == ("tz_assumed",) for m in found)
    assert found[1].attachments == ("screenshot.png",)  # the signed URL's query dropped
    assert {m.sender_identifier for m in found} == {"victim_account"}
    assert {m.sender_key for m in found} == {"discord:1100000000000000010"}
    assert {m.recipients for m in found} == {("1100000000000000020",)}
    assert found[0].thread_title == "Direct Message with alexsmith" + ONE_SIDED_NOTE
    owner = records[0]
    assert isinstance(owner, Account) and owner.is_owner and owner.handle == "victim_account"
    assert owner.locator.path == "package.zip!/Account/user.json"
    assert warnings(records) == []


def test_user_json_gives_the_owner_and_relationships() -> None:
    sources = zip_sources(PACKAGE)
    records = run(EXTRACTOR, sources["Account/user.json"])
    accounts = [r for r in records if isinstance(r, Account)]
    assert len(accounts) == len(records)
    assert [(a.platform_id, a.handle, a.display_name, a.is_owner) for a in accounts] == [
        ("1104231877403541504", "hannahp_", "Hannah", True),
        ("1223004671223582720", "mercer_d", "Danny", False),
        ("1098765139217584128", "soph.t", "Sophie", False),
    ]
    owner = records[0]
    assert isinstance(owner, Account)
    assert (owner.email, owner.phone_raw, owner.phone_e164) == (
        "hannah.price@example.org",
        "+447700900461",
        "+447700900461",
    )


def test_legacy_discriminator_is_part_of_the_handle() -> None:
    data = json.dumps({"id": "5", "username": "old", "discriminator": "0420"}).encode()
    (owner,) = run(EXTRACTOR, _member(data, "account/user.json"))
    assert isinstance(owner, Account) and owner.handle == "old#0420"


def test_channel_json_recipients_become_accounts() -> None:
    member = "Messages/c1223763941133003351/channel.json"
    readable = [r for r in run(EXTRACTOR, zip_sources(PACKAGE)[member]) if isinstance(r, Account)]
    assert [(a.platform_id, a.is_owner, a.handle) for a in readable] == [
        ("1104231877403541504", True, "hannahp_"),
        ("1223004671223582720", False, "mercer_d"),
    ]
    plain = run(EXTRACTOR, zip_sources(PACKAGE, readable=False)[member])
    names_only = [r for r in plain if isinstance(r, Account)]
    assert len(names_only) == len(plain)
    assert [(a.platform_id, a.is_owner) for a in names_only] == [
        ("1104231877403541504", False),
        ("1223004671223582720", False),
    ]


# --- case alpha ---------------------------------------------------------------------------


def _case_alpha_members() -> list[dict[str, object]]:
    return [c for c in truth()["counts"] if c["file"] == PACKAGE.name]


def test_case_alpha_every_message_matches_truth() -> None:
    expected_all = truth()
    sources = zip_sources(PACKAGE)
    members = _case_alpha_members()
    assert len(members) == 3
    for count in members:
        found = messages(run(EXTRACTOR, sources[str(count["member"])]))
        expected = [
            m
            for m in expected_all["messages"]
            if m["file"] == PACKAGE.name and m["member"] == count["member"]
        ]
        assert_matches_truth(found, expected)
        by_kind: dict[str, int] = {}
        for message in found:
            by_kind[message.kind] = by_kind.get(message.kind, 0) + 1
        assert by_kind == count["by_kind"] and len(found) == count["messages"]
        for message, want in zip(found, expected, strict=True):
            assert message.sent_at_raw == want["timestamp_raw"]
            assert message.tz == "UTC" and message.tz_assumed  # 'UTC (not stated in file)'
            assert message.direction == "outgoing"
            assert message.thread_title is not None
            assert message.thread_title.endswith(ONE_SIDED_NOTE)


def test_case_alpha_flags_are_only_the_stated_utc_assumption() -> None:
    assert [f for f in truth()["flags"] if f.get("file") == PACKAGE.name] == []
    for source in zip_sources(PACKAGE).values():
        if EXTRACTOR.sniff(source):
            assert {m.flags for m in messages(run(EXTRACTOR, source))} <= {("tz_assumed",)}


def test_case_alpha_accounts() -> None:
    sources = zip_sources(PACKAGE)
    accounts = [
        r for s in sources.values() if EXTRACTOR.sniff(s) for r in run(EXTRACTOR, s)
        if isinstance(r, Account)
    ]  # fmt: skip
    for want in (a for a in truth()["accounts"] if a["platform"] == "discord"):
        user_id = want.get("user_id", want["identifier"])
        handle = want.get("username", want["identifier"])
        assert any(a.platform_id == user_id and a.handle == handle for a in accounts), want


def test_case_alpha_titles_from_index_json() -> None:
    sources = zip_sources(PACKAGE)
    titles = {
        m.thread_title
        for s in sources.values()
        if EXTRACTOR.sniff(s)
        for m in messages(run(EXTRACTOR, s))
    }
    assert titles == {
        "Direct Message with mercer_d#0" + ONE_SIDED_NOTE,
        "Direct Message with soph.t#0" + ONE_SIDED_NOTE,
        "general in Eastmere Book Club" + ONE_SIDED_NOTE,
    }


def test_case_alpha_without_sibling_reading_the_sender_is_not_guessed() -> None:
    sources = zip_sources(PACKAGE, readable=False)
    records = run(EXTRACTOR, sources["Messages/c1223763941133003351/messages.json"])
    found = messages(records)
    assert len(found) == 5 and len(records) == 5  # no Account: the file names nobody
    assert {(m.sender_key, m.sender_identifier, m.direction) for m in found} == {
        (None, None, "outgoing")
    }
    assert {m.thread_title for m in found} == {"channel 1223763941133003351" + ONE_SIDED_NOTE}


# --- damaged and odd input ------------------------------------------------------------------


def test_snowflake_written_as_a_float_is_kept_as_written_and_warned() -> None:
    data = b'[{"ID": 1.2291909951763760e+18, "Timestamp": "2024-04-14 22:06:10+00:00"}]'
    records = run(EXTRACTOR, _member(data, "Messages/c1/messages.json"))
    (message,) = messages(records)
    assert message.message_id == "1.2291909951763760e+18"
    assert message.sent_at_utc == "2024-04-14T22:06:10Z" and not message.tz_assumed
    assert [w.message for w in warnings(records)] == [
        "message ID '1.2291909951763760e+18' is not an integer; kept"
    ]


@pytest.mark.parametrize(
    ("data", "member", "expected_messages", "warning"),
    [
        (CSV_2021[:-40], "messages/c1/messages.csv", 2, "the file ends inside this record"),
        (CSV_2021[:100], "messages/c1/messages.csv", 1, "the file ends inside this record"),
        (b"foo,bar\r\n1,2\r\n", "messages/c1/messages.csv", 0, "unknown csv header"),
        (CSV_2021.replace(b"multi", b"mul\xe9ti"), "messages/c1/messages.csv", 2, "1 byte(s)"),
        (JSON_2025[:150], "Messages/c1/messages.json", 1, "damaged JSON: the file ends"),
        (JSON_2025.replace(b'"ID":', b'"ID"', 1), "Messages/c1/messages.json", 1, "invalid JSON"),
        (b'{"messages": []}', "Messages/c1/messages.json", 0, "damaged JSON: expected '['"),
        (JSON_2025.decode().encode("utf-16"), "Messages/c1/messages.json", 0, "damaged JSON"),
        (b"{", "Account/user.json", 0, "unreadable JSON"),
        (b"[]", "Messages/c1/channel.json", 0, "not a JSON object"),
    ],
    ids=[
        "csv-cut", "csv-cut-in-quotes", "csv-unknown-header", "csv-bad-utf8", "json-truncated",
        "json-invalid", "json-unknown-layout", "json-utf16", "user-truncated", "channel-array",
    ],
)  # fmt: skip
def test_damaged_members_give_records_and_warnings_only(
    data: bytes, member: str, expected_messages: int, warning: str
) -> None:
    records = run(EXTRACTOR, _member(data, member))
    assert len(messages(records)) == expected_messages
    assert any(w.message.startswith(warning) for w in warnings(records)), warnings(records)


def test_cut_record_is_flagged_truncated() -> None:
    found = messages(run(EXTRACTOR, _member(CSV_2021[:100], "messages/c1/messages.csv")))
    assert found[-1].flags == ("truncated",)


def test_20_mb_lines_are_skipped_with_a_warning_and_reading_goes_on() -> None:
    # 20 MB rather than 200 MB to keep the suite fast; the csv reader caps a line at 1 MiB,
    # the JSON scanner an element at 16 Mi characters.
    big = b"a" * (20 << 20)
    long_line = b"1,2024-01-01 00:00:00," + big + b",\r\n"
    csv_data = b"ID,Timestamp,Contents,Attachments\r\n" + long_line
    csv_data += b"2,2024-01-01 00:00:01,after,\r\n"
    records = run(EXTRACTOR, _member(csv_data, "messages/c1/messages.csv"))
    assert [m.text for m in messages(records)] == ["after"]
    assert [w.message for w in warnings(records)] == [
        f"line of {len(long_line)} bytes (over 1048576) skipped"
    ]
    json_data = (
        b'[{"ID": 1, "Contents": "' + big + b'"}, {"ID": 2, "Timestamp": "", "Contents": "ok"}]'
    )
    records = run(EXTRACTOR, _member(json_data, "Messages/c1/messages.json"))
    assert [m.text for m in messages(records)] == ["ok"]
    assert warnings(records)[0].message.startswith("an element of 20971")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(mutated(CSV_2021), mutated(JSON_2025)))
def test_mutated_samples_never_raise(data: bytes) -> None:
    members = [
        ("Account/user.json", (FORMATS / "package-2025/Account/user.json").read_bytes()),
        ("Messages/c1/channel.json", data),
        ("Messages/c1/messages.csv", data),
        ("Messages/c1/messages.json", data),
        ("account/user.json", data),
    ]
    for source in member_sources(members, "package.zip").values():
        ctx = Context()
        records = run(EXTRACTOR, source, ctx)
        assert len(warnings(records)) == len(ctx.warnings)


def test_extraction_is_deterministic() -> None:
    for source in zip_sources(PACKAGE).values():
        if EXTRACTOR.sniff(source):
            assert run(EXTRACTOR, source) == run(EXTRACTOR, source)


# --- the streaming JSON scanner (extractors/_export_json.py) --------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(_JSON, max_size=6), chunk=st.integers(1, 9), indent=st.sampled_from([None, 1])
)
def test_scanner_elements_equal_json_loads_across_chunk_boundaries(
    values: list[Any], chunk: int, indent: int | None
) -> None:
    # Tiny reads put every character, escape and multi-byte sequence on a chunk boundary.
    data = json.dumps({'k"ey': values}, ensure_ascii=False, indent=indent).encode()
    expected = _export_json.loads(data.decode())['k"ey']
    with patch.object(_export_json, "READ_CHARS", chunk):
        scanner = _export_json.JsonScanner(io.BytesIO(data))
        found = []
        for key in scanner.iter_object():
            assert key == 'k"ey'
            found = [scanner.read_value() for _ in scanner.iter_array()]
        assert scanner.peek() == ""
    assert found == expected


@dataclass(frozen=True)
class _FailingSiblings(Source):
    """A Source whose ``open_sibling`` fails the way a pipeline might."""

    error: type[Exception] = KeyError

    def open_sibling(self, member: str) -> BinaryIO:
        raise self.error(member)


@pytest.mark.parametrize(("error", "notes"), [(KeyError, 0), (OSError, 3)])
def test_sibling_reading_unavailable_is_silent_and_failing_is_warned(
    error: type[Exception], notes: int
) -> None:
    plain = zip_sources(PACKAGE, readable=False)["Messages/c1223763941133003351/messages.json"]
    source = _FailingSiblings(
        **{f.name: getattr(plain, f.name) for f in fields(plain)}, error=error
    )
    records = run(EXTRACTOR, source)
    assert len(messages(records)) == 5
    assert len(warnings(records)) == notes
    assert all("could not be read" in w.message for w in warnings(records))

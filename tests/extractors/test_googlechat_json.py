"""Google Chat from Google Takeout: messages.json, group_info.json, user_info.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.base import Context, Source
from extractors.googlechat_json import GoogleChatJsonExtractor, parse_created_date
from extractors.records import Account, Locator, Message
from tests.extractors._export_archive_helpers import (
    member_sources,
    messages,
    mutated,
    run,
    warnings,
)
from tests.extractors.helpers import source_from_bytes

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats" / "snapchat_google" / "synthetic"
GROUP = "Takeout/Google Chat/Groups/DM xyz789AAAAE"
MESSAGES = (FORMATS / GROUP / "messages.json").read_bytes()
EXTRACTOR = GoogleChatJsonExtractor()


def _member(data: bytes, member: str = f"{GROUP}/messages.json") -> Source:
    name = member.rsplit("/", 1)[-1]
    return source_from_bytes(data, name, path=f"takeout.zip!/{member}", member=member)


def _takeout(readable: bool = True) -> dict[str, Source]:
    """The sample Takeout folder as archive members (``Takeout/Google Chat/…``)."""
    files = sorted(p for p in (FORMATS / "Takeout").rglob("*") if p.is_file())
    members = [(p.relative_to(FORMATS).as_posix(), p.read_bytes()) for p in files]
    return member_sources(members, "takeout-20240501.zip", readable=readable)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("Monday, 1 April 2024 at 10:05:33 UTC", "2024-04-01T10:05:33Z"),  # en-GB
        ("Wednesday, January 4, 2023 at 10:59:50 AM UTC", "2023-01-04T10:59:50Z"),  # en-US
        ("Wednesday, January 4, 2023 at 3:45:22\u202fPM UTC", "2023-01-04T15:45:22Z"),  # 2023+
        ("Wednesday, January 4, 2023 at 12:05:00\u00a0AM UTC", "2023-01-04T00:05:00Z"),
        ("Friday, January 12, 2024 at 12:06:02 PM UTC", "2024-01-12T12:06:02Z"),
        ("Friday, 12 January 2024 at 21:05:33 UTC", "2024-01-12T21:05:33Z"),
        ("12 Jan 2024 at 21:05:33 GMT", "2024-01-12T21:05:33Z"),
        ("Fri, Sept 13, 2024, 9:05 PM UTC+01:00", "2024-09-13T20:05:00Z"),
        ("Dienstag, 7. Februar 2021 um 17:13:43 UTC", None),
        ("Friday, January 12, 2024 at 13:06:02 PM UTC", None),
        ("Friday, 12 January 2024 at 21:05:33 PST", None),
        ("", None),
    ],
)
def test_created_date_variants(raw: str, utc: str | None) -> None:
    assert parse_created_date(raw)[0] == utc


def test_a_weekday_that_does_not_match_is_noted() -> None:
    utc, note = parse_created_date("Tuesday, 7 February 2021 at 17:13:43 UTC")
    assert utc == "2021-02-07T17:13:43Z"
    assert note == (
        "weekday 'Tuesday' does not match the date in 'Tuesday, 7 February 2021 at 17:13:43 UTC'"
    )


# --- sniffing and samples -------------------------------------------------------------------


def test_sniff() -> None:
    sources = _takeout()
    assert all(EXTRACTOR.sniff(s) for s in sources.values())
    assert EXTRACTOR.sniff(
        _member(b'{"user": {}}', "Takeout/Google Chat/Users/User 1/user_info.json")
    )
    assert EXTRACTOR.sniff(source_from_bytes(MESSAGES, "messages.json"))
    assert not EXTRACTOR.sniff(source_from_bytes(b'{"messages": []}', "messages.json"))
    assert not EXTRACTOR.sniff(_member(b"[]"))


def test_sample_messages_one_full_record_and_counts() -> None:
    source = _takeout(readable=False)[f"{GROUP}/messages.json"]
    records = run(EXTRACTOR, source)
    assert warnings(records) == [] and len(records) == 4
    (alex,) = [r for r in records if isinstance(r, Account)]
    assert (alex.display_name, alex.email, alex.key) == (
        "Alex Smith",
        "alex@example.invalid",
        "google_chat:alex@example.invalid",
    )
    first, media, deleted = messages(records)
    assert first == Message(
        locator=Locator(source.sha256, source.path, pointer="/messages/0"),
        platform="google_chat",
        thread_id="DM xyz789AAAAE",
        sender_key="google_chat:alex@example.invalid",
        sender_identifier="alex@example.invalid",
        sent_at_utc="2024-01-12T21:05:33Z",
        sent_at_raw="Friday, 12 January 2024 at 21:05:33 UTC",
        kind="text",
        text="I'm outside",  # \u0027 in the file is JSON's own escape
        message_id="xyz789AAAAE/AbCdEfGh123/AbCdEfGh123",
    )
    assert (media.kind, media.text, media.attachments) == ("media", "", ("File-IMG_0001.jpg",))
    assert media.sent_at_utc == "2024-01-12T21:06:02Z"
    assert media.sent_at_raw == "Friday, January 12, 2024 at 9:06:02\u202fPM UTC"
    assert (deleted.kind, deleted.sender_key, deleted.sent_at_utc) == (
        "deleted",
        None,
        "2024-01-12T21:07:00Z",
    )
    assert deleted.sent_at_raw == "deleted_date: Friday, January 12, 2024 at 9:07:00\u202fPM UTC"


def test_group_info_members_are_accounts() -> None:
    records = run(EXTRACTOR, _takeout()[f"{GROUP}/group_info.json"])
    assert [(a.display_name, a.email) for a in records if isinstance(a, Account)] == [
        ("Alex Smith", "alex@example.invalid"),
        ("Zoe K", "zoe@example.invalid"),
    ]
    assert len(records) == 2


def test_user_info_names_the_owner_for_direction_and_group_title() -> None:
    user = b'{"user": {"name": "Zoe K", "email": "Zoe@Example.invalid", "user_type": "Human"}}'
    named = json.dumps({"name": "Night shift", "members": []}).encode()
    members = [
        (f"{GROUP}/group_info.json", named),
        (f"{GROUP}/messages.json", MESSAGES),
        ("Takeout/Google Chat/Users/User 1234/user_info.json", user),
    ]
    sources = member_sources(members, "takeout.zip")
    (owner,) = run(EXTRACTOR, sources["Takeout/Google Chat/Users/User 1234/user_info.json"])
    assert isinstance(owner, Account) and owner.is_owner and owner.email == "zoe@example.invalid"
    found = messages(run(EXTRACTOR, sources[f"{GROUP}/messages.json"]))
    assert [m.direction for m in found] == ["incoming", "incoming", None]
    assert {m.thread_title for m in found} == {"Night shift"}
    plain = member_sources(members, "takeout.zip", readable=False)
    assert {m.direction for m in messages(run(EXTRACTOR, plain[f"{GROUP}/messages.json"]))} == {
        None
    }


# --- damaged input ------------------------------------------------------------------------


def _messages_json(*items: dict[str, Any]) -> bytes:
    return json.dumps({"messages": list(items)}).encode()


@pytest.mark.parametrize(
    ("data", "expected_messages", "warning"),
    [
        (MESSAGES[:500], 1, "damaged JSON: the file ends"),
        (MESSAGES.replace(b'"text": "I', b'"text": , "I'), 2, "invalid JSON"),
        (b"[]", 0, "damaged JSON: expected '{'"),
        (_messages_json({"created_date": "7/2/21 17:13"}), 1, "unreadable created_date"),
        (
            _messages_json({"created_date": "Saturday, 12 January 2024 at 21:05:33 UTC"}),
            1,
            "weekday",
        ),
        (MESSAGES.decode().encode("utf-16"), 0, "damaged JSON"),
        (MESSAGES.replace(b"outside", b"outs\xefde"), 3, "1 byte(s) not valid UTF-8"),
    ],
    ids=["truncated", "invalid", "unknown-layout", "odd-date", "weekday", "utf-16", "bad-utf8"],
)
def test_damaged_files_give_records_and_warnings_only(
    data: bytes, expected_messages: int, warning: str
) -> None:
    records = run(EXTRACTOR, _member(data))
    assert len(messages(records)) == expected_messages
    assert any(w.message.startswith(warning) for w in warnings(records)), warnings(records)


def test_unparsed_time_is_flagged() -> None:
    (message,) = messages(run(EXTRACTOR, _member(_messages_json({"created_date": "gestern"}))))
    assert message.sent_at_utc is None and message.flags == ("time_unparsed",)
    assert message.sent_at_raw == "gestern"


def test_20_mb_single_line_streams() -> None:
    # 20 MB rather than 200 MB to keep the suite fast; memory is bounded by one message.
    item = {"creator": {"name": "A"}, "created_date": "1 April 2024 at 10:05:33 UTC"}
    data = _messages_json(*[dict(item, text="t" * 1000)] * 20_000)
    assert len(data) > 20_000_000 and b"\n" not in data
    assert len(messages(run(EXTRACTOR, _member(data)))) == 20_000
    records = run(EXTRACTOR, _member(_messages_json(dict(item, text="t" * (20 << 20)), item)))
    assert len(messages(records)) == 1
    assert warnings(records)[0].message.startswith("an element of")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated(MESSAGES), member=st.sampled_from(["messages", "group_info"]))
def test_mutated_samples_never_raise(data: bytes, member: str) -> None:
    ctx = Context()
    records = run(EXTRACTOR, _member(data, f"{GROUP}/{member}.json"), ctx)
    assert len(warnings(records)) == len(ctx.warnings)
    user = _member(data, "Takeout/Google Chat/Users/User 1/user_info.json")
    assert all(r is not None for r in run(EXTRACTOR, user))


def test_extraction_is_deterministic() -> None:
    for source in _takeout().values():
        assert run(EXTRACTOR, source) == run(EXTRACTOR, source)

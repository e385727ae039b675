"""Snapchat My Data json/chat_history.json: the 2020 saved-chat lists and the 2022+ shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.base import Context, Source
from extractors.records import Account, Locator, Message
from extractors.snapchat_json import SnapchatJsonExtractor
from tests.extractors._export_archive_helpers import (
    member_sources,
    messages,
    mutated,
    run,
    warnings,
)
from tests.extractors.helpers import source_from_bytes, source_from_file

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats" / "snapchat_google" / "synthetic"
SAMPLE_2020 = FORMATS / "snapchat_2020/json/chat_history.json"
SAMPLE_2024 = FORMATS / "snapchat_2024/json/chat_history.json"
EXTRACTOR = SnapchatJsonExtractor()


def _chat(**fields: Any) -> dict[str, Any]:
    chat: dict[str, Any] = {
        "From": "alex",
        "Media Type": "TEXT",
        "Created": "2024-04-20 01:29:22 UTC",
        "Content": "x",
        "Conversation Title": None,
        "IsSender": False,
    }
    chat.update(fields)
    return chat


def _source(value: object, member: str = "json/chat_history.json") -> Source:
    data = json.dumps(value).encode()
    return source_from_bytes(data, "chat_history.json", path=f"mydata.zip!/{member}", member=member)


# --- sniffing ---------------------------------------------------------------------------


def test_sniff() -> None:
    assert EXTRACTOR.sniff(source_from_file(SAMPLE_2020))
    assert EXTRACTOR.sniff(source_from_file(SAMPLE_2024))
    other = source_from_bytes(b'{"Login History": []}', "account.json")
    assert not EXTRACTOR.sniff(other)
    assert not EXTRACTOR.sniff(source_from_bytes(b"[]", "chat_history.json"))
    renamed = source_from_bytes(SAMPLE_2020.read_bytes(), "chats.json")
    assert EXTRACTOR.sniff(renamed)


# --- samples ------------------------------------------------------------------------------


def test_2020_shape_received_and_sent_lists() -> None:
    records = run(EXTRACTOR, source_from_file(SAMPLE_2020))
    assert warnings(records) == []
    (account,) = [r for r in records if isinstance(r, Account)]
    assert (account.handle, account.key, account.is_owner) == (
        "alexsmith_snap",
        "snapchat:alexsmith_snap",
        False,
    )
    received, sent = messages(records)
    assert (received.sender_identifier, received.direction, received.text) == (
        "alexsmith_snap",
        "incoming",
        "hi",
    )
    # A sent chat names only its recipient: the owner is not named, so not guessed.
    assert (sent.sender_key, sent.sender_identifier, sent.direction) == (None, None, "outgoing")
    assert sent.recipients == ("alexsmith_snap",) and sent.thread_id == "alexsmith_snap"
    assert sent.sent_at_utc == "2020-03-01T12:01:00Z" and sent.tz is None


def test_2024_shape_one_full_record_and_counts() -> None:
    source = source_from_file(SAMPLE_2024)
    records = run(EXTRACTOR, source)
    assert warnings(records) == []
    assert len(records) == 6
    found = messages(records)
    assert [m.kind for m in found] == ["text", "text", "media", "deleted"]
    assert found[0] == Message(
        locator=Locator(source.sha256, source.path, pointer="/alexsmith_snap/0"),
        platform="snapchat",
        thread_id="alexsmith_snap",
        sender_key="snapchat:alexsmith_snap",
        sender_identifier="alexsmith_snap",
        sent_at_utc="2024-01-12T21:05:33.123Z",  # the millisecond field, preferred
        sent_at_raw="2024-01-12 21:05:33 UTC; Created(microseconds)=1705093533123",
        kind="text",
        text="open the door",
        direction="incoming",
    )
    owner = [r for r in records if isinstance(r, Account) and r.is_owner]
    assert [a.handle for a in owner] == ["zoe_k"]
    assert found[1].direction == "outgoing" and found[1].sender_key == "snapchat:zoe_k"
    assert found[2].attachments == (
        "b~EiQSFTM0SEdmSTFNRzBDdkhlelFQS1hLUhoAGgAyAXxIAlAEYAE",
        "b~EioSFWVueWoyb2lJbndHcEZieUMxd2V3UBoAGgAiBgipt6eSBjIBBFAEYAE",
    )


def test_media_ids_resolve_to_chat_media_siblings() -> None:
    chat = _chat(**{"Media Type": "MEDIA", "Content": "", "Media IDs": "b~AAA | b~BBB"})
    members = [
        ("json/chat_history.json", json.dumps({"alex": [chat]}).encode()),
        ("chat_media/2024-04-20_b~AAA.jpg", b"\xff\xd8"),
    ]
    source = member_sources(members, "mydata~1.zip", readable=False)["json/chat_history.json"]
    (message,) = messages(run(EXTRACTOR, source))
    assert message.attachments == ("chat_media/2024-04-20_b~AAA.jpg", "b~BBB")


# --- times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "utc", "warning"),
    [
        ({"created_ms": 1713576562686}, "2024-04-20T01:29:22.686Z", None),
        ({"Created(microseconds)": 1713576562686123}, "2024-04-20T01:29:22.686Z", None),
        ({"Created(microseconds)": 1713576999000}, "2024-04-20T01:36:39Z", "disagrees"),
        ({"Created(microseconds)": "soon"}, "2024-04-20T01:29:22Z", "unreadable"),
        ({"Created": "Sat Apr 20 01:29:22 UTC 2024"}, "2024-04-20T01:29:22Z", None),
        ({"Created": "1713576562"}, "2024-04-20T01:29:22Z", None),
        ({"Created": "20/04/2024 01:29"}, None, "unreadable Created"),
    ],
)
def test_time_fields(fields: dict[str, Any], utc: str | None, warning: str | None) -> None:
    records = run(EXTRACTOR, _source({"alex": [_chat(**fields)]}))
    (message,) = messages(records)
    assert message.sent_at_utc == utc and message.tz is None and not message.tz_assumed
    assert message.flags == (() if utc else ("time_unparsed",))
    notes = [w.message for w in warnings(records)]
    assert (notes == []) if warning is None else (len(notes) == 1 and warning in notes[0])


def test_media_types_and_status_lines() -> None:
    chats = [
        _chat(**{"Media Type": "STATUSPARTICIPANTREMOVED", "Content": ""}),
        _chat(**{"Media Type": "LOCATION", "Content": "51.5, -0.1"}),
        _chat(**{"Media Type": "NOTE", "Content": ""}),
        _chat(**{"Media Type": "GAME", "Content": "played"}),
        _chat(**{"Media Type": "GAME", "Content": "again"}),
        _chat(**{"Conversation Title": "Besties", "IsSender": True, "From": "me"}),
    ]
    records = run(EXTRACTOR, _source({"grp-1": chats}))
    found = messages(records)
    assert [m.kind for m in found] == ["system", "location", "media", "text", "text", "text"]
    assert found[0].text == "STATUSPARTICIPANTREMOVED"
    assert found[5].thread_title == "Besties" and found[5].direction == "outgoing"
    assert [w.message for w in warnings(records)] == ["unknown Media Type 'GAME'; kept as text"]


# --- damaged input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected_messages", "warning"),
    [
        (SAMPLE_2024.read_bytes()[:700], 2, "damaged JSON: the file ends"),
        (SAMPLE_2024.read_bytes().replace(b'"stop",', b'"stop",,'), 3, "invalid JSON"),
        (b'[{"From": "a"}]', 0, "damaged JSON: expected '{'"),
        (b'{"alex": {"From": "a"}}', 0, "not a list of chats"),
        (SAMPLE_2024.read_bytes().decode().encode("utf-16"), 0, "damaged JSON"),
        (SAMPLE_2024.read_bytes().replace(b"open", b"op\xe9n"), 4, "1 byte(s) not valid"),
    ],
    ids=["truncated", "invalid", "unknown-layout", "not-a-list", "utf-16", "bad-utf8"],
)
def test_damaged_files_give_records_and_warnings_only(
    data: bytes, expected_messages: int, warning: str
) -> None:
    records = run(EXTRACTOR, source_from_bytes(data, "chat_history.json"))
    assert len(messages(records)) == expected_messages
    assert any(w.message.startswith(warning) for w in warnings(records)), warnings(records)


def test_20_mb_single_line_file_streams_and_a_huge_element_is_skipped() -> None:
    # 20 MB rather than 200 MB to keep the suite fast; memory is bounded by one element.
    chats = [_chat(Content="z" * 990)] * 20_000
    data = json.dumps({"alex": chats}).encode()
    assert len(data) > 20_000_000 and b"\n" not in data
    assert len(messages(run(EXTRACTOR, source_from_bytes(data, "chat_history.json")))) == 20_000
    huge = json.dumps({"alex": [_chat(Content="z" * (20 << 20)), _chat()]}).encode()
    records = run(EXTRACTOR, source_from_bytes(huge, "chat_history.json"))
    assert len(messages(records)) == 1
    assert warnings(records)[0].message.startswith("an element of")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(mutated(SAMPLE_2020.read_bytes()), mutated(SAMPLE_2024.read_bytes())))
def test_mutated_samples_never_raise(data: bytes) -> None:
    ctx = Context()
    records = run(EXTRACTOR, source_from_bytes(data, "chat_history.json"), ctx)
    assert len(warnings(records)) == len(ctx.warnings)


def test_extraction_is_deterministic() -> None:
    for sample in (SAMPLE_2020, SAMPLE_2024):
        source = source_from_file(sample)
        assert run(EXTRACTOR, source) == run(EXTRACTOR, source)

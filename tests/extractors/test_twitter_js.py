"""X/Twitter archive data/*.js: account, direct messages (1:1 and group), tweets."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.base import Context, Source
from extractors.records import Account, Locator, Message
from extractors.twitter_js import TwitterJsExtractor
from tests.extractors._export_archive_helpers import (
    CASE_ALPHA,
    assert_matches_truth,
    member_sources,
    messages,
    mutated,
    run,
    truth,
    warnings,
    zip_sources,
)
from tests.extractors.helpers import source_from_bytes, source_from_file

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats" / "twitter_x"
ARCHIVE = next((CASE_ALPHA / "evidence").glob("twitter-*.zip"))
EXTRACTOR = TwitterJsExtractor()


def _ytd(name: str, value: object) -> bytes:
    return f"window.YTD.{name}.part0 = ".encode() + json.dumps(value, indent=2).encode()


def _member(data: bytes, member: str) -> Source:
    return source_from_bytes(
        data, member.rsplit("/", 1)[-1], path=f"a.zip!/{member}", member=member
    )


# --- sniffing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("twitter-to-sqlite__account.js", True),
        ("synthetic/data/direct-messages.js", True),
        ("synthetic/data/tweets.js", True),
        ("twitter-to-sqlite__follower.js", False),
        ("twitter-to-sqlite__following.js", False),
        ("twitter-to-sqlite__app.js", False),
        ("twitter-to-sqlite__saved-search.js", False),
        ("twitter-to-sqlite__account-suspension.js", False),
    ],
)
def test_sniff_goes_by_the_ytd_dataset_name(name: str, expected: bool) -> None:
    assert EXTRACTOR.sniff(source_from_file(FORMATS / name)) is expected


def test_sniff_rejects_other_archive_members() -> None:
    sources = zip_sources(ARCHIVE)
    sniffed = [m for m, s in sources.items() if EXTRACTOR.sniff(s)]
    assert sniffed == [
        "data/account.js",
        "data/direct-messages.js",
        "data/direct-messages-group.js",
    ]
    assert not EXTRACTOR.sniff(_member(b"var x = [1]", "data/tweets.js"))


# --- real-shaped and synthetic samples ----------------------------------------------------


def test_twitter_to_sqlite_account_js_gives_the_owner_field_by_field() -> None:
    source = source_from_file(FORMATS / "twitter-to-sqlite__account.js")
    records = run(EXTRACTOR, source)
    assert records == [
        Account(
            locator=Locator(source.sha256, source.path, pointer="/0/account"),
            platform="x",
            platform_id="12497",
            handle="simonw",
            display_name="Simon Willison",
            phone_raw="+15555555555",
            phone_e164="+15555555555",
            email="swillison@example.com",
            is_owner=True,
        )
    ]


def test_synthetic_direct_messages_one_full_record_and_counts() -> None:
    source = source_from_file(FORMATS / "synthetic/data/direct-messages.js")
    records = run(EXTRACTOR, source)
    found = messages(records)
    assert [m.kind for m in found] == ["text", "media"]
    assert len([r for r in records if isinstance(r, Account)]) == 2
    assert warnings(records) == []
    assert found[0] == Message(
        locator=Locator(
            source.sha256, source.path, pointer="/0/dmConversation/messages/0/messageCreate"
        ),
        platform="x",
        thread_id="1500000001-1600000002",
        sender_key="x:1600000002",
        sender_identifier="1600000002",
        recipients=("1500000001",),
        sent_at_utc="2024-01-12T21:07:45.123Z",
        sent_at_raw="2024-01-12T21:07:45.123Z",
        kind="text",
        text="I know where you live https://t.co/AbCdEf123",
        message_id="1745000000000000003",
    )
    media = found[1]
    assert media.text == "Leave me alone"
    assert media.attachments == (
        "https://ton.twitter.com/dm/1745000000000000002/1745000000000000009/abcdEFGH.jpg",
    )
    assert media.reactions == (
        '{"actor":"1500000001","at":"2024-01-12T21:08:00Z","reaction":"sad"}',
    )


def test_synthetic_tweet_entities_decoded_raw_kept_and_mentions_become_accounts() -> None:
    source = source_from_file(FORMATS / "synthetic/data/tweets.js")
    records = run(EXTRACTOR, source)
    (tweet,) = messages(records)
    assert tweet.thread_id == "tweets"
    assert tweet.text == "@jobloggs you can't hide & you know it <3"
    assert tweet.raw_text == "@jobloggs you can't hide &amp; you know it &lt;3"
    assert tweet.flags == ("text_fixed",)
    assert tweet.sent_at_utc == "2024-01-12T21:07:45Z"
    assert tweet.sent_at_raw == "Fri Jan 12 21:07:45 +0000 2024"
    assert tweet.message_id == "1745000000000000100"
    assert tweet.sender_identifier is None  # tweets.js does not name its author
    assert tweet.recipients == ("1500000001",)
    assert tweet.edited is False
    (mention,) = [r for r in records if isinstance(r, Account)]
    assert (mention.platform_id, mention.handle, mention.display_name) == (
        "1500000001",
        "jobloggs",
        "Jo Bloggs",
    )


# --- case alpha ---------------------------------------------------------------------------


@pytest.mark.parametrize("readable", [True, False], ids=["siblings-read", "names-only"])
def test_case_alpha_every_dm_matches_truth(readable: bool) -> None:
    expected_all = truth()
    sources = zip_sources(ARCHIVE, readable=readable)
    for count in expected_all["counts"]:
        if count["file"] != ARCHIVE.name:
            continue
        found = messages(run(EXTRACTOR, sources[count["member"]]))
        expected = [
            m
            for m in expected_all["messages"]
            if m["file"] == ARCHIVE.name and m["member"] == count["member"]
        ]
        assert_matches_truth(found, expected)
        assert len(found) == count["messages"]
        by_kind: dict[str, int] = {}
        for message in found:
            by_kind[message.kind] = by_kind.get(message.kind, 0) + 1
        assert by_kind == count["by_kind"]
        assert all(m.thread_id == e["conversation"] for m, e in zip(found, expected, strict=True))


def test_case_alpha_raises_no_time_flags() -> None:
    assert [f for f in truth()["flags"] if f.get("file") == ARCHIVE.name] == []
    for source in zip_sources(ARCHIVE).values():
        if EXTRACTOR.sniff(source):
            assert all(m.flags == () for m in messages(run(EXTRACTOR, source)))


def test_case_alpha_accounts_and_the_owner() -> None:
    sources = zip_sources(ARCHIVE)
    accounts = [
        r for s in sources.values() if EXTRACTOR.sniff(s) for r in run(EXTRACTOR, s)
        if isinstance(r, Account)
    ]  # fmt: skip
    for want in (a for a in truth()["accounts"] if a["platform"] == "x"):
        matching = [a for a in accounts if a.platform_id == want["identifier"]]
        assert matching, want
        if "username" in want:
            assert all(a.handle == want["username"] and a.is_owner for a in matching)
    dm_records = run(EXTRACTOR, sources["data/direct-messages.js"])
    owner = [r for r in dm_records if isinstance(r, Account) and r.is_owner]
    assert [
        (a.platform_id, a.handle, a.locator.path.endswith("data/account.js")) for a in owner
    ] == [("1500000000000000461", "hannahprice_", True)]
    found = messages(dm_records)
    assert {m.direction for m in found[:24]} == {"incoming"}
    assert found[24].direction == "outgoing"
    assert found[24].sender_key == owner[0].key


def test_case_alpha_without_sibling_reading_keys_still_meet() -> None:
    records = run(EXTRACTOR, zip_sources(ARCHIVE, readable=False)["data/direct-messages.js"])
    owner_dm = [r for r in records if isinstance(r, Account) and r.platform_id.endswith("461")]
    assert owner_dm[0].key == "x:1500000000000000461"
    assert owner_dm[0].is_owner is False  # nothing in this member says so
    assert {m.direction for m in messages(records)} == {None}


# --- owner, profile picture, group events --------------------------------------------------

ACCOUNT = [{"account": {"accountId": "42", "username": "owner_x", "accountDisplayName": "O"}}]


def test_profile_media_sibling_is_the_avatar_and_names_the_owner() -> None:
    picture = b"\xff\xd8fake jpeg"
    dms = [
        {
            "dmConversation": {
                "conversationId": "42-77",
                "messages": [
                    {
                        "messageCreate": {
                            "id": "9",
                            "senderId": "42",
                            "recipientId": "77",
                            "text": "hi",
                            "createdAt": "2024-01-01T00:00:00.000Z",
                            "mediaUrls": ["https://ton.twitter.com/dm/9/10/pic.jpg"],
                            "urls": [
                                {
                                    "url": "https://t.co/xyz",
                                    "expanded": "https://twitter.com/messages/media/9",
                                }
                            ],
                        }
                    }
                ],
            }
        }
    ]
    dms[0]["dmConversation"]["messages"][0]["messageCreate"]["text"] = "look https://t.co/xyz"
    members = [
        ("data/account.js", _ytd("account", ACCOUNT)),
        ("data/direct-messages.js", _ytd("direct_messages", dms)),
        ("data/profile_media/42-AbCdEf.jpg", picture),
        ("data/direct_messages_media/9-pic.jpg", b"\xff\xd8dm"),
    ]
    avatar = hashlib.sha256(picture).hexdigest()
    for readable in (True, False):
        sources = member_sources(members, "twitter-2024.zip", readable=readable)
        (owner,) = run(EXTRACTOR, sources["data/account.js"])
        assert isinstance(owner, Account) and owner.avatar_ref == avatar
        records = run(EXTRACTOR, sources["data/direct-messages.js"])
        first = records[0]
        assert isinstance(first, Account) and first.is_owner and first.avatar_ref == avatar
        assert (first.handle == "owner_x") is readable
        (message,) = messages(records)
        assert message.direction == "outgoing"
        assert message.kind == "media"
        assert message.attachments == ("data/direct_messages_media/9-pic.jpg",)
        assert (message.text, message.raw_text) == ("look", "look https://t.co/xyz")
        assert message.flags == ("text_fixed",)
        assert message.shares == ()  # the only link is the media's own


def test_several_profile_pictures_leave_the_avatar_undecided_and_say_so() -> None:
    members = [
        ("data/account.js", _ytd("account", ACCOUNT)),
        ("data/profile_media/42-a.jpg", b"a"),
        ("data/profile_media/42-1700000000.jpg", b"b"),
    ]
    records = run(EXTRACTOR, member_sources(members, "t.zip")["data/account.js"])
    assert [w.message for w in warnings(records)] == [
        "several profile pictures (data/profile_media/42-a.jpg, "
        "data/profile_media/42-1700000000.jpg); none taken as the avatar"
    ]
    profile = [{"profile": {"avatarMediaUrl": "https://pbs.twimg.com/profile_images/1/a.jpg"}}]
    members.append(("data/profile.js", _ytd("profile", profile)))
    sources = member_sources(members, "t.zip")
    (owner,) = run(EXTRACTOR, sources["data/account.js"])
    assert isinstance(owner, Account)
    assert owner.avatar_ref == hashlib.sha256(b"a").hexdigest()  # profile.js decided


def test_group_conversation_events_are_system_messages() -> None:
    events = [
        {
            "joinConversation": {
                "initiatingUserId": "5",
                "participantsSnapshot": ["5", "6", "42"],
                "createdAt": "2024-02-01T10:00:00.000Z",
            }
        },
        {
            "messageCreate": {
                "id": "100",
                "senderId": "6",
                "text": "welcome",
                "createdAt": "2024-02-01T10:01:00.000Z",
                "editHistory": [{"text": "welcom"}],
            }
        },
        {"participantsLeave": {"userIds": ["6"], "createdAt": "2024-02-01T10:02:00.000Z"}},
        {
            "conversationNameUpdate": {
                "initiatingUserId": "5",
                "name": "Gang",
                "createdAt": "2024-02-01T10:03:00.000Z",
            }
        },
    ]
    data = _ytd(
        "direct_messages_group", [{"dmConversation": {"conversationId": "777", "messages": events}}]
    )
    records = run(EXTRACTOR, _member(data, "data/direct-messages-group.js"))
    found = messages(records)
    assert [m.kind for m in found] == ["system", "text", "system", "system"]
    assert found[0].text == "joinConversation: initiatingUserId=5; participantsSnapshot=5, 6, 42"
    assert found[0].sender_identifier == "5"
    assert found[1].recipients == () and found[1].edited is True
    assert found[2].text == "participantsLeave: userIds=6" and found[2].sender_key is None
    assert found[3].text == "conversationNameUpdate: initiatingUserId=5; name=Gang"
    assert {m.thread_id for m in found} == {"777"}
    assert warnings(records) == []


def test_ids_above_2_53_are_kept_exactly() -> None:
    big = "1785403825438973083"  # float64 would give ...3082
    event = {"messageCreate": {"id": int(big), "senderId": int(big), "text": "x", "createdAt": ""}}
    raw = _ytd(
        "direct_messages", [{"dmConversation": {"conversationId": "c", "messages": [event]}}]
    )
    records = run(EXTRACTOR, _member(raw, "data/direct-messages.js"))
    (message,) = messages(records)
    assert message.message_id == big and message.sender_identifier == big
    assert message.sent_at_utc is None and message.flags == ("time_unparsed",)
    assert [w.message for w in warnings(records)] == ["unreadable createdAt ''"]


# --- damaged input ------------------------------------------------------------------------

DM_SAMPLE = (FORMATS / "synthetic/data/direct-messages.js").read_bytes()


@pytest.mark.parametrize(
    ("data", "expected_messages", "warning"),
    [
        (DM_SAMPLE[:700], 1, "damaged JSON: the file ends inside a value"),
        (DM_SAMPLE.replace(b'alone",', b'alone",,'), 1, "invalid JSON in an element"),
        (b"window.YTD.direct_messages.part0 = {}", 0, "damaged JSON: expected '['"),
        (DM_SAMPLE.decode().encode("utf-16"), 0, "not a window.YTD"),
        (DM_SAMPLE.replace(b"I know", b"I \xff\xfeknow"), 2, "2 byte(s) not valid UTF-8"),
        (b"window.YTD.tweets.part0 = [" + b"x" * (20 << 20) + b"]", 0, "an element of 20971520"),
    ],
    ids=["truncated", "invalid-syntax", "unknown-layout", "utf-16", "bad-utf8", "20MB-line"],
)
def test_damaged_files_give_records_and_warnings_only(
    data: bytes, expected_messages: int, warning: str
) -> None:
    # The long line is 20 MB, not 200 MB, to keep the suite fast; memory is bounded by
    # MAX_ELEMENT_CHARS either way.
    records = run(EXTRACTOR, _member(data, "data/direct-messages.js"))
    assert len(messages(records)) == expected_messages
    assert any(w.message.startswith(warning) for w in warnings(records)), warnings(records)


def test_invalid_bytes_in_text_are_replaced_and_raw_kept() -> None:
    data = DM_SAMPLE.replace(b"I know", b"I \xffknow")
    found = messages(run(EXTRACTOR, _member(data, "data/direct-messages.js")))
    assert found[0].text.startswith("I \ufffdknow")
    assert found[0].raw_text is not None and found[0].raw_text.startswith("I \\xffknow")
    assert found[0].flags == ("text_fixed",)


def test_a_20_mb_single_line_archive_file_parses_whole() -> None:
    # 20 MB rather than 200 MB to keep the suite fast; the scanner reads 1 MiB at a time.
    event = {"messageCreate": {"id": "1", "senderId": "2", "text": "y" * 1000, "createdAt": ""}}
    conversation = {"dmConversation": {"conversationId": "c", "messages": [event] * 20_000}}
    data = b"window.YTD.direct_messages.part0 = " + json.dumps([conversation]).encode()
    assert len(data) > 20_000_000 and b"\n" not in data
    records = run(EXTRACTOR, _member(data, "data/direct-messages.js"))
    assert len(messages(records)) == 20_000


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(mutated(DM_SAMPLE), mutated((FORMATS / "synthetic/data/tweets.js").read_bytes()))
)
def test_mutated_samples_never_raise(data: bytes) -> None:
    for member in ("data/direct-messages.js", "data/tweets.js", "data/account.js"):
        ctx = Context()
        records = run(EXTRACTOR, _member(data, member), ctx)
        assert len(warnings(records)) == len(ctx.warnings)


def test_extraction_is_deterministic() -> None:
    sources = zip_sources(ARCHIVE)
    for member in ("data/account.js", "data/direct-messages.js"):
        assert run(EXTRACTOR, sources[member]) == run(EXTRACTOR, sources[member])

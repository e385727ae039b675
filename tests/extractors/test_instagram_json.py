"""Instagram DYI JSON: case alpha against truth.json, the samples, layouts, the owner's
personal information, relationship lists, damaged input and determinism."""

from __future__ import annotations

import json
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.base import Source
from extractors.facebook_json import FacebookJsonExtractor
from extractors.instagram_json import InstagramJsonExtractor
from extractors.records import KINDS, Account, ExtractWarning, Locator, Message, Record
from tests.extractors._facebook_json_helpers import (
    CASE,
    FORMATS,
    account_names,
    archive_sources,
    canonical,
    compare_with_truth,
    sources_from_members,
    truth,
)
from tests.extractors.helpers import extract_all, source_from_file

R = TypeVar("R", bound=Record)
IG_ZIP = "instagram-hannah.price_-2024-05-02-MKdm4tHZ.zip"
FB_ZIP = "facebook-hannahprice-2024-05-02-mxnPpL2n.zip"
SAMPLE = (
    FORMATS
    / "instagram/synthetic/your_instagram_activity/messages/inbox/zoek_17841400000000000"
    / "message_1.json"
)
EXTRACTOR = InstagramJsonExtractor()


def _of(records: list[Record], kind: type[R]) -> list[R]:
    return [r for r in records if isinstance(r, kind)]


def _warnings(records: list[Record]) -> list[str]:
    return [r.message for r in _of(records, ExtractWarning)]


def _ig(members: list[tuple[str, bytes]], archive: str = "instagram-zoe-2024.zip") -> Source:
    return sources_from_members(members, archive)[0]


# --- case alpha -------------------------------------------------------------------------


def test_case_alpha_messages_equal_truth() -> None:
    compared, records = compare_with_truth(EXTRACTOR, IG_ZIP)
    assert compared == 44
    assert _warnings(records) == []
    threads = {m.thread_id for m in _of(records, Message)}
    assert threads == {
        "inbox/danm_17849538712383152",
        "inbox/sophieturner_17848205812307590",
        "message_requests/dannym_17844499572010158",
    }


def test_case_alpha_accounts_cover_display_names_and_usernames() -> None:
    _, records = compare_with_truth(EXTRACTOR, IG_ZIP)
    wanted = {a["identifier"] for a in truth()["accounts"] if a["platform"] == "instagram"}
    assert wanted <= account_names(records, "instagram")
    (owner,) = [a for a in _of(records, Account) if a.is_owner]
    assert (owner.handle, owner.display_name, owner.email) == (
        "hannah.price_",
        "Hannah Price",
        "hannah.price@example.org",
    )
    accounts = _of(records, Account)
    blocked = next(a for a in accounts if a.locator.path.endswith("blocked_profiles.json"))
    assert (blocked.handle, blocked.profile_url) == (
        "dan.mercer_",
        "https://www.instagram.com/_u/dan.mercer_",
    )


def test_sniff_takes_instagram_members_only() -> None:
    instagram = archive_sources(CASE / "evidence" / IG_ZIP)
    assert [s.member for s in instagram if EXTRACTOR.sniff(s)] == [s.member for s in instagram]
    assert not any(FacebookJsonExtractor().sniff(s) for s in instagram)
    facebook = archive_sources(CASE / "evidence" / FB_ZIP)
    assert not any(EXTRACTOR.sniff(s) for s in facebook)


# --- the samples ------------------------------------------------------------------------


def test_synthetic_sample_field_by_field() -> None:
    source = source_from_file(SAMPLE)
    assert EXTRACTOR.sniff(source) and not FacebookJsonExtractor().sniff(source)
    records = extract_all(EXTRACTOR, source)
    assert [type(r).__name__ for r in records] == ["Account"] * 2 + ["Message"] * 4 + [
        "ExtractWarning"
    ]
    assert _warnings(records) == ["message keys not recorded: share/original_content_owner (1)"]
    messages = _of(records, Message)
    assert messages[1] == Message(
        locator=Locator(source.sha256, source.path, pointer="/messages/1"),
        platform="instagram",
        thread_id="inbox/zoek_17841400000000000",
        thread_title="Zoë K",
        sender_key="instagram:Alex Smith",
        sender_identifier="Alex Smith",
        sent_at_utc="2024-01-12T21:05:00Z",
        sent_at_raw="1705093500000",
        flags=("text_fixed",),
        kind="text",
        text="Why did you block me 😡",
        raw_text="Why did you block me \u00f0\u009f\u0098\u00a1",
        reactions=('{"actor":"Zoë K","at":"2024-01-12T21:06:40Z","reaction":"❤️"}',),
    )
    # The newer separate "Reacted … to your message" line is a message in the file: kept.
    assert (messages[0].kind, messages[0].text) == ("text", "Reacted ❤️ to your message ")
    assert messages[2].kind == "media" and messages[2].text == ""
    assert messages[2].attachments == ()
    # The empty share_text is not given; the owner of the shared reel has no field.
    assert messages[2].shares == ('{"link":"https://www.instagram.com/reel/C0abcdefgh/"}',)
    assert messages[3].attachments == (
        "your_instagram_activity/messages/inbox/zoek_17841400000000000/audio/"
        "audioclip1705093300000-123.mp4",
    )


def test_chatminer_sample_reads_two_messages() -> None:
    source = source_from_file(FORMATS / "instagram/chatminer__test_export.json")
    records = extract_all(EXTRACTOR, source)  # its path says nothing: the Facebook sniff takes it
    messages = _of(records, Message)
    assert [(m.sender_identifier, m.text) for m in messages] == [
        ("John Doe", "Hello Jane!"),
        ("Jane Doe", "Hello John!"),
    ]
    assert {m.platform for m in messages} == {"instagram"}
    assert [a.display_name for a in _of(records, Account)] == ["John Doe", "Jane Doe"]
    assert _warnings(records) == []


# --- layouts ----------------------------------------------------------------------------


def test_layouts_truncated_names_and_requests() -> None:
    page = json.dumps(
        {"participants": [{"name": "A"}], "messages": [{"sender_name": "A", "timestamp_ms": 1}]}
    ).encode()
    cases = [
        ("your_instagram_activity/messages/inbox/a_17841400000000001/messa.json", "x.zip"),
        ("messages/inbox/a_17841400000000001/message_1.json", "export.zip"),
        ("messages/message_requests/a_2/message_1.json", "instagram-zoe-2022.zip"),
    ]
    for member, archive in cases:
        source = _ig([(member, page)], archive)
        assert EXTRACTOR.sniff(source), member
        assert not FacebookJsonExtractor().sniff(source), member
        (message,) = _of(extract_all(EXTRACTOR, source), Message)
        assert message.thread_id == member.split("messages/")[-1].rsplit("/", 1)[0]


def test_owner_with_profile_photo_and_phone() -> None:
    info = {
        "profile_user": [
            {
                "media_map_data": {"Profile Photo": {"uri": "media/profile/202401/1.jpg"}},
                "string_map_data": {
                    "Username": {"value": "zoe.k"},
                    "Name": {"value": "Zo\u00c3\u00ab K"},
                    "Phone Number": {"value": "07700 900123"},
                },
            }
        ]
    }
    members = [
        ("personal_information/personal_information/personal_information.json",
         json.dumps(info).encode()),
        ("media/profile/202401/1.jpg", b"\xff\xd8photo"),
    ]  # fmt: skip
    sources = sources_from_members(members, "instagram-zoe.zip")
    (owner,) = extract_all(EXTRACTOR, sources[0])
    assert isinstance(owner, Account)
    assert (owner.handle, owner.display_name, owner.is_owner) == ("zoe.k", "Zoë K", True)
    assert (owner.phone_raw, owner.phone_e164) == ("07700 900123", "+447700900123")
    assert owner.avatar_ref == sources[1].sha256


def test_owner_labels_in_another_language_are_not_guessed() -> None:
    info = {"profile_user": [{"string_map_data": {"Nome utente": {"value": "zoe.k"}}}]}
    name = "personal_information/personal_information/personal_information.json"
    records = extract_all(EXTRACTOR, _ig([(name, json.dumps(info).encode())]))
    assert _warnings(records) == ["no Username/Name label (labels: 'Nome utente'); owner not named"]


def test_relationship_lists_in_every_shape() -> None:
    url = "https://www.instagram.com/"
    following = {
        "relationships_following": [
            {"title": "", "string_list_data": [{"href": url + "a.b", "value": "a.b"}]},
            {"title": "c_d", "string_list_data": [{"href": url + "_u/c_d"}]},
            {"title": "", "string_list_data": [{"href": url + "e.f"}]},
            {"title": "", "string_list_data": []},
            {"title": "", "string_list_data": [{"href": url + "explore/tags/x", "value": "x"}]},
        ]
    }
    folder = "connections/followers_and_following/"
    data = json.dumps(following).encode()
    records = extract_all(EXTRACTOR, _ig([(folder + "following.json", data)]))
    assert [a.handle for a in _of(records, Account)] == ["a.b", "c_d", "e.f"]
    empty = data.index(b'{"title": "", "string_list_data": []}')
    tag = data.index(
        b'{"title": "", "string_list_data": [{"href": "https://www.instagram.com/explore'
    )
    assert _warnings(records) == [
        f"relationship entry at offset {empty} names no profile",
        f"relationship entry at offset {tag} names no profile",
    ]
    assert records[-2].locator.pointer == "/relationships_following/3"
    hashtags = _ig([(folder + "following_hashtags.json", data)])
    assert not EXTRACTOR.sniff(hashtags)
    followers = json.dumps([{"string_list_data": [{"value": "x.y", "href": ""}]}]).encode()
    (account,) = extract_all(EXTRACTOR, _ig([(folder + "followers_1.json", followers)]))
    assert isinstance(account, Account) and (account.handle, account.profile_url) == ("x.y", None)
    broken = extract_all(EXTRACTOR, _ig([(folder + "followers_2.json", followers[:40])]))
    assert len(_of(broken, Account)) == 0 and len(_warnings(broken)) == 1


# --- damage and determinism -------------------------------------------------------------


def test_truncated_thread_keeps_earlier_messages() -> None:
    data = SAMPLE.read_bytes()
    member = "your_instagram_activity/messages/inbox/zoek_17841400000000000/message_1.json"
    records = extract_all(EXTRACTOR, _ig([(member, data[: len(data) // 2])]))
    assert len(_of(records, Message)) == 2
    (warning,) = _warnings(records)
    assert "ends inside a value after 2 messages" in warning


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_members_give_records_or_warnings(data: st.DataObject) -> None:
    sources = archive_sources(CASE / "evidence" / IG_ZIP)
    source = data.draw(st.sampled_from(sources))
    with source.open() as f:
        raw = bytearray(f.read())
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if op == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255))
        elif op == "delete":
            del raw[at : at + data.draw(st.integers(1, 20))]
        elif op == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del raw[at:]
    assert source.member is not None
    mutated = _ig([(source.member, bytes(raw))])
    EXTRACTOR.sniff(mutated)
    records = extract_all(EXTRACTOR, mutated)
    assert all(isinstance(r, Account | Message | ExtractWarning) for r in records)
    assert all(m.kind in KINDS for m in _of(records, Message))
    canonical(records)


def test_extraction_is_deterministic() -> None:
    sources = archive_sources(CASE / "evidence" / IG_ZIP)
    first = [canonical(extract_all(EXTRACTOR, s)) for s in sources]
    assert first == [canonical(extract_all(InstagramJsonExtractor(), s)) for s in sources]

"""Facebook / Messenger DYI JSON: case alpha against truth.json, the samples, layouts,
mojibake, attachments, the owner profile, damaged input and determinism."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from extractors.base import Context, Source
from extractors.facebook_json import VALUE_LIMIT, FacebookJsonExtractor, repair_text
from extractors.instagram_json import InstagramJsonExtractor
from extractors.records import (
    FLAGS,
    KINDS,
    Account,
    Call,
    ExtractWarning,
    Locator,
    Message,
    Record,
)
from tests.extractors._facebook_json_helpers import (
    CASE,
    FORMATS,
    account_names,
    archive_sources,
    canonical,
    compare_with_truth,
    sources_from_members,
    split_attachments,
    truth,
)
from tests.extractors.helpers import extract_all, source_from_bytes, source_from_file

R = TypeVar("R", bound=Record)
FB_ZIP = "facebook-hannahprice-2024-05-02-mxnPpL2n.zip"
IG_ZIP = "instagram-hannah.price_-2024-05-02-MKdm4tHZ.zip"
SAMPLES = FORMATS / "facebook_messenger"
DYI = SAMPLES / "synthetic/your_facebook_activity/messages/inbox/zoekowalczyk_1234567890"
E2EE = SAMPLES / "synthetic/e2ee_secure_storage/Alex Smith_1.json"
EXTRACTOR = FacebookJsonExtractor()


def _of(records: list[Record], kind: type[R]) -> list[R]:
    return [r for r in records if isinstance(r, kind)]


def _messages(records: list[Record]) -> list[Message]:
    return [r for r in records if isinstance(r, Message)]


def _warnings(records: list[Record]) -> list[str]:
    return [r.message for r in records if isinstance(r, ExtractWarning)]


def _thread(messages: list[dict[str, object]], **root: object) -> bytes:
    """A DYI thread page as Facebook writes it (non-ASCII as \\u00XX mojibake)."""
    body = {"participants": [{"name": "Alex Smith"}], "messages": messages, **root}
    text = json.dumps(body, ensure_ascii=False)
    return json.dumps(json.loads(text)).encode("ascii")  # already-mojibake strings stay


def _fb_member(member: str, data: bytes, others: tuple[str, ...] = ()) -> Source:
    members = [(member, data)] + [(o, b"\xff\xd8" + o.encode()) for o in others]
    return sources_from_members(members, "facebook-alex-2024-01-01-abc.zip")[0]


def _mojibake(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


# --- case alpha -------------------------------------------------------------------------


def test_case_alpha_messages_equal_truth() -> None:
    compared, records = compare_with_truth(EXTRACTOR, FB_ZIP)
    assert compared == 83
    assert _warnings(records) == []
    call = _of(records, Call)
    assert len(call) == 2 and all(c.duration_s == 0 for c in call)


def test_case_alpha_accounts_cover_every_facebook_identifier() -> None:
    _, records = compare_with_truth(EXTRACTOR, FB_ZIP)
    wanted = {a["identifier"] for a in truth()["accounts"] if a["platform"] == "facebook"}
    assert wanted <= account_names(records, "facebook")
    owner = [r for r in records if isinstance(r, Account) and r.is_owner]
    assert len(owner) == 1
    assert owner[0].display_name == "Hannah Price"
    assert owner[0].email == "hannah.price@example.org"
    assert owner[0].profile_url == "https://www.facebook.com/hannah.price.example"
    assert owner[0].avatar_ref is None  # the case's archive holds no profile picture


def test_case_alpha_thread_ids_photo_and_reaction() -> None:
    sources = archive_sources(CASE / "evidence" / FB_ZIP)
    photo = next(s for s in sources if s.member and s.member.endswith(".jpg"))
    thread = next(s for s in sources if s.member and "dannymercer_" in s.member)
    messages = _messages(extract_all(EXTRACTOR, thread))
    assert {m.thread_id for m in messages} == {"inbox/dannymercer_5624626564980479"}
    media = next(m for m in messages if m.kind == "media")
    assert media.attachments == (photo.member,)
    assert media.locator.pointer == "/messages/5"
    angry = next(s for s in sources if s.member and "danymercer_" in s.member)
    reacted = _messages(extract_all(EXTRACTOR, angry))[5]
    assert reacted.attachments == ()
    assert reacted.reactions == ('{"actor":"Hannah Price","reaction":"😡"}',)


def test_sniff_takes_facebook_members_only() -> None:
    facebook = archive_sources(CASE / "evidence" / FB_ZIP)
    instagram = archive_sources(CASE / "evidence" / IG_ZIP)
    taken = [s.member for s in facebook if EXTRACTOR.sniff(s)]
    assert len(taken) == 10  # nine threads and the profile; not the photo
    assert not any(EXTRACTOR.sniff(s) for s in instagram)
    assert not any(InstagramJsonExtractor().sniff(s) for s in facebook)


def test_ingest_end_to_end_keeps_member_paths_and_owner(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    from workstation import queries
    from workstation.ingest import ingest_paths

    ingest_paths(case, signer, [CASE / "evidence" / FB_ZIP])
    messages = [m for m in queries.iter_messages(case) if m["platform"] == "facebook"]
    assert len(messages) == 83
    photo = [m for m in messages if m["kind"] == "media"]
    assert photo[0]["attachments"] == [
        "your_facebook_activity/messages/inbox/dannymercer_5624626564980479/photos/"
        "468903659_4833173139194077_n_1616099942.jpg"
    ]
    accounts = {a["id"]: a for a in queries.iter_accounts(case)}
    assert accounts["facebook:hannah.price@example.org"]["is_owner"]
    assert accounts["facebook:Danny Mercer"]["messages"] == 8


# --- the samples ------------------------------------------------------------------------


def test_synthetic_dyi_sample_field_by_field() -> None:
    source = source_from_file(DYI / "message_1.json")
    records = extract_all(EXTRACTOR, source)
    assert [type(r).__name__ for r in records] == [
        "Account",
        "Account",
        "Message",
        "Message",
        "Message",
        "Message",
        "Message",
        "Call",
    ]
    assert _warnings(records) == []
    assert [a.display_name for a in _of(records, Account)] == ["Zoë Kowalczyk", "Alex Smith"]
    messages = _messages(records)
    assert messages[1] == Message(
        locator=Locator(source.sha256, source.path, pointer="/messages/1"),
        platform="facebook",
        thread_id="inbox/zoekowalczyk_1234567890",
        thread_title="Zoë Kowalczyk",
        sender_key="facebook:Zoë Kowalczyk",
        sender_identifier="Zoë Kowalczyk",
        sent_at_utc="2024-01-12T21:05:00.123Z",
        sent_at_raw="1705093500123",
        tz=None,
        tz_assumed=False,
        flags=("text_fixed",),
        kind="text",
        text="Proszę przestań",
        raw_text="Prosz\u00c4\u0099 przesta\u00c5\u0084",
    )
    assert messages[0].text == "I'm outside 😠"
    assert messages[0].attachments == ()
    assert messages[0].reactions == ('{"actor":"Zoë Kowalczyk","reaction":"😢"}',)
    assert (messages[2].kind, messages[2].text) == ("media", "")
    # A plain file has no archive to match against: the uri is kept as written.
    assert messages[2].attachments == (
        "your_facebook_activity/messages/inbox/zoekowalczyk_1234567890/photos/4213_10159.jpg",
    )
    assert (messages[3].kind, messages[3].text) == ("deleted", "")
    assert (messages[4].kind, messages[4].text) == ("call", "Alex missed your call.")
    call = records[-1]
    assert isinstance(call, Call)
    assert (call.duration_s, call.direction, call.party_key) == (
        0,
        "unknown",
        "facebook:Alex Smith",
    )


def test_e2ee_sample_camel_case_and_failed_media() -> None:
    source = source_from_file(E2EE)
    assert EXTRACTOR.sniff(source)
    records = extract_all(EXTRACTOR, source)
    messages = _messages(records)
    assert len(messages) == 4 and len(_of(records, Account)) == 2
    assert {m.thread_id for m in messages} == {"e2ee/Alex Smith"}
    assert messages[0].text == "I'm outside 😠" and messages[0].raw_text is None
    assert messages[0].sent_at_utc == "2024-05-29T16:26:40Z"
    assert split_attachments(messages[0])[1] == [["Zoë Kowalczyk", "😢"]]
    assert [m.kind for m in messages] == ["text", "media", "media", "deleted"]
    assert messages[1].attachments == ("./media/1234567890_abcdef.jpg",)
    assert messages[2].attachments == ()
    assert _warnings(records) == [
        "media not in the export: 'Failed to download media. Media might be expired.'"
    ]


def test_e2ee_media_resolved_against_the_archive() -> None:
    data = E2EE.read_bytes()
    members = [
        ("secure/Alex Smith_1.json", data),
        ("secure/media/1234567890_abcdef.jpg", b"\xff\xd8jpeg"),
    ]
    source = sources_from_members(members, "messenger-secure.zip")[0]
    messages = _messages(extract_all(EXTRACTOR, source))
    assert messages[1].attachments == ("secure/media/1234567890_abcdef.jpg",)


def test_schema_sample_is_not_a_thread() -> None:
    schema = source_from_file(SAMPLES / "facebook-schemas__messages_message.schema.json")
    assert not EXTRACTOR.sniff(schema)
    assert not InstagramJsonExtractor().sniff(schema)


# --- layouts, pagination, attachments, owner -------------------------------------------


def test_layouts_and_pages_share_thread_ids() -> None:
    msg = {"sender_name": "Alex Smith", "timestamp_ms": 1705093593000, "content": "hi"}
    cases = {
        "messages/inbox/alex_1a2b/message_1.json": "inbox/alex_1a2b",
        "messages/inbox/alex_1a2b/message_2.json": "inbox/alex_1a2b",
        "your_facebook_activity/messages/archived_threads/alex_77/message_1.json": (
            "archived_threads/alex_77"
        ),
        "your_facebook_activity/messages/filtered_threads/x_9/message_1.json": (
            "filtered_threads/x_9"
        ),
        "top/your_facebook_activity/messages/message_requests/y_8/message_3.json": (
            "message_requests/y_8"
        ),
    }
    for member, thread_id in cases.items():
        source = _fb_member(member, _thread([msg]))
        assert EXTRACTOR.sniff(source), member
        (message,) = _messages(extract_all(EXTRACTOR, source))
        assert message.thread_id == thread_id


def test_attachments_matched_to_siblings_under_a_top_folder() -> None:
    uri = "your_facebook_activity/messages/inbox/alex_1/photos/1.jpg"
    msg = {
        "sender_name": "Alex Smith",
        "timestamp_ms": 1705093593000,
        "photos": [{"uri": uri}, {"uri": "your_facebook_activity/gone.jpg"}],
        "sticker": {"uri": "your_facebook_activity/messages/stickers_used/s.png"},
        "share": {"link": "https://example.com/a", "share_text": _mojibake("Zoë")},
        "content": "look",
    }
    source = _fb_member(
        "export/your_facebook_activity/messages/inbox/alex_1/message_1.json",
        _thread([msg]),
        others=(
            "export/" + uri,
            "export/your_facebook_activity/messages/stickers_used/s.png",
        ),
    )
    records = extract_all(EXTRACTOR, source)
    (message,) = _messages(records)
    assert message.kind == "media" and message.text == "look"
    assert message.attachments == (
        "export/" + uri,
        "your_facebook_activity/gone.jpg",
        "export/your_facebook_activity/messages/stickers_used/s.png",
    )
    assert message.shares == ('{"link":"https://example.com/a","share_text":"Zoë"}',)
    assert _warnings(records) == [
        "attachment 'your_facebook_activity/gone.jpg' is not in the archive"
    ]


def test_kinds_calls_system_and_unknown_keys() -> None:
    base = {"sender_name": "Alex Smith", "timestamp_ms": 1705093593000}
    messages = [
        {**base, "content": "Alex called you.", "type": "Call", "call_duration": 125},
        {**base, "content": "You missed a call", "call_duration": 0, "missed": True},
        {
            **base,
            "content": "Alex added Bo to the group.",
            "type": "Subscribe",
            "users": [{"name": "Bo"}],
        },
        {**base, "share": {"link": "https://example.com"}, "ip": "192.0.2.1"},
        {**base, "is_unsent_image_by_messenger_kid_parent": True},
        {
            **base,
            "content": "x",
            "ip": "192.0.2.1",
            "reactions": [{"reaction": _mojibake("❤"), "actor": "Bo", "timestamp": 1705093600}],
        },
    ]
    records = extract_all(
        EXTRACTOR, _fb_member("messages/inbox/a_1/message_1.json", _thread(messages))
    )
    got = _messages(records)
    assert [m.kind for m in got] == ["call", "call", "system", "media", "deleted", "text"]
    calls = _of(records, Call)
    assert [(c.duration_s, c.direction) for c in calls] == [(125, "unknown"), (0, "missed")]
    assert got[3].shares == ('{"link":"https://example.com"}',) and got[3].attachments == ()
    assert got[5].reactions == ('{"actor":"Bo","at":"2024-01-12T21:06:40Z","reaction":"❤"}',)
    assert got[5].attachments == ()
    assert "Bo" in account_names(records, "facebook")
    names = [r.display_name for r in records if isinstance(r, Account)]
    assert names.count("Bo") == 1  # once per file
    assert _warnings(records) == ["message keys not recorded: ip (2)"]


def test_deleted_account_placeholder_is_not_an_account() -> None:
    people = [{"name": "Facebook user"}, {"name": "Alex Smith"}]
    msgs = [{"sender_name": "Facebook user", "timestamp_ms": 1705093593000, "content": "hi"}]
    source = _fb_member("messages/inbox/a_1/message_1.json", _thread(msgs, participants=people))
    records = extract_all(EXTRACTOR, source)
    (message,) = _messages(records)
    assert (message.sender_identifier, message.sender_key) == ("Facebook user", None)
    assert [a.display_name for a in _of(records, Account)] == ["Alex Smith"]
    assert _warnings(records) == ["'Facebook user' names a deleted account: no Account made"]


def test_lone_surrogates_anywhere_are_stored_as_replacements() -> None:
    bad = "\\ud800"  # a JSON escape that decodes to half a surrogate pair
    page = (
        f'{{"participants": [{{"name": "A{bad}"}}], "title": "T{bad}", "messages": ['
        f'{{"sender_name": "A{bad}", "timestamp_ms": 1, "content": "x{bad}",'
        f' "k{bad}": 1, "share": {{"l{bad}": "v{bad}"}}, "photos": [{{"uri": "p{bad}.jpg"}}],'
        f' "reactions": [{{"actor": "B{bad}", "reaction": "r{bad}"}}]}}]}}'
    ).encode()
    records = extract_all(EXTRACTOR, _fb_member("messages/inbox/a_1/message_1.json", page))
    (message,) = _messages(records)
    assert (message.text, message.raw_text) == ("x\ufffd", "x\\ud800")
    assert message.thread_title == "T\ufffd" and message.sender_identifier == "A\ufffd"
    assert message.attachments == ("p\ufffd.jpg",)
    assert message.reactions == ('{"actor":"B\ufffd","reaction":"r\ufffd"}',)
    assert message.shares == ()  # no link or share_text; its key is named in a warning
    assert _warnings(records)[-1] == "message keys not recorded: k\ufffd (1), share/l\ufffd (1)"
    canonical(records)


def test_reactions_and_shares_only_as_the_record_defines_them() -> None:
    base = {"sender_name": "Alex Smith", "timestamp_ms": 1705093593000}
    messages = [
        {
            **base,
            "content": "see",
            "share": {"link": "https://example.com/b", "share_text": ""},
            "reactions": [
                {"actor": "Bo", "reaction": _mojibake("👍"), "timestamp": "yesterday"},
                {"reaction": "x"},
            ],
        },
        {**base, "share": {"share_text": _mojibake("Zoë's post")}},
        {**base, "share": {}},
    ]
    records = extract_all(
        EXTRACTOR, _fb_member("messages/inbox/a_1/message_1.json", _thread(messages))
    )
    got = _messages(records)
    assert [m.kind for m in got] == ["text", "media", "media"]
    assert got[0].shares == ('{"link":"https://example.com/b"}',)  # empty text: not given
    assert got[0].reactions == ('{"actor":"Bo","reaction":"👍"}', '{"actor":"","reaction":"x"}')
    assert got[1].shares == ('{"link":"","share_text":"Zoë\'s post"}',)
    assert got[2].shares == ()
    assert all(m.attachments == () for m in got)
    assert _warnings(records) == ['reaction time "yesterday" unreadable; not recorded']


def test_owner_profile_with_picture_and_older_layout() -> None:
    profile = {
        "profile_v2": {
            "name": {"full_name": _mojibake("Zoë Kowalczyk")},
            "emails": {"emails": ["Zoe@Example.org"]},
        }
    }
    members = [
        (
            "personal_information/profile_information/profile_information.json",
            json.dumps(profile).encode(),
        ),
        ("your_facebook_activity/posts/media/ProfilePictures_1/1.jpg", b"\xff\xd8one"),
        ("your_facebook_activity/posts/media/Other/2.jpg", b"\xff\xd8two"),
    ]
    sources = sources_from_members(members, "facebook-zoe.zip")
    assert EXTRACTOR.sniff(sources[0])
    (owner,) = extract_all(EXTRACTOR, sources[0])
    assert isinstance(owner, Account) and owner.is_owner
    assert (owner.display_name, owner.email) == ("Zoë Kowalczyk", "zoe@example.org")
    assert owner.avatar_ref == sources[1].sha256
    old = {"profile": {"name": "Alex Smith", "username": "alex.smith.1"}}
    two_pictures = [
        ("profile_information/profile_information.json", json.dumps(old).encode()),
        ("photos_and_videos/profile_pictures/a.jpg", b"\xff\xd8a"),
        ("photos_and_videos/profile_pictures/b.jpg", b"\xff\xd8b"),
    ]
    records = extract_all(EXTRACTOR, sources_from_members(two_pictures, "facebook-a.zip")[0])
    (account,) = _of(records, Account)
    assert (account.display_name, account.handle, account.avatar_ref) == (
        "Alex Smith",
        "alex.smith.1",
        None,
    )
    assert _warnings(records) == ["2 profile pictures in the archive; none chosen"]


def test_platform_not_evident_is_read_as_facebook_with_a_warning() -> None:
    chatminer = source_from_file(FORMATS / "instagram/chatminer__test_export.json")
    assert EXTRACTOR.sniff(chatminer)
    assert not InstagramJsonExtractor().sniff(chatminer)
    records = extract_all(EXTRACTOR, chatminer)
    assert len(_messages(records)) == 2
    assert _warnings(records) == [
        "neither path nor content says Facebook or Instagram; read as Facebook"
    ]


def test_repair_text_only_when_it_round_trips() -> None:
    assert repair_text("Zo\u00c3\u00ab", True) == ("Zoë", "Zo\u00c3\u00ab")
    assert repair_text("Zoë", True) == ("Zoë", None)  # ë alone is not UTF-8: kept
    assert repair_text("Zo\u00c3\u00ab", False) == ("Zo\u00c3\u00ab", None)
    assert repair_text("a\ud83db", True) == ("a\ufffdb", "a\\ud83db")


# --- damaged input ----------------------------------------------------------------------


def _dany() -> bytes:
    source = next(
        s for s in archive_sources(CASE / "evidence" / FB_ZIP) if "danymercer_" in (s.member or "")
    )
    with source.open() as f:
        return f.read()


def _member(data: bytes) -> Source:
    return _fb_member("your_facebook_activity/messages/inbox/danymercer_1/message_1.json", data)


def test_truncated_file_keeps_what_came_before() -> None:
    data = _dany()
    full = _messages(extract_all(EXTRACTOR, _member(data)))
    records = extract_all(EXTRACTOR, _member(data[: len(data) * 6 // 10]))
    partial = _messages(records)
    assert 0 < len(partial) < len(full)
    assert [m.text for m in partial] == [m.text for m in full[: len(partial)]]
    (warning,) = _warnings(records)
    assert warning.startswith("the input ends inside a value after")


def test_invalid_message_is_skipped_and_the_rest_read() -> None:
    good = b'"content": "Tick tock",\n      "is_geoblocked_for_viewer": false'
    data = _dany().replace(good, good.replace(b"false", b"flase"))
    records = extract_all(EXTRACTOR, _member(data))
    assert len(_messages(records)) == 12
    assert len(_warnings(records)) == 1 and "not valid JSON" in _warnings(records)[0]


def test_wrong_encodings_give_warnings() -> None:
    utf16 = extract_all(EXTRACTOR, _member(_dany().decode().encode("utf-16")))
    assert _messages(utf16) == [] and len(_warnings(utf16)) == 1
    latin1 = E2EE.read_bytes().decode("utf-8").replace("😠", "").replace("😢", ":(")
    records = extract_all(EXTRACTOR, source_from_bytes(latin1.encode("latin-1"), E2EE.name))
    assert len(_messages(records)) == 4
    assert any("invalid UTF-8 replaced by U+FFFD" in w for w in _warnings(records))
    assert any("\ufffd" in (a.display_name or "") for a in _of(records, Account))


def test_unknown_layouts_give_warnings() -> None:
    no_messages = _member(b'{"participants": [], "threads": []}')
    assert _warnings(extract_all(EXTRACTOR, no_messages)) == ["no messages array in the file"]
    a_list = extract_all(EXTRACTOR, _member(b'[{"messages": []}]'))
    assert len(a_list) == 1 and "not a JSON object" in _warnings(a_list)[0]
    not_array = extract_all(EXTRACTOR, _member(b'{"messages": {"a": 1}}'))
    (warning,) = _warnings(not_array)
    assert warning.startswith("expected '[' for the messages array, found '{' after 0 messages")


def test_a_20_mb_single_line_is_streamed() -> None:
    # ~20 MB (not the 200 MB of the brief) keeps the suite fast and still exceeds both the
    # read chunk (1 MiB) and the per-message limit (16 MiB).
    content = "x" * 10_000
    many = [{"sender_name": "A", "timestamp_ms": i, "content": content} for i in range(2_000)]
    minified = json.dumps({"participants": [], "messages": many}, separators=(",", ":"))
    data = minified.encode()
    assert len(data) > 20_000_000 and b"\n" not in data
    tracemalloc.start()
    count = sum(1 for r in EXTRACTOR.extract(_member(data), Context()) if isinstance(r, Message))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 2_000
    assert peak < 8_000_000  # a few chunks, not the file
    huge = b'{"messages": [{"sender_name": "A", "timestamp_ms": 1, "content": "'
    huge += b"y" * 20_000_000 + b'"}, {"sender_name": "A", "timestamp_ms": 2}]}'
    tracemalloc.start()
    records = extract_all(EXTRACTOR, _member(huge))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(_messages(records)) == 1
    assert _warnings(records) == [f"message over {VALUE_LIMIT} bytes at offset 14"]
    assert peak < 2.5 * VALUE_LIMIT


def _allowed(records: list[Record]) -> None:
    for r in records:
        assert isinstance(r, Account | Message | Call | ExtractWarning)
        if isinstance(r, Message):
            assert r.kind in KINDS and set(r.flags) <= FLAGS
    canonical(records)  # storable: no lone surrogates anywhere


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_samples_give_records_or_warnings(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from([DYI / "message_1.json", E2EE])).read_bytes()
    raw = bytearray(base)
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[at] ^= data.draw(st.integers(1, 255))
        elif op == "delete":
            del raw[at : at + data.draw(st.integers(1, 20))]
        elif op == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del raw[at:]
    source = _member(bytes(raw))
    EXTRACTOR.sniff(source)
    _allowed(extract_all(EXTRACTOR, source))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_give_records_or_warnings(raw: bytes) -> None:
    for data in (raw, b'{"messages": [' + raw, b'{"messages": [{"content": "' + raw):
        source = _member(data)
        EXTRACTOR.sniff(source)
        _allowed(extract_all(EXTRACTOR, source))


def test_extraction_is_deterministic() -> None:
    sources = [s for s in archive_sources(CASE / "evidence" / FB_ZIP) if EXTRACTOR.sniff(s)]
    first = [canonical(extract_all(EXTRACTOR, s)) for s in sources]
    second = [canonical(extract_all(FacebookJsonExtractor(), s)) for s in sources]
    assert first == second


def test_sniff_reads_only_the_head() -> None:
    def refuse() -> io.BytesIO:
        raise AssertionError("sniff opened the source")

    source = _member(_dany())
    blind = Source(**{**source.__dict__, "opener": refuse})
    assert EXTRACTOR.sniff(blind)

"""WhatsApp for Android msgstore.db, current and legacy schemas, with wa.db for names."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from extractors.base import Sibling, Source
from extractors.records import Account, Call, ExtractWarning, Message
from extractors.whatsapp_msgstore import WhatsAppMsgstoreExtractor
from tests.data.device_fixtures.android import make_msgstore, make_msgstore_legacy, make_wa
from tests.extractors.helpers import extract_all, source_from_file

EX = WhatsAppMsgstoreExtractor()
DAN = "whatsapp:+447700900123"
DAN_JID = "447700900123@s.whatsapp.net"
GROUP = "whatsapp:447700900461-1709300000@g.us"


def in_archive(db: Path, wa: Path) -> Source:
    """msgstore.db as a member of an extraction archive with wa.db beside it."""
    data, names = db.read_bytes(), wa.read_bytes()
    members = {
        "data/data/com.whatsapp/databases/msgstore.db": data,
        "data/data/com.whatsapp/databases/wa.db": names,
    }
    return Source(
        sha256=hashlib.sha256(data).hexdigest(),
        name="msgstore.db",
        path="extraction.zip!/data/data/com.whatsapp/databases/msgstore.db",
        mime="application/vnd.sqlite3",
        size=len(data),
        head=data[:65536],
        opener=lambda: io.BytesIO(data),
        member="data/data/com.whatsapp/databases/msgstore.db",
        siblings=tuple(
            Sibling(m, hashlib.sha256(b).hexdigest(), len(b)) for m, b in members.items()
        ),
        sibling_opener=lambda m: io.BytesIO(members[m]),
    )


def test_current_schema_with_names(tmp_path: Path) -> None:
    make_msgstore(tmp_path / "msgstore.db")
    make_wa(tmp_path / "wa.db")
    source = in_archive(tmp_path / "msgstore.db", tmp_path / "wa.db")
    assert EX.sniff(source)
    records = extract_all(EX, source)
    assert not [r for r in records if isinstance(r, ExtractWarning)]
    msgs = [r for r in records if isinstance(r, Message) and r.kind != "call"]
    assert [(m.locator.pointer, m.kind, m.text) for m in msgs] == [
        ("/message/2", "text", "You looked nice today"),
        ("/message/3", "text", "Leave me alone"),
        ("/message/4", "media", "Outside your house"),
        ("/message/5", "deleted", ""),
        ("/message/6", "text", "Blocked me again?"),
        ("/message/7", "system", ""),
        ("/message/8", "text", "Are you ok Hannah?"),
        ("/message/9", "location", "geo:51.5007,-0.1246"),
    ]
    first, reply, media = msgs[0], msgs[1], msgs[2]
    assert (first.thread_id, first.thread_title, first.sender_key, first.sender_identifier) == (
        DAN, "Dan", "whatsapp:+447700900123", DAN_JID,
    )  # fmt: skip
    assert (first.sent_at_utc, first.sent_at_raw, first.message_id) == (
        "2024-03-04T19:00:00Z", "timestamp=1709578800000", "3EB0AA02",
    )  # fmt: skip
    assert reply.sender_identifier is None and reply.direction == "outgoing"
    assert reply.sender_key == f"whatsapp:(phone holder) (msgstore.db {source.sha256[:12]})"
    assert reply.reply_to == "3EB0AA02" and reply.recipients == (DAN_JID,)
    assert media.attachments == ("Media/WhatsApp Images/IMG-20240304-WA0001.jpg",)
    assert msgs[4].flags == ("forwarded",) and msgs[4].thread_id == "whatsapp:+447700900987"
    assert msgs[6].thread_id == GROUP and msgs[6].thread_title == "Hannah & friends"
    assert msgs[6].sender_key == "whatsapp:+447700900678" and msgs[6].edited
    accounts = {a.key: a for a in records if isinstance(a, Account)}
    assert sorted(accounts) == [
        f"whatsapp:(phone holder) (msgstore.db {source.sha256[:12]})",
        "whatsapp:+447700900123",
        "whatsapp:+447700900678",
        "whatsapp:+447700900987",
    ]
    assert accounts["whatsapp:+447700900987"].display_name == "D"  # his own WhatsApp name
    assert accounts["whatsapp:+447700900123"].display_name == "Dan"
    assert accounts["whatsapp:+447700900123"].handle == DAN_JID
    calls = [r for r in records if isinstance(r, Call)]
    assert [(c.direction, c.duration_s, c.party_key, c.flags) for c in calls] == [
        ("missed", 0, "whatsapp:+447700900123", ()),
        ("outgoing", 95, "whatsapp:+447700900678", ()),
    ]
    assert calls[1].started_at_raw == "timestamp=1710073800000 video_call=1 call_result=5"


def test_without_wa_db_a_warning(tmp_path: Path) -> None:
    make_msgstore(tmp_path / "msgstore.db")
    records = extract_all(EX, source_from_file(tmp_path / "msgstore.db"))
    warnings = [r.message for r in records if isinstance(r, ExtractWarning)]
    assert warnings == [
        "msgstore.db: no wa.db beside it in the same archive: contact names are not read "
        "(numbers and group subjects only)"
    ]
    first = next(r for r in records if isinstance(r, Message))
    assert (first.thread_title, first.sender_identifier) == ("+447700900123", DAN_JID)


def test_legacy_schema(tmp_path: Path) -> None:
    make_msgstore_legacy(tmp_path / "msgstore.db")
    make_wa(tmp_path / "wa.db")
    source = in_archive(tmp_path / "msgstore.db", tmp_path / "wa.db")
    assert EX.sniff(source)
    records = extract_all(EX, source)
    msgs = [r for r in records if isinstance(r, Message)]
    sophie = "447700900678@s.whatsapp.net"
    assert [(m.locator.pointer, m.kind, m.sender_identifier, m.text) for m in msgs] == [
        ("/messages/2", "text", DAN_JID, "You looked nice today"),
        ("/messages/3", "text", None, "Leave me alone"),
        ("/messages/4", "media", DAN_JID, "Outside your house"),
        ("/messages/5", "deleted", DAN_JID, ""),
        ("/messages/6", "system", DAN_JID, ""),
        ("/messages/7", "text", sophie, "Are you ok Hannah?"),
    ]
    assert msgs[0].thread_id == DAN and msgs[0].thread_title == "Dan"
    assert msgs[1].reply_to == "LEG0002"
    assert msgs[2].attachments == ("IMG-20240304-WA0001.jpg",)
    assert msgs[5].thread_id == GROUP and msgs[5].thread_title == "Hannah & friends"
    assert msgs[0].sent_at_utc == "2024-03-04T19:00:00Z"


def test_bulk_rows_stream(tmp_path: Path) -> None:
    make_msgstore(tmp_path / "msgstore.db", bulk=3000)
    records = extract_all(EX, source_from_file(tmp_path / "msgstore.db"))
    msgs = [r for r in records if isinstance(r, Message)]
    assert len(msgs) == 8 + 3000 + 2
    assert msgs[8].message_id == "BULK00000000" and msgs[8].sent_at_utc == "2024-04-01T00:00:00Z"


def test_fast_time_text_is_the_shared_one() -> None:
    from extractors.timeutil import epoch_ms_to_utc
    from extractors.whatsapp_msgstore import _ms_to_utc

    for ms in (10**11, 1709578800000, 1709578800123, 1709578800001, 4 * 10**12 - 1, 5, 10**13):
        assert _ms_to_utc(ms) == epoch_ms_to_utc(ms)

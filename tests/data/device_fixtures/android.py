"""Generator of Android databases: mmssms.db, calllog.db, contacts2.db (with and without the
old ``calls`` table), WhatsApp msgstore.db in the current and the legacy schema, and wa.db.

Tables and columns as the Android providers (Telephony, Contacts, CallLog) and WhatsApp
define them, from public descriptions (AOSP's provider contracts; the queries of ALEAPP and
published msgstore write-ups were read for names and value meanings; no code taken). Only
the columns the extractors or an examiner would meet are kept, with their real names and
real epochs: ms for ``sms.date``, ``calls.date`` and WhatsApp ``timestamp``; seconds for
``pdu.date``.

The storyline is case-alpha's, seen from Hannah Price's Android phone (+44 7700 900461):
Daniel Mercer writes from +44 7700 900123 ("Dan" in her contacts) and from +44 7700 900987;
Sophie Turner is +44 7700 900678; Mercer Plumbing 07700 900444; Dan Price +44 7700 900333.
The same numbers as the exports, so the aliases can join the device and the exports. No
real person's data.

``python -m tests.data.device_fixtures.android OUT_DIR`` writes every database to OUT_DIR.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import zlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

HOLDER = "+447700900461"
DAN, DAN_NEW, SOPHIE, DAN_PRICE, PLUMBER = (
    "+447700900123", "+447700900987", "+447700900678", "+447700900333", "07700 900444",
)  # fmt: skip
PARTS_DIR = "/data/user_de/0/com.android.providers.telephony/app_parts"


def ms(text: str) -> int:
    """Epoch milliseconds of ``2024-03-01T19:12:41Z``."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def secs(text: str) -> int:
    return ms(text) // 1000


def _db(path: Path, schema: str) -> sqlite3.Connection:
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.executescript(schema)
    return conn


# ---- mmssms.db --------------------------------------------------------------------------

MMSSMS_SCHEMA = """
CREATE TABLE canonical_addresses (_id INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT);
CREATE TABLE threads (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0,
  message_count INTEGER DEFAULT 0, recipient_ids TEXT, snippet TEXT, snippet_cs INTEGER DEFAULT 0,
  read INTEGER DEFAULT 1, archived INTEGER DEFAULT 0, type INTEGER DEFAULT 0, error INTEGER DEFAULT 0,
  has_attachment INTEGER DEFAULT 0);
CREATE TABLE sms (_id INTEGER PRIMARY KEY, thread_id INTEGER, address TEXT, person INTEGER,
  date INTEGER, date_sent INTEGER DEFAULT 0, protocol INTEGER, read INTEGER DEFAULT 0,
  status INTEGER DEFAULT -1, type INTEGER, reply_path_present INTEGER, subject TEXT, body TEXT,
  service_center TEXT, locked INTEGER DEFAULT 0, sub_id INTEGER DEFAULT -1, error_code INTEGER DEFAULT 0,
  creator TEXT, seen INTEGER DEFAULT 0);
CREATE TABLE pdu (_id INTEGER PRIMARY KEY AUTOINCREMENT, thread_id INTEGER, date INTEGER,
  date_sent INTEGER DEFAULT 0, msg_box INTEGER, read INTEGER DEFAULT 0, m_id TEXT, sub TEXT,
  sub_cs INTEGER, ct_t TEXT, ct_l TEXT, exp INTEGER, m_cls TEXT, m_type INTEGER, v INTEGER,
  m_size INTEGER, pri INTEGER, rr INTEGER, rpt_a INTEGER, resp_st INTEGER, st INTEGER,
  tr_id TEXT, retr_st INTEGER, retr_txt TEXT, retr_txt_cs INTEGER, read_status INTEGER,
  ct_cls INTEGER, resp_txt TEXT, d_tm INTEGER, d_rpt INTEGER, locked INTEGER DEFAULT 0,
  sub_id INTEGER DEFAULT -1, seen INTEGER DEFAULT 0, creator TEXT, text_only INTEGER DEFAULT 0);
CREATE TABLE part (_id INTEGER PRIMARY KEY AUTOINCREMENT, mid INTEGER, seq INTEGER DEFAULT 0,
  ct TEXT, name TEXT, chset INTEGER, cd TEXT, fn TEXT, cid TEXT, cl TEXT, ctt_s INTEGER,
  ctt_t TEXT, _data TEXT, text TEXT);
CREATE TABLE addr (_id INTEGER PRIMARY KEY, msg_id INTEGER, contact_id INTEGER, address TEXT,
  type INTEGER, charset INTEGER);
CREATE TABLE words (_id INTEGER PRIMARY KEY, word TEXT, source_id INTEGER, table_to_use INTEGER,
  index_text TEXT);
"""


def make_mmssms(path: Path) -> None:
    """SMS in and out (Dan, his second number, a draft, a withheld sender, a NUL-damaged
    body), an MMS photo from Dan, and a group MMS to Dan and Sophie."""
    conn = _db(path, MMSSMS_SCHEMA)
    conn.executemany(
        "INSERT INTO canonical_addresses (_id, address) VALUES (?, ?)",
        [(1, DAN), (2, "07700900987"), (3, SOPHIE), (4, "-2")],
    )
    conn.executemany(
        "INSERT INTO threads (_id, recipient_ids) VALUES (?, ?)",
        [(1, "1"), (2, "2"), (3, "1 3"), (4, "4")],
    )
    sms = [
        # _id, thread, address, date, date_sent, type, body, read
        (1, 1, DAN, ms("2024-03-02T20:15:03Z"), ms("2024-03-02T20:15:01Z"), 1,
         "Why aren't you answering me?", 1),
        (2, 1, DAN, ms("2024-03-02T20:16:40Z"), 0, 2, "Please stop messaging me.", 1),
        (3, 2, "07700900987", ms("2024-03-09T22:41:10Z"), ms("2024-03-09T22:41:08Z"), 1,
         "New number. You can't block me forever", 0),
        (4, 1, DAN, ms("2024-03-10T08:00:00Z"), 0, 3, "I am going to the police", 1),
        (5, 4, "-2", ms("2024-03-11T23:05:00Z"), 0, 1, "I know where you are", 1),
        (6, 1, DAN, ms("2024-03-12T07:30:00Z"), ms("2024-03-12T07:29:58Z"), 1, "Answer\x00me", 1),
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO sms (_id, thread_id, address, date, date_sent, type, body, read) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        sms,
    )
    conn.executemany(
        "INSERT INTO pdu (_id, thread_id, date, date_sent, msg_box, m_id, sub, m_type, ct_t) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, 1, secs("2024-03-05T18:01:02Z"), secs("2024-03-05T18:01:00Z"), 1,
             "mms-id-0001", None, 132, "application/vnd.wap.multipart.related"),
            (2, 3, secs("2024-03-06T09:00:00Z"), 0, 2, "mms-id-0002", "Saturday", 128,
             "application/vnd.wap.multipart.related"),
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO part (_id, mid, seq, ct, name, cl, _data, text) VALUES (?,?,?,?,?,?,?,?)",
        [
            (1, 1, -1, "application/smil", None, "smil.xml", None, "<smil/>"),
            (2, 1, 0, "image/jpeg", "IMG_0412.jpg", "IMG_0412.jpg",
             f"{PARTS_DIR}/PART_1709661662000_IMG_0412.jpg", None),
            (3, 1, 1, "text/plain", None, "text_0.txt", None, "Saw you tonight"),
            (4, 2, 0, "text/plain", None, "text_0.txt", None, "Are we still on?"),
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO addr (_id, msg_id, address, type, charset) VALUES (?, ?, ?, ?, 106)",
        [
            (1, 1, DAN, 137),
            (2, 1, "insert-address-token", 151),
            (3, 2, "insert-address-token", 137),
            (4, 2, DAN, 151),
            (5, 2, SOPHIE, 151),
        ],
    )
    conn.commit()
    conn.close()


# ---- calllog.db and contacts2.db --------------------------------------------------------

CALLS_TABLE = """
CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT, presentation INTEGER
  NOT NULL DEFAULT 1, post_dial_digits TEXT NOT NULL DEFAULT '', via_number TEXT NOT NULL
  DEFAULT '', date INTEGER, duration INTEGER, data_usage INTEGER, type INTEGER, features
  INTEGER NOT NULL DEFAULT 0, subscription_component_name TEXT, subscription_id TEXT,
  phone_account_address TEXT, phone_account_hidden INTEGER NOT NULL DEFAULT 0,
  sub_id INTEGER DEFAULT -1, new INTEGER, name TEXT, numbertype INTEGER, numberlabel TEXT,
  countryiso TEXT, voicemail_uri TEXT, is_read INTEGER, geocoded_location TEXT,
  lookup_uri TEXT, matched_number TEXT, normalized_number TEXT, photo_id INTEGER NOT NULL
  DEFAULT 0, photo_uri TEXT, formatted_number TEXT, last_modified INTEGER DEFAULT 0);
"""

CALLS = [
    # _id, number, presentation, date, duration, type, name
    (1, DAN, 1, "2024-03-03T21:00:05Z", 0, 3, "Dan"),
    (2, DAN, 1, "2024-03-03T21:02:00Z", 47, 1, "Dan"),
    (3, "07700 900555", 1, "2024-03-08T23:40:00Z", 0, 5, None),
    (4, "", 2, "2024-03-09T01:10:00Z", 0, 3, None),
    (5, SOPHIE, 1, "2024-03-09T10:00:00Z", 312, 2, "Sophie"),
    (6, PLUMBER, 1, "2024-03-14T12:00:00Z", 0, 6, "Mercer Plumbing"),
    (7, DAN_PRICE, 1, "2024-03-15T18:30:00Z", 65, 7, "Dan Price"),
    (8, "Unknown", 3, "2024-03-16T02:00:00Z", 0, 1, None),
]


def make_calllog(path: Path) -> None:
    """calllog.db (Android 7+): the call log alone."""
    conn = _db(path, CALLS_TABLE)
    _calls(conn)
    conn.commit()
    conn.close()


def _calls(conn: sqlite3.Connection) -> None:
    conn.executemany(
        "INSERT INTO calls (_id, number, presentation, date, duration, type, name, countryiso) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'GB')",
        [(i, n, p, ms(d), dur, t, name) for i, n, p, d, dur, t, name in CALLS],
    )


CONTACTS_SCHEMA = """
CREATE TABLE accounts (_id INTEGER PRIMARY KEY AUTOINCREMENT, account_name TEXT,
  account_type TEXT, data_set TEXT);
CREATE TABLE contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, name_raw_contact_id INTEGER
  REFERENCES raw_contacts(_id), photo_id INTEGER, times_contacted INTEGER NOT NULL DEFAULT 0,
  last_time_contacted INTEGER, starred INTEGER NOT NULL DEFAULT 0, has_phone_number INTEGER
  NOT NULL DEFAULT 0, lookup TEXT, contact_last_updated_timestamp INTEGER);
CREATE TABLE raw_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER
  REFERENCES accounts(_id), sourceid TEXT, version INTEGER NOT NULL DEFAULT 1, dirty INTEGER
  NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0, contact_id INTEGER REFERENCES
  contacts(_id), display_name TEXT, display_name_alt TEXT, display_name_source INTEGER NOT
  NULL DEFAULT 0, sort_key TEXT, starred INTEGER NOT NULL DEFAULT 0);
CREATE TABLE mimetypes (_id INTEGER PRIMARY KEY AUTOINCREMENT, mimetype TEXT NOT NULL);
CREATE TABLE data (_id INTEGER PRIMARY KEY AUTOINCREMENT, package_id INTEGER, mimetype_id
  INTEGER REFERENCES mimetype(_id) NOT NULL, raw_contact_id INTEGER REFERENCES
  raw_contacts(_id) NOT NULL, is_read_only INTEGER NOT NULL DEFAULT 0, is_primary INTEGER NOT
  NULL DEFAULT 0, is_super_primary INTEGER NOT NULL DEFAULT 0, data_version INTEGER NOT NULL
  DEFAULT 0, data1 TEXT, data2 TEXT, data3 TEXT, data4 TEXT, data5 TEXT, data6 TEXT,
  data7 TEXT, data8 TEXT, data9 TEXT, data10 TEXT, data11 TEXT, data12 TEXT, data13 TEXT,
  data14 TEXT, data15 TEXT);
CREATE TABLE phone_lookup (data_id INTEGER REFERENCES data(_id) NOT NULL, raw_contact_id
  INTEGER REFERENCES raw_contacts(_id) NOT NULL, normalized_number TEXT NOT NULL,
  min_match TEXT NOT NULL);
"""

MIMETYPES = {
    1: "vnd.android.cursor.item/email_v2",
    5: "vnd.android.cursor.item/phone_v2",
    7: "vnd.android.cursor.item/name",
    9: "vnd.android.cursor.item/photo",
    10: "vnd.com.whatsapp.profile",
}


def make_contacts2(path: Path, with_calls: bool = False) -> None:
    """The holder's address book: Dan, Sophie, Mercer Plumbing (deleted), Dan Price; Dan
    also synced by WhatsApp (the same entry again). ``with_calls``: the older layout with the
    call log in this database."""
    conn = _db(path, CONTACTS_SCHEMA + (CALLS_TABLE if with_calls else ""))
    conn.executemany(
        "INSERT INTO accounts (_id, account_name, account_type) VALUES (?, ?, ?)",
        [(1, "hannah.price@example.org", "com.google"), (2, "WhatsApp", "com.whatsapp")],
    )
    conn.executemany("INSERT INTO mimetypes (_id, mimetype) VALUES (?, ?)", MIMETYPES.items())
    raw = [(1, 1, "Dan", 0), (2, 1, "Sophie", 0), (3, 1, "Mercer Plumbing", 1),
           (4, 1, "Dan Price", 0), (5, 2, "Dan", 0)]  # fmt: skip
    conn.executemany(
        "INSERT INTO raw_contacts (_id, account_id, display_name, deleted) VALUES (?,?,?,?)",
        raw,
    )
    data = [
        # _id, mimetype, raw_contact, data1, data2 (type), data4 (normalized)
        (1, 7, 1, "Dan", "Dan", None),
        (2, 5, 1, "07700 900123", "2", DAN),
        (3, 1, 1, "dmercer88@mail.example.com", "1", None),
        (4, 7, 2, "Sophie", "Sophie", None),
        (5, 5, 2, SOPHIE, "2", SOPHIE),
        (6, 7, 3, "Mercer Plumbing", "Mercer Plumbing", None),
        (7, 5, 3, PLUMBER, "3", "+447700900444"),
        (8, 7, 4, "Dan Price", "Dan", None),
        (9, 5, 4, DAN_PRICE, "2", DAN_PRICE),
        (10, 5, 5, "+44 7700 900123", "2", DAN),
        (11, 10, 5, "447700900123@s.whatsapp.net", "WhatsApp", None),
    ]
    conn.executemany(
        "INSERT INTO data (_id, mimetype_id, raw_contact_id, data1, data2, data4) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        data,
    )
    if with_calls:
        _calls(conn)
    conn.commit()
    conn.close()


# ---- WhatsApp ---------------------------------------------------------------------------

WA_SCHEMA = """
CREATE TABLE wa_contacts (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT NOT NULL,
  is_whatsapp_user BOOLEAN NOT NULL, status TEXT, status_timestamp INTEGER, number TEXT,
  raw_contact_id INTEGER, display_name TEXT, phone_type INTEGER, phone_label TEXT,
  unseen_msg_count INTEGER, photo_ts INTEGER, thumb_ts INTEGER, photo_id_timestamp INTEGER,
  given_name TEXT, family_name TEXT, wa_name TEXT, sort_name TEXT, nickname TEXT,
  company TEXT, title TEXT, status_autodownload_disabled INTEGER);
CREATE TABLE wa_vnames (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid TEXT NOT NULL,
  serial INTEGER, issuer TEXT, expires INTEGER, verified_name TEXT, industry TEXT,
  city TEXT, country TEXT, verified_level INTEGER, identity_unconfirmed_since INTEGER);
"""

GROUP = "447700900461-1709300000@g.us"


def jid(number: str) -> str:
    return number.lstrip("+") + "@s.whatsapp.net"


def make_wa(path: Path) -> None:
    """wa.db: Dan saved as "Dan", his new number unsaved (his own WhatsApp name shows),
    Sophie saved, the group."""
    conn = _db(path, WA_SCHEMA)
    conn.executemany(
        "INSERT INTO wa_contacts (jid, is_whatsapp_user, number, display_name, wa_name) "
        "VALUES (?, 1, ?, ?, ?)",
        [
            (jid(DAN), "07700 900123", "Dan", "Daniel"),
            (jid(DAN_NEW), None, None, "D"),
            (jid(SOPHIE), SOPHIE, "Sophie", "Sophie T"),
            (GROUP, None, None, None),
        ],
    )
    conn.commit()
    conn.close()


MSGSTORE_SCHEMA = """
CREATE TABLE props (_id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, value TEXT);
CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT
  NULL, agent INTEGER, device INTEGER, type INTEGER, raw_string TEXT);
CREATE TABLE chat (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER UNIQUE, hidden
  INTEGER, subject TEXT, created_timestamp INTEGER, display_message_row_id INTEGER,
  last_message_row_id INTEGER, last_read_message_row_id INTEGER, archived INTEGER,
  sort_timestamp INTEGER, mod_tag INTEGER, group_type INTEGER);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL,
  from_me INTEGER NOT NULL, key_id TEXT NOT NULL, sender_jid_row_id INTEGER, status INTEGER,
  broadcast INTEGER, recipient_count INTEGER, participant_hash TEXT, origination_flags
  INTEGER, origin INTEGER, timestamp INTEGER, received_timestamp INTEGER,
  receipt_server_timestamp INTEGER, message_type INTEGER, text_data TEXT, starred INTEGER,
  lookup_tables INTEGER, message_add_on_flags INTEGER, sort_id INTEGER NOT NULL DEFAULT 0);
CREATE TABLE message_media (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER,
  autotransfer_retry_enabled INTEGER, multicast_id TEXT, media_job_uuid TEXT, transferred
  INTEGER, transcoded INTEGER, file_path TEXT, file_size INTEGER, suspicious_content INTEGER,
  trim_from INTEGER, trim_to INTEGER, face_x INTEGER, face_y INTEGER, media_key BLOB,
  media_key_timestamp INTEGER, width INTEGER, height INTEGER, has_streaming_sidecar INTEGER,
  gif_attribution INTEGER, thumbnail_height_width_ratio REAL, direct_path TEXT,
  first_scan_sidecar BLOB, first_scan_length INTEGER, message_url TEXT, mime_type TEXT,
  file_length INTEGER, media_name TEXT, file_hash TEXT, media_duration INTEGER, page_count
  INTEGER, enc_file_hash TEXT, partial_media_hash TEXT, partial_media_enc_hash TEXT,
  is_animated_sticker INTEGER, original_file_hash TEXT, mute_video INTEGER, media_caption TEXT);
CREATE TABLE message_system (message_row_id INTEGER PRIMARY KEY, action_type INTEGER NOT NULL);
CREATE TABLE message_revoked (message_row_id INTEGER PRIMARY KEY, revoked_key_id TEXT NOT
  NULL, admin_jid_row_id INTEGER, revoke_timestamp INTEGER);
CREATE TABLE message_quoted (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER NOT NULL,
  parent_message_chat_row_id INTEGER NOT NULL, from_me INTEGER NOT NULL, sender_jid_row_id
  INTEGER, key_id TEXT NOT NULL, timestamp INTEGER, message_type INTEGER, origin INTEGER,
  text_data TEXT, payment_transaction_id TEXT, lookup_tables INTEGER);
CREATE TABLE message_forwarded (message_row_id INTEGER PRIMARY KEY, forward_score INTEGER);
CREATE TABLE message_edit_info (message_row_id INTEGER PRIMARY KEY, original_key_id TEXT NOT
  NULL, edited_timestamp INTEGER NOT NULL, sender_timestamp INTEGER NOT NULL);
CREATE TABLE message_location (message_row_id INTEGER PRIMARY KEY, chat_row_id INTEGER,
  latitude REAL, longitude REAL, place_name TEXT, place_address TEXT, url TEXT,
  live_location_share_duration INTEGER, live_location_sequence_number INTEGER,
  live_location_final_latitude REAL, live_location_final_longitude REAL,
  live_location_final_timestamp INTEGER, map_download_status INTEGER);
CREATE TABLE group_participant_user (_id INTEGER PRIMARY KEY AUTOINCREMENT, group_jid_row_id
  INTEGER NOT NULL, user_jid_row_id INTEGER NOT NULL, rank INTEGER, pending INTEGER,
  add_timestamp INTEGER, label TEXT);
CREATE TABLE call_log (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER, from_me
  INTEGER, call_id TEXT, transaction_id INTEGER, timestamp INTEGER, video_call INTEGER,
  duration INTEGER, call_result INTEGER, bytes_transferred INTEGER, group_jid_row_id INTEGER
  NOT NULL DEFAULT 0, is_joinable_group_call INTEGER, call_creator_device_jid_row_id INTEGER
  NOT NULL DEFAULT 0, call_random_id TEXT, call_link_row_id INTEGER NOT NULL DEFAULT 0,
  is_dnd_mode_on INTEGER, call_type INTEGER, offer_silence_reason INTEGER);
"""

# The storyline, one row per message: chat, from_me, sender (groups), time, type, text,
# media path, caption, extras.
WA_STORY: list[tuple[str, int, str | None, str, int, str | None, str | None, str | None, dict[str, Any]]] = [
    (DAN, 0, None, "2024-03-04T19:00:00Z", 0, "You looked nice today", None, None, {}),
    (DAN, 1, None, "2024-03-04T19:05:00Z", 0, "Leave me alone", None, None, {"quoted": 1}),
    (DAN, 0, None, "2024-03-04T19:06:00Z", 1, "", "Media/WhatsApp Images/IMG-20240304-WA0001.jpg",
     "Outside your house", {}),
    (DAN, 0, None, "2024-03-04T19:07:00Z", 15, None, None, None, {"revoked": "3EB0AA01"}),
    (DAN_NEW, 0, None, "2024-03-09T22:45:00Z", 0, "Blocked me again?", None, None,
     {"forwarded": True}),
    (GROUP, 0, None, "2024-03-10T12:00:00Z", 7, None, None, None, {"action": 12}),
    (GROUP, 0, SOPHIE, "2024-03-10T12:01:00Z", 0, "Are you ok Hannah?", None, None,
     {"edited": True}),
    (GROUP, 1, None, "2024-03-10T12:02:00Z", 5, None, None, None,
     {"location": (51.5007, -0.1246)}),
]  # fmt: skip


def make_msgstore(path: Path, bulk: int = 0, seed: int = 13) -> None:
    """msgstore.db in the current schema: the storyline (1:1 chats with Dan's two numbers,
    a group with Dan and Sophie, media, a revoked message, a reply, a forward, an edit, a
    location, a system line), two calls; ``bulk`` more text messages after it (benchmarks)."""
    conn = _db(path, MSGSTORE_SCHEMA)
    jids = {}
    for n, raw in enumerate([jid(DAN), jid(DAN_NEW), jid(SOPHIE), GROUP], start=1):
        user, server = raw.split("@")
        conn.execute(
            "INSERT INTO jid (_id, user, server, agent, device, type, raw_string) "
            "VALUES (?, ?, ?, 0, 0, ?, ?)",
            (n, user, server, 1 if server == "g.us" else 0, raw),
        )
        jids[raw] = n
    chats = {}
    for n, raw in enumerate([jid(DAN), jid(DAN_NEW), GROUP], start=1):
        subject = "Hannah & friends" if raw == GROUP else None
        conn.execute(
            "INSERT INTO chat (_id, jid_row_id, hidden, subject) VALUES (?, ?, 0, ?)",
            (n, jids[raw], subject),
        )
        chats[raw] = n
    conn.executemany(
        "INSERT INTO group_participant_user (group_jid_row_id, user_jid_row_id, rank) "
        "VALUES (?, ?, 0)",
        [(jids[GROUP], jids[jid(DAN)]), (jids[GROUP], jids[jid(SOPHIE)])],
    )
    # WhatsApp's placeholder first row: chat -1.
    conn.execute(
        "INSERT INTO message (_id, chat_row_id, from_me, key_id, timestamp, message_type) "
        "VALUES (1, -1, 0, '-1', 0, 0)"
    )
    for n, (who, mine, sender, when, mtype, text, media, caption, extra) in enumerate(
        WA_STORY, start=2
    ):
        chat_raw = jid(who) if who.startswith("+") else who
        key = f"3EB0AA{n:02d}"
        conn.execute(
            "INSERT INTO message (_id, chat_row_id, from_me, key_id, sender_jid_row_id, "
            "status, timestamp, received_timestamp, message_type, text_data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (n, chats[chat_raw], mine, key, jids[jid(sender)] if sender else 0,
             13 if mine else 0, ms(when), ms(when) + 900, mtype, text),
        )  # fmt: skip
        if media:
            conn.execute(
                "INSERT INTO message_media (message_row_id, chat_row_id, file_path, mime_type, "
                "media_caption, file_size) VALUES (?, ?, ?, 'image/jpeg', ?, 48213)",
                (n, chats[chat_raw], media, caption),
            )
        if "revoked" in extra:
            conn.execute(
                "INSERT INTO message_revoked (message_row_id, revoked_key_id, revoke_timestamp) "
                "VALUES (?, ?, ?)",
                (n, extra["revoked"], ms(when) + 1000),
            )
        if "action" in extra:
            conn.execute("INSERT INTO message_system VALUES (?, ?)", (n, extra["action"]))
        if "quoted" in extra:
            conn.execute(
                "INSERT INTO message_quoted (message_row_id, chat_row_id, "
                "parent_message_chat_row_id, from_me, key_id, text_data) VALUES (?,?,?,0,?,?)",
                (n, chats[chat_raw], chats[chat_raw], "3EB0AA02", "You looked nice today"),
            )
        if extra.get("forwarded"):
            conn.execute("INSERT INTO message_forwarded VALUES (?, 1)", (n,))
        if extra.get("edited"):
            conn.execute(
                "INSERT INTO message_edit_info VALUES (?, ?, ?, ?)",
                (n, key, ms(when) + 60000, ms(when)),
            )
        if "location" in extra:
            lat, lon = extra["location"]
            conn.execute(
                "INSERT INTO message_location (message_row_id, chat_row_id, latitude, longitude)"
                " VALUES (?, ?, ?, ?)",
                (n, chats[chat_raw], lat, lon),
            )
    conn.executemany(
        "INSERT INTO call_log (jid_row_id, from_me, call_id, timestamp, video_call, duration, "
        "call_result) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (jids[jid(DAN)], 0, "call-1", ms("2024-03-04T22:00:00Z"), 0, 0, 2),
            (jids[jid(SOPHIE)], 1, "call-2", ms("2024-03-10T12:30:00Z"), 1, 95, 5),
        ],
    )
    if bulk:
        _bulk(conn, chats[jid(DAN)], bulk, seed)
    conn.commit()
    conn.close()


_WORDS = [
    "you",
    "me",
    "call",
    "now",
    "why",
    "where",
    "home",
    "later",
    "please",
    "stop",
    "answer",
    "tonight",
    "okay",
    "fine",
]


def _bulk(conn: sqlite3.Connection, chat: int, count: int, seed: int) -> None:
    rnd = random.Random(seed)
    start = ms("2024-04-01T00:00:00Z")
    first = int(conn.execute("SELECT max(_id) FROM message").fetchone()[0]) + 1
    batch = []
    for i in range(count):
        words = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(3, 12)))
        batch.append(
            (first + i, chat, i % 2, f"BULK{i:08d}", start + i * 7000, 0, words, first + i)
        )
        if len(batch) == 10000:
            _insert_bulk(conn, batch)
            batch = []
    _insert_bulk(conn, batch)


def _insert_bulk(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    conn.executemany(
        "INSERT INTO message (_id, chat_row_id, from_me, key_id, timestamp, message_type, "
        "text_data, sort_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


LEGACY_SCHEMA = """
CREATE TABLE messages (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT NOT NULL,
  key_from_me INTEGER, key_id TEXT NOT NULL, status INTEGER, needs_push INTEGER, data TEXT,
  timestamp INTEGER, media_url TEXT, media_mime_type TEXT, media_wa_type TEXT, media_size
  INTEGER, media_name TEXT, media_caption TEXT, media_hash TEXT, media_duration INTEGER,
  origin INTEGER, latitude REAL, longitude REAL, thumb_image TEXT, remote_resource TEXT,
  received_timestamp INTEGER, send_timestamp INTEGER, receipt_server_timestamp INTEGER,
  receipt_device_timestamp INTEGER, read_device_timestamp INTEGER, played_device_timestamp
  INTEGER, raw_data BLOB, recipient_count INTEGER, participant_hash TEXT, starred INTEGER,
  quoted_row_id INTEGER, mentioned_jids TEXT, multicast_id TEXT, edit_version INTEGER,
  media_enc_hash TEXT, payment_transaction_id TEXT, forwarded INTEGER, preview_type INTEGER,
  send_count INTEGER);
CREATE TABLE chat_list (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT UNIQUE,
  message_table_id INTEGER, subject TEXT, creation INTEGER, last_read_message_table_id
  INTEGER, last_read_receipt_sent_message_table_id INTEGER, archived INTEGER, sort_timestamp
  INTEGER, mod_tag INTEGER, gen REAL, my_messages INTEGER, plaintext_disabled BOOLEAN);
CREATE TABLE group_participants (_id INTEGER PRIMARY KEY AUTOINCREMENT, gjid TEXT NOT NULL,
  jid TEXT NOT NULL, admin INTEGER, pending INTEGER, sent_sender_key INTEGER);
CREATE TABLE messages_quotes (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT NOT
  NULL, key_from_me INTEGER, key_id TEXT NOT NULL, status INTEGER, data TEXT, timestamp
  INTEGER, media_wa_type TEXT, remote_resource TEXT);
CREATE TABLE receipts (_id INTEGER PRIMARY KEY AUTOINCREMENT, key_remote_jid TEXT NOT NULL,
  key_id TEXT NOT NULL, remote_resource TEXT, receipt_device_timestamp INTEGER,
  read_device_timestamp INTEGER, played_device_timestamp INTEGER);
"""


def make_msgstore_legacy(path: Path) -> None:
    """msgstore.db in the legacy schema (before 2021): the same storyline's first lines,
    a group with a system line (status 6) and Sophie's message (remote_resource)."""
    conn = _db(path, LEGACY_SCHEMA)
    conn.executemany(
        "INSERT INTO chat_list (key_remote_jid, subject) VALUES (?, ?)",
        [(jid(DAN), None), (GROUP, "Hannah & friends")],
    )
    conn.executemany(
        "INSERT INTO group_participants (gjid, jid, admin) VALUES (?, ?, 0)",
        [(GROUP, jid(DAN)), (GROUP, jid(SOPHIE)), (GROUP, "")],
    )
    conn.execute(
        "INSERT INTO messages_quotes (_id, key_remote_jid, key_from_me, key_id, data) "
        "VALUES (1, ?, 0, 'LEG0002', 'You looked nice today')",
        (jid(DAN),),
    )
    rows = [
        # key_remote_jid, from_me, key_id, status, data, time, wa_type, media_name, caption,
        # remote_resource, quoted_row_id
        ("-1", 0, "-1", -1, None, 0, "0", None, None, None, None),
        (jid(DAN), 0, "LEG0002", 0, "You looked nice today", "2024-03-04T19:00:00Z", "0",
         None, None, None, None),
        (jid(DAN), 1, "LEG0003", 13, "Leave me alone", "2024-03-04T19:05:00Z", "0", None,
         None, None, 1),
        (jid(DAN), 0, "LEG0004", 0, None, "2024-03-04T19:06:00Z", "1",
         "IMG-20240304-WA0001.jpg", "Outside your house", None, None),
        (jid(DAN), 0, "LEG0005", 0, None, "2024-03-04T19:07:00Z", "15", None, None, None,
         None),
        (GROUP, 0, "LEG0006", 6, None, "2024-03-10T12:00:00Z", "0", None, None, jid(DAN),
         None),
        (GROUP, 0, "LEG0007", 0, "Are you ok Hannah?", "2024-03-10T12:01:00Z", "0", None,
         None, jid(SOPHIE), None),
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO messages (key_remote_jid, key_from_me, key_id, status, data, timestamp, "
        "media_wa_type, media_name, media_caption, remote_resource, quoted_row_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*r[:5], ms(r[5]) if isinstance(r[5], str) else r[5], *r[6:]) for r in rows],
    )
    conn.commit()
    conn.close()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    make_mmssms(out / "mmssms.db")
    make_calllog(out / "calllog.db")
    make_contacts2(out / "contacts2.db")
    make_wa(out / "wa.db")
    make_msgstore(out / "msgstore.db")
    make_msgstore_legacy(out / "msgstore-legacy.db")


if __name__ == "__main__":
    main(Path(sys.argv[1]))


# ---- encrypted backups ------------------------------------------------------------------

#: The test backup key (64 hex digits, as WhatsApp shows it for end-to-end encrypted backups).
TEST_HEX_KEY = "0f" * 8 + "1e" * 8 + "2d" * 8 + "3c" * 8


def _pb_bytes(field: int, value: bytes) -> bytes:
    assert len(value) < 128
    return bytes([field << 3 | 2, len(value)]) + value


def make_key_file(seed: int = 14) -> bytes:
    """A 158-byte crypt14 ``key`` file: a Java-serialised header, then salts, the 32-byte
    key last (bytes 126-158)."""
    rnd = random.Random(seed)
    head = b"\xac\xed\x00\x05\x75\x72\x00\x02\x5b\x42\xac\xf3\x17\xf8\x06\x08\x54\xe0\x02\x00\x00\x78\x70\x00\x00\x00\x83"
    return head + bytes(rnd.randrange(256) for _ in range(158 - len(head)))


def _seal(plain_db: bytes, key: bytes, iv: bytes, header: bytes, md5: bool) -> bytes:
    import hashlib

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    sealed = AESGCM(key).encrypt(iv, zlib.compress(plain_db), None)  # ciphertext + tag
    body = header + sealed
    return body + (hashlib.md5(body).digest() if md5 else b"")


def make_crypt14(plain_db: bytes, key_file: bytes, seed: int = 14) -> bytes:
    """msgstore.db.crypt14 with a protobuf header (key type 0, the c14 cipher fields)."""
    rnd = random.Random(seed)
    iv = bytes(rnd.randrange(256) for _ in range(16))
    cipher = (
        b"\x08\x00"
        + _pb_bytes(2, b"\x02")
        + _pb_bytes(3, bytes(rnd.randrange(256) for _ in range(32)))
        + _pb_bytes(4, bytes(rnd.randrange(256) for _ in range(32)))
        + _pb_bytes(5, iv)
    )
    proto = b"\x08\x00" + _pb_bytes(2, cipher) + _pb_bytes(5, _pb_bytes(1, b"2.24.5.76"))
    return _seal(plain_db, key_file[126:158], iv, bytes([len(proto), 1]) + proto, md5=True)


def make_crypt15(
    plain_db: bytes, hex_key: str = TEST_HEX_KEY, seed: int = 15, md5: bool = True
) -> bytes:
    """msgstore.db.crypt15 (end-to-end encrypted backup) for the 64-digit key; ``md5``:
    with the MD5 trailer most versions write."""
    import hashlib
    import hmac

    rnd = random.Random(seed)
    iv = bytes(rnd.randrange(256) for _ in range(16))
    prk = hmac.new(b"\x00" * 32, bytes.fromhex(hex_key), hashlib.sha256).digest()
    key = hmac.new(prk, b"backup encryption\x01", hashlib.sha256).digest()
    proto = b"\x08\x01" + _pb_bytes(3, _pb_bytes(1, iv)) + _pb_bytes(5, _pb_bytes(1, b"2.24.5.76"))
    return _seal(plain_db, key, iv, bytes([len(proto), 1]) + proto, md5=md5)

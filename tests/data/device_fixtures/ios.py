"""Generator of iPhone databases: sms.db, ChatStorage.sqlite, ContactsV2.sqlite,
CallHistory.storedata and AddressBook.sqlitedb, with the real table and column names.

Made from public descriptions of the schemas (the queries of iLEAPP and other open parsers
were read for table and column names and value meanings; no code taken). What differs by
iOS version is kept: ``sms.db`` times in seconds before iOS 11 and nanoseconds after,
``destination_caller_id`` and ``message_summary_info`` from iOS 11/12, ``thread_originator_guid``
from iOS 14, ``date_edited``/``date_retracted`` and text only in ``attributedBody`` from
iOS 16. Variants: ``ios10``, ``ios12``, ``ios14``, ``ios16``, ``ios17``.

The storyline is case-alpha's, seen from Hannah Price's iPhone (+44 7700 900461): Daniel
Mercer writes from +44 7700 900123 ("Dan" in her contacts) and from +44 7700 900987, Sophie
Turner is +44 7700 900678, Dan Price +44 7700 900333 (the same numbers as the exports, so the
aliases can join the device and the exports). No real person's data.

Each ``make_*`` writes one database to ``path`` and returns the device paths of the files it
names (attachments, media) so a backup generator can add them.
"""

from __future__ import annotations

import plistlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HOLDER = "+447700900461"
DAN, DAN_NEW, SOPHIE, DAN_PRICE, PLUMBER = (
    "+447700900123", "+447700900987", "+447700900678", "+447700900333", "07700 900444",
)  # fmt: skip
COCOA = datetime(2001, 1, 1, tzinfo=UTC)
VARIANTS = ("ios10", "ios12", "ios14", "ios16", "ios17")


def at(text: str) -> datetime:
    """A UTC instant from ``2024-03-01T19:12:41Z``."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def cocoa_s(when: datetime) -> int:
    """Seconds since 2001-01-01 UTC (older sms.db, CallHistory, ChatStorage use fractions)."""
    return int((when - COCOA).total_seconds())


def cocoa_ns(when: datetime) -> int:
    """Nanoseconds since 2001-01-01 UTC (sms.db from iOS 11)."""
    delta = when - COCOA
    return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000


# --- typedstream: how Messages archives an NSAttributedString (attributedBody) --------------


def _ts_int(n: int) -> bytes:
    if 0 <= n < 0x80:
        return bytes([n])
    if -0x8000 <= n < 0x8000:
        return b"\x81" + n.to_bytes(2, "little", signed=True)
    return b"\x82" + n.to_bytes(4, "little", signed=True)


def attributed_body(text: str) -> bytes:
    """An ``attributedBody`` as Messages writes it: the string, then one attribute run
    (part 0, ``__kIMMessagePartAttributeName``) over its length in UTF-16 units."""
    data = text.encode("utf-8")
    units = len(text.encode("utf-16-le")) // 2
    return (
        b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00"
        b"\x84\x84\x08NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+"
        + _ts_int(len(data))
        + data
        + b"\x86\x84\x02iI\x01"
        + _ts_int(units)
        + b"\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x84\x01i\x01\x92\x84\x96\x96"
        b"\x1d__kIMMessagePartAttributeName\x86\x92\x84\x84\x84\x08NSNumber\x00"
        b"\x84\x84\x07NSValue\x00\x94\x84\x01*\x84\x99\x99\x00\x86\x86\x86"
    )


# --- sms.db ------------------------------------------------------------------------------

_MESSAGE_BASE = (
    "ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT, "
    "replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, "
    "country TEXT, attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, "
    "service TEXT, account TEXT, account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, "
    "date_read INTEGER, date_delivered INTEGER, is_delivered INTEGER DEFAULT 0, "
    "is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0, "
    "is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0, is_auto_reply INTEGER DEFAULT 0, "
    "is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0, "
    "is_system_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, "
    "has_dd_results INTEGER DEFAULT 0, is_service_message INTEGER DEFAULT 0, "
    "is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0, "
    "is_archive INTEGER DEFAULT 0, cache_has_attachments INTEGER DEFAULT 0, "
    "cache_roomnames TEXT, was_data_detected INTEGER DEFAULT 0, "
    "was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0, "
    "is_played INTEGER DEFAULT 0, date_played INTEGER, item_type INTEGER DEFAULT 0, "
    "other_handle INTEGER DEFAULT 0, group_title TEXT, group_action_type INTEGER DEFAULT 0, "
    "share_status INTEGER DEFAULT 0, share_direction INTEGER DEFAULT 0, "
    "is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0, "
    "message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0, "
    "associated_message_guid TEXT, associated_message_type INTEGER DEFAULT 0, "
    "balloon_bundle_id TEXT, payload_data BLOB, expressive_send_style_id TEXT, "
    "associated_message_range_location INTEGER DEFAULT 0, "
    "associated_message_range_length INTEGER DEFAULT 0, time_expressive_send_played INTEGER"
)
_MESSAGE_IOS12 = (
    ", message_summary_info BLOB, ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT, "
    "ck_record_change_tag TEXT, destination_caller_id TEXT, sr_ck_sync_state INTEGER DEFAULT 0, "
    "sr_ck_record_id TEXT, sr_ck_record_change_tag TEXT, is_corrupt INTEGER DEFAULT 0, "
    "reply_to_guid TEXT, sort_id INTEGER, is_spam INTEGER DEFAULT 0"
)
_MESSAGE_IOS14 = (
    ", has_unseen_mention INTEGER DEFAULT 0, thread_originator_guid TEXT, "
    "thread_originator_part TEXT, syndication_ranges TEXT, "
    "was_delivered_quietly INTEGER DEFAULT 0, did_notify_recipient INTEGER DEFAULT 0, "
    "synced_syndication_ranges TEXT"
)
_MESSAGE_IOS16 = (
    ", date_retracted INTEGER DEFAULT 0, date_edited INTEGER DEFAULT 0, "
    "was_detonated INTEGER DEFAULT 0, part_count INTEGER"
)
_MESSAGE_IOS17 = (
    ", is_stewie INTEGER DEFAULT 0, is_kt_verified INTEGER DEFAULT 0, is_sos INTEGER DEFAULT 0, "
    "is_critical INTEGER DEFAULT 0, bia_reference_id TEXT DEFAULT NULL, "
    "fallback_hash TEXT DEFAULT NULL"
)
_SMS_TABLES = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL,
  country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT,
  UNIQUE (id, service));
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
  style INTEGER, state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT,
  service_name TEXT, room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0,
  last_addressed_handle TEXT, display_name TEXT, group_id TEXT, is_filtered INTEGER DEFAULT 0,
  successful_query INTEGER);
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
  created_date INTEGER DEFAULT 0, start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT,
  mime_type TEXT, transfer_state INTEGER DEFAULT 0, is_outgoing INTEGER DEFAULT 0,
  user_info BLOB, transfer_name TEXT, total_bytes INTEGER DEFAULT 0);
CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
  handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID)
  ON DELETE CASCADE, attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE,
  UNIQUE(message_id, attachment_id));
CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE,
  message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0,
  PRIMARY KEY (chat_id, message_id));
"""
_SMS_INDEXES = """
CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join(message_id);
CREATE INDEX message_idx_handle ON message(handle_id, date);
CREATE INDEX chat_handle_join_idx_handle_id ON chat_handle_join(handle_id);
CREATE INDEX message_attachment_join_idx_message_id ON message_attachment_join(message_id);
"""


@dataclass
class SmsChat:
    """A group chat: its identifier (``chat123...``), name and members' handles."""

    identifier: str
    name: str | None
    members: tuple[str, ...]
    service: str = "iMessage"


@dataclass
class SmsMessage:
    """One row of ``message``. ``party`` is the other handle (one-to-one) or a group chat's
    identifier; in a group, ``sender`` is who wrote an incoming message."""

    when: datetime
    text: str
    party: str
    from_me: bool = False
    service: str = "SMS"
    sender: str | None = None
    delivered: datetime | None = None
    read: datetime | None = None
    attachments: tuple[tuple[str, str], ...] = ()  # (file name, MIME type)
    edited: datetime | None = None
    retracted: datetime | None = None
    item_type: int = 0
    group_action_type: int = 0
    other: str | None = None
    group_title: str | None = None
    error: int = 0
    subject: str | None = None
    reply_to: str | None = None  # index of the message replied to (thread_originator_guid)
    extra: dict[str, object] = field(default_factory=dict)


def sms_chats() -> list[SmsChat]:
    return [SmsChat("chat584019273645", "Friends", (SOPHIE, DAN_PRICE))]


def sms_storyline() -> list[SmsMessage]:
    """Hannah's Messages: SMS and iMessage with Daniel Mercer's two numbers, Sophie, a
    group chat, a photo, an edited and an unsent message, a contact card by MMS."""
    m = SmsMessage
    return [
        m(at("2024-03-01T19:12:41Z"), "Hi Hannah, it's Dan. Can we talk?", DAN,
          read=at("2024-03-01T19:14:02Z")),
        m(at("2024-03-01T19:15:10Z"), "Please leave me alone.", DAN, from_me=True,
          delivered=at("2024-03-01T19:15:12Z")),
        m(at("2024-03-02T08:00:05Z"), "New number. You can't block me forever.", DAN_NEW,
          service="iMessage", delivered=at("2024-03-02T08:00:06Z"),
          read=at("2024-03-02T08:30:00Z")),
        m(at("2024-03-02T08:31:00Z"), "Look what he sent me this morning", SOPHIE,
          from_me=True, service="iMessage",
          attachments=(("IMG_0001.HEIC", "image/heic"),)),
        m(at("2024-03-02T08:33:20Z"), "Are you ok? Call me", "chat584019273645",
          service="iMessage", sender=SOPHIE),
        m(at("2024-03-02T08:34:00Z"), "", "chat584019273645", from_me=True,
          service="iMessage", item_type=2, group_title="Friends"),
        m(at("2024-03-02T08:35:00Z"), "I'm fine, going to the police", "chat584019273645",
          from_me=True, service="iMessage"),
        m(at("2024-03-03T22:01:00Z"), "I only want to talk", DAN_NEW, service="iMessage",
          edited=at("2024-03-03T22:02:00Z")),
        m(at("2024-03-03T22:05:00Z"), "", DAN_NEW, service="iMessage",
          edited=at("2024-03-03T22:06:00Z"), retracted=at("2024-03-03T22:06:00Z")),
        m(at("2024-03-04T10:00:00Z"), "", PLUMBER, service="SMS",
          attachments=(("Mercer Plumbing.vcf", "text/vcard"),)),
        m(at("2024-03-04T10:05:00Z"), "Sorry, wrong number?", PLUMBER, from_me=True,
          error=4),
        m(at("2024-03-05T12:00:00Z"), "Did he reply?", SOPHIE, service="iMessage",
          reply_to="3"),
    ]  # fmt: skip


def _message_table(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")
    n = VARIANTS.index(variant)
    parts = [_MESSAGE_BASE, _MESSAGE_IOS12, _MESSAGE_IOS14, _MESSAGE_IOS16, _MESSAGE_IOS17]
    return "CREATE TABLE message (" + "".join(parts[: max(1, n + 1)]) + ");"


def attachment_path(guid: str, name: str) -> str:
    """The ``attachment.filename`` Messages writes (``~/Library/SMS/Attachments/xx/yy/``)."""
    return f"~/Library/SMS/Attachments/{guid[-2:].lower()}/{guid[:2].lower()}/{guid}/{name}"


def make_sms_db(
    path: Path,
    variant: str = "ios17",
    messages: Iterable[SmsMessage] | None = None,
    chats: Iterable[SmsChat] | None = None,
    *,
    holder: str = HOLDER,
) -> list[str]:
    """Write an sms.db; returns the device paths (``MediaDomain/...``) of its attachments."""
    table = _message_table(variant)
    modern = variant != "ios10"
    attributed_only = variant in ("ios16", "ios17")
    has = {c.split()[0] for c in table[len("CREATE TABLE message (") : -2].split(", ")}
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(_SMS_TABLES + table + _SMS_INDEXES)
    handles: dict[tuple[str, str], int] = {}
    chat_ids: dict[tuple[str, str], int] = {}
    groups = {c.identifier: c for c in (sms_chats() if chats is None else chats)}
    paths: list[str] = []

    def handle(ident: str, service: str) -> int:
        if (ident, service) not in handles:
            cur = conn.execute(
                "INSERT INTO handle (id, country, service, uncanonicalized_id) VALUES (?,?,?,?)",
                (ident, "gb", service, ident.replace(" ", "")),
            )
            handles[(ident, service)] = int(cur.lastrowid or 0)
        return handles[(ident, service)]

    def chat(party: str, service: str) -> int:
        if (party, service) not in chat_ids:
            group = groups.get(party)
            style = 43 if group else 45
            prefix = "any" if service == "iMessage" else service
            cur = conn.execute(
                "INSERT INTO chat (guid, style, state, chat_identifier, service_name, "
                "display_name, account_login) VALUES (?,?,?,?,?,?,?)",
                (f"{prefix};{'+' if group else '-'};{party}", style, 3, party, service,
                 group.name if group else "", f"P:{holder}"),
            )  # fmt: skip
            chat_ids[(party, service)] = cid = int(cur.lastrowid or 0)
            for member in group.members if group else (party,):
                conn.execute(
                    "INSERT INTO chat_handle_join VALUES (?, ?)", (cid, handle(member, service))
                )
        return chat_ids[(party, service)]

    guids: list[str] = []
    for i, msg in enumerate(sms_storyline() if messages is None else messages):
        guid = f"{0x1F3A0000 + i:08X}-7C1D-4B2E-9A6F-{i:012X}"
        guids.append(guid)
        stamp = cocoa_ns if modern else cocoa_s
        group = groups.get(msg.party)
        other = msg.sender if group else msg.party
        row: dict[str, object] = {
            "guid": guid,
            "text": None if attributed_only and msg.text else msg.text,
            "attributedBody": attributed_body(msg.text) if msg.text and modern else None,
            "handle_id": 0 if msg.from_me or other is None else handle(other, msg.service),
            "service": msg.service,
            "account": f"p:{holder}" if msg.service == "SMS" else f"P:{holder}",
            "error": msg.error,
            "date": stamp(msg.when),
            "date_read": stamp(msg.read) if msg.read else 0,
            "date_delivered": stamp(msg.delivered) if msg.delivered else 0,
            "is_delivered": int(msg.delivered is not None or not msg.from_me),
            "is_finished": 1,
            "is_from_me": int(msg.from_me),
            "is_read": int(msg.read is not None),
            "is_sent": int(msg.from_me and not msg.error),
            "cache_has_attachments": int(bool(msg.attachments)),
            "item_type": msg.item_type,
            "group_action_type": msg.group_action_type,
            "group_title": msg.group_title,
            "other_handle": handle(msg.other, msg.service) if msg.other else 0,
            "subject": msg.subject,
            "destination_caller_id": holder,
        }
        if msg.reply_to is not None:
            row["thread_originator_guid"] = guids[int(msg.reply_to)]
        if (msg.edited or msg.retracted) and "date_edited" in has:  # iOS 16+
            row["date_edited"] = cocoa_ns(msg.edited or msg.retracted)  # type: ignore[arg-type]
            summary: dict[str, object] = {"ep": [0], "ec": {"0": [
                {"d": cocoa_s(msg.when), "t": attributed_body("I love you")}]}}  # fmt: skip
            if msg.retracted:
                row["date_retracted"] = cocoa_ns(msg.retracted)
                summary = {"rp": [0], "otr": {"0": {"le": 0, "lo": 0}}}
            row["message_summary_info"] = plistlib.dumps(summary, fmt=plistlib.FMT_BINARY)
        row.update(msg.extra)
        row = {k: v for k, v in row.items() if k in has}
        cur = conn.execute(
            f"INSERT INTO message ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        rowid = int(cur.lastrowid or 0)
        cid = chat(msg.party, msg.service)
        conn.execute("INSERT INTO chat_message_join VALUES (?,?,?)", (cid, rowid, row["date"]))
        for k, (name, mime) in enumerate(msg.attachments):
            aguid = f"AT{i:04d}{k:02d}-0000-4000-8000-{i:012X}"
            filename = attachment_path(aguid, name)
            cur = conn.execute(
                "INSERT INTO attachment (guid, created_date, filename, mime_type, transfer_name,"
                " total_bytes, is_outgoing) VALUES (?,?,?,?,?,?,?)",
                (aguid, cocoa_s(msg.when), filename, mime, name, 1024, int(msg.from_me)),
            )
            conn.execute("INSERT INTO message_attachment_join VALUES (?,?)", (rowid, cur.lastrowid))
            paths.append("MediaDomain/" + filename[2:])
    conn.commit()
    conn.close()
    return paths


# --- CallHistory.storedata ---------------------------------------------------------------

_CALL_TABLES = """
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER,
  Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE ZCALLRECORD ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZANSWERED INTEGER, ZCALLTYPE INTEGER, ZDISCONNECTED_CAUSE INTEGER, ZFACE_TIME_DATA INTEGER,
  ZNUMBER_AVAILABILITY INTEGER, ZORIGINATED INTEGER, ZREAD INTEGER, ZJUNKCONFIDENCE INTEGER,
  ZJUNKIDENTIFICATIONCATEGORY INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT, ZADDRESS VARCHAR,
  ZDEVICE_ID VARCHAR, ZISO_COUNTRY_CODE VARCHAR, ZLOCATION VARCHAR, ZNAME VARCHAR,
  ZSERVICE_PROVIDER VARCHAR, ZUNIQUE_ID VARCHAR );
CREATE INDEX ZCALLRECORD_ZDATE_INDEX ON ZCALLRECORD (ZDATE);
"""


@dataclass
class CallRow:
    """One ``ZCALLRECORD``: ``call_type`` 1 phone, 8 FaceTime video, 16 FaceTime audio."""

    when: datetime
    address: str | bytes | None
    duration: float = 0.0
    originated: bool = False
    answered: bool = False
    call_type: int = 1
    provider: str = "com.apple.Telephony"
    name: str | None = None


def call_storyline() -> list[CallRow]:
    c = CallRow
    return [
        c(at("2024-03-01T19:20:00Z"), DAN, 0.0, name="Dan"),
        c(at("2024-03-01T19:25:30Z"), DAN, 42.6, answered=True, name="Dan"),
        c(at("2024-03-02T08:40:00Z"), SOPHIE, 310.0, originated=True, answered=True,
          name="Sophie"),
        c(at("2024-03-02T21:00:00Z"), DAN_NEW.encode(), 0.0, call_type=16,
          provider="com.apple.FaceTime"),
        c(at("2024-03-03T09:00:00Z"), DAN_PRICE, 65.2, answered=True, call_type=8,
          provider="com.apple.FaceTime", name="Dan Price"),
        c(at("2024-03-04T23:59:00Z"), "", 0.0),
    ]  # fmt: skip


def make_callhistory_db(path: Path, calls: Iterable[CallRow] | None = None) -> list[str]:
    """Write a CallHistory.storedata; it names no files (returns [])."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(_CALL_TABLES)
    conn.execute("INSERT INTO Z_PRIMARYKEY VALUES (2, 'CallRecord', 0, 0)")
    for i, c in enumerate(call_storyline() if calls is None else calls, 1):
        conn.execute(
            "INSERT INTO ZCALLRECORD (Z_PK, Z_ENT, Z_OPT, ZANSWERED, ZCALLTYPE, ZORIGINATED, "
            "ZREAD, ZDATE, ZDURATION, ZADDRESS, ZISO_COUNTRY_CODE, ZNAME, ZSERVICE_PROVIDER, "
            "ZUNIQUE_ID, ZDISCONNECTED_CAUSE, ZNUMBER_AVAILABILITY) "
            "VALUES (?,2,1,?,?,?,1,?,?,?,'gb',?,?,?,0,0)",
            (i, int(c.answered), c.call_type, int(c.originated),
             (c.when - COCOA).total_seconds(), c.duration, c.address, c.name, c.provider,
             f"5B1C{i:04d}-0000-4000-8000-{i:012d}"),
        )  # fmt: skip
    conn.commit()
    conn.close()
    return []


# --- AddressBook.sqlitedb ----------------------------------------------------------------

_AB_TABLES = """
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, First TEXT, Last TEXT,
  Middle TEXT, FirstPhonetic TEXT, MiddlePhonetic TEXT, LastPhonetic TEXT, Organization TEXT,
  Department TEXT, Note TEXT, Kind INTEGER, Birthday TEXT, JobTitle TEXT, Nickname TEXT,
  Prefix TEXT, Suffix TEXT, FirstSort TEXT, LastSort TEXT, CreationDate INTEGER,
  ModificationDate INTEGER, CompositeNameFallback TEXT, ExternalIdentifier TEXT,
  ExternalModificationTag TEXT, ExternalUUID TEXT, StoreID INTEGER, DisplayName TEXT,
  ExternalRepresentation BLOB, FirstSortSection TEXT, LastSortSection TEXT,
  FirstSortLanguageIndex INTEGER DEFAULT 2147483647,
  LastSortLanguageIndex INTEGER DEFAULT 2147483647, PersonLink INTEGER DEFAULT -1,
  ImageURI TEXT, IsPreferredName INTEGER DEFAULT 1, guid TEXT DEFAULT NULL);
CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER,
  identifier INTEGER, label INTEGER, value TEXT, guid TEXT);
CREATE TABLE ABMultiValueLabel (value TEXT, UNIQUE(value));
CREATE INDEX ABMultiValueRecordIDIndex ON ABMultiValue(record_id);
"""


@dataclass
class Contact:
    """A saved contact: names and its numbers and addresses as typed."""

    first: str | None = None
    last: str | None = None
    organization: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    nickname: str | None = None


def contact_storyline() -> list[Contact]:
    return [
        Contact("Dan", phones=("07700 900123",)),
        Contact("Sophie", "Turner", phones=(SOPHIE,), emails=("Sophie.Turner@example.org",)),
        Contact("Dan", "Price", phones=(DAN_PRICE,)),
        Contact(organization="Mercer Plumbing", phones=(PLUMBER,)),
        Contact(nickname="Mum", phones=("+44 7700 900100",)),
    ]


def make_addressbook_db(path: Path, contacts: Iterable[Contact] | None = None) -> list[str]:
    """Write an AddressBook.sqlitedb; it names no files (returns [])."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(_AB_TABLES)
    conn.executemany("INSERT INTO ABMultiValueLabel VALUES (?)",
                     [("_$!<Mobile>!$_",), ("_$!<Home>!$_",)])  # fmt: skip
    for c in contact_storyline() if contacts is None else contacts:
        cur = conn.execute(
            "INSERT INTO ABPerson (First, Last, Organization, Nickname, Kind) VALUES (?,?,?,?,0)",
            (c.first, c.last, c.organization, c.nickname),
        )
        person = cur.lastrowid
        for prop, values in ((3, c.phones), (4, c.emails)):
            for k, value in enumerate(values):
                conn.execute(
                    "INSERT INTO ABMultiValue (record_id, property, identifier, label, value) "
                    "VALUES (?,?,?,?,?)",
                    (person, prop, k, 1 if prop == 3 else 2, value),
                )
    conn.commit()
    conn.close()
    return []


# --- WhatsApp: ChatStorage.sqlite and ContactsV2.sqlite ----------------------------------

WA_SHARED = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared"
_WA_TABLES = """
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER,
  Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE TABLE ZWACHATSESSION ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZARCHIVED INTEGER, ZCONTACTABID INTEGER, ZFLAGS INTEGER, ZHIDDEN INTEGER,
  ZMESSAGECOUNTER INTEGER, ZREMOVED INTEGER, ZSESSIONTYPE INTEGER, ZSPOTLIGHTSTATUS INTEGER,
  ZUNREADCOUNT INTEGER, ZGROUPINFO INTEGER, ZLASTMESSAGE INTEGER, ZPROPERTIES INTEGER,
  ZLASTMESSAGEDATE TIMESTAMP, ZLOCATIONSHARINGENDDATE TIMESTAMP, ZCONTACTIDENTIFIER VARCHAR,
  ZCONTACTJID VARCHAR, ZETAG VARCHAR, ZLASTMESSAGETEXT VARCHAR, ZPARTNERNAME VARCHAR,
  ZSAVEDINPUT VARCHAR );
CREATE TABLE ZWAGROUPMEMBER ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZCONTACTABID INTEGER, ZISACTIVE INTEGER, ZISADMIN INTEGER, ZSENDERKEYSENT INTEGER,
  ZCHATSESSION INTEGER, ZCONTACTIDENTIFIER VARCHAR, ZCONTACTNAME VARCHAR, ZFIRSTNAME VARCHAR,
  ZMEMBERJID VARCHAR );
CREATE TABLE ZWAMEDIAITEM ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZCLOUDSTATUS INTEGER, ZFILESIZE INTEGER, ZMEDIAORIGIN INTEGER, ZMOVIEDURATION INTEGER,
  ZMESSAGE INTEGER, ZASPECTRATIO FLOAT, ZHACCURACY FLOAT, ZLATITUDE FLOAT, ZLONGITUDE FLOAT,
  ZMEDIAURLDATE TIMESTAMP, ZAUTHORNAME VARCHAR, ZCOLLECTIONNAME VARCHAR,
  ZMEDIALOCALPATH VARCHAR, ZMEDIAURL VARCHAR, ZTHUMBNAILLOCALPATH VARCHAR, ZTITLE VARCHAR,
  ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR, ZXMPPTHUMBPATH VARCHAR, ZMEDIAKEY BLOB,
  ZMETADATA BLOB );
CREATE TABLE ZWAMESSAGE ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZCHILDMESSAGESDELIVEREDCOUNT INTEGER, ZCHILDMESSAGESPLAYEDCOUNT INTEGER,
  ZCHILDMESSAGESREADCOUNT INTEGER, ZDATAITEMVERSION INTEGER, ZDOCID INTEGER,
  ZENCRETRYCOUNT INTEGER, ZFILTEREDRECIPIENTCOUNT INTEGER, ZFLAGS INTEGER,
  ZGROUPEVENTTYPE INTEGER, ZISFROMME INTEGER, ZMESSAGEERRORSTATUS INTEGER,
  ZMESSAGESTATUS INTEGER, ZMESSAGETYPE INTEGER, ZSORT INTEGER, ZSPOTLIGHTSTATUS INTEGER,
  ZSTARRED INTEGER, ZCHATSESSION INTEGER, ZGROUPMEMBER INTEGER, ZLASTSESSION INTEGER,
  ZMEDIAITEM INTEGER, ZMESSAGEINFO INTEGER, ZPARENTMESSAGE INTEGER, ZMESSAGEDATE TIMESTAMP,
  ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR, ZMEDIASECTIONID VARCHAR, ZPHASH VARCHAR,
  ZPUSHNAME VARCHAR, ZSTANZAID VARCHAR, ZTEXT VARCHAR, ZTOJID VARCHAR );
CREATE TABLE ZWAPROFILEPUSHNAME ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZJID VARCHAR, ZPUSHNAME VARCHAR );
CREATE INDEX ZWAMESSAGE_ZCHATSESSION_INDEX ON ZWAMESSAGE (ZCHATSESSION);
CREATE INDEX ZWAMESSAGE_ZMEDIAITEM_INDEX ON ZWAMESSAGE (ZMEDIAITEM);
"""


def jid(number: str) -> str:
    """The WhatsApp JID of a number: ``+447700900123`` -> ``447700900123@s.whatsapp.net``."""
    return number.lstrip("+").replace(" ", "") + "@s.whatsapp.net"


@dataclass
class WaChat:
    jid: str
    name: str | None
    members: tuple[tuple[str, str | None], ...] = ()  # (member JID, contact name)


@dataclass
class WaMessage:
    """One ``ZWAMESSAGE``: ``chat`` is the chat's JID; ``member`` the sender in a group."""

    when: datetime
    chat: str
    text: str | None
    from_me: bool = False
    mtype: int = 0
    member: str | None = None
    media: str | None = None  # ZMEDIALOCALPATH
    title: str | None = None
    latlon: tuple[float, float] | None = None
    vcard: str | None = None


GROUP_JID = "447700900461-1709300000@g.us"


def wa_chats() -> list[WaChat]:
    return [
        WaChat(jid(DAN), "Dan"),
        WaChat(jid(DAN_NEW), None),
        WaChat(GROUP_JID, "Hannah's friends",
               ((jid(SOPHIE), "Sophie"), (jid(DAN_PRICE), "Dan Price"))),
    ]  # fmt: skip


def wa_storyline() -> list[WaMessage]:
    w = WaMessage
    dan, new = jid(DAN), jid(DAN_NEW)
    return [
        w(at("2024-03-01T20:00:00Z"), dan, "Why won't you answer?"),
        w(at("2024-03-01T20:01:30Z"), dan, "Stop messaging me", from_me=True),
        w(at("2024-03-01T20:02:00Z"), dan, None, mtype=1,
          media=f"Media/{dan}/a/b/4f1e2d3c-photo.jpg", title="remember this?"),
        w(at("2024-03-01T20:03:00Z"), dan, "This message was deleted", mtype=14),
        w(at("2024-03-02T07:55:00Z"), new, "It's me. New number."),
        w(at("2024-03-02T07:56:00Z"), new, None, mtype=5, latlon=(51.5072, -0.1276)),
        w(at("2024-03-02T09:00:00Z"), GROUP_JID, "Hannah are you ok?", member=jid(SOPHIE)),
        w(at("2024-03-02T09:01:00Z"), GROUP_JID, "Safe now, thanks", from_me=True),
        w(at("2024-03-02T09:02:00Z"), GROUP_JID, None, mtype=6),
        w(at("2024-03-02T22:00:00Z"), new, None, mtype=10),
        w(at("2024-03-03T10:00:00Z"), dan, None, mtype=4, vcard="Daniel Mercer"),
    ]  # fmt: skip


def make_chatstorage_db(
    path: Path,
    messages: Iterable[WaMessage] | None = None,
    chats: Iterable[WaChat] | None = None,
    push_names: dict[str, str] | None = None,
) -> list[str]:
    """Write a ChatStorage.sqlite; returns the device paths of its media files."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(_WA_TABLES)
    sessions: dict[str, int] = {}
    members: dict[tuple[str, str], int] = {}
    for c in wa_chats() if chats is None else chats:
        group = c.jid.endswith("@g.us")
        cur = conn.execute(
            "INSERT INTO ZWACHATSESSION (Z_ENT, Z_OPT, ZSESSIONTYPE, ZCONTACTJID, ZPARTNERNAME, "
            "ZARCHIVED, ZHIDDEN, ZREMOVED, ZUNREADCOUNT) VALUES (6, 1, ?, ?, ?, 0, 0, 0, 0)",
            (1 if group else 0, c.jid, c.name),
        )
        sessions[c.jid] = sid = int(cur.lastrowid or 0)
        for member, name in c.members:
            cur = conn.execute(
                "INSERT INTO ZWAGROUPMEMBER (Z_ENT, Z_OPT, ZISACTIVE, ZISADMIN, ZCHATSESSION, "
                "ZCONTACTNAME, ZMEMBERJID) VALUES (4, 1, 1, 0, ?, ?, ?)",
                (sid, name, member),
            )
            members[(c.jid, member)] = int(cur.lastrowid or 0)
    for jid_, name in (push_names or {jid(DAN_NEW): "D"}).items():
        conn.execute(
            "INSERT INTO ZWAPROFILEPUSHNAME (Z_ENT, Z_OPT, ZJID, ZPUSHNAME) VALUES (9,1,?,?)",
            (jid_, name),
        )
    paths: list[str] = []
    for i, m in enumerate(wa_storyline() if messages is None else messages, 1):
        group = m.chat.endswith("@g.us")
        sender = None if m.from_me else (m.chat if not group else m.member)
        cur = conn.execute(
            "INSERT INTO ZWAMESSAGE (Z_ENT, Z_OPT, ZISFROMME, ZMESSAGETYPE, ZMESSAGESTATUS, "
            "ZSORT, ZCHATSESSION, ZGROUPMEMBER, ZMESSAGEDATE, ZSENTDATE, ZFROMJID, ZTOJID, "
            "ZSTANZAID, ZTEXT, ZGROUPEVENTTYPE) VALUES (9, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (int(m.from_me), m.mtype, 8 if m.from_me else 0, i, sessions.get(m.chat),
             members.get((m.chat, m.member or "")), (m.when - COCOA).total_seconds(),
             (m.when - COCOA).total_seconds(), m.chat if not m.from_me else None,
             m.chat if m.from_me else None, f"3EB0{i:016X}", m.text,
             2 if m.mtype == 6 else 0),
        )  # fmt: skip
        del sender
        msg_id = int(cur.lastrowid or 0)
        if m.media or m.latlon or m.vcard or m.title:
            lat, lon = m.latlon or (None, None)
            cur = conn.execute(
                "INSERT INTO ZWAMEDIAITEM (Z_ENT, Z_OPT, ZMESSAGE, ZFILESIZE, ZLATITUDE, "
                "ZLONGITUDE, ZMEDIALOCALPATH, ZTITLE, ZVCARDNAME) VALUES (7,1,?,?,?,?,?,?,?)",
                (msg_id, 2048, lat, lon, m.media, m.title, m.vcard),
            )
            conn.execute("UPDATE ZWAMESSAGE SET ZMEDIAITEM = ? WHERE Z_PK = ?",
                         (cur.lastrowid, msg_id))  # fmt: skip
            if m.media:
                paths.append(f"{WA_SHARED}/Message/{m.media}")
    conn.commit()
    conn.close()
    return paths


_WA_CONTACTS = """
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER,
  Z_MAX INTEGER);
CREATE TABLE ZWAADDRESSBOOKCONTACT ( Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER,
  ZABOUTTIMESTAMP INTEGER, ZCONTACTTYPE INTEGER, ZISNEW INTEGER, ZPHONENUMBERLABELINDEX INTEGER,
  ZABOUTTEXT VARCHAR, ZBUSINESSNAME VARCHAR, ZFULLNAME VARCHAR, ZGIVENNAME VARCHAR,
  ZHIGHLIGHTEDNAME VARCHAR, ZIDENTIFIER VARCHAR, ZLID VARCHAR, ZPHONENUMBER VARCHAR,
  ZPHONENUMBERLABEL VARCHAR, ZSEARCHTOKENLIST VARCHAR, ZUSERNAME VARCHAR, ZWHATSAPPID VARCHAR );
"""


def make_contactsv2_db(
    path: Path, contacts: Iterable[tuple[str | None, str, bool]] | None = None
) -> list[str]:
    """Write a ContactsV2.sqlite from (full name, number as saved, on WhatsApp)."""
    rows = contacts if contacts is not None else [
        ("Dan", "07700 900123", True), ("Sophie Turner", "+44 7700 900678", True),
        ("Dan Price", "+44 7700 900333", True), ("Mum", "+44 7700 900100", False),
    ]  # fmt: skip
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(_WA_CONTACTS)
    for name, number, on_whatsapp in rows:
        digits = "44" + number.replace(" ", "").lstrip("0") if number.startswith("0") else number
        conn.execute(
            "INSERT INTO ZWAADDRESSBOOKCONTACT (Z_ENT, Z_OPT, ZCONTACTTYPE, ZFULLNAME, "
            "ZGIVENNAME, ZPHONENUMBER, ZPHONENUMBERLABEL, ZWHATSAPPID) VALUES (3,1,0,?,?,?,?,?)",
            (name, (name or "").split(" ")[0] or None, number, "mobile",
             jid(digits) if on_whatsapp else None),
        )  # fmt: skip
    conn.commit()
    conn.close()
    return []

"""Exports from other people's phones (issue 16 §4): e-mail, Telegram, SMS, numbers.

SYNTHETIC TEST DATA. Nothing here comes from a real case, person or device: every file is
written by this module at test time. Names are invented, e-mail domains are example.com /
example.org (RFC 2606), UK numbers are Ofcom's drama ranges (07700 900xxx) and the Austrian
numbers are made up in the shape of A1 mobile numbers (0664 …). Each function returns the
bytes of one file, deterministic, in the shape the real tool writes (sources in FORMATS.md:
tdesktop's export_output_json.cpp and HTML pages, SMS Backup & Restore's documented fields,
Android's CallerInfo numbers -1/-2/-3 and CallLog presentation 1-4).
"""

from __future__ import annotations

import json

# --- e-mail: display names that are themselves another address -----------------------------


def spoofed_eml() -> bytes:
    """A mail whose every party is shown under someone else's address (and one honest one)."""
    return (
        "From: alice@example.com <bob@example.org>\r\n"
        'To: "carol@example.com" <dave@example.org>, Hannah <hannah@example.com>\r\n'
        "Cc: =?utf-8?q?erin=40example=2Ecom?= <frank@example.org>\r\n"
        'Bcc: "GRACE@example.com" <grace@example.com>\r\n'
        "Subject: your account\r\n"
        "Date: Tue, 05 Mar 2024 19:36:12 +0000\r\n"
        "Message-ID: <spoof-1@example.org>\r\n"
        "\r\n"
        "It is me, Alice.\r\n"
    ).encode("ascii")


# --- Telegram: forwarded messages that name their original author ------------------------------


def telegram_forwards_json() -> bytes:
    """A personal chat: a forward from a named user, one whose author tdesktop writes as
    null (no name), and an ordinary message."""
    base = {"type": "message", "from": "Zoe Ray", "from_id": "user5000000011"}
    messages = [
        {**base, "id": 1, "date": "2024-01-12T21:05:33", "date_unixtime": "1705093533",
         "forwarded_from": "Karen M", "text": "he is watching you",
         "text_entities": [{"type": "plain", "text": "he is watching you"}]},
        {**base, "id": 2, "date": "2024-01-12T21:06:00", "date_unixtime": "1705093560",
         "forwarded_from": None, "text": "leaked", "text_entities": []},
        {**base, "id": 3, "date": "2024-01-12T21:07:00", "date_unixtime": "1705093620",
         "text": "see above", "text_entities": []},
    ]  # fmt: skip
    chat = {"name": "Zoe Ray", "type": "personal_chat", "id": 5000000011, "messages": messages}
    return json.dumps(chat, ensure_ascii=False, indent=1).encode("utf-8")


def telegram_forwards_html() -> bytes:
    """tdesktop's HTML page: a forward (author, then its own date in a span), and a joined
    forward from another author."""

    def forwarded(author: str, date: str, text: str) -> str:
        return (
            '<div class="pull_left forwarded userpic_wrap"><div class="userpic"></div></div>\n'
            f'<div class="forwarded body">\n<div class="from_name">\n{author} '
            f'<span class="date details" title="{date} UTC+00:00"> {date}</span>\n</div>\n'
            f'<div class="text">\n{text}\n</div>\n</div>\n'
        )

    def message(number: int, date: str, inner: str, joined: bool = False) -> str:
        name = "" if joined else '<div class="from_name">\nZoe Ray\n</div>\n'
        return (
            f'<div class="message default clearfix{" joined" if joined else ""}" '
            f'id="message{number}">\n<div class="body">\n'
            f'<div class="pull_right date details" title="{date} UTC+00:00">21:10</div>\n'
            f"{name}{inner}</div>\n</div>\n"
        )

    return (
        '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"/></head>\n<body>\n'
        '<div class="page_wrap">\n<div class="page_header"><div class="content">\n'
        '<div class="text bold">\nZoe Ray\n</div>\n</div></div>\n'
        '<div class="page_body chat_page">\n<div class="history">\n'
        + message(1, "12.01.2024 21:10:00", forwarded("Karen M", "01.01.2024 10:00:00", "hi"))
        + message(
            2, "12.01.2024 21:11:00", forwarded("Lee O'Neill", "02.01.2024 11:00:00", "bye"), True
        )
        + "</div>\n</div>\n</div>\n</body>\n</html>\n"
    ).encode("utf-8")


# --- SMS Backup & Restore: "null" bodies, hidden callers, foreign numbers ---------------------


def _xml(root: str, rows: list[str]) -> bytes:
    body = "\n".join(f"  {row}" for row in rows)
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        f'<{root} count="{len(rows)}">\n{body}\n</{root}>\n'
    ).encode()


def _sms(address: str, body: str, ms: int, kind: int = 1, name: str = "(Unknown)") -> str:
    return (
        f'<sms protocol="0" address="{address}" date="{ms}" type="{kind}" subject="null" '
        f'body="{body}" toa="null" sc_toa="null" service_center="null" read="1" status="-1" '
        f'locked="0" date_sent="0" sub_id="1" readable_date="" contact_name="{name}" />'
    )


def sms_null_and_hidden() -> bytes:
    """A "null" body (the app's word for no body; a typed "null" looks the same, hence a
    flag), a text from a withheld sender (-2), an ordinary text."""
    return _xml(
        "smses",
        [
            _sms("07700 900123", "null", 1709667372000, name="Dan"),
            _sms("-2", "you know who", 1709667400000),
            _sms("07700 900123", "ok", 1709667500000, name="Dan"),
        ],
    )


def _call(number: str, ms: int, kind: int = 1, presentation: int | None = None) -> str:
    shown = "" if presentation is None else f'presentation="{presentation}" '
    return (
        f'<call number="{number}" duration="0" date="{ms}" type="{kind}" {shown}'
        'subscription_id="1" readable_date="" contact_name="(Unknown)" />'
    )


def calls_hidden() -> bytes:
    """Hidden callers in every shape the call log stores them (old numbers, presentation)."""
    return _xml(
        "calls",
        [
            _call("-1", 1709667000000, 3),  # CallerInfo.UNKNOWN_NUMBER
            _call("-2", 1709667100000, 3),  # CallerInfo.PRIVATE_NUMBER: withheld
            _call("-3", 1709667200000, 1),  # CallerInfo.PAYPHONE_NUMBER
            _call("", 1709667300000, 3, presentation=2),  # modern: empty + restricted
            _call("", 1709667400000, 1, presentation=3),  # unknown
            _call("", 1709667500000, 1, presentation=4),  # payphone
            _call("Private", 1709667600000, 3),  # as some ROMs write it
            _call("Unknown", 1709667700000, 3),
            _call("07700 900123", 1709667800000, 1, presentation=2),  # number and restricted
            _call("07700 900123", 1709667900000, 2, presentation=1),  # ordinary
        ],
    )


def sms_austrian_phone() -> bytes:
    """A backup from a phone used in Austria: its texts come from +43 numbers, and one
    contact is saved in national form (0664 …)."""
    rows = [_sms(f"+43 664 12345{i:02d}", "Servus", 1709660000000 + i * 1000) for i in range(6)]
    rows.append(_sms("0664 1234567", "bis morgen", 1709667000000, name="Lena"))
    rows.append(_sms("+447700900123", "hi from home", 1709668000000))
    return _xml("smses", rows)


def sms_foreign_in_gb() -> bytes:
    """A backup from a British phone holding an Austrian number written nationally, and a
    German-shaped one (0171: a German mobile, or London before 2000) beside a German
    contact's +49 number."""
    return _xml(
        "smses",
        [
            _sms("07700 900123", "hi", 1709660000000, name="Dan"),
            _sms("0664 1234567", "hallo", 1709661000000, name="Lena"),
            _sms("0664 1234567", "noch da?", 1709662000000, kind=2, name="Lena"),
            _sms("+49 1512 3456789", "hallo aus Berlin", 1709663000000),
            _sms("0171 1234567", "und ich?", 1709664000000, name="Jonas"),  # DE or old London
        ],
    )

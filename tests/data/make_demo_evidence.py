"""Write a small synthetic evidence set: the files a victim might hand over.

Everything here is invented: names are fictional, phone numbers are in Ofcom's range kept
for drama (07700 900000-900999), addresses use example.com. The output is deterministic
(fixed contents and zip times), so the demo case has the same hashes on every machine.

Usage: python tests/data/make_demo_evidence.py OUT_DIR
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
import zlib
from pathlib import Path

ZIP_TIME = (2026, 9, 20, 18, 30, 0)

WHATSAPP = """\
14/09/2026, 21:02 - Messages and calls are end-to-end encrypted. Only people in this chat can read, listen to, or share them. Learn more.
14/09/2026, 21:03 - Dan: You can't ignore me forever
14/09/2026, 21:05 - Dan: I know you're at your mum's
14/09/2026, 21:06 - Sam Carter: Please stop messaging me
14/09/2026, 23:41 - Dan: You'll regret this
15/09/2026, 07:12 - Dan: <Media omitted>
15/09/2026, 07:13 - Dan: This message was deleted
"""

SMS_XML = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<smses count="3" backup_set="demo" backup_date="1789925400000" type="full">
  <sms protocol="0" address="+44 7700 900987" date="1789419600000" type="1" subject="null"
       body="new number, it's Dan. pick up" toa="null" sc_toa="null" service_center="null"
       read="1" status="-1" locked="0" date_sent="1789419598000" readable_date="14 Sep 2026 22:00:00"
       contact_name="(Unknown)" />
  <sms protocol="0" address="07700900987" date="1789423200000" type="1" subject="null"
       body="Why won't you answer" toa="null" sc_toa="null" service_center="null" read="1"
       status="-1" locked="0" date_sent="1789423199000" readable_date="14 Sep 2026 23:00:00"
       contact_name="(Unknown)" />
  <sms protocol="0" address="07700900987" date="1789426800000" type="2" subject="null"
       body="Leave me alone" toa="null" sc_toa="null" service_center="null" read="1"
       status="-1" locked="0" date_sent="0" readable_date="15 Sep 2026 00:00:00"
       contact_name="(Unknown)" />
</smses>
"""

EMAIL = """\
Return-Path: <danny.mercer77@example.com>
Received: from mail.example.com (mail.example.com [192.0.2.10])
\tby mx.example.net with ESMTPS id 4x1; Tue, 16 Sep 2026 08:15:02 +0100
From: Danny Mercer <danny.mercer77@example.com>
To: Sam Carter <sam.carter@example.net>
Subject: we need to talk
Date: Tue, 16 Sep 2026 08:14:55 +0100
Message-ID: <demo-0001@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

I saw your car outside the gym this morning. Don't make me come round.
"""


def png_bytes(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour with a tEXt chunk, written without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    text = b"Software\x00Android 14 screenshot (synthetic demo)"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", text)
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def _facebook_zip(path: Path) -> None:
    thread = {
        "participants": [{"name": "Sam Carter"}, {"name": "Danny Mercerr"}],
        "messages": [
            {
                "sender_name": "Danny Mercerr",
                "timestamp_ms": 1757960000000,
                "content": "Blocked me again? I'll just make another one",
                "is_geoblocked_for_viewer": False,
            },
            {
                "sender_name": "Danny Mercerr",
                "timestamp_ms": 1757959000000,
                "content": "Answer me",
                "is_geoblocked_for_viewer": False,
            },
        ],
        "title": "Danny Mercerr",
        "is_still_participant": True,
        "thread_path": "inbox/dannymercerr_10158",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [
            (
                "messages/inbox/dannymercerr_10158/message_1.json",
                json.dumps(thread, indent=2).encode(),
            ),
            (
                "profile_information/profile_information.json",
                json.dumps({"profile_v2": {"name": {"full_name": "Sam Carter"}}}).encode(),
            ),
        ]:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def write_demo_evidence(out: Path) -> list[Path]:
    """Write the demo files under ``out`` and return their paths."""
    files = {
        "whatsapp/WhatsApp Chat with Dan.txt": WHATSAPP.encode("utf-8"),
        "sms/sms-20260920183000.xml": SMS_XML.encode("utf-8"),
        "email/we need to talk.eml": EMAIL.encode("utf-8"),
        "screenshots/Screenshot_20260914-213301_WhatsApp.png": png_bytes(108, 234, (18, 140, 126)),
    }
    written = []
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    fb = out / "facebook/facebook-samcarter-2026-09-20.zip"
    fb.parent.mkdir(parents=True, exist_ok=True)
    _facebook_zip(fb)
    written.append(fb)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for p in write_demo_evidence(Path(sys.argv[1])):
        print(p)

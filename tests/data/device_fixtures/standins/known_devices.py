"""The known devices the stand-in programs (``adb``, ``idevice_id``, ``ideviceinfo``,
``idevicebackup2`` in this folder) pretend to be attached: made by ``make_android`` and
``make_iphone`` into a folder named by ``EWS_STANDIN_DEVICE``.

Hannah Price's phones from case-alpha (tests/data/case_alpha/README.md): texts from 'Dan'
(+44 7700 900123) and calls with her brother Dan Price (+44 7700 900333). All fictitious.
The values are chosen to break naive parsers of ``content query`` output: bodies holding
``", "``, ``", date="`` and newlines, a line that starts like a row, and NULLs.
No real phone was available to the test suite: the output layouts follow the tools' source
and manuals (docs/device-live.md).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

SERIAL = "R58N12ABCDE"
UDID = "00008110-001A2B3C4D5E801E"
PROPS = {
    "ro.product.manufacturer": "samsung",
    "ro.product.model": "SM-A525F",
    "ro.product.name": "a52qnsxx",
    "ro.build.version.release": "13",
    "ro.build.version.sdk": "33",
    "ro.build.id": "TP1A.220624.014",
    "ro.build.fingerprint": "samsung/a52qnsxx/a52q:13/TP1A.220624.014/A525FXXS6EWK1:user/release-keys",
    "ro.serialno": SERIAL,
    "persist.sys.timezone": "Europe/London",
    "ro.boot.qemu": "",
}
SMS_COLUMNS = ["_id", "thread_id", "address", "date", "date_sent", "type", "read", "status",
               "protocol", "service_center", "sub_id", "locked", "subject", "body"]  # fmt: skip
BODIES = [
    "Hi Hannah, it's Dan from Sophie's party 🙂",
    "Why won't you answer, date=tomorrow, type=2? I only want to talk",
    "I know where you were tonight.\nRow: 7 _id=99, thread_id=1\nDon't ignore me",
]


def _png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def android_state() -> dict[str, Any]:
    """What the stand-in ``adb`` serves: properties, provider rows, part bytes, files."""
    sms = [
        [1, 1, "+447700900123", 1709320361220, 1709320359720, 1, 1, -1, 0, "+447782000800", 1, 0, None, BODIES[0]],
        [2, 1, "+447700900123", 1711047600000, 1711047598000, 1, 1, -1, 0, "+447782000800", 1, 0, None, BODIES[1]],
        [3, 1, "07700 900123", 1712958900000, 0, 2, 1, -1, 0, None, 1, 0, None, "Leave me alone"],
        [4, 1, "+447700900123", 1712959200000, 1712959199000, 1, 0, -1, 0, "+447782000800", 1, 0, None, BODIES[2]],
    ]  # fmt: skip
    providers: dict[str, dict[str, Any]] = {
        "content://sms": {"columns": SMS_COLUMNS, "rows": sms},
        "content://mms": {
            "columns": [
                "_id",
                "thread_id",
                "date",
                "date_sent",
                "msg_box",
                "read",
                "m_type",
                "m_id",
                "ct_t",
                "sub_id",
                "locked",
                "sub",
            ],
            "rows": [
                [
                    1,
                    1,
                    1712960000,
                    0,
                    1,
                    1,
                    132,
                    "mAbc123@mms",
                    "application/vnd.wap.multipart.related",
                    1,
                    0,
                    None,
                ]
            ],
        },
        "content://mms/part": {
            "columns": ["_id", "mid", "seq", "ct", "chset", "cid", "cl", "name", "fn", "text"],
            "rows": [
                [
                    1,
                    1,
                    -1,
                    "application/smil",
                    None,
                    "<smil>",
                    "smil.xml",
                    None,
                    None,
                    "<smil><body/></smil>",
                ],
                [2, 1, 0, "image/png", None, "<img1>", "IMG_0412.png", "IMG_0412.png", None, None],
                [
                    3,
                    1,
                    0,
                    "text/plain",
                    106,
                    "<text1>",
                    "text_0.txt",
                    None,
                    None,
                    "Nice car, Hannah",
                ],
            ],
        },
        "content://mms/1/addr": {
            "columns": ["_id", "msg_id", "address", "type", "charset"],
            "rows": [[1, 1, "+447700900123", 137, 106], [2, 1, "insert-address-token", 151, 106]],
        },
        "content://call_log/calls": {
            "columns": [
                "_id",
                "number",
                "date",
                "duration",
                "type",
                "presentation",
                "subscription_id",
                "post_dial_digits",
                "name",
            ],
            "rows": [
                [1, "+447700900333", 1709287984946, 250, 2, 1, 1, "", "Dan Price"],
                [2, "+447700900123", 1712959500000, 0, 3, 1, 1, "", None],
            ],
        },
        "content://com.android.contacts/data/phones": {
            "columns": ["_id", "contact_id", "data1", "display_name"],
            "rows": [
                [1, 1, "+44 7700 900123", "Dan"],
                [2, 2, "07700 900333", "Dan Price"],
                [3, 3, "07700 900555", "Turner, Sophie"],
            ],
        },
    }
    return {
        "serial": SERIAL,
        "props": PROPS,
        "providers": providers,
        "part_data": {"2": _png(3, 2).hex()},
        "missing_columns": {},
    }


ANDROID_FILES = {
    "sdcard/DCIM/Screenshots/Screenshot_20240412-213455_WhatsApp.png": _png(4, 8),
    "sdcard/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/IMG-20240412-WA0003.jpg": b"\xff\xd8\xff\xe0" + bytes(200) + b"\xff\xd9",
    "sdcard/Android/media/com.whatsapp/WhatsApp/Databases/msgstore.db.crypt14": bytes(range(256)) * 4,
}  # fmt: skip


def make_android(folder: Path, state: str = "device") -> Path:
    """Write the Android device the stand-in ``adb`` serves; returns the folder.

    ``state`` is what ``adb devices`` says: ``device``, ``unauthorized``, ``none``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "android.json").write_text(json.dumps(android_state() | {"state": state}), "utf-8")
    for rel, data in ANDROID_FILES.items():
        path = folder / "android" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


IPHONE_INFO = {
    "ActivationState": "Activated",
    "BuildVersion": "21B101",
    "DeviceClass": "iPhone",
    "DeviceName": "Hannah's iPhone",
    "InternationalMobileEquipmentIdentity": "356789104567891",
    "PhoneNumber": "+44 7700 900461",
    "ProductType": "iPhone14,5",
    "ProductVersion": "17.1.2",
    "SerialNumber": "F2LXK0TEST01",
    "TimeZone": "Europe/London",
    "UniqueDeviceID": UDID,
}


def make_iphone(folder: Path, state: str = "device", password: str | None = None) -> Path:
    """Write the iPhone the stand-in ``idevice*`` programs serve; returns the folder.

    ``state``: ``device`` (trusted), ``untrusted`` (lockdownd refuses: not paired), ``none``.
    ``password``: the backup password the holder already set (None: backups unencrypted).
    """
    folder.mkdir(parents=True, exist_ok=True)
    state_data = {"state": state, "udid": UDID, "info": IPHONE_INFO, "password": password}
    (folder / "ios.json").write_text(json.dumps(state_data), "utf-8")
    return folder

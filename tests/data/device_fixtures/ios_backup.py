"""Generator of iPhone backup folders (iTunes/Finder/libimobiledevice layout), plain or encrypted.

Made from the public descriptions of the format (Apple's backup layout as documented by
iLEAPP, iphone_backup_decrypt and the iphone-dataprotection write-ups; no code taken):

* ``Info.plist`` (the device), ``Manifest.plist`` (IsEncrypted, BackupKeyBag, ManifestKey,
  Lockdown), ``Status.plist``, ``Manifest.db`` with the ``Files`` table (fileID, domain,
  relativePath, flags 1 file / 2 folder / 4 link, file = NSKeyedArchiver ``MBFile``) and
  ``Properties``;
* each file stored as ``xx/<fileID>``, fileID = SHA-1 of ``domain-relativePath``;
* encrypted backups: a keybag of tag/length/value blocks whose class keys are AES-wrapped
  (RFC 3394) with PBKDF2-HMAC-SHA1(PBKDF2-HMAC-SHA256(password, DPSL, DPIC), SALT, ITER);
  ``ManifestKey`` and each ``MBFile`` EncryptionKey are 4 bytes of class (little-endian)
  and a wrapped key; files are AES-256-CBC with a zero IV and PKCS#7 padding.

Iteration counts are low so tests stay fast (real backups use 10,000,000 and 10,000).
Keys and salts come from a seeded generator, so the same call gives the same folder.
No real person's data: the device is "Sam's iPhone" of the case-alpha storyline.
"""

from __future__ import annotations

import hashlib
import plistlib
import random
import sqlite3
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

PASSWORD = "alpha-backup-1234"
BACKUP_DATE = datetime(2026, 11, 30, 18, 45, 12)  # plist dates are UTC
IDENTITY = {
    "Device Name": "Sam's iPhone",
    "Display Name": "Sam's iPhone",
    "Product Type": "iPhone14,5",
    "Product Version": "17.1.2",
    "Build Version": "21B101",
    "Serial Number": "F2LXK0TEST01",
    "IMEI": "356789104567891",
    "ICCID": "8944110068212345678",
    "Phone Number": "+44 7700 900123",
    "Unique Identifier": "00008110-000A1B2C3D4E5F60",
    "Target Identifier": "00008110-000A1B2C3D4E5F60",
    "GUID": "6B1C0D2E3F40516273849506A7B8C9D0",
    "Last Backup Date": BACKUP_DATE,
    "iTunes Version": "12.13.1.3",
}


@dataclass(frozen=True)
class PhoneFile:
    """A file as the phone keeps it: domain, relative path, bytes (or a size to fill)."""

    domain: str
    relative_path: str
    data: bytes = b""
    protection_class: int = 3
    fill: int = 0  # bytes of pseudo-random content to write instead of ``data`` (benches)

    @property
    def file_id(self) -> str:
        return hashlib.sha1(f"{self.domain}-{self.relative_path}".encode()).hexdigest()

    @property
    def size(self) -> int:
        return self.fill or len(self.data)


@dataclass
class Made:
    """What was generated, for the tests to compare with."""

    folder: Path
    files: list[PhoneFile]
    folders: list[tuple[str, str]] = field(default_factory=list)
    password: str | None = None


def minimal_sms_db() -> bytes:
    """A tiny sms.db-shaped database (until H-IOS's generator is used)."""
    return _sqlite_bytes(
        [
            "CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, "
            "country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT)",
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE, "
            "text TEXT, handle_id INTEGER DEFAULT 0, service TEXT, date INTEGER, "
            "is_from_me INTEGER DEFAULT 0, attributedBody BLOB)",
            "INSERT INTO handle VALUES (1, '+447700900456', 'gb', 'SMS', NULL)",
            "INSERT INTO message VALUES (1, 'A1', 'see you at 8', 1, 'SMS', "
            "754000000000000000, 0, NULL)",
        ]
    )


def _sqlite_bytes(statements: list[str]) -> bytes:
    conn = sqlite3.connect(":memory:")
    for s in statements:
        conn.execute(s)
    conn.commit()
    data = conn.serialize()
    conn.close()
    return bytes(data)


def sample_files() -> list[PhoneFile]:
    """A small phone: messages, an attachment, contacts, a photo, an app's database."""
    return [
        PhoneFile("HomeDomain", "Library/SMS/sms.db", minimal_sms_db()),
        PhoneFile(
            "MediaDomain",
            "Library/SMS/Attachments/3f/15/AB12CD34-0000-4000-8000-000000000001/IMG_0042.jpeg",
            b"\xff\xd8\xff\xe0" + b"JFIF-fixture" * 40,
        ),
        PhoneFile(
            "HomeDomain",
            "Library/AddressBook/AddressBook.sqlitedb",
            _sqlite_bytes(
                [
                    "CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY, First TEXT, Last TEXT)",
                    "INSERT INTO ABPerson VALUES (1, 'Danny', 'Mercer')",
                ]
            ),
        ),
        PhoneFile(
            "CameraRollDomain",
            "Media/DCIM/100APPLE/IMG_0001.PNG",
            b"\x89PNG\r\n\x1a\n" + bytes(200),
        ),
        PhoneFile(
            "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
            "ChatStorage.sqlite",
            _sqlite_bytes(["CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZTEXT VARCHAR)"]),
            protection_class=2,
        ),
        PhoneFile("HomeDomain", "Library/Preferences/empty.plist", b""),
    ]


def _folders_of(files: Iterable[PhoneFile]) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for f in files:
        parts = f.relative_path.split("/")[:-1]
        seen.setdefault((f.domain, ""), None)
        for i in range(1, len(parts) + 1):
            seen.setdefault((f.domain, "/".join(parts[:i])), None)
    return list(seen)


class _Keys:
    """The keybag and the keys of an encrypted backup (seeded, so reproducible)."""

    def __init__(self, password: str, rng: random.Random, dpic: int, iters: int) -> None:
        self.rng = rng
        dpsl, salt = rng.randbytes(20), rng.randbytes(20)
        first = hashlib.pbkdf2_hmac("sha256", password.encode(), dpsl, dpic, 32)
        passcode_key = hashlib.pbkdf2_hmac("sha1", first, salt, iters, 32)
        self.class_keys = {c: rng.randbytes(32) for c in range(1, 12)}
        blocks = [
            _block("VERS", struct.pack(">I", 4)),
            _block("TYPE", struct.pack(">I", 1)),  # backup keybag
            _block("UUID", rng.randbytes(16)),
            _block("HMCK", rng.randbytes(40)),
            _block("WRAP", struct.pack(">I", 0)),
            _block("SALT", salt),
            _block("ITER", struct.pack(">I", iters)),
            _block("DPWT", struct.pack(">I", 1)),
            _block("DPIC", struct.pack(">I", dpic)),
            _block("DPSL", dpsl),
        ]
        for clas, key in self.class_keys.items():
            blocks += [
                _block("UUID", rng.randbytes(16)),
                _block("CLAS", struct.pack(">I", clas)),
                _block("WRAP", struct.pack(">I", 3 if clas != 11 else 1)),
                _block("KTYP", struct.pack(">I", 0)),
            ]
            if clas != 11:  # class 11 is device-wrapped only: no passcode-wrapped key
                blocks.append(_block("WPKY", aes_key_wrap(passcode_key, key)))
        self.keybag = b"".join(blocks)
        self.manifest_key = rng.randbytes(32)

    def wrapped(self, clas: int, key: bytes) -> bytes:
        return struct.pack("<I", clas) + aes_key_wrap(self.class_keys[clas], key)


def _block(tag: str, value: bytes) -> bytes:
    return tag.encode("ascii") + struct.pack(">I", len(value)) + value


def encrypt(key: bytes, data: bytes) -> bytes:
    """AES-256-CBC, zero IV, PKCS#7 padding (as the phone writes backup files)."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).encryptor()
    return enc.update(padded) + enc.finalize()


def mbfile(f: PhoneFile, inode: int, wrapped_key: bytes | None) -> bytes:
    """The NSKeyedArchiver ``MBFile`` of one file, as Manifest.db stores it."""
    moment = 1_700_000_000 + inode
    top: dict[str, object] = {
        "$class": plistlib.UID(3),
        "Birth": moment,
        "Flags": 0,
        "GroupID": 501,
        "InodeNumber": inode,
        "LastModified": moment,
        "LastStatusChange": moment,
        "Mode": 0o100644,
        "ProtectionClass": f.protection_class,
        "RelativePath": plistlib.UID(2),
        "Size": f.size,
        "UserID": 501,
    }
    objects: list[object] = [
        "$null",
        top,
        f.relative_path,
        {"$classes": ["MBFile", "NSObject"], "$classname": "MBFile"},
    ]
    if wrapped_key is not None:
        top["EncryptionKey"] = plistlib.UID(4)
        objects += [
            {"$class": plistlib.UID(5), "NS.data": wrapped_key},
            {"$classes": ["NSMutableData", "NSData", "NSObject"], "$classname": "NSMutableData"},
        ]
    archive = {
        "$archiver": "NSKeyedArchiver",
        "$objects": objects,
        "$top": {"root": plistlib.UID(1)},
        "$version": 100000,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def _folder_mbfile(relative: str) -> bytes:
    archive = {
        "$archiver": "NSKeyedArchiver",
        "$objects": [
            "$null",
            {
                "$class": plistlib.UID(3),
                "Mode": 0o40755,
                "RelativePath": plistlib.UID(2),
                "Size": 0,
                "ProtectionClass": 0,
                "Flags": 0,
            },
            relative,
            {"$classes": ["MBFile", "NSObject"], "$classname": "MBFile"},
        ],
        "$top": {"root": plistlib.UID(1)},
        "$version": 100000,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def _fill_chunks(f: PhoneFile, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    left = f.fill
    block = rng.randbytes(1 << 20)
    n = 0
    while left > 0:
        # A fresh prefix per MiB keeps every file's bytes (and so its hash) distinct.
        piece = (struct.pack(">QQ", seed, n) + block[16:])[:left]
        yield piece
        left -= len(piece)
        n += 1


def make_backup(
    folder: Path,
    files: list[PhoneFile] | None = None,
    *,
    password: str | None = None,
    seed: int = 13,
    dpic: int = 10,
    iterations: int = 10,
    identity: dict[str, object] | None = None,
) -> Made:
    """Write a backup folder; encrypted when a password is given. Returns what it made."""
    files = sample_files() if files is None else files
    rng = random.Random(seed)
    keys = _Keys(password, rng, dpic, iterations) if password is not None else None
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, "
        "flags INTEGER, file BLOB);"
        "CREATE INDEX FilesDomainIdx ON Files(domain);"
        "CREATE INDEX FilesRelativePathIdx ON Files(relativePath);"
        "CREATE INDEX FilesFlagsIdx ON Files(flags);"
        "CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);"
    )
    folders = _folders_of(files)
    for domain, relative in folders:
        file_id = hashlib.sha1(f"{domain}-{relative}".encode()).hexdigest()
        conn.execute(
            "INSERT INTO Files VALUES (?, ?, ?, 2, ?)",
            (file_id, domain, relative, _folder_mbfile(relative)),
        )
    for inode, f in enumerate(files, start=1000):
        wrapped = None
        target = folder / f.file_id[:2] / f.file_id
        target.parent.mkdir(exist_ok=True)
        if keys is not None:
            key = rng.randbytes(32)
            wrapped = keys.wrapped(f.protection_class, key)
            target.write_bytes(encrypt(key, f.data))
        elif f.fill:
            with open(target, "wb") as out:
                for piece in _fill_chunks(f, inode):
                    out.write(piece)
        else:
            target.write_bytes(f.data)
        conn.execute(
            "INSERT INTO Files VALUES (?, ?, ?, 1, ?)",
            (f.file_id, f.domain, f.relative_path, mbfile(f, inode, wrapped)),
        )
    conn.commit()
    manifest_db = bytes(conn.serialize())
    conn.close()
    if keys is not None:
        manifest_db = encrypt(keys.manifest_key, manifest_db)
    (folder / "Manifest.db").write_bytes(manifest_db)
    info = dict(IDENTITY if identity is None else identity)
    (folder / "Info.plist").write_bytes(plistlib.dumps(info))
    manifest: dict[str, object] = {
        "Version": "10.0",
        "Date": BACKUP_DATE,
        "SystemDomainsVersion": "24.0",
        "WasPasscodeSet": True,
        "IsEncrypted": keys is not None,
        "Applications": {},
        "Lockdown": {
            "DeviceName": info.get("Device Name", ""),
            "ProductVersion": info.get("Product Version", ""),
            "SerialNumber": info.get("Serial Number", ""),
            "UniqueDeviceID": info.get("Unique Identifier", ""),
        },
    }
    if keys is not None:
        manifest["BackupKeyBag"] = keys.keybag
        manifest["ManifestKey"] = keys.wrapped(4, keys.manifest_key)
    (folder / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    status = {
        "BackupState": "new",
        "Date": BACKUP_DATE,
        "IsFullBackup": False,
        "SnapshotState": "finished",
        "UUID": "7C1A9E52-1D2B-4E3F-8A9B-0C1D2E3F4A5B",
        "Version": "3.3",
    }
    (folder / "Status.plist").write_bytes(plistlib.dumps(status, fmt=plistlib.FMT_BINARY))
    return Made(folder, files, folders, password)


if __name__ == "__main__":  # python -m tests.data.device_fixtures.ios_backup OUT [PASSWORD]
    import sys

    made = make_backup(Path(sys.argv[1]), password=sys.argv[2] if len(sys.argv) > 2 else None)
    print(f"{made.folder}: {len(made.files)} files, {len(made.folders)} folders")

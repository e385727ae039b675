"""iPhone backups (iTunes, Finder, libimobiledevice): the manifest, the device, decryption.

A backup folder holds ``Info.plist`` (the device's identity), ``Manifest.plist`` (whether
it is encrypted, its keybag), ``Status.plist``, ``Manifest.db`` (SQLite: one row per file
in the ``Files`` table) and the files themselves as ``xx/<fileID>``, where fileID is the
SHA-1 of ``domain-relativePath`` and ``xx`` its first two hex digits. Backups of iOS 9 and
earlier have ``Manifest.mbdb`` instead of ``Manifest.db`` and are refused here.

Encryption (facts from public write-ups of the format, e.g. iphone_backup_decrypt and
iphone-dataprotection; no code taken): the keybag in ``Manifest.plist`` is a list of
tag/length/value blocks. The password gives the key that unwraps the class keys:
PBKDF2-HMAC-SHA256 with DPSL and DPIC, then PBKDF2-HMAC-SHA1 with SALT and ITER (backups
made before iOS 10.2 have only the second step). Class keys are AES-wrapped (RFC 3394).
``ManifestKey`` (4 bytes of protection class, little-endian, then the wrapped key) unlocks
``Manifest.db``; each file's key is in its ``MBFile`` record the same way. Files are
AES-256-CBC with a zero IV, padded to 16 bytes; the ``MBFile`` size says where they end.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import re
import sqlite3
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import cryptography
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from chain_of_custody.canonical import format_time
from chain_of_custody.errors import AcquisitionError

MANIFEST_DB = "Manifest.db"
MANIFEST_PLIST = "Manifest.plist"
INFO_PLIST = "Info.plist"
MANIFEST_MBDB = "Manifest.mbdb"
#: How a decrypted file is made from its encrypted blob (``item.derived`` method).
DECRYPT_METHOD = "ios-backup-aes-cbc"
LIBRARY = "cryptography"
FLAG_FILE, FLAG_FOLDER, FLAG_LINK = 1, 2, 4
_WRAP_PASSCODE = 2
_FILE_ID = re.compile(r"[0-9a-f]{2}/[0-9a-f]{40}")
_CHUNK = 1 << 20
#: Info.plist keys and the ``device.identified`` data key each is recorded under.
IDENTITY_KEYS = (
    ("Device Name", "device_name"),
    ("Display Name", "display_name"),
    ("Product Type", "product_type"),
    ("Product Version", "product_version"),
    ("Build Version", "build_version"),
    ("Serial Number", "serial_number"),
    ("IMEI", "imei"),
    ("IMEI 2", "imei2"),
    ("MEID", "meid"),
    ("ICCID", "iccid"),
    ("Phone Number", "phone_number"),
    ("Unique Identifier", "unique_identifier"),
    ("Target Identifier", "target_identifier"),
    ("GUID", "guid"),
    ("Last Backup Date", "last_backup_date"),
    ("iTunes Version", "itunes_version"),
)
PasswordFn = Callable[[str], str | None]


class BackupPasswordError(AcquisitionError):
    """The password given does not open the backup's keybag (nothing is acquired)."""


def is_backup_folder(path: Path) -> bool:
    """True when the folder has an iPhone backup's manifest (``Manifest.db`` or ``.mbdb``)."""
    return (path / MANIFEST_PLIST).is_file() and (
        (path / MANIFEST_DB).is_file() or (path / MANIFEST_MBDB).is_file()
    )


def file_id_of(relative: str) -> str | None:
    """The fileID of a path inside the backup folder (``ab/ab12…``), or None."""
    norm = relative.replace(os.sep, "/")
    return norm[3:] if _FILE_ID.fullmatch(norm) and norm[:2] == norm[3:5] else None


@dataclass(frozen=True)
class BackupFile:
    """One row of ``Manifest.db``'s ``Files`` table; its ``MBFile`` is read when needed
    (a plain backup of 50,000 files never needs it: parsing costs more than acquiring)."""

    file_id: str
    domain: str
    relative_path: str
    flags: int
    mbfile: bytes | None = field(default=None, repr=False)

    @cached_property
    def _facts(self) -> tuple[dict[str, Any], str | None]:
        if not self.mbfile:
            return {}, None
        try:
            return mbfile_facts(self.mbfile), None
        except ValueError as exc:
            return {}, f"{MANIFEST_DB} file {self.file_id} ({self.device_path}): {exc}"

    @property
    def size(self) -> int | None:
        """The file's size on the phone (where a decrypted file ends)."""
        return self._facts[0].get("size")

    @property
    def protection_class(self) -> int | None:
        return self._facts[0].get("protection_class")

    @property
    def wrapped_key(self) -> bytes | None:
        """Its key (4 bytes of class, then the wrapped key), in an encrypted backup."""
        return self._facts[0].get("wrapped_key")

    @property
    def damage(self) -> str | None:
        """Why its ``MBFile`` could not be read, or None."""
        return self._facts[1]

    @property
    def device_path(self) -> str:
        """Domain and relative path as the phone names them (``HomeDomain/Library/…``)."""
        return f"{self.domain}/{self.relative_path}" if self.relative_path else self.domain

    @property
    def name(self) -> str:
        """The file's name on the phone (``sms.db``)."""
        return self.relative_path.rsplit("/", 1)[-1] or self.domain


@dataclass(frozen=True)
class DeviceIdentity:
    """The device as ``Info.plist`` describes it (absent facts are left out)."""

    facts: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        return dict(self.facts).get(key)

    def ledger_data(self) -> dict[str, str]:
        return dict(self.facts)


def read_identity(data: bytes) -> DeviceIdentity:
    """The device's identity from the bytes of ``Info.plist``.

    Raises:
        AcquisitionError: when the bytes are not a property list.
    """
    try:
        info = plistlib.loads(data)
    except (plistlib.InvalidFileException, ValueError, OverflowError) as exc:
        raise AcquisitionError(f"{INFO_PLIST} is not a property list ({exc})") from exc
    if not isinstance(info, dict):
        raise AcquisitionError(f"{INFO_PLIST} is not a dictionary")
    facts: list[tuple[str, str]] = []
    for plist_key, key in IDENTITY_KEYS:
        value = info.get(plist_key)
        if isinstance(value, datetime):
            zoned = value if value.tzinfo else value.replace(tzinfo=UTC)  # plist dates are UTC
            facts.append((key, format_time(zoned)))
        elif isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            facts.append((key, str(value)))
    return DeviceIdentity(tuple(facts))


# --- the keybag ---------------------------------------------------------------------------


def _tlv(data: bytes) -> Iterator[tuple[str, bytes]]:
    pos = 0
    while pos + 8 <= len(data):
        tag = data[pos : pos + 4].decode("ascii", "replace")
        (length,) = struct.unpack(">I", data[pos + 4 : pos + 8])
        yield tag, data[pos + 8 : pos + 8 + length]
        pos += 8 + length


@dataclass
class Keybag:
    """A backup keybag: its attributes and its wrapped class keys (by protection class)."""

    attrs: dict[str, bytes] = field(default_factory=dict)
    class_keys: dict[int, dict[str, bytes]] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes) -> Keybag:
        """Read the blocks: a UUID after the keybag's own starts a class key."""
        bag = cls()
        current: dict[str, bytes] | None = None
        for tag, value in _tlv(data):
            if tag == "UUID" and "UUID" not in bag.attrs:
                bag.attrs["UUID"] = value
            elif tag == "UUID":
                bag._keep(current)
                current = {"UUID": value}
            elif current is not None and tag in ("CLAS", "WRAP", "WPKY", "KTYP", "PBKY"):
                current[tag] = value
            else:
                bag.attrs.setdefault(tag, value)
        bag._keep(current)
        return bag

    def _keep(self, key: dict[str, bytes] | None) -> None:
        if key is not None and "CLAS" in key:
            self.class_keys[_int(key["CLAS"])] = key

    def unlock(self, password: str) -> dict[int, bytes]:
        """The class keys, unwrapped with the key derived from the password.

        Raises:
            BackupPasswordError: the password does not unwrap them.
            AcquisitionError: the keybag lacks what the derivation needs.
        """
        try:
            salt, rounds = self.attrs["SALT"], _int(self.attrs["ITER"])
        except KeyError as exc:
            raise AcquisitionError(f"backup keybag has no {exc.args[0]}") from None
        secret = password.encode("utf-8")
        if "DPSL" in self.attrs and "DPIC" in self.attrs:  # iOS 10.2 and later
            secret = hashlib.pbkdf2_hmac(
                "sha256", secret, self.attrs["DPSL"], _int(self.attrs["DPIC"]), 32
            )
        key = hashlib.pbkdf2_hmac("sha1", secret, salt, rounds, 32)
        unwrapped: dict[int, bytes] = {}
        for clas, ck in sorted(self.class_keys.items()):
            if "WPKY" not in ck or not _int(ck.get("WRAP", b"\0")) & _WRAP_PASSCODE:
                continue
            try:
                unwrapped[clas] = aes_key_unwrap(key, ck["WPKY"])
            except (InvalidUnwrap, ValueError):
                raise BackupPasswordError(
                    "wrong backup password: it does not unlock the backup's keybag; "
                    "nothing acquired"
                ) from None
        if not unwrapped:
            raise AcquisitionError("backup keybag holds no class key wrapped by the password")
        return unwrapped


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")


def unwrap_file_key(class_keys: dict[int, bytes], wrapped: bytes) -> bytes:
    """A file's (or the manifest's) key: 4 bytes of class (little-endian), then wrapped key.

    Raises:
        AcquisitionError: unknown class or a key that does not unwrap.
    """
    if len(wrapped) < 28:
        raise AcquisitionError(f"encryption key of {len(wrapped)} bytes is too short")
    (clas,) = struct.unpack("<I", wrapped[:4])
    class_key = class_keys.get(clas)
    if class_key is None:
        raise AcquisitionError(f"protection class {clas} has no key in the keybag")
    try:
        return aes_key_unwrap(class_key, wrapped[4:])
    except (InvalidUnwrap, ValueError) as exc:
        raise AcquisitionError(f"key of protection class {clas} does not unwrap") from exc


def decrypt_chunks(key: bytes, chunks: Iterable[bytes], size: int | None) -> Iterator[bytes]:
    """AES-256-CBC with a zero IV; the output cut at ``size`` (or its PKCS#7 pad removed).

    Raises:
        AcquisitionError: when the bytes are not whole blocks or fewer than ``size``.
    """
    decryptor = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).decryptor()
    left = size
    total = 0
    held = b""  # the last block, which may be padding when the size is not known
    for chunk in chunks:
        total += len(chunk)
        plain = decryptor.update(chunk)
        if left is not None:
            out = plain[:left]
            left -= len(out)
            if out:
                yield out
        else:
            plain = held + plain
            held = plain[-16:]
            if plain[:-16]:
                yield plain[:-16]
    if total % 16:
        raise AcquisitionError(f"encrypted file of {total} bytes is not whole AES blocks")
    decryptor.finalize()  # CBC without padding: whole blocks leave nothing behind
    if left is not None:
        if left > 0:
            raise AcquisitionError(f"encrypted file ends {left} bytes short of its size {size}")
        return
    if held:
        pad = held[-1]
        yield held[: 16 - pad] if 0 < pad <= 16 else held


# --- the backup -----------------------------------------------------------------------------


@dataclass
class IosBackup:
    """An opened backup: its identity, its files by fileID, and (if encrypted) its keys."""

    root: Path
    encrypted: bool
    identity: DeviceIdentity
    files: dict[str, BackupFile]
    manifest_sha256: str  # of Manifest.db as read here (compared with the acquired item)
    info_sha256: str
    warnings: list[str] = field(default_factory=list)
    _class_keys: dict[int, bytes] = field(default_factory=dict, repr=False)
    _manifest_key: bytes | None = field(default=None, repr=False)

    @classmethod
    def open(cls, root: Path, password: PasswordFn) -> IosBackup:
        """Read the plists and the manifest; unlock an encrypted backup with the password.

        ``password`` is asked only for an encrypted backup (given the folder as text).

        Raises:
            AcquisitionError: an old (``Manifest.mbdb``) or damaged backup, no password.
            BackupPasswordError: a wrong password.
        """
        shown = str(root)
        if not (root / MANIFEST_DB).is_file():
            raise AcquisitionError(
                f"{shown}: backup with {MANIFEST_MBDB} (iOS 9 or earlier) is not supported; "
                "nothing acquired (give its files as a plain folder to acquire them unmapped)"
            )
        manifest = _plist(root / MANIFEST_PLIST)
        info_bytes = (root / INFO_PLIST).read_bytes() if (root / INFO_PLIST).is_file() else b""
        identity = read_identity(info_bytes) if info_bytes else DeviceIdentity(())
        encrypted = bool(manifest.get("IsEncrypted"))
        backup = cls(root, encrypted, identity, {}, "", hashlib.sha256(info_bytes).hexdigest())
        if encrypted:
            backup._unlock(manifest, password(shown))
        backup._read_manifest()
        return backup

    def _unlock(self, manifest: dict[str, Any], password: str | None) -> None:
        if password is None:
            raise AcquisitionError(
                f"{self.root}: the backup is encrypted; give its password with "
                "--backup-password-file FILE or EWS_BACKUP_PASSWORD (nothing acquired)"
            )
        bag, mkey = manifest.get("BackupKeyBag"), manifest.get("ManifestKey")
        if not isinstance(bag, bytes) or not isinstance(mkey, bytes):
            raise AcquisitionError(
                f"{self.root}: encrypted backup without BackupKeyBag/ManifestKey"
            )
        self._class_keys = Keybag.parse(bag).unlock(password)
        self._manifest_key = unwrap_file_key(self._class_keys, mkey)

    @contextmanager
    def manifest_copy(self) -> Iterator[Path]:
        """A private, read-only, decrypted copy of ``Manifest.db`` (removed on exit)."""
        with tempfile.TemporaryDirectory(prefix="ews-manifest-") as folder:
            path = Path(folder) / "Manifest.db"
            digest = hashlib.sha256()
            with open(self.root / MANIFEST_DB, "rb") as src, open(path, "wb") as dst:
                chunks = iter(lambda: src.read(_CHUNK), b"")
                counted = _hashing(chunks, digest)
                out = (
                    counted
                    if self._manifest_key is None
                    else (decrypt_chunks(self._manifest_key, counted, None))
                )
                for chunk in out:
                    dst.write(chunk)
            self.manifest_sha256 = digest.hexdigest()
            os.chmod(path, 0o400)
            yield path

    def _read_manifest(self) -> None:
        with self.manifest_copy() as path:
            conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
            try:
                rows = conn.execute(
                    "SELECT fileID, domain, relativePath, flags, file FROM Files"
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                raise AcquisitionError(
                    f"{self.root / MANIFEST_DB}: cannot read the Files table ({exc})"
                    + ("; wrong password?" if self.encrypted else "")
                ) from exc
            finally:
                conn.close()
        for file_id, domain, relative, flags, blob in rows:
            entry = BackupFile(str(file_id), _text(domain), _text(relative), int(flags or 0), blob)
            self.files[entry.file_id] = entry
            if self.encrypted and entry.flags == FLAG_FILE and entry.damage:
                self.warnings.append(entry.damage)  # read now: its key is needed

    def decrypted(self, f: BinaryIO, entry: BackupFile) -> Iterator[bytes]:
        """The plain bytes of one encrypted backup file read from ``f``.

        Raises:
            AcquisitionError: no key for it, or bytes that do not decrypt to its size.
        """
        if entry.wrapped_key is None:
            raise AcquisitionError(f"{entry.device_path}: no encryption key in its MBFile")
        key = unwrap_file_key(self._class_keys, entry.wrapped_key)
        return decrypt_chunks(key, iter(lambda: f.read(_CHUNK), b""), entry.size)

    def decrypted_manifest(self, f: BinaryIO) -> Iterator[bytes]:
        """The plain bytes of ``Manifest.db`` read from ``f`` (an encrypted backup's)."""
        if self._manifest_key is None:
            raise AcquisitionError("the backup is not encrypted")
        return decrypt_chunks(self._manifest_key, iter(lambda: f.read(_CHUNK), b""), None)


def mbfile_facts(blob: bytes) -> dict[str, Any]:
    """Size, protection class and wrapped key from an ``MBFile`` (NSKeyedArchiver plist).

    Raises:
        ValueError: when the blob is not such an archive.
    """
    try:
        archive = plistlib.loads(blob)
        objects = archive["$objects"]
        top = objects[archive["$top"]["root"]]
    except (plistlib.InvalidFileException, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"MBFile is not a keyed archive ({exc!r})") from None
    if not isinstance(top, dict):
        raise ValueError("MBFile root is not a dictionary")
    facts: dict[str, Any] = {}
    if isinstance(top.get("Size"), int):
        facts["size"] = int(top["Size"])
    if isinstance(top.get("ProtectionClass"), int):
        facts["protection_class"] = int(top["ProtectionClass"])
    ref = top.get("EncryptionKey")
    if isinstance(ref, plistlib.UID):
        holder = objects[ref.data] if ref.data < len(objects) else None
        data = holder.get("NS.data") if isinstance(holder, dict) else holder
        if isinstance(data, bytes):
            facts["wrapped_key"] = data
    return facts


def library_version() -> str:
    """The version of the library that decrypts (recorded in ``item.derived``)."""
    return str(cryptography.__version__)


def _plist(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            value = plistlib.load(f)
    except (OSError, plistlib.InvalidFileException, ValueError) as exc:
        raise AcquisitionError(f"{path}: cannot read the property list ({exc})") from exc
    if not isinstance(value, dict):
        raise AcquisitionError(f"{path}: not a dictionary")
    return value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _hashing(chunks: Iterator[bytes], digest: Any) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk

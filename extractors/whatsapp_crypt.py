"""WhatsApp for Android's encrypted backups, ``msgstore.db.crypt14`` and ``.crypt15``:
decrypted into the ``msgstore.db`` they hold, which becomes a derived item of its own
(hashed, in the ledger) that ``whatsapp_msgstore`` then extracts.

The layout, as public write-ups describe it (facts only; no code of other projects):

* The file starts with the length of a protobuf header (one byte), a byte ``0x01`` when a
  feature table follows (some versions), then the header: ``key_type`` (field 1) and either
  the crypt14 cipher description (field 2: cipher version, key version, server salt, Google
  id hash, and the 16-byte IV in field 5) or the crypt15 IV (field 3: the IV in field 1).
  Older crypt14 files have no protobuf header: the IV is at bytes 67-83 and the data starts
  at byte 189-195.
* Then the data: AES-256-GCM, the 16-byte tag after it, and (most versions) the MD5 of all
  that comes before as the last 16 bytes. Decrypted, the data is zlib-compressed SQLite.
* crypt14's key is the last 32 bytes (126-158) of the 158-byte ``key`` file in WhatsApp's
  private folder. crypt15's 32-byte root key is the 64-hex-digit key the user wrote down
  (or the last 32 bytes of ``encrypted_backup.key``); the AES key is derived from it with
  HMAC-SHA256: ``prk = HMAC(32 zero bytes, root)``, ``key = HMAC(prk, "backup encryption"
  || 0x01)``.

The key comes from the examiner (``Context.secrets["whatsapp_key"]``: the key file's bytes
or the 64 hex digits) or from a ``key`` / ``encrypted_backup.key`` member of the same
archive. Every candidate is tried; the GCM tag says which one is right, so a wrong key
never yields bytes. Without a key, or with none that fits, one warning names the file and
nothing else is produced. The derived file's locator names the method and the library
version (``pointer``), which the ledger's derivation note quotes.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO, ClassVar

import cryptography
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from extractors.base import Context, Source
from extractors.records import DerivedFile, Record
from extractors.registry import register

SECRET = "whatsapp_key"
KEY_MEMBERS = ("key", "encrypted_backup.key")
_NAME = re.compile(r"\.crypt1[45]$", re.IGNORECASE)
_HEX = re.compile(rb"[0-9a-fA-F]{64}")
_CHUNK = 1 << 20
_LEGACY_IV = (67, 83)
_LEGACY_STARTS = (191, 190, 189, 192, 193, 195)
_MAX_BYTES = 1 << 32  # a decompressed database larger than 4 GiB is refused


def crypt15_key(root: bytes) -> bytes:
    """The AES key of a crypt15 backup from its 32-byte root key (HMAC-SHA256 derivation)."""
    prk = hmac.new(b"\x00" * 32, root, hashlib.sha256).digest()
    return hmac.new(prk, b"backup encryption\x01", hashlib.sha256).digest()


def candidate_keys(material: bytes) -> list[tuple[str, bytes]]:
    """AES keys that key material can give: (how, key)."""
    found: list[tuple[str, bytes]] = []
    text = material.strip()
    if m := _HEX.fullmatch(text.replace(b" ", b"").replace(b"-", b"")):
        found.append(
            ("64-digit key, HMAC-SHA256 derivation", crypt15_key(bytes.fromhex(m[0].decode())))
        )
    if len(material) == 158:
        found.append(("key file bytes 126-158", material[126:158]))
    if len(material) >= 32 and not found:
        tail = material[-32:]
        found.append(("last 32 bytes of the key file, HMAC-SHA256 derivation", crypt15_key(tail)))
        found.append(("last 32 bytes of the key file", tail))
    return found


def _varint(buf: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while at < len(buf) and shift < 64:
        byte = buf[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7
    raise ValueError("bad varint")


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of a protobuf message (varints and bytes only)."""
    out: list[tuple[int, int | bytes]] = []
    at = 0
    while at < len(buf):
        tag, at = _varint(buf, at)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, at = _varint(buf, at)
            out.append((number, value))
        elif wire == 2:
            size, at = _varint(buf, at)
            if at + size > len(buf):
                raise ValueError("field past the header")
            out.append((number, buf[at : at + size]))
            at += size
        elif wire == 1:
            at += 8
        elif wire == 5:
            at += 4
        else:
            raise ValueError(f"wire type {wire}")
    return out


def layouts(head: bytes) -> list[tuple[str, bytes, int]]:
    """Where the IV and the data may be: (format, IV, data offset), most likely first."""
    found: list[tuple[str, bytes, int]] = []
    size = head[0] if head else 0
    for start in (2, 1) if len(head) > 2 and head[1] == 1 else (1,):
        proto = head[start : start + size]
        try:
            fields = _fields(proto)
        except ValueError:
            continue
        for number, value in fields:
            if not isinstance(value, bytes) or number not in (2, 3):
                continue
            try:
                inner = _fields(value)
            except ValueError:
                continue
            want = 5 if number == 2 else 1
            for n, iv in inner:
                if n == want and isinstance(iv, bytes) and len(iv) == 16:
                    found.append(("crypt14" if number == 2 else "crypt15", iv, start + size))
    iv = head[_LEGACY_IV[0] : _LEGACY_IV[1]]
    if len(iv) == 16:
        found.extend(("crypt14 (no protobuf header)", iv, s) for s in _LEGACY_STARTS)
    return found


def decrypt(
    opener: Callable[[], BinaryIO], size: int, key: bytes, iv: bytes, start: int
) -> bytes | None:
    """The decompressed database, or None when the tag or the data does not fit.

    One pass over the file, a chunk at a time (only the database is held): the last 32 bytes
    are the tag and the MD5 of all before it, or (no MD5) the data's last 16 bytes and the
    tag; the MD5, computed on the way, tells which.
    """
    if size < start + 48:
        return None
    with opener() as f:
        f.seek(start)
        first = Cipher(algorithms.AES(key), modes.GCM(iv)).decryptor().update(f.read(16))
        if len(first) < 2 or first[0] != 0x78 or (first[0] << 8 | first[1]) % 31:
            return None  # not a zlib stream: the wrong key or place (cheap to tell)
        f.seek(0)
        md5 = hashlib.md5(f.read(start))
        dec = Cipher(algorithms.AES(key), modes.GCM(iv)).decryptor()
        inflate = zlib.decompressobj()
        out = bytearray()
        try:
            left = size - 32 - start
            while left > 0:
                chunk = f.read(min(_CHUNK, left))
                if not chunk:
                    return None
                left -= len(chunk)
                md5.update(chunk)
                out += inflate.decompress(dec.update(chunk))
                if len(out) > _MAX_BYTES:
                    return None
            mid, last = f.read(16), f.read(16)
            md5.update(mid)
            if md5.digest() == last:
                dec.finalize_with_tag(mid)
            else:
                out += inflate.decompress(dec.update(mid))
                dec.finalize_with_tag(last)
            out += inflate.flush()
        except (InvalidTag, zlib.error, ValueError):
            return None
    return bytes(out)


class WhatsAppCryptExtractor:
    """WhatsApp encrypted backup (.crypt14, .crypt15): the database inside, as a derived item."""

    name: ClassVar[str] = "whatsapp_crypt"
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = (
        "WhatsApp for Android encrypted backup msgstore.db.crypt14 / .crypt15 (AES-256-GCM, "
        "zlib), decrypted with the key file or the 64-digit key into a derived msgstore.db"
    )

    def sniff(self, source: Source) -> bool:
        """Named ``*.crypt14``/``*.crypt15`` and starting as such a file does: a protobuf
        header (its length, then field 1 as a varint) or the older fixed header."""
        if not _NAME.search(source.name) or len(source.head) < 200:
            return False
        head = source.head
        return bool(layouts(head)) and (
            head[2:3] == b"\x08" or head[1:2] == b"\x08" or head[:2] == b"\x00\x01"
        )

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        keys: list[tuple[str, bytes]] = []
        given = ctx.secrets.get(SECRET)
        if given:
            keys.extend((f"examiner's {how}", k) for how, k in candidate_keys(given))
        keys.extend(self._sibling_keys(source))
        if not keys:
            yield ctx.warn(
                source.locate(offset=0),
                f"{source.name}: encrypted WhatsApp backup and no key given (the 'key' or "
                "'encrypted_backup.key' file, or the 64-digit key): not decrypted",
            )
            return
        with source.open() as f:
            head = f.read(512)
        for fmt, iv, start in layouts(head):
            for how, key in keys:
                ctx.check_cancelled()
                plain = decrypt(source.open, source.size, key, iv, start)
                if plain is None:
                    continue
                if not plain.startswith(b"SQLite format 3\x00"):
                    yield ctx.warn(
                        source.locate(offset=start),
                        f"{source.name}: decrypted ({fmt}) but not a SQLite database",
                    )
                name = (
                    re.sub(r"\.crypt1[45]$", "", source.name, flags=re.IGNORECASE) or "msgstore.db"
                )
                method = (
                    f"decrypted {fmt} AES-256-GCM + zlib with the {how} "
                    f"(cryptography {cryptography.__version__})"
                )
                yield DerivedFile(
                    locator=source.locate(pointer=method),
                    name=name,
                    mime="application/vnd.sqlite3",
                    data=plain,
                )
                return
        yield ctx.warn(
            source.locate(offset=0),
            f"{source.name}: none of the {len(keys)} key(s) given decrypts it (wrong key, or a "
            "layout not known): not decrypted",
        )

    def _sibling_keys(self, source: Source) -> Iterator[tuple[str, bytes]]:
        for sib in source.siblings:
            if posixpath.basename(sib.member) in KEY_MEMBERS and sib.size <= 4096:
                try:
                    with source.open_sibling(sib.member) as f:
                        material = f.read()
                except (KeyError, OSError):
                    continue
                for how, key in candidate_keys(material):
                    yield f"{sib.member} ({how})", key


register(WhatsAppCryptExtractor())

"""Check an evidential bundle (``ews-bundle/1``) on its own: ``ews verify-bundle``.

Usage, with the workstation installed or as a single file copied out of a bundle::

    ews verify-bundle BUNDLE --trust PUBKEY_FILE [--previous OLD] [--json] [--threads N]
    python verify_bundle.py BUNDLE --trust-fingerprint HEX [--previous OLD] [--json]

BUNDLE is the exported zip or its folder. The checks and their order are those of
docs/bundle-format.md: the bundle and its manifest, the manifest signature, every file's size
and SHA-256, the signed checkpoint, every ledger entry of the extract (hash, signature and
RFC 6962 inclusion proof), every exhibit's native originals against their ``item.acquired``
entries, and with ``--previous`` the consistency of an earlier bundle's ledger with this one.

It imports only the Python standard library and ``cryptography`` (Ed25519), so a recipient
can run it without the workstation. Nothing is extracted to disk: zip members are read as
streams, and every file is hashed in 1 MiB chunks (on two threads by default; hashlib and
zlib release the GIL, so the threads run in parallel). Canonical JSON, ledger entry hashing
and the Merkle proof checks are written here from the format page and RFC 6962 §2.1, on
purpose independently of the workstation's own code.

A signature proves nothing until the recipient names whose key they expect: ``--trust
PUBKEY_FILE`` (the examiner's exported public key file, or an OpenSSH ``ssh-ed25519`` line)
and ``--trust-fingerprint HEX`` (64 hex digits, spaces allowed), both repeatable, name the
trusted keys; an examiner added by a trusted examiner (``examiner.added``) is trusted too.

Exit status: 0 when every check passed and every signer is trusted, 1 when any check failed,
2 when the input is not a bundle, 3 when every check passed but no trust option was given
("integrity verified, signer not established: pass --trust").
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import stat
import struct
import sys
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "ews-bundle/1"
CHUNK = 1 << 20  # bytes read and hashed at a time
DEFAULT_THREADS = 2
#: Files the verifier parses are read into memory (once, and hashed from the same bytes);
#: anything larger is refused rather than risking the recipient's memory.
MAX_PARSED_BYTES = 512 << 20

MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
ENTRIES = "11_custody_ledger/entries.json"
CHECKPOINT = "11_custody_ledger/checkpoint.json"
INCLUSION = "11_custody_ledger/inclusion_proofs.json"
CONSISTENCY = "11_custody_ledger/consistency_proofs.json"
JSONLD = "case.jsonld"
EXHIBITS_JSON = "exhibits.json"
EXHIBITS_DIR = "04_exhibits"
KEYS_DIR = "keys"
PARSED = (ENTRIES, CHECKPOINT, INCLUSION, CONSISTENCY, JSONLD, EXHIBITS_JSON)

#: What reading a damaged zip member or an unreadable file can raise.
READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2
EXIT_UNESTABLISHED = 3
NOT_ESTABLISHED = "integrity verified, signer not established: pass --trust"
PUBKEY_FORMAT = "evidence-workstation/public-key/1"

#: Entry fields covered by ``entry_hash`` (docs/bundle-format.md, DESIGN.md §4).
ENTRY_FIELDS = ("seq", "case", "prev", "at", "actor", "action", "subject", "data")
GENESIS_PREV = "0" * 64

TITLES = {
    1: "bundle and manifest",
    2: "manifest signature",
    3: "file hashes",
    4: "signed checkpoint",
    5: "ledger entries",
    6: "exhibits",
    7: "previous bundle",
    8: "signers",
}


class Unusable(Exception):
    """The input is not a bundle at all (missing, not a zip or folder, no manifest)."""


class Bad(Exception):
    """A value in the bundle has the wrong shape; the message says which and why."""


class ProofError(Exception):
    """A Merkle proof is malformed or does not lead to the root."""


class MalformedProof(ProofError):
    """The proof, an index or a size has a shape no valid proof can have."""


class ProofMismatch(ProofError):
    """A well-formed proof that does not reproduce the signed root."""


# --- canonical JSON, hex, keys and signatures ------------------------------------------------


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 without ASCII escaping."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(data: bytes, what: str, *, require_canonical: bool = False) -> Any:
    """Parse UTF-8 JSON (NaN and Infinity refused).

    Raises:
        Bad: if it does not parse, or is not canonical when that is required.
    """
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Bad(f"{what} is not valid JSON ({exc})") from None
    if require_canonical and canonical(value) != data:
        raise Bad(f"{what} is not in canonical JSON form (changed after signing?)")
    return value


def _hex(value: object, size: int, what: str) -> bytes:
    """Lower-case hex of exactly ``size`` bytes, as bytes.

    Raises:
        Bad: otherwise.
    """
    if not isinstance(value, str) or len(value) != 2 * size or value != value.lower():
        raise Bad(f"{what} is not {2 * size} lower-case hex digits")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise Bad(f"{what} is not {2 * size} lower-case hex digits") from None


def _obj(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Bad(f"{what} is not a JSON object")
    return value


def _str(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise Bad(f"{what}: '{key}' is missing or not a string")
    return value


def _int(obj: Mapping[str, Any], key: str, what: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Bad(f"{what}: '{key}' is missing or not a whole number")
    return value


def _list(obj: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise Bad(f"{what}: '{key}' is missing or not a list")
    return value


def ed25519_ok(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if ``signature`` is a valid Ed25519 signature of ``message`` under the raw key."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def key_fingerprint(public_key: bytes) -> str:
    """Hex SHA-256 of the raw public key; a key id is this or its first 16 digits."""
    return hashlib.sha256(public_key).hexdigest()


def key_id_names(key_id: str, public_key: bytes) -> bool:
    """True if ``key_id`` (16 or 64 hex digits) identifies ``public_key``."""
    return len(key_id) in (16, 64) and key_fingerprint(public_key).startswith(key_id)


@dataclass(frozen=True)
class RecordedKey:
    """An examiner key as the ledger extract records it."""

    public_key: bytes
    initials: str
    name: str
    seq: int  # the entry that records it

    @property
    def key_id(self) -> str:
        return key_fingerprint(self.public_key)[:16]

    def describe(self) -> str:
        who = self.initials or self.name or "an examiner"
        return f"{who} (key {self.key_id})"


class KeyRing:
    """The examiner keys recorded in the ledger extract (case.created, examiner.added)."""

    def __init__(self) -> None:
        self._keys: dict[str, RecordedKey] = {}  # by full fingerprint

    def add(self, key: RecordedKey) -> None:
        self._keys.setdefault(key_fingerprint(key.public_key), key)

    def find(self, key_id: str) -> RecordedKey | None:
        if len(key_id) not in (16, 64):
            return None
        for fingerprint, key in self._keys.items():
            if fingerprint.startswith(key_id):
                return key
        return None

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[RecordedKey]:
        return iter(self._keys.values())


def _keys_of_entry(entry: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], str]]:
    """(object holding public_key/initials/name, where) for each key an entry records."""
    data = entry.get("data")
    if not isinstance(data, dict):
        return
    if entry.get("action") == "examiner.added":
        yield data, "examiner.added"
    elif entry.get("action") == "case.created":
        yield data, "case.created"
        examiner = data.get("examiner")
        if isinstance(examiner, dict):
            yield examiner, "case.created"


def keyring_of(entries: Iterable[Mapping[str, Any]]) -> KeyRing:
    """Collect the keys recorded by ``case.created`` and ``examiner.added`` entries."""
    ring = KeyRing()
    for entry in entries:
        seq = entry.get("seq")
        for holder, _where in _keys_of_entry(entry):
            raw = holder.get("public_key")
            if not isinstance(raw, str) or isinstance(seq, bool) or not isinstance(seq, int):
                continue
            try:
                public_key = _hex(raw, 32, "public key")
            except Bad:
                continue
            initials = holder.get("initials")
            name = holder.get("name")
            ring.add(
                RecordedKey(
                    public_key,
                    initials if isinstance(initials, str) else "",
                    name if isinstance(name, str) else "",
                    seq,
                )
            )
    return ring


def entry_leaf(entry: Mapping[str, Any]) -> bytes:
    """``SHA-256(0x00 || canonical JSON of the signed fields)``: the entry's hash and leaf."""
    return leaf_hash(canonical({k: entry[k] for k in ENTRY_FIELDS}))


def checkpoint_message(origin: str, size: int, root: str, at: str) -> bytes:
    """The bytes a checkpoint signature covers."""
    return canonical({"origin": origin, "size": size, "root": root, "at": at})


# --- RFC 3161 timestamps (only what a TimeStampToken over the checkpoint needs) ----------------

TIMESTAMP = "11_custody_ledger/checkpoint.tsr"
_HASH_OIDS = {  # DER bodies of the digest algorithm OIDs
    "608648016503040201": "sha256",
    "608648016503040202": "sha384",
    "608648016503040203": "sha512",
}
_OID_MESSAGE_DIGEST = "2a864886f70d010904"  # 1.2.840.113549.1.9.4
_OID_TST_INFO = "2a864886f70d0109100104"  # 1.2.840.113549.1.9.16.1.4


def _der(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start, end of content) of the DER element at ``pos``."""
    if pos + 2 > len(data):
        raise Bad("truncated DER")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    length = first
    if first >= 0x80:
        count = first & 0x7F
        if not 0 < count <= 4 or pos + count > len(data):
            raise Bad("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise Bad("truncated DER")
    return tag, pos, pos + length


def _der_items(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, content start, content end) of each element in [start, end)."""
    out = []
    pos = start
    while pos < end:
        tag, s, e = _der(data, pos)
        out.append((tag, pos, s, e))
        pos = e
    return out


def _der_body(data: bytes, item: tuple[int, int, int, int], tag: int, what: str) -> bytes:
    if item[0] != tag:
        raise Bad(f"{what}: DER tag {item[0]:#x}, expected {tag:#x}")
    return data[item[2] : item[3]]


def check_timestamp(token: bytes, message: bytes, cert_data: bytes) -> str:
    """Check an RFC 3161 TimeStampToken over ``message`` against the authority's certificate
    (PEM or DER); returns its time (genTime, RFC 3339).

    Raises:
        Bad: naming what does not hold.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    try:
        cert = (
            x509.load_pem_x509_certificate(cert_data)
            if b"-----BEGIN" in cert_data
            else x509.load_der_x509_certificate(cert_data)
        )
    except ValueError as exc:
        raise Bad(f"--tsa-cert is not an X.509 certificate: {exc}") from None
    try:
        _, s, e = _der(token, 0)  # ContentInfo
        content = _der_items(token, s, e)[1]
        signed_data = _der_items(token, *_der(token, content[2])[1:])
        encap = _der_items(token, signed_data[2][2], signed_data[2][3])
        if _der_body(token, encap[0], 0x06, "eContentType").hex() != _OID_TST_INFO:
            raise Bad("the token does not hold a TSTInfo")
        _, os_s, os_e = _der(token, encap[1][2])
        tst = token[os_s:os_e]
        _, ts, te = _der(tst, 0)
        fields = _der_items(tst, ts, te)
        imprint = _der_items(tst, fields[2][2], fields[2][3])
        alg = _der_items(tst, imprint[0][2], imprint[0][3])
        imprint_hash = _HASH_OIDS.get(_der_body(tst, alg[0], 0x06, "hash algorithm").hex())
        hashed = _der_body(tst, imprint[1], 0x04, "hashedMessage")
        gen_time = _der_body(tst, fields[4], 0x18, "genTime").decode("ascii")
        signer = _der_items(token, signed_data[-1][2], signed_data[-1][3])[0]
        info = _der_items(token, signer[2], signer[3])
        digest_alg = _der_items(token, info[2][2], info[2][3])
        digest = _HASH_OIDS.get(_der_body(token, digest_alg[0], 0x06, "digest").hex())
        attrs = info[3]
        if attrs[0] != 0xA0:
            raise Bad("the signer info has no signed attributes")
        signature = _der_body(token, info[5], 0x04, "signature")
        message_digest = None
        for attr in _der_items(token, attrs[2], attrs[3]):
            parts = _der_items(token, attr[2], attr[3])
            if _der_body(token, parts[0], 0x06, "attribute").hex() == _OID_MESSAGE_DIGEST:
                value = _der_items(token, parts[1][2], parts[1][3])[0]
                message_digest = _der_body(token, value, 0x04, "messageDigest")
    except (IndexError, UnicodeDecodeError):
        raise Bad("the timestamp token is malformed") from None
    if imprint_hash is None or digest is None:
        raise Bad("the timestamp uses a digest other than SHA-256/384/512")
    if hashlib.new(imprint_hash, message).digest() != hashed:
        raise Bad("the timestamp is over another checkpoint")
    if message_digest != hashlib.new(digest, tst).digest():
        raise Bad("the token's signed attributes do not match its TSTInfo")
    signed = b"\x31" + token[attrs[1] + 1 : attrs[3]]  # [0] IMPLICIT signed as a SET OF
    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), algorithm[digest])
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(algorithm[digest]))
        elif isinstance(key, Ed25519PublicKey):
            key.verify(signature, signed)
        else:
            raise Bad("the --tsa-cert key type is not supported (RSA, ECDSA, Ed25519)")
    except InvalidSignature:
        raise Bad("its signature does not verify with the --tsa-cert certificate") from None
    when = gen_time.rstrip("Z").split(".")[0]
    if len(when) != 14 or not when.isdigit():
        raise Bad(f"genTime {gen_time!r} is not a UTC GeneralizedTime")
    at = f"{when[:4]}-{when[4:6]}-{when[6:8]}T{when[8:10]}:{when[10:12]}:{when[12:14]}Z"
    issued = cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    expires = cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not issued <= at <= expires:
        raise Bad(f"stamped at {at}, outside the --tsa-cert validity ({issued} to {expires})")
    return at


# --- RFC 6962 Merkle proofs --------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 §2.1 leaf hash: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1 interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """RFC 6962's k: the largest power of two strictly smaller than ``n`` (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _proof_hashes(path: Sequence[object], what: str) -> list[bytes]:
    if isinstance(path, str | bytes) or not isinstance(path, Sequence):
        raise MalformedProof(f"{what} is not a list of hashes")
    out: list[bytes] = []
    for i, node in enumerate(path):
        if isinstance(node, bytes) and len(node) == 32:
            out.append(node)
            continue
        try:
            out.append(_hex(node, 32, f"{what} node {i}"))
        except Bad as exc:
            raise MalformedProof(str(exc)) from None
    return out


def _hashes(*pairs: tuple[object, str]) -> None:
    for value, what in pairs:
        if not isinstance(value, bytes) or len(value) != 32:
            raise MalformedProof(f"{what} is not a 32-byte hash")


def _sizes(*pairs: tuple[object, str]) -> None:
    for value, what in pairs:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise MalformedProof(f"{what} is not a whole number")


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[object], root: bytes
) -> None:
    """Check an RFC 6962 §2.1.1 audit path of leaf ``index`` in the tree of ``size`` leaves.

    The path is rebuilt from the definition ``PATH(m, D[n])``: descending from the whole tree,
    each split ``k`` sends the leaf left (sibling ``MTH(D[k:n])`` on the right) or right
    (sibling ``MTH(D[0:k])`` on the left); the proof lists those siblings leaf-first.

    Raises:
        MalformedProof: a bad index/size, or a path of the wrong length for them.
        ProofMismatch: the path does not lead to ``root``.
    """
    _hashes((leaf, "leaf hash"), (root, "root"))
    _sizes((index, "leaf index"), (size, "tree size"))
    if index >= size:
        raise MalformedProof(f"leaf index {index} is outside a tree of {size} entries")
    hashes = _proof_hashes(path, "inclusion proof")
    leaf_is_left: list[bool] = []  # top-down
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            leaf_is_left.append(True)
            end = start + k
        else:
            leaf_is_left.append(False)
            start += k
    if len(hashes) != len(leaf_is_left):
        raise MalformedProof(
            f"inclusion proof has {len(hashes)} hashes; leaf {index} of a tree of {size} "
            f"needs {len(leaf_is_left)}"
        )
    digest = leaf
    for sibling, is_left in zip(hashes, reversed(leaf_is_left), strict=True):
        digest = node_hash(digest, sibling) if is_left else node_hash(sibling, digest)
    if digest != root:
        raise ProofMismatch(f"inclusion proof of leaf {index} does not lead to the signed root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[object]
) -> None:
    """Check an RFC 6962 §2.1.2 proof that the tree of ``old_size`` is a prefix of ``new_size``.

    Follows ``SUBPROOF(m, D[n], b)`` from the top: while ``m != n`` the split ``k`` either
    keeps the old tree on the left (``m <= k``: the right sibling exists only in the new
    tree) or cuts it (``m > k``: the left subtree is shared by both trees). At the bottom, the
    remaining subtree is the old root itself if no cut happened, else the proof's first hash.
    Both roots are then rebuilt bottom-up and compared. Stricter than the RFC on trivial
    cases: an empty old tree must have the empty root, equal sizes need equal roots, and
    both take an empty proof.

    Raises:
        MalformedProof: bad sizes, or a proof of the wrong length for them.
        ProofMismatch: the proof does not reproduce both roots.
    """
    _hashes((old_root, "earlier root"), (new_root, "later root"))
    _sizes((old_size, "old tree size"), (new_size, "new tree size"))
    if old_size > new_size:
        raise MalformedProof(f"old tree size {old_size} is larger than new size {new_size}")
    hashes = _proof_hashes(path, "consistency proof")
    if old_size == 0 or old_size == new_size:
        if hashes:
            raise MalformedProof("a consistency proof between these sizes must be empty")
        if old_size == 0 and old_root != hashlib.sha256(b"").digest():
            raise ProofMismatch("the root of an empty tree must be SHA-256 of nothing")
        if old_size == new_size and old_root != new_root:
            raise ProofMismatch(f"two trees of size {old_size} have different roots")
        return
    old_on_left: list[bool] = []  # top-down
    m, n, cut = old_size, new_size, False
    while m != n:
        k = _split(n)
        if m <= k:
            old_on_left.append(True)
            n = k
        else:
            old_on_left.append(False)
            m, n, cut = m - k, n - k, True
    expected = len(old_on_left) + (1 if cut else 0)
    if len(hashes) != expected:
        raise MalformedProof(
            f"consistency proof {old_size}->{new_size} has {len(hashes)} hashes, needs {expected}"
        )
    if cut:
        old_digest = new_digest = hashes[0]
        rest = hashes[1:]
    else:
        old_digest = new_digest = old_root
        rest = hashes
    for node, left in zip(rest, reversed(old_on_left), strict=True):
        if left:
            new_digest = node_hash(new_digest, node)
        else:
            old_digest = node_hash(node, old_digest)
            new_digest = node_hash(node, new_digest)
    if old_digest != old_root:
        raise ProofMismatch(
            f"consistency proof {old_size}->{new_size} does not reproduce the earlier root"
        )
    if new_digest != new_root:
        raise ProofMismatch(
            f"consistency proof {old_size}->{new_size} does not reproduce the later root"
        )


# --- reading a bundle: a zip or a folder, never extracted --------------------------------------


@dataclass(frozen=True)
class Problem:
    """One failure: what it concerns (a file, an entry, an exhibit) and what is wrong."""

    subject: str
    message: str


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a safe bundle-relative path, or None."""
    if not path:
        return "empty path"
    if "\x00" in path:
        return "contains a NUL byte"
    if "\\" in path:
        return "contains a backslash"
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return "is an absolute path"
    parts = path.split("/")
    if ".." in parts:
        return "contains '..'"
    if "" in parts or "." in parts:
        return "has an empty or '.' component"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    return None


def human_size(n: int) -> str:
    """``n`` bytes in words a reader can take in (kB, MB, GB; powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"


def _fold(path: str) -> str:
    return unicodedata.normalize("NFC", path).casefold()


def _clashes(paths: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of distinct paths that are the same file on a case-insensitive file system."""
    seen: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for path in paths:
        other = seen.setdefault(_fold(path), path)
        if other != path:
            out.append((other, path))
    return out


class Stream(Protocol):
    """What the verifier needs of an open file or zip member."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readinto(self, buffer: memoryview, /) -> int | None: ...

    def close(self) -> None: ...


class Source:
    """The files of a bundle, relative to its top folder, readable as streams."""

    kind = ""

    def __init__(self, location: str) -> None:
        self.location = location
        self.top = ""  # the top folder's name
        self.files: dict[str, int] = {}  # relative path -> size in bytes
        self.problems: list[Problem] = []  # unsafe or stray members seen when opening

    def open(self, path: str) -> Stream:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file handle."""

    def read_all(self, path: str) -> bytes:
        """The whole file (for the few the verifier parses).

        Raises:
            Bad: if it is larger than MAX_PARSED_BYTES.
        """
        if self.files[path] > MAX_PARSED_BYTES:
            raise Bad(f"{path} is too large to parse ({self.files[path]:,} bytes)")
        f = self.open(path)
        try:
            data = f.read(MAX_PARSED_BYTES + 1)
        finally:
            f.close()
        if len(data) > MAX_PARSED_BYTES:
            raise Bad(f"{path} is too large to parse")
        return data

    def digest(self, path: str) -> tuple[str, int]:
        """(hex SHA-256, size) of one file, read in CHUNK-sized pieces."""
        h = hashlib.sha256()
        size = 0
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        f = self.open(path)
        try:
            while True:
                got = f.readinto(view)
                if not got:
                    break
                h.update(view[:got])
                size += got
        finally:
            f.close()
        return h.hexdigest(), size


class ZipSource(Source):
    """A zip read in place; members are checked before anything is trusted."""

    kind = "zip"

    def __init__(self, location: str) -> None:
        super().__init__(location)
        try:
            self._file = open(location, "rb")  # noqa: SIM115 (closed by close())
        except OSError as exc:
            raise Unusable(f"{location} cannot be read ({exc.strerror})") from None
        try:
            self._zip = zipfile.ZipFile(self._file)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            self._file.close()
            raise Unusable(f"{location} is not a readable zip ({exc})") from None
        self._length = os.fstat(self._file.fileno()).st_size
        self._infos: dict[str, zipfile.ZipInfo] = {}
        try:
            self._scan()
        except Unusable:
            self.close()
            raise

    def _scan(self) -> None:
        members = self._zip.infolist()
        tops: dict[str, bool] = {}  # top folder -> holds manifest.json
        seen: set[str] = set()
        for info in members:
            name = info.orig_filename
            if name in seen or info.filename in seen:
                self.problems.append(Problem(name, "appears twice in the zip"))
                continue
            seen.add(name)
            bare = name[:-1] if name.endswith("/") else name
            why = path_problem(bare) or (
                "is not the name stored in the zip" if info.filename != name else None
            )
            if why:
                self.problems.append(Problem(repr(name), f"unsafe zip member name: {why}"))
                continue
            top, _, rel = bare.partition("/")
            tops.setdefault(top, False)
            if info.is_dir():
                continue
            if rel == MANIFEST:
                tops[top] = True
            if not rel:
                continue  # a file beside the top folder; reported below
            if info.flag_bits & 0x1:
                self.problems.append(Problem(rel, "is encrypted in the zip"))
                continue
            mode = info.external_attr >> 16
            if mode and not (stat.S_ISREG(mode) or stat.S_IFMT(mode) == 0):
                self.problems.append(Problem(rel, "is not a regular file (link or device)"))
                continue
            self._infos[rel] = info
        holders = [t for t, has in tops.items() if has]
        if not members:
            raise Unusable(f"{self.location} is an empty zip")
        if not holders:
            raise Unusable(f"{self.location} holds no <bundle>/{MANIFEST}: not a bundle")
        if len(holders) > 1:
            raise Unusable(f"{self.location} holds {len(holders)} bundles: {', '.join(holders)}")
        self.top = holders[0]
        for info in members:
            name = info.orig_filename
            if name.partition("/")[0] != self.top and not path_problem(name.rstrip("/")):
                self.problems.append(Problem(name, "is outside the bundle's top folder"))
        self._infos = {
            rel: info
            for rel, info in self._infos.items()
            if info.orig_filename.startswith(self.top + "/")
        }
        self.files = {rel: info.file_size for rel, info in self._infos.items()}
        for a, b in _clashes(self.files):
            self.problems.append(Problem(b, f"clashes with {a} (names differ only in case)"))

    def open(self, path: str) -> Stream:
        return cast(Stream, self._zip.open(self._infos[path]))

    def close(self) -> None:
        self._zip.close()
        self._file.close()

    def digest(self, path: str) -> tuple[str, int]:
        info = self._infos[path]
        if info.compress_type != zipfile.ZIP_STORED or not hasattr(os, "preadv"):
            return super().digest(path)
        return self._digest_stored(info)

    def _digest_stored(self, info: zipfile.ZipInfo) -> tuple[str, int]:
        """Hash a stored member straight from the zip file, past its local header.

        The header is checked as zipfile checks it (signature, same name as the central
        directory); zipfile's CRC-32 and its buffer copies are skipped, since SHA-256 is the
        stronger check of the very same bytes. Positional reads share the file safely
        between threads.

        Raises:
            zipfile.BadZipFile: if the local header or the member's extent is wrong.
        """
        fd = self._file.fileno()
        header = os.pread(fd, 30, info.header_offset)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {info.orig_filename!r}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        name = os.pread(fd, name_len, info.header_offset + 30)
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        if name != info.orig_filename.encode(encoding):
            raise zipfile.BadZipFile("the local header names another file than the directory")
        pos = info.header_offset + 30 + name_len + extra_len
        left = info.compress_size
        if left != info.file_size or pos + left > self._length:
            raise zipfile.BadZipFile("the member's stated size runs past the zip")
        h = hashlib.sha256()
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while left:
            got = os.preadv(fd, [view[: min(CHUNK, left)]], pos)
            if got <= 0:
                raise zipfile.BadZipFile("the zip ends inside the member")
            h.update(view[:got])
            pos += got
            left -= got
        return h.hexdigest(), info.file_size


class FolderSource(Source):
    """A bundle folder: the top folder itself, or a folder holding exactly one bundle."""

    kind = "folder"

    def __init__(self, location: str) -> None:
        super().__init__(location)
        root = location
        if not os.path.isfile(os.path.join(root, MANIFEST)):
            found = [
                d.path
                for d in sorted(os.scandir(root), key=lambda d: d.name)
                if d.is_dir(follow_symlinks=False) and os.path.isfile(os.path.join(d, MANIFEST))
            ]
            if not found:
                raise Unusable(f"{location} holds no {MANIFEST}: not a bundle")
            if len(found) > 1:
                raise Unusable(f"{location} holds {len(found)} bundles; name one of them")
            root = found[0]
        self.root = root
        self.top = os.path.basename(os.path.normpath(root))
        self._scan()

    def _scan(self) -> None:
        def failed(exc: OSError) -> None:
            self.problems.append(Problem(str(exc.filename), f"cannot be read ({exc.strerror})"))

        for folder, dirs, names in os.walk(self.root, onerror=failed):
            rel_folder = os.path.relpath(folder, self.root)
            prefix = "" if rel_folder == "." else rel_folder.replace(os.sep, "/") + "/"
            for name in sorted(dirs):
                if os.path.islink(os.path.join(folder, name)):
                    self.problems.append(Problem(prefix + name, "is a symbolic link"))
            for name in sorted(names):
                rel = prefix + name
                why = path_problem(rel)
                if why:
                    self.problems.append(Problem(repr(rel), f"unusable file name: {why}"))
                    continue
                try:
                    st = os.lstat(os.path.join(folder, name))
                except OSError as exc:
                    self.problems.append(Problem(rel, f"cannot be read ({exc.strerror})"))
                    continue
                if not stat.S_ISREG(st.st_mode):
                    self.problems.append(Problem(rel, "is not a regular file (link or device)"))
                    continue
                self.files[rel] = st.st_size
        for a, b in _clashes(self.files):
            self.problems.append(Problem(b, f"clashes with {a} (names differ only in case)"))

    def open(self, path: str) -> Stream:
        full = os.path.join(self.root, *path.split("/"))
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return cast(Stream, os.fdopen(fd, "rb", buffering=0))


def open_source(location: str) -> Source:
    """Open a bundle zip or folder.

    Raises:
        Unusable: if it is neither, or holds no bundle.
    """
    if os.path.isdir(location):
        return FolderSource(location)
    if os.path.isfile(location):
        return ZipSource(location)
    raise Unusable(f"{location}: no such file or folder")


# --- the report ---------------------------------------------------------------------------------


@dataclass
class Check:
    """One numbered check: what passing means, or the problems found."""

    number: int
    passed: str = ""  # plain words, shown when it passed
    problems: list[Problem] = field(default_factory=list)

    @property
    def title(self) -> str:
        return TITLES[self.number]

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, subject: str, message: str) -> None:
        self.problems.append(Problem(subject, message))

    def lines(self) -> list[str]:
        head = f"{self.number}. {self.title}"
        if self.ok:
            return [f"PASS  {head}: {self.passed}"]
        return [f"FAIL  {head}: {p.subject}: {p.message}" for p in self.problems]

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "check": self.title,
            "ok": self.ok,
            "detail": self.passed if self.ok else "",
            "problems": [{"subject": p.subject, "message": p.message} for p in self.problems],
        }


@dataclass
class Report:
    """Everything verify-bundle found about one bundle."""

    location: str
    kind: str = ""
    bundle_id: str = ""
    case_id: str = ""
    urn: str = ""
    signer: str = ""
    checkpoint: dict[str, Any] = field(default_factory=dict)
    timestamp: dict[str, Any] = field(default_factory=dict)  # RFC 3161, see check_timestamp
    checks: list[Check] = field(default_factory=list)
    files: int = 0
    total_bytes: int = 0
    seconds: float = 0.0
    signer_established: bool = False  # every signer trusted through --trust / --trust-fingerprint
    signer_fingerprint: str = ""  # of the manifest's signer

    @property
    def checks_ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def ok(self) -> bool:
        return self.checks_ok and self.signer_established

    @property
    def exit_code(self) -> int:
        if not self.checks_ok:
            return EXIT_FAILED
        return EXIT_OK if self.signer_established else EXIT_UNESTABLISHED

    def check(self, number: int) -> Check:
        return next(c for c in self.checks if c.number == number)

    def summary(self) -> str:
        failed = [c for c in self.checks if not c.ok]
        if not failed and self.signer_established:
            return (
                f"RESULT: PASS. All {len(self.checks)} checks passed: {self.files} files "
                f"({human_size(self.total_bytes)}) are as exported and signed by {self.signer}, "
                f"a key you trust ({self.seconds:.1f} s)."
            )
        if not failed:
            fp = self.signer_fingerprint
            grouped = " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))
            return (
                f"RESULT: NOT ESTABLISHED. All {len(self.checks)} checks passed: {self.files} "
                f"files ({human_size(self.total_bytes)}) are as exported and signed by "
                f"{self.signer} ({self.seconds:.1f} s).\n{NOT_ESTABLISHED}\n"
                f"Nothing inside a bundle can show whose key signed it. The signing key's "
                f"fingerprint is {grouped}: compare it with the examiner by telephone, or with "
                f"your unit's published list of examiner keys, then run again with "
                f'--trust-fingerprint "{grouped}" (or --trust with their public key file).'
            )
        count = sum(len(c.problems) for c in failed)
        return (
            f"RESULT: FAIL. {len(failed)} of {len(self.checks)} checks failed "
            f"({count} problem{'s' if count != 1 else ''}: "
            f"{', '.join(c.title for c in failed)}). The bundle is not as it was exported, "
            f"or is incomplete; do not rely on it until this is explained."
        )

    def text(self) -> str:
        out = [f"Verifying {self.kind} {self.location}"]
        if self.bundle_id:
            out.append(f"Bundle {self.bundle_id}, URN {self.urn or '?'}, case {self.case_id}")
        for c in self.checks:
            out.extend(c.lines())
        out.append(self.summary())
        return "\n".join(out) + "\n"

    def as_json(self) -> dict[str, Any]:
        return {
            "bundle": self.location,
            "kind": self.kind,
            "format": FORMAT,
            "bundle_id": self.bundle_id,
            "case_id": self.case_id,
            "urn": self.urn,
            "signer": self.signer,
            "checkpoint": self.checkpoint,
            "timestamp": self.timestamp,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "signer_established": self.signer_established,
            "signer_fingerprint": self.signer_fingerprint,
            "files": self.files,
            "bytes": self.total_bytes,
            "seconds": round(self.seconds, 3),
            "checks": [c.as_json() for c in self.checks],
            "summary": self.summary(),
        }


# --- the checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class SignedPoint:
    origin: str
    size: int
    root: str
    at: str
    key_id: str
    signature: str

    @classmethod
    def parse(cls, value: object, what: str) -> SignedPoint:
        obj = _obj(value, what)
        point = cls(
            _str(obj, "origin", what),
            _int(obj, "size", what),
            _str(obj, "root", what),
            _str(obj, "at", what),
            _str(obj, "key_id", what),
            _str(obj, "signature", what),
        )
        _hex(point.root, 32, f"{what} root")
        _hex(point.signature, 64, f"{what} signature")
        return point

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root": self.root,
            "at": self.at,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class Verifier:
    """Runs the checks of docs/bundle-format.md over one opened bundle."""

    def __init__(
        self,
        source: Source,
        threads: int = DEFAULT_THREADS,
        trusted: Mapping[str, str] | None = None,  # fingerprint -> where it was given
        tsa_cert: bytes | None = None,  # the timestamp authority's certificate (--tsa-cert)
    ) -> None:
        self.src = source
        self.threads = max(1, threads)
        self.trusted = trusted
        self.tsa_cert = tsa_cert
        self.report = Report(source.location, kind=source.kind)
        self.report.checks = [Check(n) for n in range(1, 7)]
        self.manifest_bytes = b""
        self.manifest: dict[str, Any] | None = None
        self.listed: dict[str, Listed] = {}
        self.parsed: dict[str, Any] = {}  # path -> parsed JSON (None if unreadable)
        self.entries: dict[int, dict[str, Any]] = {}
        self.proven: set[int] = set()
        self.keys = KeyRing()
        self.point: SignedPoint | None = None
        self.manifest_key_id = ""  # of manifest.sig, once read
        self._raw: dict[str, bytes] = {}  # parsed files' bytes, hashed in check 3

    # one method per check; each records into self.report.check(n)

    def run(self) -> Report:
        started = time.perf_counter()
        self.check_manifest()
        self.load_parsed()
        self.keys = keyring_of(self.entries.values())
        self.check_signature()
        self.check_files()
        self.check_checkpoint()
        self.check_entries()
        self.check_exhibits()
        self.check_signed_facts()  # part of check 6: printed facts vs the signed extract
        check_signers(self)  # 8: endorsement chain, and trust if --trust was given
        self.report.seconds = time.perf_counter() - started
        return self.report

    def check_manifest(self) -> None:
        c = self.report.check(1)
        for p in self.src.problems:
            c.fail(p.subject, p.message)
        if MANIFEST not in self.src.files:
            raise Unusable(f"{self.src.location}: no {MANIFEST}")
        try:
            self.manifest_bytes = self.src.read_all(MANIFEST)
            manifest = _obj(
                parse_json(self.manifest_bytes, MANIFEST, require_canonical=True), MANIFEST
            )
            if manifest.get("format") != FORMAT:
                raise Bad(f"format is {manifest.get('format')!r}, expected {FORMAT!r}")
            for key in ("bundle_id", "case_id", "urn", "generated_at", "file_type"):
                _str(manifest, key, MANIFEST)
            signer = _obj(manifest.get("signer"), f"{MANIFEST} signer")
            _hex(_str(signer, "public_key", "signer"), 32, "signer public_key")
            _str(signer, "key_id", "signer")
            _obj(manifest.get("checkpoint"), f"{MANIFEST} checkpoint")
            files = _list(manifest, "files", MANIFEST)
        except (Bad, *READ_ERRORS) as exc:
            c.fail(MANIFEST, str(exc))
            return
        self.manifest = manifest
        self.report.bundle_id = manifest["bundle_id"]
        self.report.case_id = manifest["case_id"]
        self.report.urn = manifest["urn"]
        previous = ""
        for i, item in enumerate(files):
            try:
                obj = _obj(item, f"files[{i}]")
                listed = Listed(
                    _str(obj, "path", f"files[{i}]"),
                    _str(obj, "sha256", f"files[{i}]"),
                    _int(obj, "size", f"files[{i}]"),
                )
                _hex(listed.sha256, 32, f"sha256 of {listed.path}")
            except Bad as exc:
                c.fail(MANIFEST, str(exc))
                continue
            why = path_problem(listed.path)
            if why:
                c.fail(MANIFEST, f"lists an unsafe path {listed.path!r}: {why}")
                continue
            if listed.path in (MANIFEST, MANIFEST_SIG):
                c.fail(MANIFEST, f"lists {listed.path}, which cannot hash itself")
                continue
            if listed.path in self.listed:
                c.fail(MANIFEST, f"lists {listed.path} twice")
                continue
            if listed.path.encode("utf-8") <= previous.encode("utf-8"):
                c.fail(MANIFEST, f"files are not sorted by path at {listed.path}")
            previous = listed.path
            self.listed[listed.path] = listed
        if self.src.kind == "zip" and self.src.top != self.report.bundle_id:
            c.fail(
                self.src.top + "/",
                f"the top folder is not named after the bundle id {self.report.bundle_id}",
            )
        if c.ok:
            c.passed = (
                f"{self.src.kind} with one top folder {self.src.top}/; {MANIFEST} is canonical "
                f"{FORMAT} listing {len(self.listed)} files ({manifest['file_type']} file, "
                f"generated {manifest['generated_at']})"
            )

    def load_parsed(self) -> None:
        """Read and parse the ledger extract and exhibit lists (hashed later, same bytes)."""
        for path in PARSED:
            if path not in self.src.files:
                continue
            try:
                data = self.src.read_all(path)
            except (Bad, *READ_ERRORS):
                continue  # check 3 names it when hashing
            self._raw[path] = data
            try:
                self.parsed[path] = parse_json(data, path)
            except Bad:
                self.parsed[path] = None
        entries = self.parsed.get(ENTRIES)
        if isinstance(entries, list):
            for entry in entries:
                seq = entry.get("seq") if isinstance(entry, dict) else None
                if isinstance(seq, int) and not isinstance(seq, bool):
                    self.entries.setdefault(seq, entry)

    def check_signature(self) -> None:
        c = self.report.check(2)
        if MANIFEST_SIG not in self.src.files:
            c.fail(MANIFEST_SIG, "is missing: the manifest is not signed")
            return
        try:
            sig = _obj(
                parse_json(self.src.read_all(MANIFEST_SIG), MANIFEST_SIG, require_canonical=True),
                MANIFEST_SIG,
            )
            if sig.get("algorithm") != "ed25519":
                raise Bad(f"algorithm is {sig.get('algorithm')!r}, expected 'ed25519'")
            key_id = _str(sig, "key_id", MANIFEST_SIG)
            signature = _hex(sig.get("signature"), 64, f"{MANIFEST_SIG} signature")
        except (Bad, *READ_ERRORS) as exc:
            c.fail(MANIFEST_SIG, str(exc))
            return
        self.manifest_key_id = key_id
        recorded = self.keys.find(key_id)
        if recorded is None:
            c.fail(
                MANIFEST_SIG, f"signed by key {key_id}, which the ledger extract does not record"
            )
            return
        self.report.signer = recorded.describe()
        if self.manifest is not None:
            signer = self.manifest["signer"]
            stated = bytes.fromhex(signer["public_key"])
            if signer["key_id"] != key_id or not key_id_names(key_id, stated):
                c.fail(MANIFEST, f"its signer {signer['key_id']} is not the key of {MANIFEST_SIG}")
            elif stated != recorded.public_key:
                c.fail(MANIFEST, "its signer's public key is not the one the ledger records")
        if not ed25519_ok(recorded.public_key, self.manifest_bytes, signature):
            c.fail(
                MANIFEST_SIG, f"the signature does not match {MANIFEST} (changed after signing?)"
            )
        for path in sorted(p for p in self.src.files if p.startswith(KEYS_DIR + "/")):
            self._check_key_file(c, path)
        if c.ok:
            c.passed = (
                f"valid Ed25519 signature of {MANIFEST} by {recorded.describe()}, "
                f"a key recorded in ledger entry {recorded.seq}"
            )

    def _check_key_file(self, c: Check, path: str) -> None:
        try:
            text = self.src.read_all(path).decode("ascii").split()
            raw = _openssh_ed25519(text[1] if len(text) > 1 and text[0] == "ssh-ed25519" else "")
        except (Bad, UnicodeDecodeError, *READ_ERRORS) as exc:
            c.fail(path, f"is not an OpenSSH Ed25519 public key ({exc})")
            return
        if self.keys.find(key_fingerprint(raw)[:16]) is None:
            c.fail(path, "holds a key the ledger extract does not record")

    def check_files(self) -> None:
        c = self.report.check(3)
        if self.manifest is None:
            c.fail(MANIFEST, "unreadable, so no file could be checked against it")
            return
        present = {p: s for p, s in self.src.files.items() if p not in (MANIFEST, MANIFEST_SIG)}
        for path in sorted(set(self.listed) - set(present)):
            c.fail(path, "is listed in the manifest but missing from the bundle")
        for path in sorted(set(present) - set(self.listed)):
            c.fail(path, "is in the bundle but not listed in the manifest (added or renamed?)")
        jobs: list[Listed] = []
        for path in sorted(set(self.listed) & set(present)):
            listed = self.listed[path]
            if present[path] != listed.size:
                c.fail(path, f"is {present[path]:,} bytes; the manifest says {listed.size:,}")
            elif path in self._raw:
                self._compare(c, listed, hashlib.sha256(self._raw[path]).hexdigest(), listed.size)
            else:
                jobs.append(listed)
        jobs.sort(key=lambda j: -j.size)  # largest first keeps both threads busy to the end
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            for listed, result in zip(jobs, pool.map(self._digest, jobs), strict=True):
                if isinstance(result, str):
                    c.fail(listed.path, result)
                else:
                    self._compare(c, listed, *result)
        self.report.files = len(self.listed)
        self.report.total_bytes = sum(f.size for f in self.listed.values())
        if c.ok:
            c.passed = (
                f"all {len(self.listed)} files ({human_size(self.report.total_bytes)}) are "
                f"present with the size and SHA-256 in the manifest; no file is unlisted"
            )

    def _digest(self, listed: Listed) -> tuple[str, int] | str:
        try:
            return self.src.digest(listed.path)
        except (zipfile.BadZipFile, zlib.error) as exc:
            return f"the zip member is damaged ({exc}): its bytes changed after export"
        except READ_ERRORS as exc:
            return f"cannot be read ({exc})"

    @staticmethod
    def _compare(c: Check, listed: Listed, sha256: str, size: int) -> None:
        if size != listed.size:
            c.fail(listed.path, f"read {size:,} bytes; the manifest says {listed.size:,}")
        elif sha256 != listed.sha256:
            c.fail(
                listed.path,
                f"SHA-256 is {sha256[:16]}…, the manifest says {listed.sha256[:16]}… "
                f"(contents changed)",
            )

    def check_checkpoint(self) -> None:
        c = self.report.check(4)
        try:
            point = SignedPoint.parse(self.parsed.get(CHECKPOINT), CHECKPOINT)
        except Bad as exc:
            c.fail(
                CHECKPOINT, str(exc) if CHECKPOINT in self.parsed else "is missing or unreadable"
            )
            return
        self.point = point
        self.report.checkpoint = point.as_json()
        if self.manifest is not None and self.manifest["checkpoint"] != point.as_json():
            c.fail(MANIFEST, f"its checkpoint differs from {CHECKPOINT}")
        key = self.keys.find(point.key_id)
        message = checkpoint_message(point.origin, point.size, point.root, point.at)
        if key is None:
            c.fail(
                CHECKPOINT,
                f"signed by key {point.key_id}, which the ledger extract does not record",
            )
        elif not ed25519_ok(key.public_key, message, bytes.fromhex(point.signature)):
            c.fail(CHECKPOINT, f"the signature by {key.describe()} does not verify")
        elif c.ok:
            c.passed = (
                f"ledger of {point.size} entries with root {point.root[:16]}… signed at "
                f"{point.at} by {key.describe()}; the manifest holds the same checkpoint"
            )
        stamped = self.check_timestamp(c, message)
        if c.ok:
            c.passed += f"; {stamped}"

    def check_timestamp(self, c: Check, message: bytes) -> str:
        """Part of check 4: the checkpoint's RFC 3161 timestamp, against --tsa-cert."""
        note = self.manifest.get("timestamp") if self.manifest is not None else None
        note = note if isinstance(note, dict) else {}
        authority = note.get("authority") or "an authority"
        if TIMESTAMP not in self.src.files:
            self.report.timestamp = {"present": False, "note": str(note.get("note") or "")}
            if self.tsa_cert is not None:
                c.fail(TIMESTAMP, "--tsa-cert was given, but the bundle holds no timestamp")
            return f"no RFC 3161 timestamp ({note.get('note') or 'none recorded'})"
        self.report.timestamp = {"present": True, "authority": authority, "checked": False}
        if self.tsa_cert is None:
            return (
                f"an RFC 3161 timestamp from {authority} is included, not checked: pass --tsa-cert"
            )
        try:
            token = self.src.read_all(TIMESTAMP)
            at = check_timestamp(token, message, self.tsa_cert)
        except (Bad, *READ_ERRORS) as exc:
            c.fail(TIMESTAMP, str(exc))
            return ""
        self.report.timestamp.update(checked=True, at=at)
        return f"timestamped at {at} by {authority} (RFC 3161, checked with --tsa-cert)"

    def check_entries(self) -> None:
        c = self.report.check(5)
        raw = self.parsed.get(ENTRIES)
        if not isinstance(raw, list) or not raw:
            c.fail(ENTRIES, "is missing, unreadable or empty")
            return
        proofs = self._proofs(c)
        case_id = self.report.case_id
        last = -1
        for i, value in enumerate(raw):
            try:
                entry = _obj(value, f"entry {i}")
                seq = _int(entry, "seq", f"entry {i}")
            except Bad as exc:
                c.fail(ENTRIES, str(exc))
                continue
            name = _entry_name(entry)
            if seq <= last:
                c.fail(name, f"is out of order or repeated in {ENTRIES}")
                continue
            last = seq
            if self._entry_ok(c, entry, name, case_id, proofs.pop(seq, None)):
                self.proven.add(seq)
        for seq in sorted(proofs):
            c.fail(f"entry {seq}", f"has an inclusion proof but is not in {ENTRIES}")
        if c.ok and self.point is not None:
            c.passed = (
                f"all {len(raw)} entries of the extract recompute to their hashes, carry valid "
                f"signatures by recorded keys, and are proven included in the signed ledger of "
                f"{self.point.size} entries"
            )

    def _proofs(self, c: Check) -> dict[int, dict[str, Any]]:
        try:
            doc = _obj(self.parsed.get(INCLUSION), INCLUSION)
            size = _int(doc, "tree_size", INCLUSION)
            root = _str(doc, "root", INCLUSION)
            items = _list(doc, "proofs", INCLUSION)
        except Bad as exc:
            c.fail(INCLUSION, str(exc) if INCLUSION in self.parsed else "is missing or unreadable")
            return {}
        if self.point is not None and (size, root) != (self.point.size, self.point.root):
            c.fail(INCLUSION, "its tree size and root are not those of the signed checkpoint")
        out: dict[int, dict[str, Any]] = {}
        for i, item in enumerate(items):
            try:
                proof = _obj(item, f"proof {i}")
                seq = _int(proof, "seq", f"proof {i}")
            except Bad as exc:
                c.fail(INCLUSION, str(exc))
                continue
            if seq in out:
                c.fail(INCLUSION, f"holds two proofs for entry {seq}")
            out[seq] = proof
        return out

    def _entry_ok(
        self,
        c: Check,
        entry: dict[str, Any],
        name: str,
        case_id: str,
        proof: dict[str, Any] | None,
    ) -> bool:
        before = len(c.problems)
        try:
            for key in ("case", "prev", "at", "actor", "action", "subject"):
                _str(entry, key, name)
            _obj(entry.get("data"), f"{name} data")
            stated = _hex(entry.get("entry_hash"), 32, f"{name} entry_hash")
            signature = _hex(entry.get("signature"), 64, f"{name} signature")
        except Bad as exc:
            c.fail(name, str(exc))
            return False
        digest = entry_leaf(entry)
        if digest != stated:
            c.fail(name, "its contents do not hash to its entry_hash (altered)")
        if case_id and entry["case"] != case_id:
            c.fail(name, f"belongs to case {entry['case']}, not {case_id}")
        seq = entry["seq"]
        if seq == 0 and entry["prev"] != GENESIS_PREV:
            c.fail(name, "is the first entry but does not start the chain")
        before_entry = self.entries.get(seq - 1)
        if before_entry is not None and entry["prev"] != before_entry.get("entry_hash"):
            c.fail(name, f"does not chain to entry {seq - 1} (its prev is not that entry's hash)")
        actor = self.keys.find(entry["actor"])
        if actor is None:
            c.fail(name, f"its actor {entry['actor']} is not a key recorded in the extract")
        elif not ed25519_ok(actor.public_key, digest, signature):
            c.fail(name, f"its signature by {actor.describe()} does not verify")
        self._inclusion(c, name, seq, digest, proof)
        return len(c.problems) == before

    def _inclusion(
        self, c: Check, name: str, seq: int, digest: bytes, proof: dict[str, Any] | None
    ) -> None:
        if proof is None:
            c.fail(name, f"has no inclusion proof in {INCLUSION}")
            return
        if self.point is None:
            c.fail(name, "cannot be proven: there is no valid checkpoint")
            return
        if proof.get("entry_hash") != digest.hex():
            c.fail(name, "its inclusion proof is for a different entry hash")
            return
        # The ledger numbers entries from 0, and the tree's leaves are the entries in seq
        # order, so an entry's leaf index is its seq.
        if proof.get("leaf_index") != seq:
            c.fail(name, f"its inclusion proof is for leaf {proof.get('leaf_index')}, not {seq}")
            return
        try:
            verify_inclusion(
                digest,
                seq,
                self.point.size,
                proof.get("path") or [],
                bytes.fromhex(self.point.root),
            )
        except ProofError as exc:
            c.fail(name, str(exc))

    def check_exhibits(self) -> None:
        c = self.report.check(6)
        acquired: dict[str, list[int]] = {}
        for seq, entry in self.entries.items():
            data = entry.get("data")
            if entry.get("action") == "item.acquired" and isinstance(data, dict):
                sha = data.get("sha256", entry.get("subject"))
                if isinstance(sha, str):
                    acquired.setdefault(sha, []).append(seq)
        natives: dict[str, Listed] = {}
        damaged = {p.subject for p in self.report.check(3).problems}
        for path, listed in sorted(self.listed.items()):
            parts = path.split("/")
            if len(parts) < 4 or parts[0] != EXHIBITS_DIR or parts[2] != "native":
                continue
            natives[path] = listed
            if path in damaged:
                c.fail(path, "its bytes are not those the manifest records (see check 3)")
            if not "/".join(parts[3:]).startswith(listed.sha256[:12] + "_"):
                c.fail(path, f"its name does not start with its SHA-256 {listed.sha256[:12]}")
            seqs = acquired.get(listed.sha256, [])
            if not seqs:
                c.fail(path, "no item.acquired entry in the ledger extract records this file")
            elif not any(s in self.proven for s in seqs):
                c.fail(path, f"its item.acquired entry {seqs[0]} is not proven (see check 5)")
        exhibits = self._check_exhibit_list(c, natives)
        if c.ok:
            c.passed = (
                f"{exhibits} exhibits in {EXHIBITS_JSON}, each assigned by a proven ledger entry; "
                f"their {len(natives)} native originals have the SHA-256 and size their proven "
                f"item.acquired entries record"
            )

    def _check_exhibit_list(self, c: Check, natives: Mapping[str, Listed]) -> int:
        """Each exhibit of exhibits.json rests on a proven exhibit.assigned entry, and each of
        its natives on a listed file and a proven item.acquired entry; returns the count."""
        try:
            doc = _obj(self.parsed.get(EXHIBITS_JSON), EXHIBITS_JSON)
            exhibits = _list(doc, "exhibits", EXHIBITS_JSON)
        except Bad as exc:
            missing = EXHIBITS_JSON not in self.parsed
            c.fail(
                EXHIBITS_JSON, "is missing: the exhibits cannot be traced" if missing else str(exc)
            )
            return 0
        named: set[str] = set()
        folders = {path.split("/")[1] for path in natives}
        for i, value in enumerate(exhibits):
            try:
                exhibit = _obj(value, f"exhibit {i}")
                ref = _str(exhibit, "ref", f"exhibit {i}")
                seq = _int(exhibit, "ledger_seq", f"exhibit {ref}")
                items = _list(exhibit, "natives", f"exhibit {ref}")
            except Bad as exc:
                c.fail(EXHIBITS_JSON, str(exc))
                continue
            subject = f"exhibit {ref}"
            folders.discard(ref.replace("/", "-"))
            entry = self.entries.get(seq) or {}
            if entry.get("action") != "exhibit.assigned":
                c.fail(subject, f"entry {seq} is not an exhibit.assigned entry of the extract")
            elif entry.get("subject") != ref:
                c.fail(subject, f"entry {seq} assigns {entry.get('subject')!r}, not {ref!r}")
            elif seq not in self.proven:
                c.fail(subject, f"its exhibit.assigned entry {seq} is not proven (see check 5)")
            shas = set()
            for j, native in enumerate(items):
                try:
                    shas.add(self._exhibit_native(c, subject, ref, native, f"native {j}"))
                except Bad as exc:
                    c.fail(subject, str(exc))
                    continue
                named.add(native["path"])
            data = entry.get("data")
            wanted = data.get("items") if isinstance(data, dict) else None
            for sha in wanted if isinstance(wanted, list) else []:
                if sha not in shas:
                    c.fail(subject, f"item {str(sha)[:12]}… of entry {seq} has no native here")
        for path in sorted(set(natives) - named):
            c.fail(path, f"is in an exhibit folder but not in {EXHIBITS_JSON}")
        for folder in sorted(folders):
            c.fail(f"{EXHIBITS_DIR}/{folder}", f"has no exhibit in {EXHIBITS_JSON}")
        return len(exhibits)

    def _exhibit_native(self, c: Check, subject: str, ref: str, native: object, what: str) -> str:
        """Check one native of an exhibit; returns its SHA-256.

        Raises:
            Bad: if the record has the wrong shape.
        """
        obj = _obj(native, what)
        path = _str(obj, "path", what)
        sha = _str(obj, "sha256", what)
        size = _int(obj, "size", what)
        seq = _int(obj, "item_acquired_seq", what)
        if not path.startswith(f"{EXHIBITS_DIR}/{ref.replace('/', '-')}/native/"):
            c.fail(subject, f"its native {path} is outside the exhibit's folder")
        listed = self.listed.get(path)
        if listed is None:
            c.fail(subject, f"its native {path} is not in the manifest")
        elif (listed.sha256, listed.size) != (sha, size):
            c.fail(path, f"the manifest's SHA-256 or size differs from {EXHIBITS_JSON}")
        entry = self.entries.get(seq)
        data = entry.get("data") if entry else None
        if entry is None or entry.get("action") != "item.acquired" or not isinstance(data, dict):
            c.fail(path, f"entry {seq} is not an item.acquired entry of the extract")
        elif data.get("sha256") != sha or data.get("size", size) != size:
            c.fail(path, f"item.acquired entry {seq} records another SHA-256 or size")
        elif seq not in self.proven:
            c.fail(path, f"its item.acquired entry {seq} is not proven (see check 5)")
        return sha

    # --- facts the bundle prints that its signed extract also states ----------------------

    def check_signed_facts(self) -> None:
        """Check 6, continued: no fact the bundle carries contradicts its own signed extract.

        Compared, wherever both state it: each exhibit of exhibits.json (kind, description,
        natives) with its exhibit.assigned entry; each exhibit record of case.jsonld (number,
        description, reason, time) with the entry assigning that number; and the case's URN
        and title in manifest.json and case.jsonld with the case.created entry. A mismatch
        names the file, the field and the entry.
        """
        c = self.report.check(6)
        assigned: dict[str, tuple[int, dict[str, Any]]] = {}
        created: dict[str, Any] = {}
        for seq, entry in sorted(self.entries.items()):
            data = entry.get("data")
            if not isinstance(data, dict):
                continue
            if entry.get("action") == "exhibit.assigned":
                signed = {**data, "@at": entry.get("at")}
                assigned.setdefault(str(entry.get("subject")), (seq, signed))
            elif entry.get("action") == "case.created" and seq == 0:
                created = data
        self._facts_exhibits_json(c)
        self._facts_jsonld(c, assigned, created)
        manifest = self.manifest or {}
        for key in ("urn", "title"):
            if key in manifest and key in created and manifest[key] != created[key]:
                c.fail(
                    MANIFEST,
                    f"{key}: says {manifest[key]!r}, ledger entry 0 (case.created) says "
                    f"{created[key]!r}",
                )

    def _facts_exhibits_json(self, c: Check) -> None:
        doc = self.parsed.get(EXHIBITS_JSON)
        exhibits = doc.get("exhibits") if isinstance(doc, dict) else None
        for exhibit in exhibits if isinstance(exhibits, list) else []:
            if not isinstance(exhibit, dict):
                continue  # its shape is failed by _check_exhibit_list
            seq = exhibit.get("ledger_seq")
            entry = self.entries.get(seq) if isinstance(seq, int) else None
            data = entry.get("data") if entry else None
            if not isinstance(data, dict) or entry is None:
                continue  # failed by _check_exhibit_list
            if entry.get("action") != "exhibit.assigned":
                continue  # failed by _check_exhibit_list
            where = f"{EXHIBITS_JSON} exhibit {exhibit.get('ref')}"
            says = f"ledger entry {seq} (exhibit.assigned) says"
            for key in ("ref", "kind", "description"):
                if key in exhibit and key in data and exhibit[key] != data[key]:
                    c.fail(where, f"{key}: says {exhibit[key]!r}, {says} {data[key]!r}")
            items = data.get("items")
            natives = exhibit.get("natives")
            if isinstance(items, list) and isinstance(natives, list):
                for native in natives:
                    sha = native.get("sha256") if isinstance(native, dict) else None
                    if isinstance(sha, str) and sha not in items:
                        c.fail(
                            where,
                            f"natives: {sha[:12]}… is not one of the {len(items)} item(s) {says}",
                        )

    def _facts_jsonld(
        self,
        c: Check,
        assigned: Mapping[str, tuple[int, Mapping[str, Any]]],
        created: Mapping[str, Any],
    ) -> None:
        doc = self.parsed.get(JSONLD)
        graph = doc.get("@graph") if isinstance(doc, dict) else None
        for node in graph if isinstance(graph, list) else []:
            if not isinstance(node, dict):
                continue
            kind = node.get("@type")
            description = node.get("core:description")
            if kind == "investigation:ProvenanceRecord":
                ref = str(node.get("investigation:exhibitNumber"))
                where = f"{JSONLD} exhibit {ref}"
                if ref not in assigned:
                    c.fail(where, "no exhibit.assigned entry of the extract assigns this number")
                    continue
                seq, data = assigned[ref]
                if "description" in data and description != data["description"]:
                    c.fail(
                        where,
                        f"description: says {description!r}, ledger entry {seq} "
                        f"(exhibit.assigned) says {data['description']!r}",
                    )
            elif kind == "investigation:InvestigativeAction":
                name = node.get("core:name")
                if not (isinstance(name, str) and name.startswith("exhibit ")):
                    continue
                ref = name.removeprefix("exhibit ").removesuffix(" produced")
                if ref not in assigned:
                    continue  # its ProvenanceRecord fails
                seq, data = assigned[ref]
                where = f"{JSONLD} exhibit {ref} produced"
                if "description" in data:
                    wanted = f"{data.get('reason') or data['description']}; ledger entry {seq}"
                    if description != wanted:
                        c.fail(
                            where,
                            f"reason: says {description!r}, ledger entry {seq} "
                            f"(exhibit.assigned) says {wanted!r}",
                        )
                start = node.get("action:startTime")
                value = start.get("@value") if isinstance(start, dict) else start
                if value != data["@at"]:
                    c.fail(
                        where,
                        f"startTime: says {value!r}, ledger entry {seq} (exhibit.assigned) was "
                        f"signed at {data['@at']!r}",
                    )
            elif kind == "investigation:Investigation":
                name = node.get("core:name")
                if "urn" in created and name != created["urn"]:
                    c.fail(
                        f"{JSONLD} investigation",
                        f"name: says {name!r}, ledger entry 0 (case.created) says "
                        f"{created['urn']!r}",
                    )
                title = created.get("title")
                if isinstance(title, str) and not (
                    isinstance(description, str) and description.startswith(f"{title}; ")
                ):
                    c.fail(
                        f"{JSONLD} investigation",
                        f"description: says {description!r}, ledger entry 0 (case.created) "
                        f"gives the title {title!r}",
                    )


def _entry_name(entry: Mapping[str, Any]) -> str:
    action = entry.get("action")
    return f"entry {entry.get('seq')}" + (f" ({action})" if isinstance(action, str) else "")


def _openssh_ed25519(blob_b64: str) -> bytes:
    """The raw 32-byte key inside an ``ssh-ed25519`` public key's base64 blob.

    Raises:
        Bad: if it is not one.
    """
    try:
        blob = base64.b64decode(blob_b64, validate=True)
    except (binascii.Error, ValueError):
        raise Bad("bad base64") from None
    fields: list[bytes] = []
    pos = 0
    while pos + 4 <= len(blob):
        n = int.from_bytes(blob[pos : pos + 4], "big")
        fields.append(blob[pos + 4 : pos + 4 + n])
        pos += 4 + n
    if pos != len(blob) or len(fields) != 2 or fields[0] != b"ssh-ed25519" or len(fields[1]) != 32:
        raise Bad("not an ssh-ed25519 key")
    return fields[1]


# --- whose keys: the endorsement chain and the recipient's trust ---------------------------------


def read_trust_file(path: str) -> bytes:
    """The raw Ed25519 key of a public key file: the JSON of ``ews keys export``
    (``evidence-workstation/public-key/1``) or one OpenSSH ``ssh-ed25519 AAAA…`` line.

    Raises:
        Bad: if the file cannot be read or is neither.
    """
    try:
        with open(path, "rb") as f:
            data = f.read(64 << 10)
        text = data.decode("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise Bad(f"--trust {path}: cannot read a public key file ({exc})") from None
    if text.startswith("{"):
        try:
            doc = _obj(json.loads(text), path)
        except (ValueError, Bad):
            raise Bad(f"--trust {path}: not valid JSON") from None
        if doc.get("format") != PUBKEY_FORMAT:
            raise Bad(f"--trust {path}: JSON but not a {PUBKEY_FORMAT} public key file")
        raw = _hex(doc.get("public_key"), 32, f"--trust {path}: public_key")
        stated = doc.get("fingerprint")
        if stated is not None and normalise_fingerprint(str(stated)) != key_fingerprint(raw):
            raise Bad(f"--trust {path}: its fingerprint does not match its public key")
        return raw
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    words = lines[0].split() if len(lines) == 1 else []
    if len(words) >= 2 and words[0] == "ssh-ed25519":
        try:
            return _openssh_ed25519(words[1])
        except Bad as exc:
            raise Bad(f"--trust {path}: {exc}") from None
    raise Bad(
        f"--trust {path}: not a public key file: expected the JSON of `ews keys export` "
        "or one OpenSSH `ssh-ed25519 AAAA…` line"
    )


def normalise_fingerprint(text: str) -> str:
    """64 lower-case hex digits from a fingerprint typed with or without spaces or colons.

    Raises:
        Bad: if it is not 64 hex digits (a 16-digit key id is not a fingerprint).
    """
    fp = "".join(ch for ch in text if not ch.isspace() and ch != ":").lower()
    if len(fp) != 64 or any(ch not in "0123456789abcdef" for ch in fp):
        raise Bad(
            f"--trust-fingerprint {text!r}: a fingerprint is 64 hex digits "
            "(a 16-digit key id is not enough)"
        )
    return fp


def trust_roots(files: Sequence[str] = (), fingerprints: Sequence[str] = ()) -> dict[str, str]:
    """Fingerprint -> how it was given, from ``--trust`` files and ``--trust-fingerprint``.

    Raises:
        Bad: naming the first file or fingerprint that is not usable.
    """
    out: dict[str, str] = {}
    for path in files:
        out.setdefault(key_fingerprint(read_trust_file(path)), f"--trust {path}")
    for text in fingerprints:
        out.setdefault(normalise_fingerprint(text), "--trust-fingerprint")
    return out


def _grouped(fp: str) -> str:
    return " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))


def _endorsements(
    entries: Mapping[int, Mapping[str, Any]], keys: KeyRing
) -> Iterator[tuple[int, str, str, str]]:
    """(seq, endorser fingerprint, added fingerprint, problem) for each examiner.added entry.

    ``problem`` is empty when the entry follows the endorsement rule: signed by a key
    already in the case, not by the added key itself (but for the creator's own addition
    right after case.created), and not reusing another examiner's initials.
    """
    initials: dict[str, str] = {}  # fingerprint -> initials
    creator = ""
    for seq in sorted(entries):
        entry = entries[seq]
        data = entry.get("data")
        if not isinstance(data, dict):
            continue
        if entry.get("action") == "case.created" and seq == 0:
            ex = data.get("examiner")
            key = keys.find(str(entry.get("actor")))
            if isinstance(ex, dict) and key is not None:
                creator = key_fingerprint(key.public_key)
                initials[creator] = str(ex.get("initials", ""))
            continue
        if entry.get("action") != "examiner.added":
            continue
        try:
            added = key_fingerprint(_hex(data.get("public_key"), 32, "public key"))
        except Bad:
            continue
        actor = keys.find(str(entry.get("actor")))
        by = key_fingerprint(actor.public_key) if actor is not None else ""
        new_initials = str(data.get("initials", ""))
        problem = ""
        if seq == 1 and added == by == creator:
            pass  # the creator's own addition: the case's root of trust
        elif by == added:
            problem = f"adds key {added[:16]} signed by that key itself: no examiner endorsed it"
        elif by not in initials:
            problem = (
                f"adds key {added[:16]}, signed by key {entry.get('actor')!s}, "
                "which is not an examiner of the case at that point"
            )
        clash = next((fp for fp, i in initials.items() if i == new_initials and fp != added), "")
        if clash and not problem:
            problem = (
                f"adds key {added[:16]} with initials {new_initials}, "
                f"already used by key {clash[:16]}"
            )
        yield seq, by, added, problem
        if not problem:
            initials.setdefault(added, new_initials)


def _signed_by(v: Verifier) -> dict[str, list[str]]:
    """Fingerprint -> what it signed (manifest, checkpoint, entries), for the messages."""
    out: dict[str, list[str]] = {}
    counts: dict[str, list[int]] = {}  # fingerprint -> [first seq, count]
    for seq in sorted(v.entries):
        key = v.keys.find(str(v.entries[seq].get("actor")))
        if key is not None:
            c = counts.setdefault(key_fingerprint(key.public_key), [seq, 0])
            c[1] += 1
    for what, key_id in (
        ("the manifest", v.manifest_key_id),
        ("the checkpoint", v.point.key_id if v.point else ""),
    ):
        key = v.keys.find(key_id) if key_id else None
        if key is not None:
            out.setdefault(key_fingerprint(key.public_key), []).append(what)
    for fp, (first, count) in counts.items():
        plural = "entry" if count == 1 else "entries"
        out.setdefault(fp, []).append(f"{count} {plural} from entry {first}")
    return out


def _who(keys: KeyRing, fp: str) -> str:
    key = keys.find(fp)
    return key.describe() if key is not None else f"key {fp[:16]}"


def check_signers(v: Verifier) -> None:
    """Check 8: every examiner key is endorsed; with a trust option, every signer trusted."""
    c = Check(8)
    v.report.checks.append(c)
    signed = _signed_by(v)
    trusted = dict(v.trusted or {})
    via: dict[str, str] = {}
    for seq, by, added, problem in _endorsements(v.entries, v.keys):
        if problem:
            c.fail(f"entry {seq} (examiner.added)", problem)
        elif by in trusted and added not in trusted:
            trusted[added] = f"added by {_who(v.keys, by)} in entry {seq}"
            via[added] = trusted[added]
    if v.manifest_key_id:
        key = v.keys.find(v.manifest_key_id)
        v.report.signer_fingerprint = key_fingerprint(key.public_key) if key else ""
    if v.trusted is None:
        if c.ok:
            c.passed = (
                "every examiner key of the extract was added by the case's creator or an "
                "examiner they added; whose keys these are is not established (pass --trust)"
            )
        return
    for fp, what in sorted(signed.items()):
        if fp not in trusted:
            c.fail(
                _who(v.keys, fp),
                f"fingerprint {_grouped(fp)} signed {', '.join(what)}, but is not a key you "
                "trust (--trust, --trust-fingerprint) nor added by one",
            )
    v.report.signer_established = c.ok and bool(signed)
    if c.ok:
        names = ", ".join(
            f"{_who(v.keys, fp)} ({trusted[fp]})" for fp in sorted(signed, key=lambda f: f[:16])
        )
        c.passed = f"the manifest, checkpoint and every entry are signed by trusted keys: {names}"


# --- the previous bundle ----------------------------------------------------------------------


def check_previous(new: Verifier, old_location: str, threads: int) -> Check:
    """Check 7: OLD verifies on its own, is the same case, NEW's ledger extends OLD's, and
    NEW's signers are OLD's or endorsed by them."""
    c = Check(7)
    try:
        old_source = open_source(old_location)
    except Unusable as exc:
        c.fail(old_location, f"the previous bundle cannot be opened: {exc}")
        return c
    try:
        old = Verifier(old_source, threads, new.trusted)
        old_report = old.run()
    except Unusable as exc:
        c.fail(old_location, f"the previous bundle cannot be read: {exc}")
        return c
    finally:
        old_source.close()
    for check in old_report.checks:
        for p in check.problems:
            c.fail(
                old_location,
                f"the previous bundle fails on its own: check {check.number}, "
                f"{p.subject}: {p.message}",
            )
    if old.point is None or new.point is None:
        if c.ok:
            c.fail(old_location, "a signed checkpoint is missing")
        return c
    if old_report.case_id != new.report.case_id:
        c.fail(old_location, f"is case {old_report.case_id}, not {new.report.case_id}")
        return c
    a, b = old.point, new.point
    if a.origin != b.origin:
        c.fail(old_location, f"its ledger is {a.origin!r}, not {b.origin!r}")
    elif a.size > b.size:
        c.fail(
            old_location,
            f"its ledger ({a.size} entries) is longer than this bundle's "
            f"({b.size}): this is not the later bundle",
        )
    else:
        _consistency(c, new, a, b)
    _signers_continue(c, new, old, a.size)
    if c.ok:
        c.passed = (
            f"{old_location} (bundle {old_report.bundle_id}) verifies on its own, is the same "
            f"case, its ledger of {a.size} entries is a prefix of this bundle's {b.size}, and "
            f"this bundle's signers are its examiners or added by them"
        )
    return c


def _signers_continue(c: Check, new: Verifier, old: Verifier, old_size: int) -> None:
    """NEW's signers must be OLD's keys or added, beyond OLD's ledger, by a key OLD had."""
    known = {key_fingerprint(k.public_key) for k in old.keys}
    for seq, by, added, _problem in _endorsements(new.entries, new.keys):
        if seq < old_size or added in known:
            continue
        if by in known and by != added:
            known.add(added)
        else:
            endorser = _who(new.keys, by) if by else "an unknown key"
            c.fail(
                f"entry {seq} (examiner.added)",
                f"adds key {added[:16]}, signed by {endorser}, "
                f"which is not an examiner in {old.report.location}",
            )
    for fp, what in sorted(_signed_by(new).items()):
        if fp not in known:
            c.fail(
                _who(new.keys, fp),
                f"signed {', '.join(what)}, but is neither an examiner of the previous bundle "
                "nor added by one",
            )


def _consistency(c: Check, new: Verifier, a: SignedPoint, b: SignedPoint) -> None:
    if a.size == b.size:
        if a.root != b.root:
            c.fail(CONSISTENCY, f"both ledgers have {a.size} entries but different roots")
        return
    doc = new.parsed.get(CONSISTENCY)
    try:
        doc = _obj(doc, CONSISTENCY)
        if (_int(doc, "to_size", CONSISTENCY), _str(doc, "to_root", CONSISTENCY)) != (
            b.size,
            b.root,
        ):
            raise Bad("its to_size and to_root are not those of the signed checkpoint")
        items = _list(doc, "proofs", CONSISTENCY)
    except Bad as exc:
        c.fail(CONSISTENCY, str(exc) if CONSISTENCY in new.parsed else "is missing or unreadable")
        return
    for item in items:
        if isinstance(item, dict) and item.get("from_size") == a.size:
            if item.get("from_root") != a.root:
                c.fail(CONSISTENCY, f"its proof from size {a.size} starts at another root")
                return
            try:
                verify_consistency(
                    a.size,
                    b.size,
                    bytes.fromhex(a.root),
                    bytes.fromhex(b.root),
                    item.get("path") or [],
                )
            except ProofError as exc:
                c.fail(CONSISTENCY, str(exc))
            return
    c.fail(CONSISTENCY, f"holds no proof from the previous bundle's ledger size {a.size}")


# --- entry points ---------------------------------------------------------------------------


def verify(
    location: str,
    previous: str | None = None,
    threads: int = DEFAULT_THREADS,
    trusted: Mapping[str, str] | None = None,
    tsa_cert: bytes | None = None,
) -> Report:
    """Run every check on the bundle at ``location`` (zip or folder).

    ``trusted`` maps the fingerprints of the keys the recipient trusts to how they were
    given (see :func:`trust_roots`); None checks integrity only (exit 3 if it holds).

    Raises:
        Unusable: if it is not a bundle at all.
    """
    started = time.perf_counter()
    source = open_source(location)
    try:
        verifier = Verifier(source, threads, trusted, tsa_cert)
        report = verifier.run()
    finally:
        source.close()
    if previous is not None:
        report.checks.append(check_previous(verifier, previous, threads))
        report.checks.sort(key=lambda c: c.number)
    report.seconds = time.perf_counter() - started
    return report


def _read_cert(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read(1 << 20)
    except OSError as exc:
        raise Bad(f"--tsa-cert {path}: {exc.strerror}") from None


def configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add verify-bundle's arguments to ``parser``."""
    parser.add_argument("bundle", metavar="BUNDLE", help="the bundle zip or its folder")
    parser.add_argument(
        "--previous",
        metavar="OLD",
        help="an earlier bundle of the same case: check this one's ledger extends it",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="PUBKEY_FILE",
        help="a public key you trust: the examiner's file from `ews keys export` or an "
        "OpenSSH ssh-ed25519 line, obtained outside the bundle (repeatable)",
    )
    parser.add_argument(
        "--trust-fingerprint",
        action="append",
        default=[],
        metavar="HEX",
        help="the SHA-256 fingerprint (64 hex digits, spaces allowed) of a key you trust, "
        "e.g. read over the telephone from the examiner's MG11 (repeatable)",
    )
    parser.add_argument(
        "--tsa-cert",
        metavar="CERT",
        help="the certificate (PEM or DER) of the timestamp authority: check the RFC 3161 "
        "timestamp of the bundle's checkpoint against it",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable report")
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        metavar="N",
        help=f"files hashed at once (default {DEFAULT_THREADS})",
    )
    return parser


DESCRIPTION = (
    "check an exported evidential bundle on its own: the manifest signature, every file's "
    "SHA-256, the signed checkpoint, every ledger entry's inclusion proof and every exhibit's "
    "native originals, and that the signers are the keys you name with --trust or "
    "--trust-fingerprint; exit 0 if all pass, 1 if any fails, 2 if it is not a bundle, "
    "3 if it is intact but no trust option established the signer"
)


def run(args: argparse.Namespace, out: Callable[[str], object] | None = None) -> int:
    """Verify ``args.bundle`` and print the report; returns the exit status."""
    write = out or sys.stdout.write
    try:
        given = getattr(args, "trust", []) or getattr(args, "trust_fingerprint", [])
        trusted = trust_roots(args.trust or [], args.trust_fingerprint or []) if given else None
        tsa_cert = _read_cert(getattr(args, "tsa_cert", None))
    except Bad as exc:
        print(f"verify-bundle: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        report = verify(args.bundle, args.previous, args.threads, trusted, tsa_cert)
    except Unusable as exc:
        if args.json:
            write(
                json.dumps(
                    {
                        "bundle": args.bundle,
                        "ok": False,
                        "exit_code": EXIT_UNUSABLE,
                        "error": str(exc),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
        else:
            print(f"verify-bundle: not a bundle: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.json:
        write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        write(report.text())
    return report.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """``python verify_bundle.py BUNDLE [--previous OLD] [--json]``."""
    parser = argparse.ArgumentParser(prog="verify_bundle.py", description=DESCRIPTION)
    args = configure(parser).parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

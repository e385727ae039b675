"""Examiner identities: an Ed25519 key pair per examiner, kept in the user's data folder.

The private key is stored in the OpenSSH format, encrypted with AES-256 under a key derived
from the passphrase (``EWS_PASSPHRASE`` or a prompt) by bcrypt-pbkdf: a slow KDF, so a copied
key file cannot be brute-forced cheaply. The public key, name and initials are recorded in
every case the examiner works on.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from chain_of_custody.errors import ExaminerKeyError

#: bcrypt-pbkdf rounds (~0.25 s per unlock here). EWS_KDF_ROUNDS lowers it for test suites
#: only, and only with EWS_INSECURE_TEST_KEYS=1 (see kdf_rounds).
KDF_ROUNDS = 32
#: The shortest passphrase accepted for a new key (EWS_INSECURE_TEST_KEYS=1 lifts it).
MIN_PASSPHRASE = 12
_INITIALS = re.compile(r"^[A-Z]{1,4}[0-9]{0,2}$")


def data_dir() -> Path:
    """The per-user folder holding examiner keys (``EWS_DATA_DIR`` overrides it)."""
    override = os.environ.get("EWS_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("evidence-workstation", appauthor=False))


def key_id_of(public_key_raw: bytes) -> str:
    """Short identifier of a public key: first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key_raw).hexdigest()[:16]


def fingerprint(public_key_hex: str) -> str:
    """A key's fingerprint: SHA-256 hex (64 digits) of the raw Ed25519 public key."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()


def format_fingerprint(fp: str) -> str:
    """A fingerprint in groups of four hex digits, to read out over the telephone."""
    return " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))


@dataclass(frozen=True)
class ExaminerIdentity:
    """The public half of an examiner, as recorded in a case."""

    name: str
    initials: str
    public_key: str  # raw Ed25519 public key, hex

    @property
    def key_id(self) -> str:
        return key_id_of(bytes.fromhex(self.public_key))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


class Signer:
    """An examiner whose private key is unlocked for this process."""

    def __init__(self, identity: ExaminerIdentity, private_key: Ed25519PrivateKey) -> None:
        self.identity = identity
        self._key = private_key

    @property
    def key_id(self) -> str:
        return self.identity.key_id

    def sign(self, message: bytes) -> str:
        """Ed25519 signature over message, hex."""
        return self._key.sign(message).hex()


def verify_signature(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    """True if signature_hex is a valid Ed25519 signature of message under the key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _passphrase(prompt: str, confirm: bool) -> bytes:
    env = os.environ.get("EWS_PASSPHRASE")
    if env is not None:
        if not env:
            raise ExaminerKeyError("EWS_PASSPHRASE is set but empty")
        return env.encode("utf-8")
    if sys.stdin is None or not sys.stdin.isatty():  # None: standard input is closed
        raise ExaminerKeyError("a passphrase is needed: set EWS_PASSPHRASE or run in a terminal")
    try:
        first = getpass.getpass(prompt)
        again = getpass.getpass("Repeat passphrase: ") if confirm else first
    except EOFError as exc:
        raise ExaminerKeyError("no passphrase given") from exc
    if again != first:
        raise ExaminerKeyError("the passphrases do not match")
    if not first:
        raise ExaminerKeyError("an empty passphrase is not allowed")
    return first.encode("utf-8")


def _paths(initials: str) -> tuple[Path, Path]:
    base = data_dir() / "examiners"
    return base / f"{initials}.key.pem", base / f"{initials}.json"


def check_initials(initials: str) -> str:
    """Normalise and validate examiner initials (used in exhibit references such as JS/1)."""
    norm = initials.strip().upper()
    if not _INITIALS.match(norm):
        raise ExaminerKeyError(f"initials {initials!r} must be 1-4 letters (e.g. JS)")
    return norm


def insecure_test_keys() -> bool:
    """``EWS_INSECURE_TEST_KEYS=1``: weak keys allowed (test suites and demos only)."""
    return os.environ.get("EWS_INSECURE_TEST_KEYS") == "1"


def kdf_rounds() -> int:
    """bcrypt-pbkdf rounds for a new key: ``KDF_ROUNDS``, or ``EWS_KDF_ROUNDS`` if allowed.

    Raises:
        ExaminerKeyError: EWS_KDF_ROUNDS is not a number, or below KDF_ROUNDS without
            EWS_INSECURE_TEST_KEYS=1 (a copied key file would be cheap to brute-force).
    """
    raw = os.environ.get("EWS_KDF_ROUNDS")
    if raw is None:
        return KDF_ROUNDS
    try:
        rounds = int(raw)
    except ValueError:
        raise ExaminerKeyError(f"EWS_KDF_ROUNDS={raw!r} is not a number") from None
    if rounds < 1:
        raise ExaminerKeyError(f"EWS_KDF_ROUNDS={rounds} must be at least 1")
    if rounds < KDF_ROUNDS and not insecure_test_keys():
        raise ExaminerKeyError(
            f"EWS_KDF_ROUNDS={rounds} is below the safe minimum of {KDF_ROUNDS}: a copied key "
            "file could be brute-forced cheaply; unset it (EWS_INSECURE_TEST_KEYS=1 allows it "
            "for tests and demos only)"
        )
    return rounds


def check_new_passphrase(secret: bytes) -> None:
    """Refuse a passphrase shorter than MIN_PASSPHRASE characters for a new key.

    Raises:
        ExaminerKeyError: too short, unless EWS_INSECURE_TEST_KEYS=1.
    """
    if len(secret.decode("utf-8", "replace")) < MIN_PASSPHRASE and not insecure_test_keys():
        raise ExaminerKeyError(
            f"a new key's passphrase needs at least {MIN_PASSPHRASE} characters "
            "(EWS_INSECURE_TEST_KEYS=1 allows a shorter one for tests and demos only)"
        )


def create_examiner(name: str, initials: str, passphrase: str | None = None) -> Signer:
    """Create and store a new examiner key pair, encrypted with a passphrase.

    Raises:
        ExaminerKeyError: if an examiner with these initials already exists on this machine.
    """
    initials = check_initials(initials)
    if not name.strip():
        raise ExaminerKeyError("the examiner's name is empty")
    key_path, info_path = _paths(initials)
    if key_path.exists():
        raise ExaminerKeyError(f"an examiner with initials {initials} already exists: {key_path}")
    rounds = kdf_rounds()
    secret = (
        passphrase.encode("utf-8")
        if passphrase
        else _passphrase(f"New passphrase for {name} ({initials}): ", confirm=True)
    )
    check_new_passphrase(secret)
    key = Ed25519PrivateKey.generate()
    raw_pub = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    identity = ExaminerIdentity(name=name.strip(), initials=initials, public_key=raw_pub.hex())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(rounds).build(secret),
    )
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_private(key_path, pem)
    info = {"name": identity.name, "initials": initials, "public_key": identity.public_key}
    info_path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    _remember_current(initials)
    return Signer(identity, key)


def _write_private(path: Path, pem: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())


def _remember_current(initials: str) -> None:
    (data_dir() / "current-examiner").write_text(initials + "\n", encoding="utf-8")


def current_initials() -> str | None:
    """The examiner chosen by ``EWS_EXAMINER`` or, failing that, the last one used here."""
    env = os.environ.get("EWS_EXAMINER")
    if env:
        return check_initials(env)
    marker = data_dir() / "current-examiner"
    if marker.exists():
        return marker.read_text(encoding="utf-8").strip() or None
    return None


def load_identity(initials: str) -> ExaminerIdentity | None:
    """The stored public identity for these initials, or None."""
    _, info_path = _paths(check_initials(initials))
    if not info_path.exists():
        return None
    info = json.loads(info_path.read_text(encoding="utf-8"))
    return ExaminerIdentity(info["name"], info["initials"], info["public_key"])


def unlock_examiner(initials: str, passphrase: str | None = None) -> Signer:
    """Load an examiner's private key, asking for (or reading) the passphrase.

    Raises:
        ExaminerKeyError: when no such examiner exists here or the passphrase is wrong.
    """
    initials = check_initials(initials)
    identity = load_identity(initials)
    key_path, _ = _paths(initials)
    if identity is None or not key_path.exists():
        raise ExaminerKeyError(
            f"no examiner key for {initials} in {data_dir()}; create one with `ews init`"
        )
    secret = (
        passphrase.encode("utf-8")
        if passphrase
        else _passphrase(f"Passphrase for {identity.name} ({initials}): ", confirm=False)
    )
    try:
        key = serialization.load_ssh_private_key(key_path.read_bytes(), password=secret)
    except (ValueError, TypeError) as exc:
        raise ExaminerKeyError(f"cannot unlock the key of {initials}: wrong passphrase") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ExaminerKeyError(f"{key_path} is not an Ed25519 key")
    raw_pub = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if raw_pub.hex() != identity.public_key:
        raise ExaminerKeyError(f"{key_path} does not match the recorded public key")
    _remember_current(initials)
    return Signer(identity, key)


def get_or_create_examiner(name: str, initials: str, passphrase: str | None = None) -> Signer:
    """Unlock the examiner with these initials, creating the key pair on first use."""
    initials = check_initials(initials)
    identity = load_identity(initials)
    if identity is None:
        return create_examiner(name, initials, passphrase)
    if identity.name != name.strip():
        raise ExaminerKeyError(
            f"initials {initials} belong to {identity.name!r} on this machine, not {name!r}"
        )
    return unlock_examiner(initials, passphrase)

"""Trust anchored outside the case: the keys an examiner trusts, and who may join a case.

A signature proves nothing until the verifier knows whose key it expects. Each examiner's
data folder (:func:`keys.data_dir`) therefore keeps the keys its examiner trusts:

- *own*: the examiners created in that folder (``examiners/*.json``, written by
  :func:`keys.create_examiner`);
- *trusted*: keys added with ``ews keys trust PUBKEY_FILE --name NAME``
  (``trusted/<key id>.json``), or by ``ews examiners CASE add``;
- *unit*: the public key files in the folder named by ``EWS_TRUSTED_KEYS`` (the unit's
  published list, e.g. on a share).

A key joins a case only through an ``examiner.added`` entry signed by an examiner already
in the case (the endorsement rule); the creator's own ``examiner.added`` right after
``case.created`` is the one self-signed addition allowed: the creator's key is the case's
root of trust. Two examiners of one case never share initials (they prefix exhibit refs).

A public key file is either the JSON written by ``ews keys export`` (:data:`PUBKEY_FORMAT`)
or an OpenSSH ``ssh-ed25519 AAAA… comment`` line.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from chain_of_custody import keys, witness
from chain_of_custody.errors import CaseError, ExaminerKeyError
from chain_of_custody.keys import ExaminerIdentity, Signer, fingerprint, format_fingerprint
from chain_of_custody.models import Checkpoint, Examiner, LedgerEntry

if TYPE_CHECKING:
    from chain_of_custody.case import Case
    from chain_of_custody.ledger import Entry
    from chain_of_custody.verify import VerifyReport

PUBKEY_FORMAT = "evidence-workstation/public-key/1"
TRUSTED_DIR = "trusted"
ENV_UNIT = "EWS_TRUSTED_KEYS"

T_EXAMINER = Examiner.__table__  # type: ignore[attr-defined]
T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
T_CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class TrustError(ExaminerKeyError):
    """A public key file cannot be read, or a key cannot be trusted or added."""


@dataclass(frozen=True)
class TrustedKey:
    """A key the examiner's data folder trusts, and why."""

    name: str
    initials: str
    public_key: str  # raw Ed25519 public key, hex
    source: str  # own | trusted | unit
    path: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @property
    def key_id(self) -> str:
        return self.fingerprint[:16]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "initials": self.initials,
            "key_id": self.key_id,
            "fingerprint": self.fingerprint,
            "fingerprint_grouped": format_fingerprint(self.fingerprint),
            "source": self.source,
            "path": self.path,
        }


@dataclass(frozen=True)
class PublicKeyFile:
    """What a public key file states: the key, and the name and initials if it has them."""

    public_key: str  # hex
    name: str = ""
    initials: str = ""


# --- public key files ------------------------------------------------------------------------


def export_document(identity: ExaminerIdentity) -> dict[str, Any]:
    """The public key file of an examiner (``ews keys export``)."""
    fp = fingerprint(identity.public_key)
    return {
        "format": PUBKEY_FORMAT,
        "name": identity.name,
        "initials": identity.initials,
        "algorithm": "Ed25519",
        "public_key": identity.public_key,
        "key_id": fp[:16],
        "fingerprint": fp,
    }


def export_text(identity: ExaminerIdentity) -> str:
    return json.dumps(export_document(identity), indent=2) + "\n"


def parse_public_key(text: str, what: str) -> PublicKeyFile:
    """Read a public key file's text: the JSON of ``ews keys export`` or an OpenSSH line.

    Raises:
        TrustError: if it is neither, or its stated fingerprint does not match its key.
    """
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise TrustError(f"{what}: not valid JSON ({exc.msg})") from exc
        if not isinstance(doc, dict) or doc.get("format") != PUBKEY_FORMAT:
            raise TrustError(f"{what}: JSON but not a {PUBKEY_FORMAT} public key file")
        pub = doc.get("public_key")
        if not isinstance(pub, str) or not _is_key_hex(pub):
            raise TrustError(f"{what}: public_key is not 64 hex digits (a raw Ed25519 key)")
        stated = doc.get("fingerprint")
        if stated is not None and normalise_fingerprint(str(stated)) != fingerprint(pub):
            raise TrustError(f"{what}: its fingerprint does not match its public key")
        name, initials = doc.get("name"), doc.get("initials")
        return PublicKeyFile(
            pub.lower(),
            name if isinstance(name, str) else "",
            initials if isinstance(initials, str) else "",
        )
    lines = [ln for ln in stripped.splitlines() if ln.strip() and not ln.startswith("#")]
    if len(lines) == 1 and lines[0].split()[0] == "ssh-ed25519":
        parts = lines[0].split(None, 2)
        if len(parts) < 2:
            raise TrustError(f"{what}: an ssh-ed25519 line without its key")
        raw = _openssh_blob(parts[1], what)
        comment = parts[2].strip() if len(parts) > 2 else ""
        return PublicKeyFile(raw.hex(), name=comment)
    raise TrustError(
        f"{what}: not a public key file: expected the JSON written by `ews keys export` "
        "or one OpenSSH `ssh-ed25519 AAAA…` line"
    )


def read_public_key(path: Path) -> PublicKeyFile:
    """Read a public key file.

    Raises:
        TrustError: if it cannot be read or is not one.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustError(f"{path}: cannot read it ({exc.strerror})") from exc
    if len(data) > 64 << 10:
        raise TrustError(f"{path}: too large for a public key file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrustError(f"{path}: not a text file (a private key? export the public key)") from exc
    if "PRIVATE KEY" in text:
        raise TrustError(f"{path}: holds a private key; give the public key file")
    return parse_public_key(text, str(path))


def _openssh_blob(blob_b64: str, what: str) -> bytes:
    try:
        blob = base64.b64decode(blob_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TrustError(f"{what}: the ssh-ed25519 key is not valid base64") from exc
    fields: list[bytes] = []
    pos = 0
    while pos + 4 <= len(blob):
        n = int.from_bytes(blob[pos : pos + 4], "big")
        fields.append(blob[pos + 4 : pos + 4 + n])
        pos += 4 + n
    if pos != len(blob) or len(fields) != 2 or fields[0] != b"ssh-ed25519" or len(fields[1]) != 32:
        raise TrustError(f"{what}: not an ssh-ed25519 public key")
    return fields[1]


def _is_key_hex(text: str) -> bool:
    return bool(_HEX64.match(text.lower()))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint typed with or without spaces (or colons) as 64 lower-case hex digits.

    Raises:
        TrustError: if it is not 64 hex digits (a 16-digit key id is not a fingerprint).
    """
    fp = re.sub(r"[\s:]", "", text).lower()
    if not _HEX64.match(fp):
        raise TrustError(
            f"{text!r} is not a key fingerprint: 64 hex digits are needed "
            "(a 16-digit key id is not enough)"
        )
    return fp


# --- the examiner's trusted keys ---------------------------------------------------------------


def trusted_dir() -> Path:
    return keys.data_dir() / TRUSTED_DIR


def _own_keys() -> Iterator[TrustedKey]:
    folder = keys.data_dir() / "examiners"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
            pub = str(info["public_key"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _is_key_hex(pub):
            yield TrustedKey(
                str(info.get("name", "")), str(info.get("initials", "")), pub, "own", str(path)
            )


def _folder_keys(folder: Path, source: str) -> Iterator[TrustedKey]:
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".json", ".pub") or not path.is_file():
            continue
        try:
            f = read_public_key(path)
        except TrustError:
            continue
        yield TrustedKey(f.name, f.initials, f.public_key, source, str(path))


def trusted_keys() -> list[TrustedKey]:
    """Every key this data folder trusts (own, trusted, then the unit folder's)."""
    found = [*_own_keys(), *_folder_keys(trusted_dir(), "trusted")]
    unit = os.environ.get(ENV_UNIT)
    if unit:
        found.extend(_folder_keys(Path(unit), "unit"))
    return found


def trusted_fingerprints() -> dict[str, TrustedKey]:
    """Trusted keys by fingerprint (the first source listed wins)."""
    out: dict[str, TrustedKey] = {}
    for k in trusted_keys():
        out.setdefault(k.fingerprint, k)
    return out


def trust_key(pub: PublicKeyFile, name: str, initials: str = "") -> TrustedKey:
    """Add a key to this data folder's trusted keys (``ews keys trust``).

    Raises:
        TrustError: if the name is empty.
    """
    if not name.strip():
        raise TrustError("a trusted key needs a --name (who holds it)")
    known = trusted_fingerprints().get(fingerprint(pub.public_key))
    if known is not None and known.source in ("own", "trusted"):
        return known
    fp = fingerprint(pub.public_key)
    doc = {
        "format": PUBKEY_FORMAT,
        "name": name.strip(),
        "initials": initials or pub.initials,
        "algorithm": "Ed25519",
        "public_key": pub.public_key,
        "key_id": fp[:16],
        "fingerprint": fp,
    }
    folder = trusted_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{fp[:16]}.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return TrustedKey(name.strip(), str(doc["initials"]), pub.public_key, "trusted", str(path))


# --- examiners of a case -----------------------------------------------------------------------


def not_an_examiner(ident: ExaminerIdentity) -> CaseError:
    """The one line shown when someone who is not an examiner of a case tries to write to it."""
    return CaseError(
        f"{ident.name} ({ident.initials}, key {ident.key_id}) is not an examiner of this case: "
        "an examiner of the case must add them with `ews examiners CASE add`"
    )


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def add_examiner(case: Case, signer: Signer, ident: ExaminerIdentity) -> Entry:
    """Record ``ident`` as an examiner of the case, endorsed (signed) by ``signer``.

    Raises:
        CaseError: if the signer is not an examiner of the case, adds themselves, the key is
            already an examiner, or the initials are already used in the case.
    """
    from chain_of_custody.case import _examiner_entry, _insert_examiner

    keys.check_initials(ident.initials)
    if ident.key_id == signer.key_id:
        raise CaseError("an examiner cannot add themselves: another examiner must add them")
    with case.writing(signer) as w:  # refuses a signer who is not an examiner of the case
        rows = w.conn.execute(
            sa.select(T_EXAMINER.c.key_id, T_EXAMINER.c.initials, T_EXAMINER.c.name).where(
                T_EXAMINER.c.case_id == case.case_id
            )
        ).all()
        for r in rows:
            if r.key_id == ident.key_id:
                raise CaseError(
                    f"key {ident.key_id} is already an examiner of this case ({r.name})"
                )
            if r.initials == ident.initials:
                raise CaseError(
                    f"initials {ident.initials} are already used in this case by {r.name} "
                    f"(key {r.key_id}); give the new examiner other initials"
                )
        (made,) = w.append([_examiner_entry(ident)])
        _insert_examiner(w.conn, case.case_id, ident, made.at)
    return made


# --- verification ----------------------------------------------------------------------------


@dataclass
class _CaseKey:
    initials: str
    name: str
    seq: int


def endorsement_failures(entries: Iterable[Entry]) -> Iterator[tuple[int, str, str]]:
    """(seq, subject, message) for each ``examiner.added`` that breaks the endorsement rule.

    ``entries`` are the case's ``case.created`` and ``examiner.added`` entries in seq order.
    """
    known: dict[str, _CaseKey] = {}
    creator = ""
    for e in entries:
        if e.action == "case.created" and e.seq == 0:
            ex = e.data.get("examiner")
            if isinstance(ex, dict):
                creator = e.actor
                known[e.actor] = _CaseKey(str(ex.get("initials", "")), str(ex.get("name", "")), 0)
            continue
        if e.action != "examiner.added":
            continue
        key_id = e.subject
        initials, name = str(e.data.get("initials", "")), str(e.data.get("name", ""))
        where = f"entry {e.seq} (examiner.added)"
        who = f"{name} ({initials}, key {key_id})"
        if e.seq == 1 and key_id == creator and e.actor == creator:
            continue  # the creator's own addition: the case's root of trust
        if e.actor == key_id:
            yield e.seq, where, f"{who} is self-signed: no examiner of the case endorsed it"
        elif e.actor not in known:
            yield (
                e.seq,
                where,
                f"{who} is endorsed by key {e.actor}, which is not an examiner of the case",
            )
        clash = next(
            (k for kid, k in known.items() if k.initials == initials and kid != key_id), None
        )
        if clash is not None:
            yield (
                e.seq,
                where,
                f"{who} reuses initials {initials} of {clash.name} (added in entry {clash.seq})",
            )
        known.setdefault(key_id, _CaseKey(initials, name, e.seq))


def check_case(
    conn: sa.Connection,
    case_id: str,
    case_keys: dict[str, str],
    report: VerifyReport,
    allow_untrusted: bool = False,
) -> None:
    """The endorsement rule over the whole ledger, and every signer trusted by this data folder.

    ``case_keys`` are the keys learned from the ledger (key id -> public key hex).
    """
    added = [
        *report.by_action.get("case.created", []),
        *report.by_action.get("examiner.added", []),
    ]
    added.sort(key=lambda e: e.seq)
    for seq, subject, message in endorsement_failures(added):
        report.fail("examiner", subject, message, seq)
    names: dict[str, str] = {}
    for e in added:
        if e.action == "examiner.added":
            names.setdefault(e.subject, f"{e.data.get('name')} ({e.data.get('initials')})")
        elif isinstance(e.data.get("examiner"), dict):
            ex = e.data["examiner"]
            names.setdefault(e.actor, f"{ex.get('name')} ({ex.get('initials')})")
    trusted = trusted_fingerprints()
    endorsed = _endorsed(added, case_keys, trusted)
    signed = conn.execute(
        sa.select(T_LEDGER.c.actor, sa.func.min(T_LEDGER.c.seq), sa.func.count())
        .where(T_LEDGER.c.case_id == case_id)
        .group_by(T_LEDGER.c.actor)
    ).all()
    checkpoints = conn.execute(
        sa.select(T_CHECKPOINT.c.key_id, sa.func.count())
        .where(T_CHECKPOINT.c.case_id == case_id)
        .group_by(T_CHECKPOINT.c.key_id)
    ).all()
    cp_counts = {str(k): int(n) for k, n in checkpoints}
    for actor, first, count in sorted(signed, key=lambda r: int(r[1])):
        actor = str(actor)
        cps = cp_counts.pop(actor, 0)
        if actor in endorsed:
            continue
        _judge(
            report, case_keys, trusted, names, actor, allow_untrusted, int(first), int(count), cps
        )
    for key_id, cps in sorted(cp_counts.items()):
        if key_id in endorsed:
            continue
        _judge(report, case_keys, trusted, names, key_id, allow_untrusted, None, 0, cps)


def _endorsed(
    added: list[Entry], case_keys: dict[str, str], trusted: dict[str, TrustedKey]
) -> set[str]:
    """Key ids trusted through the endorsement chain: added to the case by a key this data
    folder trusts, or by one so added before (as verify-bundle's check 8 does). A
    self-signed addition endorses nobody; the endorsement rule itself is checked apart."""
    endorsed: set[str] = set()
    for e in added:  # in seq order: an endorser must be trusted before it endorses
        if e.action != "examiner.added" or e.actor == e.subject:
            continue
        actor_pub = case_keys.get(e.actor)
        if e.actor in endorsed or (actor_pub is not None and fingerprint(actor_pub) in trusted):
            endorsed.add(e.subject)
    return endorsed


def _judge(
    report: VerifyReport,
    case_keys: dict[str, str],
    trusted: dict[str, TrustedKey],
    names: dict[str, str],
    key_id: str,
    allow_untrusted: bool,
    first: int | None,
    count: int,
    checkpoints: int,
) -> None:
    pub = case_keys.get(key_id)
    if pub is None:
        return  # a key the ledger never recorded: a signature failure already
    fp = fingerprint(pub)
    if fp in trusted:
        return
    signed = []
    if count:
        signed.append(f"signed {count} entr{'y' if count == 1 else 'ies'} from entry {first}")
    if checkpoints:
        signed.append(f"{checkpoints} checkpoint{'s' if checkpoints != 1 else ''}")
    message = (
        f"claims to be {names.get(key_id, 'an examiner')}, fingerprint "
        f"{format_fingerprint(fp)}; {' and '.join(signed)}; this key is not trusted here "
        "(own, `ews keys trust`, or the unit folder in EWS_TRUSTED_KEYS)"
    )
    subject = f"key {key_id}"
    if allow_untrusted:
        report.notes.append(f"untrusted_key: {subject}: {message}")
    else:
        report.fail("untrusted_key", subject, message, first)

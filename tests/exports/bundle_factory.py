"""Build ews-bundle/1 bundles for the verifier's tests, from docs/bundle-format.md.

The bundles rest on a real case: real ledger entries, signatures, checkpoints and Merkle
proofs made by chain_of_custody, so the verifier (which reimplements all of that) is checked
against the project's own code. Only the integrity files follow the format page closely; the
PDFs are small real PDFs standing in for the exporter's documents.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

from chain_of_custody import merkle
from chain_of_custody.canonical import canonical_bytes
from chain_of_custody.case import Case
from chain_of_custody.db import read_connection
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import Entry, NewEntry, SignedCheckpoint, list_checkpoints
from workstation.ingest import ingest_paths

AT = "2026-01-05T10:00:00.000000Z"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Bundle:
    """An exported test bundle: its folder (the top folder) and its zip."""

    folder: Path
    zip: Path
    bundle_id: str
    case_id: str
    checkpoint: SignedCheckpoint


def new_case(folder: Path, signer: Signer, files: Mapping[str, bytes], urn: str) -> Case:
    """A case holding ``files`` (name -> bytes), acquired by ``signer``."""
    source = folder.parent / f"{folder.name}-source"
    source.mkdir(parents=True)
    for name, data in files.items():
        (source / name).write_bytes(data)
    case = Case.create(folder, urn=urn, title=f"R v Test ({urn})", signer=signer)
    ingest_paths(case, signer, [source])
    return case


def acquired(case: Case) -> dict[str, str]:
    """Original file name -> SHA-256 of every acquired item."""
    return {
        e.data["name"]: e.data["sha256"]
        for e in case.ledger_entries()
        if e.action == "item.acquired"
    }


def assign(case: Case, signer: Signer, ref: str, shas: Sequence[str]) -> Entry:
    """Record an ``exhibit.assigned`` entry for items ``shas``."""
    (made,) = case.record(
        signer,
        [NewEntry("exhibit.assigned", ref, {"ref": ref, "kind": "item", "items": list(shas)})],
    )
    return made


def _pdf(title: str) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.drawString(72, 720, title)
    page.showPage()
    page.save()
    return out.getvalue()


def openssh_line(signer: Signer) -> bytes:
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(signer.identity.public_key))
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return line + f" {signer.identity.name} ({signer.identity.initials})\n".encode()


def manifest_sig(manifest: bytes, signer: Signer) -> bytes:
    return canonical_bytes(
        {"algorithm": "ed25519", "key_id": signer.key_id, "signature": signer.sign(manifest)}
    )


def export(
    case: Case,
    signer: Signer,
    out: Path,
    exhibits: Mapping[str, Sequence[str]],
    *,
    bundle_id: str | None = None,
    extra_files: Mapping[str, bytes] | None = None,
) -> Bundle:
    """Checkpoint the case and write a bundle (folder and zip) of ``exhibits`` (ref -> shas)."""
    checkpoint = case.make_checkpoint(signer)
    entries = [e for e in case.ledger_entries() if e.seq < checkpoint.size]
    tree = merkle.MerkleTree(bytes.fromhex(e.entry_hash) for e in entries)
    assert tree.root().hex() == checkpoint.root
    by_sha = {e.data["sha256"]: e for e in entries if e.action == "item.acquired"}
    refs = {e.subject: e for e in entries if e.action == "exhibit.assigned"}
    keep = {e.seq for e in entries if e.action in ("case.created", "examiner.added")}
    files: dict[str, bytes] = {
        "00_index.pdf": _pdf("Index and integrity page"),
        "03_MG12_exhibit_list.pdf": _pdf("MG12"),
        "not_for_disclosure/06_risk_assessment.pdf": _pdf("Risk assessment"),
    }
    listed_exhibits: list[dict[str, Any]] = []
    for ref, shas in exhibits.items():
        folder = f"04_exhibits/{ref.replace('/', '-')}"
        files[f"{folder}/label.pdf"] = _pdf(f"Exhibit {ref}")
        keep.add(refs[ref].seq)
        natives = []
        for sha in shas:
            item = by_sha[sha]
            keep.add(item.seq)
            with case.store.open_blob(sha) as blob:
                path = f"{folder}/native/{sha[:12]}_{item.data['name']}"
                files[path] = blob.read()
            natives.append(
                {
                    "path": path,
                    "sha256": sha,
                    "size": item.data["size"],
                    "item_acquired_seq": item.seq,
                }
            )
        listed_exhibits.append(
            {"ref": ref, "kind": "item", "ledger_seq": refs[ref].seq, "natives": natives}
        )
    extract = [e for e in entries if e.seq in keep]
    with read_connection(case.engine) as conn:
        earlier = [c for c in list_checkpoints(conn, case.case_id) if c.size < checkpoint.size]
    ledger_dir = "11_custody_ledger"
    files[f"{ledger_dir}/entries.json"] = canonical_bytes_list([e.as_json() for e in extract])
    files[f"{ledger_dir}/checkpoint.json"] = canonical_bytes(checkpoint.as_json())
    files[f"{ledger_dir}/inclusion_proofs.json"] = canonical_bytes(
        {
            "tree_size": checkpoint.size,
            "root": checkpoint.root,
            "proofs": [
                {
                    "seq": e.seq,
                    "leaf_index": e.seq,
                    "entry_hash": e.entry_hash,
                    "path": [h.hex() for h in tree.inclusion_proof(e.seq)],
                }
                for e in extract
            ],
        }
    )
    files[f"{ledger_dir}/consistency_proofs.json"] = canonical_bytes(
        {
            "to_size": checkpoint.size,
            "to_root": checkpoint.root,
            "proofs": [
                {
                    "from_size": c.size,
                    "from_root": c.root,
                    "path": [h.hex() for h in tree.consistency_proof(c.size)],
                }
                for c in earlier
            ],
        }
    )
    files[f"keys/{signer.identity.initials}_{signer.key_id[:12]}.pub"] = openssh_line(signer)
    files["exhibits.json"] = canonical_bytes(
        {"format": "ews-bundle/1", "exhibits": listed_exhibits}
    )
    files["case.jsonld"] = json.dumps(
        {"@context": {"uco-core": "https://ontology.unifiedcyberontology.org/uco/core/"}},
        indent=1,
    ).encode()
    files["VERIFY.txt"] = b"Check each file with sha256sum against manifest.json.\n"
    files.update(extra_files or {})
    info = case.info()
    bundle_id = bundle_id or f"B-{case.case_id[:8]}-{checkpoint.size}"
    manifest = {
        "format": "ews-bundle/1",
        "bundle_id": bundle_id,
        "case_id": case.case_id,
        "urn": info["urn"],
        "title": info["title"],
        "file_type": "pre-charge",
        "generated_at": AT,
        "tool": "evidence-workstation 0.1.0",
        "signer": {
            "initials": signer.identity.initials,
            "key_id": signer.key_id,
            "public_key": signer.identity.public_key,
        },
        "checkpoint": checkpoint.as_json(),
        "files": file_list(files),
    }
    files["manifest.json"] = canonical_bytes(manifest)
    files["manifest.sig"] = manifest_sig(files["manifest.json"], signer)
    top = out / bundle_id
    write_folder(top, files)
    zip_path = out / f"{bundle_id}.zip"
    write_zip(zip_path, bundle_id, files.items())
    return Bundle(top, zip_path, bundle_id, case.case_id, checkpoint)


def canonical_bytes_list(items: list[dict[str, Any]]) -> bytes:
    return json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def file_list(files: Mapping[str, bytes]) -> list[dict[str, Any]]:
    return [
        {"path": path, "sha256": hashlib.sha256(files[path]).hexdigest(), "size": len(files[path])}
        for path in sorted(files, key=lambda p: p.encode())
        if path not in ("manifest.json", "manifest.sig")
    ]


def read_folder(top: Path) -> dict[str, bytes]:
    return {
        p.relative_to(top).as_posix(): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()
    }


def write_folder(top: Path, files: Mapping[str, bytes]) -> None:
    if top.exists():
        shutil.rmtree(top)
    for path, data in files.items():
        target = top / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def write_zip(path: Path, top: str, members: Iterable[tuple[str, bytes]]) -> None:
    """A deterministic zip: sorted members under ``top/``, fixed time, natives stored."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in sorted(members, key=lambda m: m[0].encode()):
            info = zipfile.ZipInfo(f"{top}/{name}", ZIP_TIME)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if "/native/" in name else zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def reseal(top: Path, signer: Signer) -> None:
    """Rewrite manifest.json for the folder's current files and sign it (an insider's edit)."""
    files = read_folder(top)
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = file_list(files)
    data = canonical_bytes(manifest)
    (top / "manifest.json").write_bytes(data)
    (top / "manifest.sig").write_bytes(manifest_sig(data, signer))


def zip_of(top: Path, dest: Path) -> Path:
    """The zip of a (possibly changed) bundle folder."""
    write_zip(dest, top.name, read_folder(top).items())
    return dest

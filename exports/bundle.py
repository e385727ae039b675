"""Write an evidential bundle (docs/bundle-format.md): a folder and the same tree as a zip.

The parts are written into a staging folder (natives streamed from the store and re-hashed
on the way), then ``manifest.json`` and its signature, then the zip is made from the staged
files in byte order of their paths with fixed times and modes, so the same context gives
the same bytes. Only when both are complete are they moved to their final names; after
that the caller records the export (``record_export``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain_of_custody import db, ledger, timestamp
from chain_of_custody.canonical import canonical_bytes
from chain_of_custody.case import Case
from chain_of_custody.errors import EvidenceError, StoreError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry, SignedCheckpoint
from exports import documents
from exports.caseuco import case_jsonld
from exports.context import LAYOUT, BundleContext
from exports.gather import Gathered, native_path
from exports.verify_text import verify_txt

FORMAT = "ews-bundle/1"
CHUNK = 1 << 20
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_STORED_SUFFIXES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".heic",
    ".zip",
    ".mp4",
    ".mov",
    ".m4a",
    ".mp3",
    ".ogg",
    ".opus",
    ".gz",
    ".7z",
}

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class BundleError(EvidenceError):
    """The bundle cannot be written (target exists, a native changed, a part misplaced)."""


@dataclass(frozen=True)
class BundleResult:
    """Where the bundle went and what it holds."""

    bundle_id: str
    zip_path: Path
    folder: Path
    files: int  # every file of the tree, manifest and signature included
    manifest_sha256: str


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def target_paths(out: Path, bundle_id: str) -> tuple[Path, Path]:
    """(zip, folder) for ``--out``: ``X.zip`` gives ``X.zip`` and ``X/``; a folder gives
    ``folder/<bundle_id>.zip`` and ``folder/<bundle_id>/``."""
    if out.suffix.lower() == ".zip":
        return out, out.with_suffix("")
    return out / f"{bundle_id}.zip", out / bundle_id


class _Staging:
    """Files written under a staging folder, each hashed as it is written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, tuple[str, int]] = {}  # path -> (sha256, size)
        self.titles: dict[str, str] = {}

    def _target(self, rel: str) -> Path:
        if rel in self.files or rel.startswith("/") or ".." in rel.split("/"):
            raise BundleError(f"bundle path {rel!r} is duplicated or not relative")
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def put(self, rel: str, data: bytes, title: str) -> None:
        self._target(rel).write_bytes(data)
        self.titles[rel] = title
        self.files[rel] = (hashlib.sha256(data).hexdigest(), len(data))

    def copy(self, rel: str, source: Path, expected_sha256: str, title: str) -> None:
        """Stream a native from the store, refusing bytes that no longer match their hash."""
        digest = hashlib.sha256()
        size = 0
        with source.open("rb") as src, self._target(rel).open("wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        if digest.hexdigest() != expected_sha256:
            raise StoreError(
                f"stored blob {expected_sha256[:16]}… no longer matches its SHA-256; "
                "run `ews verify` before exporting"
            )
        self.files[rel] = (expected_sha256, size)
        self.titles[rel] = title

    def listing(self) -> list[dict[str, Any]]:
        return [
            {"path": p, "sha256": h, "size": n, "title": self.titles[p]}
            for p, (h, n) in sorted(self.files.items(), key=lambda kv: kv[0].encode("utf-8"))
        ]


def _exhibits_json(ctx: BundleContext) -> bytes:
    """What each exhibit is, and which native file and ledger entry it rests on."""
    acquired = {
        str(e["data"]["sha256"]): int(str(e["seq"]))  # type: ignore[index]
        for e in ctx.ledger.entries
        if e.get("action") == "item.acquired"
    }
    return _json_bytes(
        {
            "format": FORMAT,
            "exhibits": [
                {
                    "ref": ex.ref,
                    "kind": ex.kind,
                    "description": ex.description,
                    "ledger_seq": ex.ledger_seq,
                    "natives": [
                        {
                            "path": native_path(ex.ref, it),
                            "sha256": it.sha256,
                            "size": it.size,
                            "item_acquired_seq": acquired.get(it.sha256, it.ledger_seq),
                        }
                        for it in ex.items
                    ],
                }
                for ex in ctx.exhibits
            ],
        }
    )


def _ledger_files(stage: _Staging, g: Gathered) -> None:
    stage.put(
        LAYOUT["ledger_json"],
        _json_bytes(list(g.context.ledger.entries)),
        "Custody ledger extract: the entries the exhibits rest on",
    )
    stage.put(
        LAYOUT["checkpoint_json"], _json_bytes(g.checkpoint.as_json()), "Signed ledger checkpoint"
    )
    if g.timestamp is not None:
        stage.put(
            LAYOUT["timestamp_tsr"],
            g.timestamp,
            f"RFC 3161 timestamp of the checkpoint, from {g.timestamp_authority}",
        )
    stage.put(LAYOUT["proofs_json"], _json_bytes(g.proofs.inclusion), "Inclusion proofs")
    stage.put(LAYOUT["consistency_json"], _json_bytes(g.proofs.consistency), "Consistency proofs")


def _documents(stage: _Staging, ctx: BundleContext, progress: Progress | None) -> None:
    """The PDFs (exports.documents), every one but the index, then the index listing all."""

    def tick(done: int, total: int) -> None:
        if progress:
            progress("documents", done, total)

    for doc in documents.render_parts(ctx, tick):
        if not doc.for_disclosure and not doc.path.startswith("not_for_disclosure/"):
            raise BundleError(f"{doc.path}: a part not for disclosure outside not_for_disclosure/")
        stage.put(doc.path, doc.data, doc.title)
    listed = [
        documents.FileEntry(f["path"], f["sha256"], f["size"], f["title"]) for f in stage.listing()
    ]
    stage.put(LAYOUT["index"], documents.render_index(ctx, listed), "Index and integrity page")


def _manifest(
    ctx: BundleContext, g: Gathered, signer: Signer, files: list[dict[str, Any]]
) -> bytes:
    return _json_bytes(
        {
            "format": FORMAT,
            "bundle_id": ctx.bundle_id,
            "case_id": ctx.case_id,
            "urn": ctx.urn,
            "title": ctx.title,
            "file_type": ctx.file_type,
            "generated_at": ctx.generated_at_utc,
            "tool": ctx.tool,
            "signer": {
                "initials": signer.identity.initials,
                "key_id": signer.key_id,
                "public_key": signer.identity.public_key,
            },
            "checkpoint": g.checkpoint.as_json(),
            "timestamp": _timestamp_note(g),
            "files": files,
        }
    )


def _zip(folder: Path, top: str, paths: Iterable[str], target: Path) -> None:
    with zipfile.ZipFile(target, "w", allowZip64=True) as zf:
        for rel in sorted(paths, key=lambda p: p.encode("utf-8")):
            source = folder / rel
            info = zipfile.ZipInfo(f"{top}/{rel}", date_time=_ZIP_TIME)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.file_size = source.stat().st_size
            stored = Path(rel).suffix.lower() in _STORED_SUFFIXES
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with source.open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, CHUNK)


def write_bundle(
    case: Case,
    g: Gathered,
    signer: Signer,
    out: Path,
    progress: Progress | None = None,
) -> BundleResult:
    """Write the folder and the zip of a gathered case.

    Raises:
        BundleError: if the target exists or a part is misplaced.
        StoreError: if a native original no longer matches its SHA-256.
    """
    ctx = g.context
    zip_path, folder = target_paths(out, ctx.bundle_id)
    for p in (zip_path, folder):
        if p.exists():
            raise BundleError(f"{p} already exists; an export never overwrites one")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(folder.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)  # our own leftover from an interrupted export
    stage = _Staging(staging)
    try:
        for i, n in enumerate(g.natives):
            stage.copy(n.path, case.store.blob_path(n.sha256), n.sha256, n.title)
            if progress:
                progress("natives", i + 1, len(g.natives))
        _ledger_files(stage, g)
        for ex in ctx.examiners:
            rel = LAYOUT["public_key"].format(initials=ex.initials, key_id_12=ex.key_id[:12])
            key = (ex.public_key_openssh + "\n").encode("utf-8")
            stage.put(rel, key, f"Public key of {ex.name} ({ex.initials})")
        stage.put("exhibits.json", _exhibits_json(ctx), "Exhibit list (machine-readable)")
        stage.put(LAYOUT["jsonld"], case_jsonld(ctx), "CASE/UCO description of the bundle")
        stage.put(LAYOUT["verify_txt"], verify_txt(ctx).encode("utf-8"), "How to check this bundle")
        _documents(stage, ctx, progress)
        listing = [{k: f[k] for k in ("path", "sha256", "size")} for f in stage.listing()]
        manifest = _manifest(ctx, g, signer, listing)
        (staging / LAYOUT["manifest"]).write_bytes(manifest)
        signature = {
            "algorithm": "ed25519",
            "key_id": signer.key_id,
            "signature": signer.sign(manifest),
        }
        (staging / LAYOUT["manifest_sig"]).write_bytes(canonical_bytes(signature))
        paths = [*stage.files, LAYOUT["manifest"], LAYOUT["manifest_sig"]]
        partial_zip = zip_path.with_name(zip_path.name + ".partial")
        if progress:
            progress("zip", 0, 1)
        _zip(staging, ctx.bundle_id, paths, partial_zip)
        os.replace(partial_zip, zip_path)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BundleResult(
        ctx.bundle_id, zip_path, folder, len(paths), hashlib.sha256(manifest).hexdigest()
    )


def _timestamp_note(g: Gathered) -> dict[str, Any]:
    """The manifest's word on the checkpoint's RFC 3161 timestamp: where it is, or why none."""
    if g.timestamp is None:
        return {"authority": None, "file": None, "note": timestamp.OFFLINE_NOTE}
    return {"authority": g.timestamp_authority, "file": LAYOUT["timestamp_tsr"], "note": ""}


def record_export(
    case: Case,
    signer: Signer,
    cp: SignedCheckpoint,
    result: BundleResult,
    file_type: str,
    stamp: tuple[bytes, str] | None = None,
) -> int:
    """Store the bundle's checkpoint (with its RFC 3161 ``stamp``: token, authority) and an
    ``export.created`` entry; returns its seq.

    Raises:
        CheckpointConflict: if the checkpoint contradicts the ledger (it cannot, unless the
            ledger was altered while exporting).
    """
    with db.write_transaction(case.engine, case.case_id) as conn:
        tree = ledger.tree_of(conn, case.case_id)
        ledger.add_checkpoint(conn, case.case_id, cp, tree, stamp)
        made = ledger.append_entries(
            conn,
            case.case_id,
            signer,
            [
                NewEntry(
                    "checkpoint",
                    cp.origin,
                    {
                        "size": cp.size,
                        "root": cp.root,
                        "signature": cp.signature,
                        "key_id": cp.key_id,
                        "at": cp.at,  # the checkpoint row's (verify_rows)
                    },
                ),
                NewEntry(
                    "export.created",
                    result.bundle_id,
                    {
                        "bundle_id": result.bundle_id,
                        "file_type": file_type,
                        "manifest_sha256": result.manifest_sha256,
                        "out": str(result.zip_path),
                        "files": result.files,
                        "checkpoint_size": cp.size,
                        "checkpoint_root": cp.root,
                    },
                ),
            ],
        )
    return made[1].seq

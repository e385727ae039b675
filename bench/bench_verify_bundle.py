"""verify-bundle throughput against plain SHA-256 over the same bytes, in one run.

A synthetic bundle (ews-bundle/1) of about --gb gigabytes of incompressible native files
(a mix of large and small files, as real exhibits are) is written as a folder and as a zip,
with a real signed manifest, a real ledger extract (an ``item.acquired`` entry per native,
signed, with RFC 6962 inclusion proofs made by chain_of_custody.merkle) and a signed
checkpoint. Then, with the page cache warm for all of them:

- plain SHA-256: hashlib over every file of the folder in 1 MiB chunks, one thread (the
  floor any verifier must pay), and ``sha256sum`` over the same files;
- ``python exports/verify_bundle.py`` on the folder and on the zip (process start included),
  with two threads (the default) and with one;
- ``ews verify-bundle`` on the zip (the same code behind the workstation's CLI).

Each is run --repeat times; the best is reported (the machine is shared, so the best run is
the one least disturbed). Target: verify-bundle at >= 80 % of plain SHA-256 throughput.

Usage: python bench/bench_verify_bundle.py [--gb 1.0] [--repeat 3] [--out bench/out]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain_of_custody import merkle
from chain_of_custody.canonical import canonical_bytes, entry_hash

ROOT = Path(__file__).resolve().parents[1]
VERIFIER = ROOT / "exports" / "verify_bundle.py"
EWS = str(Path(sys.executable).parent / "ews")
CHUNK = 1 << 20
AT = "2026-01-05T10:00:00.000000Z"
CASE_ID = "00000000-0000-4000-8000-00000000be01"


def _random_file(path: Path, size: int, seed: int) -> None:
    block = hashlib.shake_256(seed.to_bytes(8, "big")).digest(min(size, 4 << 20) or 1)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
            block = hashlib.sha256(block[:32]).digest() + block[32:]  # no two blocks alike


def _sizes(total: int) -> list[int]:
    """About 90 % of the bytes in files of 16-48 MB, the rest in files of 8-256 KB."""
    sizes: list[int] = []
    big = int(total * 0.9)
    i = 0
    while sum(sizes) < big:
        sizes.append((16 + (i * 7) % 33) << 20)
        i += 1
    small = total - sum(sizes)
    while small > 0:
        n = min(small, (8 + (i * 37) % 249) << 10)
        sizes.append(n)
        small -= n
        i += 1
    return sizes


class _Ledger:
    """Signed entries as chain_of_custody makes them, without a database."""

    def __init__(self, key: Ed25519PrivateKey, public_hex: str, key_id: str) -> None:
        self.key, self.public_hex, self.key_id = key, public_hex, key_id
        self.entries: list[dict[str, Any]] = []

    def add(self, action: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        seq = len(self.entries)
        prev = self.entries[-1]["entry_hash"] if self.entries else "0" * 64
        entry: dict[str, Any] = {
            "seq": seq,
            "case": CASE_ID,
            "prev": prev,
            "at": AT,
            "actor": self.key_id,
            "action": action,
            "subject": subject,
            "data": data,
        }
        digest = entry_hash(entry)
        entry["entry_hash"] = digest.hex()
        entry["signature"] = self.key.sign(digest).hex()
        self.entries.append(entry)
        return entry


def make_bundle(work: Path, total: int) -> tuple[Path, Path, int]:
    """Write the bundle folder and zip; returns (folder, zip, bytes of all files)."""
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(raw).hexdigest()[:16]
    ledger = _Ledger(key, raw.hex(), key_id)
    examiner = {"name": "Bench Examiner", "initials": "BE", "public_key": raw.hex()}
    ledger.add("case.created", CASE_ID, {"urn": "01BE0000001", "examiner": examiner})
    ledger.add("examiner.added", key_id, {**examiner, "algorithm": "Ed25519"})
    bundle_id = "B-bench-verify"
    top = work / bundle_id
    files: dict[str, tuple[str, int]] = {}

    def put(rel: str, data: bytes) -> None:
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_bytes(data)
        files[rel] = (hashlib.sha256(data).hexdigest(), len(data))

    exhibits: list[dict[str, Any]] = []
    sizes = _sizes(total)
    per_exhibit = 8
    for start in range(0, len(sizes), per_exhibit):
        ref = f"BE/{start // per_exhibit + 1}"
        folder = f"04_exhibits/{ref.replace('/', '-')}"
        natives, shas = [], []
        for i, size in enumerate(sizes[start : start + per_exhibit], start):
            scratch = top / "scratch.bin"
            scratch.parent.mkdir(parents=True, exist_ok=True)
            _random_file(scratch, size, i)
            with open(scratch, "rb") as f:
                sha = hashlib.file_digest(f, "sha256").hexdigest()
            name = f"video_{i}.mp4" if size > 1 << 20 else f"photo_{i}.jpg"
            acquired = ledger.add("item.acquired", sha, {"sha256": sha, "size": size, "name": name})
            rel = f"{folder}/native/{sha[:12]}_{name}"
            (top / rel).parent.mkdir(parents=True, exist_ok=True)
            scratch.rename(top / rel)
            files[rel] = (sha, size)
            natives.append(
                {"path": rel, "sha256": sha, "size": size, "item_acquired_seq": acquired["seq"]}
            )
            shas.append(sha)
        assigned = ledger.add("exhibit.assigned", ref, {"ref": ref, "kind": "item", "items": shas})
        put(f"{folder}/label.pdf", b"%PDF-1.4\n% label " + ref.encode() + b"\n%%EOF\n")
        exhibits.append(
            {"ref": ref, "kind": "item", "ledger_seq": assigned["seq"], "natives": natives}
        )
    tree = merkle.MerkleTree(bytes.fromhex(e["entry_hash"]) for e in ledger.entries)
    origin = f"evidence-workstation/case/{CASE_ID}"
    body = {"origin": origin, "size": tree.size, "root": tree.root().hex(), "at": AT}
    checkpoint = {**body, "key_id": key_id, "signature": key.sign(canonical_bytes(body)).hex()}
    entries_json = json.dumps(
        ledger.entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    put("11_custody_ledger/entries.json", entries_json)
    put("11_custody_ledger/checkpoint.json", canonical_bytes(checkpoint))
    put(
        "11_custody_ledger/inclusion_proofs.json",
        canonical_bytes(
            {
                "tree_size": tree.size,
                "root": body["root"],
                "proofs": [
                    {
                        "seq": e["seq"],
                        "leaf_index": e["seq"],
                        "entry_hash": e["entry_hash"],
                        "path": [h.hex() for h in tree.inclusion_proof(e["seq"])],
                    }
                    for e in ledger.entries
                ],
            }
        ),
    )
    put(
        "11_custody_ledger/consistency_proofs.json",
        canonical_bytes({"to_size": tree.size, "to_root": body["root"], "proofs": []}),
    )
    openssh = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    put(f"keys/BE_{key_id[:12]}.pub", openssh + b" Bench Examiner (BE)\n")
    put("exhibits.json", canonical_bytes({"format": "ews-bundle/1", "exhibits": exhibits}))
    put("case.jsonld", b"{}\n")
    put("VERIFY.txt", b"sha256sum -c\n")
    manifest = canonical_bytes(
        {
            "format": "ews-bundle/1",
            "bundle_id": bundle_id,
            "case_id": CASE_ID,
            "urn": "01BE0000001",
            "title": "bench",
            "file_type": "pre-charge",
            "generated_at": AT,
            "tool": "evidence-workstation 0.1.0",
            "signer": {"initials": "BE", "key_id": key_id, "public_key": raw.hex()},
            "checkpoint": checkpoint,
            "files": [
                {"path": p, "sha256": h, "size": n}
                for p, (h, n) in sorted(files.items(), key=lambda kv: kv[0].encode())
            ],
        }
    )
    (top / "manifest.json").write_bytes(manifest)
    sig = {"algorithm": "ed25519", "key_id": key_id, "signature": key.sign(manifest).hex()}
    (top / "manifest.sig").write_bytes(canonical_bytes(sig))
    zip_path = work / f"{bundle_id}.zip"
    with zipfile.ZipFile(zip_path, "w", allowZip64=True) as zf:
        for rel in sorted([*files, "manifest.json", "manifest.sig"], key=str.encode):
            info = zipfile.ZipInfo(f"{bundle_id}/{rel}", (1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            stored = rel.endswith((".mp4", ".jpg"))  # as the exporter stores media
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with open(top / rel, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
    return top, zip_path, sum(n for _, n in files.values())


def plain_sha256(top: Path) -> None:
    """SHA-256 of every file under ``top``, 1 MiB reads, one thread: the floor."""
    for folder, _dirs, names in os.walk(top):
        for name in sorted(names):
            with open(os.path.join(folder, name), "rb") as f:
                h = hashlib.sha256()
                while chunk := f.read(CHUNK):
                    h.update(chunk)


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process; exits if it fails."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            out.seek(0)
            raise SystemExit(f"failed: {' '.join(cmd)}\n{out.read()[-3000:].decode()}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gb", type=float, default=1.0, help="bytes of natives, in GB")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--work", type=Path, help="where the bundle is written (default: beside --out)")
    ap.add_argument("--plain", type=Path, help=argparse.SUPPRESS)  # child: hash a folder
    args = ap.parse_args()
    if args.plain:
        plain_sha256(args.plain)
        return
    work = args.work or args.out.parent / "work-verify-bundle"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        top, zip_path, total = make_bundle(work, int(args.gb * 1e9))
        print(f"bundle of {total / 1e9:.2f} GB written in {time.perf_counter() - started:.0f} s")
        every = [str(p) for p in sorted(top.rglob("*")) if p.is_file()]
        # The recipient names the signer (exit 3 otherwise): the bench key's fingerprint.
        signer = json.loads((top / "manifest.json").read_bytes())["signer"]["public_key"]
        trust = ["--trust-fingerprint", hashlib.sha256(bytes.fromhex(signer)).hexdigest()]
        py = [sys.executable, str(VERIFIER)]
        runs: dict[str, list[str]] = {
            "plain SHA-256 (hashlib, 1 thread)": [sys.executable, __file__, "--plain", str(top)],
            "sha256sum": ["sha256sum", *every],
            "verify_bundle.py folder (2 threads)": [*py, str(top), *trust],
            "verify_bundle.py folder (1 thread)": [*py, str(top), "--threads", "1", *trust],
            "verify_bundle.py zip (2 threads)": [*py, str(zip_path), *trust],
            "verify_bundle.py zip (1 thread)": [*py, str(zip_path), "--threads", "1", *trust],
            "ews verify-bundle zip (2 threads)": [EWS, "verify-bundle", str(zip_path), *trust],
        }
        plain_sha256(top)  # warm the page cache
        walls: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeat):  # interleaved, so a busy moment hits every contender
            for name, cmd in runs.items():
                wall, cpu = measure(cmd)
                walls[name].append(wall)
                cpus[name].append(cpu)
        base = total / min(walls["plain SHA-256 (hashlib, 1 thread)"])
        results: dict[str, dict[str, float]] = {}
        width = max(map(len, runs))
        for name in runs:
            wall = min(walls[name])
            results[name] = {
                "seconds": round(wall, 3),
                "cpu_seconds": round(min(cpus[name]), 3),
                "MB/s": round(total / wall / 1e6, 1),
                "vs plain": round(total / wall / base, 2),
            }
            r = results[name]
            line = f"{wall:6.2f} s ({r['cpu_seconds']:5.2f} s CPU) {r['MB/s']:7.1f} MB/s"
            print(f"{name:<{width}}  {line}  {r['vs plain']:.2f}x")
        load = os.getloadavg()[0]
        print(f"load average at the end: {load:.2f} on {os.cpu_count()} cores")
        report = {
            "bytes": total,
            "files": len(every),
            "repeat": args.repeat,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
            "python": platform.python_version(),
            "load_average_at_end": round(load, 2),
            "results": results,
        }
        (args.out / "verify_bundle.json").write_text(json.dumps(report, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

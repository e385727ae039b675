"""Acquisition of an iPhone backup folder against the physical limit (issue 13, Speed).

The limit, measured in the same run on the same bytes: the slower of hashing them
(``hashlib.file_digest`` SHA-256 of every file) and writing them durably (``shutil.copyfile``
of every file into a fresh folder on the store's file system, then one ``syncfs``, as the
store syncs a batch). Acquisition is ``ingest_paths`` of the backup folder into a fresh
SQLite case with every extractor skipped (reading, hashing, staging, libmagic, manifest
mapping, ledger entries, item rows, fsync, placing: everything but extraction), in this
process after the key is unlocked. Target: acquisition takes at most 1/0.8 of the limit.

Two cases: a generated backup of --files files and --gb gigabytes (a phone-like mix: most
files small, a few hundred large), and one file of --big-mib MiB given alone.

The source is written just before, so it is read from the page cache (as the limit's
hashing reads it); each side is measured twice, alternated, and the best kept.

Usage: python bench/bench_backup.py [--files 50000] [--gb 8] [--big-mib 1024] [--work DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import remove_tree, save_result  # noqa: E402

from chain_of_custody.case import Case  # noqa: E402
from chain_of_custody.keys import Signer, get_or_create_examiner  # noqa: E402
from chain_of_custody.store import _sync_filesystem  # noqa: E402
from extractors import registry  # noqa: E402
from tests.data.device_fixtures.ios_backup import PhoneFile, make_backup  # noqa: E402
from workstation.ingest import IngestOptions, ingest_paths  # noqa: E402


def phone_files(count: int, total: int) -> list[PhoneFile]:
    """A phone-like mix: 99.5% of files small (1-200 KB), the rest share the remaining bytes."""
    rng = random.Random(13)
    large = max(1, count // 200)
    small = count - large
    sizes = [rng.randint(1_000, 200_000) for _ in range(small)]
    left = max(total - sum(sizes), large)
    sizes += [left // large + (1 if i < left % large else 0) for i in range(large)]
    rng.shuffle(sizes)
    return [
        PhoneFile("CameraRollDomain", f"Media/DCIM/{100 + i // 1000}APPLE/IMG_{i:05d}.HEIC", fill=s)
        for i, s in enumerate(sizes)
    ]


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def hash_seconds(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        with open(path, "rb") as f:
            hashlib.file_digest(f, "sha256")
    return time.perf_counter() - started


def write_seconds(files: list[Path], target: Path) -> float:
    """Copy every file into ``target`` (same file system as the store) and sync it."""
    target.mkdir()
    started = time.perf_counter()
    for i, path in enumerate(files):
        shutil.copyfile(path, target / f"{i:06d}")
    _sync_filesystem(target)
    seconds = time.perf_counter() - started
    shutil.rmtree(target)
    return seconds


def acquire_seconds(work: Path, signer: Signer, source: Path, name: str) -> float:
    folder = work / f"case-{name}"
    case = Case.create(folder, urn="01BE0000013", title=f"bench {name}", signer=signer, db_url=None)
    skip = frozenset(x.name for x in registry.registered())
    started = time.perf_counter()
    summary = ingest_paths(case, signer, [source], IngestOptions(skip_extractors=skip))
    seconds = time.perf_counter() - started
    case.close()
    remove_tree(folder)
    assert summary.items >= 1
    return seconds


def measure(work: Path, signer: Signer, source: Path, name: str) -> dict[str, object]:
    files = files_under(source) if source.is_dir() else [source]
    size = sum(p.stat().st_size for p in files)
    hash_s, write_s, acq_s = [], [], []
    for _ in range(2):
        hash_s.append(hash_seconds(files))
        write_s.append(write_seconds(files, work / "copy"))
        acq_s.append(acquire_seconds(work, signer, source, name))
    limit = max(min(hash_s), min(write_s))
    best = min(acq_s)
    return {
        "files": len(files),
        "bytes": size,
        "hash_s": [round(x, 2) for x in hash_s],
        "copy_sync_s": [round(x, 2) for x in write_s],
        "acquire_s": [round(x, 2) for x in acq_s],
        "limit_s": round(limit, 2),
        "acquire_MBps": round(size / best / 1e6),
        "limit_MBps": round(size / limit / 1e6),
        "fraction_of_limit": round(limit / best, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--gb", type=float, default=8.0)
    ap.add_argument("--big-mib", type=int, default=1024)
    ap.add_argument("--work", type=Path, default=Path("bench/out/work-backup"))
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--only", choices=["backup", "big"], default=None)
    args = ap.parse_args()
    work = args.work.resolve()
    if work.exists():
        remove_tree(work)
    work.mkdir(parents=True)
    os.environ.update(
        EWS_DATA_DIR=str(work / "keys"),
        EWS_WITNESS_DIR=str(work / "witness"),
        EWS_PASSPHRASE="bench-backup-passphrase",
        EWS_KDF_ROUNDS="2",
        EWS_INSECURE_TEST_KEYS="1",  # a throwaway key
    )
    signer = get_or_create_examiner("Bench Examiner", "BE")
    results: dict[str, object] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        }
    }
    if args.only in (None, "big"):
        big = work / "big.bin"
        make_backup(work / "big-src", [PhoneFile("HomeDomain", "big.bin", fill=args.big_mib << 20)])
        src = next(p for p in files_under(work / "big-src") if p.parent.name != "big-src")
        os.rename(src, big)
        shutil.rmtree(work / "big-src")
        results["one_file"] = measure(work, signer, big, "big")
        big.unlink()
    if args.only in (None, "backup"):
        started = time.perf_counter()
        made = make_backup(work / "backup", phone_files(args.files, int(args.gb * 1e9)))
        results["generate_s"] = round(time.perf_counter() - started, 1)
        results["backup"] = measure(work, signer, made.folder, "backup")
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    remove_tree(work)
    save_result(args.out, "backup", results)


if __name__ == "__main__":
    main()

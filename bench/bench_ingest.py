"""Ingest benchmarks of the foundation issue, each beside its peer or physical limit.

1. One large file: `ews ingest` throughput against `hashlib.file_digest(f, "sha256")` on the
   same file in the same run (the floor any hashing ingest must pay), and `cp` + fsync of
   the same file (the copy the store must make).
2. 10,000 files of 50 KB: items per second end to end (process start, key unlock, ledger
   and database included) on SQLite.
3. Peak memory (max RSS of the `ews ingest` process) for 200 MB and the large file.

Usage: python bench/bench_ingest.py [--large-mb 2048] [--files 10000] [--out bench/out]
Data is generated under --work (default: a folder beside --out) and deleted afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
EWS = str(BIN / "ews")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import new_case, remove_tree, run_measured, save_result  # noqa: E402


def _env(keys: Path) -> dict[str, str]:
    return {
        **os.environ,
        "EWS_DATA_DIR": str(keys),
        "EWS_PASSPHRASE": "bench",
        "EWS_EXAMINER": "BE",
        "EWS_INSECURE_TEST_KEYS": "1",  # a throwaway key with a short passphrase
    }


def make_file(path: Path, size: int) -> None:
    """Incompressible bytes (a fixed-seed stream, fast to make)."""
    block = hashlib.shake_256(b"ews-bench").digest(8 << 20)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
            block = block[1:] + block[:1]  # keep blocks distinct so nothing dedupes


def bench_case(work: Path, name: str, env: dict[str, str]) -> Path:
    return new_case(work / name, "01BE0000001", f"bench {name}", env)


def digest_seconds(path: Path) -> float:
    started = time.perf_counter()
    with open(path, "rb") as f:
        hashlib.file_digest(f, "sha256")
    return time.perf_counter() - started


def copy_fsync_seconds(src: Path, dst: Path) -> float:
    started = time.perf_counter()
    shutil.copyfile(src, dst)
    fd = os.open(dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    seconds = time.perf_counter() - started
    dst.unlink()
    return seconds


def bench_large(work: Path, size: int, env: dict[str, str]) -> dict[str, float]:
    src = work / f"large-{size >> 20}MB.bin"
    make_file(src, size)
    digest_seconds(src)  # warm the page cache so both sides read from memory
    case = bench_case(work, f"large-{size >> 20}", env)
    hash_s = digest_seconds(src)
    copy_s = copy_fsync_seconds(src, work / "copy.bin")
    ingest_s, rss, _ = run_measured([EWS, "ingest", str(case), str(src)], env)
    hash_again_s = digest_seconds(src)
    hash_s = min(hash_s, hash_again_s)
    mb = size / 1e6
    result = {
        "size_mb": round(mb),
        "file_digest_MBps": round(mb / hash_s),
        "copy_fsync_MBps": round(mb / copy_s),
        "ews_ingest_MBps": round(mb / ingest_s),
        "ratio_to_file_digest": round(hash_s / ingest_s, 3),
        "peak_rss_MB": round(rss / 1e6, 1),
    }
    src.unlink()
    _remove_case(case)
    return result


def bench_many(work: Path, count: int, size: int, env: dict[str, str]) -> dict[str, float]:
    folder = work / "many-src"
    folder.mkdir()
    block = hashlib.shake_256(b"many").digest(size + count)
    for i in range(count):
        (folder / f"f{i:06d}.bin").write_bytes(block[i : i + size])
    case = bench_case(work, "many", env)
    seconds, rss, _ = run_measured([EWS, "ingest", str(case), str(folder)], env)
    _remove_case(case)
    shutil.rmtree(folder)
    return {
        "files": count,
        "file_kb": size // 1000,
        "seconds": round(seconds, 2),
        "items_per_s": round(count / seconds),
        "peak_rss_MB": round(rss / 1e6, 1),
    }


def _remove_case(case: Path) -> None:
    remove_tree(case)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large-mb", type=int, default=2048)
    ap.add_argument("--small-mb", type=int, default=200)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or args.out / "work"
    if work.exists():
        _remove_case(work)
    work.mkdir(parents=True)
    env = _env(work / "keys")
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "many_small_files": bench_many(work, args.files, 50_000, env),
        "large_small": bench_large(work, args.small_mb << 20, env),
        "large": bench_large(work, args.large_mb << 20, env),
    }
    _remove_case(work)
    save_result(args.out, "ingest", results)


if __name__ == "__main__":
    main()

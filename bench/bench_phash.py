"""Perceptual hashing of phone-camera JPEGs: the image extractor against a full decode.

A victim's phone holds thousands of 12-megapixel photos; the image extractor hashes each
(pHash, 64 bits). Since image_meta 1.1 it lets the JPEG decoder scale by up to 1/8 and give
grey directly. This bench times, on the same generated photos in one run: the whole
extractor per photo (EXIF, names, size, hash), and `imagehash.phash` on a full decode (what
1.0 did for the hash), and reports the largest hash difference between the two.

Usage: python bench/bench_phash.py [--photos 40] [--out bench/out]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from extractors.base import Context, Source  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from _common import save_result  # noqa: E402

from extractors.image_meta import ImageMetaExtractor  # noqa: E402
from extractors.records import ImageMeta  # noqa: E402


def photo(seed: int, size: tuple[int, int] = (4032, 3024)) -> bytes:
    """A photo-like 12 MP JPEG: gradients, discs and sensor noise (about 4 MB at q90)."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x / w * 255, y / h * 255, (x + y) / (w + h) * 255], -1)
    for _ in range(20):
        cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.integers(100, 800)
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 255, 3)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(img).save(out, "JPEG", quality=90)
    return out.getvalue()


def source(data: bytes, name: str) -> Source:
    """An acquired JPEG as the extractor sees it (its bytes, head and name)."""
    return Source(
        sha256=hashlib.sha256(data).hexdigest(),
        name=name,
        path=name,
        mime="image/jpeg",
        size=len(data),
        head=data[: 1 << 16],
        opener=lambda: io.BytesIO(data),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    photos = [photo(seed) for seed in range(args.photos)]
    extractor, ctx = ImageMetaExtractor(), Context(tz="Europe/London")
    ours, full, worst = [], [], 0
    for n, data in enumerate(photos):
        started = time.perf_counter()
        records = list(extractor.extract(source(data, f"IMG_{n:04d}.jpg"), ctx))
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        whole = imagehash.phash(Image.open(io.BytesIO(data)))
        full.append(time.perf_counter() - started)
        meta = records[-1]
        assert isinstance(meta, ImageMeta) and meta.phash is not None
        worst = max(worst, imagehash.hex_to_hash(meta.phash) - whole)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1m_before": round(os.getloadavg()[0], 2),
        },
        "photos": args.photos,
        "mean_jpeg_mb": round(statistics.mean(map(len, photos)) / 1e6, 2),
        "image_meta_ms_per_photo": round(statistics.median(ours) * 1000, 1),
        "full_decode_phash_ms_per_photo": round(statistics.median(full) * 1000, 1),
        "image_meta_photos_per_s": round(1 / statistics.median(ours), 1),
        "largest_hash_difference_bits": int(worst),
    }
    save_result(args.out, "phash", result)


if __name__ == "__main__":
    main()

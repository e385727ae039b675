"""Near-duplicate images: pairs of 64-bit perceptual hashes within a Hamming distance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

_BLOCK_ROWS = 1024  # near_duplicates compares a bucket this many rows at a time
#: Up to this many hashes, all pairs are compared in plain Python (at most ~20,000 pairs,
#: a few milliseconds), so listing a small case's items does not import numpy (~35 ms).
_ALL_PAIRS_UP_TO = 200


def near_duplicates(
    phashes: list[tuple[str, str]], max_distance: int = 8
) -> list[tuple[str, str, int]]:
    """Pairs of items whose 64-bit perceptual hashes differ in at most ``max_distance`` bits.

    Pigeonhole: split the 64 bits into max_distance+1 bands; two hashes within the distance
    agree exactly on at least one band, so only items sharing a band value are compared
    (vectorised per bucket with numpy, which ImageHash already needs).

    Args:
        phashes: (item id, 16 hex digits); an id listed twice is never paired with itself.
        max_distance: 0..63.

    Returns:
        (id_a, id_b, distance) with id_a < id_b, sorted by distance, then ids.

    Raises:
        ValueError: a hash that is not 16 hex digits, or max_distance out of range.
    """
    if not 0 <= max_distance <= 63:
        raise ValueError(f"max_distance must be 0..63, not {max_distance}")
    items = sorted((item_id, _hash_int(item_id, h)) for item_id, h in phashes)
    if len(items) <= _ALL_PAIRS_UP_TO:
        return _all_pairs(items, max_distance)
    import numpy as np  # only for many hashes: the banded comparison

    values = np.array([value for _, value in items], dtype=np.uint64)
    found: dict[tuple[int, int], int] = {}
    for bucket in _buckets(values, max_distance):
        for start in range(0, len(bucket), _BLOCK_ROWS):  # bounded memory for huge buckets
            rows = bucket[start : start + _BLOCK_ROWS]
            distances = np.bitwise_count(values[rows, None] ^ values[None, bucket])
            for r, c in zip(*np.nonzero(distances <= max_distance), strict=True):
                i, j = int(rows[r]), int(bucket[c])
                if i < j and items[i][0] != items[j][0]:
                    found[(i, j)] = int(distances[r, c])
    pairs = [(items[i][0], items[j][0], d) for (i, j), d in found.items()]
    return sorted(pairs, key=lambda p: (p[2], p[0], p[1]))


def _all_pairs(items: list[tuple[str, int]], max_distance: int) -> list[tuple[str, str, int]]:
    """The same result as the banded comparison, by comparing every pair (few items)."""
    pairs = []
    for i, (a, x) in enumerate(items):
        for b, y in items[i + 1 :]:
            if a != b and (d := (x ^ y).bit_count()) <= max_distance:
                pairs.append((a, b, d))
    return sorted(pairs, key=lambda p: (p[2], p[0], p[1]))


def _buckets(values: NDArray[np.uint64], max_distance: int) -> Iterator[NDArray[np.intp]]:
    """Sorted index groups of two or more items sharing one band's value, band by band."""
    import numpy as np

    for shift, mask in _bands(max_distance):
        keys = (values >> np.uint64(shift)) & np.uint64(mask)
        order = np.argsort(keys, kind="stable")
        for group in np.split(order, np.flatnonzero(np.diff(keys[order])) + 1):
            if len(group) > 1:
                yield np.sort(group)


def _bands(max_distance: int) -> list[tuple[int, int]]:
    """(shift, mask) of max_distance+1 disjoint bands covering the 64 bits."""
    count = max_distance + 1
    bands, start = [], 0
    for index in range(count):
        width = 64 // count + (1 if index < 64 % count else 0)
        bands.append((start, (1 << width) - 1))
        start += width
    return bands


def _hash_int(item_id: str, phash: str) -> int:
    if not re.fullmatch(r"[0-9a-fA-F]{16}", phash):
        raise ValueError(f"perceptual hash of {item_id!r} is not 16 hex digits: {phash!r}")
    return int(phash, 16)

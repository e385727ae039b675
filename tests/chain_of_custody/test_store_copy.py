"""Large files are copied by the kernel and hashed as stored (BlobStore.stage_copy)."""

from __future__ import annotations

import errno
import hashlib
import os
import random
from pathlib import Path

import pytest

from chain_of_custody.acquire import SourceFile
from chain_of_custody.errors import SourceChangedError
from chain_of_custody.store import CHUNK, HEAD_BYTES, BlobStore


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    s = BlobStore(tmp_path / "store")
    s.create_layout()
    return s


def _big(tmp_path: Path, size: int) -> tuple[Path, bytes]:
    data = random.Random(5).randbytes(size)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    return path, data


def test_copy_is_hashed_as_stored(store: BlobStore, tmp_path: Path) -> None:
    path, data = _big(tmp_path, 3 * CHUNK + 123)
    seen: list[int] = []
    staged = SourceFile(path).stage_into(store, progress=seen.append)
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.size == len(data)
    assert staged.head == data[:HEAD_BYTES]
    assert staged.path.read_bytes() == data
    assert sum(seen) == len(data)
    store.discard(staged)


def test_without_kernel_copy_it_reads(
    store: BlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, data = _big(tmp_path, 2 * CHUNK + 7)

    def refuse(*_args: object) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    staged = SourceFile(path).stage_into(store)
    assert staged.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.path.read_bytes() == data
    assert len(list(store.iter_pending())) == 1  # no copy left behind by the refused attempt
    store.discard(staged)


def test_a_source_that_grows_while_copied_is_refused(
    store: BlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = _big(tmp_path, 2 * CHUNK)
    real = os.copy_file_range

    def copy_then_grow(src: int, dst: int, count: int, a: int, b: int) -> int:
        n = real(src, dst, count, a, b)
        with open(path, "ab") as f:
            f.write(b"more")
        return n

    monkeypatch.setattr(os, "copy_file_range", copy_then_grow)
    with pytest.raises(SourceChangedError, match="size changed while reading"):
        SourceFile(path).stage_into(store)
    assert list(store.iter_pending()) == []

"""Tests for the write-once blob store (chain_of_custody.store, DESIGN.md §3)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_of_custody.store import CHUNK, BlobStore, StagedBlob


class SourceFailed(Exception):
    """Raised by a test source part-way."""


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    s = BlobStore(tmp_path / "store")
    s.create_layout()
    return s


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def put(store: BlobStore, data: bytes, chunk: int = CHUNK) -> StagedBlob:
    staged = store.stage(data[i : i + chunk] for i in range(0, len(data), chunk))
    store.finalise([staged])
    return staged


def test_create_layout_is_idempotent(tmp_path: Path) -> None:
    s = BlobStore(tmp_path / "store")
    s.create_layout()
    s.create_layout()
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["pending", "sha256"]


@pytest.mark.parametrize(
    ("data", "chunk"),
    [
        (b"", CHUNK),
        (b"hello evidence\n", CHUNK),
        (os.urandom(3 * CHUNK + 17), CHUNK),  # several chunks: the threaded writer
        (os.urandom(100_000), 7_000),
    ],
)
def test_stage_and_finalise_make_a_read_only_blob_named_by_sha256(
    store: BlobStore, data: bytes, chunk: int
) -> None:
    staged = store.stage(data[i : i + chunk] for i in range(0, len(data), chunk))
    digest = sha(data)
    assert (staged.sha256, staged.size) == (digest, len(data))
    assert staged.head == data[: 1 << 16]
    # Staged: in pending/, named by its hash, not yet in the store proper.
    assert staged.path.parent == store.pending
    assert staged.path.name.startswith(digest + ".")
    assert staged.path.read_bytes() == data
    assert not store.has(digest)

    store.finalise([staged])
    final = store.root / "sha256" / digest[:2] / digest[2:4] / digest
    assert store.blob_path(digest) == final
    assert final.read_bytes() == data
    assert stat.S_IMODE(final.stat().st_mode) == 0o444
    assert final.stat().st_nlink == 1  # the pending link is gone
    assert list(store.pending.iterdir()) == []
    assert list(store.iter_blob_hashes()) == [digest]
    assert store.has(digest)
    with store.open_blob(digest) as f:
        assert f.read() == data


def test_same_bytes_twice_make_one_blob(store: BlobStore) -> None:
    data = b"the same bytes, acquired twice\n" * 1000
    first = put(store, data)
    mtime = store.blob_path(first.sha256).stat().st_mtime_ns
    second = put(store, data, chunk=333)
    assert first.sha256 == second.sha256 == sha(data)
    assert files_under(store.root) == [store.blob_path(sha(data))]
    assert list(store.iter_blob_hashes()) == [sha(data)]
    # The stored blob is not rewritten.
    assert store.blob_path(sha(data)).stat().st_mtime_ns == mtime
    assert stat.S_IMODE(store.blob_path(sha(data)).stat().st_mode) == 0o444


def test_two_staged_copies_of_the_same_bytes_finalised_together(store: BlobStore) -> None:
    a = store.stage([b"twin"])
    b = store.stage([b"tw", b"in"])
    assert a.path != b.path and a.sha256 == b.sha256
    store.finalise([a, b])
    assert files_under(store.root) == [store.blob_path(sha(b"twin"))]


def test_different_bytes_make_different_blobs(store: BlobStore) -> None:
    blobs = [put(store, bytes([i]) * 10) for i in range(3)]
    assert sorted(store.iter_blob_hashes()) == sorted(b.sha256 for b in blobs)
    assert len(files_under(store.blobs)) == 3


@pytest.mark.parametrize("fail_after", [0, 1, 3])
def test_stage_of_a_failing_source_leaves_nothing_and_propagates(
    store: BlobStore, fail_after: int
) -> None:
    def source() -> Iterator[bytes]:
        for _ in range(fail_after):
            yield os.urandom(CHUNK)
        raise SourceFailed(f"source gave out after {fail_after} chunks")

    fds = open_fds()
    with pytest.raises(SourceFailed, match=rf"^source gave out after {fail_after} chunks$"):
        store.stage(source())
    assert list(store.pending.iterdir()) == []
    assert files_under(store.root) == []
    assert open_fds() == fds  # the pending file's descriptor (and its lock) is released


def test_discard_removes_the_staged_copy(store: BlobStore) -> None:
    staged = store.stage([b"never recorded"])
    assert staged.path.exists()
    store.discard(staged)
    assert list(store.pending.iterdir()) == []
    assert list(store.iter_blob_hashes()) == []


def test_stage_reports_progress_per_chunk(store: BlobStore) -> None:
    seen: list[int] = []
    store.stage([b"abc", b"", b"defg"], progress=seen.append)
    assert seen == [3, 4]


# --- recover ------------------------------------------------------------------------------


def pending_copy(store: BlobStore, data: bytes, *, name: str | None = None) -> Path:
    """A pending file as a killed writer leaves it (no lock held)."""
    path = store.pending / (name or f"{sha(data)}.{uuid.uuid4().hex}")
    path.write_bytes(data)
    return path


def test_recover_finalises_recorded_removes_unrecorded_and_parts(store: BlobStore) -> None:
    recorded = b"recorded in the database before the crash"
    unrecorded = b"staged, never recorded"
    recorded_path = pending_copy(store, recorded)
    unrecorded_path = pending_copy(store, unrecorded)
    part = pending_copy(store, b"half a cop", name=f"{uuid.uuid4().hex}.part")
    # A .part file is never finalised, even if its name began with a recorded hash.
    part_named = pending_copy(store, recorded, name=f"{sha(recorded)}.part")
    # Left by a writer killed long ago: young .part files are left alone (next test).
    for old in (part, part_named):
        os.utime(old, (time.time() - 3600, time.time() - 3600))

    asked: list[str] = []

    def is_recorded(h: str) -> bool:
        asked.append(h)
        return h == sha(recorded)

    report = store.recover(is_recorded)

    assert report.finalised == (sha(recorded),)
    assert report.discarded == 3
    assert list(store.pending.iterdir()) == []
    assert not any(p.exists() for p in (recorded_path, unrecorded_path, part, part_named))
    final = store.blob_path(sha(recorded))
    assert final.read_bytes() == recorded
    assert stat.S_IMODE(final.stat().st_mode) == 0o444
    assert list(store.iter_blob_hashes()) == [sha(recorded)]
    assert sha(unrecorded) in asked


def test_recover_leaves_a_young_part_file(store: BlobStore) -> None:
    # A writer may be between creating its .part file and locking it (fallback mode).
    young = pending_copy(store, b"being written", name=f"{uuid.uuid4().hex}.part")
    assert store.recover(lambda _h: False).discarded == 0
    assert young.exists()


def test_staging_uses_an_unnamed_file_until_it_is_locked(store: BlobStore) -> None:
    # With O_TMPFILE nothing in pending/ can be seen before the writer holds its lock.
    seen: list[list[str]] = []

    def chunks() -> Iterator[bytes]:
        seen.append(sorted(p.name for p in store.pending.iterdir()))
        yield b"evidence"

    staged = store.stage(chunks())
    assert seen == [[]]
    assert staged.path.name.startswith(sha(b"evidence") + ".")
    store.finalise([staged])
    assert store.blob_path(sha(b"evidence")).read_bytes() == b"evidence"


def test_recover_leaves_a_pending_file_held_by_a_live_writer(store: BlobStore) -> None:
    held = pending_copy(store, b"a live writer is still on this one")
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        report = store.recover(lambda _h: True)
        assert (report.finalised, report.discarded) == ((), 0)
        assert held.read_bytes() == b"a live writer is still on this one"
        assert list(store.iter_blob_hashes()) == []
    finally:
        os.close(fd)
    # Once the writer is gone, the next recovery deals with it.
    report = store.recover(lambda _h: False)
    assert (report.finalised, report.discarded) == ((), 1)
    assert not held.exists()


def test_recover_leaves_a_copy_still_staged_in_this_process(store: BlobStore) -> None:
    staged = store.stage([b"staged, its writer still holds the lock"])
    report = store.recover(lambda _h: False)
    assert (report.finalised, report.discarded) == ((), 0)
    assert staged.path.exists()
    store.finalise([staged])
    assert store.has(staged.sha256)


def test_recover_of_a_recorded_blob_already_in_the_store_drops_the_copy(store: BlobStore) -> None:
    data = b"stored, and a second copy was pending when the writer died"
    put(store, data)
    pending_copy(store, data)
    report = store.recover(lambda h: h == sha(data))
    assert report.finalised == (sha(data),)
    assert list(store.pending.iterdir()) == []
    assert files_under(store.root) == [store.blob_path(sha(data))]


def test_recover_sets_aside_a_pending_copy_that_does_not_match_its_name(
    store: BlobStore,
) -> None:
    """Never placed under the claimed name; moved aside with a warning, so the case still
    opens (issue 12: a garbage file in store/pending must not lock the examiner out)."""
    claimed = sha(b"what the name claims")
    pending_copy(store, b"something else entirely", name=f"{claimed}.{uuid.uuid4().hex}")
    report = store.recover(lambda _h: True)
    assert not store.has(claimed)
    assert list(store.pending.iterdir()) == []
    (warning,) = report.set_aside
    assert f"does not match its hash {claimed}" in warning
    (aside,) = (store.root / "set-aside").iterdir()
    assert aside.read_bytes() == b"something else entirely"


def test_recover_with_nothing_pending(store: BlobStore) -> None:
    report = store.recover(lambda _h: pytest.fail("nothing to ask about"))
    assert (report.finalised, report.discarded) == ((), 0)

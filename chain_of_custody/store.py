"""The write-once evidence store: exact bytes addressed by SHA-256 (DESIGN.md §3).

A blob is written in three steps so that a crash at any moment leaves nothing half-recorded:

1. ``stage``: the bytes are copied to ``pending/<uuid>.part`` while hashed (one read of
   the source), fsynced, and renamed to ``pending/<sha256>.<uuid>``. The writer holds an
   exclusive ``flock`` on the file until it is finished with it.
2. The caller commits the ledger entry and the item row in one database transaction.
3. ``finalise``: the pending file is hard-linked to ``sha256/ab/cd/<hex>`` (or dropped if
   that blob already exists), made read-only and unlinked.

``recover`` (run when a case is opened for writing) finishes step 3 for pending blobs the
database knows, and removes pending copies that were never recorded: those are the
workstation's own scratch copies, not evidence, and the original source is untouched.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import itertools
import os
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import BinaryIO

from chain_of_custody.errors import StoreError

CHUNK = 1 << 20  # 1 MiB: large enough for hashing speed, small enough for flat memory
HEAD_BYTES = 1 << 16
PART_GRACE_S = 120  # a .part file younger than this may belong to a writer not yet locked
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)  # what libmagic is shown of each blob
_SYNC_EVERY = 64 << 20  # start write-back early so the final fsync is short

ProgressFn = Callable[[int], None]


@dataclass
class StagedBlob:
    """A blob copied into ``pending/``, hashed and durable, not yet in the store proper."""

    sha256: str
    size: int
    head: bytes
    path: Path
    _fd: int = field(repr=False)

    def release(self) -> None:
        """Drop the writer's lock (closing the descriptor)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(frozen=True)
class RecoveryReport:
    """What ``recover`` did with pending copies left by an interrupted writer."""

    finalised: tuple[str, ...]
    discarded: int
    set_aside: tuple[str, ...] = ()  # one warning per file moved to store/set-aside/


class _Writer:
    """Writes chunks on a second thread so hashing and writing overlap.

    hashlib and os.write both release the GIL on large buffers, so on two cores the copy
    costs little more than the hash alone.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._queue: Queue[bytes | None] = Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="blob-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        written_since_sync = 0
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            if self._error is not None:
                continue
            try:
                view = memoryview(chunk)
                while view:
                    n = os.write(self._fd, view)
                    view = view[n:]
                written_since_sync += len(chunk)
                if written_since_sync >= _SYNC_EVERY:
                    os.fdatasync(self._fd)
                    written_since_sync = 0
            except BaseException as exc:  # reported to the reading thread in close()
                self._error = exc

    def put(self, chunk: bytes) -> None:
        if self._error is not None:
            raise StoreError(f"cannot write to the store: {self._error}")
        self._queue.put(chunk)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise StoreError(f"cannot write to the store: {self._error}")


class _DirectWriter:
    """Writes on the calling thread: for blobs of one chunk a thread costs more than it saves."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def put(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    def close(self) -> None:
        return None


class BlobStore:
    """Content-addressed, write-once blobs under ``<case>/store``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pending = root / "pending"
        self.blobs = root / "sha256"
        self._dirs: set[Path] = set()
        # Unique scratch names without a random source per file: this process, this store.
        self._scratch_prefix = f"{uuid.uuid4().hex[:12]}-{os.getpid()}-"
        self._scratch_numbers = itertools.count()

    def sync(self) -> None:
        """Make every staged copy durable (after ``stage(..., durable=False)``)."""
        _sync_filesystem(self.root)

    def create_layout(self) -> None:
        """Make the store's folders (idempotent)."""
        self.pending.mkdir(parents=True, exist_ok=True)
        self.blobs.mkdir(parents=True, exist_ok=True)

    def blob_path(self, sha256: str) -> Path:
        """Where the blob with this SHA-256 lives."""
        return self.blobs / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        """True if the blob is in the store proper."""
        return self.blob_path(sha256).exists()

    def open_blob(self, sha256: str) -> BinaryIO:
        """Open a stored blob read-only."""
        return open(self.blob_path(sha256), "rb")

    def stage(
        self,
        chunks: Iterable[bytes],
        progress: ProgressFn | None = None,
        durable: bool = True,
    ) -> StagedBlob:
        """Copy chunks into ``pending/`` while hashing them; fsync; name the file by its hash.

        With ``durable=False`` the fsync is left to the caller, who must call ``sync()``
        before recording the blob: one file-system sync for a batch of small files costs a
        fraction of an fsync each. The iterable may raise (a source that changed, a zip
        member over a limit): the partial copy is removed and the exception propagates.
        """
        fd, part = self._scratch_file()
        digest = hashlib.sha256()
        size = 0
        head = b""
        writer: _Writer | _DirectWriter = _DirectWriter(fd)
        try:
            try:
                for index, chunk in enumerate(chunks):
                    if not chunk:
                        continue
                    if index == 1:
                        # A second chunk: the blob is large, so overlap writing with hashing.
                        writer = _Writer(fd)
                    digest.update(chunk)
                    writer.put(chunk)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    size += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
            finally:
                writer.close()
            if durable:
                os.fsync(fd)
            hexdigest = digest.hexdigest()
            named = (
                self.pending / f"{hexdigest}.{self._scratch_prefix}{next(self._scratch_numbers)}"
            )
            if part is None:
                # The unnamed file gets its first name already locked by this writer.
                _link_open_file(fd, named)
            else:
                os.rename(part, named)
        except BaseException:
            if part is not None:
                part.unlink(missing_ok=True)
            os.close(fd)
            raise
        return StagedBlob(sha256=hexdigest, size=size, head=head, path=named, _fd=fd)

    def stage_copy(
        self, src_fd: int, size: int, progress: ProgressFn | None = None, durable: bool = True
    ) -> StagedBlob | None:
        """Copy ``size`` bytes of an open regular file into ``pending/`` in the kernel
        (copy_file_range) and hash the copy as it lands; None where the kernel cannot copy
        (nothing written then: the caller reads and ``stage``s instead).

        The hash is of the stored bytes themselves, read back from the page cache while the
        next piece is copied, so a 1 GiB file costs about what hashing it costs: the bytes
        never pass through Python on their way to the store, and write-back of each piece
        is started at once (sync_file_range) so the final fsync is short. The caller checks
        that the source did not change meanwhile (``SourceFile``).
        """
        fd, part = self._scratch_file()
        hasher = _CopyHasher(fd, progress)
        copied = 0
        try:
            try:
                while copied < size:
                    try:
                        n = os.copy_file_range(
                            src_fd, fd, min(_COPY_PIECE, size - copied), copied, copied
                        )
                    except OSError as exc:
                        if copied == 0 and exc.errno in _NO_KERNEL_COPY:
                            raise _NoKernelCopy from exc
                        raise
                    if n == 0:
                        break  # the source shrank: the caller's change check reports it
                    _start_writeback(fd, copied, n)
                    hasher.put(copied, n)
                    copied += n
            finally:
                hasher.close()
            if durable:
                os.fsync(fd)
            return self._named(fd, part, hasher.digest.hexdigest(), copied, hasher.head)
        except _NoKernelCopy:
            if part is not None:
                part.unlink(missing_ok=True)
            os.close(fd)
            return None
        except BaseException:
            if part is not None:
                part.unlink(missing_ok=True)
            os.close(fd)
            raise

    def _named(
        self, fd: int, part: Path | None, hexdigest: str, size: int, head: bytes
    ) -> StagedBlob:
        """Give a staged scratch file its pending name (its hash and a unique suffix)."""
        named = self.pending / f"{hexdigest}.{self._scratch_prefix}{next(self._scratch_numbers)}"
        if part is None:
            _link_open_file(fd, named)  # the unnamed file's first name, already locked
        else:
            os.rename(part, named)
        return StagedBlob(sha256=hexdigest, size=size, head=head, path=named, _fd=fd)

    def _scratch_file(self) -> tuple[int, Path | None]:
        """A locked scratch file in ``pending/``: unnamed (O_TMPFILE) where the system allows.

        An unnamed file cannot be seen by another process's recovery before this writer has
        locked it, and it vanishes by itself if the writer is killed. Elsewhere a ``.part``
        name is used, and recovery leaves young ``.part`` files alone (see ``recover``).
        """
        if _O_TMPFILE:
            try:
                # Read-write: stage_copy hashes the copy back from it.
                fd = os.open(self.pending, os.O_RDWR | _O_TMPFILE | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                    raise
            else:
                fcntl.flock(fd, fcntl.LOCK_EX)
                return fd, None
        part = self.pending / f"{self._scratch_prefix}{next(self._scratch_numbers)}.part"
        fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd, part

    def discard(self, staged: StagedBlob) -> None:
        """Remove a staged copy that will not be recorded."""
        staged.path.unlink(missing_ok=True)
        staged.release()

    def finalise(self, staged: Iterable[StagedBlob]) -> None:
        """Move recorded blobs into the store proper (after their database commit).

        Links first, then one file-system sync, then the pending names go: whatever moment
        a crash picks, each blob has a durable name (final or pending) that recovery finds.
        One sync per batch instead of an fsync per blob directory.
        """
        blobs = list(staged)
        for blob in blobs:
            self._link(blob.path, blob.sha256)
        if blobs:
            _sync_filesystem(self.root)
        for blob in blobs:
            blob.path.unlink(missing_ok=True)
            blob.release()

    def _link(self, pending: Path, sha256: str) -> None:
        final = self.blob_path(sha256)
        if final.parent not in self._dirs:  # one mkdir per folder per process, not per blob
            final.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(final.parent)
        # Read-only before it gets its final name: a blob is never seen writable in the
        # store, whatever moment a crash picks.
        os.chmod(pending, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        with contextlib.suppress(FileExistsError):  # same bytes: one blob, two acquisitions
            os.link(pending, final)

    def _place(self, pending: Path, sha256: str) -> None:
        self._link(pending, sha256)
        _fsync_dir(self.blob_path(sha256).parent)
        pending.unlink(missing_ok=True)

    def iter_pending(self) -> Iterator[Path]:
        """Pending files, if any."""
        if self.pending.exists():
            yield from sorted(self.pending.iterdir())

    def recover(self, is_recorded: Callable[[str], bool]) -> RecoveryReport:
        """Finish or undo the work of writers that were killed (see module docstring).

        Anything in ``pending/`` that the workstation did not write (another kind of file, a
        name it never uses) or a recorded copy that no longer matches its hash is not
        evidence of this case's and not ours to delete: it is moved to ``set-aside/`` and
        reported, so that the case still opens.
        """
        finalised: list[str] = []
        set_aside: list[str] = []
        discarded = 0
        for path in self.iter_pending():
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                continue
            name = path.name.split(".")[0]
            ours = stat.S_ISREG(mode) and (path.suffix == ".part" or _is_sha256_hex(name))
            if not ours:
                set_aside.append(self._set_aside(path, "not a file the workstation writes"))
                continue
            try:
                # O_NONBLOCK: never wait on a FIFO put in a regular file's place meanwhile.
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
            except FileNotFoundError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live writer owns it
                if not path.exists():
                    continue
                if path.suffix == ".part" and time.time() - os.fstat(fd).st_mtime < PART_GRACE_S:
                    continue  # maybe a live writer between creating and locking it
                if path.suffix != ".part" and is_recorded(name):
                    if self.rehash_file(path) != name:
                        set_aside.append(self._set_aside(path, f"does not match its hash {name}"))
                        continue
                    self._place(path, name)
                    finalised.append(name)
                else:
                    path.unlink()
                    discarded += 1
            finally:
                os.close(fd)
        return RecoveryReport(tuple(finalised), discarded, tuple(set_aside))

    def _set_aside(self, path: Path, why: str) -> str:
        """Move a file found in ``pending/`` to ``set-aside/``; the warning to report."""
        folder = self.root / "set-aside"
        folder.mkdir(exist_ok=True)
        target = folder / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}-{path.name}"
        shown = os.fsencode(path.name).decode("utf-8", "backslashreplace")
        try:
            os.rename(path, target)
        except OSError as exc:
            return f"store/pending/{shown}: {why}; could not be set aside: {exc.strerror}"
        return f"store/pending/{shown}: {why}; moved to store/set-aside/{target.name}"

    @staticmethod
    def rehash_file(path: Path) -> str:
        """SHA-256 of a file in the store."""
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()

    def iter_blob_hashes(self) -> Iterator[str]:
        """Every blob name in the store proper (for finding unrecorded blobs)."""
        if not self.blobs.exists():
            return
        for first in sorted(self.blobs.iterdir()):
            for second in sorted(first.iterdir()):
                for blob in sorted(second.iterdir()):
                    yield blob.name


_LIBC = ctypes.CDLL(None, use_errno=True)
_SYNCFS = getattr(_LIBC, "syncfs", None)
_SYNC_FILE_RANGE = getattr(_LIBC, "sync_file_range", None)
if _SYNC_FILE_RANGE is not None:
    _SYNC_FILE_RANGE.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
_SYNC_FILE_RANGE_WRITE = 2
_COPY_PIECE = 32 << 20  # copied by the kernel while the piece before is hashed
_HASH_READ = 8 << 20
#: copy_file_range refused before anything was copied: read and write instead.
_NO_KERNEL_COPY = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF, errno.EPERM}
)


class _NoKernelCopy(Exception):
    """copy_file_range is not possible here (another file system, an old kernel)."""


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a range to disk without waiting (so the final fsync has little left)."""
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(fd, offset, length, _SYNC_FILE_RANGE_WRITE)  # advisory: errors ignored


class _CopyHasher:
    """Hashes ranges of the staged copy on a second thread, in order, as they are copied."""

    def __init__(self, fd: int, progress: ProgressFn | None) -> None:
        self._fd = fd
        self._progress = progress
        self.digest = hashlib.sha256()
        self.head = b""
        self._queue: Queue[tuple[int, int] | None] = Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="blob-hasher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self._error is not None:
                continue
            offset, length = job
            try:
                while length > 0:
                    data = os.pread(self._fd, min(length, _HASH_READ), offset)
                    if not data:
                        raise StoreError(f"staged copy ends at byte {offset}")
                    self.digest.update(data)
                    if len(self.head) < HEAD_BYTES:
                        self.head += data[: HEAD_BYTES - len(self.head)]
                    offset += len(data)
                    length -= len(data)
                    if self._progress is not None:
                        self._progress(len(data))
            except BaseException as exc:  # reported to the copying thread in close()
                self._error = exc

    def put(self, offset: int, length: int) -> None:
        if self._error is not None:
            raise StoreError(f"cannot hash the staged copy: {self._error}")
        self._queue.put((offset, length))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise StoreError(f"cannot hash the staged copy: {self._error}")


_AT_FDCWD = -100
_AT_SYMLINK_FOLLOW = 0x400


def _is_sha256_hex(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _link_open_file(fd: int, name: Path) -> None:
    """Give an unnamed (O_TMPFILE) file its name: linkat through /proc, following the link.

    os.link does not follow the /proc/self/fd symlink, so libc's linkat is called directly.
    """
    source = f"/proc/self/fd/{fd}".encode()
    if _LIBC.linkat(_AT_FDCWD, source, _AT_FDCWD, os.fsencode(name), _AT_SYMLINK_FOLLOW) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(name))


def _sync_filesystem(path: Path) -> None:
    """Make everything written to the file system holding ``path`` durable (syncfs(2))."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _SYNCFS is None or _SYNCFS(fd) != 0:
            os.sync()  # no syncfs here (or it failed): the whole-system sync is still correct
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

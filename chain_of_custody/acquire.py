"""Acquiring sources: reading a file once, detecting change, recording it atomically."""

from __future__ import annotations

import errno
import os
import stat
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import magic

from chain_of_custody.canonical import format_time
from chain_of_custody.errors import AcquisitionError, SourceChangedError
from chain_of_custody.store import CHUNK, BlobStore, ProgressFn, StagedBlob

_O_NOATIME = getattr(os, "O_NOATIME", 0)
_MAGIC = threading.local()  # a libmagic handle is not shared between threads


def mime_of(head: bytes) -> str:
    """MIME type by libmagic from the first bytes of a blob."""
    if not head:
        return "application/x-empty"
    handle = getattr(_MAGIC, "handle", None)
    if handle is None:
        handle = _MAGIC.handle = magic.Magic(mime=True)
    return str(handle.from_buffer(head))


def fs_display(text: str) -> str:
    """A name from the file system as valid text: bytes that are not UTF-8 shown as ``\\xNN``.

    Python hands such bytes over as lone surrogates (surrogateescape), which no ledger,
    database or JSON output can hold. The name as found is kept by ``fs_bytes_hex``.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def fs_bytes_hex(text: str) -> str | None:
    """The raw bytes of a file-system name (hex) when they are not valid UTF-8, else None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).hex()
    return None


_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
)


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words (from ``os.lstat``)."""
    for test, words in _FILE_KINDS:
        if test(mode):
            return words
    return "not a regular file"


def special_file_refusal(path: str | os.PathLike[str]) -> str | None:
    """Why a path given for acquisition is refused when it is a FIFO, socket or device
    (checked with ``lstat``, never opened: opening a FIFO blocks), else None."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None  # missing or unreadable: reported where it is acquired
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        return None
    shown = fs_display(os.path.abspath(path))
    return f"{shown}: {file_kind(mode)}, not a file or folder; nothing acquired"


def _ns_to_rfc3339(ns: int) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    return format_time(datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000))


@dataclass(frozen=True)
class FileTimes:
    """File-system times of a source as found (UTC); the source is opened without atime."""

    modified_at: str | None
    changed_at: str | None
    accessed_at: str | None


def _open_readonly(path: Path) -> int:
    # O_NONBLOCK: a FIFO put in a file's place after it was checked must not block the open
    # (fstat then refuses it); regular files ignore the flag.
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        return os.open(path, flags | _O_NOATIME)
    except PermissionError:
        pass  # O_NOATIME needs ownership; fall back to a plain read-only open
    except OSError as exc:
        if exc.errno != errno.EPERM:
            raise
    return os.open(path, flags)


class SourceFile:
    """A regular file opened read-only, read exactly once, checked for change while read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = _open_readonly(path)
        except FileNotFoundError as exc:
            raise AcquisitionError(f"{path}: no such file") from exc
        except PermissionError as exc:
            raise AcquisitionError(f"{path}: permission denied (cannot read)") from exc
        except OSError as exc:
            raise AcquisitionError(f"{path}: cannot open: {exc.strerror}") from exc
        self.stat = os.fstat(self._fd)
        if not stat.S_ISREG(self.stat.st_mode):
            os.close(self._fd)
            kind = file_kind(self.stat.st_mode)
            raise AcquisitionError(f"{fs_display(str(path))}: {kind}, not a regular file")

    @property
    def times(self) -> FileTimes:
        st = self.stat
        return FileTimes(
            _ns_to_rfc3339(st.st_mtime_ns),
            _ns_to_rfc3339(st.st_ctime_ns),
            _ns_to_rfc3339(st.st_atime_ns),
        )

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes; raises SourceChangedError if it changes or vanishes meanwhile."""
        total = 0
        try:
            while True:
                try:
                    chunk = os.read(self._fd, CHUNK)
                except OSError as exc:
                    raise AcquisitionError(
                        f"{self.path}: read error at byte {total}: {exc.strerror}"
                    ) from exc
                if not chunk:
                    break
                total += len(chunk)
                yield chunk
            self._check_unchanged(total)
        finally:
            self.close()

    def stage_into(
        self, store: BlobStore, progress: ProgressFn | None = None, durable: bool = True
    ) -> StagedBlob:
        """Stage the file into the store: copied by the kernel and hashed as stored when it
        is larger than one chunk (``BlobStore.stage_copy``), else read and written.

        Raises:
            SourceChangedError: the file changed or vanished while copied (nothing staged).
            AcquisitionError: a read error.
        """
        if self.stat.st_size <= CHUNK:
            return store.stage(self.chunks(), progress=progress, durable=durable)
        try:
            staged = store.stage_copy(self._fd, self.stat.st_size, progress, durable)
        except OSError as exc:
            self.close()
            raise AcquisitionError(f"{self.path}: cannot copy: {exc.strerror}") from exc
        except BaseException:
            self.close()
            raise
        if staged is None:  # no kernel copy here: read, hash and write as always
            return store.stage(self.chunks(), progress=progress, durable=durable)
        try:
            self._check_unchanged(staged.size)
        except BaseException:
            store.discard(staged)
            raise
        finally:
            self.close()
        return staged

    def _check_unchanged(self, total: int) -> None:
        after = os.fstat(self._fd)
        if total != self.stat.st_size or after.st_size != self.stat.st_size:
            raise SourceChangedError(
                f"{self.path}: size changed while reading ({self.stat.st_size} bytes at open, "
                f"{total} read, {after.st_size} now); not acquired"
            )
        if after.st_mtime_ns != self.stat.st_mtime_ns:
            raise SourceChangedError(f"{self.path}: modified while reading; not acquired")
        try:
            now = os.stat(self.path)
        except FileNotFoundError as exc:
            raise SourceChangedError(f"{self.path}: vanished while reading; not acquired") from exc
        if (now.st_ino, now.st_dev) != (self.stat.st_ino, self.stat.st_dev):
            raise SourceChangedError(f"{self.path}: replaced while reading; not acquired")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(frozen=True)
class Derivation:
    """How a derived item was made from another item: its ``item.derived`` entry.

    General on purpose: a decrypted copy (issue 13), a redacted copy (issue 15). The
    original is an item of the case; ``method`` names the transformation, ``library`` and
    ``library_version`` what performed it, ``parameters`` anything needed to repeat it
    except secrets (a password is never recorded).
    """

    original_id: str
    original_sha256: str
    method: str
    library: str
    library_version: str
    parameters: tuple[tuple[str, str | int], ...] = ()


@dataclass
class Acquisition:
    """One item about to be recorded: its staged bytes and what is known of its origin."""

    staged: StagedBlob
    mime: str
    name: str
    path: str
    source: str
    reason: str
    run_id: str | None
    times: FileTimes = FileTimes(None, None, None)
    parent_id: str | None = None
    parent_sha256: str | None = None
    member: str | None = None
    member_index: int | None = None
    member_modified_local: str | None = None
    warnings: list[str] = field(default_factory=list)
    item_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: The name and path as found, in hex, when they are not valid UTF-8 (name/path escaped).
    name_bytes_hex: str | None = None
    path_bytes_hex: str | None = None
    #: A symbolic link recorded as itself: where it points (escaped like names).
    link_target: str | None = None
    #: Where the phone keeps the file (domain and relative path in a device backup).
    device_path: str | None = None
    #: Set when the item was made from another item rather than read from a source.
    derivation: Derivation | None = None

    def derived_data(self) -> dict[str, Any]:
        """The ``item.derived`` entry's data (only for an item with a derivation)."""
        d = self.derivation
        if d is None:
            raise ValueError("not a derived item")
        return {
            "item_id": self.item_id,
            "sha256": self.staged.sha256,
            "size": self.staged.size,
            "derived_from": d.original_id,
            "derived_from_sha256": d.original_sha256,
            "method": d.method,
            "library": d.library,
            "library_version": d.library_version,
            "parameters": dict(d.parameters),
        }

    def ledger_data(self, examiner: str, tool: str) -> dict[str, Any]:
        """The item.acquired entry's data; absent facts are left out, never null."""
        data: dict[str, Any] = {
            "item_id": self.item_id,
            "sha256": self.staged.sha256,
            "size": self.staged.size,
            "mime": self.mime,
            "name": self.name,
            "path": self.path,
            "acquired_by": examiner,
            "source": self.source,
            "reason": self.reason,
            "tool": tool,
            "parent_item_id": self.parent_id,
            "parent_sha256": self.parent_sha256,
            "member": self.member,
            "member_index": self.member_index,
            "member_modified_local": self.member_modified_local,
            "modified_at": self.times.modified_at,
            "changed_at": self.times.changed_at,
            "accessed_at": self.times.accessed_at,
            "run_id": self.run_id,
            "name_bytes_hex": self.name_bytes_hex,
            "path_bytes_hex": self.path_bytes_hex,
            "link_target": self.link_target,
            "device_path": self.device_path,
        }
        return {k: v for k, v in data.items() if v is not None}

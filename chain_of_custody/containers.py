"""Walking archives member by member, straight from the stored blob (DESIGN.md §3).

Nothing is extracted to disk: each member is streamed into the store like any other
source. Member names are recorded as written but never used to build a path; members
that could be dangerous elsewhere (``..``, absolute or drive paths, symlinks, devices,
duplicates) or that exceed the limits are refused with a reason, and the archive itself
stays acquired with every byte.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
ZIP_MIMES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip"})


@dataclass(frozen=True)
class ZipLimits:
    """Limits against zip bombs; measured on the bytes actually inflated, not the headers."""

    max_total_bytes: int = 64 << 30
    max_ratio: int = 200
    ratio_floor_bytes: int = 1 << 20  # small members may compress well without suspicion
    max_members: int = 500_000
    max_depth: int = 3


class MemberRefused(Exception):
    """A member that is not acquired as a child item; ``str()`` is the reason."""


@dataclass(frozen=True)
class ZipMember:
    """A member as the archive describes it."""

    index: int
    name: str
    declared_size: int
    compressed_size: int
    modified_local: str  # DOS time: no zone is stored in a zip


@dataclass(frozen=True)
class Refusal:
    """A member refused before reading, with the reason."""

    index: int
    name: str
    reason: str


@dataclass(frozen=True)
class ArchiveDamaged:
    """The archive as a whole cannot be walked (truncated, not a zip after all)."""

    reason: str


def looks_like_zip(mime: str, head: bytes) -> bool:
    """Cheap check: libmagic says zip and the local-header or empty-archive signature is there."""
    return mime in ZIP_MIMES and head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def unsafe_name_reason(name: str) -> str | None:
    """Why a member name is refused, or None if it is a plain relative name."""
    if not name:
        return "empty name"
    if "\x00" in name:
        return "name contains a NUL byte"
    norm = name.replace("\\", "/")
    if norm.startswith("/"):
        return "absolute path"
    if len(norm) >= 2 and norm[1] == ":" and norm[0].isalpha():
        return "drive path"
    if any(part == ".." for part in norm.split("/")):
        return "path escapes the archive ('..')"
    return None


def _special_file_reason(info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    if info.create_system != 3 or not mode:  # only Unix-made zips carry a file type
        return None
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "special file (fifo or socket)"
    return None


class _Budget:
    """Total inflated bytes across one archive walk."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0


def _member_chunks(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits, budget: _Budget
) -> Iterator[bytes]:
    read = 0
    try:
        with zf.open(info) as stream:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                read += len(chunk)
                budget.used += len(chunk)
                if budget.used > budget.limit:
                    raise MemberRefused(
                        f"archive inflates beyond the limit of {budget.limit} bytes (zip bomb?)"
                    )
                ratio_base = max(info.compress_size, 1)
                if read > limits.ratio_floor_bytes and read > ratio_base * limits.max_ratio:
                    raise MemberRefused(f"compression ratio above {limits.max_ratio}:1 (zip bomb?)")
                yield chunk
    except zipfile.BadZipFile as exc:
        raise MemberRefused(f"damaged member: {exc}") from exc
    except (EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise MemberRefused(f"unreadable member: {exc}") from exc
    if read != info.file_size:
        raise MemberRefused(f"member gave {read} bytes but its header declares {info.file_size}")


@dataclass(frozen=True)
class ReadableMember:
    """A member ready to be streamed into the store."""

    member: ZipMember
    _zf: zipfile.ZipFile
    _info: zipfile.ZipInfo
    _limits: ZipLimits
    _budget: _Budget

    def chunks(self) -> Iterator[bytes]:
        """The member's inflated bytes; raises MemberRefused part-way if a limit is crossed."""
        return _member_chunks(self._zf, self._info, self._limits, self._budget)


def walk_zip(
    blob: BinaryIO, limits: ZipLimits
) -> Iterator[ReadableMember | Refusal | ArchiveDamaged]:
    """Yield every file member of a zip in archive order, or why it is refused.

    Folder entries are skipped silently when they hold no bytes. The caller must consume each
    ReadableMember's chunks before asking for the next event.
    """
    try:
        zf = zipfile.ZipFile(blob)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        yield ArchiveDamaged(f"archive cannot be read ({exc}); truncated or damaged")
        return
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            yield ArchiveDamaged(
                f"archive lists {len(infos)} members, above the limit of {limits.max_members}"
            )
            return
        seen: dict[str, int] = {}
        budget = _Budget(limits.max_total_bytes)
        for index, info in enumerate(infos):
            # As written: zipfile's ``filename`` is cut at a NUL byte, which would hide it.
            name = info.orig_filename
            if name.endswith("/") and not info.file_size:
                continue  # a folder entry (``is_dir()`` fails on an empty name)
            reason = unsafe_name_reason(name) or _special_file_reason(info)
            if reason is None and name.endswith("/"):
                reason = (
                    f"folder entry holding {info.file_size} bytes; "
                    "its bytes remain in the acquired archive"
                )
            if reason is None and name in seen:
                reason = (
                    f"duplicate name (also member #{seen[name]}); "
                    "its bytes remain in the acquired archive"
                )
            if reason is None and info.flag_bits & 0x1:
                reason = "encrypted member; the archive is acquired as it is"
            seen.setdefault(name, index)
            if reason is not None:
                yield Refusal(index, name, reason)
                continue
            member = ZipMember(
                index=index,
                name=name,
                declared_size=info.file_size,
                compressed_size=info.compress_size,
                modified_local="{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*info.date_time),
            )
            yield ReadableMember(member, zf, info, limits, budget)

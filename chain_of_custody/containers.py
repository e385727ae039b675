"""Walking archives member by member, straight from the stored blob (DESIGN.md §3).

Nothing is extracted to disk: each member is streamed into the store like any other
source. Member names are recorded as written but never used to build a path; members
that could be dangerous elsewhere (``..``, absolute or drive paths, symlinks, devices,
duplicates) or that exceed the limits are refused with a reason, and the archive itself
stays acquired with every byte.
"""

from __future__ import annotations

import stat
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

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

    def __init__(self, limit: int, reason: str) -> None:
        self.limit = limit
        self.used = 0
        self.reason = reason  # why, when it is crossed


def _budget(limits: ZipLimits, archive_size: int) -> _Budget:
    """The lower of ``max_total_bytes`` and ``max_ratio`` times the archive's own size.

    Members under ``ratio_floor_bytes`` escape the per-member ratio; without a limit on the
    whole, many of them (Fifield's bombs) would still fill the store. An archive may always
    inflate to ``ratio_floor_bytes``.
    """
    by_size = max(archive_size * limits.max_ratio, limits.ratio_floor_bytes)
    if by_size < limits.max_total_bytes:
        return _Budget(
            by_size,
            f"archive inflates beyond {by_size} bytes, {limits.max_ratio} times its own size "
            "(zip bomb?)",
        )
    return _Budget(
        limits.max_total_bytes,
        f"archive inflates beyond the limit of {limits.max_total_bytes} bytes (zip bomb?)",
    )


def _member_chunks(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits, budget: _Budget
) -> Iterator[bytes]:
    """Inflate one member; the budget counts the bytes of members kept, not those refused
    (their staged copies are discarded, so they never grow the store)."""
    if budget.used >= budget.limit and info.file_size:
        raise MemberRefused(budget.reason)  # spent: not one more chunk is inflated
    counted = [0]
    try:
        yield from _inflate(zf, info, limits, budget, counted)
    except MemberRefused:
        budget.used -= counted[0]
        raise


def _inflate(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: ZipLimits,
    budget: _Budget,
    counted: list[int],
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
                counted[0] = read
                ratio_base = max(info.compress_size, 1)
                if read > limits.ratio_floor_bytes and read > ratio_base * limits.max_ratio:
                    raise MemberRefused(f"compression ratio above {limits.max_ratio}:1 (zip bomb?)")
                if budget.used > budget.limit:
                    raise MemberRefused(budget.reason)
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
    archive_size = blob.seek(0, 2)
    blob.seek(0)
    bad_names: dict[int, bytes] = {}
    try:
        try:
            zf = zipfile.ZipFile(blob)
        except UnicodeDecodeError:
            # A name flagged UTF-8 that is not: read the rest, refuse that member alone.
            blob.seek(0)
            view, bad_names = _names_as_cp437(blob)
            zf = zipfile.ZipFile(cast(BinaryIO, view))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        yield ArchiveDamaged(f"archive cannot be read ({exc}); truncated or damaged")
        return
    except struct.error as exc:
        yield ArchiveDamaged(f"archive cannot be read ({exc}); truncated or damaged")
        return
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            yield ArchiveDamaged(
                f"archive lists {len(infos)} members, above the limit of {limits.max_members}"
            )
            return
        overlapping = overlapping_members(infos)
        if overlapping:
            yield ArchiveDamaged(
                f"refused: {len(overlapping)} of its {len(infos)} members overlap the bytes of "
                "another member (an overlapping-entry zip bomb); the archive is kept as "
                "acquired, no member is extracted"
            )
            return
        seen: dict[str, int] = {}
        budget = _budget(limits, archive_size)
        for index, info in enumerate(infos):
            # As written: zipfile's ``filename`` is cut at a NUL byte, which would hide it.
            name = info.orig_filename
            if index in bad_names:
                raw = bad_names[index]
                yield Refusal(
                    index,
                    raw.decode("utf-8", "backslashreplace"),
                    f"name is marked UTF-8 but is not (bytes {raw.hex()}); "
                    "its bytes remain in the acquired archive",
                )
                continue
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


def overlapping_members(infos: list[zipfile.ZipInfo]) -> list[int]:
    """Indexes of members whose local header starts inside another member's bytes.

    A well-formed zip stores members one after another. Fifield's overlapping-entry bombs
    ("A better zip bomb", 2019) point many central-directory entries at one shared
    compressed kernel, each entry small enough to pass a per-member ratio check. A member's
    extent is taken as at least its fixed 30-byte local header plus its compressed size
    (name and extra fields only lengthen it), so no well-formed archive is flagged.
    """
    order = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
    found: list[int] = []
    end = -1
    for i in order:
        info = infos[i]
        if info.header_offset < end:
            found.append(i)
        end = max(end, info.header_offset + 30 + info.compress_size)
    return sorted(found)


class _PatchedView:
    """A read-only view of a file with a few bytes replaced (for zipfile only)."""

    def __init__(self, f: BinaryIO, patches: dict[int, bytes]) -> None:
        self._f = f
        self._patches = patches

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def read(self, n: int = -1) -> bytes:
        start = self._f.tell()
        data = self._f.read(n)
        end = start + len(data)
        if not any(start < at + len(b) and at < end for at, b in self._patches.items()):
            return data
        out = bytearray(data)
        for at, b in self._patches.items():
            for k, byte in enumerate(b):
                if start <= at + k < end:
                    out[at + k - start] = byte
        return bytes(out)


def _names_as_cp437(blob: BinaryIO) -> tuple[_PatchedView, dict[int, bytes]]:
    """A view in which central-directory names flagged UTF-8 but not UTF-8 lose the flag.

    zipfile then decodes them as cp437 instead of refusing the whole archive; returns the
    view and the raw names of those members by index. Raises what zipfile would on damage.
    """
    endrec = getattr(zipfile, "_EndRecData")(blob)  # noqa: B009 (no public equivalent)
    if not endrec:
        raise zipfile.BadZipFile("File is not a zip file")
    size_cd, location = endrec[5], endrec[9]  # zipfile's _ECD_SIZE and _ECD_LOCATION
    start = location - size_cd
    if endrec[0] == b"PK\x06\x06":  # zip64: its end record and locator precede the end
        start -= 56 + 20
    blob.seek(start)
    cd = blob.read(size_cd)
    patches: dict[int, bytes] = {}
    bad: dict[int, bytes] = {}
    pos = index = 0
    while pos + 46 <= len(cd) and cd[pos : pos + 4] == b"PK\x01\x02":
        flags = struct.unpack_from("<H", cd, pos + 8)[0]
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", cd, pos + 28)
        raw = cd[pos + 46 : pos + 46 + name_len]
        if flags & 0x800:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                patches[start + pos + 8] = struct.pack("<H", flags & ~0x800)
                bad[index] = raw
        pos += 46 + name_len + extra_len + comment_len
        index += 1
    blob.seek(0)
    return _PatchedView(blob, patches), bad

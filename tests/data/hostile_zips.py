"""Hostile zip archives for the archive-walking tests (DESIGN.md §3).

SYNTHETIC TEST DATA. Nothing here comes from a real case or a real device: every archive is
built in memory, at test time, by this module. Each function returns the bytes of one zip.

How they are made:

* with the standard library's ``zipfile`` module (``ZipInfo`` objects written with
  ``writestr``, or streamed with ``ZipFile.open(..., "w")`` for the bomb so memory stays
  flat), which already lets a caller choose hostile member names, Unix file types in
  ``external_attr`` and duplicate names;
* and, where ``zipfile`` will not write what is wanted (the "encrypted" flag without
  encrypting, a wrong CRC-32, a NUL byte in a name, truncation), by patching or cutting the
  bytes afterwards. The patches go through ``_local_headers`` / ``_central_headers`` below, which parse the
  fixed-size parts of the headers (APPNOTE.TXT §4.3.7 and §4.3.12) so that the local and
  central copies of a field are always changed together.

All contents are deterministic (fixed timestamps, seeded pseudo-random bytes), so each
function returns the same bytes on every call and the hashes in test failures are stable.
"""

from __future__ import annotations

import io
import random
import stat
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

WHEN = (2021, 3, 4, 5, 6, 8)  # DOS time: two-second resolution, no zone
WHEN_TEXT = "2021-03-04T05:06:08"  # how containers.ZipMember.modified_local renders WHEN

# Good members placed around the hostile ones: each test checks these still come out intact.
GOOD_FIRST = ("good/first.txt", b"first good member\n" * 3)
GOOD_LAST = ("good/last.txt", b"last good member, after the hostile ones\n")

_LOCAL_SIG = b"PK\x03\x04"
_CENTRAL_SIG = b"PK\x01\x02"
_EOCD_SIG = b"PK\x05\x06"
_LOCAL_FIXED = struct.Struct("<4s5H3L2H")  # 30 bytes
_CENTRAL_FIXED = struct.Struct("<4s6H3L5H2L")  # 46 bytes
_EOCD_FIXED = struct.Struct("<4s4H2LH")  # 22 bytes
_LOCAL_FLAG_AT = 6
_LOCAL_CRC_AT = 14
_CENTRAL_FLAG_AT = 8
_CENTRAL_CRC_AT = 16


def pseudo_random(n: int, seed: int = 1) -> bytes:
    """``n`` incompressible but reproducible bytes."""
    return random.Random(seed).randbytes(n)


def info(
    name: str,
    *,
    compress: int = zipfile.ZIP_DEFLATED,
    unix_mode: int | None = None,
) -> zipfile.ZipInfo:
    """A ZipInfo with a fixed time; ``unix_mode`` (e.g. ``stat.S_IFLNK | 0o777``) marks it
    as made on Unix (create_system 3) with that file type and permissions."""
    zi = zipfile.ZipInfo(name, WHEN)
    zi.compress_type = compress
    if unix_mode is not None:
        zi.create_system = 3
        zi.external_attr = unix_mode << 16
    else:
        zi.create_system = 0  # MS-DOS: no Unix file type, as many Windows tools write
        zi.external_attr = 0
    return zi


def build(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    """A zip with the members in this order (duplicate names allowed, without warnings)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name: ..."
        with zipfile.ZipFile(buf, "w") as zf:
            for zi, data in members:
                zf.writestr(zi if isinstance(zi, zipfile.ZipInfo) else info(zi), data)
    return buf.getvalue()


def _with_good(*hostile: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    return build([GOOD_FIRST, *hostile, GOOD_LAST])


# --- header parsing for the byte patches --------------------------------------------------


@dataclass(frozen=True)
class Header:
    """Where one header starts in the archive, and the member name it carries."""

    offset: int
    name: bytes
    data_offset: int  # local headers: first byte of the member data; central: next header
    compressed_size: int


def _eocd(data: bytes) -> tuple[int, int, int]:
    """(number of entries, central directory size, central directory offset)."""
    at = data.rfind(_EOCD_SIG)
    if at < 0:
        raise ValueError("no end-of-central-directory record")
    _sig, _disk, _cd_disk, _n_disk, entries, cd_size, cd_offset, _clen = _EOCD_FIXED.unpack_from(
        data, at
    )
    return entries, cd_size, cd_offset


def _central_headers(data: bytes) -> Iterator[Header]:
    entries, _size, at = _eocd(data)
    for _ in range(entries):
        fields = _CENTRAL_FIXED.unpack_from(data, at)
        if fields[0] != _CENTRAL_SIG:
            raise ValueError(f"no central header at {at}")
        csize, nlen, xlen, clen = fields[8], fields[10], fields[11], fields[12]
        name_at = at + _CENTRAL_FIXED.size
        end = name_at + nlen + xlen + clen
        yield Header(at, data[name_at : name_at + nlen], end, csize)
        at = end


def _local_headers(data: bytes) -> Iterator[Header]:
    for central in _central_headers(data):
        local_offset = _CENTRAL_FIXED.unpack_from(data, central.offset)[16]
        fields = _LOCAL_FIXED.unpack_from(data, local_offset)
        if fields[0] != _LOCAL_SIG:
            raise ValueError(f"no local header at {local_offset}")
        nlen, xlen = fields[9], fields[10]
        name_at = local_offset + _LOCAL_FIXED.size
        yield Header(
            local_offset,
            data[name_at : name_at + nlen],
            name_at + nlen + xlen,
            central.compressed_size,
        )


def _patch_both(
    data: bytes, name: str, local_at: int, central_at: int, fmt: str, change: Callable[[int], int]
) -> bytes:
    """Apply ``change(old) -> new`` to one field of member ``name`` in both of its headers."""
    out = bytearray(data)
    wanted = name.encode()
    hits = 0
    for headers, field_at in (
        (_local_headers(data), local_at),
        (_central_headers(data), central_at),
    ):
        for h in headers:
            if h.name == wanted:
                (old,) = struct.unpack_from(fmt, out, h.offset + field_at)
                struct.pack_into(fmt, out, h.offset + field_at, change(old))
                hits += 1
    if hits != 2:
        raise ValueError(f"member {name!r} found {hits} times in the headers, expected 2")
    return bytes(out)


def rename(data: bytes, old: str, new: bytes) -> bytes:
    """Replace member ``old``'s name by ``new`` (same length) in its local and central headers:
    for names ``zipfile`` will not write (it cuts names at a NUL byte)."""
    if len(new) != len(old.encode()):
        raise ValueError("a renamed member keeps the length of its name")
    out = bytearray(data)
    hits = 0
    for headers, fixed in (
        (_local_headers(data), _LOCAL_FIXED),
        (_central_headers(data), _CENTRAL_FIXED),
    ):
        for h in headers:
            if h.name == old.encode():
                at = h.offset + fixed.size
                out[at : at + len(new)] = new
                hits += 1
    if hits != 2:
        raise ValueError(f"member {old!r} found {hits} times in the headers, expected 2")
    return bytes(out)


def local_data_span(data: bytes, name: str) -> tuple[int, int]:
    """(start, end) of member ``name``'s stored (compressed) bytes."""
    for h in _local_headers(data):
        if h.name == name.encode():
            return h.data_offset, h.data_offset + h.compressed_size
    raise KeyError(name)


def central_directory_offset(data: bytes) -> int:
    """Where the central directory starts."""
    return _eocd(data)[2]


# --- the hostile archives -----------------------------------------------------------------

TRAVERSAL_NAMES = {
    # name as written in the archive -> the reason containers.unsafe_name_reason gives
    "../../ews-traversal-target.txt": "path escapes the archive",
    "/etc/passwd": "absolute path",
    "C:\\ews-drive-target.txt": "drive path",
    "..\\..\\ews-backslash-target.txt": "path escapes the archive",
}
TRAVERSAL_TARGETS = (
    "ews-traversal-target.txt",
    "ews-drive-target.txt",
    "ews-backslash-target.txt",
)
EVIL_BYTES = b"root::0:0:overwritten by a hostile archive:/root:/bin/sh\n"


def traversal_zip() -> bytes:
    """``../`` traversal, absolute ``/etc/passwd``, ``C:\\`` drive and ``..\\..\\`` names,
    between two good members."""
    return _with_good(*[(info(n), EVIL_BYTES) for n in TRAVERSAL_NAMES])


SYMLINK_NAME = "link-to-passwd"
SYMLINK_TARGET = b"/etc/passwd"


def symlink_zip() -> bytes:
    """A Unix symlink member (S_IFLNK in external_attr, create_system 3) pointing at
    /etc/passwd, as ``zip --symlinks`` writes it (the target is the member's data)."""
    return _with_good((info(SYMLINK_NAME, unix_mode=stat.S_IFLNK | 0o777), SYMLINK_TARGET))


DEVICE_NAMES = {
    "dev/tty0": stat.S_IFCHR | 0o620,
    "dev/sda": stat.S_IFBLK | 0o660,
    "dev/fifo": stat.S_IFIFO | 0o644,
}


def device_zip() -> bytes:
    """A character device, a block device and a FIFO (Unix file types), with no data."""
    return _with_good(*[(info(n, unix_mode=m), b"") for n, m in DEVICE_NAMES.items()])


def plain_unix_zip() -> bytes:
    """Control case: Unix regular files and an executable (not refused)."""
    return build(
        [
            (info("bin/run.sh", unix_mode=stat.S_IFREG | 0o755), b"#!/bin/sh\necho hi\n"),
            (info("readme.txt", unix_mode=stat.S_IFREG | 0o644), b"hello\n"),
        ]
    )


DUPLICATE_NAME = "a.txt"
DUPLICATE_FIRST = b"the first a.txt: this one is acquired\n"
DUPLICATE_SECOND = b"the SECOND a.txt: different bytes, refused as a duplicate\n"


def duplicate_names_zip() -> bytes:
    """Two members named ``a.txt`` with different content."""
    return _with_good(
        (info(DUPLICATE_NAME), DUPLICATE_FIRST), (info(DUPLICATE_NAME), DUPLICATE_SECOND)
    )


BOMB_NAME = "zeros.bin"


def zip_bomb(inflated_bytes: int = 300 << 20, *, chunk: int = 1 << 20) -> bytes:
    """A member of ``inflated_bytes`` zeros, deflated (about 1000:1), between two good members.

    Streamed through ``ZipFile.open(..., "w")`` one chunk at a time: 300 MiB takes about a
    second and never more than ``chunk`` bytes of memory for the data.
    """
    buf = io.BytesIO()
    zeros = bytes(chunk)
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info(GOOD_FIRST[0]), GOOD_FIRST[1])
        with zf.open(info(BOMB_NAME), "w", force_zip64=inflated_bytes >= 0xFFFFFFFF) as w:
            left = inflated_bytes
            while left > 0:
                w.write(zeros[: min(chunk, left)])
                left -= chunk
        zf.writestr(info(GOOD_LAST[0]), GOOD_LAST[1])
    return buf.getvalue()


def many_incompressible_zip(count: int, size: int) -> bytes:
    """``count`` stored members ``part-N.bin`` of ``size`` pseudo-random bytes each (ratio 1:1):
    for the total-bytes limit, which no single member trips."""
    return build(
        [
            (info(f"part-{i}.bin", compress=zipfile.ZIP_STORED), part_bytes(i, size))
            for i in range(count)
        ]
    )


def part_bytes(i: int, size: int) -> bytes:
    """The content of member ``part-{i}.bin`` of ``many_incompressible_zip``."""
    return pseudo_random(size, seed=1000 + i)


NESTED_LEAF = ("deep.txt", b"the innermost file, below the depth limit\n")


def nested_zip(levels: int) -> bytes:
    """A zip holding a zip holding a zip ... ``levels`` archives deep (the outermost counts).

    Archive k (0 = outermost) holds ``note-k.txt`` and, except the innermost, ``level-{k+1}.zip``;
    the innermost holds ``deep.txt``.
    """
    return nested_levels(levels)[0]


def nested_levels(levels: int) -> list[bytes]:
    """Every archive of ``nested_zip(levels)``, outermost first."""
    inner = build([(info(f"note-{levels - 1}.txt"), note_bytes(levels - 1)), NESTED_LEAF])
    archives = [inner]
    for k in range(levels - 2, -1, -1):
        inner = build(
            [
                (info(f"note-{k}.txt"), note_bytes(k)),
                (info(f"level-{k + 1}.zip", compress=zipfile.ZIP_STORED), inner),
            ]
        )
        archives.append(inner)
    return archives[::-1]


def note_bytes(k: int) -> bytes:
    """Content of ``note-k.txt`` in ``nested_zip``."""
    return f"note at nesting level {k}\n".encode()


TRUNCATED_BIG = ("big.bin", pseudo_random(200_000, seed=7))


def truncation_source() -> bytes:
    """The intact archive the truncated ones are cut from: first, ``big.bin``, last."""
    return build(
        [
            GOOD_FIRST,
            (info(TRUNCATED_BIG[0], compress=zipfile.ZIP_STORED), TRUNCATED_BIG[1]),
            GOOD_LAST,
        ]
    )


def truncated_in_member_data() -> bytes:
    """Cut in the middle of ``big.bin``'s data: no later member, no central directory."""
    data = truncation_source()
    start, end = local_data_span(data, TRUNCATED_BIG[0])
    return data[: (start + end) // 2]


def truncated_before_central_directory() -> bytes:
    """Every member's local header and data intact, the central directory and its end
    record cut off."""
    data = truncation_source()
    return data[: central_directory_offset(data)]


def truncated_in_central_directory() -> bytes:
    """Cut part-way through the central directory (the end record is gone too)."""
    data = truncation_source()
    return data[: central_directory_offset(data) + 50]


ENCRYPTED_NAME = "secret.txt"
ENCRYPTED_BYTES = b"not really encrypted; only the flag says so\n"


def encrypted_member_zip() -> bytes:
    """``secret.txt`` with general-purpose flag bit 0 (encrypted) set in both its local and
    central headers. The data itself is left as it is: the flag alone must cause a refusal."""
    data = _with_good((info(ENCRYPTED_NAME, compress=zipfile.ZIP_STORED), ENCRYPTED_BYTES))
    return _patch_both(
        data, ENCRYPTED_NAME, _LOCAL_FLAG_AT, _CENTRAL_FLAG_AT, "<H", lambda f: f | 0x1
    )


BAD_CRC_NAME = "tampered.txt"
BAD_CRC_BYTES = b"these bytes do not match the CRC-32 recorded for them\n"


def bad_crc_zip(*, big: bool = False) -> bytes:
    """``tampered.txt`` whose CRC-32 (local and central) is off by one.

    With ``big`` the member spans several read chunks (3 MiB), so the mismatch is only seen
    after earlier chunks have been handed out.
    """
    content = bad_crc_content(big=big)
    data = _with_good((info(BAD_CRC_NAME), content))
    return _patch_both(
        data, BAD_CRC_NAME, _LOCAL_CRC_AT, _CENTRAL_CRC_AT, "<L", lambda c: (c + 1) & 0xFFFFFFFF
    )


def bad_crc_content(*, big: bool = False) -> bytes:
    """The member bytes of ``bad_crc_zip``."""
    return pseudo_random(3 << 20, seed=3) if big else BAD_CRC_BYTES


HIDDEN_DIR_NAME = "looks-like-a-folder/"
HIDDEN_DIR_BYTES = b"bytes hidden in a member whose name says it is a folder\n"


def directory_with_data_zip() -> bytes:
    """A real (empty) folder entry, and a "folder" entry that carries data."""
    return _with_good(
        (info("empty-folder/", compress=zipfile.ZIP_STORED), b""),
        (info(HIDDEN_DIR_NAME), HIDDEN_DIR_BYTES),
    )


NUL_NAME = "invoice.pdf\x00.exe"
NUL_NAME_AS_READ = "invoice.pdf"  # what zipfile.ZipInfo.filename keeps of it


def nul_name_zip() -> bytes:
    """A member whose name holds a NUL byte. ``zipfile`` cuts names at a NUL when writing, so
    the member is written as ``invoice.pdf_.exe`` and the ``_`` patched to a NUL."""
    placeholder = NUL_NAME.replace("\x00", "_")
    data = _with_good((info(placeholder), b"MZ pretend executable\n"))
    return rename(data, placeholder, NUL_NAME.encode())


def empty_name_zip() -> bytes:
    """A member whose name is empty (zero-length name field)."""
    return _with_good((info(""), b"a member with no name\n"))

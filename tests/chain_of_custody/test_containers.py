"""Tests for walking zips member by member (chain_of_custody.containers, DESIGN.md §3).

Every hostile archive comes from tests/data/hostile_zips.py (synthetic, built at test time).
For each one the exact outcome is checked (refused with a reason, damaged, or refused
part-way with MemberRefused) and so is every good member around it, byte for byte.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest

from chain_of_custody.acquire import mime_of
from chain_of_custody.containers import (
    ArchiveDamaged,
    MemberRefused,
    ReadableMember,
    Refusal,
    ZipLimits,
    looks_like_zip,
    unsafe_name_reason,
    walk_zip,
)
from tests.data import hostile_zips as hz

DEFAULT = ZipLimits()


@dataclass(frozen=True)
class Read:
    """A ReadableMember whose chunks were consumed: its bytes, or why it was refused."""

    index: int
    name: str
    data: bytes | None
    refused: str | None
    chunks_before_refusal: int = 0


Event = Read | Refusal | ArchiveDamaged


def walk(data: bytes, limits: ZipLimits = DEFAULT) -> list[Event]:
    """Walk an archive as the ingest does: each member fully consumed before the next."""
    out: list[Event] = []
    for ev in walk_zip(io.BytesIO(data), limits):
        if not isinstance(ev, ReadableMember):
            out.append(ev)
            continue
        got: list[bytes] = []
        try:
            for chunk in ev.chunks():
                got.append(chunk)
        except MemberRefused as exc:
            out.append(Read(ev.member.index, ev.member.name, None, str(exc), len(got)))
        else:
            out.append(Read(ev.member.index, ev.member.name, b"".join(got), None))
    return out


def good(index: int, member: tuple[str, bytes]) -> Read:
    return Read(index, member[0], member[1], None)


def assert_good_around(events: list[Event], last_index: int) -> None:
    """The good members placed before and after the hostile ones came out intact."""
    assert events[0] == good(0, hz.GOOD_FIRST)
    assert events[-1] == good(last_index, hz.GOOD_LAST)


def assert_refusal(ev: Event, index: int, name: str, pattern: str) -> None:
    assert isinstance(ev, Refusal), ev
    assert (ev.index, ev.name) == (index, name)
    assert re.search(pattern, ev.reason), ev.reason


# --- names ----------------------------------------------------------------------------------


def test_traversal_absolute_and_drive_names_are_refused_good_members_kept() -> None:
    events = walk(hz.traversal_zip())
    assert len(events) == 2 + len(hz.TRAVERSAL_NAMES)
    assert_good_around(events, last_index=len(hz.TRAVERSAL_NAMES) + 1)
    for i, (name, reason) in enumerate(hz.TRAVERSAL_NAMES.items(), start=1):
        # Recorded exactly as written (backslashes kept), never normalised.
        assert_refusal(events[i], i, name, "^" + re.escape(reason))


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../x", r"escapes the archive"),
        ("a/../../x", r"escapes the archive"),
        ("a/..", r"escapes the archive"),
        ("..\\..\\x", r"escapes the archive"),
        ("a\\..\\..\\x", r"escapes the archive"),
        ("/etc/passwd", r"^absolute path$"),
        ("\\\\server\\share\\x", r"^absolute path$"),
        ("\\x.txt", r"^absolute path$"),
        ("C:\\x.txt", r"^drive path$"),
        ("c:x.txt", r"^drive path$"),
        ("Z:/x", r"^drive path$"),
        ("a\x00.exe", r"NUL"),
        ("", r"^empty name$"),
    ],
)
def test_unsafe_name_reason_refuses(name: str, reason: str) -> None:
    got = unsafe_name_reason(name)
    assert got is not None and re.search(reason, got), got


@pytest.mark.parametrize(
    "name", ["a.txt", "dir/sub/a.txt", "..a", "a..", "a/..b/c", "...", "./a.txt", "1:2.txt"]
)
def test_unsafe_name_reason_accepts_plain_relative_names(name: str) -> None:
    assert unsafe_name_reason(name) is None


def test_name_with_nul_byte_is_refused_as_written() -> None:
    # zipfile's ZipInfo.filename stops at the NUL ("invoice.pdf"); the walk must not.
    data = hz.nul_name_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.infolist()[1].filename == hz.NUL_NAME_AS_READ
    events = walk(data)
    assert len(events) == 3
    assert_good_around(events, last_index=2)
    assert_refusal(events[1], 1, hz.NUL_NAME, r"^name contains a NUL byte$")


def test_member_with_empty_name_is_refused_not_a_crash() -> None:
    events = walk(hz.empty_name_zip())
    assert len(events) == 3
    assert_good_around(events, last_index=2)
    assert_refusal(events[1], 1, "", r"^empty name$")


def test_folder_entries_are_skipped_but_a_folder_holding_bytes_is_refused() -> None:
    events = walk(hz.directory_with_data_zip())
    # Member 1 is an honest empty folder: skipped silently, nothing to acquire.
    assert len(events) == 3
    assert_good_around(events, last_index=3)
    assert_refusal(
        events[1],
        2,
        hz.HIDDEN_DIR_NAME,
        rf"^folder entry holding {len(hz.HIDDEN_DIR_BYTES)} bytes; its bytes remain",
    )


# --- file types -----------------------------------------------------------------------------


def test_symlink_member_is_refused() -> None:
    events = walk(hz.symlink_zip())
    assert len(events) == 3
    assert_good_around(events, last_index=2)
    assert_refusal(events[1], 1, hz.SYMLINK_NAME, r"^symbolic link$")


def test_device_and_fifo_members_are_refused() -> None:
    events = walk(hz.device_zip())
    assert len(events) == 5
    assert_good_around(events, last_index=4)
    assert_refusal(events[1], 1, "dev/tty0", r"^device file$")
    assert_refusal(events[2], 2, "dev/sda", r"^device file$")
    assert_refusal(events[3], 3, "dev/fifo", r"^special file \(fifo or socket\)$")


def test_unix_regular_files_and_executables_are_not_refused() -> None:
    assert walk(hz.plain_unix_zip()) == [
        Read(0, "bin/run.sh", b"#!/bin/sh\necho hi\n", None),
        Read(1, "readme.txt", b"hello\n", None),
    ]


def test_duplicate_name_second_member_refused_first_kept_with_its_own_bytes() -> None:
    events = walk(hz.duplicate_names_zip())
    assert len(events) == 4
    assert_good_around(events, last_index=3)
    assert events[1] == Read(1, hz.DUPLICATE_NAME, hz.DUPLICATE_FIRST, None)
    assert_refusal(
        events[2], 2, hz.DUPLICATE_NAME, r"^duplicate name \(also member #1\); its bytes remain"
    )


# --- bombs ----------------------------------------------------------------------------------


@cache
def bomb_300mb() -> bytes:
    return hz.zip_bomb(300 << 20)


def test_zip_bomb_300mb_is_refused_part_way_by_ratio_and_later_members_still_read() -> None:
    data = bomb_300mb()
    assert len(data) < 1 << 20  # 300 MiB of zeros in well under 1 MiB: about 1000:1
    events = walk(data)
    assert len(events) == 3
    assert_good_around(events, last_index=2)
    bomb = events[1]
    assert isinstance(bomb, Read) and (bomb.index, bomb.name) == (1, hz.BOMB_NAME)
    assert bomb.data is None
    assert bomb.refused == "compression ratio above 200:1 (zip bomb?)"
    # Refused part-way: some chunks were handed out first, nowhere near the whole 300 MiB.
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        compressed = zf.getinfo(hz.BOMB_NAME).compress_size
    limit_chunks = compressed * DEFAULT.max_ratio // (1 << 20) + 1
    assert 1 <= bomb.chunks_before_refusal <= limit_chunks < 300


def test_small_bomb_with_lowered_limits_is_refused_by_ratio() -> None:
    data = hz.zip_bomb(8 << 20)
    limits = ZipLimits(max_ratio=50, ratio_floor_bytes=64 << 10)
    events = walk(data, limits)
    assert_good_around(events, last_index=2)
    bomb = events[1]
    assert isinstance(bomb, Read) and bomb.data is None
    assert bomb.refused == "compression ratio above 50:1 (zip bomb?)"
    # The same archive with the ratio allowed passes whole: the limit, not damage, refused it.
    relaxed = walk(data, ZipLimits(max_ratio=10_000))
    assert relaxed[1] == Read(1, hz.BOMB_NAME, bytes(8 << 20), None)


def test_small_members_below_the_ratio_floor_are_not_refused() -> None:
    # 512 KiB of zeros deflates about 1000:1, but stays under the 1 MiB floor.
    events = walk(hz.zip_bomb(512 << 10))
    assert events[1] == Read(1, hz.BOMB_NAME, bytes(512 << 10), None)


def test_total_inflated_bytes_limit_refuses_the_member_that_crosses_it() -> None:
    size = 1 << 20
    data = hz.many_incompressible_zip(4, size)
    limits = ZipLimits(max_total_bytes=size * 5 // 2)
    events = walk(data, limits)
    assert events[:2] == [
        Read(0, "part-0.bin", hz.part_bytes(0, size), None),
        Read(1, "part-1.bin", hz.part_bytes(1, size), None),
    ]
    for i in (2, 3):
        ev = events[i]
        assert isinstance(ev, Read) and (ev.index, ev.data) == (i, None)
        assert (
            ev.refused == f"archive inflates beyond the limit of {size * 5 // 2} bytes (zip bomb?)"
        )
    # Under a budget that fits, the same archive is read in full.
    assert all(isinstance(e, Read) and e.data for e in walk(data))


def test_too_many_members_is_damage_not_a_walk() -> None:
    data = hz.many_incompressible_zip(5, 10)
    assert walk(data, ZipLimits(max_members=4)) == [
        ArchiveDamaged("archive lists 5 members, above the limit of 4")
    ]
    assert len(walk(data, ZipLimits(max_members=5))) == 5


# --- nesting --------------------------------------------------------------------------------


def test_nested_zip_member_comes_out_as_the_exact_inner_archive() -> None:
    # walk_zip walks one level; the ingest decides to descend (and enforces max_depth).
    levels = hz.nested_levels(5)
    assert len(levels) == 5
    for k in range(4):
        events = walk(levels[k])
        assert events == [
            Read(0, f"note-{k}.txt", hz.note_bytes(k), None),
            Read(1, f"level-{k + 1}.zip", levels[k + 1], None),
        ]
        inner = events[1]
        assert isinstance(inner, Read) and inner.data is not None
        assert looks_like_zip(mime_of(inner.data[:65536]), inner.data[:65536])
    assert walk(levels[4]) == [
        Read(0, "note-4.txt", hz.note_bytes(4), None),
        Read(1, hz.NESTED_LEAF[0], hz.NESTED_LEAF[1], None),
    ]


# --- damage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        hz.truncated_in_member_data,
        hz.truncated_before_central_directory,
        hz.truncated_in_central_directory,
    ],
)
def test_truncated_archive_is_damaged_and_nothing_else_is_yielded(
    make: Callable[[], bytes],
) -> None:
    data = make()
    assert data[:4] == b"PK\x03\x04"  # still looks like a zip from its head
    events = walk(data)
    assert len(events) == 1
    assert isinstance(events[0], ArchiveDamaged)
    assert re.fullmatch(r"archive cannot be read \(.+\); truncated or damaged", events[0].reason)


def test_not_a_zip_at_all_is_damaged() -> None:
    events = walk(b"PK\x03\x04 but then nothing of a zip")
    assert len(events) == 1 and isinstance(events[0], ArchiveDamaged)


def test_truncation_cuts_where_documented() -> None:
    # The generator's cuts, checked against the intact archive they come from.
    whole = hz.truncation_source()
    start, end = hz.local_data_span(whole, hz.TRUNCATED_BIG[0])
    assert whole[start:end] == hz.TRUNCATED_BIG[1]
    assert len(hz.truncated_in_member_data()) == (start + end) // 2
    cd = hz.central_directory_offset(whole)
    assert whole[cd : cd + 4] == b"PK\x01\x02"
    assert hz.truncated_before_central_directory() == whole[:cd]


def test_encrypted_member_is_refused_before_reading() -> None:
    data = hz.encrypted_member_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.getinfo(hz.ENCRYPTED_NAME).flag_bits & 0x1
    events = walk(data)
    assert len(events) == 3
    assert_good_around(events, last_index=2)
    assert_refusal(events[1], 1, hz.ENCRYPTED_NAME, r"^encrypted member; the archive is acquired")


@pytest.mark.parametrize("big", [False, True])
def test_member_with_wrong_crc_is_refused_part_way_as_damaged(big: bool) -> None:
    events = walk(hz.bad_crc_zip(big=big))
    assert len(events) == 3
    assert_good_around(events, last_index=2)
    bad = events[1]
    assert isinstance(bad, Read) and (bad.index, bad.name, bad.data) == (1, hz.BAD_CRC_NAME, None)
    assert bad.refused == f"damaged member: Bad CRC-32 for file {hz.BAD_CRC_NAME!r}"
    if big:
        # 3 MiB in 1 MiB chunks: the mismatch shows only at the end, after chunks went out.
        assert bad.chunks_before_refusal >= 2


def test_member_modified_time_and_sizes_are_reported_as_the_archive_states() -> None:
    data = hz.zip_bomb(512 << 10)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        compressed = zf.getinfo(hz.BOMB_NAME).compress_size
    members = [
        ev.member for ev in walk_zip(io.BytesIO(data), DEFAULT) if isinstance(ev, ReadableMember)
    ]
    assert [m.name for m in members] == [hz.GOOD_FIRST[0], hz.BOMB_NAME, hz.GOOD_LAST[0]]
    bomb = members[1]
    assert (bomb.index, bomb.declared_size, bomb.compressed_size) == (1, 512 << 10, compressed)
    assert bomb.modified_local == hz.WHEN_TEXT


@pytest.mark.parametrize(
    ("mime", "head", "expected"),
    [
        ("application/zip", b"PK\x03\x04rest", True),
        ("application/zip", b"PK\x05\x06" + bytes(18), True),
        ("application/x-zip-compressed", b"PK\x03\x04", True),
        ("application/zip", b"MZ\x90\x00", False),  # self-extracting exe: not walked
        ("application/octet-stream", b"PK\x03\x04", False),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK\x03\x04",
            False,
        ),
    ],
)
def test_looks_like_zip(mime: str, head: bytes, expected: bool) -> None:
    assert looks_like_zip(mime, head) is expected

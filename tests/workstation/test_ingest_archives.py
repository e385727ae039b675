"""End-to-end ingest of hostile archives and folders (workstation.ingest, DESIGN.md §3).

Runs on both database backends (the ``case`` fixture). The archives come from
tests/data/hostile_zips.py (synthetic, built at test time). For each run: the archive itself
is acquired byte for byte, good members become child items, bad ones are refused with an
``item.warning`` entry, nothing is written outside the case folder, nothing is left pending
and the whole case verifies.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain_of_custody.case import Case
from chain_of_custody.containers import ZipLimits
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import Entry
from chain_of_custody.verify import verify_case
from tests.data import hostile_zips as hz
from workstation.ingest import IngestOptions, ingest_paths
from workstation.queries import iter_items

LIMITS = ZipLimits(max_ratio=50, ratio_floor_bytes=64 << 10, max_depth=3)
BOMB_SIZE = 8 << 20  # deflates about 1000:1, so refused at 50:1 long before the end
OPTIONS = IngestOptions(source="Exhibit JS/1: USB stick", reason="test ingest", limits=LIMITS)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Expected:
    """One archive on disk and what the ingest must make of it."""

    file: str
    data: bytes
    good: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    refused: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (name, regex)
    damaged: str | None = None  # regex of the warning on the archive item
    nested: dict[str, Expected] = field(default_factory=dict)  # member name -> walked archive
    not_walked: set[str] = field(default_factory=set)  # nested archives over the depth limit


def _around(
    hostile: dict[int, tuple[str, str]], good: dict[int, tuple[str, bytes]] | None = None
) -> tuple[dict[int, tuple[str, bytes]], dict[int, tuple[str, str]]]:
    last = len(hostile) + len(good or {}) + 1
    return {0: hz.GOOD_FIRST, **(good or {}), last: hz.GOOD_LAST}, hostile


def hostile_set() -> list[Expected]:
    """The archives of one ingest run, in the order they are given."""
    out: list[Expected] = []

    good, refused = _around(
        {
            i: (name, re.escape(reason))
            for i, (name, reason) in enumerate(hz.TRAVERSAL_NAMES.items(), start=1)
        }
    )
    out.append(Expected("traversal.zip", hz.traversal_zip(), good, refused))

    good, refused = _around({1: (hz.SYMLINK_NAME, r"symbolic link")})
    out.append(Expected("symlink.zip", hz.symlink_zip(), good, refused))

    good, refused = _around(
        {
            1: ("dev/tty0", r"device file"),
            2: ("dev/sda", r"device file"),
            3: ("dev/fifo", r"special file"),
        }
    )
    out.append(Expected("devices.zip", hz.device_zip(), good, refused))

    good, refused = _around(
        {2: (hz.DUPLICATE_NAME, r"duplicate name \(also member #1\)")},
        {1: (hz.DUPLICATE_NAME, hz.DUPLICATE_FIRST)},
    )
    out.append(Expected("duplicates.zip", hz.duplicate_names_zip(), good, refused))

    good, refused = _around({1: (hz.BOMB_NAME, r"compression ratio above 50:1")})
    out.append(Expected("bomb.zip", hz.zip_bomb(BOMB_SIZE), good, refused))

    good, refused = _around({1: (hz.ENCRYPTED_NAME, r"encrypted member")})
    out.append(Expected("encrypted.zip", hz.encrypted_member_zip(), good, refused))

    good, refused = _around({1: (hz.BAD_CRC_NAME, r"damaged member: Bad CRC-32")})
    out.append(Expected("bad-crc.zip", hz.bad_crc_zip(), good, refused))

    good, refused = _around({1: (hz.NUL_NAME, r"name contains a NUL byte")})
    out.append(Expected("nul-name.zip", hz.nul_name_zip(), good, refused))

    good, refused = _around({1: ("", r"empty name")})
    out.append(Expected("empty-name.zip", hz.empty_name_zip(), good, refused))

    # Member 1 is an honest empty folder: skipped, neither an item nor a warning.
    good = {0: hz.GOOD_FIRST, 3: hz.GOOD_LAST}
    refused = {2: (hz.HIDDEN_DIR_NAME, r"folder entry holding \d+ bytes")}
    out.append(Expected("folder-with-data.zip", hz.directory_with_data_zip(), good, refused))

    damaged = r"archive cannot be read \(.+\); truncated or damaged"
    out.append(Expected("cut-in-data.zip", hz.truncated_in_member_data(), damaged=damaged))
    out.append(
        Expected("cut-before-cd.zip", hz.truncated_before_central_directory(), damaged=damaged)
    )

    # Four archives deep with max_depth 3: levels 0, 1 and 2 are walked; level-3.zip is
    # acquired as a member but not walked, so deep.txt inside it is not an item.
    levels = hz.nested_levels(4)
    level2 = Expected(
        "level-2.zip",
        levels[2],
        {0: ("note-2.txt", hz.note_bytes(2)), 1: ("level-3.zip", levels[3])},
        not_walked={"level-3.zip"},
    )
    level1 = Expected(
        "level-1.zip",
        levels[1],
        {0: ("note-1.txt", hz.note_bytes(1)), 1: ("level-2.zip", levels[2])},
        nested={"level-2.zip": level2},
    )
    out.append(
        Expected(
            "nested.zip",
            levels[0],
            {0: ("note-0.txt", hz.note_bytes(0)), 1: ("level-1.zip", levels[1])},
            nested={"level-1.zip": level1},
        )
    )
    return out


# --- helpers --------------------------------------------------------------------------------


def snapshot(root: Path, skip: Path) -> dict[str, tuple[str, int, int]]:
    """Every path under root except ``skip``: (kind, size, mtime) by relative path."""
    out: dict[str, tuple[str, int, int]] = {}
    for dirpath, dirs, files in os.walk(root):
        here = Path(dirpath)
        dirs[:] = [d for d in dirs if here / d != skip]
        for name in [*dirs, *files]:
            p = here / name
            st = p.lstat()
            kind = "link" if stat.S_ISLNK(st.st_mode) else "dir" if p.is_dir() else "file"
            size = 0 if kind == "dir" else st.st_size
            out[str(p.relative_to(root))] = (kind, size, st.st_mtime_ns)
    return out


def files_named(root: Path, names: set[str]) -> list[Path]:
    return [Path(d) / f for d, _dirs, files in os.walk(root) for f in files if f in names]


def entries(case: Case, action: str) -> list[Entry]:
    return [e for e in case.ledger_entries() if e.action == action]


def items_by_path(case: Case) -> dict[str, dict[str, Any]]:
    items = list(iter_items(case))
    by_path = {i["path"]: i for i in items}
    assert len(by_path) == len(items), "two items with one path in a single run"
    return by_path


def assert_store_clean(case: Case) -> None:
    store = case.folder / "store"
    assert list((store / "pending").iterdir()) == []
    assert sorted(p.name for p in store.iterdir()) == ["pending", "sha256"]
    for blob in (store / "sha256").rglob("*"):
        if blob.is_file():
            assert blob.relative_to(store / "sha256").parts == (
                blob.name[:2],
                blob.name[2:4],
                blob.name,
            )
            assert stat.S_IMODE(blob.stat().st_mode) == 0o444
            assert not blob.is_symlink()
    assert not [p for p in case.folder.rglob("*") if p.is_symlink()]


def blob_bytes(case: Case, digest: str) -> bytes:
    with case.store.open_blob(digest) as f:
        return f.read()


def check_archive(
    case: Case,
    items: dict[str, dict[str, Any]],
    warnings: list[Entry],
    archive_path: str,
    exp: Expected,
    parent: dict[str, Any] | None,
) -> Iterator[str]:
    """Check one acquired archive and, recursively, what was walked of it; yield item paths."""
    item = items[archive_path]
    yield archive_path
    assert item["sha256"] == sha(exp.data)
    assert item["size"] == len(exp.data)
    assert blob_bytes(case, item["sha256"]) == exp.data
    if parent is None:
        assert (item["parent_id"], item["parent_sha256"], item["member"]) == (None, None, None)
    else:
        assert (item["parent_id"], item["parent_sha256"]) == (parent["id"], parent["sha256"])

    mine = [w for w in warnings if w.data["item_id"] == item["id"]]
    for w in mine:
        assert w.subject == item["sha256"]
    # The items JSON shows the archive's warnings, in ledger order.
    assert item["warnings"] == [w.data["text"] for w in mine]

    children = {i["member_index"]: i for i in items.values() if i["parent_id"] == item["id"]}
    assert sorted(children) == sorted(exp.good), archive_path
    for index, (name, data) in exp.good.items():
        child = children[index]
        assert child["path"] == f"{archive_path}!/{name}"
        assert (child["member"], child["name"]) == (name, name.rsplit("/", 1)[-1])
        assert (child["parent_id"], child["parent_sha256"]) == (item["id"], item["sha256"])
        assert (child["sha256"], child["size"]) == (sha(data), len(data))
        assert blob_bytes(case, child["sha256"]) == data
        assert child["member_modified_local"] == hz.WHEN_TEXT
        assert child["source"] == OPTIONS.source and child["reason"] == OPTIONS.reason
        if name in exp.nested:
            yield from check_archive(case, items, warnings, child["path"], exp.nested[name], item)
        elif name in exp.not_walked:
            assert [w.data["text"] for w in warnings if w.data["item_id"] == child["id"]] == [
                f"{child['path']}: nested archive not walked (depth limit {LIMITS.max_depth})"
            ]
            assert child["warnings"] == [
                f"{child['path']}: nested archive not walked (depth limit {LIMITS.max_depth})"
            ]
            yield child["path"]
        else:
            yield child["path"]

    member_warnings = [w for w in mine if "member_index" in w.data]
    assert sorted(w.data["member_index"] for w in member_warnings) == sorted(exp.refused)
    for w in member_warnings:
        name, reason = exp.refused[w.data["member_index"]]
        assert w.data["member"] == name
        assert repr(name) in w.data["text"]
        assert re.search(reason, w.data["text"]), w.data["text"]

    if exp.damaged is not None:
        assert len(mine) == 1 and "member" not in mine[0].data
        assert re.search(exp.damaged, mine[0].data["text"]), mine[0].data["text"]
        assert not children
    elif not exp.refused and not exp.not_walked:
        assert mine == []


# --- the hostile run ------------------------------------------------------------------------


def test_hostile_archives_end_to_end(tmp_path: Path, case: Case, signer: Signer) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    expected = hostile_set()
    paths = []
    for exp in expected:
        p = evidence / exp.file
        p.write_bytes(exp.data)
        paths.append(p)
    targets = {*hz.TRAVERSAL_TARGETS, hz.SYMLINK_NAME}
    basetemp = tmp_path.parent  # the tmp folders of every test in this session
    before = snapshot(tmp_path, skip=case.folder)
    targets_before = set(files_named(basetemp, targets))
    passwd_before = os.stat("/etc/passwd")

    summary = ingest_paths(case, signer, paths, OPTIONS)

    # Nothing written outside the case folder: not beside it, not above it, not in /etc.
    assert snapshot(tmp_path, skip=case.folder) == before
    assert set(files_named(basetemp, targets)) == targets_before
    for folder in (Path.cwd(), Path.cwd().parent, Path("/tmp"), Path("/")):
        assert [n for n in targets if os.path.lexists(folder / n)] == []
    passwd_after = os.stat("/etc/passwd")
    assert (passwd_after.st_size, passwd_after.st_mtime_ns) == (
        passwd_before.st_size,
        passwd_before.st_mtime_ns,
    )
    # Nothing unexpected inside it either.
    assert_store_clean(case)
    assert not files_named(case.folder, targets)

    items = items_by_path(case)
    warnings = entries(case, "item.warning")
    seen: list[str] = []
    for exp, p in zip(expected, paths, strict=True):
        assert str(p) in items, p
        seen += check_archive(case, items, warnings, str(p), exp, None)
    # Every item is accounted for, and every warning belongs to an item checked above.
    assert sorted(seen) == sorted(items)
    ids = {i["id"] for i in items.values()}
    assert all(w.data["item_id"] in ids for w in warnings)

    refused_total = sum(len(e.refused) for e in expected)
    assert len([w for w in warnings if "member_index" in w.data]) == refused_total

    # The ledger and the summary agree with the items.
    acquired = entries(case, "item.acquired")
    assert Counter(e.data["sha256"] for e in acquired) == Counter(
        i["sha256"] for i in items.values()
    )
    assert summary.items == len(items)
    assert summary.members == len(items) - len(paths)
    assert len(summary.warnings) == len(warnings)
    walked = {e.data["item_id"]: e.data for e in entries(case, "archive.walked")}
    for exp, p in zip(expected, paths, strict=True):
        item = items[str(p)]
        assert walked[item["id"]]["refused"] == len(exp.refused)
        assert walked[item["id"]]["members"] == len(exp.good)
    # The store holds exactly one blob per distinct sha256 recorded.
    assert sorted(case.store.iter_blob_hashes()) == sorted({i["sha256"] for i in items.values()})

    report = verify_case(case)
    assert report.ok, report.failures
    assert report.items == len(items)


def test_zip_bomb_over_the_total_limit_refused_and_archive_kept(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    size = 1 << 20
    data = hz.many_incompressible_zip(3, size)
    path = tmp_path / "three-parts.zip"
    path.write_bytes(data)
    limits = ZipLimits(max_total_bytes=size * 3 // 2)
    summary = ingest_paths(case, signer, [path], IngestOptions(limits=limits))
    items = items_by_path(case)
    assert sorted(items) == [str(path), f"{path}!/part-0.bin"]
    assert items[f"{path}!/part-0.bin"]["sha256"] == sha(hz.part_bytes(0, size))
    assert items[str(path)]["sha256"] == sha(data)
    refused = [w.data for w in entries(case, "item.warning")]
    assert [(w["member"], w["member_index"]) for w in refused] == [
        ("part-1.bin", 1),
        ("part-2.bin", 2),
    ]
    assert all("archive inflates beyond the limit" in w["text"] for w in refused)
    assert summary.members == 1
    assert list((case.folder / "store" / "pending").iterdir()) == []
    assert verify_case(case).ok


# --- the same bytes twice -------------------------------------------------------------------


def test_same_file_in_two_runs_is_one_blob_and_two_acquisitions(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    archive = tmp_path / "twice.zip"
    archive.write_bytes(hz.plain_unix_zip())
    note = tmp_path / "note.txt"
    note.write_bytes(b"acquired in two runs\n")

    first = ingest_paths(case, signer, [archive, note], OPTIONS)
    second = ingest_paths(case, signer, [archive, note], OPTIONS)

    assert first.run_id != second.run_id
    assert not second.resumed and second.skipped_already_acquired == 0
    assert (first.items, second.items) == (4, 4)
    acquired = Counter(e.data["sha256"] for e in entries(case, "item.acquired"))
    for digest in (
        sha(archive.read_bytes()),
        sha(note.read_bytes()),
        sha(b"hello\n"),
        sha(b"#!/bin/sh\necho hi\n"),
    ):
        assert acquired[digest] == 2
        blob_dir = case.store.blob_path(digest).parent
        assert [p.name for p in blob_dir.iterdir() if p.name == digest] == [digest]
    assert len(list(case.store.iter_blob_hashes())) == 4
    items = list(iter_items(case))
    assert len(items) == 8 and len({i["id"] for i in items}) == 8
    # Each run's members hang from that run's archive item.
    archives = [i for i in items if i["path"] == str(archive)]
    assert len(archives) == 2
    for a in archives:
        kids = [i for i in items if i["parent_id"] == a["id"]]
        assert sorted(k["member"] for k in kids) == ["bin/run.sh", "readme.txt"]
    assert len(entries(case, "ingest.completed")) == 2
    assert_store_clean(case)
    assert verify_case(case).ok


# --- folders --------------------------------------------------------------------------------


def make_tree(root: Path, files: list[str]) -> None:
    # Created in reverse order, so file-system order is not the sorted order by accident.
    for rel in reversed(files):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(f"content of {rel}\n".encode())


def test_folder_with_subfolders_is_acquired_in_sorted_order(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    folder = tmp_path / "phone-export"
    # The documented order: a folder's files sorted, then its subfolders, sorted, each in turn.
    in_order = [
        "B.txt",
        "a.txt",
        "c.txt",
        "A/z.txt",
        "a/b.txt",
        "a/sub/deep.txt",
        "a/sub2/x.txt",
        "b/a.txt",
    ]
    make_tree(folder, in_order)
    summary = ingest_paths(case, signer, [folder], OPTIONS)
    items = list(iter_items(case))
    assert [i["path"] for i in items] == [str(folder / rel) for rel in in_order]
    assert [i["name"] for i in items] == [rel.rsplit("/", 1)[-1] for rel in in_order]
    for i, rel in zip(items, in_order, strict=True):
        assert i["sha256"] == sha(f"content of {rel}\n".encode())
        assert i["parent_id"] is None
    acquired = [e.data["path"] for e in entries(case, "item.acquired")]
    assert acquired == [str(folder / rel) for rel in in_order]
    assert (summary.items, summary.warnings) == (len(in_order), [])
    assert verify_case(case).ok


def test_symlinks_and_special_files_in_a_folder_are_not_followed(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(b"outside the folder given: must not be acquired through a link\n")
    folder = tmp_path / "evidence"
    make_tree(folder, ["a.txt", "sub/b.txt"])
    (folder / "link-to-secret").symlink_to(secret)
    (folder / "sub" / "dangling").symlink_to(tmp_path / "nowhere")
    os.mkfifo(folder / "sub" / "pipe")

    summary = ingest_paths(case, signer, [folder], OPTIONS)

    items = list(iter_items(case))
    assert [i["path"] for i in items] == [str(folder / "a.txt"), str(folder / "sub/b.txt")]
    assert sha(secret.read_bytes()) not in {i["sha256"] for i in items}
    assert sorted(summary.warnings) == sorted(
        [
            f"{folder / 'link-to-secret'}: symbolic link inside a folder, not followed",
            f"{folder / 'sub' / 'dangling'}: symbolic link inside a folder, not followed",
            f"{folder / 'sub' / 'pipe'}: special file inside a folder, not followed",
        ]
    )
    assert summary.items == 2
    assert verify_case(case).ok


def test_symlink_to_a_folder_inside_a_folder_is_reported(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    outside = tmp_path / "outside"
    make_tree(outside, ["secret.txt"])
    folder = tmp_path / "evidence"
    make_tree(folder, ["a.txt"])
    (folder / "link-to-folder").symlink_to(outside, target_is_directory=True)
    summary = ingest_paths(case, signer, [folder], OPTIONS)
    assert [i["path"] for i in iter_items(case)] == [str(folder / "a.txt")]
    assert summary.warnings == [
        f"{folder / 'link-to-folder'}: symbolic link inside a folder, not followed (to a folder)"
    ]

"""Fault injection around acquisition: bad sources, and SIGKILL at any moment of an ingest.

Whatever goes wrong, the case must never hold anything half-recorded: no blob without an
``item.acquired`` entry, no entry without its blob, nothing left in ``store/pending`` once
the case has been opened again (opening runs recovery), and ``verify`` passes. An ingest
killed part-way is resumed by running the same command again, and then every source file is
an item of the run exactly once.

Unreadable files: the suite may run as root, where ``chmod 000`` does not stop reads. There
the CLI is run under ``setpriv`` with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH removed from
its capability bounding set, so the kernel really refuses the open (EACCES), as it would for
an unprivileged examiner. A read *error* (EIO) is produced honestly by ``/proc/self/mem``,
whose first page is never mapped.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
import types
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import chain_of_custody.acquire as acquire_mod
import chain_of_custody.store as store_mod
from chain_of_custody import db
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.errors import AcquisitionError
from chain_of_custody.keys import Signer
from chain_of_custody.models import IngestRun
from chain_of_custody.verify import verify_case
from workstation import cli
from workstation.ingest import IngestOptions, ingest_paths

T_RUN = IngestRun.__table__  # type: ignore[attr-defined]
EWS = [sys.executable, "-m", "workstation.cli"]
MIB = 1 << 20

# --- helpers ---------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def ews(*args: str | Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), *EWS, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_chain(entries: list[Any]) -> None:
    """seq 0..n-1, each prev the entry_hash of the one before."""
    assert [e.seq for e in entries] == list(range(len(entries)))
    prev = "0" * 64
    for e in entries:
        assert e.prev == prev, f"entry {e.seq}: prev does not link to entry {e.seq - 1}"
        prev = e.entry_hash


def item_rows(case: Case) -> list[Any]:
    with db.read_connection(case.engine) as conn:
        return list(
            conn.execute(
                sa.select(T_ITEM)
                .where(T_ITEM.c.case_id == case.case_id)
                .order_by(T_ITEM.c.ledger_seq)
            )
        )


def run_rows(case: Case) -> list[Any]:
    with db.read_connection(case.engine) as conn:
        return list(
            conn.execute(
                sa.select(T_RUN).where(T_RUN.c.case_id == case.case_id).order_by(T_RUN.c.started_at)
            )
        )


def assert_nothing_half_recorded(
    folder: Path, db_url: str | None, *, rehash: bool = True, run_verify: bool = True
) -> tuple[list[Any], list[Any]]:
    """Open the case again (recovery runs) and check store, items and ledger agree.

    Returns (ledger entries, item rows).
    """
    with Case.open(folder, db_url=db_url) as case:
        pending = [p.name for p in case.store.iter_pending()]
        assert pending == [], f"store/pending not empty after recovery: {pending}"
        entries = list(case.ledger_entries())
        assert_chain(entries)
        acquired = {e.data["item_id"]: e for e in entries if e.action == "item.acquired"}
        items = item_rows(case)
        assert {r.id for r in items} == set(acquired), "item rows and item.acquired differ"
        for r in items:
            e = acquired[r.id]
            assert (r.sha256, r.ledger_seq, r.path) == (e.data["sha256"], e.seq, e.data["path"])
        recorded = {e.data["sha256"] for e in acquired.values()}
        stored = set(case.store.iter_blob_hashes())
        assert stored - recorded == set(), "blob(s) in the store without an item.acquired entry"
        assert recorded - stored == set(), "item.acquired entr(y/ies) without a blob"
        for sha in stored:
            path = case.store.blob_path(sha)
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == 0o444, f"blob {sha} has mode {mode:o}, not 0444"
            if rehash:
                assert case.store.rehash_file(path) == sha
        if run_verify:
            report = verify_case(case)
            assert report.ok, [f"{f.subject}: {f.message}" for f in report.failures]
        return entries, items


class _OsProxy(types.SimpleNamespace):
    """Stands in for ``os`` inside one module; everything not overridden is the real os."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def patch_module_os(monkeypatch: pytest.MonkeyPatch, module: Any, **overrides: Any) -> None:
    monkeypatch.setattr(module, "os", _OsProxy(**overrides))


def write_random(path: Path, rng: random.Random, size: int) -> None:
    path.write_bytes(rng.randbytes(size))


def make_zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 3, 1, 12, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


# --- missing, unreadable, shrinking, vanishing sources --------------------------------------


@pytest.fixture
def src_folder(tmp_path: Path) -> Path:
    """a.txt, b.bin before the victim (c_*), d.txt after it, in walk order."""
    rng = random.Random(7)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("alpha: first file\n")
    write_random(src / "b.bin", rng, 40_000)
    (src / "d.txt").write_text("delta: after the victim\n")
    return src


def _entry_count(case: Case) -> int:
    return sum(1 for _ in case.ledger_entries())


def test_missing_path_cli(case: Case, db_url: str | None, src_folder: Path) -> None:
    before = _entry_count(case)
    missing = src_folder / "no-such-file.jpg"
    r = ews("ingest", case.folder, src_folder / "a.txt", missing)
    assert r.returncode != 0
    lines = stderr_lines(r.stderr)
    assert len(lines) == 1, r.stderr
    assert str(missing) in lines[0] and "no such file" in lines[0]
    # The paths are checked before the run starts: nothing at all is recorded.
    entries, items = assert_nothing_half_recorded(case.folder, db_url)
    assert len(entries) == before and items == []


def test_missing_path_api(case: Case, db_url: str | None, signer: Signer, tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "photo.jpg"
    with pytest.raises(AcquisitionError, match="no such file") as info:
        ingest_paths(case, signer, [missing])
    assert str(missing) in str(info.value)
    assert_nothing_half_recorded(case.folder, db_url)


def _unprivileged_prefix() -> list[str]:
    """A command prefix under which chmod 000 really stops reads."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv (util-linux) is missing: cannot drop DAC override")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def test_unreadable_file_cli_then_resume(case: Case, db_url: str | None, src_folder: Path) -> None:
    prefix = _unprivileged_prefix()
    victim = src_folder / "c_locked.txt"
    victim.write_text("charlie: nobody may read me\n")
    victim.chmod(0)
    try:
        r = ews("ingest", case.folder, src_folder, "--reason", "fault test", prefix=prefix)
    finally:
        victim.chmod(0o644)
    assert r.returncode != 0, r.stdout
    lines = stderr_lines(r.stderr)
    assert len(lines) == 1, r.stderr
    assert str(victim) in lines[0] and "permission denied" in lines[0]
    _, items = assert_nothing_half_recorded(case.folder, db_url)
    # What came before the unreadable file is recorded; it and what follows are not.
    assert sorted(r.name for r in items) == ["a.txt", "b.bin"]
    # The same command again resumes the run and acquires only what is missing.
    again = ews("ingest", case.folder, src_folder, "--reason", "fault test", "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["resumed"] is True
    assert (summary["items"], summary["skipped_already_acquired"]) == (2, 2)
    _, items = assert_nothing_half_recorded(case.folder, db_url)
    assert sorted(r.name for r in items) == ["a.txt", "b.bin", "c_locked.txt", "d.txt"]
    assert ews("verify", case.folder).returncode == 0


def test_read_error_api(case: Case, db_url: str | None, signer: Signer) -> None:
    """A file whose read fails with EIO (/proc/self/mem: page 0 is never mapped)."""
    source = Path("/proc/self/mem")
    if not source.exists():
        pytest.skip("no /proc/self/mem on this system")
    with pytest.raises(AcquisitionError, match="read error at byte 0") as info:
        ingest_paths(case, signer, [source])
    assert str(source) in str(info.value)
    _, items = assert_nothing_half_recorded(case.folder, db_url)
    assert items == []


def test_read_error_cli(case: Case, db_url: str | None) -> None:
    source = Path("/proc/self/mem")
    if not source.exists():
        pytest.skip("no /proc/self/mem on this system")
    r = ews("ingest", case.folder, source)
    assert r.returncode != 0
    lines = stderr_lines(r.stderr)
    assert len(lines) == 1, r.stderr
    assert str(source) in lines[0] and "read error" in lines[0]
    assert_nothing_half_recorded(case.folder, db_url)


VICTIM_SIZE = 3 * MIB + 12345  # several chunks, so the file can change between reads


def _sabotage(victim: Path, how: str) -> Callable[[], None]:
    if how == "shrinks":
        return lambda: os.truncate(victim, VICTIM_SIZE // 2)
    if how == "grows":

        def append() -> None:
            with victim.open("ab") as f:
                f.write(b"appended while being read" * 1000)

        return append
    if how == "vanishes":
        return victim.unlink
    if how == "modified":

        def overwrite() -> None:
            with victim.open("r+b") as f:
                f.seek(2 * MIB)
                f.write(b"X" * 100)

        return overwrite
    raise AssertionError(how)


EXPECTED_MESSAGE = {
    "shrinks": "size changed while reading",
    "grows": "size changed while reading",
    "vanishes": "vanished while reading",
    "modified": "modified while reading",
}


def _arm_victim(monkeypatch: pytest.MonkeyPatch, victim: Path, how: str) -> Callable[[], bool]:
    """After the first chunk of the victim is read, change it (os.read of acquire patched)."""
    ident = (victim.stat().st_dev, victim.stat().st_ino)
    sabotage = _sabotage(victim, how)
    state = {"done": False}

    def read(fd: int, n: int) -> bytes:
        data = os.read(fd, n)
        if not state["done"] and data:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) == ident:
                state["done"] = True
                sabotage()
        return data

    def copy_file_range(src: int, dst: int, count: int, offset_src: int, offset_dst: int) -> int:
        # A file larger than one chunk is copied by the kernel (BlobStore.stage_copy).
        n = os.copy_file_range(src, dst, count, offset_src, offset_dst)
        st = os.fstat(src)
        if not state["done"] and n and (st.st_dev, st.st_ino) == ident:
            state["done"] = True
            sabotage()
        return n

    patch_module_os(monkeypatch, acquire_mod, read=read)
    patch_module_os(monkeypatch, store_mod, copy_file_range=copy_file_range)
    return lambda: state["done"]


@pytest.mark.parametrize("how", ["shrinks", "grows", "vanishes", "modified"])
@pytest.mark.parametrize("via", ["api", "cli"])
def test_source_changes_while_read(
    case: Case,
    db_url: str | None,
    signer: Signer,
    src_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    via: str,
) -> None:
    victim = src_folder / "c_victim.bin"
    write_random(victim, random.Random(3), VICTIM_SIZE)
    os.utime(victim, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))  # mtime long ago
    sabotaged = _arm_victim(monkeypatch, victim, how)
    if via == "api":
        with pytest.raises(AcquisitionError) as info:
            ingest_paths(case, signer, [src_folder], IngestOptions(reason="fault test"))
        message = str(info.value)
    else:
        capsys.readouterr()
        rc = cli.main(["ingest", str(case.folder), str(src_folder), "--reason", "fault test"])
        err = capsys.readouterr().err
        assert rc != 0
        lines = stderr_lines(err)
        assert len(lines) == 1, err
        message = lines[0]
    assert sabotaged(), "the victim was never read"
    assert str(victim) in message
    assert EXPECTED_MESSAGE[how] in message
    monkeypatch.undo()
    _, items = assert_nothing_half_recorded(case.folder, db_url)
    assert sorted(r.name for r in items) == ["a.txt", "b.bin"]
    assert not any(case.store.iter_pending())


# --- SIGKILL during a large ingest ----------------------------------------------------------


@dataclass(frozen=True)
class SourceTree:
    """A source folder and what a complete ingest of it must record."""

    folder: Path
    hashes: dict[str, str]  # absolute path of each file -> sha256
    children: dict[str, list[str]]  # item path of each archive -> its member names


N_SMALL = 300
BIG_SIZE = 150 * MIB
BIG_NAME = "0150_big.bin"  # sorts among the small files: the middle of the run


@pytest.fixture(scope="session")
def kill_source(tmp_path_factory: pytest.TempPathFactory) -> SourceTree:
    """300 files of 1-200 KB, one of 150 MB in the middle, and two zips (made once, seeded).

    The zips make the run commit in several batches (an archive's item is recorded before
    its members are walked), so a kill can land between commits as well as inside one.
    """
    rng = random.Random(20240301)
    folder = tmp_path_factory.mktemp("kill-source") / "seized"
    folder.mkdir()
    for i in range(N_SMALL):
        write_random(folder / f"{i:04d}.bin", rng, rng.randint(1024, 200 * 1024))
    with open(folder / BIG_NAME, "wb") as f:
        for _ in range(BIG_SIZE // MIB):
            f.write(rng.randbytes(MIB))
    children: dict[str, list[str]] = {}
    for stem, count in (("0075_photos", 40), ("0225_chats", 60)):
        members = [
            (f"{stem}/m{j:03d}.bin", rng.randbytes(rng.randint(100, 60_000))) for j in range(count)
        ]
        path = folder / f"{stem}.zip"
        path.write_bytes(make_zip(members))
        children[str(path)] = [name for name, _ in members]
    hashes = {str(p): sha256_file(p) for p in sorted(folder.iterdir())}
    assert len(set(hashes.values())) == len(hashes)
    return SourceTree(folder, hashes, children)


def ingest_cmd(case_dir: Path, tree: SourceTree) -> list[str]:
    return [
        *EWS,
        "ingest",
        str(case_dir),
        str(tree.folder),
        "--source",
        "seized laptop",
        "--reason",
        "fault injection",
        "--json",
    ]


def new_case(folder: Path, signer: Signer, db_url: str | None) -> Path:
    Case.create(folder, urn="01KK0000001", title="R v Kill", signer=signer, db_url=db_url).close()
    return folder


def assert_runs_complete(folder: Path, db_url: str | None, tree: SourceTree) -> int:
    """Every run finished, each holding every source file and archive member exactly once.

    Returns the number of runs.
    """
    entries, items = assert_nothing_half_recorded(folder, db_url, rehash=False, run_verify=False)
    with Case.open(folder, db_url=db_url) as case:
        runs = run_rows(case)
    assert runs, "no ingest run recorded"
    assert all(r.finished_at is not None for r in runs), "a run was left unfinished"
    by_id = {r.id: r for r in items}
    for run in runs:
        mine = [r for r in items if r.run_id == run.id]
        top = [r for r in mine if r.parent_id is None]
        counts = Counter(r.path for r in top)
        dupes = sorted(p for p, n in counts.items() if n > 1)
        assert not dupes, f"run {run.id}: acquired more than once: {dupes[:5]}"
        lost = sorted(set(tree.hashes) - set(counts))
        assert not lost, f"run {run.id}: never acquired: {lost[:5]}"
        assert set(counts) == set(tree.hashes)
        for r in top:
            assert r.sha256 == tree.hashes[r.path], r.path
        kids: dict[str, Counter[str]] = {}
        for r in mine:
            if r.parent_id is not None:
                kids.setdefault(by_id[r.parent_id].path, Counter())[r.member] += 1
        for parent, members in tree.children.items():
            got = kids.get(parent, Counter())
            assert [m for m, n in got.items() if n > 1] == [], f"{parent}: duplicate members"
            assert set(got) == set(members), f"{parent}: members lost or extra"
        assert len(mine) == len(tree.hashes) + sum(len(m) for m in tree.children.values())
    top_hashes = {r.sha256 for r in items if r.parent_id is None}
    assert top_hashes == set(tree.hashes.values())
    assert sum(e.action == "ingest.completed" for e in entries) == len(runs)
    return len(runs)


@pytest.fixture(scope="session")
def ingest_seconds() -> dict[str, float]:
    """Wall time of an uninterrupted ingest per database backend (measured once)."""
    return {}


def measured_duration(
    cache: dict[str, float],
    key: str,
    tmp: Path,
    signer: Signer,
    db_url: str | None,
    tree: SourceTree,
) -> float:
    """The shorter of two uninterrupted runs (the first may pay for a cold page cache)."""
    if key not in cache:
        times = []
        for attempt in range(2):
            folder = new_case(tmp / f"measure{attempt}", signer, db_url)
            started = time.monotonic()
            r = subprocess.run(
                ingest_cmd(folder, tree), capture_output=True, text=True, check=False
            )
            times.append(time.monotonic() - started)
            assert r.returncode == 0, r.stderr
            assert assert_runs_complete(folder, db_url, tree) == 1
            shutil.rmtree(folder)  # 190 MB each; pytest keeps old temporary folders
        cache[key] = min(times)
    return cache[key]


def kill_after(cmd: list[str], delay: float) -> tuple[bool, str]:
    """Start cmd, SIGKILL it after delay seconds; (was it killed, its stderr)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    return proc.returncode == -signal.SIGKILL, err


def unfinished_runs(folder: Path, db_url: str | None) -> tuple[int, int]:
    """(unfinished runs, all runs) of the case."""
    with Case.open(folder, db_url=db_url, recover=False) as case:
        runs = run_rows(case)
    return sum(r.finished_at is None for r in runs), len(runs)


def kill_verify_resume(
    folder: Path, db_url: str | None, tree: SourceTree, delay: float
) -> tuple[str, int, bool]:
    """Kill an ingest after delay, verify, run it again, verify.

    Returns a note for failure messages, the number of runs before the second ingest, and
    whether the second ingest resumed an unfinished run.
    """
    cmd = ingest_cmd(folder, tree)
    killed, err = kill_after(cmd, delay)
    note = f"kill after {delay:.3f}s ({'killed' if killed else 'finished first'})"
    if not killed:
        assert "error" not in err, err
    v = ews("verify", folder)
    assert v.returncode == 0, f"{note}: verify after the kill failed:\n{v.stderr}"
    resumable, runs_before = unfinished_runs(folder, db_url)
    assert resumable <= 1, note
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, f"{note}: ingest again failed:\n{again.stderr}"
    summary = json.loads(again.stdout)
    assert summary["resumed"] is bool(resumable), note
    v = ews("verify", folder)
    assert v.returncode == 0, f"{note}: verify after the second ingest failed:\n{v.stderr}"
    return note, runs_before, bool(resumable)


N_SEEDS = {"sqlite": 20, "postgres": 5}
KILL_CASES = [pytest.param("sqlite", s, id=f"sqlite-{s}") for s in range(N_SEEDS["sqlite"])] + [
    pytest.param("postgres", s, id=f"postgres-{s}", marks=pytest.mark.postgres)
    for s in range(N_SEEDS["postgres"])
]


@pytest.mark.slow
@pytest.mark.parametrize(("db_url", "seed"), KILL_CASES, indirect=["db_url"])
def test_sigkill_during_ingest_then_resume(
    tmp_path: Path,
    signer: Signer,
    db_url: str | None,
    seed: int,
    kill_source: SourceTree,
    ingest_seconds: dict[str, float],
) -> None:
    """SIGKILL at a seeded moment of the whole ingest (start-up, copying, committing, ...).

    The zips here are flat: a kill inside a *nested* archive loses members on resume (see
    test_sigkill_while_walking_a_nested_archive), which would make this test fail at random.
    """
    backend = "sqlite" if db_url is None else "postgres"
    duration = measured_duration(ingest_seconds, backend, tmp_path, signer, db_url, kill_source)
    # Stratified over the whole run: seed k of n kills within the k-th n-th of its duration.
    rng = random.Random(seed)
    delay = duration * (seed + rng.random()) / N_SEEDS[backend]
    folder = new_case(tmp_path / "case", signer, db_url)
    note, runs_before, resumed = kill_verify_resume(folder, db_url, kill_source, delay)
    print(f"{note} of a {duration:.3f}s ingest; resumed: {resumed}")  # shown by pytest -rP
    runs = assert_runs_complete(folder, db_url, kill_source)
    assert runs == runs_before + (not resumed), note
    shutil.rmtree(folder)  # passed: don't leave 190 MB per seed behind


# --- SIGKILL at chosen points (deterministic) -----------------------------------------------
# The ews process is run through a small wrapper that SIGKILLs itself at the n-th pass through
# a chosen point: exact, repeatable versions of the narrow windows a random kill rarely hits.

KILL_HOOK = r"""
import os, signal, sys
point, nth = sys.argv[1], int(sys.argv[2])
calls = [0]

def hit():
    calls[0] += 1
    if calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)

if point.startswith("member:"):
    from workstation import ingest
    parent = point[len("member:"):]
    original = ingest.Ingest._acquire_member

    def acquire_member(self, run_id, parent_id, parent_sha, parent_path, event):
        if parent_path.endswith(parent):
            hit()
        return original(self, run_id, parent_id, parent_sha, parent_path, event)

    ingest.Ingest._acquire_member = acquire_member
elif point in ("store-chmod", "store-link"):  # inside BlobStore: before a chmod, after a link
    import types
    from chain_of_custody import store

    def chmod(path, mode):
        if point == "store-chmod":
            hit()
        return os.chmod(path, mode)

    def link(src, dst):
        os.link(src, dst)
        if point == "store-link":
            hit()

    class Proxy(types.SimpleNamespace):
        def __getattr__(self, name):
            return getattr(os, name)

    store.os = Proxy(chmod=chmod, link=link)
elif point == "finalise":
    from chain_of_custody.store import BlobStore
    original_finalise = BlobStore.finalise

    def finalise(self, staged):
        hit()
        return original_finalise(self, staged)

    BlobStore.finalise = finalise
elif point.startswith("source-chunk:"):  # only chunks of the file of that name count
    from chain_of_custody.acquire import SourceFile
    name = point[len("source-chunk:"):]
    original_chunks = SourceFile.chunks

    def chunks(self):
        for chunk in original_chunks(self):
            if self.path.name == name:
                hit()
            yield chunk

    SourceFile.chunks = chunks
    # A file larger than one chunk is copied by the kernel in pieces (BlobStore.stage_copy):
    # each MiB of a piece of that file counts as one chunk.
    import threading
    from chain_of_custody import store
    original_stage_into = SourceFile.stage_into
    copying = threading.local()  # files are staged on several threads at once
    original_writeback = store._start_writeback

    def stage_into(self, *args, **kwargs):
        copying.name = self.path.name
        try:
            return original_stage_into(self, *args, **kwargs)
        finally:
            copying.name = None

    def start_writeback(fd, offset, length):
        original_writeback(fd, offset, length)
        if getattr(copying, "name", None) == name:
            for _ in range(max(1, length >> 20)):
                hit()

    SourceFile.stage_into = stage_into
    store._start_writeback = start_writeback
else:
    raise SystemExit(f"unknown kill point {point}")

from workstation import cli
sys.exit(cli.main(sys.argv[3:]))
"""


def run_killed_at(point: str, nth: int, *ews_args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", KILL_HOOK, point, str(nth), *map(str, ews_args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    "point",
    [
        # before making the 2nd blob read-only / after linking it to its store name
        pytest.param("store-chmod", id="before-chmod"),
        pytest.param("store-link", id="after-link"),
    ],
)
def test_sigkill_while_placing_blobs(
    tmp_path: Path, signer: Signer, db_url: str | None, point: str
) -> None:
    """Killed while the blobs of a committed batch are being moved into the store proper.

    Recovery finds the recorded pending copies (one possibly already linked to its final
    name) and must finish placing them, every blob read-only (verify checks the mode).
    """
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        (src / f"note{i}.txt").write_text(f"note number {i}\n" * 50)
    folder = new_case(tmp_path / "case", signer, db_url)
    r = run_killed_at(point, 2, "ingest", folder, src)
    assert r.returncode == -signal.SIGKILL, r.stderr
    v = ews("verify", folder, "--no-record")
    assert v.returncode == 0, f"verify after recovery failed:\n{v.stderr}"
    again = ews("ingest", folder, src, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["resumed"] is True
    _, items = assert_nothing_half_recorded(folder, db_url)
    assert sorted(r.name for r in items) == ["note0.txt", "note1.txt", "note2.txt"]


def test_sigkill_while_walking_a_nested_archive(
    tmp_path: Path, signer: Signer, db_url: str | None
) -> None:
    """Killed among the members of a zip inside a zip: the resumed run must walk it to the end."""
    rng = random.Random(11)
    inner = [(f"inner/i{j}.txt", rng.randbytes(3000)) for j in range(6)]
    outer = [
        ("outer/a.txt", b"outer a\n" * 20),
        ("outer/nested.zip", make_zip(inner)),
        ("outer/z.txt", b"outer z\n" * 20),
    ]
    src = tmp_path / "src"
    src.mkdir()
    (src / "export.zip").write_bytes(make_zip(outer))
    folder = new_case(tmp_path / "case", signer, db_url)
    r = run_killed_at("member:nested.zip", 4, "ingest", folder, src)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert ews("verify", folder, "--no-record").returncode == 0
    again = ews("ingest", folder, src, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["resumed"] is True
    assert ews("verify", folder).returncode == 0
    _, items = assert_nothing_half_recorded(folder, db_url)
    members = Counter(r.member for r in items if r.member is not None)
    expected = [name for name, _ in outer] + [name for name, _ in inner]
    missing = sorted(set(expected) - set(members))
    assert not missing, f"archive members lost on resume: {missing}"
    assert sorted(members) == sorted(expected)
    assert set(members.values()) == {1}, "archive members acquired twice"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "nth"),
    [
        # the second run's records committed, its pending copies (bytes already in the store
        # from the first run) not yet placed
        pytest.param("finalise", 2, id="after-commit-before-finalise"),
        # in the middle of copying the 150 MB file a second time
        pytest.param(
            f"source-chunk:{BIG_NAME}", BIG_SIZE // MIB // 2, id="while-copying-the-big-file"
        ),
    ],
)
def test_sigkill_while_same_content_acquired_again(
    tmp_path: Path,
    signer: Signer,
    db_url: str | None,
    kill_source: SourceTree,
    point: str,
    nth: int,
) -> None:
    """A second run of the same sources (one blob per content) killed, then resumed."""
    folder = new_case(tmp_path / "case", signer, db_url)
    cmd = ingest_cmd(folder, kill_source)
    first = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    with Case.open(folder, db_url=db_url) as case:
        blobs_before = sorted(case.store.iter_blob_hashes())
    killed = run_killed_at(point, nth, *cmd[len(EWS) :])
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with Case.open(folder, db_url=db_url, recover=False) as case:
        left_pending = [p.name for p in case.store.iter_pending()]
    assert left_pending, "the kill left nothing for recovery to do"
    v = ews("verify", folder)
    assert v.returncode == 0, f"verify after the kill failed:\n{v.stderr}"
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["resumed"] is True
    v = ews("verify", folder)
    assert v.returncode == 0, f"verify after resuming failed:\n{v.stderr}"
    assert assert_runs_complete(folder, db_url, kill_source) == 2
    with Case.open(folder, db_url=db_url) as case:
        assert sorted(case.store.iter_blob_hashes()) == blobs_before, "same bytes, new blob"
        acquired = Counter(
            e.data["sha256"] for e in case.ledger_entries() if e.action == "item.acquired"
        )
    # Every content acquired exactly twice (once per run), all sharing the first run's blobs.
    assert set(acquired.values()) == {2}
    shutil.rmtree(folder)

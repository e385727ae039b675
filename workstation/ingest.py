"""The ingest pipeline: paths in, items recorded (files, folders, archives and their members).

An ingest is a *run* recorded in the ledger (``ingest.started`` … ``ingest.completed``).
If a run is interrupted (a crash, a kill, an unreadable file), running the same ingest
again resumes it: what the first attempt recorded is not acquired a second time. Outside
of a resumed run, the same bytes ingested twice are acquired twice (two entries, one blob).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import stat
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db, witness
from chain_of_custody.acquire import (
    Acquisition,
    FileTimes,
    SourceFile,
    _ns_to_rfc3339,
    file_kind,
    fs_bytes_hex,
    fs_display,
    mime_of,
    special_file_refusal,
)
from chain_of_custody.canonical import canonical_bytes, format_time, utc_now
from chain_of_custody.case import T_ITEM, Case, ItemWarningNote
from chain_of_custody.containers import (
    ArchiveDamaged,
    MemberRefused,
    ReadableMember,
    Refusal,
    ZipLimits,
    ZipMember,
    looks_like_zip,
    walk_zip,
)
from chain_of_custody.errors import AcquisitionError
from chain_of_custody.ios_backup import PasswordFn
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry, parse_data
from chain_of_custody.models import IngestRun
from chain_of_custody.store import BlobStore, StagedBlob
from extractors.timeutil import zone
from workstation.extraction import extract_run_items
from workstation.ingest_backup import (
    OpenedBackup,
    finish_backups,
    map_sources,
    note_recorded,
    open_backups,
)
from workstation.run_lock import run_lease

T_RUN = IngestRun.__table__  # type: ignore[attr-defined]
T_LEDGER_ACTION = "archive.walked"
# Files in flight: the work is I/O-bound (fsync, reads), so more than the 2 cores.
STAGE_WORKERS = int(os.environ.get("EWS_STAGE_WORKERS", "4"))
STAGE_WINDOW = 16  # staged but not yet recorded, at most
#: Archive members being staged and typed on the member threads, at most (each holds at
#: most one chunk of the member in memory until it is written).
MEMBER_WINDOW = 32
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
SYMLINK_MIME = "inode/symlink"  # libmagic's name for a link


class IngestCancelled(Exception):
    """The examiner cancelled; what was complete is recorded and the run can resume."""


@dataclass(frozen=True)
class IngestOptions:
    """What the examiner states about the sources, and the archive limits."""

    source: str = ""
    reason: str = ""
    tz: str = "Europe/London"
    limits: ZipLimits = field(default_factory=ZipLimits)
    batch_items: int = 512
    batch_bytes: int = 256 << 20
    skip_extractors: frozenset[str] = frozenset()  # by name; recorded in ingest.started
    #: Asked for an encrypted iPhone backup's password (given the folder); never recorded.
    backup_password: PasswordFn | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Progress:
    """A progress report from the core; the CLI and GUI render it."""

    items: int
    bytes_done: int
    bytes_total: int
    current: str
    message: str = ""


ProgressFn = Callable[[Progress], None]


@dataclass
class IngestSummary:
    """What a run did: counts, warnings, and whether it resumed an earlier attempt."""

    run_id: str
    resumed: bool = False
    items: int = 0
    members: int = 0
    bytes: int = 0
    skipped_already_acquired: int = 0
    extractions: int = 0
    extracted_records: int = 0
    warnings: list[str] = field(default_factory=list)


def run_params(sources: Sequence[_Source], options: IngestOptions) -> tuple[dict[str, Any], str]:
    """What identifies a run (recorded in ``ingest.started``) and its hash."""
    params: dict[str, Any] = {
        "paths": [s.display for s in sources],
        "source": options.source,
        "reason": options.reason,
        "tz": options.tz,
    }
    return params, hashlib.sha256(canonical_bytes(params)).hexdigest()


@dataclass(frozen=True)
class _Source:
    path: Path  # absolute, as given (not symlink-resolved); may hold undecodable bytes
    display: str  # the path as valid text (fs_display): recorded, shown, the run's key
    link: bool = False  # a symbolic link given by the examiner: recorded as itself
    device_path: str | None = None  # where the phone keeps it (a backup's manifest)
    device_name: str | None = None  # its name on the phone, shown instead of the fileID


def check_options(options: IngestOptions) -> None:
    """Refuse a time zone that is not an IANA zone, or a negative limit, before anything.

    Raises:
        AcquisitionError: naming the option.
    """
    try:
        zone(options.tz)
    except ValueError as exc:
        raise AcquisitionError(f"{exc} (give an IANA zone such as Europe/London)") from None
    for name, value in sorted(options.limits.__dict__.items()):
        if isinstance(value, int) and value < 0:
            raise AcquisitionError(f"limit {name} must not be negative (got {value})")
    if options.limits.max_ratio < 1:
        raise AcquisitionError(
            f"limit max_ratio must be at least 1 (got {options.limits.max_ratio})"
        )
    if options.batch_items < 1 or options.batch_bytes < 1:
        raise AcquisitionError("batch limits must be positive")


def check_given(paths: Sequence[Path]) -> None:
    """Refuse a missing path, or a FIFO, socket or device, without opening anything.

    Raises:
        AcquisitionError: one line naming the path and what it is.
    """
    for given in paths:
        try:
            os.lstat(given)
        except FileNotFoundError:
            raise AcquisitionError(f"{fs_display(str(given))}: no such file or folder") from None
        except OSError as exc:
            raise AcquisitionError(
                f"{fs_display(str(given))}: cannot examine: {exc.strerror}"
            ) from exc
        refusal = special_file_refusal(given)
        if refusal is not None:
            raise AcquisitionError(refusal)


def collect_sources(paths: Sequence[Path]) -> tuple[list[_Source], list[str]]:
    """Expand folders (sorted, symlinks not followed) and check every path.

    Only regular files, folders and symbolic links are taken. A symbolic link given directly
    is recorded as a link (its target, not followed: a forensic copy records what it finds;
    the examiner gives the target too to acquire it). Inside a folder, links and special
    files are skipped with a warning. Nothing given is ever opened before it is checked, so
    a FIFO never blocks the ingest.

    Raises:
        AcquisitionError: for a path that does not exist, or is a FIFO, socket or device
            (nothing is acquired then).
    """
    check_given(paths)
    sources: list[_Source] = []
    warnings: list[str] = []
    for given in paths:
        absolute = Path(os.path.abspath(given))
        shown = fs_display(str(absolute))
        try:
            mode = os.lstat(absolute).st_mode
        except OSError as exc:
            raise AcquisitionError(f"{shown}: cannot examine: {exc.strerror}") from exc
        if stat.S_ISLNK(mode):
            sources.append(_Source(absolute, shown, link=True))
        elif stat.S_ISDIR(mode):
            for root, dirs, files in os.walk(absolute, followlinks=False, onerror=_walk_error):
                for name in [d for d in dirs if os.path.islink(os.path.join(root, d))]:
                    link = fs_display(os.path.join(root, name))
                    warnings.append(
                        f"{link}: symbolic link inside a folder, not followed (to a folder)"
                    )
                    dirs.remove(name)
                dirs.sort()
                for name in sorted(files):
                    path = Path(root) / name
                    mode = os.lstat(path).st_mode
                    if not stat.S_ISREG(mode):
                        kind = "symbolic link" if stat.S_ISLNK(mode) else "special file"
                        where = fs_display(str(path))
                        warnings.append(f"{where}: {kind} inside a folder, not followed")
                        continue
                    sources.append(_Source(path, fs_display(str(path))))
        elif stat.S_ISREG(mode):
            sources.append(_Source(absolute, shown))
        else:
            raise AcquisitionError(
                f"{shown}: {file_kind(mode)}, not a file or folder; nothing acquired"
            )
    return _with_pulled_device_paths(sources), warnings


#: The log ``ews acquire --device android`` writes at the top of the folder it pulls files
#: into (workstation.device): one JSON object a line, ``local`` (the file's path under that
#: folder), ``device_path`` (where the phone kept it), ``size`` and ``sha256``.
PULL_LOG = "pulled.ndjson"


def _with_pulled_device_paths(sources: list[_Source]) -> list[_Source]:
    """The sources, each file listed in a pull log above it carrying its path on the phone.

    A file whose size differs from the log's is not given one (it changed since it was
    pulled). The log is itself acquired, so the claim can be checked against it.
    """
    logs: dict[Path, dict[str, tuple[str, int]] | None] = {}
    out = []
    for source in sources:
        found = None if source.link or source.device_path else _pulled_as(source.path, logs)
        out.append(replace(source, device_path=found) if found else source)
    return out


def _pulled_as(path: Path, logs: dict[Path, dict[str, tuple[str, int]] | None]) -> str | None:
    for folder in path.parents:
        if folder not in logs:
            logs[folder] = _read_pull_log(folder / PULL_LOG)
        table = logs[folder]
        if table is None:
            continue
        hit = table.get(path.relative_to(folder).as_posix())
        if hit is None:
            return None
        try:
            return hit[0] if os.stat(path).st_size == hit[1] else None
        except OSError:
            return None
    return None


def _read_pull_log(log: Path) -> dict[str, tuple[str, int]] | None:
    """``local`` → (device path, size), the last line for a file winning; None: no log."""
    try:
        text = log.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    table: dict[str, tuple[str, int]] = {}
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line cut short by an interruption
        if (
            isinstance(rec, dict)
            and isinstance(rec.get("local"), str)
            and isinstance(rec.get("device_path"), str)
            and isinstance(rec.get("size"), int)
        ):
            table[rec["local"]] = (rec["device_path"], rec["size"])
    return table


def _walk_error(exc: OSError) -> None:
    # os.walk skips unreadable folders silently by default; evidence must not go missing.
    where = fs_display(os.fsdecode(exc.filename or ""))
    raise AcquisitionError(f"{where}: cannot read folder: {exc.strerror}") from exc


class _Batch:
    """Items staged but not yet recorded; flushed as one transaction."""

    def __init__(self) -> None:
        self.acquisitions: list[Acquisition] = []
        self.notes: list[ItemWarningNote] = []
        self.extra: list[NewEntry] = []
        self.bytes = 0

    def __len__(self) -> int:
        return len(self.acquisitions) + len(self.notes) + len(self.extra)


class Ingest:
    """One ingest run over a case. Use ``ingest_paths``."""

    def __init__(
        self,
        case: Case,
        signer: Signer,
        options: IngestOptions,
        progress: ProgressFn | None,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        self.case = case
        self.signer = signer
        self.options = options
        self.progress = progress
        self.cancelled = cancelled or (lambda: False)
        self.batch = _Batch()
        self.summary = IngestSummary(run_id="")
        self.bytes_total = 0
        self.bytes_in_flight = 0
        self.resume = _ResumeState()
        self._placer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="place")
        # Archive members are inflated in order on the walking thread; creating each one's
        # store file (an inode: ~0.3-0.7 ms of kernel time on ext4), writing it and libmagic
        # (milliseconds on a text member's 64 KiB head) run on these two threads meanwhile.
        self._member_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="member")
        self._members: deque[_MemberInFlight] = deque()  # see walk_archive
        self._placing: list[Future[None]] = []
        self._last_report = 0.0

    # --- run bookkeeping -----------------------------------------------------------------

    def start_run(
        self, sources: list[_Source], not_followed: Sequence[str] = ()
    ) -> tuple[str, dict[str, tuple[str, int, str]]]:
        """Open a new run, or resume the unfinished one with the same parameters.

        The caller holds the run's lease (``run_lock.run_lease``), so no other process
        finds or creates the same run meanwhile.
        """
        params, params_hash = run_params(sources, self.options)
        with db.read_connection(self.case.engine) as conn:
            row = conn.execute(
                sa.select(T_RUN.c.id)
                .where(
                    T_RUN.c.case_id == self.case.case_id,
                    T_RUN.c.params_hash == params_hash,
                    T_RUN.c.finished_at.is_(None),
                )
                .order_by(T_RUN.c.started_at.desc())
                .limit(1)
            ).first()
            if row is not None:
                done = {
                    r.path: (r.id, r.size, r.sha256)
                    for r in conn.execute(
                        sa.select(T_ITEM.c.id, T_ITEM.c.path, T_ITEM.c.size, T_ITEM.c.sha256).where(
                            T_ITEM.c.run_id == row.id, T_ITEM.c.parent_id.is_(None)
                        )
                    )
                }
                self.case.record(
                    self.signer,
                    [NewEntry("ingest.resumed", row.id, {"already_acquired": len(done)})],
                )
                self.summary.resumed = True
                return str(row.id), done
        run_id = str(uuid.uuid4())
        started = format_time(utc_now())

        def write_run(conn: sa.Connection, _made: object) -> None:
            conn.execute(
                sa.insert(T_RUN),
                {
                    "id": run_id,
                    "case_id": self.case.case_id,
                    "params_hash": params_hash,
                    "started_at": started,
                    "examiner": self.signer.key_id,
                    "source": self.options.source,
                    "reason": self.options.reason,
                    "tz": self.options.tz,
                },
            )

        self.case.record(
            self.signer,
            [
                NewEntry(
                    "ingest.started",
                    run_id,
                    {
                        **params,
                        "started_at": started,  # the ingest_run row's (verify_rows)
                        "files": len(sources),
                        "limits": json.dumps(self.options.limits.__dict__, sort_keys=True),
                        "skipped_extractors": sorted(self.options.skip_extractors),
                        # Links and special files found in folders and not acquired: on
                        # record, not only printed (absent when there were none).
                        **({"not_followed": list(not_followed)} if not_followed else {}),
                    },
                )
            ],
            write_run,
        )
        return run_id, {}

    def finish_run(self, run_id: str) -> None:
        s = self.summary
        finished = format_time(utc_now())

        def close_run(conn: sa.Connection, _made: object) -> None:
            conn.execute(sa.update(T_RUN).where(T_RUN.c.id == run_id).values(finished_at=finished))

        self.case.record(
            self.signer,
            [
                NewEntry(
                    "ingest.completed",
                    run_id,
                    {
                        "items": s.items,
                        "members": s.members,
                        "bytes": s.bytes,
                        "skipped_already_acquired": s.skipped_already_acquired,
                        "extractions": s.extractions,
                        "records": s.extracted_records,
                        "warnings": len(s.warnings),
                        "finished_at": finished,  # the ingest_run row's (verify_rows)
                    },
                )
            ],
            close_run,
        )

    # --- acquisition ---------------------------------------------------------------------

    def report(self, current: str, message: str = "") -> None:
        if self.progress is not None:
            done = max(self.summary.bytes, self.bytes_in_flight)
            self.progress(Progress(self.summary.items, done, self.bytes_total, current, message))

    def flush(self) -> None:
        b = self.batch
        if len(b) == 0:
            return
        try:
            if b.acquisitions:
                self.case.store.sync()  # every staged copy durable before it is recorded
            self.case.record_acquisitions(
                self.signer, b.acquisitions, b.notes, b.extra, place_blobs=False
            )
        except BaseException:
            for a in b.acquisitions:
                self.case.store.discard(a.staged)
            raise
        self.batch = _Batch()
        # Placing blobs (link, chmod, directory fsync) overlaps with the next batch; the
        # records are committed, so until placed the blobs are recoverable from pending/.
        staged = [a.staged for a in b.acquisitions]
        if staged:
            self._placing.append(self._placer.submit(self.case.store.finalise, staged))

    def wait_placed(self) -> None:
        """Wait until every recorded blob is in the store proper; re-raise a failure."""
        placing, self._placing = self._placing, []
        for future in placing:
            future.result()

    def wait_for_blobs(self) -> None:
        """Wait for placement and stop the placing thread."""
        try:
            self.wait_placed()
        finally:
            self._placer.shutdown(wait=True)
            self._member_pool.shutdown(wait=True)

    def add(self, acq: Acquisition) -> None:
        self.batch.acquisitions.append(acq)
        self.batch.bytes += acq.staged.size
        self.summary.items += 1
        self.summary.bytes += acq.staged.size
        if (
            len(self.batch) >= self.options.batch_items
            or self.batch.bytes >= self.options.batch_bytes
        ):
            self.flush()

    def _warn(self, item_id: str, sha256: str, text: str, **extra: str | int) -> None:
        self.summary.warnings.append(text)
        self.batch.notes.append(ItemWarningNote(item_id, sha256, "acquire", text, extra))
        self.report(text, "warning")

    def prepare_file(self, run_id: str, source: _Source) -> Acquisition:
        """Read, hash and stage one file (safe on a worker thread: touches no batch state)."""
        if source.link:
            return self.prepare_link(run_id, source)
        src = SourceFile(source.path)
        times = src.times
        # Not fsynced one by one: flush() syncs the file system once before the commit.
        staged = src.stage_into(self.case.store, progress=self._bytes_read, durable=False)
        return Acquisition(
            staged=staged,
            mime=mime_of(staged.head),
            name=source.device_name or fs_display(source.path.name),
            path=source.display,
            source=self.options.source,
            reason=self.options.reason,
            run_id=run_id,
            times=times,
            name_bytes_hex=None if source.device_name else fs_bytes_hex(source.path.name),
            path_bytes_hex=fs_bytes_hex(str(source.path)),
            device_path=source.device_path,
        )

    def prepare_link(self, run_id: str, source: _Source) -> Acquisition:
        """A symbolic link as itself: its bytes are its target's path, not followed."""
        try:
            st = os.lstat(source.path)
            target = os.readlink(source.path)
        except OSError as exc:
            raise AcquisitionError(f"{source.display}: cannot read link: {exc.strerror}") from exc
        staged = self.case.store.stage(iter([os.fsencode(target)]), durable=False)
        return Acquisition(
            staged=staged,
            mime=SYMLINK_MIME,
            name=fs_display(source.path.name),
            path=source.display,
            source=self.options.source,
            reason=self.options.reason,
            run_id=run_id,
            times=FileTimes(
                _ns_to_rfc3339(st.st_mtime_ns),
                _ns_to_rfc3339(st.st_ctime_ns),
                _ns_to_rfc3339(st.st_atime_ns),
            ),
            name_bytes_hex=fs_bytes_hex(source.path.name),
            path_bytes_hex=fs_bytes_hex(str(source.path)),
            link_target=fs_display(target),
        )

    def _bytes_read(self, n: int) -> None:
        # Called from staging threads; a throttled report keeps large files visibly moving.
        self.bytes_in_flight += n
        now = time.monotonic()
        if now - self._last_report >= 0.1:
            self._last_report = now
            self.report("")

    def staged_in_order(
        self, run_id: str, sources: list[_Source], skip: Callable[[_Source], bool]
    ) -> Iterator[tuple[_Source, Acquisition | None]]:
        """Stage files on a few threads, yielding them in source order (None when skipped).

        Reading, hashing, fsync and libmagic release the GIL, so several files in flight
        overlap their I/O waits. The window is bounded, so memory and open files stay flat.
        If the consumer stops early, staged copies not yet recorded are discarded.
        """
        window: deque[tuple[_Source, Future[Acquisition] | None]] = deque()
        pool = ThreadPoolExecutor(max_workers=STAGE_WORKERS, thread_name_prefix="stage")
        try:
            for source in sources:
                future = None if skip(source) else pool.submit(self.prepare_file, run_id, source)
                window.append((source, future))
                if len(window) >= STAGE_WINDOW:
                    src, fut = window.popleft()
                    yield src, None if fut is None else fut.result()
            while window:
                src, fut = window.popleft()
                yield src, None if fut is None else fut.result()
        finally:
            for _, fut in window:
                if fut is not None and not fut.cancel():
                    # A failed future staged nothing (stage removes its own partial copy).
                    with contextlib.suppress(Exception):
                        self.case.store.discard(fut.result().staged)
            pool.shutdown(wait=True)

    def walk_archive(
        self,
        run_id: str,
        parent_id: str,
        parent_sha: str,
        parent_path: str,
        depth: int,
        already: set[int],
    ) -> None:
        """Acquire every member of a stored zip as a child item; refuse the bad ones.

        Members are added to the batch in archive order; each waits in ``_members`` until
        it is staged and its MIME type known (see ``_member_pool``), at most
        ``MEMBER_WINDOW`` of them. Anything else (a warning, a nested walk, the end) first
        adds those waiting, so the ledger order is that of the archive.
        """
        self.flush()  # the parent must be recorded before its children
        self.wait_placed()  # and in the store proper before it is opened
        members = refused = 0
        try:
            with self.case.store.open_blob(parent_sha) as blob:
                for event in walk_zip(blob, self.options.limits):
                    if self.cancelled():
                        raise IngestCancelled
                    if not isinstance(event, ReadableMember) or event.member.index in already:
                        self._add_typed(0)  # warnings and nested walks keep their place
                    if isinstance(event, ArchiveDamaged):
                        self._warn(parent_id, parent_sha, f"{parent_path}: {event.reason}")
                        break
                    if isinstance(event, Refusal):
                        refused += 1
                        if event.index not in already:
                            self._warn(
                                parent_id,
                                parent_sha,
                                f"{parent_path} member #{event.index} {event.name!r} "
                                f"refused: {event.reason}",
                                member=event.name,
                                member_index=event.index,
                            )
                        continue
                    if event.member.index in already:
                        members += 1
                        self._resume_nested(run_id, parent_id, event.member.index, depth)
                        continue
                    first = self._acquire_member(run_id, parent_id, parent_sha, parent_path, event)
                    if first is None:
                        refused += 1
                        continue
                    members += 1
                    if first[:4] not in _ZIP_SIGNATURES:
                        self._add_typed(MEMBER_WINDOW)
                        continue
                    child = self._add_typed(0)  # maybe an archive: its type is needed now
                    if child is not None and looks_like_zip(child.mime, child.staged.head):
                        if depth + 1 >= self.options.limits.max_depth:
                            self._warn(
                                child.item_id,
                                child.staged.sha256,
                                f"{child.path}: nested archive not walked (depth limit "
                                f"{self.options.limits.max_depth})",
                            )
                        else:
                            self.walk_archive(
                                run_id,
                                child.item_id,
                                child.staged.sha256,
                                child.path,
                                depth + 1,
                                set(),
                            )
            self._add_typed(0)
        except BaseException:
            # Members staged in full are recorded with what is complete (the caller flushes).
            try:
                self._add_typed(0)
            finally:
                self._drop_members()
            raise
        self.summary.members += members
        self.batch.extra.append(
            NewEntry(
                T_LEDGER_ACTION,
                parent_sha,
                {"item_id": parent_id, "members": members, "refused": refused},
            )
        )
        self.flush()

    def _add_typed(self, keep: int) -> Acquisition | None:
        """Add the oldest waiting members to the batch, in order, until ``keep`` remain.

        Returns the last one added (None if none was).
        """
        waiting, acq = self._members, None
        while len(waiting) > keep:
            staged, mime = waiting[0].done.result()
            m = waiting.popleft()
            acq = Acquisition(
                staged=staged,
                mime=mime,
                name=m.member.name.rsplit("/", 1)[-1],
                path=m.path,
                source=self.options.source,
                reason=self.options.reason,
                run_id=m.run_id,
                parent_id=m.parent_id,
                parent_sha256=m.parent_sha,
                member=m.member.name,
                member_index=m.member.index,
                member_modified_local=m.member.modified_local,
            )
            self.add(acq)
            self.report(acq.path)
        return acq

    def _drop_members(self) -> None:
        """After a failure: discard the staged copies of members not added to the batch."""
        while self._members:
            with contextlib.suppress(BaseException):
                self.case.store.discard(self._members.popleft().done.result()[0])

    def _resume_nested(self, run_id: str, parent_id: str, index: int, depth: int) -> None:
        """A member recorded by an interrupted attempt may be an archive not walked to the end."""
        child = self.resume.children.get((parent_id, index))
        if child is None or child.item_id in self.resume.walked:
            return
        if depth + 1 >= self.options.limits.max_depth or not _is_zip_blob(self.case, child.sha256):
            return
        self.walk_archive(
            run_id,
            child.item_id,
            child.sha256,
            child.path,
            depth + 1,
            self.resume.members_done.get(child.item_id, set()),
        )

    def _acquire_member(
        self, run_id: str, parent_id: str, parent_sha: str, parent_path: str, event: ReadableMember
    ) -> bytes | None:
        """Read one member and queue it in ``_members`` (None: refused, with a warning).

        A member of one chunk is read whole here (inflated, limits checked) and staged on a
        member thread; a bigger one is staged here as it is read. Returns its first bytes.
        """
        m = event.member
        store = self.case.store
        chunks = event.chunks()
        try:
            first = next(chunks, None)
            second = None if first is None else next(chunks, None)  # (or the end's checks)
            if second is None:
                done = self._member_pool.submit(_stage_typed, store, [first] if first else [])
            else:
                staged = store.stage(itertools.chain((first or b"", second), chunks), durable=False)
                try:
                    done = self._member_pool.submit(_typed, store, staged)
                except BaseException:
                    store.discard(staged)
                    raise
        except MemberRefused as exc:
            self._add_typed(0)  # the warning comes after the members before it
            self._warn(
                parent_id,
                parent_sha,
                f"{parent_path} member #{m.index} {m.name!r} refused: {exc}",
                member=m.name,
                member_index=m.index,
            )
            return None
        path = f"{parent_path}!/{m.name}"
        self._members.append(_MemberInFlight(m, path, run_id, parent_id, parent_sha, done))
        return first or b""


def _stage_typed(store: BlobStore, chunks: list[bytes]) -> tuple[StagedBlob, str]:
    return _typed(store, store.stage(iter(chunks), durable=False))


def _typed(store: BlobStore, staged: StagedBlob) -> tuple[StagedBlob, str]:
    try:
        return staged, mime_of(staged.head)
    except BaseException:
        store.discard(staged)
        raise


@dataclass(frozen=True)
class _MemberInFlight:
    """An archive member being staged and typed on a member thread, and its place."""

    member: ZipMember
    path: str
    run_id: str
    parent_id: str
    parent_sha: str
    done: Future[tuple[StagedBlob, str]]


@dataclass(frozen=True)
class _Recorded:
    """An archive member recorded by an earlier attempt of the run."""

    item_id: str
    sha256: str
    path: str


@dataclass
class _ResumeState:
    """What an interrupted attempt of a run already recorded about archives."""

    walked: set[str] = field(default_factory=set)  # archives walked to the end (item ids)
    members_done: dict[str, set[int]] = field(default_factory=dict)  # parent -> indexes
    children: dict[tuple[str, int], _Recorded] = field(default_factory=dict)


def _walked_archives(case: Case, run_id: str) -> _ResumeState:
    """Archives of a run already walked to the end, and members recorded per parent."""
    state = _ResumeState()
    walked, members = state.walked, state.members_done
    with db.read_connection(case.engine) as conn:
        for e in conn.execute(
            sa.text("SELECT seq, data FROM ledger_entry WHERE case_id = :c AND action = :a"),
            {"c": case.case_id, "a": T_LEDGER_ACTION},
        ):
            walked.add(str(parse_data(e.seq, e.data).get("item_id")))
        for r in conn.execute(
            sa.select(
                T_ITEM.c.id,
                T_ITEM.c.sha256,
                T_ITEM.c.path,
                T_ITEM.c.parent_id,
                T_ITEM.c.member_index,
            ).where(
                T_ITEM.c.run_id == run_id,
                T_ITEM.c.parent_id.isnot(None),
                T_ITEM.c.member_index.isnot(None),
            )
        ):
            members.setdefault(r.parent_id, set()).add(int(r.member_index))
            state.children[(r.parent_id, int(r.member_index))] = _Recorded(r.id, r.sha256, r.path)
        for r in conn.execute(
            sa.text(
                "SELECT seq, data FROM ledger_entry WHERE case_id = :c AND action = 'item.warning'"
            ),
            {"c": case.case_id},
        ):
            d = parse_data(r.seq, r.data)
            if "member_index" in d:
                members.setdefault(str(d["item_id"]), set()).add(int(d["member_index"]))
    return state


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def ingest_paths(
    case: Case,
    signer: Signer,
    paths: Sequence[Path],
    options: IngestOptions | None = None,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> IngestSummary:
    """Acquire files, folders and archives into the case (see module docstring).

    Raises:
        AcquisitionError: a path is missing, or a file is unreadable or changes while read;
            everything recorded before it stays recorded and the run can be resumed.
    """
    with case.holding_connection():  # one connection for the run's many transactions
        return _ingest_paths(case, signer, paths, options, progress, cancelled)


def _ingest_paths(
    case: Case,
    signer: Signer,
    paths: Sequence[Path],
    options: IngestOptions | None,
    progress: ProgressFn | None,
    cancelled: Callable[[], bool] | None,
) -> IngestSummary:
    options = options or IngestOptions()
    check_options(options)
    # A backup is opened (and an encrypted one unlocked) before anything is recorded.
    backups = open_backups(paths, options.backup_password)
    sources, folder_warnings = collect_sources(paths)
    sources = map_sources(sources, backups)
    job = Ingest(case, signer, options, progress, cancelled)
    job.bytes_total = sum(os.lstat(s.path).st_size for s in sources)
    _, params_hash = run_params(sources, options)
    with run_lease(case.folder, case.case_id, case.engine, params_hash):
        return _run(case, signer, job, sources, folder_warnings, backups)


def _run(
    case: Case,
    signer: Signer,
    job: Ingest,
    sources: list[_Source],
    folder_warnings: list[str],
    backups: list[OpenedBackup],
) -> IngestSummary:
    options = job.options
    run_id, done = job.start_run(sources, folder_warnings)
    job.summary.run_id = run_id
    job.summary.warnings.extend(folder_warnings)
    job.resume = _walked_archives(case, run_id) if done else _ResumeState()
    walked, members_done = job.resume.walked, job.resume.members_done
    try:
        staged = job.staged_in_order(run_id, sources, lambda s: s.display in done)
        for source, acq in staged:
            if job.cancelled():
                raise IngestCancelled
            if acq is None:
                item_id, size, sha = done[source.display]
                if backups:
                    note_recorded(backups, source, item_id, sha)
                job.summary.skipped_already_acquired += 1
                job.bytes_total -= size
                if item_id not in walked and _is_zip_blob(case, sha):
                    job.walk_archive(
                        run_id, item_id, sha, source.display, 0, members_done.get(item_id, set())
                    )
                continue
            job.add(acq)
            job.report(source.display)
            if backups:
                note_recorded(backups, source, acq.item_id, acq.staged.sha256)
            if acq.link_target is not None:
                job._warn(
                    acq.item_id,
                    acq.staged.sha256,
                    f"{source.display}: symbolic link to {acq.link_target}; the link is "
                    "recorded, its target is not followed (give the target to acquire it)",
                )
                continue
            if looks_like_zip(acq.mime, acq.staged.head):
                job.walk_archive(run_id, acq.item_id, acq.staged.sha256, source.display, 0, set())
        job.flush()
        finish_backups(job, run_id, backups)
    except BaseException:
        # Record what is complete; the failing item itself was never staged or is discarded.
        try:
            job.flush()
        finally:
            job.wait_for_blobs()
        raise
    job.wait_for_blobs()
    found = extract_run_items(
        case,
        signer,
        run_id,
        options.tz,
        job.cancelled,
        progress=lambda text: job.report(text),
        skip=options.skip_extractors,
    )
    job.summary.extracted_records = found.records
    job.summary.extractions = found.extractions
    job.summary.warnings.extend(found.warnings)
    job.finish_run(run_id)
    return job.summary


def _is_zip_blob(case: Case, sha256: str) -> bool:
    with case.store.open_blob(sha256) as f:
        head = f.read(8192)
    return looks_like_zip(mime_of(head), head)

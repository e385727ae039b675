"""What both live acquisitions share: options, progress, the pull log and the ingest stage."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.models import IngestRun
from workstation.device.errors import AcquisitionCancelled
from workstation.device.scope import Scope

T_RUN = IngestRun.__table__  # type: ignore[attr-defined]
PULL_LOG = "pulled.ndjson"


@dataclass(frozen=True)
class AcquireProgress:
    """One progress report: the phase, files and bytes so far, and the time left."""

    phase: str
    files: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    seconds_left: float | None = None
    current: str = ""


@dataclass
class AcquireOptions:
    """What the examiner asked for (``ews acquire``)."""

    out: Path
    device_id: str | None = None
    serial: str | None = None  # adb serial or iPhone UDID, when several are attached
    scope: Scope | None = None
    tz: str = "Europe/London"
    progress: Callable[[AcquireProgress], None] | None = None
    cancelled: Callable[[], bool] | None = None
    #: The password of an iPhone whose backups the holder already encrypts (never recorded).
    backup_password: str | None = field(default=None, repr=False)


@dataclass
class AcquireSummary:
    """What an acquisition did."""

    device_id: str
    platform: str
    out: str
    identity: dict[str, str] = field(default_factory=dict)
    files_pulled: int = 0
    files_skipped: int = 0
    bytes_pulled: int = 0
    records_queried: int = 0
    run_id: str | None = None
    items: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Meter:
    """Files, bytes and the time left, reported through the options' callback."""

    def __init__(self, options: AcquireOptions, phase: str, files_total: int, bytes_total: int):
        self.options = options
        self.phase = phase
        self.files_total = files_total
        self.bytes_total = bytes_total
        self.files = 0
        self.bytes_done = 0
        self.started = time.monotonic()

    def check_cancelled(self) -> None:
        if self.options.cancelled is not None and self.options.cancelled():
            raise AcquisitionCancelled(
                "acquisition cancelled; what was complete is kept: run the same command "
                "again to resume"
            )

    def step(self, current: str, files: int = 0, nbytes: int = 0) -> None:
        self.files += files
        self.bytes_done += nbytes
        if self.options.progress is None:
            return
        elapsed = time.monotonic() - self.started
        left = None
        if self.bytes_done and self.bytes_total:
            left = (self.bytes_total - self.bytes_done) * elapsed / self.bytes_done
        self.options.progress(
            AcquireProgress(
                self.phase,
                self.files,
                self.files_total,
                self.bytes_done,
                self.bytes_total,
                left,
                current,
            )
        )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_pull_log(out: Path) -> dict[str, dict[str, Any]]:
    """What earlier runs pulled into ``out``, by device path (the last line wins)."""
    found: dict[str, dict[str, Any]] = {}
    log = out / PULL_LOG
    if not log.exists():
        return found
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line cut short by an interruption
        if isinstance(rec, dict) and "device_path" in rec:
            found[str(rec["device_path"])] = rec
    return found


def append_pull_log(out: Path, rec: dict[str, Any]) -> None:
    with (out / PULL_LOG).open("a", encoding="utf-8") as f:
        f.write(json.dumps(rec, sort_keys=True, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _acquired_under(case: Case, folder: Path) -> dict[str, tuple[int, str]]:
    prefix = str(folder.resolve()) + os.sep
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_ITEM.c.path, T_ITEM.c.size, T_ITEM.c.sha256).where(
                T_ITEM.c.case_id == case.case_id,
                T_ITEM.c.parent_id.is_(None),
                T_ITEM.c.path.startswith(prefix, autoescape=True),
            )
        ).all()
    return {str(r.path): (int(r.size), str(r.sha256)) for r in rows}


def _unfinished(case: Case, params_hash: str) -> bool:
    with db.read_connection(case.engine) as conn:
        row = conn.execute(
            sa.select(T_RUN.c.id).where(
                T_RUN.c.case_id == case.case_id,
                T_RUN.c.params_hash == params_hash,
                T_RUN.c.finished_at.is_(None),
            )
        ).first()
    return row is not None


def _files(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            yield Path(root) / name


def ingest_acquired(
    case: Case,
    signer: Signer,
    folder: Path,
    options: Any,
    progress: Callable[[Any], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[str | None, int, list[str]]:
    """Ingest what an acquisition wrote, through the same path as ``ews ingest``.

    The first time the whole folder is one ingest run (an interrupted run is resumed by
    running it again). After it completed, only files not yet acquired (by path, size and
    SHA-256) are ingested, so a second acquisition does not acquire the same bytes twice.
    Returns the run id (None when nothing was new), the items acquired and the warnings.
    """
    from workstation.ingest import collect_sources, ingest_paths, run_params

    folder = Path(os.path.abspath(folder))
    done = _acquired_under(case, folder)
    whole, _ = collect_sources([folder])
    _, whole_hash = run_params(whole, options)
    if done and not _unfinished(case, whole_hash):
        paths = [
            p
            for p in _files(folder)
            if p.name != PULL_LOG
            and (str(p) not in done or done[str(p)] != (p.stat().st_size, sha256_file(p)))
        ]
        if not paths:
            return None, 0, []
    else:
        paths = [folder]
    summary = ingest_paths(case, signer, paths, options, progress=progress, cancelled=cancelled)
    return summary.run_id, summary.items, list(summary.warnings)

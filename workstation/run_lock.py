"""One process per ingest run: a lease on (case, run parameters) held for the whole run.

``ews ingest`` finds its run by the hash of its parameters and resumes an unfinished one
(see :mod:`workstation.ingest`). Two processes started with the same arguments would both
find (or both create) that run and store everything twice, so the run is leased first:

- on every database, an exclusive ``flock`` on ``CASE/locks/ingest-<params hash>.lock``,
  which also holds who took it (pid, host, time) for the refusal message;
- on PostgreSQL, in addition, a session-level advisory lock keyed by case id and params
  hash, held on a dedicated connection until the run ends (workstations on different
  machines sharing one database and case folder).

Both vanish with the process that holds them (a kill, a crash, a power cut), so a run left
behind by a killed process is resumed by the next attempt as before. The second process
does not wait: it refuses at once with one line naming the holder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from chain_of_custody.canonical import format_time, utc_now
from chain_of_custody.errors import AcquisitionError

LOCKS_FOLDER = "locks"


class RunInProgress(AcquisitionError):
    """Another process holds the lease on the same ingest run."""


def lock_path(case_folder: Path, params_hash: str) -> Path:
    """The lock file of a run (in the case folder, next to the store)."""
    return case_folder / LOCKS_FOLDER / f"ingest-{params_hash[:32]}.lock"


def advisory_key(case_id: str, params_hash: str) -> int:
    """A signed 64-bit PostgreSQL advisory-lock key for the run (distinct from the case key)."""
    digest = hashlib.sha256(f"ews-ingest-run\x00{case_id}\x00{params_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _refusal(holder: dict[str, object] | None) -> RunInProgress:
    if holder:
        who = (
            f" (pid {holder.get('pid', '?')} on {holder.get('host', '?')} "
            f"since {holder.get('started', '?')})"
        )
    else:
        who = ""
    return RunInProgress(
        f"another ews ingest of the same run is in progress{who}; wait for it to finish, "
        "or stop it (what it recorded is kept) and run this command again to resume"
    )


def _read_holder(fd: int) -> dict[str, object] | None:
    try:
        raw = os.pread(fd, 4096, 0)
        holder = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _lock_file(path: Path, required: bool) -> int | None:
    """Open and flock the lock file (retrying if its holder removed it meanwhile).

    Returns the descriptor, or None where the file system offers no locks and another lock
    (PostgreSQL's) does the job (``required`` False).
    """
    path.parent.mkdir(exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise _refusal(holder) from None
        except OSError as exc:
            os.close(fd)
            if not required and exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                return None
            raise AcquisitionError(f"{path}: cannot lock the ingest run: {exc.strerror}") from exc
        # The holder before us removes the file as it finishes: lock the file now named so.
        try:
            now = os.stat(path)
        except FileNotFoundError:
            os.close(fd)
            continue
        mine = os.fstat(fd)
        if (now.st_ino, now.st_dev) != (mine.st_ino, mine.st_dev):
            os.close(fd)
            continue
        return fd


def _write_holder(fd: int, params_hash: str) -> None:
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": format_time(utc_now()),
        "params_hash": params_hash,
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)


def _advisory_lock(engine: Engine, key: int) -> Connection | None:
    """A dedicated connection holding the session-level advisory lock (None: taken)."""
    conn = engine.connect()
    try:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()  # the lock is the session's: no transaction is left open meanwhile
    except BaseException:
        conn.invalidate()
        conn.close()
        raise
    if not got:
        conn.close()
        return None
    return conn


def _advisory_unlock(conn: Connection, key: int) -> None:
    try:
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
    finally:
        # Never hand a connection that might still hold the lock back to the pool.
        conn.invalidate()
        conn.close()


@contextmanager
def run_lease(case_folder: Path, case_id: str, engine: Engine, params_hash: str) -> Iterator[None]:
    """Hold the run's lease until the block ends.

    Raises:
        RunInProgress: another process holds it (one line, naming pid, host and start).
    """
    postgres = engine.dialect.name == "postgresql"
    path = lock_path(case_folder, params_hash)
    fd = _lock_file(path, required=not postgres)
    pg: Connection | None = None
    key = advisory_key(case_id, params_hash)
    held = False
    try:
        if postgres:
            pg = _advisory_lock(engine, key)
            if pg is None:  # held from another machine (or where flock does not reach)
                raise _refusal(_read_holder(fd) if fd is not None else None)
        held = True
        if fd is not None:
            _write_holder(fd, params_hash)
        yield
    finally:
        try:
            if pg is not None:
                _advisory_unlock(pg, key)
        finally:
            if fd is not None:
                if held:
                    with contextlib.suppress(OSError):
                        path.unlink()  # still locked by us: nobody holds this inode's lock
                os.close(fd)

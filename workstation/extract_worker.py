"""Running a large extraction in a second process, beside the database writer.

Parsing is pure Python and so is recording (canonical JSON, SHA-256, rows): in one process
they take turns on one core. For a large item the extractor runs in a forked child that
also hashes and shapes its records, and sends them, in order and in batches, through a
pipe; the parent only stores them meanwhile. The order, and so the Merkle root, is exactly
that of an in-process run.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

from extractors.base import Source
from extractors.errors import ExtractionCancelled

T = TypeVar("T")

#: Items smaller than this are extracted in-process: a fork costs more than it saves.
WORKER_MIN_BYTES = 2 << 20


class ExtractorFailed(Exception):
    """The extractor raised in the child process; the message says what and where."""


def workers_allowed() -> bool:
    """Whether extraction may use a child process at all (two cores, fork, not disabled)."""
    if os.environ.get("EWS_EXTRACT_IN_PROCESS") or (os.cpu_count() or 1) < 2:
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def use_worker(source: Source) -> bool:
    """Whether to extract this source alone in a child process."""
    return source.size >= WORKER_MIN_BYTES and workers_allowed()


def _child(produce: Callable[[], Iterator[T]], out: Connection) -> None:
    gc.freeze()  # see _run_jobs
    try:
        for batch in produce():
            out.send(("batch", batch))
        out.send(("done", None))
    except BaseException as exc:  # reported to the parent, which records it
        out.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        out.close()


def run_in_worker(produce: Callable[[], Iterator[T]], cancelled: Callable[[], bool]) -> Iterator[T]:
    """What ``produce()`` yields, computed in a forked child, in the same order.

    ``produce`` runs the extractor and shapes its records in the child; what it yields
    (batches of records) is sent to the parent one by one.

    Raises:
        ExtractorFailed: the extractor raised (or the child died) part-way; the batches
            yielded before stay valid.
        ExtractionCancelled: the examiner cancelled.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    _widen(send)
    child = context.Process(target=_child, args=(produce, send), daemon=True)
    child.start()
    send.close()
    try:
        while True:
            if cancelled():
                raise ExtractionCancelled("extraction cancelled")
            try:
                kind, payload = receive.recv()
            except EOFError as exc:
                child.join()
                raise ExtractorFailed(
                    f"extractor process ended without finishing (exit code {child.exitcode})"
                ) from exc
            if kind == "batch":
                yield payload
            elif kind == "done":
                return
            else:
                raise ExtractorFailed(str(payload))
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


class JobWorker(Generic[T]):
    """One forked child running several extractions in order, for many small items.

    Forking per item costs more than a small item's extraction; one child per page of
    items lets item N+1 be parsed while item N is stored. ``results(j)`` must be asked in
    job order; messages of a job the parent gave up on are skipped.
    """

    def __init__(self, jobs: list[Callable[[], Iterator[T]]]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        _widen(send)
        self._child = context.Process(target=_run_jobs, args=(jobs, send), daemon=True)
        self._child.start()
        send.close()
        self.dead = False  # the child ended early: the remaining jobs must run elsewhere

    def results(self, job: int, cancelled: Callable[[], bool]) -> Iterator[T]:
        """What job ``job`` yields (see ``run_in_worker`` for the exceptions)."""
        if self.dead:
            raise ExtractorFailed("extractor process ended without finishing")
        while True:
            if cancelled():
                raise ExtractionCancelled("extraction cancelled")
            try:
                kind, index, payload = self._receive.recv()
            except EOFError as exc:
                self.dead = True
                self._child.join()
                raise ExtractorFailed(
                    f"extractor process ended without finishing (exit code {self._child.exitcode})"
                ) from exc
            if index < job:
                continue  # the rest of a job the parent stopped reading
            if kind == "batch":
                yield payload
            elif kind == "done":
                return
            else:
                raise ExtractorFailed(str(payload))

    def close(self) -> None:
        self._receive.close()
        if self._child.is_alive():
            self._child.terminate()
        self._child.join()


def _run_jobs(jobs: list[Callable[[], Iterator[T]]], out: Connection) -> None:
    # The heap inherited from the parent is never garbage here: keep the collector from
    # walking it again and again while millions of short-lived tuples come and go (a third
    # of the worker's time on a 1M-message chat).
    gc.freeze()
    try:
        for index, produce in enumerate(jobs):
            try:
                for batch in produce():
                    out.send(("batch", index, batch))
                out.send(("done", index, None))
            except Exception as exc:  # reported to the parent, which records it
                out.send(("error", index, f"{type(exc).__name__}: {exc}"))
    finally:
        out.close()


def _widen(conn: Connection) -> None:
    """Let the child run up to a megabyte ahead of the parent (Linux pipes hold 64 KiB)."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # a narrower pipe only means less slack

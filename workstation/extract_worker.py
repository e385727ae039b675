"""Running a large extraction in a second process, beside the database writer.

Parsing is pure Python and so is recording (canonical JSON, SHA-256, rows): in one process
they take turns on one core. For a large item the extractor runs in a forked child that
also hashes and shapes its records, and sends them, in order and in batches, through a
pipe; the parent only stores them meanwhile. The order, and so the Merkle root, is exactly
that of an in-process run.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import TypeVar

from extractors.base import Source
from extractors.errors import ExtractionCancelled

T = TypeVar("T")

#: Items smaller than this are extracted in-process: a fork costs more than it saves.
WORKER_MIN_BYTES = 2 << 20


class ExtractorFailed(Exception):
    """The extractor raised in the child process; the message says what and where."""


def use_worker(source: Source) -> bool:
    """Whether to extract this source in a child process."""
    if os.environ.get("EWS_EXTRACT_IN_PROCESS") or (os.cpu_count() or 1) < 2:
        return False
    return source.size >= WORKER_MIN_BYTES and "fork" in multiprocessing.get_all_start_methods()


def _child(produce: Callable[[], Iterator[T]], out: Connection) -> None:
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

"""One serial lane for case work: database and store operations never run on the GUI thread.

Every user action submits a plain function (the same core function the CLI calls) to the
lane; results and errors come back to the GUI thread through Qt signals. Work runs one job
at a time, in order, so two actions never race on the case.
"""

from __future__ import annotations

import queue
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal


@dataclass
class Job:
    """A unit of work and what to do with its outcome (called on the GUI thread)."""

    name: str
    work: Callable[[], Any]
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException, str], None] | None = None


class _Runner(QThread):
    finished_job = Signal(object, object)  # job, result
    failed_job = Signal(object, object, str)  # job, exception, traceback text

    def __init__(self, jobs: queue.Queue[Job | None]) -> None:
        super().__init__()
        self._jobs = jobs

    def run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                result = job.work()
            except BaseException as exc:  # reported to the GUI, never lost on a console
                self.failed_job.emit(job, exc, traceback.format_exc())
            else:
                self.finished_job.emit(job, result)


class Lane(QObject):
    """The serial worker; ``busy_changed`` tells the window to show activity."""

    busy_changed = Signal(bool)
    error = Signal(str, str)  # job name, one-line message

    def __init__(self) -> None:
        super().__init__()
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._pending = 0
        self._runner = _Runner(self._jobs)
        self._runner.finished_job.connect(self._done)
        self._runner.failed_job.connect(self._failed)
        self._runner.start()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def submit(self, job: Job) -> None:
        """Queue a job; its callbacks run on the GUI thread."""
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        self._jobs.put(job)

    def _settle(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)

    def _done(self, job: Job, result: Any) -> None:
        try:
            if job.on_done is not None:
                job.on_done(result)
        finally:
            self._settle()

    def _failed(self, job: Job, exc: BaseException, trace: str) -> None:
        try:
            if job.on_error is not None:
                job.on_error(exc, trace)
            else:
                self.error.emit(job.name, str(exc) or type(exc).__name__)
        finally:
            self._settle()

    def shutdown(self) -> None:
        """Finish queued work and stop the thread."""
        self._jobs.put(None)
        self._runner.wait()

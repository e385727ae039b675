"""A case of 1,000,000 messages: the window opens and the messages table scrolls to the end
and filters within the issue's budget (first paint < 2 s, each step < 100 ms).

The budget is asserted with a factor of 3 for CI noise (shared runners, two cores); the
real figures are measured by bench/bench_gui.py and quoted in the README.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractSlider, QApplication
from pytestqt.qtbot import QtBot

from chain_of_custody.keys import Signer
from tests.workstation.gui.bulk_case import make_bulk_case
from workstation.gui.views import ReadOnlyTable
from workstation.gui.window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.slow]

MESSAGES = 1_000_000
CI_FACTOR = 3
FIRST_PAINT_S = 2.0 * CI_FACTOR
STEP_MS = 100.0 * CI_FACTOR


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory, signer: Signer) -> Path:
    folder = tmp_path_factory.mktemp("million") / "case"
    make_bulk_case(folder, signer, messages=MESSAGES, items=1000).close()
    return folder


@pytest.fixture
def opened(qtbot: QtBot, tmp_path: Path, million: Path) -> Iterator[tuple[MainWindow, float]]:
    started = time.perf_counter()
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.open_case(str(million))
    qtbot.waitUntil(lambda: window.evidence.messages.model is not None, timeout=30_000)
    window.repaint()
    first_paint = time.perf_counter() - started
    # Steps are measured in the steady state, as bench/bench_gui.py does: after the jobs the
    # open started (timeline, aliases, ledger size over the million messages) are done, and
    # with this test process's own heap (the thousand tests before it) out of the garbage
    # collector's full passes, as a fresh `ews gui` process has it (run_gui freezes its
    # start-up heap). Before, a step that a job's result or a full collection landed in
    # took ~0.4 s in CI: filtering once, clearing the filter once.
    window.wait_idle(QApplication.instance(), timeout_s=120)
    gc.freeze()
    try:
        yield window, first_paint
    finally:
        gc.unfreeze()
        window.lane.shutdown()


#: Milliseconds each step spent in the garbage collector (by generation), printed with a
#: failed budget so that an outlier tells whether a collection caused it.
GC_MS: list[dict[int, float]] = []


def step_ms(table: ReadOnlyTable, action: Callable[[], object]) -> float:
    """One user step, timed until the table has repainted."""
    spent: dict[int, float] = {}
    began = 0.0

    def watch(phase: str, info: dict[str, int]) -> None:
        nonlocal began
        if phase == "start":
            began = time.perf_counter()
        else:
            gen = info["generation"]
            spent[gen] = spent.get(gen, 0.0) + (time.perf_counter() - began) * 1000

    gc.callbacks.append(watch)
    try:
        started = time.perf_counter()
        action()
        QApplication.sendPostedEvents()
        table.viewport().repaint()
        return (time.perf_counter() - started) * 1000
    finally:
        gc.callbacks.remove(watch)
        GC_MS.append(spent)


def visible_texts(table: ReadOnlyTable, column: int) -> list[str]:
    model = table.model()
    top = table.rowAt(0)
    bottom = table.rowAt(table.viewport().height() - 1)
    bottom = model.rowCount() - 1 if bottom < 0 else bottom
    return [str(model.index(r, column).data()) for r in range(top, bottom + 1)]


def test_a_million_messages_open_scroll_and_filter_in_budget(
    qtbot: QtBot, opened: tuple[MainWindow, float]
) -> None:
    window, first_paint = opened
    assert first_paint < FIRST_PAINT_S
    evidence = window.evidence
    evidence.tabs.setCurrentIndex(1)
    table = evidence.messages.table
    assert table.model().rowCount() == MESSAGES
    assert evidence.messages.count.text() == "1,000,000 messages"

    to_end = step_ms(table, table.scrollToBottom)
    assert to_end < STEP_MS
    assert visible_texts(table, 5)[-1].endswith(f"#{MESSAGES - 1}")  # the last message

    bar = table.verticalScrollBar()
    page_up = [
        step_ms(table, lambda: bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub))
        for _ in range(10)
    ]
    assert statistics.median(page_up) < STEP_MS
    assert max(page_up) < 2 * STEP_MS
    middle = step_ms(table, lambda: bar.setValue(bar.maximum() // 2))
    assert middle < STEP_MS

    box = evidence.messages.filter
    # Typed letter by letter, as a user does (and as bench/bench_gui.py measures); the last
    # letters leave a single match at the far end of the table.
    word = "#999999"
    GC_MS.clear()
    typed = [step_ms(table, partial(box.setText, word[:n])) for n in range(1, len(word) + 1)]
    why = f"steps {[round(t) for t in typed]} ms; in the garbage collector {GC_MS}"
    assert max(typed) < STEP_MS, why
    # Messages #999999, and found first: the scan goes on in idle steps.
    model = evidence.messages.model
    assert model is not None
    qtbot.waitUntil(lambda: not model.scanning, timeout=60_000)
    assert model.rowCount() == 1
    assert visible_texts(table, 5)[0].endswith("#999999")
    assert evidence.messages.count.text() == "1 message"
    GC_MS.clear()
    cleared = step_ms(table, lambda: box.setText(""))
    assert cleared < STEP_MS, f"{cleared:.0f} ms; in the garbage collector {GC_MS}"
    assert model.rowCount() == MESSAGES

"""GUI benchmark of the workstation issue: a case of 1,000,000 messages.

1. Generate the case (tests/workstation/gui/bulk_case.py): rows inserted straight into the
   tables in one transaction; there are no ledger entries per item or message, so the case
   measures the screens, not the chain of custody (``ews verify`` would call the rows
   unwitnessed).
2. In a fresh child process (offscreen Qt): the time from ``MainWindow()`` to the first
   paint with the case open (items and messages tables filled), and from process start.
3. Per step, on the Evidence screen's messages and items tables: scroll to the end, page
   down, page up, select a row (the preview pane filled), jump to a random row; type a
   filter a letter at a time; a filter that matches nothing (the worst case: the whole
   table is scanned, in idle steps). Each step is timed until the view has repainted.

Usage: python bench/bench_gui.py [--messages 1000000] [--items 100000] [--out bench/out]
The budget (issue 7): first paint < 2 s, each step < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _env(keys: Path) -> dict[str, str]:
    return {
        **os.environ,
        "EWS_DATA_DIR": str(keys),
        "EWS_PASSPHRASE": "bench",
        "EWS_EXAMINER": "BE",
        "EWS_INSECURE_TEST_KEYS": "1",  # a throwaway key with a short passphrase
        "QT_QPA_PLATFORM": "offscreen",
    }


def generate(folder: Path, messages: int, items: int) -> float:
    """Make the bulk case; seconds taken."""
    from chain_of_custody.keys import get_or_create_examiner
    from tests.workstation.gui.bulk_case import make_bulk_case

    signer = get_or_create_examiner("Bench Examiner", "BE")
    started = time.perf_counter()
    make_bulk_case(folder, signer, messages=messages, items=items).close()
    return time.perf_counter() - started


def _step(app: Any, view: Any, action: Any) -> float:
    """Milliseconds for one user step, until the view has repainted.

    Posted events (layout, scroll bar, update requests) are delivered, timers are not: a
    filter's background scan runs in timer steps between events, timed on their own.
    """
    started = time.perf_counter()
    action()
    app.sendPostedEvents()
    view.viewport().repaint()
    return (time.perf_counter() - started) * 1000


def _summary(ms: list[float]) -> dict[str, float]:
    return {
        "steps": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "max_ms": round(max(ms), 1),
    }


def measure_table(app: Any, table: Any, filter_box: Any, words: list[str]) -> dict[str, Any]:
    """Scroll and filter steps on one table."""
    from PySide6.QtWidgets import QAbstractSlider

    bar = table.verticalScrollBar()
    rng = random.Random(1)
    out: dict[str, Any] = {"rows": table.model().rowCount()}
    out["scroll_to_end"] = _summary([_step(app, table, table.scrollToBottom)])
    out["scroll_to_top"] = _summary([_step(app, table, table.scrollToTop)])
    out["page_down"] = _summary(
        [
            _step(
                app,
                table,
                lambda: bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepAdd),
            )
            for _ in range(50)
        ]
    )
    table.scrollToBottom()
    out["page_up_from_end"] = _summary(
        [
            _step(
                app,
                table,
                lambda: bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub),
            )
            for _ in range(50)
        ]
    )
    rows = table.model().rowCount()
    out["select_row_with_preview"] = _summary(
        [_step(app, table, lambda: table.selectRow(rng.randrange(rows))) for _ in range(30)]
    )
    out["random_jump"] = _summary(
        [
            _step(app, table, lambda: bar.setValue(rng.randrange(bar.maximum() + 1)))
            for _ in range(30)
        ]
    )
    typed: list[float] = []
    for word in words:
        for n in range(1, len(word) + 1):
            typed.append(_step(app, table, lambda w=word[:n]: filter_box.setText(w)))
        out[f"filter_rows_{word}"] = table.model().rowCount()
        scan = table.model().finish_scan()
        out[f"filter_matches_{word}"] = table.model().rowCount()
        if scan:
            out[f"filter_{word}_scan_step"] = _summary([s * 1000 for s in scan])
        out[f"filter_{word}_scroll_to_end"] = _summary([_step(app, table, table.scrollToBottom)])
        filter_box.setText("")
    out["filter_typing"] = _summary(typed)
    out["filter_no_match"] = _summary([_step(app, table, lambda: filter_box.setText("zqxj"))])
    started = time.perf_counter()
    scan = table.model().finish_scan()
    out["filter_no_match_full_scan_s"] = round(time.perf_counter() - started, 2)
    if scan:
        out["filter_no_match_scan_step"] = _summary([s * 1000 for s in scan])
    filter_box.setText("")
    return out


def measure(case_dir: Path) -> dict[str, Any]:
    """In this (fresh) process: first paint, then scroll and filter steps."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from workstation.gui.window import MainWindow

    imported = time.perf_counter()
    app = QApplication([])
    settings_file = Path(tempfile.mkdtemp()) / "settings.ini"
    started = time.perf_counter()
    window = MainWindow(QSettings(str(settings_file), QSettings.Format.IniFormat))
    window.show()
    window.open_case(str(case_dir))
    evidence = window.evidence
    while evidence.messages.model is None:
        app.processEvents()
        time.sleep(0.001)
    window.repaint()
    painted = time.perf_counter()
    result: dict[str, Any] = {
        "first_paint_s": round(painted - started, 3),
        "first_paint_from_process_start_s": round(painted - STARTED, 3),
        "imports_s": round(imported - STARTED, 3),
    }
    window.wait_idle(app, timeout_s=600)
    evidence.tabs.setCurrentIndex(1)
    app.processEvents()
    result["messages"] = measure_table(
        app, evidence.messages.table, evidence.messages.filter, ["station", "Contact 0000042"]
    )
    evidence.tabs.setCurrentIndex(0)
    app.processEvents()
    result["items"] = measure_table(app, evidence.table, evidence.filter, ["Contact 00042"])
    window.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-gui-"))
    keys = work / "keys"
    os.environ.update(_env(keys))
    case_dir = work / "case"
    shutil.rmtree(case_dir, ignore_errors=True)
    made = generate(case_dir, args.messages, args.items)
    load_before = os.getloadavg()  # the machine is shared: say how busy it was
    child = subprocess.run(
        [sys.executable, __file__, "--measure", str(case_dir)],
        env=_env(keys),
        check=True,
        capture_output=True,
        text=True,
    )
    result = {
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "case_messages": args.messages,  # "messages" and "items" below are the tables' steps
        "case_items": args.items,
        "generate_s": round(made, 1),
        **json.loads(child.stdout.strip().splitlines()[-1]),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gui.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

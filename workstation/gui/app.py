"""Starting the workstation, and the screenshot tour used by the README and the tests."""

from __future__ import annotations

import gc
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from workstation.gui.window import SCREENS, MainWindow


def _application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Evidence workstation")
    app.setOrganizationName("evidence-workstation")
    return app


def run_gui(case_dir: Path | None = None) -> int:
    """Open the window (on a case if given) and run until it is closed."""
    app = _application()
    window = MainWindow()
    window.show()
    # What exists now (modules, Qt wrappers, the schema) lives as long as the window: keep
    # the collector's full passes off it. A full pass walks every tracked object, and one
    # landing in a scroll or filter step (the background jobs after a case opens allocate
    # enough to trigger them) took 70-90 ms with this heap included.
    gc.freeze()
    if case_dir is not None:
        window.open_case(str(case_dir))
    return app.exec()


def run_tour(case_dir: Path, out_dir: Path) -> list[Path]:
    """Open each screen with the case loaded, save a PNG of each, and return their paths."""
    app = _application()
    # A layout of its own, in memory only: the tour shows the default layout every time.
    scratch = tempfile.TemporaryDirectory(prefix="ews-tour-")
    settings = QSettings(str(Path(scratch.name) / "tour.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.dialogs = False
    window.resize(1400, 860)
    window.show()
    window.open_case(str(case_dir))
    window.wait_idle(app)
    window.verify()
    window.wait_idle(app, timeout_s=600)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for index, name in enumerate(SCREENS):
        window.nav.setCurrentRow(index)
        if name == "Evidence":
            _select_interesting_item(window)
        if name == "People":
            window.people.tabs.setCurrentIndex(1)
            _select_link_with_messages(window)
        if name == "Timeline":
            _select_labelled_person(window)
        if name == "Exhibits":
            window.exhibits.details_form.tabs.setCurrentIndex(4)  # risk: the answers table
            _verify_last_bundle(window)
        if name == "Timeline" and window.timeline.chart.weeks:
            busiest = max(range(len(window.timeline.chart.weeks)), key=_week_size(window))
            window.timeline.chart.chosen = busiest
            window.timeline.show_week(busiest)
        window.wait_idle(app)
        path = out_dir / f"{index + 1:02d}-{name.lower()}.png"
        window.grab().save(str(path))
        saved.append(path)
    window.close()
    del settings
    scratch.cleanup()
    return saved


def _select_interesting_item(window: MainWindow) -> None:
    """Select a screenshot that has a near-duplicate (the preview shows its picture, EXIF and
    the copy), or else the item with the most extracted records (the preview shows a thread)."""
    model = window.evidence.model
    if model is None or model.rowCount() == 0:
        return
    best, best_score = 0, -1
    for row in range(min(model.rowCount(), 500)):
        record = model.row(row)
        if str(record[0]).startswith("Screenshot_") and str(record[1]).startswith("image/"):
            window.evidence.table.selectRow(row)
            if 'href="item:' in window.evidence.preview.toHtml():
                return
        if int(record[5] or 0) > best_score:
            best, best_score = row, int(record[5] or 0)
    window.evidence.table.selectRow(best)


def _select_link_with_messages(window: MainWindow) -> None:
    """A confirmed link whose accounts sent messages (shown below it), else the first such."""
    links = window.people.links
    first = None
    for row in range(min(links.model.rowCount(), 100)):
        links.table.selectRow(row)
        shown = links.messages.model
        if shown is None or shown.rowCount() == 0:
            continue
        chosen = links.current()
        if chosen is not None and chosen.status == "confirmed":
            return
        first = row if first is None else first
    links.table.selectRow(first or 0)


def _select_labelled_person(window: MainWindow) -> None:
    """The person the examiner labelled (the suspect in the demo), else the busiest."""
    model = window.timeline.model
    for row in range(model.rowCount()):
        if model.source(row)["label"]:
            window.timeline.table.selectRow(row)
            return


def _verify_last_bundle(window: MainWindow) -> None:
    """Show the check-by-check verification of the newest bundle in the export folder."""
    out = Path(window.exhibits.out.text())
    bundles = sorted(out.glob("*.zip"), key=lambda p: p.stat().st_mtime) if out.is_dir() else []
    if bundles:
        window.exhibits.verify(bundles[-1])


def _week_size(window: MainWindow) -> Callable[[int], int]:
    weeks = window.timeline.chart.weeks
    return lambda i: weeks[i].messages + weeks[i].calls

"""Timeline: the course of conduct of each alias group across platforms, a per-week chart
showing escalation, and the messages behind each bar (workstation.timeline)."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workstation.gui.chart import WeekBar, WeekChart
from workstation.gui.fmt import local_time
from workstation.gui.screens.messages import M, MessagesView
from workstation.gui.session import Session
from workstation.gui.views import ReadOnlyTable, RecordsModel

HEADERS = ["Person", "Accounts", "Messages", "Calls", "First contact", "Last contact"]


def week_bars(person: dict[str, Any], tz: str) -> list[WeekBar]:
    """The chart's bars from a person's ``as_json``, with threats counted per local week."""
    zone = ZoneInfo(tz)
    threats: dict[str, int] = {}
    for t in person["threats"]:
        if t["sent_at_utc"]:
            day = datetime.fromisoformat(t["sent_at_utc"].replace("Z", "+00:00")).astimezone(zone)
            monday = (day.date() - timedelta(days=day.weekday())).isoformat()
            threats[monday] = threats.get(monday, 0) + 1
    return [
        WeekBar(w["week_start"], w["messages"], w["calls"], threats.get(w["week_start"], 0))
        for w in person["per_week"]
    ]


def week_bounds(week_start: str, tz: str) -> tuple[str, str]:
    """The UTC sort keys of a local week's first instant and of the next week's."""
    zone = ZoneInfo(tz)
    monday = date.fromisoformat(week_start)
    bounds = []
    for day in (monday, monday + timedelta(days=7)):
        local = datetime(day.year, day.month, day.day, tzinfo=zone)
        bounds.append(local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000000Z"))
    return bounds[0], bounds[1]


class TimelineScreen(QWidget):
    """People (alias groups) on the left; the chosen one's chart, trend, threats and the
    messages of the clicked week."""

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.people: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        self.include_ungrouped = QCheckBox("Also show accounts that are in no alias group")
        self.include_ungrouped.toggled.connect(lambda _on: self.reload())
        layout.addWidget(self.include_ungrouped)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = RecordsModel(HEADERS)
        self.table = ReadOnlyTable(multi=False)
        self.table.setModel(self.model)
        self.table.set_widths((110, 150, 70, 45, 165, 165))
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        split.addWidget(self.table)
        right = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        self.chart = WeekChart()
        self.chart.week_clicked.connect(self.show_week)
        top_layout.addWidget(self.chart, 1)
        self.trend = QLabel("")
        self.trend.setWordWrap(True)
        self.trend.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top_layout.addWidget(self.trend)
        right.addWidget(top)
        self.details = QTextBrowser()
        right.addWidget(self.details)
        self.week_title = QLabel("Click a bar to see the messages behind it.")
        below = QWidget()
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.week_title)
        self.messages = MessagesView("Filter the week's messages")
        below_layout.addWidget(self.messages, 1)
        right.addWidget(below)
        right.setSizes([300, 140, 300])
        split.addWidget(right)
        split.setSizes([560, 720])
        layout.addWidget(split, 1)

    def load(self, session: Session) -> None:
        """Build the timeline on the lane and show it."""
        self.session = session
        self.reload()

    def reload(self) -> None:
        session = self.session
        if session is None:
            return
        ungrouped = self.include_ungrouped.isChecked()

        def work() -> dict[str, Any]:
            from workstation import timeline  # loaded on first use

            built = timeline.build(session.case, include_ungrouped=ungrouped)
            if not built.people and not ungrouped:
                built = timeline.build(session.case, include_ungrouped=True)
            return built.as_json()

        session.run("Build timeline", work, on_done=self._show)

    def _show(self, built: dict[str, Any]) -> None:
        assert self.session is not None
        tz = self.session.tz
        self.people = built["groups"]
        self.people.sort(key=lambda p: -(p["counts"]["messages"] + p["counts"]["calls"]))
        rows = []
        for p in self.people:
            name = p["label"] or (f"Group {p['id']}" if len(p["accounts"]) > 1 else "(no group)")
            cells = [
                name,
                ", ".join(p["accounts"]),
                f"{p['counts']['messages']:,}",
                f"{p['counts']['calls']:,}",
                local_time(p["first_contact"], tz),
                local_time(p["last_contact"], tz),
            ]
            rows.append((cells, "\n".join(p["accounts"]), p))
        self.model.set_rows(rows)
        self.table.resizeColumnToContents(0)  # the person's label, never cut short
        if rows:
            self.table.selectRow(0)

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        person = self.model.source(current.row())
        if person is None or self.session is None:
            return
        tz = self.session.tz
        name = person["label"] or ", ".join(person["accounts"][:2])
        self.chart.set_weeks(week_bars(person, tz), f"{name}: messages and calls per week")
        self.trend.setText(person["trend"]["text"])
        e = html.escape
        platforms = ", ".join(
            f"{e(k)} {sum(v.values())}" for k, v in person["counts"]["by_platform"].items()
        )
        out = [f"<p><b>By platform:</b> {platforms}</p>"]
        if person["threats"]:
            out.append(f"<p><b>Threat words ({len(person['threats'])}):</b></p><ul>")
            for t in person["threats"][:200]:
                out.append(
                    f"<li>{local_time(t['sent_at_utc'], tz)} · <b>{e(t['keyword'])}</b> · "
                    f"{e(t.get('excerpt', ''))}</li>"
                )
            out.append("</ul>")
        self.details.setHtml("".join(out))
        self.week_title.setText("Click a bar to see the messages behind it.")
        self.messages.show_messages(self.session.case, tz, M.sender_key.in_(person["accounts"]))

    def current_person(self) -> dict[str, Any] | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.source(index.row()) if index.isValid() else None

    def show_week(self, index: int) -> None:
        """Show the messages of the chosen person in one week (a clicked bar)."""
        person, session = self.current_person(), self.session
        if person is None or session is None or index >= len(self.chart.weeks):
            return
        week = self.chart.weeks[index]
        start, end = week_bounds(week.week_start, session.tz)
        self.week_title.setText(
            f"Week of {week.week_start} ({session.tz}): {week.messages} messages, "
            f"{week.calls} calls"
        )
        where = (
            M.sender_key.in_(person["accounts"])
            & (M.sent_at_sort >= start)
            & (M.sent_at_sort < end)
        )
        self.messages.show_messages(session.case, session.tz, where)

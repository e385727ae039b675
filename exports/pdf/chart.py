"""The per-week contact chart of one alias group (MG3 course of conduct)."""

from __future__ import annotations

from datetime import date
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart  # type: ignore[import-untyped]
from reportlab.graphics.charts.legends import Legend  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing, String  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]

from exports.context import WeekCount
from exports.pdf._fonts import LATIN, REGULAR
from exports.pdf.layout import WIDTH

CONTACT = colors.Color(0.20, 0.36, 0.62)
THREAT = colors.Color(0.78, 0.12, 0.10)


def _label(week_start: str) -> str:
    return date.fromisoformat(week_start).strftime("%d %b %y")


def _nice_top(peak: int) -> int:
    """A round axis maximum a little above the peak."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if peak <= step * 5:
            return max(step * ((peak + step - 1) // step), step)
    return peak


def weekly_chart(weeks: tuple[WeekCount, ...], height: float = 175) -> Any:
    """A bar per week: contacts (messages and calls) and, beside it, those judged threatening."""
    drawing = Drawing(WIDTH, height)
    regular = LATIN[REGULAR]
    chart = VerticalBarChart()
    chart.x, chart.y = 34, 34
    chart.width, chart.height = WIDTH - 44, height - 56
    contacts = [w.messages + w.calls for w in weeks] or [0]
    threats = [w.threats for w in weeks] or [0]
    chart.data = [contacts, threats]
    chart.groupSpacing = 2 if len(weeks) < 40 else 0.5
    chart.barSpacing = 0
    chart.bars[0].fillColor = CONTACT
    chart.bars[1].fillColor = THREAT
    chart.bars.strokeWidth = 0
    chart.barLabels.fontName = regular
    top = _nice_top(max(contacts))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top
    chart.valueAxis.valueStep = max(top // 5, 1)
    chart.valueAxis.labels.fontName = regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.gridStrokeColor = colors.Color(0.85, 0.85, 0.85)
    chart.valueAxis.visibleGrid = 1
    every = max(1, (len(weeks) + 13) // 14)
    chart.categoryAxis.categoryNames = [
        _label(w.week_start) if i % every == 0 else "" for i, w in enumerate(weeks)
    ] or [""]
    chart.categoryAxis.labels.fontName = regular
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 35
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.dy = -2
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 40, height - 6
    legend.columnMaximum = 1
    legend.deltax = 125
    legend.fontName = regular
    legend.fontSize = 7
    legend.colorNamePairs = [
        (CONTACT, "messages and calls per week"),
        (THREAT, "of which threatening"),
    ]
    drawing.add(legend)
    drawing.add(String(0, 2, "Week beginning (Monday, local time)", fontName=regular, fontSize=6.5))
    return drawing

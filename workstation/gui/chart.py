"""A per-week bar chart drawn with QPainter (QtCharts is not in PySide6-Essentials).

Bars are messages plus calls per week, threats marked in red above their week; a click on a
bar emits ``week_clicked(index)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR = QColor("#1f4e79")
CALLS = QColor("#6a9fcf")
CHOSEN = QColor("#e08a00")
THREAT = QColor("#b00020")
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 26, 40


@dataclass(frozen=True)
class WeekBar:
    """One week: its Monday (ISO date), messages, calls and threats."""

    week_start: str
    messages: int
    calls: int
    threats: int = 0


class WeekChart(QWidget):
    """Bars per week; click one to see the messages behind it."""

    week_clicked = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.weeks: list[WeekBar] = []
        self.chosen: int | None = None
        self.title = ""
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)

    def set_weeks(self, weeks: list[WeekBar], title: str) -> None:
        self.weeks, self.title, self.chosen = weeks, title, None
        self.update()

    def _plot(self) -> QRectF:
        return QRectF(
            MARGIN_LEFT,
            MARGIN_TOP,
            max(1, self.width() - MARGIN_LEFT - MARGIN_RIGHT),
            max(1, self.height() - MARGIN_TOP - MARGIN_BOTTOM),
        )

    def bar_at(self, x: float) -> int | None:
        """The index of the week under x, if any."""
        plot = self._plot()
        if not self.weeks or not plot.left() <= x <= plot.right():
            return None
        index = int((x - plot.left()) / (plot.width() / len(self.weeks)))
        return min(index, len(self.weeks) - 1)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.bar_at(event.position().x())
        if index is not None:
            self.chosen = index
            self.update()
            self.week_clicked.emit(index)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.bar_at(event.position().x())
        if index is None:
            self.setToolTip("")
            return
        w = self.weeks[index]
        self.setToolTip(
            f"Week of {w.week_start}: {w.messages} messages, {w.calls} calls"
            + (f", {w.threats} with threat words" if w.threats else "")
        )

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(MARGIN_LEFT, 17, self.title or "No weeks to show")
        painter.setFont(self.font())
        if not self.weeks:
            return
        plot = self._plot()
        top = max(max(w.messages + w.calls for w in self.weeks), 1)
        painter.setPen(QPen(QColor("#ccc")))
        for fraction in (0.0, 0.5, 1.0):
            y = plot.bottom() - fraction * plot.height()
            painter.drawLine(int(plot.left()), int(y), int(plot.right()), int(y))
            painter.drawText(
                QRectF(0, y - 8, MARGIN_LEFT - 6, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(round(top * fraction)),
            )
        slot = plot.width() / len(self.weeks)
        width = min(max(1.0, slot * 0.8), 48.0)
        label_every = max(1, int(90 / slot) + 1)
        for i, w in enumerate(self.weeks):
            x = plot.left() + i * slot + (slot - width) / 2
            h_msg = plot.height() * w.messages / top
            h_call = plot.height() * w.calls / top
            colour = CHOSEN if i == self.chosen else BAR
            painter.fillRect(QRectF(x, plot.bottom() - h_msg, width, h_msg), colour)
            painter.fillRect(QRectF(x, plot.bottom() - h_msg - h_call, width, h_call), CALLS)
            if w.threats:
                painter.setPen(QPen(THREAT))
                painter.setBrush(THREAT)
                painter.drawEllipse(
                    QRectF(x + width / 2 - 4, plot.bottom() - h_msg - h_call - 11, 8, 8)
                )
                painter.setBrush(Qt.BrushStyle.NoBrush)
            if i % label_every == 0:
                painter.setPen(QPen(QColor("#333")))
                painter.drawText(
                    QRectF(x - 45 + width / 2, plot.bottom() + 4, 90, 16),
                    Qt.AlignmentFlag.AlignHCenter,
                    w.week_start[5:] if i else w.week_start,
                )
        painter.setPen(QPen(QColor("#333")))
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 20, plot.width(), 16),
            Qt.AlignmentFlag.AlignLeft,
            "Weeks from Monday, case zone · dark: messages · light: calls · red: threat words",
        )
        painter.end()

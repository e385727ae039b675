"""A small, fast page layout drawn straight onto the reportlab canvas.

Platypus builds one object per paragraph and per table cell; a bundle has hundreds of
thousands of message lines, so the forms here are laid out by a :class:`Writer` that wraps
text with the font metrics, records drawing operations page by page as plain tuples, and
only then draws them, knowing the page count. Every page gets the same chrome: document
title, URN, bundle id and "Page x of y", and the "NOT FOR DISCLOSURE" bands where needed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from exports.pdf._fonts import BOLD, ITALIC, MONO, REGULAR, Fonts, fonts
from exports.pdf._page import _DRAWING, _FRAME, _LINE, _RECT, _RTEXT, _TEXT, draw_ops
from exports.pdf._text import fit, text_width, wrap_text

PAGE_W, PAGE_H = A4
LEFT = 18 * mm
RIGHT = PAGE_W - 18 * mm
WIDTH = RIGHT - LEFT
TOP = PAGE_H - 23 * mm
BOTTOM = 19 * mm

Color = tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)
GREY: Color = (0.38, 0.38, 0.38)
RULE: Color = (0.72, 0.72, 0.72)
SHADE: Color = (0.94, 0.94, 0.94)
HEAD: Color = (0.86, 0.88, 0.92)
RED: Color = (0.70, 0.05, 0.05)
WHITE: Color = (1.0, 1.0, 1.0)
MARK: Color = (0.62, 0.25, 0.0)
HIGHLIGHT: Color = (1.0, 0.95, 0.62)

FOR_COMPLETION = "[For completion by the officer]"
NOT_FOR_DISCLOSURE = "NOT FOR DISCLOSURE"


@dataclass(frozen=True)
class Style:
    font: str
    size: float
    leading: float
    color: Color = BLACK

    def marker(self) -> Style:
        """The same size, written as a for-completion marker."""
        return Style(ITALIC, self.size, self.leading, MARK)


BODY = Style(REGULAR, 9.5, 12.5)
BODY_BOLD = Style(BOLD, 9.5, 12.5)
BODY_ITALIC = Style(ITALIC, 9.5, 12.5, GREY)
SMALL = Style(REGULAR, 7.5, 9.4)
SMALL_BOLD = Style(BOLD, 7.5, 9.4)
SMALL_GREY = Style(REGULAR, 7, 8.6, GREY)
MONO_SMALL = Style(MONO, 6.8, 8.6)
H1 = Style(BOLD, 15, 20)
H2 = Style(BOLD, 11.5, 15)
H3 = Style(BOLD, 9.5, 13)
MARKER = BODY.marker()


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # points
    style: Style = SMALL


@dataclass(frozen=True)
class Meta:
    """What the chrome of every page says."""

    title: str
    urn: str
    bundle_id: str
    generated_at_utc: str
    tool: str
    for_disclosure: bool = True


class Writer:
    """Lays out one document; :meth:`render` turns it into PDF bytes."""

    def __init__(self) -> None:
        self.fonts = fonts()
        self.pages: list[list[tuple[Any, ...]]] = [[]]
        self.y = TOP

    # --- text measure ------------------------------------------------------------------

    def clean(self, text: str) -> str:
        return self.fonts.clean(text)

    def measure(self, text: str, style: Style) -> float:
        return text_width(text, self.fonts.face(style.font, text), style.size)

    def wrap(self, text: str, style: Style, width: float) -> list[str]:
        return wrap_text(text, self.fonts.face(style.font, text), style.size, width)

    # --- primitives ---------------------------------------------------------------------

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP

    def need(self, height: float) -> None:
        """Start a new page unless `height` points still fit on this one."""
        if self.y - height < BOTTOM and self.y < TOP:
            self.new_page()

    def space(self, height: float) -> None:
        self.y -= height
        if self.y < BOTTOM:
            self.new_page()

    def text(self, x: float, y: float, text: str, style: Style) -> None:
        self.pages[-1].append((_TEXT, style.font, style.size, style.color, x, y, text))

    def rtext(self, x: float, y: float, text: str, style: Style) -> None:
        self.pages[-1].append((_RTEXT, style.font, style.size, style.color, x, y, text))

    def rect(self, x: float, y: float, w: float, h: float, color: Color) -> None:
        self.pages[-1].append((_RECT, color, x, y, w, h))

    def frame(self, x: float, y: float, w: float, h: float, color: Color = GREY) -> None:
        self.pages[-1].append((_FRAME, color, x, y, w, h))

    def line(self, x1: float, y1: float, x2: float, y2: float, color: Color = RULE) -> None:
        self.pages[-1].append((_LINE, color, x1, y1, x2, y2))

    # --- blocks -------------------------------------------------------------------------

    def lines(
        self, lines: Sequence[str], style: Style, x: float = LEFT, bg: Color | None = None
    ) -> None:
        """Draw wrapped lines, breaking pages between lines."""
        for ln in lines:
            if self.y - style.leading < BOTTOM:
                self.new_page()
            if bg is not None:
                self.rect(x - 2, self.y - style.leading, RIGHT - x + 4, style.leading, bg)
            self.text(x, self.y - style.size, ln, style)
            self.y -= style.leading

    def para(
        self,
        text: str | None,
        style: Style = BODY,
        x: float = LEFT,
        width: float | None = None,
        after: float = 3,
    ) -> None:
        """A wrapped paragraph; None prints the for-completion marker."""
        if text is None:
            text, style = FOR_COMPLETION, style.marker()
        lines = self.wrap(self.clean(text), style, width if width is not None else RIGHT - x)
        self.need(min(len(lines), 2) * style.leading)
        self.lines(lines, style, x)
        self.y -= after

    def heading(self, text: str, level: int = 1) -> None:
        style = {1: H1, 2: H2}.get(level, H3)
        before = {1: 0.0, 2: 8.0}.get(level, 5.0)
        if self.y < TOP:
            self.y -= before
        self.need(style.leading + 4 * BODY.leading)
        for ln in self.wrap(self.clean(text), style, WIDTH):
            self.text(LEFT, self.y - style.size, ln, style)
            self.y -= style.leading
        if level <= 2:
            self.line(LEFT, self.y + 1, RIGHT, self.y + 1, RULE if level == 2 else BLACK)
            self.y -= 4
        else:
            self.y -= 1

    def bullets(self, items: Iterable[str], style: Style = BODY, or_missing: bool = False) -> None:
        """A bulleted list; with ``or_missing``, an empty list prints the for-completion marker."""
        items = list(items)
        if not items and or_missing:
            self.para(None)
            return
        for item in items:
            lines = self.wrap(self.clean(item), style, WIDTH - 12)
            self.need(style.leading)
            self.text(LEFT + 2, self.y - style.size, "•", style)
            self.lines(lines, style, LEFT + 12)
            self.y -= 1.5
        self.y -= 2

    def fields(self, rows: Iterable[tuple[str, str | None]], label_width: float = 46 * mm) -> None:
        """Label: value rows; a None value prints the for-completion marker."""
        cols = (Column("", label_width, SMALL_BOLD), Column("", WIDTH - label_width, BODY))
        self._rows(cols, [(label, value) for label, value in rows], zebra=False, ruled=False)
        self.y -= 4

    def table(
        self, columns: Sequence[Column], rows: Iterable[Sequence[str | None]], zebra: bool = True
    ) -> None:
        """A ruled table whose header repeats on every page it runs onto."""
        self._rows(columns, rows, zebra=zebra, ruled=True, header=True)
        self.y -= 6

    def box(self, text: str, style: Style = BODY, pad: float = 6) -> None:
        """A framed block (declarations); kept on one page when it fits."""
        lines = self.wrap(self.clean(text), style, WIDTH - 2 * pad)
        height = len(lines) * style.leading + 2 * pad
        self.need(height)
        if height <= TOP - BOTTOM:
            self.frame(LEFT, self.y - height, WIDTH, height)
            self.y -= pad
            self.lines(lines, style, LEFT + pad)
            self.y -= pad + 6
        else:
            self.lines(lines, style)

    def drawing(self, drawing: Any) -> None:
        height = float(drawing.height)
        self.need(height)
        self.pages[-1].append((_DRAWING, drawing, LEFT, self.y - height))
        self.y -= height + 4

    # --- rows of cells ------------------------------------------------------------------

    def _header(self, columns: Sequence[Column], pad: float) -> None:
        wrapped = [self.wrap(self.clean(c.title), SMALL_BOLD, c.width - 2 * pad) for c in columns]
        height = max(len(w) for w in wrapped) * SMALL_BOLD.leading + 2 * pad
        self.rect(LEFT, self.y - height, sum(c.width for c in columns), height, HEAD)
        x = LEFT
        for col, lines in zip(columns, wrapped, strict=True):
            y = self.y - pad
            for ln in lines:
                self.text(x + pad, y - SMALL_BOLD.size, ln, SMALL_BOLD)
                y -= SMALL_BOLD.leading
            x += col.width
        self.y -= height

    def _rows(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[str | None]],
        zebra: bool,
        ruled: bool,
        header: bool = False,
        pad: float = 2.5,
    ) -> None:
        leading = max(c.style.leading for c in columns)
        total_w = sum(c.width for c in columns)
        if header:
            self.need(3 * leading + 4 * pad)
            self._header(columns, pad)
        for index, row in enumerate(rows):
            cells: list[tuple[list[str], Style]] = []
            for col, value in zip(columns, row, strict=True):
                style = col.style if value is not None else col.style.marker()
                text = self.clean(value) if value is not None else FOR_COMPLETION
                cells.append((self.wrap(text, style, col.width - 2 * pad), style))
            n = max(len(lines) for lines, _ in cells)
            start = 0
            while start < n:
                avail = int((self.y - BOTTOM - 2 * pad) // leading)
                if avail < min(n - start, 3) and self.y < TOP - (40 if header else 0):
                    self.new_page()
                    if header:
                        self._header(columns, pad)
                    continue
                take = max(min(avail, n - start), 1)
                height = take * leading + 2 * pad
                if zebra and index % 2:
                    self.rect(LEFT, self.y - height, total_w, height, SHADE)
                x = LEFT
                for col, (lines, style) in zip(columns, cells, strict=True):
                    y = self.y - pad
                    for ln in lines[start : start + take]:
                        self.text(x + pad, y - style.size, ln, style)
                        y -= leading
                    x += col.width
                if ruled:
                    self.line(LEFT, self.y - height, LEFT + total_w, self.y - height)
                self.y -= height
                start += take

    # --- output -------------------------------------------------------------------------

    def render(self, meta: Meta) -> bytes:
        """Draw every recorded page with its chrome; deterministic bytes."""
        buf = io.BytesIO()
        canvas = Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
        canvas.setTitle(meta.title)
        canvas.setAuthor(meta.tool)
        canvas.setCreator(meta.tool)
        canvas.setSubject(f"URN {meta.urn} · bundle {meta.bundle_id}")
        stamp = _pdf_date(meta.generated_at_utc)
        canvas.setDateFormatter(lambda *_: stamp)
        total = len(self.pages)
        meta = replace(meta, title=self.clean(meta.title), urn=self.clean(meta.urn))
        for number, ops in enumerate(self.pages, 1):
            _chrome(canvas, self.fonts, meta, number, total)
            draw_ops(canvas, self.fonts, ops)
            canvas.showPage()
        canvas.save()
        return buf.getvalue()


def _pdf_date(utc: str) -> str:
    return datetime.fromisoformat(utc).strftime("D:%Y%m%d%H%M%S+00'00'")


def _chrome(canvas: Any, f: Fonts, meta: Meta, number: int, total: int) -> None:
    if not meta.for_disclosure:
        band = f"{NOT_FOR_DISCLOSURE}  ·  {NOT_FOR_DISCLOSURE}"
        for y in (PAGE_H - 8 * mm, 0):
            canvas.setFillColorRGB(*RED)
            canvas.rect(0, y, PAGE_W, 8 * mm, stroke=0, fill=1)
            canvas.setFillColorRGB(*WHITE)
            canvas.setFont(f.latin[BOLD], 10)
            canvas.drawCentredString(PAGE_W / 2, y + 2.9 * mm, band)
    head = PAGE_H - 14 * mm
    urn = f"URN {meta.urn}"
    canvas.setFillColorRGB(*BLACK)
    face = f.face(BOLD, urn)
    canvas.setFont(face, 8.5)
    canvas.drawRightString(RIGHT, head, urn)
    title_room = WIDTH - stringWidth(urn, face, 8.5) - 24
    face = f.face(BOLD, meta.title)
    canvas.setFont(face, 8.5)
    x = LEFT
    for run_font, run in f.runs(face, fit(meta.title, face, 8.5, title_room)):
        canvas.setFont(run_font, 8.5)  # an emoji in the title: from the symbol font
        canvas.drawString(x, head, run)
        x += stringWidth(run, run_font, 8.5)
    canvas.setStrokeColorRGB(*GREY)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT, head - 3, RIGHT, head - 3)
    foot = 12 * mm
    canvas.line(LEFT, foot + 9, RIGHT, foot + 9)
    ids = f"Bundle {meta.bundle_id}  ·  URN {meta.urn}"
    canvas.setFont(f.face(REGULAR, ids), 7.5)
    canvas.drawString(LEFT, foot, ids)
    canvas.setFont(f.latin[BOLD], 8.5)
    canvas.drawRightString(RIGHT, foot, f"Page {number} of {total}")

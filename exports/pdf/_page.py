"""Drawing a page's recorded operations as raw PDF operators."""

from __future__ import annotations

from typing import Any

from reportlab.graphics import renderPDF  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import getFont  # type: ignore[import-untyped]

from exports.pdf._fonts import Fonts
from exports.pdf._text import text_width

Color = tuple[float, float, float]

# Drawing operations, recorded per page by the Writer and drawn once the page count is known.
_TEXT, _RTEXT, _RECT, _LINE, _DRAWING, _FRAME = range(6)


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


_RGB: dict[tuple[Color, str], str] = {}


def _rgb(color: Color, op: str) -> str:
    text = _RGB.get((color, op))
    if text is None:
        text = _RGB[(color, op)] = f"{_num(color[0])} {_num(color[1])} {_num(color[2])} {op}"
    return text


def draw_ops(canvas: Any, f: Fonts, ops: list[tuple[Any, ...]]) -> None:
    """Write the page's operations as raw PDF operators (drawString is ~10x slower)."""
    doc = canvas._doc
    escape = canvas._escape
    code: list[str] = ["0.4 w"]
    add = code.append
    in_text = False
    font: tuple[str, float] | None = None
    fill: Color | None = None
    stroke: Color | None = None
    latin, wide_names = f.latin, frozenset(f.wide.values())
    tf: dict[tuple[str, float], str] = {}
    for op in ops:
        kind = op[0]
        if kind <= _RTEXT:
            _, face, size, color, x, y, text = op
            ascii_text = text.isascii()
            name = latin[face] if ascii_text else f.face(face, text)
            if not in_text:
                add("BT")
                in_text, font = True, None
            if fill != color:
                add(_rgb(color, "rg"))
                fill = color
            if kind == _RTEXT:
                x -= text_width(text, name, size)
            add(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
            if not ascii_text and name in wide_names:
                for run_font, run in f.runs(name, text):  # emoji in the symbol font
                    ttf = getFont(run_font)
                    for subset, chunk in ttf.splitString(run, doc):
                        add(f"{ttf.getSubsetInternalName(subset, doc)} {_num(size)} Tf")
                        add(f"({escape(chunk)}) Tj")
                font = None
                continue
            if font != (name, size):
                key = (name, size)
                add(
                    tf.get(key)
                    or tf.setdefault(key, f"{doc.getInternalFontName(name)} {_num(size)} Tf")
                )
                font = key
            add(f"({escape(text.encode('cp1252'))}) Tj")
            continue
        if in_text:
            add("ET")
            in_text = False
        if kind == _RECT:
            _, color, x, y, w, h = op
            if fill != color:
                add(_rgb(color, "rg"))
                fill = color
            add(f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re f")
        elif kind in (_LINE, _FRAME):
            color = op[1]
            if stroke != color:
                add(_rgb(color, "RG"))
                stroke = color
            a, b, c, d = op[2:]
            add(
                f"{a:.2f} {b:.2f} m {c:.2f} {d:.2f} l S"
                if kind == _LINE
                else f"{a:.2f} {b:.2f} {c:.2f} {d:.2f} re S"
            )
        else:
            canvas._code.append("\n".join(code))
            code.clear()
            _, drawing, x, y = op
            renderPDF.draw(drawing, canvas, x, y)
            fill = stroke = None
            add("0.4 w")
    if in_text:
        add("ET")
    canvas._code.append("\n".join(code))

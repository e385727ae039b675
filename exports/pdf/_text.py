"""Text measure and line breaking by the fonts' metrics (fast paths for the standard fonts)."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import getFont, stringWidth  # type: ignore[import-untyped]

from exports.pdf._fonts import fonts

_T1_WIDTHS: dict[str, tuple[float, ...]] = {}


def text_width(text: str, font: str, size: float) -> float:
    """stringWidth, with the standard fonts' widths summed here (the encode in reportlab's
    own path costs more than the sum)."""
    table = _T1_WIDTHS.get(font)
    if table is None:
        f = getFont(font)
        if f._dynamicFont:
            return sum(float(stringWidth(t, name, size)) for name, t in fonts().runs(font, text))
        table = _T1_WIDTHS[font] = tuple(f.widths)
    return sum(map(table.__getitem__, text.encode("cp1252"))) * size / 1000


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """Pieces of a word too long for a line (hashes, paths), each the longest that fits."""
    if font == "Courier":  # fixed pitch: every character is 0.6 em wide
        n = max(int(width / (0.6 * size)), 1)
        return [word[i : i + n] for i in range(0, len(word), n)]
    pieces: list[str] = []
    while text_width(word, font, size) > width and len(word) > 1:
        lo, hi = 1, len(word) - 1  # the longest prefix that fits, by bisection
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if text_width(word[:mid], font, size) <= width:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(word[:lo])
        word = word[lo:]
    pieces.append(word)
    return pieces


_WORD_WIDTHS: dict[str, dict[str, float]] = {}


def _word_width(word: str, font: str, size: float) -> float:
    """Width of a word, cached per font at size 1 (chat text repeats its words)."""
    cache = _WORD_WIDTHS.setdefault(font, {})
    w = cache.get(word)
    if w is None:
        if len(cache) > 200_000:
            cache.clear()
        w = cache[word] = text_width(word, font, 1.0)
    return w * size


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap by the font's metrics; words longer than a line break by character."""
    out: list[str] = []
    for para in text.split("\n"):
        if text_width(para, font, size) <= width:
            out.append(para)
            continue
        space = _word_width(" ", font, size)
        line, used = "", 0.0
        for word in para.split(" "):
            w = _word_width(word, font, size)
            if line and used + space + w <= width:
                line, used = f"{line} {word}", used + space + w
                continue
            if line:
                out.append(line)
            if w <= width:
                line, used = word, w
            else:
                pieces = _break_word(word, font, size, width)
                out.extend(pieces[:-1])
                line = pieces[-1]
                used = text_width(line, font, size)
        out.append(line)
    return out


def fit(text: str, font: str, size: float, width: float) -> str:
    """The text cut with an ellipsis so it fits on one line."""
    if text_width(text, font, size) <= width:
        return text
    while text and text_width(text + "…", font, size) > width:
        text = text[: max(len(text) - 4, 0)]
    return text + "…"

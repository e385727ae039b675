"""The print fonts: four logical faces (regular, bold, italic, mono) in two families.

Text that Windows-1252 can encode (most of a bundle) is set in the PDF standard fonts
(Helvetica, Courier): nothing is embedded, so documents are small and fast to write. Any
other text (Cyrillic, Greek, symbols, some emoji) is set in DejaVu Sans where the system has
it, else Bitstream Vera (shipped with reportlab), embedded as subsets. The choice is made
per string, the same way when measuring and drawing, so the same document always gives the
same bytes.

Emoji and other symbols DejaVu lacks are drawn from Symbola (Debian's ``fonts-symbola``:
monochrome outlines of Unicode 9's emoji), in runs within the same line, where the system
has it. A character no font here can draw (newer emoji, CJK) is written
``[U+1F97A FACE WITH PLEADING EYES]`` instead of a blank box: the reader sees which character
the message held, and the native original holds it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from pathlib import Path

import reportlab  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics, ttfonts  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]

# Logical faces: styles name these; a family maps them to registered fonts.
REGULAR = "regular"
BOLD = "bold"
ITALIC = "italic"
MONO = "mono"

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_VERA = Path(reportlab.__file__).parent / "fonts"
_TTF_CHOICES = (
    (
        _DEJAVU,
        {
            REGULAR: "DejaVuSans.ttf",
            BOLD: "DejaVuSans-Bold.ttf",
            ITALIC: "DejaVuSans-Oblique.ttf",
            MONO: "DejaVuSansMono.ttf",
        },
    ),
    (_VERA, {REGULAR: "Vera.ttf", BOLD: "VeraBd.ttf", ITALIC: "VeraIt.ttf", MONO: "Vera.ttf"}),
)
#: Symbols and emoji (monochrome), for every logical face: Debian's fonts-symbola.
_SYMBOLS = (
    Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),
    Path("/usr/share/fonts/truetype/symbola/Symbola.ttf"),
)
_CONTROL = {c: " " for c in range(32) if c != 10} | {0x7F: " "}


@dataclass(frozen=True)
class Fonts:
    latin: Mapping[str, str]  # logical face -> standard font
    wide: Mapping[str, str]  # logical face -> embedded TrueType font
    covered: frozenset[int]  # code points the embedded regular face draws
    symbols: str | None = None  # embedded font for what ``covered`` lacks (emoji), if any
    symbol_covered: frozenset[int] = frozenset()  # code points only ``symbols`` draws

    def runs(self, font: str, text: str) -> list[tuple[str, str]]:
        """(font, text) pieces of a string set in a wide ``font``: symbols in their font."""
        symbols, covered = self.symbols, self.covered
        if symbols is None or all(ord(ch) in covered for ch in text):
            return [(font, text)]
        runs = groupby(text, key=lambda ch: font if ord(ch) in covered else symbols)
        return [(name, "".join(chars)) for name, chars in runs]

    def clean(self, text: str) -> str:
        """The text as it will be printed: control characters as spaces, missing glyphs named."""
        if text.isascii():
            return text if text.isprintable() else text.translate(_CONTROL)
        text = text.translate(_CONTROL)
        try:
            text.encode("cp1252")
        except UnicodeEncodeError:
            return _spell_missing(text, self.covered | self.symbol_covered)
        return text

    def face(self, logical: str, text: str) -> str:
        """The registered font that prints `text` (already cleaned) in the logical face."""
        if text.isascii():
            return self.latin[logical]
        try:
            text.encode("cp1252")
        except UnicodeEncodeError:
            return self.wide[logical]
        return self.latin[logical]


def _spell_missing(text: str, covered: frozenset[int]) -> str:
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if code in covered or ch == "\n":
            out.append(ch)
        elif code in (0x200D, 0xFE0E, 0xFE0F):
            continue  # joiners and variation selectors: invisible, named by their neighbours
        else:
            name = unicodedata.name(ch, "")
            out.append(f"[U+{code:04X}{' ' + name if name else ''}]")
    return "".join(out)


LATIN = {REGULAR: "Helvetica", BOLD: "Helvetica-Bold", ITALIC: "Helvetica-Oblique", MONO: "Courier"}


def _utf16_hex(code: int) -> str:
    """A code point as UTF-16BE hex: a surrogate pair above the Basic Multilingual Plane."""
    if code < 0x10000:
        return f"{code:04X}"
    code -= 0x10000
    return f"{0xD800 + (code >> 10):04X}{0xDC00 + (code & 0x3FF):04X}"


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """The ToUnicode CMap of an embedded subset (PDF 1.7 §9.10.3), which tells readers what
    text each glyph is, for search and copy. reportlab's own writes every code point as four
    hex digits, so an emoji (U+1F52A) copies out as two wrong characters; here code points
    above U+FFFF are written as UTF-16 surrogate pairs, as the specification requires."""
    pairs = [f"<{i:02X}> <{_utf16_hex(code)}>" for i, code in enumerate(subset)]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            f"/CIDSystemInfo << /Registry ({fontname}) /Ordering ({fontname}) /Supplement 0 >> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *pairs,
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


@lru_cache(maxsize=1)
def fonts() -> Fonts:
    """Register the embedded faces once per process."""
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # see _to_unicode_cmap
    for folder, files in _TTF_CHOICES:
        if all((folder / f).is_file() for f in files.values()):
            faces = {}
            for logical, f in files.items():
                faces[logical] = TTFont(f"EWS-{f.removesuffix('.ttf')}", str(folder / f))
                pdfmetrics.registerFont(faces[logical])
            covered = frozenset(faces[REGULAR].face.charToGlyph)
            wide = {k: v.fontName for k, v in faces.items()}
            for path in _SYMBOLS:
                if path.is_file():
                    symbols = TTFont("EWS-Symbola", str(path))
                    pdfmetrics.registerFont(symbols)
                    # Letters and digits stay DejaVu's; Symbola draws only what it lacks.
                    only = frozenset(symbols.face.charToGlyph) - covered
                    return Fonts(LATIN, wide, covered, symbols.fontName, only)
            return Fonts(LATIN, wide, covered)
    raise FileNotFoundError("no print font found (DejaVu Sans or reportlab's Vera)")

"""The print fonts: four logical faces (regular, bold, italic, mono) in two families.

Text that Windows-1252 can encode (most of a bundle) is set in the PDF standard fonts
(Helvetica, Courier): nothing is embedded, so documents are small and fast to write. Any
other text (Cyrillic, Greek, symbols, some emoji) is set in DejaVu Sans where the system has
it, else Bitstream Vera (shipped with reportlab), embedded as subsets. The choice is made
per string, the same way when measuring and drawing, so the same document always gives the
same bytes.

A character neither family can draw (most emoji, CJK) is written ``[U+1F621 POUTING FACE]``
instead of a blank box: the reader sees which character the message held, and the native
original holds it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import reportlab  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
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
_CONTROL = {c: " " for c in range(32) if c != 10} | {0x7F: " "}


@dataclass(frozen=True)
class Fonts:
    latin: Mapping[str, str]  # logical face -> standard font
    wide: Mapping[str, str]  # logical face -> embedded TrueType font
    covered: frozenset[int]  # code points the embedded regular face draws

    def clean(self, text: str) -> str:
        """The text as it will be printed: control characters as spaces, missing glyphs named."""
        if text.isascii():
            return text if text.isprintable() else text.translate(_CONTROL)
        text = text.translate(_CONTROL)
        try:
            text.encode("cp1252")
        except UnicodeEncodeError:
            return _spell_missing(text, self.covered)
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


@lru_cache(maxsize=1)
def fonts() -> Fonts:
    """Register the embedded faces once per process."""
    for folder, files in _TTF_CHOICES:
        if all((folder / f).is_file() for f in files.values()):
            faces = {}
            for logical, f in files.items():
                faces[logical] = TTFont(f"EWS-{f.removesuffix('.ttf')}", str(folder / f))
                pdfmetrics.registerFont(faces[logical])
            covered = frozenset(faces[REGULAR].face.charToGlyph)
            return Fonts(LATIN, {k: v.fontName for k, v in faces.items()}, covered)
    raise FileNotFoundError("no print font found (DejaVu Sans or reportlab's Vera)")

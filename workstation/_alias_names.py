"""Folding names and handles for alias grouping: case, accents, confusables, separators and
repeated letters; the blocking keys and similarity score built on the folded form."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

# Look-alike letters that NFKD does not fold, mapped to the Latin letter they imitate. The
# Cyrillic and Greek rows are the letters used to dodge blocks ("Dаn" with a Cyrillic а);
# the Latin rows are letters without a decomposition (ø, ł, ı, đ). Deliberately small and
# documented rather than the whole Unicode confusables table: each row must be a letter a
# reader would take for the Latin one in a display name.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "У": "y", "Х": "x", "І": "i", "Ј": "j", "Ѕ": "s",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "Α": "a", "Β": "b", "Ε": "e", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m",
    "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x", "Ζ": "z",
    # Latin letters without a decomposition
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ı": "i", "đ": "d", "Đ": "d", "ħ": "h", "ß": "ss",
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "ð": "d",
}  # fmt: skip
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_REPEATS = re.compile(r"([a-z])\1+")
_DIGITS = re.compile(r"\d")
_LETTERS_ONLY = re.compile(r"[^a-z]+")
#: Block keys shorter than this are too unspecific to compare names on ("al", "jo").
MIN_KEY_LETTERS = 3


@lru_cache(maxsize=1 << 18)
def fold_name(text: str) -> str:
    """A name or handle folded for comparison: confusables mapped, accents dropped, case
    folded, separators to single spaces, repeated letters collapsed ("Dаnny  Mercerr" →
    "dany mercer")."""
    mapped = "".join(_CONFUSABLES.get(ch, ch) for ch in unicodedata.normalize("NFKD", text))
    plain = "".join(ch for ch in mapped if not unicodedata.combining(ch)).casefold()
    plain = "".join(_CONFUSABLES.get(ch, ch) for ch in plain)  # a few only fold after casefold
    spaced = _NOT_ALNUM.sub(" ", plain).strip()
    return _REPEATS.sub(r"\1", spaced)


@lru_cache(maxsize=1 << 18)
def is_name(text: str | None) -> bool:
    """True if the text can be compared as a name (not empty, not a phone number or id)."""
    if not text:
        return False
    folded = fold_name(text)
    letters = len(_LETTERS_ONLY.sub("", folded))
    return letters >= 1 and len(_DIGITS.findall(folded)) < 5


@lru_cache(maxsize=1 << 18)
def name_keys(folded: str) -> frozenset[str]:
    """Blocking keys of a folded name: each word of three letters or more, and all its
    letters run together ("dan mercer" → dan, mercer, danmercer), so that handles written
    without separators ("danmercer.x") meet the spaced name."""
    keys = set()
    words = [_LETTERS_ONLY.sub("", w) for w in folded.split()]
    for w in words:
        if len(w) >= MIN_KEY_LETTERS:
            keys.add(w)
    joined = "".join(words)
    if len(joined) >= MIN_KEY_LETTERS:
        keys.add(joined)
    return frozenset(keys)


@lru_cache(maxsize=1 << 18)
def folded_name(text: str | None) -> tuple[str, str] | None:
    """(folded, as written) of a display name or handle that can be compared as a name; an
    address or @handle counts by its local part. None for no name (empty, a number, an id)."""
    if not text:
        return None
    shown = text.strip()
    if "@" in shown:
        shown = shown.lstrip("@").split("@", 1)[0]
    return (fold_name(shown), shown) if is_name(shown) else None


@lru_cache(maxsize=1 << 18)
def name_similarity(a: str, b: str) -> float:
    """Similarity of two folded names, 0..1: the better of word-order-insensitive fuzzy
    matching and matching the names with their separators removed."""
    if not a or not b:
        return 0.0
    joined = fuzz.ratio(a.replace(" ", ""), b.replace(" ", ""))
    return max(fuzz.token_sort_ratio(a, b), joined) / 100.0


def similar_pairs(names: list[str], cutoff: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) of folded names at least ``cutoff`` similar (``name_similarity``),
    computed as two rapidfuzz matrices instead of a Python loop over pairs."""
    if len(names) < 2:
        return []
    limit = cutoff * 100
    spaced = process.cdist(names, names, scorer=fuzz.token_sort_ratio, score_cutoff=limit)
    joined_names = [n.replace(" ", "") for n in names]
    joined = process.cdist(joined_names, joined_names, scorer=fuzz.ratio, score_cutoff=limit)
    rows, cols = np.nonzero(np.maximum(spaced, joined))
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if i < j]


@lru_cache(maxsize=1 << 18)
def letters(folded: str) -> int:
    """How many letters a folded name has (short names are weak evidence)."""
    return len(_LETTERS_ONLY.sub("", folded))

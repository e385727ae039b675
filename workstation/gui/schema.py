"""The tables the screens read, taken from the models alone.

``workstation.queries`` holds the same names but imports the extractors (for the perceptual
hash neighbours), which costs a third of a second at start-up; the window needs only the
table objects.
"""

from __future__ import annotations

from chain_of_custody.case import T_BLOB, T_ITEM, T_WARN
from chain_of_custody.models import Extraction, ImageMetaRecord, LedgerEntry, MessageRecord

T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]
T_IMAGE = ImageMetaRecord.__table__  # type: ignore[attr-defined]
T_LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]

__all__ = ["T_BLOB", "T_EXTRACTION", "T_IMAGE", "T_ITEM", "T_LEDGER", "T_MESSAGE", "T_WARN"]

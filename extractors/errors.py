"""Errors of the extractors package."""

from __future__ import annotations


class ExtractorError(Exception):
    """Base class."""


class WrongFormat(ExtractorError):
    """Raised only while sniffing: this file is not the extractor's format."""


class DuplicateExtractor(ExtractorError):
    """Two extractors registered under one name."""


class ExtractionCancelled(ExtractorError):
    """The examiner cancelled; nothing of this extraction is recorded."""

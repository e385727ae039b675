"""Explicit registration of extractors: each module registers itself on its last line."""

from __future__ import annotations

from extractors.base import Extractor, Source
from extractors.errors import DuplicateExtractor

_REGISTRY: dict[str, Extractor] = {}


def register(extractor: Extractor) -> Extractor:
    """Add an extractor; a second one with the same name is an error."""
    if extractor.name in _REGISTRY:
        raise DuplicateExtractor(f"an extractor named {extractor.name!r} is already registered")
    _REGISTRY[extractor.name] = extractor
    return extractor


def _load_all() -> None:
    """Import every extractor module (each registers itself on its last line), once."""
    import extractors._all  # noqa: F401


def registered() -> list[Extractor]:
    """Every registered extractor, in name order (deterministic)."""
    _load_all()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def matching(source: Source) -> list[Extractor]:
    """The extractors whose sniff accepts this source."""
    found = []
    for extractor in registered():
        try:
            if extractor.sniff(source):
                found.append(extractor)
        except Exception:  # a sniff must never break ingest: "not mine"
            continue
    return found


def label(extractor: Extractor) -> str:
    """``name@version``, as recorded in the ledger."""
    return f"{extractor.name}@{extractor.version}"


def unregister(name: str) -> None:
    """Remove an extractor (for tests that register one of their own)."""
    _REGISTRY.pop(name, None)

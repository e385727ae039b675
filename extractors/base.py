"""The extractor contract: a cheap ``sniff`` and a generator ``extract(source, ctx)``.

Extractors are pure parsers: bytes in, records out. They never touch the database or the
store; ``ctx`` is their only way out (warnings, progress, cancellation, the device time
zone the examiner stated).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar, Protocol

from extractors.errors import ExtractionCancelled
from extractors.records import ExtractWarning, Locator, Record


@dataclass(frozen=True)
class Sibling:
    """A member of the same archive (e.g. the media files beside a WhatsApp chat)."""

    member: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Source:
    """One item to extract from: its identity, first bytes, and a way to read it."""

    sha256: str
    name: str
    path: str  # for humans: original path, or "archive.zip!/member"
    mime: str
    size: int
    head: bytes  # the first bytes (up to 64 KiB), for sniffing without I/O
    opener: Callable[[], BinaryIO] = field(repr=False)
    member: str | None = None  # path inside the parent archive, if any
    # Every member of the same archive (this one included), in archive order; empty for a
    # file that is not inside an archive. Media and profile pictures are found here.
    siblings: tuple[Sibling, ...] = ()
    # Reads another member of the same archive by its member path (e.g. a Discord
    # channel.json beside messages.json); None when the pipeline offers no such access.
    sibling_opener: Callable[[str], BinaryIO] | None = field(
        default=None, repr=False, compare=False
    )

    def open(self) -> BinaryIO:
        """The item's bytes, read-only."""
        return self.opener()

    def open_sibling(self, member: str) -> BinaryIO:
        """The bytes of another member of the same archive.

        Raises:
            KeyError: no such member, or sibling access is not available.
        """
        if self.sibling_opener is None:
            raise KeyError(member)
        return self.sibling_opener(member)

    def locate(
        self, *, line: int | None = None, offset: int | None = None, pointer: str | None = None
    ) -> Locator:
        """A locator for a place in this source."""
        return Locator(self.sha256, self.path, line, offset, pointer)


#: Environment variables that carry an examiner's secrets to the extractors, by secret name.
#: A value is a path to a key file (its bytes are used) or the key as text.
SECRET_VARIABLES = {"whatsapp_key": "EWS_WHATSAPP_KEY"}


def environment_secrets() -> dict[str, bytes]:
    """The secrets given through the environment (``EWS_WHATSAPP_KEY``), never recorded.

    ``ews ingest --whatsapp-key FILE|HEX`` sets the variable for its own run; the extraction
    worker processes inherit it. An unreadable key file is an error, not a silent "no key".
    """
    found: dict[str, bytes] = {}
    for name, variable in SECRET_VARIABLES.items():
        value = os.environ.get(variable, "").strip()
        if not value:
            continue
        if os.path.isfile(value):
            with open(value, "rb") as f:
                found[name] = f.read()
        else:
            found[name] = value.encode("utf-8")
    return found


class Context:
    """What an extractor may use of the outside world."""

    def __init__(
        self,
        tz: str = "Europe/London",
        region: str = "GB",
        cancelled: Callable[[], bool] | None = None,
        progress: Callable[[int], None] | None = None,
        secrets: Mapping[str, bytes] | None = None,
    ) -> None:
        self.tz = tz
        self.region = region
        # Keys the examiner gave for this run (e.g. ``whatsapp_key``: a WhatsApp backup's key
        # file or its 64-digit key), never recorded; empty when none were given.
        self.secrets: Mapping[str, bytes] = secrets or {}
        self._cancelled = cancelled or (lambda: False)
        self._progress = progress
        self.warnings: list[ExtractWarning] = []

    def warn(self, locator: Locator, message: str) -> ExtractWarning:
        """Record a problem inside a recognised file; returns the warning record to yield."""
        warning = ExtractWarning(locator=locator, message=message)
        self.warnings.append(warning)
        return warning

    def check_cancelled(self) -> None:
        """Raise ExtractionCancelled if the examiner cancelled."""
        if self._cancelled():
            raise ExtractionCancelled("extraction cancelled")

    def progress(self, units: int) -> None:
        """Report units of work (bytes or records) done."""
        if self._progress is not None:
            self._progress(units)


class Extractor(Protocol):
    """What every extractor module provides (one class per module, registered by name)."""

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str]

    def sniff(self, source: Source) -> bool:
        """Cheap and side-effect free: is this source in my format? (head and name only)"""
        ...

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        """Yield records in source order; warn through ctx and go on when damaged."""
        ...

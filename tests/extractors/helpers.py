"""Building extractor Sources from files, bytes or zip members, and running an extractor."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from chain_of_custody.acquire import mime_of
from extractors.base import Context, Extractor, Source
from extractors.records import Record

HEAD_BYTES = 1 << 16


def source_from_bytes(
    data: bytes,
    name: str,
    *,
    path: str | None = None,
    mime: str | None = None,
    member: str | None = None,
) -> Source:
    """A Source over bytes in memory; MIME by libmagic as at acquisition unless given."""
    head = data[:HEAD_BYTES]
    return Source(
        sha256=hashlib.sha256(data).hexdigest(),
        name=name,
        path=path or name,
        mime=mime or mime_of(head),
        size=len(data),
        head=head,
        opener=lambda: io.BytesIO(data),
        member=member,
    )


def source_from_file(path: Path, *, mime: str | None = None) -> Source:
    """A Source over a file on disk (read through a fresh handle each time it is opened)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
        digest.update(head)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return Source(
        sha256=digest.hexdigest(),
        name=path.name,
        path=str(path),
        mime=mime or mime_of(head),
        size=path.stat().st_size,
        head=head,
        opener=lambda: open(path, "rb"),
    )


def source_from_zip_member(zip_path: Path, member: str, *, mime: str | None = None) -> Source:
    """A Source over one member of a zip archive (its bytes held in memory)."""
    with zipfile.ZipFile(zip_path) as archive:
        data = archive.read(member)
    return source_from_bytes(
        data,
        member.rsplit("/", 1)[-1],
        path=f"{zip_path.name}!/{member}",
        mime=mime,
        member=member,
    )


def extract_all(extractor: Extractor, source: Source, ctx: Context | None = None) -> list[Record]:
    """Every record the extractor yields for the source."""
    return list(extractor.extract(source, ctx or Context()))

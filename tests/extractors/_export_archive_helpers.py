"""Sources for archive members with their siblings, as the pipeline builds them.

``SiblingSource`` adds ``open_sibling(member)``: the framework addition these extractors use
when present (proposed for ``extractors.base.Source``). ``readable=False`` gives what the
pipeline gives today: sibling names, sizes and hashes only.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from hypothesis import strategies as st

from chain_of_custody.canonical import canonical_bytes
from extractors.base import Context, Extractor, Sibling, Source
from extractors.records import ExtractWarning, Message, Record, record_to_canonical

HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class SiblingSource(Source):
    """A Source whose siblings' bytes can be read (the proposed ``open_sibling``)."""

    sibling_bytes: Mapping[str, bytes] = field(default_factory=dict, repr=False)

    def open_sibling(self, member: str) -> BinaryIO:
        """A sibling's bytes; KeyError if it is not a member of the same archive."""
        return io.BytesIO(self.sibling_bytes[member])


def member_sources(
    members: list[tuple[str, bytes]], archive: str, *, readable: bool = True
) -> dict[str, Source]:
    """One Source per member (in order), each seeing every member as a sibling."""
    siblings = tuple(Sibling(m, hashlib.sha256(d).hexdigest(), len(d)) for m, d in members)
    everything = dict(members)
    out: dict[str, Source] = {}
    for member, data in members:
        common = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "name": member.rsplit("/", 1)[-1],
            "path": f"{archive}!/{member}",
            "mime": "application/octet-stream",
            "size": len(data),
            "head": data[:HEAD_BYTES],
            "opener": (lambda d=data: io.BytesIO(d)),
            "member": member,
            "siblings": siblings,
        }
        out[member] = (
            SiblingSource(**common, sibling_bytes=everything) if readable else Source(**common)
        )
    return out


def zip_sources(zip_path: Path, *, readable: bool = True) -> dict[str, Source]:
    """Sources for every file member of a zip, in archive order."""
    with zipfile.ZipFile(zip_path) as archive:
        members = [(i.filename, archive.read(i)) for i in archive.infolist() if not i.is_dir()]
    return member_sources(members, zip_path.name, readable=readable)


def folder_sources(root: Path, archive: str, *, readable: bool = True) -> dict[str, Source]:
    """Sources for every file under ``root`` as if it were an archive (sorted member names)."""
    members = sorted(
        (p.relative_to(root).as_posix(), p.read_bytes()) for p in root.rglob("*") if p.is_file()
    )
    return member_sources(members, archive, readable=readable)


@st.composite
def mutated(draw: st.DrawFn, sample: bytes) -> bytes:
    """A valid sample damaged a few times: bytes flipped, deleted, inserted, or cut short."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at:]
    return bytes(data)


def run(extractor: Extractor, source: Source, ctx: Context | None = None) -> list[Record]:
    """Every record of one extraction; fails the test if anything but a storable Record
    comes out (the pipeline hashes each record's canonical UTF-8 JSON)."""
    records = list(extractor.extract(source, ctx or Context()))
    for record in records:
        assert isinstance(record, Record)
        canonical_bytes(record_to_canonical(record)).decode("utf-8")
    return records


def messages(records: list[Record]) -> list[Message]:
    """The Message records, in order."""
    return [r for r in records if isinstance(r, Message)]


def warnings(records: list[Record]) -> list[ExtractWarning]:
    """The warnings, in order."""
    return [r for r in records if isinstance(r, ExtractWarning)]


# --- case alpha ---------------------------------------------------------------------------

CASE_ALPHA = Path(__file__).resolve().parents[1] / "data" / "case_alpha"


def truth() -> dict[str, Any]:
    """The synthetic case's ground truth."""
    with open(CASE_ALPHA / "truth.json", encoding="utf-8") as f:
        loaded: dict[str, Any] = json.load(f)
    return loaded


def same_instant(a: str | None, b: str | None) -> bool:
    """Two RFC 3339 times name the same instant (``.840Z`` equals ``.840000Z``)."""
    if a is None or b is None:
        return a is b
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def assert_matches_truth(found: list[Message], expected: list[dict[str, Any]]) -> None:
    """Every truth message, in order, with nothing extra."""
    assert len(found) == len(expected)
    for index, (message, want) in enumerate(zip(found, expected, strict=True)):
        assert want["index"] == index
        where = f"{want['id']} (index {index})"
        assert message.sender_identifier == want["sender_identifier"], where
        assert same_instant(message.sent_at_utc, want["sent_at_utc"]), where
        assert message.kind == want["kind"], where
        assert message.text == want["text"], where
        if "attachments" in want:
            assert list(message.attachments) == want["attachments"], where
        if "edited" in want:
            assert message.edited == want["edited"], where
        if "message_id" in want:
            assert message.message_id == want["message_id"], where

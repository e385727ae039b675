"""Sources for every member of a "Download your information" zip, with their siblings, and
the comparison with the synthetic case's truth.json (shared by the Facebook and Instagram
extractor tests)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from extractors.base import Extractor, Sibling, Source
from extractors.records import Account, Message, Record, record_to_canonical
from tests.extractors.helpers import extract_all, source_from_bytes

CASE = Path(__file__).resolve().parents[1] / "data" / "case_alpha"
FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"


def archive_sources(zip_path: Path) -> list[Source]:
    """One Source per member, in archive order, each knowing all its siblings."""
    with zipfile.ZipFile(zip_path) as archive:
        members = [(i.filename, archive.read(i)) for i in archive.infolist() if not i.is_dir()]
    return sources_from_members(members, zip_path.name)


def sources_from_members(members: list[tuple[str, bytes]], archive: str) -> list[Source]:
    """Sources for (member path, bytes) pairs as if they were the members of ``archive``."""
    siblings = tuple(Sibling(m, hashlib.sha256(d).hexdigest(), len(d)) for m, d in members)
    return [
        dataclasses.replace(
            source_from_bytes(
                data,
                member.rsplit("/", 1)[-1],
                path=f"{archive}!/{member}",
                member=member,
                mime="application/json",
            ),
            siblings=siblings,
        )
        for member, data in members
    ]


def truth() -> dict[str, Any]:
    """The synthetic case's ground truth."""
    result: dict[str, Any] = json.loads((CASE / "truth.json").read_text(encoding="utf-8"))
    return result


def instant(text: str | None) -> datetime | None:
    """An RFC 3339 time as an aware datetime (so .657Z and .657000Z compare equal)."""
    return None if text is None else datetime.fromisoformat(text)


def split_attachments(message: Message) -> tuple[list[str], list[list[str]], list[str]]:
    """(files, [actor, reaction] pairs, shares) of a message; each reaction and share is
    checked to be canonical JSON text."""
    for entry in message.reactions + message.shares:
        obj = json.loads(entry)
        assert entry == json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    reactions = [[note["actor"], note["reaction"]] for note in map(json.loads, message.reactions)]
    return list(message.attachments), reactions, list(message.shares)


def compare_with_truth(extractor: Extractor, zip_name: str) -> tuple[int, list[Record]]:
    """Extract every member the extractor sniffs; assert each message equals truth.json.

    Returns the number of messages compared and every record.
    """
    data = truth()
    expected: dict[str, list[dict[str, Any]]] = {}
    for m in data["messages"]:
        if m["file"] == zip_name:
            expected.setdefault(m["member"], []).append(m)
    found: dict[str, list[Message]] = {}
    records: list[Record] = []
    for source in archive_sources(CASE / "evidence" / zip_name):
        if not extractor.sniff(source):
            continue
        out = extract_all(extractor, source)
        records.extend(out)
        messages = [r for r in out if isinstance(r, Message)]
        if messages:
            assert source.member is not None
            found[source.member] = messages
    assert sorted(found) == sorted(expected)
    compared = 0
    for member, want in expected.items():
        got = found[member]
        assert len(got) == len(want), member
        for message, truth_message in zip(got, sorted(want, key=lambda t: t["index"]), strict=True):
            files, reactions, _ = split_attachments(message)
            assert message.sender_identifier == truth_message["sender_identifier"], truth_message
            assert instant(message.sent_at_utc) == instant(truth_message["sent_at_utc"])
            assert message.kind == truth_message["kind"], truth_message
            assert message.text == truth_message["text"], truth_message
            assert files == truth_message.get("attachments", []), truth_message
            assert reactions == truth_message.get("reactions", []), truth_message
            assert message.edited == truth_message.get("edited", False)
            compared += 1
    for count in data["counts"]:
        if count["file"] == zip_name:
            kinds: dict[str, int] = {}
            for message in found[count["member"]]:
                kinds[message.kind] = kinds.get(message.kind, 0) + 1
            assert len(found[count["member"]]) == count["messages"]
            assert kinds == count["by_kind"]
    return compared, records


def account_names(records: list[Record], platform: str) -> set[str]:
    """Every display name and handle of the platform's Accounts."""
    names: set[str] = set()
    for r in records:
        if isinstance(r, Account) and r.platform == platform:
            names.update(n for n in (r.display_name, r.handle) if n)
    return names


def canonical(records: list[Record]) -> list[str]:
    """Records as canonical JSON lines (also proves they are storable as UTF-8)."""
    lines = []
    for r in records:
        line = json.dumps(record_to_canonical(r), ensure_ascii=False, sort_keys=True)
        line.encode("utf-8")
        lines.append(line)
    return lines

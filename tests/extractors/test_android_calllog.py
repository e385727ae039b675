"""Android calllog.db and the calls table of an older contacts2.db (generated fixtures)."""

from __future__ import annotations

from pathlib import Path

from extractors.android_calllog import AndroidCallLogExtractor
from extractors.records import Account, Call, Message
from tests.data.device_fixtures.android import make_calllog, make_contacts2
from tests.extractors.helpers import extract_all, source_from_file

EX = AndroidCallLogExtractor()


def calls(path: Path) -> tuple[list[Call], list[Message], list[Account]]:
    records = extract_all(EX, source_from_file(path))
    return (
        [r for r in records if isinstance(r, Call)],
        [r for r in records if isinstance(r, Message)],
        [r for r in records if isinstance(r, Account)],
    )


def test_calllog(tmp_path: Path) -> None:
    path = tmp_path / "calllog.db"
    make_calllog(path)
    assert EX.sniff(source_from_file(path))
    found, lines, accounts = calls(path)
    assert [(c.direction, c.duration_s, c.thread_id) for c in found] == [
        ("missed", 0, "phone:+447700900123"),
        ("incoming", 47, "phone:+447700900123"),
        ("rejected", 0, "phone:+447700900555"),
        ("missed", 0, "phone:withheld"),
        ("outgoing", 312, "phone:+447700900678"),
        ("blocked", 0, "phone:+447700900444"),
        ("answered_other", 65, "phone:+447700900333"),
        ("incoming", 0, "phone:unknown"),
    ]
    assert found[0].started_at_utc == "2024-03-03T21:00:05Z"
    assert found[0].started_at_raw == 'date="1709499605000"'
    assert found[0].party_key == "phone:+447700900123"
    assert found[3].party_key is None and found[7].party_key is None  # withheld, "Unknown"
    assert [m.kind for m in lines] == ["call"] * 8
    assert lines[4].recipients == ("+447700900678",)
    names = {(a.key, a.display_name) for a in accounts}
    assert names == {
        ("phone:+447700900123", "Dan"),
        ("phone:+447700900555", None),
        ("phone:+447700900678", "Sophie"),
        ("phone:+447700900444", "Mercer Plumbing"),
        ("phone:+447700900333", "Dan Price"),
    }


def test_older_contacts2_calls(tmp_path: Path) -> None:
    path = tmp_path / "contacts2.db"
    make_contacts2(path, with_calls=True)
    assert EX.sniff(source_from_file(path))
    found, _, _ = calls(path)
    assert len(found) == 8
    plain = tmp_path / "contacts2-new.db"
    make_contacts2(plain)
    assert not EX.sniff(source_from_file(plain))

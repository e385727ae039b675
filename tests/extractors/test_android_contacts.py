"""Android contacts2.db: the holder's saved names (generated fixture)."""

from __future__ import annotations

from pathlib import Path

from extractors.android_contacts import AndroidContactsExtractor
from extractors.records import Account, ExtractWarning
from tests.data.device_fixtures.android import make_contacts2
from tests.extractors.helpers import extract_all, source_from_file

EX = AndroidContactsExtractor()


def test_saved_names(tmp_path: Path) -> None:
    path = tmp_path / "contacts2.db"
    make_contacts2(path)
    source = source_from_file(path)
    assert EX.sniff(source)
    records = extract_all(EX, source)
    accounts = [r for r in records if isinstance(r, Account)]
    assert [(a.key, a.display_name, a.phone_raw) for a in accounts] == [
        ("phone:+447700900123", "Dan", "07700 900123"),
        ("email:dmercer88@mail.example.com", "Dan", None),
        ("phone:+447700900678", "Sophie", "+447700900678"),
        ("phone:+447700900444", "Mercer Plumbing", "07700 900444"),
        ("phone:+447700900333", "Dan Price", "+447700900333"),
    ]  # Dan's WhatsApp-synced copy of the same entry is not repeated
    assert accounts[0].locator.pointer == "/data/2"
    warnings = [r.message for r in records if isinstance(r, ExtractWarning)]
    assert warnings == ["1 contact(s) marked deleted on the phone are included"]

"""``ews ingest --whatsapp-key``: an encrypted WhatsApp backup decrypted with the examiner's
key, the key never recorded (issue 13 §3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chain_of_custody.case import Case
from tests.data.device_fixtures.android import TEST_HEX_KEY, make_crypt15, make_msgstore
from workstation.cli import main


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    plain = tmp_path / "plain" / "msgstore.db"
    plain.parent.mkdir()
    make_msgstore(plain)
    out = tmp_path / "phone" / "msgstore.db.crypt15"
    out.parent.mkdir()
    out.write_bytes(make_crypt15(plain.read_bytes()))
    return out


def _ingest(case: Case, backup: Path, *extra: str) -> int:
    folder = str(case.folder)
    case.close()
    return main(["ingest", folder, str(backup), "--examiner", "JS", *extra])


def _messages(case: Case, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["messages", str(case.folder), "--json"]) == 0
    found: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return found


def test_the_64_digit_key_decrypts_and_is_never_recorded(
    case: Case, backup: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_WHATSAPP_KEY", "")  # restored after the test
    assert _ingest(case, backup, "--whatsapp-key", TEST_HEX_KEY) == 0
    messages = _messages(case, capsys)
    assert messages and {m["platform"] for m in messages} == {"whatsapp"}
    assert main(["items", str(case.folder), "--json"]) == 0
    items = {i["name"]: i for i in json.loads(capsys.readouterr().out)}
    # The decrypted database is an item of its own, derived from the encrypted one.
    assert items["msgstore.db"]["parent_sha256"] == items["msgstore.db.crypt15"]["sha256"]
    assert items["msgstore.db"]["sha256"] != items["msgstore.db.crypt15"]["sha256"]
    assert main(["ledger", str(case.folder), "--json"]) == 0
    ledger = capsys.readouterr().out
    assert TEST_HEX_KEY not in ledger and TEST_HEX_KEY.upper() not in ledger


def test_without_a_key_one_warning_and_no_messages(
    case: Case, backup: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_WHATSAPP_KEY", "")  # restored after the test
    assert _ingest(case, backup) == 0
    err = capsys.readouterr().err
    assert "no key given" in err
    assert _messages(case, capsys) == []


def test_a_key_that_is_neither_file_nor_hex_is_refused(
    case: Case, backup: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_WHATSAPP_KEY", "")
    assert _ingest(case, backup, "--whatsapp-key", "not-a-key") == 1
    assert "--whatsapp-key" in capsys.readouterr().err

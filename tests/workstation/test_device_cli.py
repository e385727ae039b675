"""``ews device`` and ``ews acquire``: one-line errors, exit codes, the JSON shapes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.data.device_fixtures.standins.known_devices import SERIAL, make_android
from workstation.cli import main

STANDINS = Path(__file__).resolve().parents[1] / "data" / "device_fixtures" / "standins"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def case_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "case"
    code, _, err = run(
        capsys, "init", str(folder), "--urn", "01AB2345678", "--title", "R v Mercer",
        "--examiner", "Jane Smith", "--initials", "JS",
    )  # fmt: skip
    assert code == 0, err
    return folder


def test_receive_scope_acquire_return(
    case_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EWS_STANDIN_DEVICE", str(make_android(tmp_path / "phone")))
    monkeypatch.setenv("PATH", f"{STANDINS}{os.pathsep}{os.environ['PATH']}")
    notice = tmp_path / "notice.pdf"
    notice.write_bytes(b"%PDF-1.4 notice\n")
    c = str(case_dir)
    code, out, err = run(
        capsys, "device", c, "receive", "--from", "Hannah Price", "--notice", str(notice),
        "--at", "2024-05-01T09:30:00+01:00", "--json",
    )  # fmt: skip
    assert code == 0, err
    got = json.loads(out)
    assert got["device_id"] == "device-1"
    assert got["received"]["at"] == "2024-05-01T08:30:00.000000Z"
    assert got["returned"] is None and got["held"] == "not yet returned"
    code, out, err = run(
        capsys, "acquire", c, "--device", "android", "--out", str(tmp_path / "out"),
        "--scope-parties", "+447700900123", "--scope-from", "2024-03-01", "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["identity"]["serial_number"] == SERIAL
    assert (summary["files_pulled"], summary["records_queried"]) == (3, 13)
    code, out, err = run(
        capsys, "device", c, "return", "--to", "Hannah Price", "--at", "2024-05-01T12:00:00Z"
    )
    assert code == 0, err
    assert "returned 2024-05-01T12:00:00.000000Z to Hannah Price; held 3 h 30 min" in out
    code, out, _ = run(capsys, "device", c, "--json")
    (dev,) = json.loads(out)
    assert dev["scope"] == {"parties": ["+447700900123"], "from": "2024-03-01T00:00:00.000000Z",
                            "to": "", "apps": []}  # fmt: skip
    assert dev["held_seconds"] == 12600 and dev["acquisitions"][0]["platform"] == "android"
    code, out, err = run(capsys, "verify", c, "--no-record")
    assert code == 0, err


def test_no_device_and_no_tool_are_one_line_and_fail(
    case_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = str(case_dir)
    code, _, err = run(capsys, "acquire", c, "--device", "android")
    assert (code, err) == (1, "ews: error: no device is held in this case: record its receipt "
                              "first with ews device CASE receive --from NAME\n")  # fmt: skip
    assert run(capsys, "device", c, "receive", "--from", "Hannah Price")[0] == 0
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run(capsys, "acquire", c, "--device", "ios")
    assert code == 1
    assert err == (
        "ews: error: idevice_id is not installed: install it with "
        "`apt-get install libimobiledevice-utils`\n"
    )
    monkeypatch.setenv("EWS_STANDIN_DEVICE", str(make_android(tmp_path / "phone", "none")))
    monkeypatch.setenv("PATH", f"{STANDINS}{os.pathsep}/usr/bin:/bin")
    code, _, err = run(capsys, "acquire", c, "--device", "android")
    assert code == 1 and err.startswith("ews: error: no Android device attached: connect it")
    assert err.count("\n") == 1

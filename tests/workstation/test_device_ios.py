"""``acquire_ios`` against stand-in libimobiledevice programs
(tests/data/device_fixtures/standins): a real iPhone was not available to the test suite."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from tests.data.device_fixtures.standins.known_devices import UDID, make_iphone
from workstation import queries
from workstation.device import consent
from workstation.device.common import AcquireOptions
from workstation.device.errors import AcquisitionCancelled, DeviceError, NoDevice, ToolMissing
from workstation.device.ios import acquire_ios

STANDINS = Path(__file__).resolve().parents[1] / "data" / "device_fixtures" / "standins"


@pytest.fixture
def iphone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = make_iphone(tmp_path / "phone")
    monkeypatch.setenv("EWS_STANDIN_DEVICE", str(folder))
    monkeypatch.setenv("EWS_STANDIN_PYTHON", sys.executable)
    monkeypatch.setenv("PATH", f"{STANDINS}{os.pathsep}{os.environ['PATH']}")
    yield folder


def _phone(iphone: Path) -> dict[str, object]:
    return dict(json.loads((iphone / "ios.json").read_text()))


def test_temporary_password_set_backup_taken_password_removed(
    case: Case, signer: Signer, iphone: Path, tmp_path: Path
) -> None:
    consent.record_receipt(case, signer, received_from="Hannah Price")
    shown: list[int] = []
    summary = acquire_ios(
        case,
        signer,
        AcquireOptions(out=tmp_path / "out", progress=lambda p: shown.append(p.bytes_done)),
    )
    assert sorted(set(shown)) == [0, 48, 100] and shown[-1] == 100  # the tool's bar, in %
    assert summary.identity["device_name"] == "Hannah's iPhone"
    assert summary.identity["unique_identifier"] == UDID
    assert _phone(iphone)["password"] is None  # the phone goes back as it came
    steps = [e for e in case.ledger_entries() if e.action.startswith("device.")]
    assert [e.action for e in steps][:6] == [
        "device.received",
        "device.identified",
        "device.acquisition_started",
        "device.backup_password_set",
        "device.backup_completed",
        "device.backup_password_removed",
    ]
    assert steps[-1].action == "device.acquisition_completed"
    assert steps[2].data["holder_password"] == "no"
    assert summary.items > 0
    # The backup folder went through ews ingest's path: files named as the phone names them.
    paths = {i.get("device_path") for i in queries.iter_items(case)}
    assert "HomeDomain/Library/SMS/sms.db" in paths
    assert verify_case(case).ok


def test_a_holder_password_is_needed_and_left_in_place(
    case: Case, signer: Signer, iphone: Path, tmp_path: Path
) -> None:
    make_iphone(iphone, password="holder-pass-1")
    consent.record_receipt(case, signer, received_from="Hannah Price")
    with pytest.raises(DeviceError, match="encrypted with its holder's password"):
        acquire_ios(case, signer, AcquireOptions(out=tmp_path / "out"))
    acquire_ios(case, signer, AcquireOptions(out=tmp_path / "out", backup_password="holder-pass-1"))
    assert _phone(iphone)["password"] == "holder-pass-1"
    actions = [e.action for e in case.ledger_entries()]
    assert "device.backup_password_set" not in actions
    assert "holder-pass-1" not in json.dumps([e.data for e in case.ledger_entries()])


def test_untrusted_and_absent_iphones(
    case: Case, signer: Signer, iphone: Path, tmp_path: Path
) -> None:
    consent.record_receipt(case, signer, received_from="Hannah Price")
    make_iphone(iphone, state="untrusted")
    with pytest.raises(NoDevice, match=f"^iPhone {UDID} does not answer .*tap Trust"):
        acquire_ios(case, signer, AcquireOptions(out=tmp_path / "out"))
    make_iphone(iphone, state="none")
    with pytest.raises(NoDevice, match=r"^no iPhone attached: connect it by USB, unlock it"):
        acquire_ios(case, signer, AcquireOptions(out=tmp_path / "out"))


def test_missing_tools_say_how_to_install(
    case: Case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    consent.record_receipt(case, signer, received_from="Hannah Price")
    with pytest.raises(
        ToolMissing, match=r"^idevice_id is not installed: .*apt-get install libimobiledevice-utils"
    ):
        acquire_ios(case, signer, AcquireOptions(out=tmp_path / "out"))


def test_cancel_during_the_backup_still_removes_the_temporary_password(
    case: Case, signer: Signer, iphone: Path, tmp_path: Path
) -> None:
    consent.record_receipt(case, signer, received_from="Hannah Price")
    with pytest.raises(AcquisitionCancelled):
        acquire_ios(case, signer, AcquireOptions(out=tmp_path / "out", cancelled=lambda: True))
    assert _phone(iphone)["password"] is None
    actions = [e.action for e in case.ledger_entries()]
    assert "device.backup_password_removed" in actions
    assert "device.backup_completed" not in actions
    assert verify_case(case).ok

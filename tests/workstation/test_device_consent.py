"""Receipt, return and scope of a device (issue 13 §5): ledger entries read back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from workstation.device import consent
from workstation.device.errors import DeviceError
from workstation.device.scope import Scope, scope_from_options


def test_receipt_notice_return_and_scope_are_on_the_record(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    notice = tmp_path / "notice-signed.pdf"
    notice.write_bytes(b"%PDF-1.4 signed notice of agreement\n")
    dev = consent.record_receipt(
        case,
        signer,
        received_from="Hannah Price",
        description="Samsung A52, black case",
        at="2024-05-01T09:30:00+01:00",
        notice=notice,
    )
    assert dev.device_id == "device-1"
    assert dev.received_at == "2024-05-01T08:30:00.000000Z"
    assert dev.notice_name == "notice-signed.pdf"
    assert dev.notice_sha256 == hashlib.sha256(notice.read_bytes()).hexdigest()
    consent.record_scope(
        case, signer, scope_from_options(["+44 7700 900123"], "2024-03-01", "2024-04-30", ["sms"])
    )
    back = consent.record_return(
        case, signer, returned_to="Hannah Price", at="2024-05-01T12:05:00Z"
    )
    assert back.held_seconds == 3 * 3600 + 35 * 60
    assert back.as_json()["held"] == "3 h 35 min"
    assert back.scope == Scope(("+44 7700 900123",), "2024-03-01T00:00:00.000000Z",
                               "2024-04-30T23:59:59.999999Z", ("sms",))  # fmt: skip
    actions = [e.action for e in case.ledger_entries()]
    assert actions.count("device.received") == 1
    assert "scope.set" in actions and "device.returned" in actions
    received = next(e for e in case.ledger_entries() if e.action == "device.received")
    assert received.data["notice_sha256"] == dev.notice_sha256
    assert received.data["received_by"] == signer.identity.name
    assert verify_case(case).ok


def test_return_before_receipt_and_twice_are_refused(case: Case, signer: Signer) -> None:
    consent.record_receipt(case, signer, received_from="H", at="2024-05-01T09:00:00Z")
    with pytest.raises(DeviceError, match="before the receipt"):
        consent.record_return(case, signer, returned_to="H", at="2024-05-01T08:00:00Z")
    consent.record_return(case, signer, returned_to="H", at="2024-05-01T10:00:00Z")
    with pytest.raises(DeviceError, match="no device is held"):
        consent.record_return(case, signer, returned_to="H")
    with pytest.raises(DeviceError, match="has no zone"):
        consent.record_receipt(case, signer, received_from="H", at="2024-05-01 09:00")


def test_scope_marks_what_is_outside() -> None:
    s = scope_from_options(["07700 900123,Dan Price"], "2024-03-01", "2024-04-30", ["SMS", "phone"])
    assert s.outside("sms", "2024-03-02T10:00:00Z", ["+447700900123"]) == ""
    assert s.outside("sms", "2024-03-02T10:00:00Z", ["dan price"]) == ""
    assert s.outside("whatsapp", "2024-03-02T10:00:00Z", ["+447700900123"]) == (
        "app whatsapp not in the agreed apps"
    )
    assert s.outside("sms", "2024-05-01T00:00:00Z", ["+447700900123"]).startswith("after")
    assert s.outside("sms", "2024-02-29T23:59:59Z", ["+447700900123"]).startswith("before")
    assert s.outside("sms", "2024-03-02T10:00:00Z", ["+447700900999"]) == (
        "no agreed party takes part"
    )
    with pytest.raises(DeviceError, match="before --scope-from"):
        scope_from_options([], "2024-05-01", "2024-04-01")

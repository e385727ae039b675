"""``acquire_android`` against the stand-in ``adb`` (tests/data/device_fixtures/standins):
a real phone was not available to the test suite."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from exports.exhibits import assign_exhibit
from exports.gather import gather
from exports.pdf.mg11 import device_continuity
from tests.data.device_fixtures.standins.known_devices import SERIAL, make_android
from workstation import queries, timeline
from workstation.device import android_content as ac
from workstation.device import consent
from workstation.device.android import acquire_android
from workstation.device.common import AcquireOptions
from workstation.device.errors import AcquisitionCancelled, NoDevice, ToolMissing
from workstation.device.scope import scope_from_options

STANDINS = Path(__file__).resolve().parents[1] / "data" / "device_fixtures" / "standins"


@pytest.fixture
def phone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = make_android(tmp_path / "phone")
    monkeypatch.setenv("EWS_STANDIN_DEVICE", str(folder))
    monkeypatch.setenv("PATH", f"{STANDINS}{os.pathsep}{os.environ['PATH']}")
    yield folder


def _state(phone: Path, **changes: object) -> None:
    path = phone / "android.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | changes))


def test_content_query_rows_with_commas_newlines_and_row_lookalikes() -> None:
    cols = ("_id", "address", "date", "body")
    text = (
        "Row: 0 _id=1, address=+447700900123, date=1709320361220, body=Hi, date=now, ok\n"
        "Row: 1 _id=2, address=NULL, date=5, body=line one\nRow: 7 _id=99, x\nline three\n"
        "Row: 2 _id=3, address=07700 900123, date=6, body=\n"
    )
    parsed = ac.parse_rows(text, cols, "content://sms")
    assert parsed.rows == [
        {
            "_id": "1",
            "address": "+447700900123",
            "date": "1709320361220",
            "body": "Hi, date=now, ok",
        },
        {
            "_id": "2",
            "address": None,
            "date": "5",
            "body": "line one\nRow: 7 _id=99, x\nline three",
        },
        {"_id": "3", "address": "07700 900123", "date": "6", "body": ""},
    ]
    assert parsed.warnings == []
    assert ac.parse_rows("No result found.\n", cols).rows == []


def test_android_acquisition_records_steps_records_and_files(
    case: Case, signer: Signer, phone: Path, tmp_path: Path
) -> None:
    consent.record_receipt(case, signer, received_from="Hannah Price", at="2024-05-01T08:30:00Z")
    out = tmp_path / "out"
    seen: list[int] = []
    scope = scope_from_options(["+447700900123"], "2024-03-01", "2024-04-30", ["sms", "phone"])
    summary = acquire_android(
        case,
        signer,
        AcquireOptions(out=out, scope=scope, progress=lambda p: seen.append(p.files)),
    )
    assert (summary.files_pulled, summary.files_skipped) == (3, 0)
    assert summary.records_queried == 4 + 1 + 3 + 2 + 3
    assert summary.identity["product_type"] == "SM-A525F"
    assert summary.identity["serial_number"] == SERIAL
    assert seen == [1, 2, 3]
    pulled = out / "files/sdcard/DCIM/Screenshots/Screenshot_20240412-213455_WhatsApp.png"
    assert (
        pulled.read_bytes() == (phone / "android" / pulled.relative_to(out / "files")).read_bytes()
    )
    # Every pulled file carries its path on the phone; what the examiner's PC wrote does not.
    device_paths = {Path(i["path"]).name: i["device_path"] for i in queries.iter_items(case)}
    assert device_paths[pulled.name] == (
        "/sdcard/DCIM/Screenshots/Screenshot_20240412-213455_WhatsApp.png"
    )
    assert device_paths["pulled.ndjson"] is None
    actions = [e.action for e in case.ledger_entries()]
    for action in ("device.identified", "scope.set", "device.acquisition_started",
                   "device.content_queried", "device.files_pulled",
                   "device.acquisition_completed"):  # fmt: skip
        assert action in actions
    messages = list(queries.iter_messages(case))
    sms = sorted((m for m in messages if m["platform"] == "sms"), key=lambda m: m["sent_at_utc"])
    assert [m["text"] for m in sms][:2] == [
        "Hi Hannah, it's Dan from Sophie's party 🙂",
        "Why won't you answer, date=tomorrow, type=2? I only want to talk",
    ]
    assert "I know where you were tonight.\nRow: 7 _id=99, thread_id=1\nDon't ignore me" in [
        m["text"] for m in sms
    ]
    mms = next(m for m in sms if m["attachments"])
    assert mms["text"] == "Nice car, Hannah" and mms["attachments"] == ["IMG_0412.png"]
    assert mms["sent_at_utc"] == "2024-04-12T22:13:20Z"
    calls = [m for m in messages if m["platform"] == "phone"]
    assert len(calls) == 2
    names = {a["phone_e164"]: a["display_names"] for a in queries.iter_accounts(case)}
    assert names["+447700900123"] == ["Dan"]
    dev = consent.find_device(case, "device-1")
    assert dev.acquisitions[0]["items"] == summary.items
    assert verify_case(case).ok
    # Outside the scope: the call with Dan Price (another party) and, by its party, nothing
    # else; the MG6C counts it, the MG11 tells the receipt and the return.
    consent.record_return(case, signer, returned_to="Hannah Price", at="2024-05-01T11:00:00Z")
    ctx = gather(case, signer, file_type="full", at="2024-05-02T09:00:00.000000Z").context
    assert ctx.outside_scope == {"device-1": 1}
    (told,) = ctx.devices
    text = device_continuity(ctx, told)
    assert "received a device (device-1) from Hannah Price" in text
    assert "Time from receipt to return: 2 h 30 min." in text
    assert "product type SM-A525F" in text
    # A thread exhibit leaves out what is outside the scope: here the call with Dan Price.
    assign_exhibit(case, signer, "thread", ["phone:+447700900333"], "Calls with Dan Price")
    assign_exhibit(case, signer, "thread", ["sms:+447700900123"], "Texts from Dan")
    ctx = gather(case, signer, file_type="full", at="2024-05-02T09:00:00.000000Z").context
    call_exhibit, text_exhibit = ctx.exhibits
    assert (len(call_exhibit.messages), len(text_exhibit.messages)) == (0, 5)
    # The timeline leaves the call with Dan Price out (outside the agreed parties) unless asked.
    brother = "+447700900333"

    def calls_with(include: bool) -> tuple[int, int]:
        people = timeline.build(case, include_ungrouped=True, include_outside_scope=include)
        for p in people.as_json()["groups"]:
            if any(brother in a for a in p["accounts"]):
                return p["counts"]["calls"], p["counts"]["outside_scope_left_out"]
        return 0, 0

    assert calls_with(False) == (0, 1)
    assert calls_with(True) == (1, 0)


def test_second_run_skips_what_is_acquired(
    case: Case, signer: Signer, phone: Path, tmp_path: Path
) -> None:
    consent.record_receipt(case, signer, received_from="Hannah Price")
    out = tmp_path / "out"
    first = acquire_android(case, signer, AcquireOptions(out=out))
    again = acquire_android(case, signer, AcquireOptions(out=out))
    assert (again.files_pulled, again.files_skipped) == (0, 3)
    assert first.items > 0 and again.items == 0
    assert again.run_id is None


def test_older_android_without_a_column_is_queried_without_it(
    case: Case, signer: Signer, phone: Path, tmp_path: Path
) -> None:
    _state(phone, missing_columns={"content://sms": ["sub_id"]})
    consent.record_receipt(case, signer, received_from="Hannah Price")
    summary = acquire_android(case, signer, AcquireOptions(out=tmp_path / "out"))
    assert summary.records_queried == 13
    assert "sub_id" not in (tmp_path / "out/content/sms.txt").read_text()


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("none", "no Android device attached: connect it by USB, unlock it, enable USB debugging"),
        ("unauthorized", f"Android device {SERIAL} is not authorised: unlock it and accept"),
    ],
)
def test_no_device_says_how_to_connect(
    case: Case, signer: Signer, phone: Path, tmp_path: Path, state: str, says: str
) -> None:
    _state(phone, state=state)
    consent.record_receipt(case, signer, received_from="Hannah Price")
    with pytest.raises(NoDevice) as exc:
        acquire_android(case, signer, AcquireOptions(out=tmp_path / "out"))
    assert str(exc.value).startswith(says)


def test_missing_adb_says_how_to_install(
    case: Case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    consent.record_receipt(case, signer, received_from="Hannah Price")
    with pytest.raises(
        ToolMissing, match=r"^adb is not installed: install it with `apt-get install adb`$"
    ):
        acquire_android(case, signer, AcquireOptions(out=tmp_path / "out"))


def test_cancel_keeps_the_case_consistent_and_the_next_run_resumes(
    case: Case, signer: Signer, phone: Path, tmp_path: Path
) -> None:
    consent.record_receipt(case, signer, received_from="Hannah Price")
    out = tmp_path / "out"
    pulled: list[int] = []
    with pytest.raises(AcquisitionCancelled, match="run the same command again to resume"):
        acquire_android(
            case,
            signer,
            AcquireOptions(
                out=out, progress=lambda p: pulled.append(p.files), cancelled=lambda: bool(pulled)
            ),
        )
    assert pulled == [1]
    assert verify_case(case).ok
    again = acquire_android(case, signer, AcquireOptions(out=out))
    assert (again.files_pulled, again.files_skipped) == (2, 1)
    assert verify_case(case).ok

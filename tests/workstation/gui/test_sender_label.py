"""Who a message is shown as from: a withheld caller is never shown as the device owner."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from workstation.gui.screens.preview_html import sender_label


def _m(sender: str | None, direction: str | None, flags: tuple[str, ...] = ()) -> object:
    return SimpleNamespace(sender_identifier=sender, direction=direction, flags=json.dumps(flags))


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (_m("+447700900123", "incoming"), "+447700900123"),
        (_m(None, "outgoing"), "(device owner)"),
        (_m(None, None), "(device owner)"),
        (_m(None, "incoming", ("number_withheld",)), "(number withheld)"),
        (_m(None, "incoming", ("number_unknown",)), "(number unknown)"),
        (_m(None, "incoming", ("number_payphone",)), "(payphone)"),
        (_m(None, "incoming"), "(sender not recorded)"),
    ],
)
def test_sender_label(message: object, shown: str) -> None:
    assert sender_label(message) == shown

"""Errors of device work: one line the examiner can act on."""

from __future__ import annotations

from chain_of_custody.errors import EvidenceError


class DeviceError(EvidenceError):
    """A device record or an acquisition could not be made (the message says why)."""


class ToolMissing(DeviceError):
    """A device tool (idevicebackup2, adb, ...) is not installed."""


class NoDevice(DeviceError):
    """No device is attached, or it is locked, untrusted or not authorised."""


class AcquisitionCancelled(DeviceError):
    """The examiner cancelled; what was complete is recorded and the run can resume."""

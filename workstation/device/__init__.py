"""Devices handed over by a victim or witness (issue 13 §4-5): the receipt and return of
the device, the scope agreed for its examination, and live acquisition through the
device's own tools (``idevicebackup2`` for iPhones, ``adb`` for Android phones).

Everything here is recorded as signed ledger entries; nothing is kept only in a table, so
``ews verify`` checks it with the rest of the ledger. See docs/device-live.md.
"""

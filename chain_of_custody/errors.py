"""Errors of the evidence layer: store, ledger, database and verification."""

from __future__ import annotations


class EvidenceError(Exception):
    """Base class; the message is one line a user can act on."""


class AcquisitionError(EvidenceError):
    """A source could not be acquired (missing, unreadable, changed while read)."""


class SourceChangedError(AcquisitionError):
    """The source file grew, shrank or vanished while it was being read."""


class StoreError(EvidenceError):
    """The write-once store is damaged or cannot be written."""


class LedgerError(EvidenceError):
    """An entry could not be appended to the custody ledger."""


class MalformedEntry(LedgerError):
    """An entry's data is not canonical (floats, non-string keys, unsupported types)."""


class CheckpointConflict(LedgerError):
    """A checkpoint contradicts an earlier one; it is refused."""


class ExaminerKeyError(EvidenceError):
    """An examiner key is missing, unreadable or the passphrase is wrong."""


class CaseError(EvidenceError):
    """The case folder is missing, not a case, or already exists."""

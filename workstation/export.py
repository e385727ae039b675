"""Export an evidential bundle: the one function the CLI and the GUI call.

Alias groups and per-person timelines come from ``workstation.aliases`` and
``workstation.timeline``; they are turned into the plain views of ``exports.context`` here,
so the exporter never imports the workstation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chain_of_custody.canonical import format_time, utc_now
from chain_of_custody.case import Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from exports.bundle import Progress, record_export, write_bundle
from exports.context import AliasGroupView, FileType, LinkView, PersonTimelineView
from exports.gather import gather

FILE_TYPES: tuple[FileType, ...] = ("pre-charge", "full")


class ExportError(EvidenceError):
    """An export was asked for with a bad file type or time."""


@dataclass(frozen=True)
class ExportSummary:
    """What ``ews export`` reports."""

    bundle_id: str
    zip_path: Path
    folder: Path
    files: int
    manifest_sha256: str
    file_type: str
    generated_at: str
    ledger_size: int
    export_seq: int
    exhibits: int
    unused: int

    def as_json(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "zip": str(self.zip_path),
            "folder": str(self.folder),
            "files": self.files,
            "manifest_sha256": self.manifest_sha256,
            "file_type": self.file_type,
            "generated_at": self.generated_at,
            "ledger_size": self.ledger_size,
            "export_entry": self.export_seq,
            "exhibits": self.exhibits,
            "unused": self.unused,
        }


def parse_at(value: str | None) -> str:
    """``--at`` (RFC 3339, any offset) as the ledger's UTC format; now when absent.

    Raises:
        ExportError: if the time cannot be read or has no zone.
    """
    if not value:
        return format_time(utc_now())
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ExportError(f"--at {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise ExportError(f"--at {value!r} has no time zone (add Z or +01:00)")
    return format_time(moment.astimezone(UTC))


AliasViews = tuple[tuple[AliasGroupView, ...], tuple[LinkView, ...], tuple[PersonTimelineView, ...]]


def alias_views(case: Case) -> AliasViews:
    """Alias groups, rejected links and timelines of the case, as bundle views."""
    try:
        import workstation.aliases  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return (), (), ()
    return (), (), ()


def export_case(
    case: Case,
    signer: Signer,
    *,
    file_type: str,
    out: Path,
    at: str | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the bundle of ``file_type`` under ``out`` and record the export in the ledger.

    The bundle rests on a checkpoint signed in memory over the ledger as it stands; that
    checkpoint and an ``export.created`` entry are recorded only after the bundle is written.

    Raises:
        ExportError: on an unknown file type or a bad time.
        BundleError: if the target exists.
    """
    if file_type not in FILE_TYPES:  # also narrows the type for gather()
        raise ExportError(f"unknown file type {file_type!r}; use pre-charge or full")
    stamp = parse_at(at)
    case.record(signer, [])  # the exporting examiner's key must be in the ledger it signs
    groups, rejected, timelines = alias_views(case)
    if progress:
        progress("gather", 0, 1)
    gathered = gather(
        case,
        signer,
        file_type=file_type,
        at=stamp,
        alias_groups=groups,
        rejected_links=rejected,
        timelines=timelines,
    )
    result = write_bundle(case, gathered, signer, out, progress)
    seq = record_export(case, signer, gathered.checkpoint, result, file_type)
    return ExportSummary(
        bundle_id=result.bundle_id,
        zip_path=result.zip_path,
        folder=result.folder,
        files=result.files,
        manifest_sha256=result.manifest_sha256,
        file_type=file_type,
        generated_at=stamp,
        ledger_size=gathered.checkpoint.size,
        export_seq=seq,
        exhibits=len(gathered.context.exhibits),
        unused=len(gathered.context.unused),
    )

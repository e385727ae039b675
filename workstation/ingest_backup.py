"""iPhone backup folders in an ingest: device paths, the device's identity, decryption.

``ews ingest CASE BACKUP_DIR`` acquires every file of the folder as for any folder; this
module adds what the backup's manifest knows (docs/device-acquisition.md):

* before anything is recorded, the backup is opened (``chain_of_custody.ios_backup``): an
  old ``Manifest.mbdb`` backup, a missing or wrong password stop the ingest with one line
  and nothing acquired;
* each ``xx/<fileID>`` file is named as the phone names it (``sms.db``) and carries its
  ``device_path`` (``HomeDomain/Library/SMS/sms.db``) in its ``item.acquired`` entry;
* ``Info.plist`` gives a ``device.identified`` entry;
* in an encrypted backup, ``Manifest.db`` and every file are decrypted from their stored
  blobs into derived items (``item.acquired`` plus ``item.derived``: the encrypted item,
  the method, the library and its version; never the password).
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.acquire import Acquisition, Derivation, mime_of
from chain_of_custody.case import T_ITEM
from chain_of_custody.errors import AcquisitionError
from chain_of_custody.ios_backup import (
    DECRYPT_METHOD,
    INFO_PLIST,
    LIBRARY,
    MANIFEST_DB,
    BackupFile,
    IosBackup,
    PasswordFn,
    file_id_of,
    is_backup_folder,
    library_version,
)
from chain_of_custody.ledger import NewEntry, parse_data

if TYPE_CHECKING:
    from workstation.ingest import Ingest, _Source

DEVICE_ACTION = "device.identified"
_MISSING_SHOWN = 5  # device paths named in the warning about files missing from the folder


@dataclass
class OpenedBackup:
    """A backup folder given to the ingest, opened before the run starts."""

    backup: IosBackup
    #: Items of this run in the folder, by path as recorded: (item id, sha256).
    recorded: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.backup.root


def open_backups(paths: Sequence[Path], password: PasswordFn | None) -> list[OpenedBackup]:
    """Open every given folder that is an iPhone backup (none: an empty list).

    Raises:
        AcquisitionError: an unsupported or damaged backup, or no password for an
            encrypted one. BackupPasswordError (a subclass): the wrong password.
    """
    found: list[OpenedBackup] = []
    for given in paths:
        for root in _backup_roots(Path(os.path.abspath(given))):
            found.append(OpenedBackup(IosBackup.open(root, password or _no_password)))
    return found


def _backup_roots(folder: Path) -> list[Path]:
    """The folder if it is a backup, else the backups directly inside it (MobileSync's
    ``Backup/<UDID>/`` folders); links are not followed."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    if is_backup_folder(folder):
        return [folder]
    with os.scandir(folder) as entries:
        children = sorted(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))
    return [c for c in children if is_backup_folder(c)]


def _no_password(_shown: str) -> str | None:
    return None


def backup_password_source(password_file: str | None) -> PasswordFn:
    """Where an encrypted backup's password comes from, asked only when one is found:
    ``--backup-password-file`` (its first line), else ``EWS_BACKUP_PASSWORD``, else a
    prompt when standard input is a terminal (getpass: not echoed), else none.

    Nothing here records or prints the password.
    """

    def password(folder: str) -> str | None:
        if password_file:
            try:
                with open(password_file, encoding="utf-8") as f:
                    first = f.readline().rstrip("\r\n")
            except OSError as exc:
                raise AcquisitionError(
                    f"{password_file}: cannot read the backup password file: {exc.strerror}"
                ) from None
            return first or None
        from_env = os.environ.get("EWS_BACKUP_PASSWORD")
        if from_env:
            return from_env
        if sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(f"Password of the encrypted backup {folder}: ") or None
        return None

    return password


def map_sources(sources: list[_Source], backups: list[OpenedBackup]) -> list[_Source]:
    """Sources under a backup folder named as the phone names them, with their device path."""
    if not backups:
        return sources
    roots = [(str(b.root) + os.sep, b.backup.files) for b in backups]
    mapped: list[_Source] = []
    for source in sources:
        text = str(source.path)  # plain string work: 50,000 files, no Path arithmetic
        for prefix, files in roots:
            if text.startswith(prefix):
                file_id = file_id_of(text[len(prefix) :])
                entry = files.get(file_id) if file_id else None
                if entry is not None:
                    source = dataclasses.replace(
                        source, device_path=entry.device_path, device_name=entry.name
                    )
                break
        mapped.append(source)
    return mapped


def note_recorded(backups: list[OpenedBackup], source: _Source, item_id: str, sha: str) -> None:
    """Remember an item of the run that lies in a backup folder (for the steps after)."""
    text = str(source.path)
    for opened in backups:
        if text.startswith(str(opened.root) + os.sep):
            opened.recorded[source.display] = (item_id, sha)
            return


def finish_backups(job: Ingest, run_id: str, backups: list[OpenedBackup]) -> None:
    """After the folder's files are recorded: identity, checks, and decrypted copies."""
    if not backups:
        return
    job.flush()
    job.wait_placed()  # decryption reads the stored blobs
    identified = _identified_runs(job, run_id)
    derived = _derived_originals(job, run_id)
    for opened in backups:
        _check_read_as_acquired(job, opened)
        if str(opened.root) not in identified:
            job.batch.extra.append(_device_entry(run_id, opened))
        if opened.backup.encrypted:
            _decrypt_all(job, run_id, opened, derived)
    job.flush()


def _device_entry(run_id: str, opened: OpenedBackup) -> NewEntry:
    b = opened.backup
    info = opened.recorded.get(str(b.root / INFO_PLIST))
    manifest = opened.recorded.get(str(b.root / MANIFEST_DB))
    data: dict[str, str | int] = {
        **b.identity.ledger_data(),
        "run_id": run_id,
        "kind": "ios-backup",
        "backup_path": str(b.root),
        "encrypted": "yes" if b.encrypted else "no",
        "files_in_manifest": sum(1 for f in b.files.values() if f.flags == 1),
    }
    if info is not None:
        data["info_plist_item_id"], data["info_plist_sha256"] = info
    if manifest is not None:
        data["manifest_item_id"], data["manifest_sha256"] = manifest
    subject = b.identity.get("unique_identifier") or b.identity.get("serial_number")
    return NewEntry(DEVICE_ACTION, subject or str(b.root), data)


def _check_read_as_acquired(job: Ingest, opened: OpenedBackup) -> None:
    """The manifest and Info.plist read to name the files must be the bytes acquired."""
    b = opened.backup
    for name, read in ((MANIFEST_DB, b.manifest_sha256), (INFO_PLIST, b.info_sha256)):
        got = opened.recorded.get(str(b.root / name))
        if got is not None and got[1] != read:
            job._warn(
                got[0],
                got[1],
                f"{b.root / name}: changed between being read to map the backup (SHA-256 "
                f"{read}) and being acquired; device paths and identity come from the first",
            )
    manifest = opened.recorded.get(str(b.root / MANIFEST_DB))
    if manifest is None:
        return
    prefix = str(b.root) + os.sep
    present = {file_id_of(p[len(prefix) :]) for p in opened.recorded if p.startswith(prefix)}
    missing = [f for f in b.files.values() if f.flags == 1 and f.file_id not in present]
    notes = list(b.warnings)
    if missing:
        shown = ", ".join(f.device_path for f in missing[:_MISSING_SHOWN])
        more = f" and {len(missing) - _MISSING_SHOWN} more" if len(missing) > _MISSING_SHOWN else ""
        notes.append(
            f"{b.root / MANIFEST_DB}: {len(missing)} file(s) listed in the manifest are not "
            f"in the backup folder: {shown}{more}"
        )
    for text in notes:
        job._warn(manifest[0], manifest[1], text)


def _decrypt_all(job: Ingest, run_id: str, opened: OpenedBackup, derived: set[str]) -> None:
    b = opened.backup
    for path, (item_id, sha) in opened.recorded.items():
        if item_id in derived or job.cancelled():
            continue
        if path == str(b.root / MANIFEST_DB):
            entry = None
        else:
            file_id = file_id_of(path[len(str(b.root)) + 1 :])
            entry = b.files.get(file_id) if file_id else None
            if entry is None or entry.flags != 1:
                continue  # plists and files outside the manifest are not encrypted
        try:
            job.add(_decrypted(job, run_id, b, path, item_id, sha, entry))
        except AcquisitionError as exc:
            job._warn(item_id, sha, f"{path}: not decrypted: {exc}")
        job.report(path, "decrypted")


def _decrypted(
    job: Ingest,
    run_id: str,
    b: IosBackup,
    path: str,
    item_id: str,
    sha: str,
    entry: BackupFile | None,
) -> Acquisition:
    store = job.case.store
    with store.open_blob(sha) as f:
        plain = b.decrypted(f, entry) if entry is not None else b.decrypted_manifest(f)
        staged = store.stage(plain, durable=False)
    if entry is None:
        name, device_path, key_text = MANIFEST_DB, None, "ManifestKey of Manifest.plist"
    else:
        name, device_path = entry.name, entry.device_path
        key_text = f"EncryptionKey of its MBFile (protection class {entry.protection_class})"
    params: tuple[tuple[str, str | int], ...] = (
        ("cipher", "AES-256-CBC, zero IV"),
        ("key", key_text),
        ("keybag", "BackupKeyBag of Manifest.plist, unlocked with the backup password"),
    )
    if entry is not None and entry.size is not None:
        params += (("size", entry.size),)
    return Acquisition(
        staged=staged,
        mime=mime_of(staged.head),
        name=name,
        path=f"{path}!/decrypted",
        source=job.options.source,
        reason=f"decrypted from the encrypted backup file {path} ({DECRYPT_METHOD})",
        run_id=run_id,
        parent_id=item_id,
        parent_sha256=sha,
        member="decrypted",
        device_path=device_path,
        derivation=Derivation(item_id, sha, DECRYPT_METHOD, LIBRARY, library_version(), params),
    )


def _identified_runs(job: Ingest, run_id: str) -> set[str]:
    """Backup folders whose device this run already identified (a resumed run)."""
    found: set[str] = set()
    with db.read_connection(job.case.engine) as conn:
        for e in conn.execute(
            sa.text("SELECT seq, data FROM ledger_entry WHERE case_id = :c AND action = :a"),
            {"c": job.case.case_id, "a": DEVICE_ACTION},
        ):
            d = parse_data(e.seq, e.data)
            if d.get("run_id") == run_id:
                found.add(str(d.get("backup_path")))
    return found


def _derived_originals(job: Ingest, run_id: str) -> set[str]:
    """Items of this run already decrypted (a resumed run)."""
    with db.read_connection(job.case.engine) as conn:
        return {
            str(r.derived_from)
            for r in conn.execute(
                sa.select(T_ITEM.c.derived_from).where(
                    T_ITEM.c.run_id == run_id, T_ITEM.c.derived_from.isnot(None)
                )
            )
        }

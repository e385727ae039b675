"""Examiner actions on accounts: linking a saved profile picture to an account."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db, witness
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from chain_of_custody.models import AccountAvatar, AccountRecord, ImageMetaRecord
from workstation.ingest import IngestOptions, ingest_paths

T_AVATAR = AccountAvatar.__table__  # type: ignore[attr-defined]
T_ACCOUNT = AccountRecord.__table__  # type: ignore[attr-defined]
T_IMAGE = ImageMetaRecord.__table__  # type: ignore[attr-defined]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class AccountError(EvidenceError):
    """An account action cannot be carried out as asked."""


@dataclass(frozen=True)
class AvatarLink:
    """The result of ``link_avatar``."""

    account_id: str
    item_id: str
    sha256: str
    phash: str | None
    ledger_seq: int

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _account_exists(conn: sa.Connection, case: Case, account_id: str) -> bool:
    q = sa.select(T_ACCOUNT.c.id).where(
        T_ACCOUNT.c.case_id == case.case_id, T_ACCOUNT.c.account_key == account_id
    )
    return conn.execute(q.limit(1)).first() is not None


def _item_by_sha(conn: sa.Connection, case: Case, sha256: str) -> Any:
    return conn.execute(
        sa.select(T_ITEM)
        .where(T_ITEM.c.case_id == case.case_id, T_ITEM.c.sha256 == sha256)
        .order_by(T_ITEM.c.ledger_seq.desc())
        .limit(1)
    ).first()


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def link_avatar(
    case: Case, signer: Signer, account_id: str, picture: str, *, source: str = ""
) -> AvatarLink:
    """Link a profile picture (an acquired item's SHA-256, or a file to acquire) to an account.

    Raises:
        AccountError: unknown account, unknown item, or not an image.
    """
    with db.read_connection(case.engine) as conn:
        if not _account_exists(conn, case, account_id):
            raise AccountError(f"no account {account_id!r} in this case (see `ews accounts`)")
        item = _item_by_sha(conn, case, picture.lower()) if _SHA256.match(picture.lower()) else None
    if item is None:
        if _SHA256.match(picture.lower()):
            raise AccountError(f"no item with SHA-256 {picture} in this case")
        path = Path(picture)
        if not path.is_file():
            raise AccountError(f"{picture}: neither a file nor the SHA-256 of an item")
        options = IngestOptions(
            source=source or "profile picture saved by the examiner",
            reason=f"profile picture of account {account_id}",
        )
        ingest_paths(case, signer, [path], options)
        with db.read_connection(case.engine) as conn:
            item = conn.execute(
                sa.select(T_ITEM)
                .where(T_ITEM.c.case_id == case.case_id, T_ITEM.c.parent_id.is_(None))
                .order_by(T_ITEM.c.ledger_seq.desc())
                .limit(1)
            ).first()
    if item is None or not str(item.mime).startswith("image/"):
        raise AccountError(f"{picture}: not an image ({item.mime if item else 'unknown'})")
    with db.read_connection(case.engine) as conn:
        phash = conn.execute(
            sa.select(T_IMAGE.c.phash).where(T_IMAGE.c.item_id == item.id).limit(1)
        ).scalar()
    data: dict[str, Any] = {"item_id": item.id, "sha256": item.sha256}
    if phash:
        data["phash"] = phash

    def write(conn: sa.Connection, made: list[Any]) -> None:
        conn.execute(
            sa.insert(T_AVATAR),
            {
                "case_id": case.case_id,
                "account_key": account_id,
                "item_id": item.id,
                "sha256": item.sha256,
                "ledger_seq": made[0].seq,
            },
        )

    made = case.record(signer, [NewEntry("account.avatar_linked", account_id, data)], write)
    return AvatarLink(account_id, item.id, item.sha256, phash, made[0].seq)

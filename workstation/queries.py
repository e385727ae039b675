"""Read-side views of a case in the documented JSON shapes (DESIGN.md §8)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import T_EXAMINER, T_ITEM, T_WARN, Case
from chain_of_custody.models import (
    AccountAvatar,
    AccountRecord,
    Extraction,
    ImageMetaRecord,
    MessageRecord,
)

T_AVATAR = AccountAvatar.__table__  # type: ignore[attr-defined]
T_IMAGE = ImageMetaRecord.__table__  # type: ignore[attr-defined]
T_ACCOUNT = AccountRecord.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]
T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]


def near_duplicate_map(case: Case, max_distance: int = 8) -> dict[str, list[dict[str, Any]]]:
    """For each image item, the other images whose perceptual hash is within the distance."""
    from extractors._phash_neighbours import near_duplicates  # numpy: only when listing items

    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_IMAGE.c.item_id, T_IMAGE.c.phash, T_ITEM.c.sha256)
            .join(T_ITEM, T_ITEM.c.id == T_IMAGE.c.item_id)
            .where(T_IMAGE.c.case_id == case.case_id, T_IMAGE.c.phash.isnot(None))
        ).all()
    sha = {r.item_id: r.sha256 for r in rows}
    found: dict[str, list[dict[str, Any]]] = {}
    for a, b, distance in near_duplicates([(r.item_id, r.phash) for r in rows], max_distance):
        if sha[a] == sha[b]:
            continue  # the same bytes acquired twice: identical, not a near-duplicate
        found.setdefault(a, []).append({"item_id": b, "sha256": sha[b], "distance": distance})
        found.setdefault(b, []).append({"item_id": a, "sha256": sha[a], "distance": distance})
    return found


def iter_items(case: Case, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every item in acquisition order, with its warnings, as ``ews items --json`` prints it."""
    similar = near_duplicate_map(case)
    with db.read_connection(case.engine) as conn:
        initials = {
            r.key_id: r.initials
            for r in conn.execute(
                sa.select(T_EXAMINER.c.key_id, T_EXAMINER.c.initials).where(
                    T_EXAMINER.c.case_id == case.case_id
                )
            )
        }
        after = -1
        while True:
            rows = conn.execute(
                sa.select(T_ITEM)
                .where(T_ITEM.c.case_id == case.case_id, T_ITEM.c.ledger_seq > after)
                .order_by(T_ITEM.c.ledger_seq)
                .limit(batch)
            ).all()
            if not rows:
                return
            warnings: dict[str, list[str]] = {}
            ids = [r.id for r in rows]
            for w in conn.execute(
                sa.select(T_WARN.c.item_id, T_WARN.c.text)
                .where(T_WARN.c.item_id.in_(ids))
                .order_by(T_WARN.c.ledger_seq)
            ):
                warnings.setdefault(w.item_id, []).append(w.text)
            extractors: dict[str, list[str]] = {}
            for x in conn.execute(
                sa.select(T_EXTRACTION.c.item_id, T_EXTRACTION.c.extractor, T_EXTRACTION.c.version)
                .where(T_EXTRACTION.c.item_id.in_(ids))
                .order_by(T_EXTRACTION.c.ledger_seq)
            ):
                extractors.setdefault(x.item_id, []).append(f"{x.extractor}@{x.version}")
            for r in rows:
                yield {
                    "id": r.id,
                    "sha256": r.sha256,
                    "size": r.size,
                    "mime": r.mime,
                    "name": r.name,
                    "path": r.path,
                    "parent_id": r.parent_id,
                    "parent_sha256": r.parent_sha256,
                    "member": r.member,
                    "member_index": r.member_index,
                    "member_modified_local": r.member_modified_local,
                    "modified_at": r.modified_at,
                    "changed_at": r.changed_at,
                    "accessed_at": r.accessed_at,
                    "acquired_at": r.acquired_at,
                    "acquired_by": r.acquired_by,
                    "acquired_by_initials": initials.get(r.acquired_by),
                    "source": r.source,
                    "reason": r.reason,
                    "ledger_seq": r.ledger_seq,
                    "device_path": r.device_path,
                    "derived_from": (
                        None
                        if r.derived_from is None
                        else {"item_id": r.derived_from, "method": r.derived_method}
                    ),
                    "extractors": extractors.get(r.id, []),
                    "warnings": warnings.get(r.id, []),
                    "near_duplicates": similar.get(r.id, []),
                }
            after = int(rows[-1].ledger_seq)


#: How message databases name an attachment: ``~/`` is the phone user's home, which a
#: backup files under MediaDomain (sms.db's ``attachment.filename``).
_HOME_PREFIXES = (("~/", "MediaDomain/"), ("/var/mobile/", "MediaDomain/"))


def device_path_of_attachment(path: str) -> str:
    """The device path an attachment path in a message database names.

    ``~/Library/SMS/Attachments/ab/12/X/IMG.jpeg`` and ``/var/mobile/Library/SMS/…`` become
    ``MediaDomain/Library/SMS/Attachments/ab/12/X/IMG.jpeg``; a device path is kept as it is.
    """
    for prefix, domain in _HOME_PREFIXES:
        if path.startswith(prefix):
            return domain + path[len(prefix) :]
    return path


def item_by_device_path(case: Case, device_path: str) -> list[dict[str, Any]]:
    """Items whose ``device_path`` is the given one (an attachment's file), oldest first.

    An encrypted backup gives two per file: the encrypted blob and its decrypted copy
    (``derived_from`` set); take the one with ``derived_from`` to read the file.
    """
    wanted = device_path_of_attachment(device_path)
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(
                T_ITEM.c.id,
                T_ITEM.c.sha256,
                T_ITEM.c.name,
                T_ITEM.c.path,
                T_ITEM.c.size,
                T_ITEM.c.mime,
                T_ITEM.c.device_path,
                T_ITEM.c.derived_from,
                T_ITEM.c.derived_method,
                T_ITEM.c.parent_id,
            )
            .where(T_ITEM.c.case_id == case.case_id, T_ITEM.c.device_path == wanted)
            .order_by(T_ITEM.c.ledger_seq)
        ).all()
    return [
        {
            "id": r.id,
            "sha256": r.sha256,
            "name": r.name,
            "path": r.path,
            "size": r.size,
            "mime": r.mime,
            "device_path": r.device_path,
            "parent_id": r.parent_id,
            "derived_from": (
                None
                if r.derived_from is None
                else {"item_id": r.derived_from, "method": r.derived_method}
            ),
        }
        for r in rows
    ]


def account_index(case: Case) -> dict[str, dict[str, Any]]:
    """Accounts by key, merging what every source says (first value seen per field wins;
    every display name seen is kept)."""
    merged: dict[str, dict[str, Any]] = {}
    fields = (
        "platform",
        "platform_id",
        "handle",
        "display_name",
        "phone_raw",
        "phone_e164",
        "email",
        "avatar_ref",
        "profile_url",
    )
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_ACCOUNT).where(T_ACCOUNT.c.case_id == case.case_id).order_by(T_ACCOUNT.c.id)
        )
        for r in rows:
            acc = merged.setdefault(
                r.account_key, {"id": r.account_key, "names": [], "is_owner": False, "items": set()}
            )
            for f in fields:
                if acc.get(f) is None and getattr(r, f) is not None:
                    acc[f] = getattr(r, f)
            if r.display_name and r.display_name not in acc["names"]:
                acc["names"].append(r.display_name)
            acc["is_owner"] = acc["is_owner"] or bool(r.is_owner)
            acc["items"].add(r.item_id)
    return merged


def iter_accounts(case: Case) -> Iterator[dict[str, Any]]:
    """Every account, as ``ews accounts --json`` prints it."""
    index = account_index(case)
    with db.read_connection(case.engine) as conn:
        linked = {
            r.account_key: r.sha256
            for r in conn.execute(
                sa.select(T_AVATAR.c.account_key, T_AVATAR.c.sha256)
                .where(T_AVATAR.c.case_id == case.case_id)
                .order_by(T_AVATAR.c.ledger_seq)
            )
        }
    with db.read_connection(case.engine) as conn:
        counts: dict[str, int] = {
            str(key): int(n)
            for key, n in conn.execute(
                sa.select(T_MESSAGE.c.sender_key, sa.func.count())
                .where(T_MESSAGE.c.case_id == case.case_id)
                .group_by(T_MESSAGE.c.sender_key)
            )
        }
    for key in sorted(index):
        a = index[key]
        avatar = linked.get(key) or a.get("avatar_ref")
        yield {
            "id": key,
            "platform": a.get("platform"),
            "platform_id": a.get("platform_id"),
            "handle": a.get("handle"),
            "display_name": a.get("display_name"),
            "display_names": a["names"],
            "phone_raw": a.get("phone_raw"),
            "phone_e164": a.get("phone_e164"),
            "email": a.get("email"),
            "avatar_sha256": avatar if avatar and len(avatar) == 64 else None,
            "avatar_ref": avatar,
            "profile_url": a.get("profile_url"),
            "is_owner": a["is_owner"],
            "items": len(a["items"]),
            "messages": int(counts.get(key, 0)),
        }


def _locator(r: Any) -> dict[str, Any]:
    loc: dict[str, Any] = {"item_sha256": r.loc_sha256, "path": r.loc_path}
    for name in ("line", "offset", "pointer"):
        value = getattr(r, f"loc_{name}")
        if value is not None:
            loc[name] = value
    return loc


def iter_messages(case: Case) -> Iterator[dict[str, Any]]:
    """Every message in time order (unknown times last), as ``ews messages --json``."""
    index = account_index(case)
    with db.read_connection(case.engine) as conn:
        rows = conn.execution_options(stream_results=True, yield_per=5000).execute(
            sa.select(T_MESSAGE)
            .join(T_ITEM, T_ITEM.c.id == T_MESSAGE.c.item_id)
            .where(T_MESSAGE.c.case_id == case.case_id)
            .order_by(
                T_MESSAGE.c.sent_at_sort.is_(None),
                T_MESSAGE.c.sent_at_sort,
                T_ITEM.c.ledger_seq,
                T_MESSAGE.c.ordinal,
            )
        )
        for r in rows:
            acc = index.get(r.sender_key or "", {})
            yield {
                "id": r.id,
                "platform": r.platform,
                "thread_id": r.thread_id,
                "thread_title": r.thread_title,
                "kind": r.kind,
                "text": r.text,
                "raw_text": r.raw_text,
                "sent_at_utc": r.sent_at_utc,
                "sent_at_raw": r.sent_at_raw,
                "tz": r.tz,
                "tz_assumed": bool(r.tz_assumed),
                "flags": json.loads(r.flags),
                "edited": bool(r.edited),
                "attachments": json.loads(r.attachments),
                "reply_to": r.reply_to,
                "message_id": r.message_id,
                "direction": r.direction,
                "recipients": json.loads(r.recipients),
                "received_chain": json.loads(r.received_chain),
                "reactions": [json.loads(x) for x in json.loads(r.reactions)],
                "shares": [json.loads(x) for x in json.loads(r.shares)],
                "forwarded_from": r.forwarded_from,
                "sender": {
                    "account_id": r.sender_key,
                    "identifier": r.sender_identifier,
                    "display_name": acc.get("display_name"),
                    "phone_e164": acc.get("phone_e164"),
                    "email": acc.get("email"),
                    "platform_id": acc.get("platform_id"),
                },
                "locator": _locator(r),
            }

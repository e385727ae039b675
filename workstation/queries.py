"""Read-side views of a case in the documented JSON shapes (DESIGN.md §8)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import T_EXAMINER, T_ITEM, T_WARN, Case


def iter_items(case: Case, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every item in acquisition order, with its warnings, as ``ews items --json`` prints it."""
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
                    "extractors": [],
                    "warnings": warnings.get(r.id, []),
                }
            after = int(rows[-1].ledger_seq)

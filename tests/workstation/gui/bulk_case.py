"""A case with a million messages, made fast, for the GUI's speed test and bench/bench_gui.py.

Rows go straight into ``item``, ``extraction``, ``account_record`` and ``message_record``
through SQLAlchemy core (one transaction, ``executemany`` in batches). Only the case's own
ledger entries exist: there is no ``item.acquired`` / ``item.extracted`` entry per row, so
``ews verify`` on such a case reports the rows as unwitnessed. It measures the screens, not
the chain of custody.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from workstation.queries import T_ACCOUNT, T_EXTRACTION, T_MESSAGE

BATCH = 20_000
WORDS = (
    *("where", "are", "you", "tonight", "i", "know", "saw", "my", "message", "answer", "me"),
    *("now", "please", "stop", "this", "we", "need", "to", "talk", "about", "what"),
    *("happened", "at", "the", "station", "will", "be", "outside", "later"),
)
PLATFORMS = ("whatsapp", "sms", "telegram", "facebook")
START = datetime(2023, 1, 2, tzinfo=UTC)


def make_bulk_case(
    folder: Path, signer: Signer, *, messages: int, items: int, accounts: int = 40, seed: int = 7
) -> Case:
    """Create a case holding ``items`` chat items and ``messages`` messages spread over them."""
    case = Case.create(folder, urn="01BK0000001", title="R v Bulk (synthetic)", signer=signer)
    rng = random.Random(seed)
    with db.write_transaction(case.engine, case.case_id) as conn:
        item_rows = list(_items(case.case_id, items))
        for start in range(0, items, BATCH):
            conn.execute(sa.insert(T_ITEM), item_rows[start : start + BATCH])
        extraction_rows = [_extraction(case.case_id, r) for r in item_rows]
        for start in range(0, items, BATCH):
            conn.execute(sa.insert(T_EXTRACTION), extraction_rows[start : start + BATCH])
        keys = [f"whatsapp:+4477009{n:05d}" for n in range(accounts)]
        conn.execute(
            sa.insert(T_ACCOUNT),
            [_account(case.case_id, extraction_rows[0], item_rows[0], k) for k in keys],
        )
        batch: list[dict[str, Any]] = []
        for row in _messages(case.case_id, item_rows, extraction_rows, keys, messages, rng):
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute(sa.insert(T_MESSAGE), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(T_MESSAGE), batch)
    return case


def _items(case_id: str, count: int) -> Iterator[dict[str, Any]]:
    at = START.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for n in range(count):
        sha = hashlib.sha256(n.to_bytes(8, "big")).hexdigest()
        name = f"WhatsApp Chat with Contact {n:07d}.txt"
        yield {
            "id": str(uuid.UUID(int=n + 1)),
            "case_id": case_id,
            "sha256": sha,
            "size": 1000 + n % 50_000,
            "mime": "text/plain",
            "name": name,
            "path": f"exports/phone/{n // 1000:04d}/{name}",
            "acquired_at": at,
            "acquired_by": "0" * 16,
            "source": "bulk generator",
            "reason": "speed test",
            "ledger_seq": 1000 + n,
        }


def _extraction(case_id: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_OID, item["id"])),
        "case_id": case_id,
        "item_id": item["id"],
        "extractor": "whatsapp_txt",
        "version": "1",
        "status": "complete",
        "record_count": 0,
        "warning_count": 0,
        "merkle_root": "0" * 64,
        "ledger_seq": item["ledger_seq"],
    }


def _account(case_id: str, x: dict[str, Any], item: dict[str, Any], key: str) -> dict[str, Any]:
    phone = key.split(":", 1)[1]
    return {
        **_locator(case_id, x, item, 0),
        "account_key": key,
        "platform": "whatsapp",
        "display_name": f"Contact {phone[-5:]}",
        "phone_raw": phone,
        "phone_e164": phone,
        "is_owner": False,
    }


def _locator(case_id: str, x: dict[str, Any], item: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "extraction_id": x["id"],
        "item_id": item["id"],
        "ordinal": n,
        "loc_sha256": item["sha256"],
        "loc_path": item["path"],
        "loc_line": n + 1,
    }


def _messages(
    case_id: str,
    items: list[dict[str, Any]],
    extractions: list[dict[str, Any]],
    keys: list[str],
    count: int,
    rng: random.Random,
) -> Iterator[dict[str, Any]]:
    per_item = max(1, count // len(items))
    moment = START
    for n in range(count):
        slot = min(n // per_item, len(items) - 1)
        item, x = items[slot], extractions[slot]
        moment += timedelta(seconds=rng.randint(1, 60))
        utc = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        sender = keys[rng.randrange(len(keys))]
        yield {
            **_locator(case_id, x, item, n - slot * per_item),
            "platform": PLATFORMS[slot % len(PLATFORMS)],
            "thread_id": f"thread-{slot}",
            "thread_title": f"Contact {slot:07d}",
            "sender_key": sender,
            "sender_identifier": sender.split(":", 1)[1],
            "recipients": "[]",
            "sent_at_utc": utc,
            "sent_at_raw": moment.strftime("%d/%m/%Y, %H:%M"),
            "tz": "Europe/London",
            "tz_assumed": True,
            "flags": "[]",
            "kind": "text",
            "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 14))) + f" #{n}",
            "attachments": "[]",
            "edited": False,
            "received_chain": "[]",
            "reactions": "[]",
            "shares": "[]",
            "sent_at_sort": utc[:19] + ".000000Z",
        }

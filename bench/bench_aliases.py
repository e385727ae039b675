"""Alias grouping at scale (issue 5): ``aliases.analyse`` over 100,000 synthetic accounts.

The generator (``generate``) writes account, picture and message rows straight into a new
case's tables, as extractors would have left them: names drawn from common first names and
surnames (so big blocks like "Mum" and "John Smith" occur), ~15% of people with a second or
third account (spelling variants, look-alike letters, the same phone written another way, the
same email in other case, the same or a re-compressed profile picture), 2% on one default
avatar, 1,500 accounts named "Mum", and 20,000 messages in titled threads, some giving a
number; spread over ten ingest sources ("Phone N"), each with its holder's account.

Usage: python bench/bench_aliases.py [--accounts 100000] [--out bench/out]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import get_or_create_examiner
from chain_of_custody.models import (
    AccountAvatar,
    AccountRecord,
    Extraction,
    ImageMetaRecord,
    MessageRecord,
)
from workstation import aliases


def _names(text: str) -> list[str]:
    return text.split()


FIRST = _names(
    "John James David Daniel Michael Sarah Emma Olivia Sophie Jessica Mohammed "
    "Ali Wei Priya Ana Luca Chloé Zoë Siobhán Tomasz Jan Ahmed Grace Ella Jack "
    "Harry Oliver Noah Amelia Isla Ava Leo Freddie Arthur Mia Lily Ivy Rosie "
    "Sofia Yusuf Omar Aisha "
)
LAST = _names(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Khan Evans "
    "Thomas Roberts Wright Walker White Hall Green Wood Martin Lewis Clarke Mercer "
    "Price Turner Dubois Kowalski Nowak Murphy O'Brien Ng Chen Singh Ahmed Hughes "
    "Edwards Hill Moore "
)
CONFUSE = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р"}  # Cyrillic look-alikes
PLATFORMS = ("facebook", "instagram", "whatsapp", "sms", "telegram", "x", "email")
SOURCES = 10


def _variant(rng: random.Random, name: str) -> str:
    how = rng.randrange(4)
    if how == 0:  # doubled letter
        i = rng.randrange(len(name))
        return name[:i] + name[i] + name[i:]
    if how == 1:  # a look-alike letter
        i = next((i for i, ch in enumerate(name) if ch in CONFUSE), 0)
        return name[:i] + CONFUSE.get(name[i], name[i]) + name[i + 1 :]
    if how == 2:  # handle style
        return name.lower().replace(" ", rng.choice("._")) + rng.choice(["", "_", ".x", "88"])
    return name.split()[0][0] + " " + name.split()[-1]  # initial and surname


def _rows(n: int, rng: random.Random) -> tuple[list[dict[str, Any]], dict[str, str], list[str]]:
    """Accounts, each account's picture hash, and message texts."""
    accounts: list[dict[str, Any]] = []
    pictures: dict[str, str] = {}
    default_avatar = "ffff0000ffff0000"
    while len(accounts) < n:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if rng.random() < 0.015:
            name = "Mum"
        phone = f"+4477009{rng.randrange(10**5):05d}"
        email = f"{name.split()[0].lower()}{rng.randrange(10**4)}@mail.example.com"
        phash = f"{rng.getrandbits(64):016x}"
        for copy in range(1 if rng.random() > 0.15 else rng.choice((2, 3))):
            plat = rng.choice(PLATFORMS)
            key = f"{plat}:{uuid.UUID(int=rng.getrandbits(128))}"
            shown = name if copy == 0 else _variant(rng, name)
            acc: dict[str, Any] = {"account_key": key, "platform": plat, "display_name": shown}
            if plat in ("sms", "whatsapp") or rng.random() < 0.2:
                acc["phone_raw"] = phone if copy == 0 else "0" + phone[3:7] + " " + phone[7:]
                acc["phone_e164"] = phone  # as the extractors store it
            if plat == "email" or rng.random() < 0.1:
                acc["email"] = email if copy == 0 else email.upper()
            if rng.random() < 0.3:
                flip = 1 << rng.randrange(64) if copy else 0  # re-compressed: one bit off
                pictures[key] = f"{int(phash, 16) ^ flip:016x}"
            elif rng.random() < 0.02:
                pictures[key] = default_avatar
            accounts.append(acc)
    texts = [
        f"Call me on 07700 9{rng.randrange(10**5):05d}"
        if rng.random() < 0.05
        else f"Message {rng.randrange(10**6)} about nothing much at all"
        for _ in range(20000)
    ]
    return accounts[:n], pictures, texts  # fmt: skip


def generate(case: Case, n: int, seed: int = 5) -> None:
    """Write n synthetic accounts (with pictures and messages) into the case's tables."""
    rng = random.Random(seed)
    accounts, pictures, texts = _rows(n, rng)
    cid = case.case_id
    with case.engine.begin() as conn:
        sources = []  # ten devices, each with its holder's own account
        for n in range(SOURCES):
            item_id, ext = str(uuid.uuid4()), str(uuid.uuid4())
            conn.execute(
                sa.insert(T_ITEM),
                {
                    "id": item_id,
                    "case_id": cid,
                    "sha256": f"{n:064x}",
                    "size": 0,
                    "mime": "text/plain",
                    "name": f"synthetic-{n}",
                    "path": f"synthetic-{n}",
                    "acquired_at": "2024-01-01T00:00:00Z",
                    "acquired_by": "BE",
                    "source": f"Phone {n} (synthetic)",
                    "reason": "bench",
                    "ledger_seq": 0,
                },
            )
            conn.execute(sa.insert(Extraction.__table__), {  # type: ignore[attr-defined]
                "id": ext, "case_id": cid, "item_id": item_id, "extractor": "bench",
                "version": "1", "status": "complete", "record_count": n, "warning_count": 0,
                "merkle_root": "0" * 64, "ledger_seq": 0})  # fmt: skip
            sources.append({"case_id": cid, "extraction_id": ext, "item_id": item_id,
                            "loc_sha256": "0" * 64, "loc_path": "synthetic"})  # fmt: skip
        loc = sources[0]
        cols = ("display_name", "phone_raw", "phone_e164", "email", "is_owner")
        owners = [{"account_key": f"whatsapp:holder{n}", "platform": "whatsapp",
                   "display_name": "You", "is_owner": True} for n in range(SOURCES)]  # fmt: skip
        conn.execute(
            sa.insert(AccountRecord.__table__),  # type: ignore[attr-defined]
            [{**sources[i % SOURCES], "ordinal": i, **dict.fromkeys(cols), "is_owner": False,
              **a} for i, a in enumerate(accounts + owners)],
        )  # fmt: skip
        senders = [a["account_key"] for a in accounts]
        conn.execute(
            sa.insert(MessageRecord.__table__),  # type: ignore[attr-defined]
            [{**sources[i % SOURCES], "ordinal": i, "platform": "sms", "thread_id": f"t{i % 500}",
              "thread_title": f"Chat {i % 500}", "kind": "text",
              "sender_key": rng.choice(senders), "text": t} for i, t in enumerate(texts)],
        )  # fmt: skip
        items, metas, avatars = [], [], []
        for i, (key, phash) in enumerate(pictures.items()):
            pid, sha = str(uuid.uuid4()), hashlib.sha256(f"{key}{phash}".encode()).hexdigest()
            items.append({"id": pid, "case_id": cid, "sha256": sha, "size": 1,
                          "mime": "image/jpeg", "name": f"{i}.jpg", "path": f"{i}.jpg",
                          "acquired_at": "2024-01-01T00:00:00Z", "acquired_by": "BE",
                          "source": "bench", "reason": "bench", "ledger_seq": 0})  # fmt: skip
            metas.append({**loc, "item_id": pid, "ordinal": 0, "phash": phash})
            avatars.append({"case_id": cid, "account_key": key, "item_id": pid, "sha256": sha,
                            "ledger_seq": 0})  # fmt: skip
        conn.execute(sa.insert(T_ITEM), items)
        conn.execute(sa.insert(ImageMetaRecord.__table__), metas)  # type: ignore[attr-defined]
        conn.execute(sa.insert(AccountAvatar.__table__), avatars)  # type: ignore[attr-defined]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--accounts", type=int, default=100_000)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(EWS_DATA_DIR=str(Path(tmp) / "keys"), EWS_PASSPHRASE="bench",
                          EWS_KDF_ROUNDS="2", EWS_INSECURE_TEST_KEYS="1")  # fmt: skip
        signer = get_or_create_examiner("Bench Examiner", "BE")
        with Case.create(Path(tmp) / "case", urn="BENCH", title="bench", signer=signer) as case:
            started = time.perf_counter()
            generate(case, args.accounts)
            made = time.perf_counter() - started
            started = time.perf_counter()
            report = aliases.analyse(case)
            seconds = time.perf_counter() - started
    strong = sum(s.strength == "strong" for s in report.suggestions)
    result = {
        "accounts": report.accounts,
        "analyse_seconds": round(seconds, 2),
        "generate_seconds": round(made, 2),
        "suggestions": len(report.suggestions),
        "strong": strong,
        "capped": report.capped,
        "notes": len(report.notes),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "command": "python bench/bench_aliases.py --accounts " + str(args.accounts),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "aliases.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

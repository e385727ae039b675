"""Export benchmark (issue 6): a case of 5,000 exhibits and 200,000 messages.

1. Build the case straight through the database, but with the real custody records the
   export rests on: an ``item.acquired`` entry and a stored blob per item, an
   ``item.extracted`` entry per chat, an ``exhibit.assigned`` entry per exhibit (one whole
   thread each), all signed and chained. 1,000 further items are left unused (MG6C).
2. Time, in this process: ``gather`` alone (case -> BundleContext, ledger extract, proofs);
   an export without the PDFs (gather + natives + proofs + JSON + zip, the exporter's own
   part); and the whole ``export_case`` with the PDFs of exports.documents.

Usage: python bench/bench_export.py [--exhibits 5000] [--messages 200000] [--out bench/out]
Target: the whole export under 60 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from chain_of_custody.case import T_BLOB, T_ITEM, Case  # noqa: E402
from chain_of_custody.keys import Signer, get_or_create_examiner  # noqa: E402
from chain_of_custody.ledger import NewEntry  # noqa: E402
from chain_of_custody.models import AccountRecord, Extraction, MessageRecord  # noqa: E402
from exports import bundle  # noqa: E402
from exports.exhibits import _insert_rows  # noqa: E402
from exports.gather import gather  # noqa: E402
from workstation.export import export_case  # noqa: E402

T_EXTRACTION = Extraction.__table__  # type: ignore[attr-defined]
T_MESSAGE = MessageRecord.__table__  # type: ignore[attr-defined]
T_ACCOUNT = AccountRecord.__table__  # type: ignore[attr-defined]
SENDERS = [f"whatsapp:+4477009{n:05d}" for n in range(40)]


def _chat(n: int, count: int) -> tuple[bytes, list[tuple[str, str, str]]]:
    """A chat export's bytes and its (utc, sender, text) lines."""
    lines = []
    for k in range(count):
        minute = n * 7 + k * 13
        utc = (
            f"2024-{3 + (minute // 40000) % 2:02d}-{1 + (minute // 1440) % 27:02d}T"
            f"{(minute // 60) % 24:02d}:{minute % 60:02d}:00.000000Z"
        )
        sender = SENDERS[(n + k) % len(SENDERS)]
        lines.append((utc, sender, f"message {k} of chat {n}: where are you, I saw your car"))
    text = "".join(f"{u} - {s}: {t}\n" for u, s, t in lines)
    return text.encode("utf-8"), lines


def _store(case: Case, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    path = case.store.blob_path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
        path.chmod(0o444)
    return sha


def _acquire(case: Case, signer: Signer, n_items: int, per_chat: int, chats: int) -> list[Any]:
    """item.acquired entries, blobs and rows; then item.extracted entries and messages."""
    made: list[tuple[str, str, int, list[tuple[str, str, str]]]] = []
    with case.writing(signer) as w:
        payloads = []
        for n in range(n_items):
            data, lines = _chat(n, per_chat if n < chats else 0)
            if n >= chats:
                data = f"unused note {n}\n".encode() * 50
            payloads.append((str(uuid.UUID(int=n + 1)), _store(case, data), len(data), lines))
        entries = w.append(
            [
                NewEntry(
                    "item.acquired",
                    sha,
                    {
                        "item_id": iid,
                        "sha256": sha,
                        "size": size,
                        "mime": "text/plain",
                        "name": f"chat_{n:05d}.txt",
                        "path": f"phone/chat_{n:05d}.txt",
                        "acquired_by": signer.key_id,
                        "source": "bench phone",
                        "reason": "bench",
                        "tool": "bench",
                    },
                )
                for n, (iid, sha, size, _l) in enumerate(payloads)
            ]
        )
        w.conn.execute(
            sa_insert(T_BLOB),
            [
                {"case_id": case.case_id, "sha256": p[1], "size": p[2], "mime": "text/plain"}
                for p in {p[1]: p for p in payloads}.values()
            ],
        )
        w.conn.execute(
            sa_insert(T_ITEM),
            [
                {
                    "id": iid,
                    "case_id": case.case_id,
                    "sha256": sha,
                    "size": size,
                    "mime": "text/plain",
                    "name": f"chat_{n:05d}.txt",
                    "path": f"phone/chat_{n:05d}.txt",
                    "acquired_at": e.at,
                    "acquired_by": signer.key_id,
                    "source": "bench phone",
                    "reason": "bench",
                    "ledger_seq": e.seq,
                }
                for n, ((iid, sha, size, _l), e) in enumerate(zip(payloads, entries, strict=True))
            ],
        )
        for iid, sha, _size, lines in payloads[:chats]:
            made.append((iid, sha, 0, lines))
        _extract(case, w, made)
    return made


def sa_insert(table: Any) -> Any:
    return sa.insert(table)


def _extract(case: Case, w: Any, chats: list[Any]) -> None:
    entries = w.append(
        [
            NewEntry(
                "item.extracted",
                sha,
                {
                    "item_id": iid,
                    "extractor": "whatsapp_txt",
                    "version": "1",
                    "records": len(lines),
                },
            )
            for iid, sha, _z, lines in chats
        ]
    )
    ext_rows, msg_rows = [], []
    for (iid, sha, _z, lines), e in zip(chats, entries, strict=True):
        xid = str(uuid.uuid5(uuid.NAMESPACE_OID, iid))
        ext_rows.append(
            {
                "id": xid,
                "case_id": case.case_id,
                "item_id": iid,
                "extractor": "whatsapp_txt",
                "version": "1",
                "status": "complete",
                "record_count": len(lines),
                "warning_count": 0,
                "merkle_root": "0" * 64,
                "ledger_seq": e.seq,
            }
        )
        for k, (utc, sender, text) in enumerate(lines):
            msg_rows.append(
                {
                    "case_id": case.case_id,
                    "extraction_id": xid,
                    "item_id": iid,
                    "ordinal": k,
                    "loc_sha256": sha,
                    "loc_path": f"chat {iid}",
                    "loc_line": k + 1,
                    "platform": "whatsapp",
                    "thread_id": f"whatsapp:chat-{iid}",
                    "sender_key": sender,
                    "sender_identifier": sender.split(":")[1],
                    "sent_at_utc": utc,
                    "sent_at_raw": utc,
                    "sent_at_sort": utc,
                    "kind": "text",
                    "text": text,
                    "tz": "Europe/London",
                }
            )
    w.conn.execute(sa_insert(T_EXTRACTION), ext_rows)
    for i in range(0, len(msg_rows), 20000):
        w.conn.execute(sa_insert(T_MESSAGE), msg_rows[i : i + 20000])
    first = ext_rows[0]
    w.conn.execute(
        sa_insert(T_ACCOUNT),
        [
            {
                "case_id": case.case_id,
                "extraction_id": first["id"],
                "item_id": first["item_id"],
                "ordinal": 0,
                "loc_sha256": chats[0][1],
                "loc_path": "chat",
                "account_key": s,
                "platform": "whatsapp",
                "display_name": f"Contact {s[-5:]}",
                "phone_e164": s.split(":")[1],
            }
            for s in SENDERS
        ],
    )


def _exhibits(case: Case, signer: Signer, chats: list[Any]) -> None:
    prefix = signer.identity.initials
    with case.writing(signer) as w:
        datas: list[dict[str, Any]] = [
            {
                "ref": f"{prefix}/{n}",
                "kind": "thread",
                "items": [sha],
                "thread_ids": [f"whatsapp:chat-{iid}"],
                "message_ids": [],
                "description": f"WhatsApp chat {n}",
                "reason": "bench",
            }
            for n, (iid, sha, _z, _l) in enumerate(chats, start=1)
        ]
        entries = w.append([NewEntry("exhibit.assigned", str(d["ref"]), d) for d in datas])
        for n, (d, e) in enumerate(zip(datas, entries, strict=True), start=1):
            _insert_rows(w.conn, case.case_id, e, prefix, n, d)


def build(folder: Path, signer: Signer, exhibits: int, messages: int) -> float:
    started = time.perf_counter()
    with Case.create(folder, urn="01BX0000001", title="R v Bench", signer=signer) as case:
        chats = _acquire(case, signer, exhibits + 1000, messages // exhibits, exhibits)
        _exhibits(case, signer, chats)
    return time.perf_counter() - started


def _time(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exhibits", type=int, default=5000)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    os.environ.update(
        EWS_DATA_DIR=str(work / "keys"), EWS_PASSPHRASE="bench", EWS_INSECURE_TEST_KEYS="1"
    )
    try:
        signer = get_or_create_examiner("Bench Examiner", "BE")
        built = build(work / "case", signer, args.exhibits, args.messages)
        # Signed after everything the case records (an export may not predate its ledger),
        # the same for every export of the run.
        at = (datetime.now(UTC) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with Case.open(work / "case") as case:
            t_gather, g = _time(lambda: gather(case, signer, file_type="pre-charge", at=at))
            no_pdf = mock.patch.object(bundle, "_documents", lambda *_a: None)
            with no_pdf:
                t_core, core = _time(
                    lambda: export_case(case, signer, file_type="pre-charge", out=work / "a", at=at)
                )
            t_full, full = _time(
                lambda: export_case(case, signer, file_type="pre-charge", out=work / "b", at=at)
            )
        result = {
            "exhibits": args.exhibits,
            "messages": args.messages,
            "ledger_entries": g.checkpoint.size,
            "build_s": round(built, 2),
            "gather_s": round(t_gather, 2),
            "export_without_pdfs_s": round(t_core, 2),
            "export_with_pdfs_s": round(t_full, 2),
            "files_without_pdfs": core.files,
            "files": full.files,
            "zip_mb": round(full.zip_path.stat().st_size / 1e6, 1),
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        }
        print(json.dumps(result, indent=2))
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "bench_export.json").write_text(json.dumps(result, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

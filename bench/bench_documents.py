"""Rendering the bundle's PDFs for a big case, built in memory (no database, no zip).

The target (issue 6): the whole export of a case with 5,000 exhibits and 200,000 messages in
under 60 s on the 2-core machine, so rendering must leave room for gathering and zipping.
The context has 4,800 item exhibits (screenshots) and 200 WhatsApp thread exhibits of 1,000
messages each, half of them with emoji (those take the embedded Unicode font), 2,000 unused
items and a ledger extract of about 10,000 entries.

Usage: python bench/bench_documents.py [--exhibits 5000] [--messages 200000] [--json PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import resource
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exports.context import (
    BundleContext,
    ExhibitView,
    ItemView,
    LedgerExtract,
    MessageView,
    UnusedView,
    WeekCount,
)
from exports.documents import FileEntry, render_index, render_parts
from tests.exports.sample_context import sample_context

START = datetime(2023, 6, 5, tzinfo=UTC)
_CHAT = (
    "you know where I am I saw you today outside the house again why won't you answer "
    "me tell your mum the car is parked at the end of the road stop ignoring me I will "
    "find out everything you are doing tonight and tomorrow and next week"
)
WORDS = tuple(_CHAT.split(" "))
EMOJI = ("😡", "🙂", "👀", "❤️")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _z(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _item(n: int, name: str, mime: str) -> ItemView:
    return ItemView(
        id=f"00000000-0000-4000-8000-{n:012d}",
        sha256=_sha(f"big item {n}"),
        size=100_000 + n,
        mime=mime,
        name=name,
        path=f"/evidence/batch-{n // 500}/{name}",
        parent_sha256=None,
        acquired_at_utc=_z(START + timedelta(days=200, seconds=n)),
        acquired_by="JS",
        source="victim's phone (IMEI 35-209900-176148-1)",
        reason="Produced by the victim",
        ledger_seq=10 + n,
        extractors=("image_meta@1.0",) if mime.startswith("image/") else ("whatsapp_txt@1.2",),
    )


def _thread(k: int, item: ItemView, count: int, rng: random.Random) -> tuple[MessageView, ...]:
    emoji = k % 2 == 0
    out = []
    t = START + timedelta(days=k)
    for n in range(count):
        t += timedelta(seconds=rng.randrange(60, 20_000))
        words = rng.choices(WORDS, k=rng.choice((3, 6, 9, 14, 25, 60)))
        text = " ".join(words).capitalize()
        if emoji and n % 9 == 0:
            text += " " + rng.choice(EMOJI)
        outgoing = rng.random() < 0.3
        out.append(
            MessageView(
                id=f"{k}-{n}",
                platform="whatsapp",
                thread_id=f"t{k}",
                thread_title=f"Chat {k}",
                kind="text",
                text=text,
                sent_at_utc=_z(t),
                sent_at_raw=t.strftime("%d/%m/%Y, %H:%M"),
                tz="Europe/London",
                tz_assumed=True,
                flags=("tz_assumed",),
                edited=n % 97 == 0,
                attachments=(),
                sender_identifier="Hannah" if outgoing else f"+4477009{k:05d}",
                sender_display="Hannah Price" if outgoing else "Dan",
                sender_account_id=None,
                direction="outgoing" if outgoing else "incoming",
                locator=f"{item.path}, line {n + 1}",
                item_sha256=item.sha256,
                highlighted=n % 50 == 0,
            )
        )
    return tuple(out)


def big_context(n_exhibits: int, n_messages: int) -> BundleContext:
    """The sample case's details with thousands of exhibits and messages."""
    rng = random.Random(6)
    base = sample_context()
    threads = max(1, n_exhibits // 25)
    per_thread = n_messages // threads
    exhibits: list[ExhibitView] = []
    entries: list[dict[str, object]] = list(base.ledger.entries[:2])
    for k in range(n_exhibits):
        is_thread = k < threads
        item = _item(
            k,
            f"chat-{k}.txt" if is_thread else f"IMG_{k:05d}.PNG",
            "text/plain" if is_thread else "image/png",
        )
        msgs = _thread(k, item, per_thread, rng) if is_thread else ()
        exhibits.append(
            ExhibitView(
                ref=f"JS/{k + 1}",
                number=k + 1,
                producer_initials="JS",
                kind="thread" if is_thread else "item",
                description=f"WhatsApp chat {k}" if is_thread else f"Screenshot IMG_{k:05d}.PNG",
                reason="Course of conduct",
                assigned_at_utc=_z(START + timedelta(days=220, seconds=k)),
                ledger_seq=100_000 + k,
                items=(item,),
                messages=msgs,
                date_from_utc=msgs[0].sent_at_utc if msgs else None,
                date_to_utc=msgs[-1].sent_at_utc if msgs else None,
            )
        )
        for seq, action in ((item.ledger_seq, "item.acquired"), (100_000 + k, "exhibit.assigned")):
            entries.append(
                {
                    "seq": seq,
                    "case": base.case_id,
                    "prev": _sha(f"e{seq - 1}"),
                    "at": item.acquired_at_utc,
                    "actor": base.examiners[0].key_id[:16],
                    "action": action,
                    "subject": item.sha256,
                    "data": {"name": item.name, "sha256": item.sha256, "size": item.size},
                    "entry_hash": _sha(f"e{seq}"),
                    "signature": _sha(f"s{seq}") * 2,
                }
            )
    unused = tuple(
        UnusedView(
            n + 1, _item(50_000 + n, f"IMG_U{n:05d}.PNG", "image/png"), "Screenshot, not relied on"
        )
        for n in range(2_000)
    )
    weeks = tuple(
        WeekCount((START + timedelta(weeks=w)).date().isoformat(), 20 + 12 * w, w // 3, w // 4)
        for w in range(52)
    )
    timelines = tuple(replace(t, weeks=weeks) for t in base.timelines)
    ledger = LedgerExtract(
        tuple(sorted(entries, key=lambda e: int(str(e["seq"])))),
        base.ledger.checkpoint,
        200_000,
        base.ledger.root,
    )
    return replace(
        base, exhibits=tuple(exhibits), unused=unused, timelines=timelines, ledger=ledger
    )


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the render workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exhibits", type=int, default=5_000)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ctx = big_context(args.exhibits, args.messages)
    built = time.perf_counter() - t0
    t1 = time.perf_counter()
    cpu0 = _cpu()
    docs = render_parts(ctx)
    parts = time.perf_counter() - t1
    cpu = _cpu() - cpu0
    files = [
        FileEntry(d.path, hashlib.sha256(d.data).hexdigest(), len(d.data), d.title) for d in docs
    ]
    t2 = time.perf_counter()
    index = render_index(ctx, files)
    index_s = time.perf_counter() - t2
    page = re.compile(rb"/Type /Page\b")
    pages = sum(len(page.findall(d.data)) for d in docs) + len(page.findall(index))
    messages = sum(len(e.messages) for e in ctx.exhibits)
    total = parts + index_s
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "exhibits": len(ctx.exhibits),
        "messages": messages,
        "documents": len(docs) + 1,
        "pages": pages,
        "bytes": sum(len(d.data) for d in docs) + len(index),
        "context_build_s": round(built, 2),
        "render_parts_s": round(parts, 2),
        "render_parts_cpu_s": round(cpu, 2),
        "render_index_s": round(index_s, 2),
        "messages_per_s": round(messages / total),
        "pages_per_s": round(pages / total),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

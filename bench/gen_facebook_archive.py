"""A synthetic Facebook "Download your information" zip (JSON, 2024+ layout), for benchmarks.

SYNTHETIC DATA: fictitious names (first and last names combined at random), example.org
addresses; nothing comes from a real account. The layout follows FORMATS.md §3:
``personal_information/profile_information/profile_information.json`` and, per thread,
``your_facebook_activity/messages/inbox/<slug>_<16 digits>/message_N.json`` (newest first,
at most 10,000 messages a page, pretty-printed like Facebook's), with its ``photos/``.
Every non-ASCII character is written as Facebook writes it: each UTF-8 byte as a ``\\u00XX``
escape (mojibake). Messages include reactions, unsent messages, calls, shares and photos.
Photos are small valid JPEGs made with Pillow, each different (colours, shapes, size, and
the photo number in a JPEG comment), so every photo has its own hash.

Fixed seed: the same arguments give the same bytes. Streams into the zip one message and
one photo at a time, so memory stays flat whatever the counts.

Usage: python bench/gen_facebook_archive.py OUT.zip [--messages 500000] [--threads 2000]
       [--photos 20000] [--seed 20240502]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

OWNER = "Jordan Avery"
FIRST = (
    "Alex", "Bea", "Chloé", "Dev", "Eilidh", "Femi", "Gosia", "Hamish", "Ines", "Jonah",
    "Kasia", "Lars", "Maëlle", "Nuno", "Oona", "Piotr", "Rosa", "Siân", "Tomás", "Zoë",
)  # fmt: skip
LAST = (
    "Abbott", "Brennan", "Córdoba", "Dąbrowski", "Ellery", "Fairbairn", "Grünewald",
    "Halloran", "Iqbal", "Jørgensen", "Kowalczyk", "Lindqvist", "Moreau", "Nakamura",
    "O'Rourke", "Pereira", "Quinlan", "Røed", "Szabó", "Whitlock",
)  # fmt: skip
_VOCABULARY = (
    "the a and to you I it is that we on are was with be this not at tonight tomorrow home "
    "work train late sorry okay thanks call later meet café car door window coffee station "
    "weekend party phone message reply why where when what who how please stop never again "
    "soon now here there naïve déjà vu 😂 👍 ❤️ 🙈 😡 🌹"
)
WORDS = tuple(_VOCABULARY.split(" "))
REACTIONS = ("❤", "😆", "😮", "😢", "😠", "👍")
PAGE = 10_000
START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z


def mojibake(text: str) -> str:
    """Text as Facebook writes it: UTF-8 bytes as Latin-1 code points."""
    return text.encode("utf-8").decode("latin-1")


def _fb_json(value: Any, indent: int) -> str:
    """JSON with every UTF-8 byte as \\u00XX and Facebook's two-space indentation."""
    pad = " " * indent
    return json.dumps(value, indent=2, ensure_ascii=True).replace("\n", "\n" + pad)


@dataclass
class Thread:
    """One conversation: its folder, people, message count and photo numbers."""

    folder: str
    title: str
    people: list[str]
    messages: int


def _threads(rng: random.Random, threads: int, messages: int) -> Iterator[Thread]:
    """Threads with the messages spread evenly (the first ones get the remainder)."""
    base, extra = divmod(messages, threads)
    for n in range(threads):
        size = rng.choice((1, 1, 1, 1, 2, 3, 4))
        others = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(size)]
        title = others[0] if size == 1 else ", ".join(o.split()[0] for o in others)
        slug = "".join(c for c in title.lower() if c.isascii() and c.isalnum())[:20] or "thread"
        folder = f"{slug}_{rng.randrange(10**15, 10**16)}"
        yield Thread(folder, title, [*others, OWNER], base + (1 if n < extra else 0))


def _sentence(rng: random.Random) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 18)))
    return text[:1].upper() + text[1:]


def _message(rng: random.Random, thread: Thread, when_ms: int, photo: str | None) -> dict[str, Any]:
    """One message as Facebook writes it (strings still in proper Unicode here)."""
    sender = rng.choice(thread.people)
    m: dict[str, Any] = {"sender_name": sender, "timestamp_ms": when_ms}
    roll = rng.random()
    if photo is not None:
        m["photos"] = [{"uri": photo, "creation_timestamp": when_ms // 1000}]
        if rng.random() < 0.3:
            m["content"] = _sentence(rng)
    elif roll < 0.01:
        m["is_unsent"] = True
    elif roll < 0.02:
        first = sender.split()[0]
        m["content"] = f"{first} called you." if rng.random() < 0.5 else "You missed a call."
        m["call_duration"] = 0 if "missed" in m["content"] else rng.randint(5, 3600)
    elif roll < 0.03:
        m["share"] = {"link": f"https://example.org/article/{rng.randrange(10**6)}"}
        m["content"] = _sentence(rng)
    else:
        m["content"] = _sentence(rng)
    if rng.random() < 0.05:
        actor = rng.choice([p for p in thread.people if p != sender] or thread.people)
        m["reactions"] = [{"reaction": rng.choice(REACTIONS), "actor": actor}]
    m["is_geoblocked_for_viewer"] = False
    m["is_unsent_image_by_messenger_kid_parent"] = False
    written: dict[str, Any] = _deep_mojibake(m)
    return written


def _deep_mojibake(value: Any) -> Any:
    if isinstance(value, str):
        return mojibake(value)
    if isinstance(value, list):
        return [_deep_mojibake(v) for v in value]
    if isinstance(value, dict):
        return {k: _deep_mojibake(v) for k, v in value.items()}
    return value


def make_jpeg(number: int, seed: int) -> bytes:
    """A small valid JPEG, different for every ``number`` (the number is in its comment)."""
    rng = random.Random(seed * 1_000_003 + number)
    size = (rng.randint(48, 96), rng.randint(36, 72))
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x0, y0, x0 + rng.randint(4, 30), y0 + rng.randint(4, 30))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, comment=f"synthetic bench photo {number}".encode())
    return out.getvalue()


def _entry(name: str, compression: int) -> zipfile.ZipInfo:
    """A member with a fixed time, so the same arguments give the same zip bytes."""
    info = zipfile.ZipInfo(name, (2024, 5, 2, 8, 41, 0))
    info.compress_type = compression
    return info


def _profile() -> bytes:
    profile = {
        "profile_v2": {
            "name": {"full_name": OWNER, "first_name": "Jordan", "last_name": "Avery"},
            "emails": {"emails": ["jordan.avery@example.org"], "previous_emails": []},
            "profile_uri": "https://www.facebook.com/jordan.avery.example",
        }
    }
    return json.dumps(profile, indent=2).encode()


def write_thread(
    archive: zipfile.ZipFile,
    rng: random.Random,
    thread: Thread,
    first_message: int,
    totals: tuple[int, int],
    seed: int,
) -> int:
    """Write a thread's pages (newest first) and then its photos; returns photos written."""
    messages, photos = totals
    base = f"your_facebook_activity/messages/inbox/{thread.folder}"
    when = START_MS + rng.randrange(400 * 86_400_000)
    pending: list[tuple[str, int]] = []
    participants = [{"name": mojibake(p)} for p in thread.people]
    for page_no, start in enumerate(range(0, thread.messages, PAGE), 1):
        with archive.open(
            _entry(f"{base}/message_{page_no}.json", zipfile.ZIP_DEFLATED), "w"
        ) as page:
            page.write(f'{{\n  "participants": {_fb_json(participants, 2)},\n'.encode())
            page.write(b'  "messages": [\n')
            for i in range(start, min(start + PAGE, thread.messages)):
                g = first_message + i  # photos spread evenly over all messages
                photo = None
                if (g + 1) * photos // messages != g * photos // messages:
                    number = (g + 1) * photos // messages - 1
                    photo = f"{base}/photos/{number}_{rng.randrange(10**9)}_n.jpg"
                    pending.append((photo, number))
                when -= rng.randint(1_000, 3_600_000)
                body = _fb_json(_message(rng, thread, when, photo), 4)
                page.write(f"{',' if i > start else ''}\n    {body}".encode())
            tail = {
                "title": mojibake(thread.title),
                "is_still_participant": True,
                "thread_path": f"inbox/{thread.folder}",
                "magic_words": [],
                "joinable_mode": {"mode": 1, "link": ""},
            }
            page.write(b"\n  ],\n  " + _fb_json(tail, 0)[1:-1].strip().encode() + b"\n}\n")
    for name, number in pending:
        archive.writestr(_entry(name, zipfile.ZIP_STORED), make_jpeg(number, seed))
    return len(pending)


def generate(out: Path, messages: int, threads: int, photos: int, seed: int) -> dict[str, int]:
    """Write the archive; returns counts of what it holds."""
    if threads < 1 or messages < threads or not 0 <= photos <= messages:
        raise SystemExit("need threads >= 1, messages >= threads and 0 <= photos <= messages")
    rng = random.Random(seed)
    written = 0
    with zipfile.ZipFile(out, "w") as archive:
        profile = "personal_information/profile_information/profile_information.json"
        archive.writestr(_entry(profile, zipfile.ZIP_DEFLATED), _profile())
        first = 0
        for thread in _threads(rng, threads, messages):
            written += write_thread(archive, rng, thread, first, (messages, photos), seed)
            first += thread.messages
        members = len(archive.infolist())
    return {"messages": messages, "threads": threads, "photos": written, "members": members}


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the zip file to write")
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--threads", type=int, default=2_000)
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20240502)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.out, args.messages, args.threads, args.photos, args.seed)
    seconds = time.perf_counter() - started
    size = args.out.stat().st_size
    print(json.dumps({**counts, "bytes": size, "seconds": round(seconds, 1)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

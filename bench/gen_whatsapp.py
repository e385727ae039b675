"""A synthetic Android en-GB 24 h WhatsApp "Export chat" text file, for extractor benchmarks.

SYNTHETIC DATA: fictitious names and Ofcom drama-range numbers (+44 7700 900xxx); nothing
comes from a real chat. The layout follows FORMATS.md §1 (Android, ``dd/mm/yyyy, HH:MM - ``):
the encryption notice first, then messages of varied length, some over several lines (blank
lines included), media markers (``IMG-…jpg (file attached)`` with a caption on the next line,
``<Media omitted>``), deleted and edited markers, and a few system lines. Times only go
forward (minute precision, so many ties) and cross DST changes as a real chat would.

Fixed seed: the same arguments give the same bytes. Streams to the output in blocks, so
memory stays flat whatever the message count.

Usage: python bench/gen_whatsapp.py OUT.txt [--messages 1000000] [--seed 20240301]
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

E2E = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more."
)
PEOPLE = ("Alex Smith", "Jo Bloggs", "Sam Taylor", "Priya Nandakumar", "Chris O'Neill")
NUMBERS = ("+44 7700 900123", "+44 7700 900456", "+44 7700 900789")
_VOCABULARY = (
    "the a and to of you I it is that in we for on are was with be this have not at "
    "tonight tomorrow home work train late sorry okay thanks call later meet pub car door "
    "window coffee station bus weekend party ring phone message read reply why where when "
    "what who how please stop really never always again soon now here there 😂 👍 ❤️ 🙈"
)
WORDS = tuple(_VOCABULARY.split(" "))
SYSTEM = (
    "{a} added {b}",
    "{a} left",
    '{a} changed the subject to "Plans: {w}"',
    "{a} joined using this group's invite link",
    "You blocked this contact. Tap to unblock.",
    "You unblocked this contact.",
)
BLOCK_LINES = 10_000


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[:1].upper() + text[1:]


def _body(rng: random.Random, when: datetime, media_no: int) -> tuple[list[str], bool]:
    """Lines of one message body; the flag says a media number was used."""
    roll = rng.random()
    if roll < 0.03:
        name = f"IMG-{when:%Y%m%d}-WA{media_no % 10000:04d}.jpg (file attached)"
        return ([name, _sentence(rng, rng.randint(1, 12))] if rng.random() < 0.6 else [name]), True
    if roll < 0.05:
        return ["<Media omitted>"], False
    if roll < 0.055:
        return ["This message was deleted"], False
    length = rng.choice((1, 2, 3, 5, 8, 13, 21, 34)) if rng.random() < 0.97 else 300
    if roll < 0.11:  # several lines, sometimes with a blank one
        lines = [_sentence(rng, rng.randint(1, 15)) for _ in range(rng.randint(2, 5))]
        if rng.random() < 0.4:
            lines.insert(1, "")
        return lines, False
    text = _sentence(rng, length)
    if roll < 0.115:
        text += " <This message was edited>"
    return [text], False


def generate(out: Path, messages: int, seed: int) -> dict[str, int]:
    """Write the chat; returns counts by kind of line written."""
    rng = random.Random(seed)
    when = datetime(2023, 1, 1, 8, 0)
    senders = PEOPLE + NUMBERS
    counts = {"messages": 0, "system": 0, "media_files": 0, "lines": 0}
    block: list[str] = []
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for index in range(messages):
            stamp = f"{when:%d/%m/%Y, %H:%M}"
            if index == 0:
                block.append(f"{stamp} - {E2E}")
                counts["system"] += 1
            elif rng.random() < 0.0005:
                a, b = rng.sample(senders, 2)
                line = rng.choice(SYSTEM).format(a=a, b=b, w=rng.choice(WORDS))
                block.append(f"{stamp} - {line}")
                counts["system"] += 1
            else:
                lines, media = _body(rng, when, counts["media_files"] + 1)
                counts["media_files"] += media
                block.append(f"{stamp} - {rng.choice(senders)}: {lines[0]}")
                block.extend(lines[1:])
            counts["messages"] += 1
            if len(block) >= BLOCK_LINES:
                counts["lines"] += len(block)
                f.write("\n".join(block) + "\n")
                block = []
            when += timedelta(minutes=rng.choice((0, 0, 1, 1, 2, 3, 5, 8, 13, 30, 90)))
        counts["lines"] += len(block)
        if block:
            f.write("\n".join(block) + "\n")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the .txt to write")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240301)
    args = parser.parse_args(argv)
    counts = generate(args.out, args.messages, args.seed)
    size = args.out.stat().st_size
    print(f"{args.out}: {size} bytes, " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

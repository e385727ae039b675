"""Lines of a WhatsApp export, decoded: UTF-8 (or a re-saved UTF-16), over-long lines cut,
bad bytes replaced, each problem noted on its line for the reader to warn about."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE = 1 << 20  # bytes of one line kept as text; the rest is skipped with a warning


@dataclass
class Line:
    """One line without its end, with its size in the file and any decoding problem."""

    number: int
    text: str
    size: int
    problem: str | None = None
    cut: bool = False  # the file ended inside a character


def read_lines(f: BinaryIO, head: bytes) -> Iterator[Line]:
    """Lines without their ends, decoded; over-long lines cut, bad bytes replaced (noted)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield from _read_utf16_lines(f)
        return
    number = 0
    while raw := f.readline(MAX_LINE):
        number += 1
        size, problem = len(raw), None
        ended = raw.endswith(b"\n")
        if not ended and len(raw) == MAX_LINE:
            skipped = 0
            while more := f.readline(MAX_LINE):
                skipped += len(more)
                if more.endswith(b"\n"):
                    break
            if skipped:
                size += skipped
                problem = f"line longer than {MAX_LINE} bytes: {skipped} bytes after it skipped"
        raw = raw.rstrip(b"\n").rstrip(b"\r")
        cut = False
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            cut = not ended and exc.reason == "unexpected end of data" and exc.end == len(raw)
            if problem is None or not cut:
                text = raw.decode("utf-8", "replace")
            else:  # cut by the length limit above, not damaged
                text, cut = raw[: exc.start].decode("utf-8", "replace"), False
            if problem is None:
                problem = (
                    "the file ends inside a UTF-8 character (truncated?)"
                    if cut
                    else "invalid UTF-8 bytes replaced by U+FFFD"
                )
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield Line(number, text, size, problem, cut)


def _read_utf16_lines(f: BinaryIO) -> Iterator[Line]:
    """A re-saved UTF-16 file (WhatsApp writes UTF-8; Windows editors may not)."""
    stream = io.TextIOWrapper(f, encoding="utf-16", errors="replace", newline="")
    number = 0
    while text := stream.readline(MAX_LINE):
        number += 1
        problem = None
        if len(text) == MAX_LINE and not text.endswith("\n"):
            while (more := stream.readline(MAX_LINE)) and not more.endswith("\n"):
                pass
            problem = f"line longer than {MAX_LINE} characters: the rest skipped"
        text = text.rstrip("\n").rstrip("\r").removeprefix("\ufeff")
        if problem is None and "\ufffd" in text:
            problem = "invalid UTF-16 data replaced by U+FFFD"
        yield Line(number, text, 2 * len(text), problem)

"""Lines of a WhatsApp export, decoded: UTF-8 (or a re-saved UTF-16), over-long lines cut,
bad bytes replaced, each problem noted on its line for the reader to warn about.

``read_chunks`` gives the same lines in bulk: 64 KiB of clean UTF-8 is decoded and split
in one go; from the first problem on (bad bytes, an over-long or unterminated last line) it
hands over to ``read_lines``, line by line, so every line reads exactly as ``read_lines``
would read it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

MAX_LINE = 1 << 20  # bytes of one line kept as text; the rest is skipped with a warning
BLOCK = 1 << 16  # bytes read and decoded at once by read_chunks


@dataclass
class Line:
    """One line without its end, with its size in the file and any decoding problem."""

    number: int
    text: str
    size: int
    problem: str | None = None
    cut: bool = False  # the file ended inside a character


@dataclass
class Chunk:
    """Consecutive lines: many clean ones, or a single one with its problem."""

    first: int  # number of the first line
    lines: list[str]
    size: int  # bytes the lines take in the file
    problem: str | None = None
    cut: bool = False


def read_chunks(f: BinaryIO, head: bytes) -> Iterator[Chunk]:
    """The lines of ``read_lines``, in chunks (see the module docstring)."""
    if head.startswith(_UTF16_BOMS):
        for line in _read_utf16_lines(f):
            yield Chunk(line.number, [line.text], line.size, line.problem, line.cut)
        return
    number, pending = 0, b""
    while True:
        block = f.read(BLOCK)
        data = pending + block if pending else block
        end = data.rfind(b"\n") + 1 if block else 0
        if not end and block and len(data) < MAX_LINE:
            pending = data  # a short read inside a line
            continue
        body = data[:end]
        if not end or (len(body) > MAX_LINE and max(map(len, body.split(b"\n"))) >= MAX_LINE):
            break  # the end of the file, or an over-long line: line by line from here
        if b"\x00" in body:
            break  # a NUL byte: line by line, so its line is noted
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            break
        lines = text.split("\n")
        lines.pop()  # after the last line end
        if "\r" in text:
            lines = [line.rstrip("\r") for line in lines]
        if number == 0:
            lines[0] = lines[0].removeprefix("\ufeff")
        yield Chunk(number + 1, lines, end)
        number += len(lines)
        pending = data[end:]
    if data:
        replay = io.BufferedReader(_Replay(data, f), buffer_size=1 << 16)
        for line in read_lines(replay, b"", start=number):
            yield Chunk(line.number, [line.text], line.size, line.problem, line.cut)


class _Replay(io.RawIOBase):
    """Bytes already read, then the rest of the file."""

    def __init__(self, first: bytes, rest: BinaryIO) -> None:
        self._first = memoryview(first)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._first:
            n = min(len(buffer), len(self._first))
            buffer[:n] = self._first[:n]
            self._first = self._first[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_lines(f: BinaryIO, head: bytes, start: int = 0) -> Iterator[Line]:
    """Lines without their ends, decoded; over-long lines cut, bad bytes replaced (noted).

    ``start`` is the number of lines before ``f``'s position (a BOM is only removed from
    the file's first line).
    """
    if head.startswith(_UTF16_BOMS):
        yield from _read_utf16_lines(f)
        return
    number = start
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
        if "\x00" in text:  # never stored: PostgreSQL text cannot hold it, and it hides text
            text = text.replace("\x00", "\ufffd")
            problem = problem or "NUL bytes replaced by U+FFFD"
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

"""Streaming reader of "Download your information" JSON (Facebook and Instagram).

A thread page can hold 10,000 messages and one message can be huge, so the file is never
loaded whole: ``JsonScanner`` finds the extent of one value at a time on the bytes, and each
value is decoded by ``json`` on its own. Structural damage raises ``JsonDamage`` at its byte
offset; a value over ``VALUE_LIMIT`` is skipped and reported as ``None``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from extractors.base import Source

_CHUNK = 1 << 20
VALUE_LIMIT = 16 << 20  # one message or root value; Messenger caps a message far below this
_STRUCT = re.compile(rb'["{}\[\]]')
_STRING_STOP = re.compile(rb'["\\]')
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_SCALAR_END = re.compile(rb"[,}\]\s]")
_NON_WS = re.compile(rb"[^ \t\r\n]")


class JsonDamage(Exception):
    """The JSON structure is broken (or ends) at byte ``offset``."""

    def __init__(self, offset: int, what: str) -> None:
        super().__init__(what)
        self.offset = offset
        self.what = what


_DECODER = json.JSONDecoder()


class Decoded:
    """A value the scanner parsed itself (``JsonScanner.decoded``)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class JsonScanner:
    """Finds the extents of JSON values in a byte stream, holding one value at a time.

    Structure is found on bytes (UTF-8 never hides an ASCII byte inside a character), so a
    damaged value costs only that value; each value is decoded by ``json`` on its own.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._pos = 0  # bytes of _buf before this are consumed
        self._base = 0  # file offset of _buf[0]
        self._eof = False
        self._grew = False  # the last refill read bytes
        self._text: str | None = None  # _buf as text when it is all ASCII (see decoded)
        self._refill()
        if self._buf.startswith(b"\xef\xbb\xbf"):
            self._pos = 3

    @property
    def offset(self) -> int:
        """Byte offset of the next unconsumed byte."""
        return self._base + self._pos

    def _refill(self) -> int:
        """Drop consumed bytes, read a chunk; returns how far buffer indices moved."""
        shift = self._pos
        del self._buf[:shift]
        self._base += shift
        self._pos = 0
        chunk = b"" if self._eof else self._stream.read(_CHUNK)
        self._buf.extend(chunk)
        self._eof = self._eof or not chunk
        self._grew = bool(chunk)
        self._text = None
        self._ascii = self._buf.isascii()
        return shift

    def decoded(self, limit: int) -> Decoded | None:
        """The next value parsed at once, when it is an object held whole in an ASCII
        buffer (Facebook escapes every non-ASCII character); else None, and nothing is
        consumed: ``value`` then finds its extent as usual.

        Parsing a valid object finds the same extent ``value`` finds, so the two agree
        whenever this succeeds; anything else (damage, an unfinished or over-long value)
        is left to ``value``.
        """
        if not self._ascii or self.peek() != 0x7B:  # '{'
            return None
        if self._text is None:
            self._text = self._buf.decode("ascii")
        try:
            parsed, end = _DECODER.raw_decode(self._text, self._pos)
        except (ValueError, RecursionError):
            return None
        if end - self._pos > limit:
            return None
        self._pos = end
        return Decoded(parsed)

    def peek(self) -> int | None:
        """The next non-space byte (not consumed), None at the end of the input."""
        while True:
            m = _NON_WS.search(self._buf, self._pos)
            if m:
                self._pos = m.start()
                return self._buf[self._pos]
            self._pos = len(self._buf)
            if self._eof:
                return None
            self._refill()

    def expect(self, allowed: bytes, where: str) -> int:
        """Consume one of the ``allowed`` bytes or raise JsonDamage."""
        c = self.peek()
        if c is None or c not in allowed:
            found = "the end of the input" if c is None else repr(chr(c))
            raise JsonDamage(self.offset, f"expected {allowed.decode()!r} {where}, found {found}")
        self._pos += 1
        return c

    def value(self, limit: int) -> bytes | None:
        """The next value's bytes; None when longer than ``limit`` (skipped to its end)."""
        first = self.peek()
        if first is None or first in b",:}]":
            found = "the end of the input" if first is None else repr(chr(first))
            raise JsonDamage(self.offset, f"expected a value, found {found}")
        keep, depth, scalar = limit > 0, 0, first not in b'{["'
        in_string, i = False, self._pos
        while True:
            end, buf = None, self._buf
            if scalar:
                m = _SCALAR_END.search(buf, i)
                end = m.start() if m else (len(buf) if self._eof else None)
                i = len(buf)
            elif in_string:  # a string longer than the buffer: followed chunk by chunk
                m = _STRING_STOP.search(buf, i)
                if m is None:
                    i = len(buf)
                elif buf[m.start()] == 0x22:  # '"'
                    in_string, i = False, m.end()
                    if depth:
                        continue
                    end = i
                elif m.end() < len(buf):  # a backslash and the byte it escapes
                    i = m.end() + 1
                    continue
                else:
                    i = m.start()
            else:
                m = _STRUCT.search(buf, i)
                if m is None:
                    i = len(buf)
                elif buf[m.start()] == 0x22:  # a whole string in one match when it is here
                    whole = _STRING.match(buf, m.start())
                    in_string, i = whole is None, whole.end() if whole else m.end()
                    if in_string or depth:
                        continue
                    end = i
                else:
                    i = m.end()
                    depth += 1 if buf[m.start()] in b"{[" else -1
                    if depth:
                        continue
                    end = i
            if end is not None:
                raw = bytes(buf[self._pos : end]) if keep else None
                self._pos = end
                return raw
            if keep and i - self._pos > limit:
                keep = False
            if not keep:
                self._pos = i
            i -= self._refill()
            if not self._grew:
                raise JsonDamage(self.offset, "the input ends inside a value")

    def root_keys(self) -> Iterator[str]:
        """The keys of the top-level object; the caller consumes each value."""
        self.expect(b"{", "at the start (not a JSON object)")
        if self.peek() == ord("}"):
            self._pos += 1
            return
        while True:
            self.peek()  # the value itself, not the blanks before it
            where = self.offset
            raw = self.value(1 << 20)
            key = load_value(raw or b"")
            if not isinstance(key, str):
                raise JsonDamage(where, "an object key is not a string")
            self.expect(b":", "after an object key")
            yield key
            if self.expect(b",}", "after an object member") == ord("}"):
                return

    def elements(self, limit: int) -> Iterator[tuple[int, bytes | None]]:
        """(offset, bytes or None when too long) for each element of the next array."""
        for where, raw in self.parsed_elements(limit, parse=False):
            assert not isinstance(raw, Decoded)  # not asked to parse
            yield where, raw

    def parsed_elements(
        self, limit: int, parse: bool = True
    ) -> Iterator[tuple[int, Decoded | bytes | None]]:
        """(offset, the value parsed, its bytes, or None when too long) for each element of
        the next array; with ``parse``, objects are parsed at once when ``decoded`` can."""
        self.expect(b"[", "for the messages array")
        if self.peek() == ord("]"):
            self._pos += 1
            return
        while True:
            self.peek()  # the value itself, not the blanks before it
            where = self.offset
            yield where, (parse and self.decoded(limit)) or self.value(limit)
            if self.expect(b",]", "after an array element") == ord("]"):
                return


def decode_value(raw: bytes) -> tuple[Any, str | None]:
    """(JSON value or None, problem or None) of one value's bytes; invalid UTF-8 is read
    with U+FFFD in place of the bad bytes and said so."""
    problem = None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text, problem = raw.decode("utf-8", "replace"), "invalid UTF-8 replaced by U+FFFD"
    try:
        return json.loads(text), problem
    except (ValueError, RecursionError):
        return None, "not valid JSON"


def load_value(raw: bytes) -> Any:
    """JSON value of one value's bytes; None if it is not valid JSON."""
    return decode_value(raw)[0]


def read_header(source: Source) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """Pass 1: every top-level value except ``messages`` (small), and problems found."""
    values: dict[str, Any] = {}
    problems: list[tuple[int, str]] = []
    in_messages = False
    with source.open() as stream:
        scanner = JsonScanner(stream)
        try:
            for key in scanner.root_keys():
                in_messages = key == "messages" and "messages" not in values
                values.setdefault(key, True if in_messages else None)
                scanner.peek()
                where = scanner.offset
                raw = scanner.value(0 if in_messages else VALUE_LIMIT)
                in_messages = False
                if raw is None:
                    if key != "messages":
                        problems.append((where, f"value of {key!r} over {VALUE_LIMIT} bytes"))
                    continue
                parsed, problem = decode_value(raw)
                if problem:
                    problems.append((where, f"value of {key!r}: {problem}"))
                if values[key] is None:
                    values[key] = parsed
        except JsonDamage as damage:
            if not in_messages:  # damage inside messages is reported by the message pass
                problems.append((damage.offset, damage.what))
    return values, problems


def iter_message_values(source: Source) -> Iterator[tuple[int, int, Decoded | bytes | None]]:
    """Pass 2: (index, offset, value parsed or bytes) of each element of ``messages``;
    JsonDamage at a break inside it (damage before it was reported by ``read_header``)."""
    with source.open() as stream:
        scanner = JsonScanner(stream)
        try:
            for key in scanner.root_keys():
                if key == "messages":
                    break
                scanner.value(0)
            else:
                return
        except JsonDamage:
            return
        for n, (where, raw) in enumerate(scanner.parsed_elements(VALUE_LIMIT)):
            yield n, where, raw

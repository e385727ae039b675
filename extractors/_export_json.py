"""Shared by the JSON-export extractors (X/Twitter, Discord, Snapchat, Google Chat).

* ``JsonScanner`` walks a JSON document from a byte stream without loading it: the caller
  iterates the arrays and objects it knows about and reads each (small) element whole. Memory
  stays bounded by one element (``MAX_ELEMENT_CHARS``) plus one read chunk, so a 500 MB
  export or a 200 MB single line is fine. Structural damage (truncation, a stray character)
  raises ``JsonDamage`` where it was found: nothing after it can be trusted. A bad or
  oversized element raises ``ElementDamage`` once the scanner has moved past it, so the
  caller warns and goes on.
* Numbers are kept as the digits written (``parse_int=str``, ``parse_float=str``): Discord
  and X ids above 2**53 never pass through a float.
* Invalid UTF-8 survives decoding as lone surrogates (``surrogateescape``); record text gets
  U+FFFD instead and ``raw_text`` shows the bytes as ``\\xNN`` (``clean_text``).
* Siblings: an archive member only sees its siblings' names, sizes and hashes. Where the
  pipeline offers ``source.open_sibling(member)`` (a proposed framework addition), small
  metadata siblings (account.js, user.json, channel.json, group_info.json …) are read to
  name the export's owner and the thread; without it the extractors say less, never guess.
"""

from __future__ import annotations

import codecs
import json
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from extractors.base import Context, Sibling, Source
from extractors.records import Record

READ_CHARS = 1 << 20
MAX_ELEMENT_CHARS = 16 << 20  # one message/element in memory at most
MAX_KEY_CHARS = 1 << 16
SIBLING_LIMIT = 4 << 20  # a metadata sibling read whole (user.json, channel.json …)
SIBLING_CACHE_ENTRIES = 4
# Decoded small siblings by SHA-256 (content-addressed, so sharing it cannot change results).
_SIBLING_CACHE: OrderedDict[str, Any] = OrderedDict()
_NON_BLANK = re.compile(r"[^ \t\r\n]")
_STRUCT = re.compile(r'[\[\]{}"]')
_STRING_STOP = re.compile(r'[\\"]')
_SCALAR_END = re.compile(r'[\s,:\[\]{}"]')
_SURROGATE = re.compile("[\ud800-\udfff]")
_INVALID_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a bad byte


class JsonDamage(Exception):
    """The document is broken here; nothing after this point can be read."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (character {offset})")
        self.offset = offset


class ElementDamage(Exception):
    """One element could not be read; the scanner has already moved past it."""


def _show(char: str) -> str:
    return repr(char) if char else "the end of the file"


def loads(text: str) -> Any:
    """``json.loads`` keeping every number as the digits written."""
    return json.loads(text, parse_int=str, parse_float=str, parse_constant=str)


class JsonScanner:
    """A pull reader over a JSON byte stream: ``iter_array``, ``iter_object``, ``read_value``."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self._buf = ""
        self._pos = 0
        self._dropped = 0  # characters consumed before _buf[0]
        self._eof = False
        self.invalid_bytes = 0  # bytes that were not UTF-8, over the whole document

    @property
    def offset(self) -> int:
        """Characters consumed so far."""
        return self._dropped + self._pos

    def _more(self) -> bool:
        """Append one chunk, dropping what was consumed; False at the end of the input."""
        if self._eof:
            return False
        data = self._stream.read(READ_CHARS)
        text = self._decoder.decode(data, final=not data)
        if not data:
            self._eof = True
        if self._dropped == 0 and not self._buf and text.startswith("\ufeff"):
            text = text[1:]
        self.invalid_bytes += count_invalid(text)
        self._dropped += self._pos
        self._buf = self._buf[self._pos :] + text
        self._pos = 0
        return bool(text) or not self._eof

    def peek(self) -> str:
        """The next non-blank character, not consumed ('' at the end of the input)."""
        while True:
            found = _NON_BLANK.search(self._buf, self._pos)
            if found:
                self._pos = found.start()
                return self._buf[self._pos]
            self._pos = len(self._buf)
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        """Consume ``char`` (after blanks) or raise JsonDamage."""
        found = self.peek()
        if found != char:
            raise JsonDamage(f"expected {char!r}, found {_show(found)}", self.offset)
        self._pos += 1

    def iter_array(self) -> Iterator[int]:
        """Consume an array; yields each element's index: the caller consumes the element."""
        self.expect("[")
        if self.peek() == "]":
            self._pos += 1
            return
        index = 0
        while True:
            yield index
            found = self.peek()
            if found == "]":
                self._pos += 1
                return
            if found != ",":
                raise JsonDamage(
                    f"expected ',' or ']' after element {index}, found {_show(found)}", self.offset
                )
            self._pos += 1
            index += 1

    def iter_object(self) -> Iterator[str]:
        """Consume an object; yields each member name: the caller consumes the value."""
        self.expect("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            if self.peek() != '"':
                raise JsonDamage(f"expected a member name, found {_show(self.peek())}", self.offset)
            text, _ = self._scan(keep=True, limit=MAX_KEY_CHARS)
            try:
                key = loads(text) if text is not None else None
            except ValueError:
                key = None
            if not isinstance(key, str):
                raise JsonDamage("unreadable member name", self.offset)
            self.expect(":")
            yield clean(key)
            found = self.peek()
            if found == "}":
                self._pos += 1
                return
            if found != ",":
                raise JsonDamage(f"expected ',' or '}}', found {_show(found)}", self.offset)
            self._pos += 1

    def read_value(self, limit: int = MAX_ELEMENT_CHARS) -> Any:
        """Consume one value and decode it; ElementDamage if it is invalid or too long."""
        text, length = self._scan(keep=True, limit=limit)
        if text is None:
            raise ElementDamage(f"an element of {length} characters (over {limit}) was skipped")
        try:
            return loads(text)
        except ValueError as exc:
            raise ElementDamage(f"invalid JSON in an element: {exc}") from exc
        except RecursionError as exc:
            raise ElementDamage("an element nested too deeply to read") from exc

    def skip_value(self) -> None:
        """Consume one value without keeping it."""
        self._scan(keep=False, limit=0)

    def _scan(self, *, keep: bool, limit: int) -> tuple[str | None, int]:
        """Consume one value: its text (None if not kept or over ``limit``) and its length."""
        first = self.peek()
        if first == "" or first in ",:]}":
            raise JsonDamage(f"expected a value, found {_show(first)}", self.offset)
        pieces: list[str] = []
        length = 0
        start = i = self._pos
        depth = 0
        in_string = first == '"'
        scalar = first not in '[{"'
        if in_string:
            i += 1
        end: int | None = None
        while end is None:
            buf = self._buf
            n = len(buf)
            while i < n:
                if in_string:
                    stop = _STRING_STOP.search(buf, i)
                    if stop is None:
                        i = n
                        break
                    j = stop.start()
                    if buf[j] == "\\":
                        if j + 1 >= n:  # the escaped character is in the next chunk
                            i = j
                            break
                        i = j + 2
                        continue
                    in_string = False
                    i = j + 1
                    if depth == 0:
                        end = i
                        break
                elif scalar:
                    stop = _SCALAR_END.search(buf, i)
                    if stop is None:
                        i = n
                        break
                    end = stop.start()
                    break
                else:
                    stop = _STRUCT.search(buf, i)
                    if stop is None:
                        i = n
                        break
                    char = buf[stop.start()]
                    i = stop.start() + 1
                    if char == '"':
                        in_string = True
                    elif char in "[{":
                        depth += 1
                    else:
                        depth -= 1
                        if depth == 0:
                            end = i
                            break
            if end is not None:
                break
            length += i - start
            if keep and length <= limit:
                pieces.append(buf[start:i])
            else:
                pieces = []
            self._pos = i
            more = self._more()
            start = i = 0
            if not more:
                if scalar:
                    end = len(self._buf)
                    break
                raise JsonDamage("the file ends inside a value", self.offset)
        length += end - start
        if keep and length <= limit:
            pieces.append(self._buf[start:end])
        self._pos = end
        if not keep or length > limit:
            return None, length
        return "".join(pieces), length


def small_object(source: Source, ctx: Context) -> Iterator[Record | dict[str, Any]]:
    """A small member (channel.json, user.json …) as one JSON object, or a warning.

    The object is read through the scanner, so a huge or damaged file costs a warning,
    not memory or an exception.
    """
    with source.open() as stream:
        scanner = JsonScanner(stream)
        try:
            value = scanner.read_value()
        except (ElementDamage, JsonDamage) as exc:
            yield ctx.warn(source.locate(offset=0), f"unreadable JSON: {exc}")
            return
    if isinstance(value, dict):
        yield value
    else:
        yield ctx.warn(source.locate(offset=0), "not a JSON object")


# --- text --------------------------------------------------------------------------------


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def count_invalid(text: str) -> int:
    """How many bytes of decoded text were not valid UTF-8."""
    return len(_INVALID_BYTE.findall(text))


def invalid_note(count: int) -> str:
    """The warning for a document with invalid UTF-8."""
    return f"{count} byte(s) not valid UTF-8; shown as U+FFFD (raw_text keeps them as \\xNN)"


def clean(value: str) -> str:
    """The string with invalid bytes / lone surrogates as U+FFFD (storable as UTF-8)."""
    return _SURROGATE.sub("\ufffd", value)


def clean_text(value: str) -> tuple[str, str | None]:
    """Text for a record and, when it had to be repaired, the text as found (``\\xNN``)."""
    if not _SURROGATE.search(value):
        return value, None
    return clean(value), _SURROGATE.sub(_escape_surrogate, value)


def as_found(value: str) -> str:
    """The text as found, storable: invalid bytes shown as ``\\xNN``."""
    return clean_text(value)[1] or value


def string(obj: Mapping[str, Any], key: str) -> str | None:
    """A string member (numbers arrive as their digits), cleaned; None if absent or other."""
    value = obj.get(key)
    return clean(value) if isinstance(value, str) else None


def url_file_name(url: str) -> str:
    """The last path segment of a URL, query and fragment dropped ('' if none); never raises."""
    path = url.split("#", 1)[0].split("?", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1].partition("/")[2]
    return path.rsplit("/", 1)[-1]


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to a place in the document."""
    return "".join("/" + clean(str(p)).replace("~", "~0").replace("/", "~1") for p in parts)


# --- siblings ----------------------------------------------------------------------------


def sibling_named(source: Source, member: str) -> Sibling | None:
    """The sibling with this member path, compared case-insensitively (first in order)."""
    wanted = member.casefold()
    for sibling in source.siblings:
        if sibling.member.casefold() == wanted:
            return sibling
    return None


def sibling_path(source: Source, sibling: Sibling) -> str:
    """The display path of a sibling, built like the source's own (``archive!/member``)."""
    member = source.member or ""
    if member and source.path.endswith(member):
        return source.path[: len(source.path) - len(member)] + sibling.member
    return sibling.member


def read_sibling_json(source: Source, sibling: Sibling) -> tuple[Any, str | None]:
    """A small sibling decoded as JSON (after a ``window.YTD… =`` prefix, if any).

    Sibling bytes are read through ``source.open_sibling(member)`` when the pipeline offers
    it; a missing method, ``None`` or ``KeyError`` means "not available" (no note). Decoded
    values are cached by the sibling's SHA-256 *after* each read, so a package with a
    thousand channels parses its ``user.json`` once, and a failing read still fails the same.

    Returns:
        The value (None when unavailable) and, when it could not be read, why.
    """
    opener = getattr(source, "open_sibling", None)
    if not callable(opener):
        return None, None
    if sibling.size > SIBLING_LIMIT:
        return None, f"{sibling.member} is larger than {SIBLING_LIMIT} bytes; not read"
    try:
        handle = opener(sibling.member)
        if handle is None:
            return None, None
        with handle:
            data: bytes = handle.read(SIBLING_LIMIT + 1)
    except KeyError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, f"{sibling.member} could not be read: {exc}"
    cached = _SIBLING_CACHE.get(sibling.sha256)
    if cached is not None:
        return cached, None
    value, note = _decode_sibling(sibling.member, data)
    if note is None and value is not None:
        _SIBLING_CACHE[sibling.sha256] = value
        while len(_SIBLING_CACHE) > SIBLING_CACHE_ENTRIES:
            _SIBLING_CACHE.popitem(last=False)
    return value, note


def _decode_sibling(member: str, data: bytes) -> tuple[Any, str | None]:
    text = data.decode("utf-8", errors="surrogateescape").lstrip("\ufeff")
    if text.lstrip().startswith("window."):
        text = text.partition("=")[2]
    try:
        return loads(text.strip().rstrip(";")), None
    except (ValueError, RecursionError) as exc:
        return None, f"{member} is not valid JSON: {exc}"

"""The text of an ``attributedBody``: an NSAttributedString in Apple's typedstream format.

From iOS 16 ``sms.db`` often leaves ``message.text`` NULL and keeps the words only in
``attributedBody``, an archive written by the old NeXT/Apple ``NSArchiver`` ("typedstream").
What this reader relies on, from the public descriptions of that format:

* The stream starts with a version byte (4), the signature as a length-prefixed string
  (``\\x0bstreamtyped``) and the system version as a typedstream integer (``\\x81\\xe8\\x03``,
  1000).
* Integers: a byte from -128 to 0x7f stands for itself; ``0x81`` is followed by a 16-bit,
  ``0x82`` by a 32-bit little-endian integer. ``0x84`` starts a new object or string,
  ``0x85`` is nil, ``0x86`` ends an object; from ``0x92`` on a byte refers back to an
  earlier string or object.
* A class is written once by name (``0x84 0x84 <len> NSString <version>``) and then referred
  to; the archive of an NSAttributedString holds its string first: the class
  ``NSString`` (or ``NSMutableString``), then the type ``+`` (``0x84 0x01 0x2b``), then the
  length as a typedstream integer and that many bytes of UTF-8.

So the reader checks the header, finds the first string class named in the stream and the
``+`` value after it, and reads the length and bytes, never past the end of the blob. It
returns None (and the caller warns) for anything else; it never raises on damaged input.
"""

from __future__ import annotations

_HEADER = b"\x04\x0bstreamtyped"
_STRING_CLASSES = (b"\x08NSString", b"\x0fNSMutableString")
_PLUS = b"\x84\x01+"
_MAX_LOOKAHEAD = 64  # bytes between the class name and its "+" value in real archives


def _integer(blob: bytes, at: int) -> tuple[int, int] | None:
    """A typedstream integer at ``at``: (value, position after it), or None past the end."""
    if at >= len(blob):
        return None
    first = blob[at]
    if first == 0x81:
        if at + 3 > len(blob):
            return None
        return int.from_bytes(blob[at + 1 : at + 3], "little", signed=True), at + 3
    if first == 0x82:
        if at + 5 > len(blob):
            return None
        return int.from_bytes(blob[at + 1 : at + 5], "little", signed=True), at + 5
    if first >= 0x80:
        return None  # a marker (new, nil, end, reference), not a length
    return first, at + 1


def is_typedstream(blob: bytes | None) -> bool:
    """True when the bytes start like a typedstream archive."""
    return blob is not None and blob.startswith(_HEADER)


def attributed_text(blob: bytes) -> str | None:
    """The string of an archived NSAttributedString, or None when it cannot be read.

    Bytes that are not valid UTF-8 are shown as U+FFFD.
    """
    if not is_typedstream(blob):
        return None
    start = blob.find(_STRING_CLASSES[0], len(_HEADER))
    if start < 0:
        start = blob.find(_STRING_CLASSES[1], len(_HEADER))
        if start < 0:
            return None
    plus = blob.find(_PLUS, start)
    if plus < 0 or plus - start > _MAX_LOOKAHEAD:
        return None
    found = _integer(blob, plus + len(_PLUS))
    if found is None:
        return None
    length, at = found
    if length < 0 or at + length > len(blob):
        return None
    return blob[at : at + length].decode("utf-8", "replace")

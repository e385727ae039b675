"""RFC 3161 timestamps on checkpoints, from a time-stamping authority named by ``EWS_TSA_URL``.

A unit with a timestamp authority sets ``EWS_TSA_URL`` (HTTP, ``application/timestamp-query``);
an offline workstation sets nothing and records no token, and its bundles say so. The token
is requested over SHA-256 of the checkpoint's signed bytes ({origin, size, root, at}), so it
proves the checkpoint existed by the authority's time. ``ews verify-bundle --tsa-cert CERT``
checks it against the authority's certificate (exports/verify_bundle.py, standard library
and ``cryptography`` only).

Only the few DER structures of a request and a response are written and read here: the
request is built byte by byte, and the response is checked for a granted status, the same
message imprint and the same nonce.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator

from chain_of_custody.errors import EvidenceError

TSA_ENV = "EWS_TSA_URL"
OFFLINE_NOTE = "no timestamp authority configured (offline workstation): no RFC 3161 timestamp"
_SHA256_OID = bytes.fromhex("0609608648016503040201")  # 2.16.840.1.101.3.4.2.1, DER
_TST_INFO_OID = bytes.fromhex("060b2a864886f70d0109100104")  # 1.2.840.113549.1.9.16.1.4


class TimestampError(EvidenceError):
    """The authority could not be reached or its answer is not a valid timestamp."""


def authority() -> str | None:
    """The configured authority's URL, or None on an offline workstation."""
    return os.environ.get(TSA_ENV) or None


# --- DER ---------------------------------------------------------------------------------


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _read(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the element at ``pos``."""
    if pos + 2 > len(data):
        raise TimestampError("truncated DER")
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise TimestampError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise TimestampError("truncated DER")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(tag, start of element, start of content, end) of each element in ``[start, end)``."""
    pos = start
    while pos < end:
        tag, s, e = _read(data, pos)
        yield tag, pos, s, e
        pos = e


def _element(data: bytes, start: int, end: int, index: int, tag: int) -> tuple[int, int]:
    for i, (t, _, s, e) in enumerate(_children(data, start, end)):
        if i == index:
            if t != tag:
                raise TimestampError(f"unexpected DER tag {t:#x} (wanted {tag:#x})")
            return s, e
    raise TimestampError("missing DER element")


# --- request and response ------------------------------------------------------------------


def request_body(message: bytes, nonce: int) -> bytes:
    """A TimeStampReq (RFC 3161 §2.4.1) over SHA-256 of ``message``, asking for the cert."""
    imprint = _tlv(
        0x30,
        _tlv(0x30, _SHA256_OID + b"\x05\x00") + _tlv(0x04, hashlib.sha256(message).digest()),
    )
    return _tlv(0x30, _integer(1) + imprint + _integer(nonce) + b"\x01\x01\xff")


def token_of_response(response: bytes, message: bytes, nonce: int) -> bytes:
    """The TimeStampToken (a CMS ContentInfo) of a granted response for ``message``.

    Raises:
        TimestampError: when the status is not granted, or the token is not over this
            message or carries another nonce.
    """
    tag, s, e = _read(response, 0)
    if tag != 0x30:
        raise TimestampError("the answer is not a TimeStampResp")
    parts = list(_children(response, s, e))
    _, _, status_s, status_e = parts[0]
    ts, _, vs, ve = next(_children(response, status_s, status_e))
    status = int.from_bytes(response[vs:ve], "big", signed=True) if ts == 0x02 else -1
    if status not in (0, 1) or len(parts) < 2:
        raise TimestampError(f"the authority refused the request (status {status})")
    token = response[parts[1][1] : parts[1][3]]
    imprint, got_nonce = _imprint_and_nonce(token)
    if imprint != hashlib.sha256(message).digest():
        raise TimestampError("the timestamp is over another message")
    if got_nonce != nonce:
        raise TimestampError("the timestamp carries another nonce (a replayed answer?)")
    return token


def _imprint_and_nonce(token: bytes) -> tuple[bytes, int | None]:
    """The hashed message and nonce of the TSTInfo inside a token."""
    _, s, e = _read(token, 0)  # ContentInfo
    cs, _ = _element(token, s, e, 1, 0xA0)  # [0] EXPLICIT SignedData
    _, ss, se = _read(token, cs)  # SignedData
    encap_s, encap_e = _element(token, ss, se, 2, 0x30)  # encapContentInfo
    kinds = list(_children(token, encap_s, encap_e))
    if token[kinds[0][1] : kinds[0][3]] != _TST_INFO_OID:
        raise TimestampError("the token does not hold a TSTInfo")
    es, _ = _element(token, encap_s, encap_e, 1, 0xA0)
    _, os_, _ = _read(token, es)  # OCTET STRING
    _, ts, te = _read(token, os_)  # TSTInfo
    fields = list(_children(token, ts, te))
    im_s, im_e = fields[2][2], fields[2][3]  # messageImprint
    _, _, hs, he = list(_children(token, im_s, im_e))[1]
    nonce = None
    for tag, _, fs, fe in fields[5:]:
        if tag == 0x02:
            nonce = int.from_bytes(token[fs:fe], "big", signed=True)
            break
    return token[hs:he], nonce


def request_token(url: str, message: bytes, timeout: float = 15.0) -> bytes:
    """Ask the authority at ``url`` for a timestamp over ``message``; the token's DER.

    Raises:
        TimestampError: the authority is unreachable or its answer is not a valid timestamp.
    """
    nonce = secrets.randbits(63)
    req = urllib.request.Request(
        url,
        data=request_body(message, nonce),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            body = answer.read(1 << 20)
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(f"timestamp authority {url}: {exc}") from exc
    try:
        return token_of_response(body, message, nonce)
    except (IndexError, StopIteration) as exc:
        raise TimestampError(f"timestamp authority {url}: malformed answer") from exc
    except TimestampError as exc:
        raise TimestampError(f"timestamp authority {url}: {exc}") from exc

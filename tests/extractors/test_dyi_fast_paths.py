"""The DYI scanner's fast path (objects parsed whole from an ASCII buffer) reads every
message page exactly as the byte-by-byte path does, damaged pages included."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import _dyi_json
from extractors.base import Source

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
messages = st.lists(st.dictionaries(st.text(max_size=6), values, max_size=4) | values)


def source(data: bytes) -> Source:
    return Source(
        sha256="0" * 64,
        name="message_1.json",
        path="message_1.json",
        mime="application/json",
        size=len(data),
        head=data[:65536],
        opener=lambda: io.BytesIO(data),
    )


def read(data: bytes) -> list[Any]:
    out: list[Any] = []
    try:
        for n, offset, raw in _dyi_json.iter_message_values(source(data)):
            if isinstance(raw, _dyi_json.Decoded):
                out.append((n, offset, raw.value, None))
            elif raw is None:
                out.append((n, offset, None, "too long"))
            else:
                out.append((n, offset, *_dyi_json.decode_value(raw)))
    except _dyi_json.JsonDamage as damage:
        out.append(("damage", damage.offset, damage.what))
    return out


@settings(max_examples=300, deadline=None)
@given(
    messages,
    st.booleans(),
    st.integers(0, 10_000),
    st.sampled_from([7, 64, 1 << 20]),
    st.sampled_from([b"", b"}", b"x", b'"', b"\xc3"]),
)
def test_fast_and_byte_paths_agree(
    found: list[Any], ascii_only: bool, cut: int, chunk: int, junk: bytes
) -> None:
    text = json.dumps({"participants": [], "messages": found}, ensure_ascii=ascii_only)
    data = text.encode("utf-8")
    data = data[: cut % (len(data) + 1)] + junk + data[cut % (len(data) + 1) :]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_dyi_json, "_CHUNK", chunk)
        fast = read(data)
        mp.setattr(_dyi_json.JsonScanner, "decoded", lambda self, limit: None)
        slow = read(data)
    assert fast == slow


def test_the_fast_path_is_taken_on_facebook_pages() -> None:
    page = {"messages": [{"sender_name": "Zo\u00c3\u00ab", "content": "hi"}] * 3}
    data = json.dumps(page).encode()
    assert all(isinstance(raw, _dyi_json.Decoded) for *_, raw in read_raw(data))


def read_raw(data: bytes) -> list[tuple[int, int, Any]]:
    return list(_dyi_json.iter_message_values(source(data)))

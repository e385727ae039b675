"""The WhatsApp extractor's shortcuts give exactly what the plain definitions give."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import _whatsapp_lines, whatsapp_txt
from extractors.timeutil import local_to_utc

ZONES = (
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kolkata",
    "Pacific/Apia",  # skipped a whole day in 2011
    "Africa/Casablanca",  # DST suspended for Ramadan
    "America/St_Johns",
)


@pytest.mark.parametrize("tz", ZONES)
def test_resolve_equals_local_to_utc_anywhere(tz: str) -> None:
    rng = random.Random(tz)
    for _ in range(4000):
        moment = datetime(1890, 1, 1) + timedelta(seconds=rng.randrange(0, 150 * 365 * 86400))
        assert whatsapp_txt._resolve(moment, tz) == local_to_utc(moment, tz), moment


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        ("Europe/London", "2023-03-26"),
        ("Europe/London", "2023-10-29"),
        ("America/New_York", "2023-11-05"),
        ("Australia/Lord_Howe", "2023-04-02"),
        ("Pacific/Apia", "2011-12-29"),
    ],
)
def test_resolve_equals_local_to_utc_around_changes(tz: str, day: str) -> None:
    start = datetime.fromisoformat(day) - timedelta(hours=3)
    for minute in range(0, 30 * 60, 7):
        for second in (0, 59):
            moment = start + timedelta(minutes=minute, seconds=second)
            assert whatsapp_txt._resolve(moment, tz) == local_to_utc(moment, tz), moment


PIECES: tuple[bytes, ...] = (
    b"a",
    b"12/03/2023, 10:00 - Al: hi",
    b"\n",
    b"\r\n",
    b"\r",
    b"\xef\xbb\xbf",
)
PIECES += (b"\xc3\xa9", b"\xc3", b"\xff", b"\xe2\x80\x8e", b"x" * 40, b"\n\n")
pieces = st.sampled_from(PIECES)  # lines, ends, a BOM, bad and cut UTF-8, long lines


@settings(max_examples=400, deadline=None)
@given(st.lists(pieces, max_size=60), st.sampled_from([8, 16, 64]), st.sampled_from([4, 32]))
def test_chunks_hold_exactly_the_lines(parts: list[bytes], block: int, max_line: int) -> None:
    data = b"".join(parts)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_whatsapp_lines, "BLOCK", block)
        mp.setattr(_whatsapp_lines, "MAX_LINE", max_line)
        lines = [
            (ln.number, ln.text, ln.problem, ln.cut)
            for ln in _whatsapp_lines.read_lines(io.BytesIO(data), data[:64])
        ]
        chunks = list(_whatsapp_lines.read_chunks(io.BytesIO(data), data[:64]))
    got = []
    for chunk in chunks:
        assert (chunk.problem is None and not chunk.cut) or len(chunk.lines) == 1
        for number, text in enumerate(chunk.lines, chunk.first):
            got.append((number, text, chunk.problem, chunk.cut))
    assert got == lines
    assert sum(c.size for c in chunks) == len(data)  # progress counts every byte once

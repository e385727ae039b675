"""The WhatsApp extractor's shortcuts give exactly what the plain definitions give."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from extractors import whatsapp_txt
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

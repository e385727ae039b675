"""Phone numbers: the region comes from the number, then the export, then the case (issue 16 §4)."""

from __future__ import annotations

import pytest

from extractors.identifiers import (
    email_key,
    phone_e164,
    read_phone,
    region_of_numbers,
    regions_of_numbers,
)


@pytest.mark.parametrize(
    ("raw", "region", "export_region", "expected"),
    [
        ("+43 664 1234567", "GB", None, "+436641234567"),  # the number says its country
        ("0043 664 1234567", "GB", None, "+436641234567"),  # 00: GB's international prefix
        ("0043 664 1234567", "US", None, "+436641234567"),  # 00 where the region dials 011
        ("011 43 664 1234567", "GB", None, "+436641234567"),  # 011 from North America
        ("0664 1234567", "GB", "AT", "+436641234567"),  # the export's region first
        ("0664 1234567", "GB", None, None),  # not GB, valid elsewhere: never +44
        ("07700 900123", "GB", None, "+447700900123"),  # Ofcom drama range stays GB
        ("07700 912345", "GB", None, "+447700912345"),  # GB's shape, not in the tables
        ("07700 900123", "GB", "AT", "+447700900123"),
        ("07911 123456", "GB", "AT", "+447911123456"),  # not Austrian: the case's region
        ("0114 496 0000", "GB", None, "+441144960000"),  # Sheffield, not 011 + 4…
        ("07624 123456", "GB", None, "+447624123456"),  # Isle of Man shares +44
        ("2025550143", "GB", None, None),  # a US number without +1 is not a GB one
        ("12345", "GB", None, None),  # a short code
        ("MPESA", "GB", None, None),
        ("", "GB", None, None),
    ],
)
def test_phone_e164_regions(
    raw: str, region: str, export_region: str | None, expected: str | None
) -> None:
    assert phone_e164(raw, region, export_region) == expected


def test_phone_e164_positional_default_region_unchanged() -> None:
    assert phone_e164("07700 900987") == "+447700900987"
    assert phone_e164(None) is None


def test_foreign_national_number_is_kept_raw_and_explained() -> None:
    reading = read_phone("0664 1234567", "GB")
    assert (reading.e164, reading.how, reading.unsure) == (None, "unsure", True)
    assert reading.valid_in[:2] == ("AT", "BD")
    assert reading.note("GB") == (
        "phone number '0664 1234567' is not valid in GB (the case's region) but would be in "
        "AT, BD, BR, DE, IN, IR …: kept as written, not normalised; the region could not be "
        "told"
    )
    assert read_phone("0664 1234567", "GB", "AT").how == "export"
    assert read_phone("07700 900123", "GB").how == "unverified"
    assert read_phone("+43 664 1234567", "GB").how == "international"


def test_region_of_numbers_needs_a_clear_majority() -> None:
    austrian = ["+43 664 1234567", "0043 676 1234567", "+436991234567", "+43 1 5123456"]
    assert region_of_numbers([*austrian, "+436641234568", "+447700900123"], "GB") == "AT"
    assert region_of_numbers(austrian, "GB") is None  # too few
    assert region_of_numbers([*austrian, *["+447911123456"] * 4], "GB") is None  # no majority
    assert region_of_numbers(["+447911123456"] * 6, "GB") is None  # the case's own region
    assert region_of_numbers(["07911 123456"] * 6, "GB") is None  # national: says nothing


def test_email_key() -> None:
    assert email_key(" <Bob@Example.com> ") == "bob@example.com"
    assert email_key("Bob") is None


def test_likely_regions_stop_a_gb_shaped_foreign_number_becoming_gb() -> None:
    # 0171 was London's code until 2000 and is a German mobile prefix: GB's shape, so read
    # as GB unless the export points to a country where it is valid.
    assert phone_e164("0171 1234567", "GB") == "+441711234567"
    assert phone_e164("0171 1234567", "GB", likely_regions=("DE", "FR")) is None
    assert read_phone("0171 1234567", "GB", None, ("DE",)).how == "unsure"
    assert phone_e164("07700 900123", "GB", likely_regions=("DE",)) == "+447700900123"


def test_regions_of_numbers_counts_each_country() -> None:
    numbers = ["+43 664 1234567", "+447400123456", "+447624123456", "07400 123456", "+1"]
    assert dict(regions_of_numbers(numbers)) == {"AT": 1, "GB": 1, "IM": 1}

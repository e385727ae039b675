"""Identifiers as written and normalised: phone numbers (E.164) and email addresses.

A phone number's region is inferred in this order (issue 16 §4): the number itself (``+``,
or an international prefix ``00``/``011`` that makes a valid number), then the region the
export itself gives (``export_region``: an SMS backup's own numbers, a chat export's
locale), then the case's default region. A national number valid in neither of those is
read as the case's only with that region's shape and valid in none of the export's other
countries (``likely_regions``); otherwise, valid elsewhere (an Austrian ``0664 1234567`` in
a British case), it is *not* normalised: ``read_phone`` says where it would be valid and
callers flag it ``phone_region_unsure``, rather than turn it into a wrong +44 number
(docs/other-phones.md).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import CountryCodeSource, PhoneNumber

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_E164 = phonenumbers.PhoneNumberFormat.E164
_INTERNATIONAL = (
    CountryCodeSource.FROM_NUMBER_WITH_PLUS_SIGN,
    CountryCodeSource.FROM_NUMBER_WITH_IDD,
)
_IDD = re.compile(r"^(?:00|011)(?=[1-9])")  # the common international prefixes
#: Fictional numbers a region reserves for drama and training (Ofcom; NANP 555-01xx): not
#: valid by libphonenumber's tables, yet clearly of their region. National significant
#: number prefixes.
_FICTIONAL = {
    "GB": (
        "7700900", "1632960", "2079460", "1134960", "1144960", "1154960", "1164960",
        "1174960", "1184960", "1214960", "1314960", "1414960", "1514960", "1614960",
        "1914980", "2890180", "2920180", "3069990", "8081570", "9098790",
    ),
    "US": tuple(f"{area}55501" for area in range(200, 1000)),
}  # fmt: skip
MAX_OTHER_REGIONS = 6  # regions named in a note about a number valid elsewhere
MIN_FOREIGN_DIGITS = 7  # fewer digits: a short code, not a sign of another region


@dataclass(frozen=True)
class PhoneReading:
    """How a phone number as written was read.

    ``e164`` is None when it is no possible number, or when its region cannot be told:
    then ``valid_in`` lists the regions where it would be valid and ``unsure`` is True.
    """

    raw: str
    e164: str | None
    region: str | None = None  # the region whose rules read a national number
    how: str = "none"  # international | export | default | unverified | unsure | none
    valid_in: tuple[str, ...] = ()

    @property
    def unsure(self) -> bool:
        """The number was kept as written: valid elsewhere, not in the regions given."""
        return self.how == "unsure"

    def note(self, default_region: str) -> str:
        """Why an unsure number was not normalised, for a warning."""
        shown = ", ".join(self.valid_in[:MAX_OTHER_REGIONS])
        more = " …" if len(self.valid_in) > MAX_OTHER_REGIONS else ""
        return (
            f"phone number {self.raw!r} is not valid in {default_region} (the case's region) "
            f"but would be in {shown}{more}: kept as written, not normalised; the region "
            "could not be told"
        )


def _parse(text: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return None


def _possible(number: PhoneNumber) -> bool:
    # Possible, not "valid": a real suspect may use a range newer than the tables. Numbers
    # possible only locally (too short without an area code) are refused.
    reason = phonenumbers.is_possible_number_with_reason(number)
    return reason == phonenumbers.ValidationResult.IS_POSSIBLE


def _fictional(number: PhoneNumber, region: str) -> bool:
    national = str(number.national_number)
    return national.startswith(_FICTIONAL.get(region, ()))


def _valid_in(number: PhoneNumber, region: str) -> bool:
    """Valid, and of the region's country code (a Guernsey 07911 is a valid GB number)."""
    code = phonenumbers.country_code_for_region(region)
    return number.country_code == code and phonenumbers.is_valid_number(number)


@cache
def _plan(region: str) -> tuple[str, re.Pattern[str]] | None:
    """A region's national prefix and the shape of its national numbers (any type)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    general = metadata.general_desc if metadata is not None else None
    if metadata is None or general is None or general.national_number_pattern is None:
        return None
    return metadata.national_prefix or "", re.compile(general.national_number_pattern)


def _in_plan(digits: str, region: str, with_prefix: bool = False) -> bool:
    """The digits have the shape of the region's national numbers (written with its
    national prefix, such as GB's 0, when ``with_prefix`` and the region has one)."""
    plan = _plan(region)
    if plan is None:
        return False
    prefix, shape = plan
    if prefix and digits.startswith(prefix):
        return shape.fullmatch(digits[len(prefix) :]) is not None or bool(shape.fullmatch(digits))
    return not (with_prefix and prefix) and shape.fullmatch(digits) is not None


def _valid_elsewhere(
    raw: str, tried: tuple[str, ...], only: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """Regions other than ``tried`` (or only those of ``only``) where the number is valid."""
    if only is not None and not only:
        return ()
    digits = re.sub(r"[^\d]", "", raw)
    if len(digits) < MIN_FOREIGN_DIGITS:
        return ()  # short codes are valid somewhere almost always: no sign of a region
    codes = {phonenumbers.country_code_for_region(r) for r in tried}
    found = []
    pool = phonenumbers.SUPPORTED_REGIONS if only is None else set(only)
    for region in sorted(pool - set(tried)):
        if phonenumbers.country_code_for_region(region) in codes:
            continue  # Jersey, Guernsey, Man share +44 with GB: the same reading
        if not _in_plan(digits, region):
            continue  # cheap: most regions' numbers have another shape
        number = _parse(raw, region)
        if (
            number is not None
            and number.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY
            and phonenumbers.is_valid_number_for_region(number, region)
        ):
            found.append(region)
    return tuple(found)


@lru_cache(maxsize=1 << 14)
def read_phone(
    raw: str,
    region: str = "GB",
    export_region: str | None = None,
    likely_regions: tuple[str, ...] = (),
) -> PhoneReading:
    """Read a phone number as written: the region it belongs to and its E.164 form.

    A national number valid in neither ``export_region`` nor ``region`` is read as
    ``region``'s only when it has that region's shape (GB: 0 and ten digits; a range too
    new for the tables, or a reserved one) and is valid in none of ``likely_regions``;
    otherwise, valid anywhere else, it is kept as written (``how`` "unsure").

    Args:
        raw: the number exactly as the source writes it.
        region: the case's default region (ISO 3166 alpha-2, e.g. ``ctx.region``).
        export_region: the region the export itself gives (its locale, or the country most
            of its international numbers are in), tried before ``region``.
        likely_regions: other regions the export points to (the countries of its other
            numbers); a number valid in one of them is never taken for ``region``'s.
    """
    text = raw.strip()
    if not any(c.isdigit() for c in text):
        return PhoneReading(raw, None)
    regions = tuple(dict.fromkeys(r.upper() for r in (export_region, region) if r))
    readings = [(r, _parse(text, r)) for r in regions]
    for _, number in readings:  # "+…", or the region's own international prefix
        if number is not None and number.country_code_source in _INTERNATIONAL:
            if _possible(number):
                return PhoneReading(raw, phonenumbers.format_number(number, _E164), None,
                                    "international")  # fmt: skip
            return PhoneReading(raw, None)
    for r, number in readings:
        if number is not None and _valid_in(number, r):
            how = "default" if r == regions[-1] else "export"
            return PhoneReading(raw, phonenumbers.format_number(number, _E164), r, how)
    digits = re.sub(r"[^\d]", "", text)
    prefix = _IDD.match(digits)
    if prefix:  # 00 or 011 not valid as a national number: valid numbers only
        number = _parse("+" + digits[prefix.end() :], None)
        if number is not None and phonenumbers.is_valid_number(number):
            return PhoneReading(raw, phonenumbers.format_number(number, _E164), None,
                                "international")  # fmt: skip
    for r, number in readings:
        if number is not None and _fictional(number, r) and _possible(number):
            return PhoneReading(raw, phonenumbers.format_number(number, _E164), r, "unverified")
    digits = re.sub(r"[^\d]", "", text)
    shaped = [
        (r, n)
        for r, n in readings
        if n is not None and _possible(n) and _in_plan(digits, r, with_prefix=True)
    ]
    hinted = tuple(sorted({h.upper() for h in likely_regions} - set(regions)))
    if shaped and not _valid_elsewhere(text, regions, only=hinted):
        r, number = shaped[0]
        return PhoneReading(raw, phonenumbers.format_number(number, _E164), r, "unverified")
    elsewhere = _valid_elsewhere(text, regions)
    if elsewhere:
        return PhoneReading(raw, None, None, "unsure", elsewhere)
    for r, number in readings:
        if number is not None and _possible(number):
            return PhoneReading(raw, phonenumbers.format_number(number, _E164), r, "unverified")
    return PhoneReading(raw, None)


def phone_e164(
    raw: str | None,
    region: str = "GB",
    export_region: str | None = None,
    likely_regions: tuple[str, ...] = (),
) -> str | None:
    """E.164 form of a phone number as written, or None if it is not a usable number.

    The raw text is always kept separately by the caller. None also for a national number
    valid only outside ``export_region`` and ``region`` (see ``read_phone``): never a guess.
    """
    if not raw:
        return None
    return read_phone(raw, region, export_region, likely_regions).e164


def regions_of_numbers(numbers: Iterable[str]) -> Counter[str]:
    """How many of the valid international numbers (``+``/``00``) are in each region."""
    found: Counter[str] = Counter()
    for raw in numbers:
        digits = re.sub(r"[^\d+]", "", raw)
        if not digits.startswith(("+", "00")):
            continue
        number = _parse("+" + digits.lstrip("+")[2 if digits[0] == "0" else 0 :], None)
        if number is not None and phonenumbers.is_valid_number(number):
            region = phonenumbers.region_code_for_number(number)
            if region and region not in ("ZZ", "001"):
                found[region] += 1
    return found


def region_of_numbers(numbers: Iterable[str], region: str, minimum: int = 5) -> str | None:
    """The region most of an export's international numbers (``+``/``00``) are in, when it
    is not ``region`` and holds at least two thirds of at least ``minimum`` of them."""
    counts: Counter[str] = Counter()
    for name, n in regions_of_numbers(numbers).items():  # +44 7624 (Man) counts as GB
        code = phonenumbers.country_code_for_region(name)
        counts[phonenumbers.region_code_for_country_code(code)] += n
    if not counts:
        return None
    found, count = counts.most_common(1)[0]
    total = sum(counts.values())
    if total < minimum or 3 * count < 2 * total or found == region.upper():
        return None
    return str(found)


def email_key(raw: str | None) -> str | None:
    """Case-folded email address (no provider-specific guessing), or None if not one."""
    if not raw:
        return None
    text = raw.strip().strip("<>").strip()
    if not _EMAIL.match(text):
        return None
    return text.casefold()

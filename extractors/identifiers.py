"""Identifiers as written and normalised: phone numbers (E.164) and email addresses."""

from __future__ import annotations

import re

import phonenumbers

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def phone_e164(raw: str | None, region: str = "GB") -> str | None:
    """E.164 form of a phone number as written, or None if it is not a valid number.

    The raw text is always kept separately by the caller; this never guesses beyond
    libphonenumber's parsing with the default region.
    """
    if not raw or not any(c.isdigit() for c in raw):
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    # Possible, not "valid": Ofcom's drama ranges (07700 900xxx) used in tests and
    # training are not valid numbers, and a real suspect may use a fresh range. Numbers
    # possible only locally (too short without an area code) are refused.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_key(raw: str | None) -> str | None:
    """Case-folded email address (no provider-specific guessing), or None if not one."""
    if not raw:
        return None
    text = raw.strip().strip("<>").strip()
    if not _EMAIL.match(text):
        return None
    return text.casefold()

"""What the iPhone database extractors share: Cocoa times, device paths, the holder, and
accounts for the numbers and addresses the databases name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from extractors.base import Context, Source
from extractors.identifiers import email_key, phone_e164
from extractors.records import Account, Locator, Record
from extractors.timeutil import format_utc

#: Apple's reference date ("Cocoa" or "Mac absolute" time): 2001-01-01 00:00:00 UTC.
COCOA_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
#: A Cocoa time above this is in nanoseconds (iOS 11+ sms.db), below it in seconds: 10^11
#: seconds is the year 5170, 10^11 nanoseconds is 100 seconds after the epoch.
_NANOSECONDS_FROM = 10**11


_UNIX_AT_COCOA = 978307200  # seconds from 1970-01-01 to 2001-01-01 UTC
_DAYS: dict[int, str] = {}  # "YYYY-MM-DDT" by Unix day


def _whole_utc(unix: int, micro: int) -> str:
    """``format_utc`` of a Unix second and microseconds, the day's text cached."""
    day, second = divmod(unix, 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        if len(_DAYS) > 65536:
            _DAYS.clear()
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)
        prefix = _DAYS[day] = moment.strftime("%Y-%m-%dT")
    hour, second = divmod(second, 3600)
    minute, second = divmod(second, 60)
    text = f"{prefix}{hour:02d}:{minute:02d}:{second:02d}"
    if not micro:
        return text + "Z"
    if micro % 1000 == 0:
        return f"{text}.{micro // 1000:03d}Z"
    return f"{text}.{micro:06d}Z"


def cocoa_to_utc(value: object) -> str | None:
    """A Cocoa time (seconds, fractional seconds or nanoseconds since 2001) as RFC 3339 UTC.

    None for 0, NULL and what cannot be a time; the magnitude decides the unit, per value.
    The text is ``timeutil.format_utc``'s (whole seconds, milliseconds or microseconds).
    """
    if not value or type(value) is bool or not isinstance(value, int | float):
        return None
    if type(value) is int and _NANOSECONDS_FROM <= value < 10**19:
        seconds, nanos = divmod(value, 10**9)
        return _whole_utc(seconds + _UNIX_AT_COCOA, nanos // 1000)
    try:
        if abs(value) >= _NANOSECONDS_FROM:
            delta = timedelta(microseconds=int(value) // 1000)
        else:
            delta = timedelta(seconds=float(value))
        return format_utc(COCOA_EPOCH + delta)
    except (OverflowError, ValueError):
        return None


def device_path(domain: str, written: str | None) -> str | None:
    """The backup's device path (``Domain/relative/path``) of a file a database names.

    ``~/Library/...``, ``/var/mobile/Library/...`` and ``/private/var/mobile/Library/...``
    are the holder's home, which a backup keeps under ``domain``; other paths are None.
    """
    if not written:
        return None
    for home in ("~/", "/private/var/mobile/", "/var/mobile/"):
        if written.startswith(home):
            return f"{domain}/{written[len(home) :]}"
    return None


def identifier_parts(address: str, region: str) -> dict[str, str | None]:
    """Account fields for an address as a phone database writes it: number, e-mail or handle."""
    if "@" in address:
        mail = email_key(address)
        if mail is not None:
            return {"email": mail, "handle": None, "phone_raw": None, "phone_e164": None}
    if any(c.isdigit() for c in address) and not any(c.isalpha() for c in address):
        return {"email": None, "handle": None, "phone_raw": address,
                "phone_e164": phone_e164(address, region)}  # fmt: skip
    return {"email": None, "handle": address, "phone_raw": None, "phone_e164": None}


class Accounts:
    """Accounts queued once per (platform, identifier, name); their keys remembered."""

    def __init__(self, source: Source, ctx: Context) -> None:
        self.source = source
        self.ctx = ctx
        self._keys: dict[tuple[str, str, str | None, bool], str] = {}

    def key(
        self,
        out: list[Record],
        platform: str,
        address: str,
        loc: Locator,
        name: str | None = None,
        *,
        owner: bool = False,
    ) -> str:
        """The Account key of ``address`` on ``platform``; its Account appended to ``out``
        the first time."""
        known = self._keys.get((platform, address, name, owner))
        if known is not None:
            return known
        acc = Account(
            locator=loc,
            platform=platform,
            display_name=name,
            is_owner=owner,
            **identifier_parts(address, self.ctx.region),
        )
        self._keys[(platform, address, name, owner)] = acc.key
        out.append(acc)
        return acc.key

    def holder(self, out: list[Record], platform: str, loc: Locator, what: str) -> str:
        """The holder's Account when the database does not give the holder's number or
        address: scoped to this database (``what`` and the item's hash), as WhatsApp
        exports scope "You"."""
        cache = (platform, "", None, True)
        known = self._keys.get(cache)
        if known is not None:
            return known
        acc = Account(
            locator=loc,
            platform=platform,
            display_name="(phone holder)",
            is_owner=True,
            key_scope=f"{what} {self.source.sha256[:12]}",
        )
        self._keys[cache] = acc.key
        out.append(acc)
        return acc.key

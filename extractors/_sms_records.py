"""Records of SMS Backup & Restore elements: Message, Call, Account and DerivedFile (MMS
parts), built from each element's attributes as the parser meets them."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from extractors._sms_fields import (
    Attrs,
    hidden_number,
    int_or_none,
    join_texts,
    presentation_word,
    readable_gap,
    with_subject,
)
from extractors._xml_text import MARK_OPEN, Value, repair
from extractors.base import Context, Source
from extractors.identifiers import (
    email_key,
    read_phone,
    region_of_numbers,
    regions_of_numbers,
)
from extractors.records import Account, Call, DerivedFile, Locator, Message, Record
from extractors.timeutil import epoch_ms_to_utc, epoch_s_to_utc

# Android's Telephony / CallLog codes. SMS type and MMS msg_box: 1 received, the rest the
# owner's own (3 draft, 4 outbox, 5 failed, 6 queued: never known to have left the phone).
_SMS_TYPES = {1: "incoming"} | dict.fromkeys((2, 3, 4, 5, 6), "outgoing")
_MMS_BOXES = {1: "incoming"} | dict.fromkeys((2, 3, 4, 5), "outgoing")
_UNSENT = {3: "draft", 4: "outbox", 5: "failed", 6: "queued"}
_MMS_TYPES = {132: "incoming", 128: "outgoing"}  # retrieve-conf, send-req
_CALL_TYPES = {1: "incoming", 2: "outgoing", 3: "missed", 4: "voicemail", 5: "rejected"}
_CALL_TYPES |= {6: "blocked", 7: "answered_other"}  # 7: answered on another device
_CHARSETS = {3: "ascii", 4: "latin-1", 106: "utf-8", 1000: "utf-16-be", 1015: "utf-16"}
_FROM, _TO_CC_BCC = 137, (151, 130, 129)
_TEXTS = ("body", "subject", "sub", "text")  # their repairs show as raw_text + text_fixed
_NUMBERS = re.compile(rb'\b(?:address|number|service_center)="([^"]{4,200})"')


def export_regions(source: Source, region: str) -> tuple[str | None, tuple[str, ...]]:
    """From the international numbers in the file's first bytes: the country most are in,
    when it is not the case's (the phone was used there, so its numbers written without a
    country code are read as that country's first), and every country they are in."""
    found = (m.decode("utf-8", "replace") for m in _NUMBERS.findall(source.head))
    numbers = [n for value in found for n in value.split("~")]
    return region_of_numbers(numbers, region), tuple(sorted(regions_of_numbers(numbers)))


@dataclass
class _When:
    utc: str | None
    raw: str
    flags: tuple[str, ...]


@dataclass
class _Mms:
    """An MMS being read: its attributes and what its parts and addresses said so far."""

    values: Attrs
    loc: Locator
    parts: int = 0
    texts: list[Value] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    vcards: int = 0  # attachments that are contact cards
    addrs: list[tuple[str, int | None]] = field(default_factory=list)


class Builder:
    """Turns the attributes of each element into records, queued on ``out``."""

    def __init__(self, source: Source, ctx: Context) -> None:
        self.source = source
        self.ctx = ctx
        self.out: list[Record] = []
        self.mms: _Mms | None = None
        self._keys: dict[tuple[str, str, str | None], str] = {}
        self._e164: dict[str, str | None] = {}
        self._unsure: set[str] = set()  # numbers kept as written: their region is not known
        self._last_ms: int | None = None
        self.export_region, self.likely_regions = export_regions(source, ctx.region)
        if self.export_region is not None:
            self.warn(
                source.locate(line=1),
                f"most international numbers at the start of the file are in "
                f"{self.export_region}: numbers written without a country code are read as "
                f"{self.export_region} numbers first, then {ctx.region} (the case's region)",
            )

    def warn(self, loc: Locator, message: str) -> None:
        self.out.append(self.ctx.warn(loc, message))

    def values(self, attrs: dict[str, str], loc: Locator, what: str) -> Attrs:
        marked = [k for k, v in attrs.items() if MARK_OPEN in v]
        if not marked:
            return Attrs(attrs, {})
        text, raw, bad = dict(attrs), {}, []
        for k in marked:
            value = repair(attrs[k])
            text[k] = value.text
            if value.raw is not None:
                raw[k] = value.raw
            if value.bad_bytes:
                bad.append(k)
        if bad:
            self.warn(
                loc, f"<{what}>: bytes invalid in the file's encoding in {bad}, shown as U+FFFD"
            )
        if fixed := [k for k in raw if k not in _TEXTS and k not in bad]:
            self.warn(loc, f"<{what}>: characters XML forbids removed from {fixed}")
        if nul := [k for k in raw if k in _TEXTS and "\\x00" in raw[k]]:
            # A NUL in a text is damage, not an emoji encoding quirk: never silent (issue 12).
            self.warn(loc, f"<{what}>: NUL bytes in {nul} removed; raw_text keeps them as \\x00")
        return Attrs(text, raw)

    def phone(self, raw: str, loc: Locator | None = None) -> str | None:
        if raw not in self._e164:
            reading = read_phone(raw, self.ctx.region, self.export_region, self.likely_regions)
            self._e164[raw] = reading.e164
            if reading.unsure:
                self._unsure.add(raw)
                if loc is not None:
                    self.warn(loc, reading.note(self.ctx.region))
        return self._e164[raw]

    def unsure(self, *numbers: str | None) -> tuple[str, ...]:
        """Flag ``phone_region_unsure`` when any of the numbers was kept as written."""
        return ("phone_region_unsure",) if self._unsure.intersection(numbers) else ()

    def account(self, platform: str, address: str, name: str | None, loc: Locator) -> str:
        """Queue the Account for an address (once per address and name); return its key."""
        known = self._keys.get((platform, address, name))
        if known is not None:
            return known
        email = email_key(address) if "@" in address else None
        is_phone = email is None and any(c.isdigit() for c in address)
        acc = Account(
            locator=loc,
            platform=platform,
            handle=None if is_phone else address,
            display_name=name,
            phone_raw=address if is_phone else None,
            phone_e164=self.phone(address, loc) if is_phone else None,
            email=email,
        )
        self._keys[(platform, address, name)] = acc.key
        self.out.append(acc)
        return acc.key

    def thread(self, platform: str, addresses: list[str]) -> str:
        keys = sorted({self.phone(a) or a for a in addresses}) or ["(no address)"]
        return f"{platform}:{'~'.join(keys)}"

    def when(self, values: Attrs, loc: Locator, what: str, mms: bool = False) -> _When:
        date, readable = values.opt("date"), values.opt("readable_date")
        raw = " ".join(
            f'{k}="{v}"' for k, v in (("date", date), ("readable_date", readable)) if v is not None
        )
        number = int_or_none(date)
        flags: tuple[str, ...] = ()
        utc = None
        try:
            if number is not None and mms and 0 < number < 10**11:
                self.warn(
                    loc, f"<{what}> date {number} is too small for milliseconds; read as seconds"
                )
                utc, number = epoch_s_to_utc(number), number * 1000
            elif number is not None:
                utc = epoch_ms_to_utc(number)
        except (OverflowError, ValueError):
            number = None
        if utc is None:
            self.warn(loc, f"<{what}> has no readable date ({raw or 'none'})")
            flags = ("time_unparsed",)
        elif self._last_ms is not None and number is not None and number < self._last_ms:
            flags = ("out_of_order",)
        if number is not None:
            self._last_ms = number
            if readable is not None and readable_gap(readable, number) > 26 * 3600:
                self.warn(
                    loc,
                    f"<{what}> readable_date {readable!r} is more than a day from date "
                    f"{date} ({utc}): the two disagree (file edited?); date was used",
                )
        return _When(utc, raw, flags)

    def sms(self, attrs: dict[str, str], loc: Locator) -> None:
        v = self.values(attrs, loc, "sms")
        address, name, kind = v.opt("address"), v.contact(), int_or_none(v.opt("type"))
        direction = _SMS_TYPES.get(kind) if kind is not None else None
        if direction is None:
            self.warn(loc, f"<sms> type {v.opt('type')!r} unknown: direction not stated")
        elif kind in _UNSENT:
            self.warn(loc, f"<sms> type {kind} ({_UNSENT[kind]}): not known to have been sent")
        if address is None:
            self.warn(loc, "<sms> has no address: the other party is not named")
        hidden = hidden_number(address, None) if address is not None else None
        if hidden:
            address = None  # "-2" and the like stand for no number: never an account
        key = self.account("sms", address, name, loc) if address else None
        when = self.when(v, loc, "sms")
        body = v.value("body")
        null_body = body.text == "null" and body.raw is None
        if null_body:  # the app's word for a body the phone did not have; raw kept
            body = Value("", "null")
        text, raw = with_subject(v.value("subject"), body)
        fixed = ("body_null",) if null_body else ("text_fixed",) if raw is not None else ()
        incoming = direction == "incoming"
        thread = f"sms:{hidden}" if hidden else self.thread("sms", [address] if address else [])
        self.out.append(
            Message(
                locator=loc,
                platform="sms",
                thread_id=thread,
                thread_title=name or address or (f"({hidden})" if hidden else None),
                sender_key=key if incoming else None,
                sender_identifier=address if incoming else None,
                recipients=(address,) if address and direction == "outgoing" else (),
                sent_at_utc=when.utc,
                sent_at_raw=when.raw,
                flags=when.flags
                + fixed
                + ((f"number_{hidden}",) if hidden else ())
                + self.unsure(address),
                text=text,
                raw_text=raw,
                direction=direction,
            )
        )

    def mms_start(self, attrs: dict[str, str], loc: Locator) -> None:
        self.mms = _Mms(self.values(attrs, loc, "mms"), loc)

    def mms_part(self, attrs: dict[str, str], loc: Locator) -> None:
        assert self.mms is not None
        self.mms.parts += 1
        v = self.values(attrs, loc, "part")
        ct = (v.opt("ct") or "").lower()
        data = v.opt("data")
        if ct == "application/smil":
            return  # the slide layout, not content
        if ct.startswith("text/plain"):
            text = v.value("text") if v.opt("text") is not None else None
            if text is None and data is not None:
                text = self._decode_text(data, int_or_none(v.opt("chset")), loc)
            if text is not None:
                self.mms.texts.append(text)
            return
        name = v.opt("name") or v.opt("cl") or v.opt("fn")
        name = re.split(r"[\\/]", name)[-1] if name else f"part{self.mms.parts}"
        self.mms.attachments.append(name)
        self.mms.vcards += ct in ("text/x-vcard", "text/vcard")
        if data is not None:
            payload = self._base64(data, name, loc)
        elif v.opt("text") is not None:
            payload = v.text["text"].encode("utf-8")
        else:
            payload = None
            self.warn(loc, f"MMS part {name!r} ({ct or 'no type'}) has no data in the backup")
        if payload is not None:
            self.out.append(DerivedFile(locator=loc, name=name, mime=ct or None, data=payload))

    def _base64(self, data: str, name: str, loc: Locator) -> bytes | None:
        try:
            return base64.b64decode(data)
        except (binascii.Error, ValueError) as exc:
            self.warn(loc, f"MMS part {name!r}: data is not valid base64 ({exc})")
            return None

    def _decode_text(self, data: str, charset: int | None, loc: Locator) -> Value | None:
        payload = self._base64(data, "text", loc)
        if payload is None:
            return None
        codec = _CHARSETS.get(charset or 106, "utf-8")
        text = payload.decode(codec, errors="replace")
        if text != payload.decode(codec, errors="ignore"):
            self.warn(loc, f"MMS text part: bytes invalid in {codec}, shown as U+FFFD")
        return Value(text)

    def mms_addr(self, attrs: dict[str, str], loc: Locator) -> None:
        assert self.mms is not None
        v = self.values(attrs, loc, "addr")
        address = v.opt("address")
        if address is not None:
            self.mms.addrs.append((address, int_or_none(v.opt("type"))))

    def mms_end(self, truncated: bool = False) -> None:
        m, self.mms = self.mms, None
        assert m is not None
        v, loc = m.values, m.loc
        box, mtype = int_or_none(v.opt("msg_box")), int_or_none(v.opt("m_type"))
        direction = _MMS_BOXES.get(box or 0) or _MMS_TYPES.get(mtype or 0)
        if direction is None:
            self.warn(loc, f"<mms> msg_box {box} / m_type {mtype}: direction not stated")
        elif box in (3, 4, 5):
            self.warn(loc, f"<mms> msg_box {box} ({_UNSENT[box]}): not known to have been sent")
        address, name = v.opt("address"), v.contact()
        others = [a for a in (address or "").split("~") if a]
        sender, recipients = self._mms_parties(m, direction, others)
        key = None
        for a in dict.fromkeys(([sender] if sender else []) + recipients + others):
            if a != "insert-address-token":  # placeholder for the phone's own number
                k = self.account("sms", a, name if a == address else None, loc)
                key = k if a == sender else key
        when = self.when(v, loc, "mms", mms=True)
        text, raw = with_subject(v.value("sub"), join_texts(m.texts))
        flags = (("text_fixed",) if raw is not None else ()) + (("truncated",) if truncated else ())
        flags += self.unsure(*others, *recipients, sender)
        self.out.append(
            Message(
                locator=loc,
                platform="sms",
                thread_id=self.thread("sms", others),
                thread_title=name or address,
                sender_key=key,
                sender_identifier=sender,
                recipients=tuple(recipients),
                sent_at_utc=when.utc,
                sent_at_raw=when.raw,
                flags=when.flags + flags,
                kind=_mms_kind(m),
                text=text,
                raw_text=raw,
                attachments=tuple(m.attachments),
                message_id=v.opt("m_id"),
                direction=direction,
            )
        )

    def _mms_parties(
        self, m: _Mms, direction: str | None, others: list[str]
    ) -> tuple[str | None, list[str]]:
        """The sender (for a received MMS) and the to/cc/bcc addresses, as written."""
        froms = [a for a, t in m.addrs if t == _FROM]
        if not froms and len(others) == 1:
            froms = others
        sender = froms[0] if direction == "incoming" and froms else None
        if direction == "incoming" and sender is None:
            self.warn(m.loc, "<mms> received but no sender address is given")
        recipients = [a for a, t in m.addrs if t in _TO_CC_BCC]
        if direction == "outgoing" and not recipients:
            recipients = others
        return sender, recipients

    def call(self, attrs: dict[str, str], loc: Locator) -> None:
        v = self.values(attrs, loc, "call")
        number = v.text.get("number")
        kind = int_or_none(v.opt("type"))
        direction = _CALL_TYPES.get(kind or 0, "unknown")
        if direction == "unknown":
            self.warn(loc, f"<call> type {v.opt('type')!r} unknown: direction not stated")
        presentation = int_or_none(v.opt("presentation"))
        hidden = hidden_number(number, presentation)
        shown = hidden or presentation_word(presentation)
        if shown and not hidden:
            self.warn(loc, f"<call> presentation {presentation} ({shown}) but number "
                           f"{number!r} given: the number is kept")  # fmt: skip
        name = v.contact()
        key = self.account("phone", number, name, loc) if number and not hidden else None
        e164 = self.phone(number) if number and not hidden else None
        thread = f"phone:{hidden or e164 or number}"
        when = self.when(v, loc, "call")
        flags = when.flags + ((f"number_{shown}",) if shown else ()) + self.unsure(number)
        duration = int_or_none(v.opt("duration"))
        if duration is None:
            self.warn(loc, f"<call> duration {v.opt('duration')!r} is not a number of seconds")
        call = Call(
            locator=loc,
            platform="phone",
            thread_id=thread,
            number_raw=number,
            number_e164=e164,
            party_key=key,
            started_at_utc=when.utc,
            started_at_raw=when.raw,
            flags=flags,
            duration_s=duration,
            direction=direction,
        )
        said = None if direction == "unknown" else "outgoing" if kind == 2 else "incoming"
        from_them = said == "incoming" and not hidden
        self.out.append(call)
        self.out.append(
            Message(
                locator=loc,
                platform="phone",
                thread_id=thread,
                thread_title=name or (f"({hidden})" if hidden else number),
                sender_key=key if from_them else None,
                sender_identifier=number if from_them else None,
                recipients=(number,) if said == "outgoing" and number and not hidden else (),
                sent_at_utc=when.utc,
                sent_at_raw=when.raw,
                flags=flags,
                kind="call",
                direction=said,
            )
        )


def _mms_kind(m: _Mms) -> str:
    if not m.attachments:
        return "text"
    return "contact" if m.vcards == len(m.attachments) else "media"

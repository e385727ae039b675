"""Android content providers read through ``adb shell content query``, written as an
"SMS Backup & Restore" XML file so that the existing ``sms_backup_xml`` extractor reads them.

``content query`` prints one row as ``Row: N col=value, col=value, ...``: nothing is quoted,
so a value holding ``", "`` or a newline cannot be told from the next column by looking. It
is read here with the projection the query asked for (``--projection a:b:c``), in that
order: each value runs to the next ``", <next column>="``, the last column (the free text:
``body``, ``text``, the contact name) to the end of the row, and a row runs to the next line
that starts ``Row: N+1 <first column>=`` (a body holding newlines is kept whole). ``NULL``
is a null. SMS Backup & Restore's attributes are the providers' own column names, which is
why that format was chosen (FORMATS.md §7; docs/device-live.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from extractors.identifiers import phone_e164

Row = dict[str, str | None]

SMS = ("content://sms", ("_id", "thread_id", "address", "date", "date_sent", "type", "read",
       "status", "protocol", "service_center", "sub_id", "locked", "subject", "body"))  # fmt: skip
MMS = ("content://mms", ("_id", "thread_id", "date", "date_sent", "msg_box", "read", "m_type",
       "m_id", "ct_t", "sub_id", "locked", "sub"))  # fmt: skip
PARTS = ("content://mms/part", ("_id", "mid", "seq", "ct", "chset", "cid", "cl", "name", "fn",
         "text"))  # fmt: skip
ADDR_COLUMNS = ("_id", "msg_id", "address", "type", "charset")
CALLS = ("content://call_log/calls", ("_id", "number", "date", "duration", "type",
         "presentation", "subscription_id", "post_dial_digits", "name"))  # fmt: skip
PHONES = ("content://com.android.contacts/data/phones", ("_id", "contact_id", "data1",
          "display_name"))  # fmt: skip
_OWN_ADDRESS = "insert-address-token"  # an MMS's placeholder for the phone's own number
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class Parsed:
    """Rows of one query and what could not be read cleanly."""

    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_rows(text: str, columns: Sequence[str], where: str = "") -> Parsed:
    """Rows of ``content query`` output made with ``--projection`` ``columns`` (in order)."""
    parsed = Parsed()
    if text.strip() in ("", "No result found."):
        return parsed
    start = re.compile(rf"^Row: (\d+) {re.escape(columns[0])}=", re.M)
    heads = list(start.finditer(text))
    expected = 0
    kept: list[re.Match[str]] = []
    for m in heads:  # a body line that looks like a row start but breaks the count is text
        if int(m[1]) == expected:
            kept.append(m)
            expected += 1
    if not kept or text[: kept[0].start()].strip():
        parsed.warnings.append(f"{where}: text before the first row not read")
    for i, m in enumerate(kept):
        end = kept[i + 1].start() - 1 if i + 1 < len(kept) else len(text.rstrip("\n"))
        body = text[m.end() - len(columns[0]) - 1 : end]
        row = _split_row(body, columns)
        if row is None:
            parsed.warnings.append(f"{where} row {m[1]}: columns not as asked; row not read")
            continue
        parsed.rows.append(row)
    return parsed


def _split_row(body: str, columns: Sequence[str]) -> Row | None:
    row: Row = {}
    pos = len(columns[0]) + 1
    if not body.startswith(f"{columns[0]}="):
        return None
    for i, col in enumerate(columns):
        if i + 1 < len(columns):
            nxt = body.find(f", {columns[i + 1]}=", pos)
            if nxt < 0:
                return None
            value, pos = body[pos:nxt], nxt + len(columns[i + 1]) + 3
        else:
            value = body[pos:]
        row[col] = None if value == "NULL" else value
    return row


def missing_column(error: str, columns: Sequence[str]) -> str | None:
    """The column an older provider refused ("no such column: sub_id"), if one is named."""
    for col in columns[1:]:
        if re.search(rf"(?:column|column:)\s*'?{re.escape(col)}\b", error):
            return col
    return None


# --- SMS Backup & Restore XML ---------------------------------------------------------------


def _attr(value: str | None) -> str:
    if value is None:
        return '"null"'
    return _XML_FORBIDDEN.sub(lambda m: f"&#{ord(m[0])};", quoteattr(value))


def _element(name: str, attrs: Iterable[tuple[str, str | None]], close: bool = True) -> str:
    inner = " ".join(f"{k}={_attr(v)}" for k, v in attrs)
    return f"<{name} {inner}{' />' if close else '>'}"


class Contacts:
    """Contact names by number (E.164 where it can be made), from the contacts provider."""

    def __init__(self, rows: Iterable[Row], region: str = "GB") -> None:
        self.region = region
        self.names: dict[str, str] = {}
        for r in rows:
            number, name = r.get("data1"), r.get("display_name")
            if number and name:
                self.names.setdefault(self._key(number), name)

    def _key(self, number: str) -> str:
        return phone_e164(number, self.region) or "".join(c for c in number if c.isalnum())

    def name(self, number: str | None) -> str:
        """The saved name, or "(Unknown)" as SMS Backup & Restore writes."""
        return self.names.get(self._key(number), "(Unknown)") if number else "(Unknown)"


def sms_xml(
    sms: Sequence[Row],
    mms: Sequence[Row],
    parts: Mapping[str, Sequence[Row]],
    addrs: Mapping[str, Sequence[Row]],
    part_data: Mapping[str, str],
    contacts: Contacts,
) -> str:
    """The ``<smses>`` document of texts and MMS (part data as base64, by part ``_id``).

    No ``backup_date``: the same provider rows give the same bytes, so a second acquisition
    of an unchanged phone acquires nothing new."""
    lines = [
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>",
        "<!--Made by the evidence workstation from adb content queries (docs/device-live.md)-->",
        f'<smses count="{len(sms) + len(mms)}" type="full">',
    ]
    for r in sms:
        keys = ("protocol", "address", "date", "type", "subject", "body", "service_center")
        attrs = [(k, r.get(k)) for k in keys]
        attrs += [(k, r.get(k)) for k in ("read", "status", "locked", "date_sent", "sub_id")]
        lines.append(
            "  " + _element("sms", [*attrs, ("contact_name", contacts.name(r.get("address")))])
        )
    for r in mms:
        lines.extend(
            _mms(
                r, parts.get(r["_id"] or "", ()), addrs.get(r["_id"] or "", ()), part_data, contacts
            )
        )
    lines.append("</smses>")
    return "\n".join(lines) + "\n"


def _mms(
    r: Row,
    parts: Sequence[Row],
    addrs: Sequence[Row],
    part_data: Mapping[str, str],
    contacts: Contacts,
) -> list[str]:
    others = [a["address"] for a in addrs if a.get("address") and a["address"] != _OWN_ADDRESS]
    others = list(dict.fromkeys(o for o in others if o))
    address = "~".join(o for o in others if o) or None
    seconds = r.get("date")
    date = str(int(seconds) * 1000) if seconds and seconds.isdigit() else seconds
    keys = ("date_sent", "msg_box", "read", "m_type", "m_id", "ct_t", "sub_id", "locked", "sub")
    attrs = [("date", date), *((k, r.get(k)) for k in keys), ("address", address)]
    name = contacts.name(others[0]) if len(others) == 1 else "(Unknown)"
    out = ["  " + _element("mms", [*attrs, ("contact_name", name)], close=False), "    <parts>"]
    for p in sorted(parts, key=lambda p: int(p.get("seq") or 0)):
        pattrs = [(k, p.get(k)) for k in ("seq", "ct", "name", "chset", "cid", "cl", "fn", "text")]
        if p["_id"] in part_data:
            pattrs.append(("data", part_data[p["_id"] or ""]))
        out.append("      " + _element("part", pattrs))
    out.append("    </parts>")
    out.append("    <addrs>")
    for a in addrs:
        out.append(
            "      " + _element("addr", [(k, a.get(k)) for k in ("address", "type", "charset")])
        )
    out.extend(["    </addrs>", "  </mms>"])
    return out


def calls_xml(calls: Sequence[Row], contacts: Contacts) -> str:
    """The ``<calls>`` document of the call log (the cached ``name``, else the contacts')."""
    lines = [
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>",
        "<!--Made by the evidence workstation from adb content queries (docs/device-live.md)-->",
        f'<calls count="{len(calls)}" type="full">',
    ]
    for r in calls:
        keys = ("number", "duration", "date", "type", "presentation", "subscription_id")
        attrs = [(k, r.get(k)) for k in keys] + [
            ("post_dial_digits", r.get("post_dial_digits") or "")
        ]
        name = r.get("name") or contacts.name(r.get("number"))
        lines.append("  " + _element("call", [*attrs, ("contact_name", name)]))
    lines.append("</calls>")
    return "\n".join(lines) + "\n"

"""Exports a victim hands over in one folder, some made on a friend's phone (issue 16 §3).

Made-up people and Ofcom drama-range numbers; written in the extractors' real input formats
(Android WhatsApp "Export chat" text, en-GB, 24 h; SMS Backup & Restore XML). Used by
``tests/workstation/test_aliases_holders.py`` and ``bench/bench_aliases.py --alpha``.

- ``victim_chat``: made on the victim's phone: the other party as she saved them, her own
  lines under her profile name, "You" (the exporter) in the block line.
- ``friend_chat``: made on the friend's phone and forwarded to the victim: the file is
  titled with the *other* party (the victim, as the friend saved her); the friend's own
  lines carry the friend's profile name.
- ``friend_group``: the friend's group chat, made on the friend's phone: "You" is the
  friend; nothing in the file says which sender she is.
- ``victim_sms``: the victim's SMS backup, the contact saved under the same name as on
  WhatsApp; optionally a picture message addressed to her own number (the MMS recipient
  SMS Backup & Restore records).
"""

from __future__ import annotations

from pathlib import Path

E2E = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more."
)


def victim_chat(victim: str, contact: str) -> tuple[str, str]:
    """(file name, text) of the victim's chat with ``contact`` exported on her phone."""
    return f"WhatsApp Chat with {contact}.txt", (
        f"02/04/2024, 20:01 - {E2E}\n"
        f"02/04/2024, 20:01 - {contact}: Saw you at the station today\n"
        f"02/04/2024, 20:05 - {victim}: Please stop messaging me\n"
        f"02/04/2024, 20:06 - {contact}: I only want to talk\n"
        f"03/04/2024, 22:40 - {contact}: Why won't you answer\n"
        "03/04/2024, 22:41 - You blocked this contact. Tap to unblock.\n"
    )


def friend_chat(friend: str, victim_saved: str) -> tuple[str, str]:
    """(file name, text) of the friend's chat with the victim, exported on the friend's
    phone (the victim named as the friend saved her)."""
    return f"WhatsApp Chat with {victim_saved}.txt", (
        f"04/04/2024, 09:10 - {E2E}\n"
        f"04/04/2024, 09:10 - {victim_saved}: He was outside the station again last night\n"
        f"04/04/2024, 09:12 - {friend}: That's horrible, have you told the police?\n"
        f"04/04/2024, 09:15 - {victim_saved}: Not yet, I will today\n"
        f"04/04/2024, 09:16 - {friend}: Send me the screenshots and I'll come with you\n"
    )


def friend_group(friend: str, victim_saved: str, third: str) -> tuple[str, str]:
    """(file name, text) of the friend's group chat "Girls Night", exported on her phone."""
    return "WhatsApp Chat with Girls Night.txt", (
        f"05/04/2024, 18:00 - {E2E}\n"
        '05/04/2024, 18:00 - You created group "Girls Night"\n'
        f"05/04/2024, 18:01 - {friend}: Friday still on?\n"
        f"05/04/2024, 18:03 - {victim_saved}: Yes please, I need a night out\n"
        f"05/04/2024, 18:04 - {third}: Count me in\n"
        f"05/04/2024, 18:05 - {victim_saved}: Can someone walk me home after\n"
    )


def victim_sms(number: str, contact: str, own: str | None = None) -> tuple[str, str]:
    """(file name, text) of the victim's SMS backup: two texts with ``number``, and with
    ``own`` (her number) a picture message from ``number`` addressed to her."""
    texts = [("1712001600000", "1", "Answer your phone"), ("1712005200000", "2", "Leave me alone")]
    rows = "".join(
        f'  <sms protocol="0" address="{number}" date="{at}" type="{kind}" subject="null" '
        f'body="{body}" toa="null" sc_toa="null" service_center="null" read="1" '
        f'status="-1" locked="0" date_sent="{at}" contact_name="{contact}" />\n'
        for at, kind, body in texts
    )
    if own:
        rows += (
            f'  <mms date="1712009000000" msg_box="1" address="{number}" read="1" seen="1" '
            f'm_type="132" sub="null" ct_t="application/vnd.wap.multipart.related" '
            f'text_only="1" contact_name="{contact}">\n'
            "    <parts>\n"
            '      <part seq="0" ct="text/plain" name="null" chset="106" cd="null" fn="null" '
            'cid="&lt;text000001&gt;" cl="text000001.txt" text="I know where you are" />\n'
            "    </parts>\n"
            "    <addrs>\n"
            f'      <addr address="{number}" type="137" charset="106" />\n'
            f'      <addr address="{own}" type="151" charset="106" />\n'
            "    </addrs>\n"
            "  </mms>\n"
        )
    head = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
    return "sms-20240405120000.xml", f'{head}<smses count="{2 + bool(own)}">\n{rows}</smses>\n'


def write(folder: Path, files: list[tuple[str, str]]) -> list[Path]:
    """Write ``(name, text)`` files into a new ``folder``; their paths, sorted."""
    folder.mkdir(parents=True)
    for name, text in files:
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(folder.iterdir())

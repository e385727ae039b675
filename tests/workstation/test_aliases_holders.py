"""Export holders from the exports themselves (issue 16 §3): a folder handed over under one
``--source`` that holds a friend's exports as well as the victim's.

Made-up people and Ofcom drama-range numbers. Amy Walsh (the victim) hands over one folder:
her WhatsApp chat with "Rob" and her SMS backup, both exported on her phone, and two exports
her friend Beth Cole made on *her* phone and forwarded to Amy: Beth's chat with Amy (Beth's
name on the outgoing side, the file titled with the other party, "Amy") and Beth's group
"Girls Night" (Beth, Amy, Cara Lund). Written with the extractors' real input (Android
WhatsApp exports, SMS Backup & Restore XML) and ingested as an examiner would.
"""

from __future__ import annotations

from pathlib import Path

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from workstation import aliases, queries
from workstation.ingest import IngestOptions, ingest_paths

E2E = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more."
)
#: Made on Amy's phone: the other party is "Rob" as Amy saved him; Amy's own lines carry
#: her profile name; "You" is Amy.
AMY_WITH_ROB = f"""02/04/2024, 20:01 - {E2E}
02/04/2024, 20:01 - Rob: Saw you at the station today
02/04/2024, 20:05 - Amy Walsh: Please stop messaging me
02/04/2024, 20:06 - Rob: I only want to talk
03/04/2024, 22:40 - Rob: Why won't you answer
03/04/2024, 22:41 - You blocked this contact. Tap to unblock.
"""
#: Made on Beth's phone: the other party is "Amy" as Beth saved her; Beth's own lines carry
#: Beth's profile name.
BETH_WITH_AMY = f"""04/04/2024, 09:10 - {E2E}
04/04/2024, 09:10 - Amy: He was outside the station again last night
04/04/2024, 09:12 - Beth Cole: That's horrible, have you told the police?
04/04/2024, 09:15 - Amy: Not yet, I will today
04/04/2024, 09:16 - Beth Cole: Send me the screenshots and I'll come with you
"""
#: Beth's group, exported on Beth's phone: "You" is Beth; nothing says which sender she is.
BETH_GROUP = f"""05/04/2024, 18:00 - {E2E}
05/04/2024, 18:00 - You created group "Girls Night"
05/04/2024, 18:01 - Beth Cole: Friday still on?
05/04/2024, 18:03 - Amy: Yes please, I need a night out
05/04/2024, 18:04 - Cara Lund: Count me in
05/04/2024, 18:05 - Amy: Can someone walk me home after
"""
#: Amy's SMS backup: Rob's number saved as "Rob" in her phone.
AMY_SMS = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<smses count="2">
  <sms protocol="0" address="+447700900111" date="1712001600000" type="1" subject="null"
       body="Answer your phone" toa="null" sc_toa="null" service_center="null" read="1"
       status="-1" locked="0" date_sent="1712001600000" readable_date="1 Apr 2024 21:00:00"
       contact_name="Rob" />
  <sms protocol="0" address="+447700900111" date="1712005200000" type="2" subject="null"
       body="Leave me alone" toa="null" sc_toa="null" service_center="null" read="1"
       status="-1" locked="0" date_sent="0" readable_date="1 Apr 2024 22:00:00"
       contact_name="Rob" />
</smses>
"""
SOURCE = "Handed over by Amy Walsh (one folder)"


def _write(folder: Path, files: dict[str, str]) -> list[Path]:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(folder.iterdir())


def test_a_friends_forwarded_exports_do_not_join_her_to_the_victim(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    paths = _write(
        tmp_path / "folder",
        {
            "WhatsApp Chat with Rob.txt": AMY_WITH_ROB,
            "WhatsApp Chat with Amy.txt": BETH_WITH_AMY,
            "WhatsApp Chat with Girls Night.txt": BETH_GROUP,
            "sms-20240405120000.xml": AMY_SMS,
        },
    )
    ingest_paths(case, signer, paths, IngestOptions(source=SOURCE))
    report = aliases.analyse(case)
    yous = sorted(
        a["id"] for a in queries.iter_accounts(case) if a["id"].startswith("whatsapp:You")
    )
    assert len(yous) == 2  # Amy's (her chat with Rob) and Beth's (the group)
    [amy_you] = [k for k in yous if "whatsapp:Amy Walsh" in report.strong_component(k)]
    [group_you] = [k for k in yous if k != amy_you]
    # Amy's own export ties her "You" to her name: strong, from the export itself.
    amy = report.strong_component("whatsapp:Amy Walsh")
    assert amy == {"whatsapp:Amy Walsh", amy_you}
    link = report.find("whatsapp:Amy Walsh", amy_you)
    assert link is not None and link.strength == "strong"
    [why] = [r for r in link.reasons if r.signal == "export_holder"]
    assert "one export, 'WhatsApp Chat with Rob.txt'" in why.text and SOURCE in why.text
    assert "chat with 'Rob'" in why.text
    # Beth is the holder of her own export, not joined to Amy, nor is anyone in the group.
    beth = report.strong_component("whatsapp:Beth Cole")
    assert beth == {"whatsapp:Beth Cole"}
    assert report.find("whatsapp:Amy Walsh", "whatsapp:Beth Cole") is None
    for s in report.suggestions:
        crossing = ({s.a, s.b} & amy) and ({s.a, s.b} - amy)
        assert not (crossing and s.strength == "strong"), s
    # The group's "You" (Beth) is tied to no one by its export: the source alone links it
    # weakly (export_holder_source 0.20, under MIN_SCORE), so nothing is listed.
    assert not [s for s in report.suggestions if group_you in (s.a, s.b)]
    # Rob's WhatsApp chat and his saved SMS number: the folder is two people's phones by
    # the exports' own evidence, so the same saved name "Rob" is not one device's entry.
    rob = report.find("sms:+447700900111", "whatsapp:Rob")
    assert rob is not None and rob.strength == "weak"
    assert [r.signal for r in rob.reasons] == ["address_book_name", "name"]
    book = rob.reasons[0]
    assert book.signal == "address_book_name" and book.weight == 0.50
    assert "name 3 holders that nothing in them ties together" in book.text
    assert "'Amy Walsh'" in book.text and "named only as 'You'" in book.text
    assert "'Beth Cole'" in book.text and "not shown to come from the same device" in book.text
    assert any(f"the exports handed over as {SOURCE!r} name 3 holders that nothing" in n
               for n in report.notes)  # fmt: skip


def test_the_victims_exports_alone_are_one_device(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    paths = _write(
        tmp_path / "folder",
        {"WhatsApp Chat with Rob.txt": AMY_WITH_ROB, "sms-20240405120000.xml": AMY_SMS},
    )
    ingest_paths(case, signer, paths, IngestOptions(source=SOURCE))
    report = aliases.analyse(case)
    rob = report.find("sms:+447700900111", "whatsapp:Rob")
    assert rob is not None and rob.strength == "strong"
    assert rob.reasons[0].signal == "address_book_name" and rob.reasons[0].weight == 0.85
    assert "one device" in rob.reasons[0].text
    assert not any("holders that nothing in them ties" in n for n in report.notes)

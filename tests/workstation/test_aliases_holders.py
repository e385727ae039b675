"""Export holders from the exports themselves (issue 16 §3): a folder handed over under one
``--source`` that holds a friend's exports as well as the victim's.

Made-up people and Ofcom drama-range numbers. Amy Walsh (the victim) hands over one folder:
her WhatsApp chat with "Rob" and her SMS backup, both exported on her phone, and two exports
her friend Beth Cole made on *her* phone and forwarded to Amy: Beth's chat with Amy (Beth's
name on the outgoing side, the file titled with the other party, "Amy") and Beth's group
"Girls Night" (Beth, Amy, Cara Lund); the files come from ``tests/data/forwarded_exports.py``,
ingested as an examiner would.
"""

from __future__ import annotations

from pathlib import Path

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from tests.data import forwarded_exports as gen
from tests.workstation.test_aliases import acc, add_rows
from workstation import aliases, queries
from workstation.ingest import IngestOptions, ingest_paths

AMY_WITH_ROB = gen.victim_chat("Amy Walsh", "Rob")
BETH_WITH_AMY = gen.friend_chat("Beth Cole", "Amy")
BETH_GROUP = gen.friend_group("Beth Cole", "Amy", "Cara Lund")
AMY_SMS = gen.victim_sms("+447700900111", "Rob")
SOURCE = "Handed over by Amy Walsh (one folder)"


def test_a_friends_forwarded_exports_do_not_join_her_to_the_victim(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    paths = gen.write(tmp_path / "folder", [AMY_WITH_ROB, BETH_WITH_AMY, BETH_GROUP, AMY_SMS])
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
    assert "exports under it come from 2 phones (holders 'Amy Walsh'; 'Beth Cole')" in book.text
    assert "not shown to come from the same device" in book.text
    assert any(f"the exports handed over as {SOURCE!r} name 3 holders that nothing" in n
               for n in report.notes)  # fmt: skip


def test_the_victims_exports_alone_are_one_device(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    paths = gen.write(tmp_path / "folder", [AMY_WITH_ROB, AMY_SMS])
    ingest_paths(case, signer, paths, IngestOptions(source=SOURCE))
    report = aliases.analyse(case)
    rob = report.find("sms:+447700900111", "whatsapp:Rob")
    assert rob is not None and rob.strength == "strong"
    assert rob.reasons[0].signal == "address_book_name" and rob.reasons[0].weight == 0.85
    assert "one device" in rob.reasons[0].text
    assert not any("holders that nothing in them ties" in n for n in report.notes)


def test_an_sms_backup_addressed_to_her_number_is_her_phones(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    # The same folder, but the SMS backup holds a picture message addressed to Amy's own
    # number, and her account download (written as rows) gives that number and her name.
    sms = gen.victim_sms("+447700900111", "Rob", own="+447700900461")
    paths = gen.write(tmp_path / "folder", [AMY_WITH_ROB, BETH_WITH_AMY, BETH_GROUP, sms])
    ingest_paths(case, signer, paths, IngestOptions(source=SOURCE))
    owner = acc("x:42", platform_id="42", display_name="Amy Walsh", phone_e164="+447700900461",
                is_owner=True)  # fmt: skip
    add_rows(case, [owner], source=SOURCE)
    report = aliases.analyse(case)
    rob = report.find("sms:+447700900111", "whatsapp:Rob")
    assert rob is not None and rob.strength == "strong"
    assert rob.reasons[0].signal == "address_book_name" and rob.reasons[0].weight == 0.85
    assert "in exports whose holder is 'Amy Walsh'" in rob.reasons[0].text
    sms_holder = report.find("sms:+447700900461", "x:42")
    assert sms_holder is not None and sms_holder.strength == "strong"
    assert {r.signal for r in sms_holder.reasons} >= {"phone"}
    assert report.find("whatsapp:Amy Walsh", "x:42").strength == "strong"  # type: ignore[union-attr]

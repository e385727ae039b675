"""Alias grouping on small synthetic cases (both databases): signals, bad input, decisions.

Account, message and picture rows are written straight into the tables (one synthetic item
and extraction), as an extractor would have left them; analysis only reads the tables.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.models import (
    AccountAvatar,
    AccountRecord,
    Extraction,
    ImageMetaRecord,
    MessageRecord,
)
from chain_of_custody.trust import add_examiner
from workstation import aliases
from workstation._alias_names import fold_name
from workstation._alias_signals import Reason
from workstation.aliases import AliasError
from workstation.cli import main

T_EXT = Extraction.__table__  # type: ignore[attr-defined]
T_ACC = AccountRecord.__table__  # type: ignore[attr-defined]
T_MSG = MessageRecord.__table__  # type: ignore[attr-defined]
T_IMG = ImageMetaRecord.__table__  # type: ignore[attr-defined]
T_AV = AccountAvatar.__table__  # type: ignore[attr-defined]


def _item(
    conn: sa.Connection, case: Case, name: str, mime: str = "text/plain", source: str = ""
) -> tuple[str, str]:
    item_id, sha = str(uuid.uuid4()), hashlib.sha256(name.encode()).hexdigest()
    conn.execute(sa.insert(T_ITEM), {
        "id": item_id, "case_id": case.case_id, "sha256": sha, "size": 1, "mime": mime,
        "name": name, "path": name, "acquired_at": "2024-05-01T00:00:00Z", "acquired_by": "JS",
        "source": source, "reason": "", "ledger_seq": 0})  # fmt: skip
    ext = str(uuid.uuid4())
    conn.execute(sa.insert(T_EXT), {
        "id": ext, "case_id": case.case_id, "item_id": item_id, "extractor": "synthetic",
        "version": "1", "status": "complete", "record_count": 0, "warning_count": 0,
        "merkle_root": "0" * 64, "ledger_seq": 0})  # fmt: skip
    return item_id, ext


def add_rows(
    case: Case,
    accounts: list[dict[str, Any]],
    messages: list[dict[str, Any]] = (),  # type: ignore[assignment]
    pictures: dict[str, str | None] | None = None,
    source: str = "",
) -> None:
    """Accounts (dicts of account_record columns), messages, and pictures (account key ->
    perceptual hash, or None for a broken image without one), in one item acquired under
    the ingest source ``source``."""
    with case.engine.begin() as conn:
        item_id, ext = _item(conn, case, f"source-{uuid.uuid4()}", source=source)
        loc = {"case_id": case.case_id, "extraction_id": ext, "item_id": item_id,
               "loc_sha256": "0" * 64, "loc_path": "synthetic"}  # fmt: skip
        for n, a in enumerate(accounts):
            conn.execute(sa.insert(T_ACC), {**loc, "ordinal": n, **a})
        for n, m in enumerate(messages):
            conn.execute(sa.insert(T_MSG), {**loc, "ordinal": n, "platform": "sms",
                                            "kind": "text", **m})  # fmt: skip
        for key, phash in (pictures or {}).items():
            pic, pext = _item(conn, case, f"picture-{key}", "image/jpeg")
            conn.execute(sa.insert(T_IMG), {**loc, "extraction_id": pext, "item_id": pic,
                                            "ordinal": 0, "phash": phash})  # fmt: skip
            sha = hashlib.sha256(f"picture-{key}".encode()).hexdigest()
            conn.execute(
                sa.insert(T_AV),
                {
                    "case_id": case.case_id,
                    "account_key": key,
                    "item_id": pic,
                    "sha256": sha,
                    "ledger_seq": 0,
                },
            )


def acc(key: str, **kw: Any) -> dict[str, Any]:
    return {"account_key": key, "platform": key.split(":", 1)[0], **kw}


def test_fold_name_handles_confusables_accents_separators_repeats() -> None:
    assert fold_name("Dаnny  Mercerr") == "dany mercer"  # Cyrillic а
    assert fold_name("CHLOÉ_dubois") == fold_name("Chloe Dubois")
    assert fold_name("ｄａｎ．ｍｅｒｃｅｒ") == "dan mercer"  # full-width, via NFKD
    assert fold_name("Søren Łukasz") == "soren lukasz"


def test_phone_however_written_and_email_case(case: Case) -> None:
    add_rows(case, [
        acc("sms:a", phone_raw="07700 900987"),
        acc("whatsapp:b", phone_raw="+44 7700 900987"),
        acc("phone:c", phone_e164="+447700900987"),
        acc("email:x", email="D.Mercer@Example.com"),
        acc("email:y", email="d.mercer@example.com"),
        acc("email:z", email="dmercer@example.com"),  # dots are not guessed away
    ])  # fmt: skip
    report = aliases.analyse(case)
    strong = {(s.a, s.b) for s in report.suggestions if s.strength == "strong"}
    assert strong == {("sms:a", "whatsapp:b"), ("phone:c", "sms:a"), ("phone:c", "whatsapp:b"),
                      ("email:x", "email:y")}  # fmt: skip
    reason = report.find("sms:a", "whatsapp:b").reasons[0]  # type: ignore[union-attr]
    assert reason.signal == "phone" and "+447700900987" in reason.text


def test_names_alone_are_weak(case: Case) -> None:
    add_rows(case, [acc("facebook:1", display_name="Daniel Mercer"),
                    acc("facebook:2", display_name="Danièl Mercerr"),
                    acc("facebook:3", display_name="Daniel Mercado")])  # fmt: skip
    report = aliases.analyse(case)
    assert report.suggestions and all(s.strength == "weak" for s in report.suggestions)
    assert report.find("facebook:1", "facebook:2").score > 0.3  # type: ignore[union-attr]


def test_picture_near_and_identifier_in_message(case: Case) -> None:
    add_rows(
        case,
        [acc("facebook:Dany", display_name="Dany Mercer"),
         acc("facebook:Danny", display_name="Danny Mercer"),
         acc("telegram:u1", platform_id="u1", display_name="Daniel M"),
         acc("sms:+447700900555", phone_e164="+447700900555")],
        [{"sender_key": "telegram:u1", "thread_id": "t", "text": "Call me on 07700 900555"},
         {"sender_key": "sms:+447700900555", "thread_id": "s", "text": "hi"}],
        {"facebook:Dany": "c6c83bc7c43bc638", "facebook:Danny": "c6c83bc7c43bc632"},
    )  # fmt: skip
    report = aliases.analyse(case)
    pic = report.find("facebook:Dany", "facebook:Danny")
    assert pic is not None and pic.strength == "strong"
    assert {r.signal for r in pic.reasons} == {"picture", "name"}
    said = report.find("sms:+447700900555", "telegram:u1")
    assert said is not None and said.strength == "strong"
    assert "07700 900555" not in said.reasons[0].text and "+447700900555" in said.reasons[0].text


def test_bad_input_no_crash_no_flood(case: Case) -> None:
    mums = [acc(f"whatsapp:mum{i}", display_name="Mum") for i in range(3000)]
    odd = [acc("x:1"), acc("x:2", display_name=""), acc("x:3", display_name="A"),
           acc("x:4", display_name="B", handle="_"), acc("x:5", display_name="+44 7700 900000"),
           acc("x:6", display_name="😀"), acc("x:7", avatar_ref="not a hash")]  # fmt: skip
    add_rows(case, mums + odd, pictures={"x:1": None, "x:2": None})  # two broken images
    report = aliases.analyse(case, max_suggestions=100)
    assert report.accounts == 3007
    assert report.capped and any("3000 accounts" in n for n in report.notes)
    assert len(report.suggestions) <= 100
    assert not any(s.a.startswith("whatsapp:mum") for s in report.suggestions)
    json.dumps(report.as_json())


def test_identical_common_picture_is_not_strong(case: Case) -> None:
    keys = [f"facebook:{i}" for i in range(30)]
    rows = [acc(k, display_name="Jo Bloggs" if k in keys[:2] else None) for k in keys]
    add_rows(case, rows, pictures=dict.fromkeys(keys, "0" * 16))
    # every account has its own picture item with the same (default-avatar) hash
    report = aliases.analyse(case)
    [only] = report.suggestions  # the default avatar alone suggests nothing
    assert (only.a, only.b, only.strength) == ("facebook:0", "facebook:1", "weak")
    assert {r.signal for r in only.reasons} == {"picture_common", "name"}


def test_address_book_name_is_strong_only_from_one_device(case: Case) -> None:
    dan = [acc("whatsapp:Dan", display_name="Dan"),
           acc("sms:+447700900123", phone_e164="+447700900123", display_name="Dan")]  # fmt: skip
    add_rows(case, dan, source="Hannah's phone (Samsung)")
    add_rows(case, [acc("whatsapp:Mum", display_name="Mum")], source="Hannah's phone (Samsung)")
    add_rows(case, [acc("phone:+447700900777", phone_e164="+447700900777", display_name="Mum")],
             source="Her sister's phone")  # fmt: skip
    jo = [acc("whatsapp:Jo", display_name="Jo"),
          acc("sms:+447700900888", phone_e164="+447700900888", display_name="Jo")]  # fmt: skip
    add_rows(case, jo)
    report = aliases.analyse(case)
    same = report.find("sms:+447700900123", "whatsapp:Dan")
    assert same is not None and same.strength == "strong"
    assert same.reasons[0].signal == "address_book_name" and same.reasons[0].weight == 0.85
    assert "one device" in same.reasons[0].text and "Hannah's phone" in same.reasons[0].text
    for a, b in (("phone:+447700900777", "whatsapp:Mum"), ("sms:+447700900888", "whatsapp:Jo")):
        other = report.find(a, b)  # another phone's "Mum", or no source recorded: a name only
        assert other is not None and other.strength == "weak", (a, b)
        assert other.reasons[0].weight == 0.50 and "not shown to come from the same device" in (
            other.reasons[0].text
        )


def test_holders_of_one_source_are_one_person(case: Case) -> None:
    phone = "Hannah's phone (Samsung)"
    chat = [{"sender_key": "whatsapp:Dan", "thread_id": "whatsapp:Dan", "thread_title": "Dan",
             "text": "hi"},
            {"sender_key": "whatsapp:Hannah", "thread_id": "whatsapp:Dan", "thread_title": "Dan",
             "text": "hello"}]  # fmt: skip
    group = [{"sender_key": k, "thread_id": "g1", "thread_title": "Dan", "text": "x"}
             for k in ("whatsapp:Dan", "whatsapp:Kim", "whatsapp:Lee")]  # fmt: skip
    add_rows(case, [acc("whatsapp:You", display_name="You", is_owner=True),
                    acc("whatsapp:Dan", display_name="Dan"),
                    acc("whatsapp:Hannah", display_name="Hannah P"),
                    acc("whatsapp:Kim", display_name="Kim"),
                    acc("whatsapp:Lee", display_name="Lee")],
             chat + group, source=phone)  # fmt: skip
    add_rows(case, [acc("facebook:me@example.org", display_name="H", is_owner=True)],
             source="Dan's phone")  # fmt: skip
    add_rows(case, [acc("x:1", platform_id="1", is_owner=True)])  # no source recorded
    report = aliases.analyse(case)
    link = report.find("whatsapp:Hannah", "whatsapp:You")
    assert link is not None and link.strength == "strong"
    [why] = link.reasons
    assert why.signal == "export_holder" and phone in why.text and "chat with 'Dan'" in why.text
    linked = {(s.a, s.b) for s in report.suggestions if s.reasons[0].signal == "export_holder"}
    assert linked == {("whatsapp:Hannah", "whatsapp:You")}  # not the group chat's members,
    # nor the holders of another source or of none


def test_a_holder_key_under_two_sources_is_said(case: Case) -> None:
    for phone in ("Victim's phone", "Suspect's phone"):  # both exports' owner is "You"
        add_rows(case, [acc("whatsapp:You", display_name="You", is_owner=True)], source=phone)
    report = aliases.analyse(case)
    assert any("whatsapp:You is the holder under 2 sources" in n for n in report.notes)


def test_a_contact_name_saved_on_two_devices_is_said(case: Case) -> None:
    # Two phones both saved someone as "Dan": WhatsApp keys both as whatsapp:Dan.
    for phone in ("Victim's phone", "Witness's phone"):
        add_rows(case, [acc("whatsapp:Dan", display_name="Dan")], source=phone)
    add_rows(case, [acc("whatsapp:Kim", display_name="Kim")], source="Victim's phone")
    add_rows(case, [acc("whatsapp:Kim", display_name="Kim")], source="Victim's phone")
    report = aliases.analyse(case)
    said = [n for n in report.notes if "contact name saved on" in n]
    assert said == [
        'whatsapp:Dan is a contact name saved on 2 devices ("Victim\'s phone", '
        '"Witness\'s phone"): its messages from all of them are under this one account key; '
        "a saved name is one phone's label, so check the devices' contacts are one person"
    ]


def test_decisions_are_ledger_entries_and_rejection_sticks(
    case: Case, signer: Signer, second_signer: Signer
) -> None:
    add_rows(case, [acc("sms:a", phone_e164="+447700900111"),
                    acc("whatsapp:b", phone_e164="+447700900111"),
                    acc("facebook:c", display_name="Dan Mercer"),
                    acc("facebook:d", display_name="Dan Mercer")])  # fmt: skip
    size = case.ledger_size()
    s = aliases.decide(case, signer, "whatsapp:b", "sms:a", "confirm", note="same SIM")
    assert (s.a, s.b, s.status) == ("sms:a", "whatsapp:b", "confirmed")
    add_examiner(case, signer, second_signer.identity)
    aliases.decide(case, second_signer, "facebook:c", "facebook:d", "reject", note="cousins")
    with pytest.raises(AliasError, match="already rejected"):
        aliases.decide(case, signer, "facebook:c", "facebook:d", "reject")
    with pytest.raises(AliasError, match="no account"):
        aliases.decide(case, signer, "facebook:c", "facebook:nobody", "confirm")
    report = aliases.analyse(case)
    assert [g.accounts for g in report.groups] == [["sms:a", "whatsapp:b"]]
    group = report.groups[0]
    aliases.label(case, signer, group.id, "Suspect A")
    rejected = report.find("facebook:c", "facebook:d")
    assert rejected is not None and rejected.status == "rejected"
    assert rejected.decided_by == second_signer.key_id and rejected.note == "cousins"
    # the group grows: same id, label kept
    add_rows(case, [acc("telegram:e", phone_e164="+447700900111")])
    aliases.decide(case, signer, "sms:a", "telegram:e", "confirm")
    [grown] = aliases.groups(case)
    assert grown.id == group.id and grown.label == "Suspect A" and len(grown.accounts) == 3
    # undo is a new entry; the pair is suggested again
    aliases.decide(case, signer, "sms:a", "telegram:e", "undo")
    assert aliases.analyse(case).find("sms:a", "telegram:e").status == "suggested"  # type: ignore[union-attr]
    entries = list(case.ledger_entries())[size:]
    actions = [e.action for e in entries if e.action.startswith("alias.")]
    assert actions == ["alias.confirmed", "alias.rejected", "alias.labelled",
                       "alias.confirmed", "alias.undone"]  # fmt: skip
    rejected_entry = next(e for e in entries if e.action == "alias.rejected")
    assert rejected_entry.data["signals"] == ["name"] and rejected_entry.data["note"] == "cousins"
    # new evidence (a shared picture) makes the rejected pair a suggestion again, said so
    add_rows(
        case, [], pictures={"facebook:c": "c6c83bc7c43bc638", "facebook:d": "c6c83bc7c43bc638"}
    )
    again = aliases.analyse(case).find("facebook:c", "facebook:d")
    assert again is not None and again.status == "suggested"
    assert again.reasons[0].signal == "new_evidence"
    assert "profile picture" in again.reasons[0].text


def test_cli_aliases_and_timeline(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    add_rows(case, [acc("sms:a", phone_e164="+447700900111"),
                    acc("whatsapp:b", phone_e164="+447700900111")],
             [{"sender_key": "sms:a", "thread_id": "t", "text": "I know where you live",
               "sent_at_utc": "2024-03-04T10:00:00Z",
               "sent_at_sort": "2024-03-04T10:00:00.000000Z"}])  # fmt: skip
    args = [str(case.folder), *(["--db", case.db_url] if "postgres" in case.db_url else [])]
    assert main(["aliases", *args, "confirm", "sms:a", "whatsapp:b", "--note", "n"]) == 0
    capsys.readouterr()
    assert main(["aliases", *args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["groups"][0]["accounts"] == ["sms:a", "whatsapp:b"]
    assert out["suggestions"][0]["status"] == "confirmed"
    assert set(out["suggestions"][0]) >= {"a", "b", "score", "strength", "reasons", "status"}
    assert main(["timeline", *args, "--json"]) == 0
    tl = json.loads(capsys.readouterr().out)
    assert tl["groups"][0]["threats"][0]["keyword"] == "i know where you live"
    assert main(["aliases", *args, "label", "G999", "x"]) == 1
    assert "no alias group" in capsys.readouterr().err


def test_strong_component_follows_only_strong_links() -> None:
    from workstation.aliases import AliasReport, Suggestion

    report = AliasReport(
        suggestions=[
            Suggestion("a", "b", 0.9, "strong", []),
            Suggestion("b", "c", 0.8, "strong", []),
            Suggestion("c", "d", 0.4, "weak", []),
            Suggestion("x", "y", 0.9, "strong", []),
        ],
        groups=[],
    )
    assert report.strong_component("a") == {"a", "b", "c"}
    assert report.strong_component("d") == {"d"}


def test_holders_share_a_person_only_by_their_exports_evidence(case: Case) -> None:
    hand_over = "Amy's account downloads"
    add_rows(case, [acc("facebook:amy@example.org", email="amy@example.org",
                        display_name="Amy Walsh", is_owner=True)], source=hand_over)  # fmt: skip
    add_rows(case, [acc("x:9", platform_id="9", display_name="Amy Walsh", is_owner=True)],
             source=hand_over)  # fmt: skip
    add_rows(case, [acc("discord:5", platform_id="5", display_name="Bee", is_owner=True)],
             source=hand_over)  # fmt: skip
    add_rows(case, [acc("telegram:7", platform_id="7", display_name="Amy Walsh", is_owner=True)],
             source="Another person's downloads")  # fmt: skip
    report = aliases.analyse(case)
    same = report.find("facebook:amy@example.org", "x:9")
    assert same is not None and same.strength == "strong"
    why = same.reasons[0]
    assert why.signal == "export_holder" and why.weight == 0.85
    assert why.text.startswith(f"Both are named 'Amy Walsh' as the holder of exports handed "
                               f"over together as {hand_over!r}")  # fmt: skip
    # Handed over together, named differently: the source alone, 0.20, not listed.
    assert report.find("discord:5", "x:9") is None
    assert any("name 2 holders that nothing in them ties together" in n for n in report.notes)
    # Another source: no holder signal, only the name.
    other = report.find("telegram:7", "x:9")
    assert other is not None and other.strength == "weak"
    assert [r.signal for r in other.reasons] == ["name"]


def test_identifiers_seen_together_tie_one_account(case: Case) -> None:
    # Same archive: the record that shows the username beside the name, and the messages
    # that name the account by its display name only.
    add_rows(case, [acc("instagram:danmercer.x", handle="danmercer.x", display_name="danny m"),
                    acc("instagram:danny m", display_name="danny m")])  # fmt: skip
    # Elsewhere (a profile page, a screenshot): the name is tied in another item.
    add_rows(case, [acc("instagram:Kim R", display_name="Kim R")])
    add_rows(case, [acc("instagram:kim.r_", handle="kim.r_", display_name="Kim R")])
    # The same display name shown with two usernames: ambiguous.
    add_rows(case, [acc("instagram:Jo B", display_name="Jo B")])
    add_rows(case, [acc("instagram:jo.b1", handle="jo.b1", display_name="Jo B"),
                    acc("instagram:jo.b2", handle="jo.b2", display_name="Jo B")])  # fmt: skip
    # A phone's saved label seen with a number in another export: another phone's label.
    add_rows(case, [acc("whatsapp:Lee", display_name="Lee")])
    add_rows(case, [acc("whatsapp:+447700900321", phone_e164="+447700900321",
                        phone_raw="+447700900321", display_name="Lee")])  # fmt: skip
    # A username is unique on its platform, wherever the tie is.
    add_rows(case, [acc("x:dm88", handle="dm88")])
    add_rows(case, [acc("x:1400", platform_id="1400", handle="dm88")])
    report = aliases.analyse(case)

    def reason_of(a: str, b: str) -> tuple[str, Reason]:
        s = report.find(a, b)
        assert s is not None, (a, b)
        [why] = [r for r in s.reasons if r.signal.startswith("seen_together")]
        return s.strength, why

    strength, why = reason_of("instagram:danmercer.x", "instagram:danny m")
    assert (strength, why.signal, why.weight) == ("strong", "seen_together", 0.90)
    assert "together with the name 'danny m', by which instagram:danny m is known" in why.text
    assert "in the same export" in why.text
    strength, why = reason_of("instagram:Kim R", "instagram:kim.r_")
    assert (strength, why.signal, why.weight) == ("strong", "seen_together_elsewhere", 0.80)
    for username in ("instagram:jo.b1", "instagram:jo.b2"):
        strength, why = reason_of("instagram:Jo B", username)
        assert (strength, why.signal, why.weight) == ("weak", "seen_together_weak", 0.30)
        assert "shown with 2 accounts" in why.text
    lee = report.find("whatsapp:+447700900321", "whatsapp:Lee")  # a saved label: not a tie
    assert lee is None or not any(r.signal.startswith("seen_together") for r in lee.reasons)
    strength, why = reason_of("x:1400", "x:dm88")
    assert (strength, why.signal, why.weight) == ("strong", "seen_together", 0.90)
    assert "usernames are unique on the platform" in why.text

"""The timeline by person on case-alpha: the suspect's confirmed group across platforms."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from workstation import aliases, timeline

ALPHA = Path(__file__).resolve().parents[1] / "data" / "case_alpha"
GROUP = [
    "whatsapp:+447700900987",
    "sms:+447700900987",
    "phone:+447700900987",
    "telegram:user5550001",
]


def _confirm_chain(case: Case, signer: Signer, keys: list[str]) -> str:
    report = aliases.analyse(case)
    for a, b in itertools.pairwise(keys):
        aliases.decide(case, signer, a, b, "confirm", report=report)
    [group] = aliases.groups(case)
    aliases.label(case, signer, group.id, "Suspect A")
    return group.id


def test_suspect_timeline_counts_against_truth(alpha_copy: Case, signer: Signer) -> None:
    group_id = _confirm_chain(alpha_copy, signer, GROUP)
    out = timeline.build(alpha_copy).as_json()
    [g] = out["groups"]
    assert (g["id"], g["label"]) == (group_id, "Suspect A")
    truth = json.loads((ALPHA / "truth.json").read_text(encoding="utf-8"))
    files = {"WhatsApp Chat - +44 7700 900987.zip", "sms-20240501093012.xml",
             "ChatExport_2024-05-01"}  # fmt: skip
    idents = {"+44 7700 900987", "+447700900987", "07700900987", "Daniel M"}
    expected = [
        m for m in truth["messages"]
        if any(m["file"].startswith(f) for f in files) and m["sender_identifier"] in idents
    ]  # fmt: skip
    messages = g["counts"]["messages"] + sum(
        c.get("calls", 0) for p, c in g["counts"]["by_platform"].items() if p != "phone"
    )  # truth lists chat call lines as messages; the call log's calls are not messages
    assert messages == len(expected)
    assert g["first_contact"] == min(m["sent_at_utc"] for m in expected)
    assert g["counts"]["by_platform"]["phone"]["calls"] > 0  # the call log's calls
    events = [e["at"] for e in g["events"]]
    assert events == sorted(events)  # one time order across WhatsApp, SMS, Telegram, calls
    weeks = g["per_week"]
    starts = [date.fromisoformat(w["week_start"]) for w in weeks]
    assert all(d.weekday() == 0 for d in starts)
    assert all((b - a).days == 7 for a, b in itertools.pairwise(starts))
    assert sum(w["messages"] + w["calls"] for w in weeks) == len(g["events"])
    assert sum(d["messages"] for d in g["per_day"]) == g["counts"]["messages"]
    assert g["trend"]["slope_per_week"] > 0 and "rising" in g["trend"]["text"]
    assert out["keywords"]["source"] == "built-in" and out["keywords"]["count"] > 10
    threats = {t["message_id"]: t for t in g["threats"]}
    assert any(t["keyword"] == "come round" for t in threats.values())


def test_keyword_list_from_case_folder_and_file(
    alpha_copy: Case, signer: Signer, tmp_path: Path
) -> None:
    _confirm_chain(alpha_copy, signer, GROUP[:2])
    (alpha_copy.folder / timeline.CASE_KEYWORDS).write_text("# ours\nTick tock\n", encoding="utf-8")
    out = timeline.build(alpha_copy).as_json()
    assert out["keywords"]["source"] == "case folder" and out["keywords"]["count"] == 1
    assert {t["keyword"] for t in out["groups"][0]["threats"]} == {"tick tock"}
    mine = tmp_path / "words.txt"
    mine.write_text("photos\n", encoding="utf-8")
    words = timeline.KeywordList.for_case(alpha_copy, mine)
    out = timeline.build(alpha_copy, keywords=words).as_json()
    assert out["keywords"]["source"] == "file"
    assert all("photos" in t["excerpt"].casefold() for t in out["groups"][0]["threats"])


def test_ungrouped_singletons_and_empty(case: Case) -> None:
    assert timeline.build(case).as_json()["groups"] == []
    assert timeline.build(case, include_ungrouped=True).as_json()["groups"] == []

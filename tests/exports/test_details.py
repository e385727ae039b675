"""Case details: TOML or JSON, validated strictly with errors naming the key, recorded as
details.set entries (whole document or one section), the latest entry winning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from exports.context import CaseDetails, RiskAnswer
from exports.details import (
    DetailsError,
    current_details,
    current_document,
    details_document,
    load_details_file,
    parse_details,
    set_details,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "case-details.example.toml"


def test_the_documented_example_parses_completely() -> None:
    d = parse_details(load_details_file(EXAMPLE))
    assert d.officer.name == "DC Jane Smith"
    assert d.offences[0].legislation == "s.4A Protection from Harassment Act 1997"
    assert d.digital_strategy.date_from == "2024-03-01"  # TOML date -> ISO text
    assert d.restraining_order.proposed is True and d.vps.taken is False
    assert d.risk[0].answers[1] == RiskAnswer(
        6, "threats of violence", "yes", "messages of 14 and 25 April"
    )
    assert d.mg6.platform_requests[0].target_date == "2024-05-30"
    # The canonical form goes through the ledger unchanged (no floats, bools or nulls).
    doc = details_document(d)
    assert doc["restraining_order"]["proposed"] == "yes"
    assert parse_details(json.loads(json.dumps(doc))) == d


def test_json_files_are_read_too(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"suspect": "D M", "vps": {"offered": "no"}}), encoding="utf-8")
    d = parse_details(load_details_file(path))
    assert d.suspect == "D M" and d.vps.offered is False and d.victim is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"suspekt": "x"}, r"details\.suspekt: unknown key"),
        ({"officer": {"nmae": "x"}}, r"details\.officer\.nmae: unknown key"),
        ({"offences": [{"legislation": "s.2"}]}, r"details\.offences\[0\]\.title: required"),
        ({"offences": {"title": "x"}}, r"details\.offences: expected a list"),
        ({"digital_strategy": {"date_from": "1 March"}}, r"date_from: '1 March' is not a date"),
        ({"outstanding": [{"description": "x", "target_date": "soon"}]}, r"target_date"),
        ({"restraining_order": {"proposed": "perhaps"}}, r"proposed: expected true/false"),
        (
            {"risk": [{"form": "S-DASH", "answers": [{"number": 1, "topic": "t", "answer": "y"}]}]},
            r"details\.risk\[0\]\.answers\[0\]\.answer: 'y' is not one of",
        ),
        ({"risk": [{"form": "SDASH"}]}, r"details\.risk\[0\]\.form"),
        ({"risk": [{"form": "DASH", "answers": [{"number": "1"}]}]}, r"answers\[0\]\.number"),
        ({"victim": 7}, r"details\.victim: expected text"),
    ],
)
def test_errors_name_the_key(document: dict[str, Any], message: str) -> None:
    with pytest.raises(DetailsError, match=message):
        parse_details(document)


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "d.toml"
    bad.write_text("suspect = \n", encoding="utf-8")
    with pytest.raises(DetailsError, match="not valid toml"):
        load_details_file(bad)
    with pytest.raises(DetailsError, match="cannot read"):
        load_details_file(tmp_path / "missing.toml")


def test_recorded_in_the_ledger_latest_wins(case: Case, signer: Signer) -> None:
    assert current_details(case) == CaseDetails()
    full = load_details_file(EXAMPLE)
    set_details(case, signer, full)
    set_details(
        case, signer, {"vps": {"offered": True, "taken": True, "date": "2024-05-10"}}, "vps"
    )
    d = current_details(case)
    assert d.vps.taken is True and d.vps.date == "2024-05-10"
    assert d.officer.name == "DC Jane Smith"  # other sections kept
    entries = [e for e in case.ledger_entries() if e.action == "details.set"]
    assert [e.data["scope"] for e in entries] == ["document", "section"]
    assert entries[0].data["document"]["suspect"] == full["suspect"]
    assert entries[1].data == {
        "scope": "section",
        "section": "vps",
        "document": {"offered": "yes", "taken": "yes", "date": "2024-05-10"},
    }
    # A whole document later replaces everything, sections included.
    set_details(case, signer, {"suspect": "Someone else"})
    assert current_document(case) == {"suspect": "Someone else"}


def test_a_refused_document_records_nothing(case: Case, signer: Signer) -> None:
    size = case.ledger_size()
    with pytest.raises(DetailsError, match="unknown key"):
        set_details(case, signer, {"suspect": "x", "colour": "red"})
    with pytest.raises(DetailsError, match="only \\[vps\\] may be given"):
        set_details(case, signer, {"vps": {}, "suspect": "x"}, "vps")
    with pytest.raises(DetailsError, match="unknown section"):
        set_details(case, signer, {"nope": {}}, "nope")
    assert case.ledger_size() == size

"""End to end: case-alpha's screenshots and profile pictures through ingest; near-duplicates."""

from __future__ import annotations

import json
from pathlib import Path

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from workstation import queries
from workstation.ingest import ingest_paths

ALPHA = Path(__file__).resolve().parents[1] / "data" / "case_alpha"


def test_near_duplicates_in_items_json(case: Case, signer: Signer) -> None:
    truth = json.loads((ALPHA / "truth.json").read_text(encoding="utf-8"))
    ingest_paths(case, signer, [ALPHA / "evidence" / "screenshots"])
    items = {i["name"]: i for i in queries.iter_items(case)}
    assert all(i["extractors"] == ["image_meta@1.1"] for i in items.values())
    expected = {tuple(sorted(Path(p).name for p in pair["files"])) for pair in truth["duplicates"]}
    found = set()
    by_id = {i["id"]: name for name, i in items.items()}
    for name, item in items.items():
        for other in item["near_duplicates"]:
            found.add(tuple(sorted((name, by_id[other["item_id"]]))))
    assert found == expected

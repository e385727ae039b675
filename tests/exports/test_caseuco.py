"""case.jsonld: CASE 1.x / UCO 1.x that conforms to the ontology's SHACL shapes
(``case_validate`` from case-utils), with items, provenance, exhibits and alias links."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from exports.caseuco import case_jsonld
from tests.exports.sample_context import sample_context

CASE_VALIDATE = Path(sys.executable).with_name("case_validate")


def _nodes(doc: bytes) -> dict[str, dict[str, Any]]:
    return {n["@id"]: n for n in json.loads(doc)["@graph"]}


def test_the_sample_context_is_described_fully_and_deterministically() -> None:
    ctx = sample_context()
    doc = case_jsonld(ctx)
    assert doc == case_jsonld(sample_context())
    nodes = _nodes(doc)
    types: dict[str, list[dict[str, Any]]] = {}
    for n in nodes.values():
        types.setdefault(n["@type"], []).append(n)
    (inv,) = types["investigation:Investigation"]
    assert inv["core:name"] == ctx.urn
    records = {n["investigation:exhibitNumber"] for n in types["investigation:ProvenanceRecord"]}
    assert records == {ex.ref for ex in ctx.exhibits}
    hashes = {
        f["observable:hash"][0]["types:hashValue"]["@value"]
        for n in types["observable:File"]
        for f in n["core:hasFacet"]
        if f["@type"] == "observable:ContentDataFacet"
    }
    assert {it.sha256 for ex in ctx.exhibits for it in ex.items} <= hashes
    assert {u.item.sha256 for u in ctx.unused if not u.sensitive} <= hashes
    assert not {u.item.sha256 for u in ctx.unused if u.sensitive} & hashes  # the MG6D's
    confirmed = [lk for g in ctx.alias_groups for lk in g.links if lk.status == "confirmed"]
    rels = types["core:Relationship"]
    assert len(rels) == len({tuple(sorted((lk.a, lk.b))) for lk in confirmed}) > 0
    confidences = {int(r["core:hasFacet"][0]["core:confidence"]["@value"]) for r in rels}
    assert confidences <= set(range(101))
    acquisitions = [
        n for n in types["investigation:InvestigativeAction"] if n["core:name"].startswith("acq")
    ]
    assert all("action:performer" in n and "action:instrument" in n for n in acquisitions)
    # Every object the investigation names exists in the graph.
    assert all(o["@id"] in nodes for o in inv["core:object"])


def case_validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    """Run the case-utils validator (the ontology's SHACL shapes, offline) on the files."""
    return subprocess.run(
        [str(CASE_VALIDATE), *map(str, paths)], capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_case_validate_can_fail(tmp_path: Path) -> None:
    # The check must be able to fail: a relationship without its required target.
    doc = json.loads(case_jsonld(sample_context()))
    for n in doc["@graph"]:
        if n["@type"] == "core:Relationship":
            del n["core:target"]
            break
    path = tmp_path / "broken.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    done = case_validate(path)
    assert "Conforms: False" in done.stdout and done.returncode != 0

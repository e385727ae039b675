"""The correctness bar, end to end: every message of case-alpha's truth.json is found by a
real ingest (acquire, walk archives, extract, store) with the right sender identifier, UTC
instant, kind and text, in file order, and nothing extra."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from workstation.ingest import ingest_paths
from workstation.queries import T_MESSAGE

ALPHA = Path(__file__).resolve().parents[1] / "data" / "case_alpha"
TRUTH = json.loads((ALPHA / "truth.json").read_text(encoding="utf-8"))


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _key(file: str, member: str | None) -> str:
    return f"{file}!/{member}" if member else file


@pytest.fixture(scope="module")
def alpha_case(tmp_path_factory: pytest.TempPathFactory, signer: Signer) -> Iterator[Case]:
    folder = tmp_path_factory.mktemp("alpha") / "case"
    case = Case.create(folder, urn="01AL0000001", title="R v Mercer (case alpha)", signer=signer)
    ingest_paths(case, signer, [ALPHA / "evidence"])
    yield case
    case.close()


def _found(case: Case) -> dict[str, list[Any]]:
    """Messages per evidence file/member (relative names, as truth.json writes them)."""
    base = str(ALPHA / "evidence") + "/"
    out: dict[str, list[Any]] = defaultdict(list)
    with case.engine.connect() as conn:
        rows = conn.execute(
            sa.select(T_MESSAGE, T_ITEM.c.path)
            .join(T_ITEM, T_ITEM.c.id == T_MESSAGE.c.item_id)
            .order_by(T_ITEM.c.ledger_seq, T_MESSAGE.c.ordinal)
        ).all()
    for r in rows:
        out[r.path.removeprefix(base)].append(r)
    return out


def test_every_truth_message_is_found_exactly(alpha_case: Case) -> None:
    expected: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in sorted(TRUTH["messages"], key=lambda m: m["index"]):
        expected[_key(m["file"], m.get("member"))].append(m)
    found = _found(alpha_case)
    problems: list[str] = []
    for place, truth_messages in expected.items():
        got = found.get(place, [])
        if len(got) != len(truth_messages):
            problems.append(f"{place}: {len(got)} messages, truth has {len(truth_messages)}")
            continue
        for want, have in zip(truth_messages, got, strict=True):
            mine = (have.sender_identifier, _instant(have.sent_at_utc), have.kind, have.text)
            theirs = (
                want["sender_identifier"],
                _instant(want["sent_at_utc"]),
                want["kind"],
                want["text"],
            )
            if mine != theirs:
                problems.append(f"{place}#{want['index']}: {mine!r} != {theirs!r}")
    extra = sorted(set(found) - set(expected))
    problems += [f"{place}: {len(found[place])} messages not in truth" for place in extra]
    assert problems == [], "\n".join(problems[:40])
    assert sum(len(v) for v in found.values()) == TRUTH["total_messages"]


def test_case_alpha_verifies_and_every_file_is_acquired(alpha_case: Case) -> None:
    assert verify_case(alpha_case).ok
    with alpha_case.engine.connect() as conn:
        hashes = {r.sha256 for r in conn.execute(sa.select(T_ITEM.c.sha256))}
    for entry in TRUTH["files"]:
        assert entry["sha256"] in hashes, entry

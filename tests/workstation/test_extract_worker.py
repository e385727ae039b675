"""Extraction in a child process gives exactly what an in-process run gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from tests.workstation.test_extraction_pipeline import LinesExtractor, lines_extractor
from workstation import extract_worker, queries
from workstation.ingest import ingest_paths

__all__ = ["lines_extractor"]


def _ingest(case: Case, signer: Signer, path: Path) -> tuple[list[str], dict[str, object]]:
    ingest_paths(case, signer, [path])
    texts = [m["text"] for m in queries.iter_messages(case)]
    entry = next(e for e in case.ledger_entries() if e.action == "item.extracted")
    return texts, entry.data


def test_same_records_and_root_in_a_worker(
    tmp_path: Path,
    signer: Signer,
    lines_extractor: LinesExtractor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    src = tmp_path / "chat.lines"
    src.write_text("".join(f"message {i}\n" for i in range(3500)), encoding="utf-8")
    runs = []
    for name, threshold in (("in-process", 1 << 40), ("worker", 0)):
        monkeypatch.setattr(extract_worker, "WORKER_MIN_BYTES", threshold)
        case = Case.create(tmp_path / name, urn="01WK0000001", title=name, signer=signer)
        runs.append(_ingest(case, signer, src))
        case.close()
    (texts_a, data_a), (texts_b, data_b) = runs
    assert len(texts_a) == 3500 and texts_a == texts_b
    assert data_a["status"] == data_b["status"] == "complete"
    assert data_a["records"] == data_b["records"] == 3501
    assert data_a["merkle_root"] == data_b["merkle_root"]


def test_a_crash_in_the_worker_keeps_what_was_found(
    case: Case,
    signer: Signer,
    tmp_path: Path,
    lines_extractor: LinesExtractor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(extract_worker, "WORKER_MIN_BYTES", 0)
    src = tmp_path / "crash.lines"
    src.write_text("".join(f"m{i}\n" for i in range(2500)) + "BOOM\nlater\n", encoding="utf-8")
    texts, data = _ingest(case, signer, src)
    assert len(texts) == 2500
    assert data["status"] == "failed" and data["error"] == "RuntimeError: cannot go on"

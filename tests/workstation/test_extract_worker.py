"""Extraction in a child process gives exactly what an in-process run gives."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from extractors import registry
from extractors.base import Context, Source
from extractors.records import Message, Record
from tests.workstation.test_extraction_pipeline import LinesExtractor, lines_extractor
from workstation import extract_worker, extraction, queries
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


def _ingest_folder(
    tmp_path: Path, signer: Signer, name: str, folder: Path
) -> tuple[list[str], list[tuple[str, object, object, object]]]:
    case = Case.create(tmp_path / name, urn="01WK0000002", title=name, signer=signer)
    ingest_paths(case, signer, [folder])
    texts = sorted(str(m["text"]) for m in queries.iter_messages(case))
    entries = sorted(
        (e.subject, e.data["status"], e.data["records"], e.data["merkle_root"])
        for e in case.ledger_entries()
        if e.action == "item.extracted"
    )
    case.close()
    return texts, entries


def test_a_page_of_items_in_one_worker_gives_what_in_process_gives(
    tmp_path: Path,
    signer: Signer,
    lines_extractor: LinesExtractor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "chats"
    folder.mkdir()
    for i in range(6):
        body = "".join(f"chat {i} line {n}\n" for n in range(1500 * i))
        extra = {2: "BAD\nafter\n", 4: "m\nBOOM\nlost\n"}.get(i, "")
        (folder / f"c{i}.lines").write_text(body + extra, encoding="utf-8")
    pages = []
    real = extract_worker.JobWorker

    def counting(jobs: list[object]) -> object:
        pages.append(len(jobs))
        return real(jobs)  # type: ignore[arg-type]

    monkeypatch.setattr(extraction, "JobWorker", counting)
    in_worker = _ingest_folder(tmp_path, signer, "worker", folder)
    assert pages == [6]
    monkeypatch.setenv("EWS_EXTRACT_IN_PROCESS", "1")
    in_process = _ingest_folder(tmp_path, signer, "in-process", folder)
    assert pages == [6]
    assert in_worker == in_process
    statuses = [status for _, status, _, _ in in_worker[1]]
    assert statuses.count("failed") == 1 and statuses.count("complete") == 5


class DyingExtractor(LinesExtractor):
    """Kills the process it runs in, if that is not the test's own, on a DIE line."""

    name: ClassVar[str] = "test_dying"

    def __init__(self) -> None:
        self.parent = os.getpid()

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        for record in super().extract(source, ctx):
            if isinstance(record, Message) and record.text == "DIE" and os.getpid() != self.parent:
                os._exit(9)
            yield record


def test_when_the_page_worker_dies_the_rest_of_the_page_runs_in_process(
    tmp_path: Path, signer: Signer
) -> None:
    extractor = DyingExtractor()
    registry.register(extractor)
    try:
        folder = tmp_path / "chats"
        folder.mkdir()
        for name, text in (("a", "one\ntwo\n"), ("b", "x\nDIE\ny\n"), ("c", "three\n")):
            (folder / f"{name}.lines").write_text(text, encoding="utf-8")
        texts, entries = _ingest_folder(tmp_path, signer, "dying", folder)
    finally:
        registry.unregister(extractor.name)
    statuses = sorted((records, status) for _, status, records, _ in entries)
    # b's records die with the worker (none was sent yet); c runs in this process.
    assert statuses == [(0, "failed"), (2, "complete"), (3, "complete")]
    assert sorted(texts) == ["one", "three", "two"]

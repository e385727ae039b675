"""Small extractions commit together (``WriteBatch``); a crash mid-batch loses only them.

A failure that escapes an extraction, or a SIGKILL, part-way through a batch rolls back the
batch's extractions (rows, entries, embedded files) and nothing else; running the same ingest
again resumes the run and extracts exactly those items, so the case ends with the same rows
and Merkle roots as an uninterrupted ingest, each extraction once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody import db
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from tests.workstation.test_extraction_pipeline import LinesExtractor
from workstation import extraction
from workstation.extraction import T_EXTRACTION, TABLES
from workstation.ingest import IngestOptions, ingest_paths

ALPHA = Path(__file__).resolve().parents[1] / "data" / "case_alpha" / "evidence"


def snapshot(case: Case) -> dict[str, Any]:
    """Every extraction and record row of the case, ids replaced by the item's path and hash.

    (On PostgreSQL the test's cases share one database, so every query names the case.)
    """
    mine = case.case_id
    with db.read_connection(case.engine) as conn:
        items = {
            r.id: f"{r.path}|{r.sha256}"
            for r in conn.execute(
                sa.select(T_ITEM.c.id, T_ITEM.c.path, T_ITEM.c.sha256).where(
                    T_ITEM.c.case_id == mine
                )
            )
        }
        own_extractions = sa.select(T_EXTRACTION).where(T_EXTRACTION.c.case_id == mine)
        extractions = {
            r.id: f"{items[r.item_id]}#{r.extractor}" for r in conn.execute(own_extractions)
        }
        rows = [
            (
                items[r.item_id],
                r.extractor,
                r.version,
                r.status,
                r.record_count,
                r.warning_count,
                r.merkle_root,
            )
            for r in conn.execute(own_extractions)
        ]
        records: list[tuple[Any, ...]] = []
        for table in TABLES.values():
            keep = [c for c in table.columns if c.name not in ("id", "case_id", "item_id")]
            for r in conn.execute(sa.select(*keep).where(table.c.case_id == mine)):
                values = r._asdict()
                values["extraction_id"] = extractions[values["extraction_id"]]
                records.append((table.name, *sorted(values.items())))
    entries = [e for e in case.ledger_entries() if e.action == "item.extracted"]
    extracted = Counter(
        (items[e.data["item_id"]], e.data["extractor"], e.data["merkle_root"], e.data["status"])
        for e in entries
    )
    return {
        "extractions": sorted(rows),
        "records": sorted(records, key=repr),
        "extracted": sorted(extracted.items()),
        "items": sorted(items.values()),
    }


def assert_each_once(snap: dict[str, Any]) -> None:
    assert all(n == 1 for _, n in snap["extracted"]), "an item.extracted entry twice"
    keys = [(item, extractor) for item, extractor, *_ in snap["extractions"]]
    assert len(keys) == len(set(keys)), "an extraction row twice"


@pytest.fixture
def lines_folder(tmp_path: Path) -> Path:
    """Twelve small chats, some with a warning or an embedded file."""
    folder = tmp_path / "chats"
    folder.mkdir()
    for i in range(12):
        body = "".join(f"chat {i} line {n}\n" for n in range(40 + 30 * i))
        extra = {3: "BAD\nafter\n", 5: "ATTACH\nafter\n", 9: "ATTACH\n"}.get(i, "")
        (folder / f"c{i:02d}.lines").write_text(body + extra, encoding="utf-8")
    return folder


@pytest.fixture
def lines_extractor() -> Any:
    from extractors import registry

    extractor = LinesExtractor()
    registry.register(extractor)
    yield extractor
    registry.unregister(extractor.name)


def _new_case(tmp_path: Path, name: str, signer: Signer, db_url: str | None) -> Case:
    return Case.create(tmp_path / name, urn="01WB0000001", title=name, signer=signer, db_url=db_url)


@pytest.mark.parametrize("in_process", [False, True], ids=["worker", "in-process"])
def test_a_failure_mid_batch_rolls_back_the_batch_and_a_resume_redoes_it(
    tmp_path: Path,
    signer: Signer,
    db_url: str | None,
    lines_folder: Path,
    lines_extractor: LinesExtractor,
    monkeypatch: pytest.MonkeyPatch,
    in_process: bool,
) -> None:
    if in_process:
        monkeypatch.setenv("EWS_EXTRACT_IN_PROCESS", "1")
    options = IngestOptions(source="seized phone", reason="batch fault")
    with _new_case(tmp_path, "whole", signer, db_url) as whole:
        ingest_paths(whole, signer, [lines_folder], options)
        expected = snapshot(whole)
    assert len(expected["extractions"]) == 14  # 12 chats + 2 embedded parts
    assert_each_once(expected)

    monkeypatch.setattr(extraction, "BATCH_MAX_EXTRACTIONS", 4)
    monkeypatch.setattr(extraction, "BATCH_MAX_SECONDS", 1e9)  # by count, on a slow machine too
    real_finish = extraction.ItemExtractor._finish
    calls = [0]

    def failing_finish(self: Any, *args: Any) -> None:
        calls[0] += 1
        if calls[0] == 7:  # the 3rd extraction of the 2nd batch
            raise RuntimeError("power cut")
        real_finish(self, *args)

    monkeypatch.setattr(extraction.ItemExtractor, "_finish", failing_finish)
    with _new_case(tmp_path, "broken", signer, db_url) as broken:
        with pytest.raises(RuntimeError, match="power cut"):
            ingest_paths(broken, signer, [lines_folder], options)
        partial = snapshot(broken)
        assert len(partial["extractions"]) == 4  # the first batch only
        assert len(partial["extracted"]) == 4
        assert len(partial["items"]) == 12  # every chat acquired; no embedded part yet
        assert list(broken.store.iter_pending()) == []  # the batch's embedded copies dropped
        monkeypatch.setattr(extraction.ItemExtractor, "_finish", real_finish)
        summary = ingest_paths(broken, signer, [lines_folder], options)
        assert summary.resumed
        assert summary.extractions == 10
        resumed = snapshot(broken)
        assert resumed == expected
        assert_each_once(resumed)
        report = verify_case(broken)
        assert report.ok, [f"{f.subject}: {f.message}" for f in report.failures]


KILL_HOOK = r"""
import os, signal, sys
from workstation import cli, extraction

nth = int(sys.argv[1])
calls = [0]
extraction.BATCH_MAX_EXTRACTIONS = 4
extraction.BATCH_MAX_SECONDS = 1e9  # batches end by count only, however slow the machine
real_finish = extraction.ItemExtractor._finish

def finish(self, *args):
    calls[0] += 1
    if calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
    real_finish(self, *args)

extraction.ItemExtractor._finish = finish
sys.exit(cli.main(sys.argv[2:]))
"""


def test_sigkill_mid_batch_on_case_alpha_then_resume(
    tmp_path: Path, signer: Signer, db_url: str | None
) -> None:
    """case-alpha's own extractors; killed in the 3rd batch, resumed from the command line."""
    with _new_case(tmp_path, "whole", signer, db_url) as whole:
        ingest_paths(whole, signer, [ALPHA])
        expected = snapshot(whole)
    assert_each_once(expected)
    folder = tmp_path / "killed"
    _new_case(tmp_path, "killed", signer, db_url).close()
    cmd = ["ingest", str(folder), str(ALPHA)]
    killed = subprocess.run(
        [sys.executable, "-c", KILL_HOOK, "11", *cmd],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with Case.open(folder, db_url=db_url) as case:
        partial = snapshot(case)
    assert len(partial["extracted"]) == 8  # two batches of four committed
    assert_each_once(partial)
    resumed_run = subprocess.run(
        [sys.executable, "-m", "workstation.cli", *cmd],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ},
    )
    assert resumed_run.returncode == 0, resumed_run.stderr
    with Case.open(folder, db_url=db_url) as case:
        assert list(case.store.iter_pending()) == []
        resumed = snapshot(case)
        report = verify_case(case)
    assert report.ok, [f"{f.subject}: {f.message}" for f in report.failures]
    assert resumed == expected
    assert_each_once(resumed)

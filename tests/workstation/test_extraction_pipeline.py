"""The extraction phase of ingest: records, roots, warnings, derived items, failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from extractors import registry
from extractors.base import Context, Source
from extractors.records import Account, DerivedFile, Message, Record
from workstation import queries
from workstation.extraction import records_root
from workstation.ingest import ingest_paths


class LinesExtractor:
    """Test extractor: every line of a *.lines file is a message from 'alice'."""

    name: ClassVar[str] = "test_lines"
    version: ClassVar[str] = "1"
    description: ClassVar[str] = "one message per line"

    def sniff(self, source: Source) -> bool:
        return source.name.endswith(".lines")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        yield Account(
            locator=source.locate(line=1),
            platform="test",
            platform_id="alice",
            display_name="Alice",
        )
        with source.open() as f:
            for number, raw in enumerate(f, 1):
                text = raw.decode("utf-8").rstrip("\n")
                if text == "BOOM":
                    raise RuntimeError("cannot go on")
                if text == "BAD":
                    yield ctx.warn(source.locate(line=number), "unreadable line")
                    continue
                if text == "ATTACH":
                    yield DerivedFile(
                        locator=source.locate(line=number),
                        name="part.lines",
                        data=b"from the attachment\n",
                    )
                    continue
                yield Message(
                    locator=source.locate(line=number),
                    platform="test",
                    thread_id="t1",
                    sender_key="test:alice",
                    sender_identifier="alice",
                    sent_at_utc=f"2026-09-14T21:{number:02d}:00Z",
                    sent_at_raw=f"21:{number:02d}",
                    text=text,
                )


@pytest.fixture
def lines_extractor() -> Iterator[LinesExtractor]:
    extractor = LinesExtractor()
    registry.register(extractor)
    yield extractor
    registry.unregister(extractor.name)


def test_messages_roots_warnings_and_derived_items(
    case: Case, signer: Signer, tmp_path: Path, lines_extractor: LinesExtractor
) -> None:
    src = tmp_path / "chat.lines"
    src.write_text("hello\nBAD\nATTACH\nbye\n", encoding="utf-8")
    summary = ingest_paths(case, signer, [src])
    assert summary.extractions == 2  # the file and its derived attachment
    messages = list(queries.iter_messages(case))
    # In time order; the attachment's line 1 has the same time as "hello", so item order.
    assert [m["text"] for m in messages] == ["hello", "from the attachment", "bye"]
    first = messages[0]
    assert first["sender"]["display_name"] == "Alice"
    assert first["locator"]["line"] == 1 and first["locator"]["path"] == str(src)
    items = list(queries.iter_items(case))
    assert items[0]["extractors"] == ["test_lines@1"]
    assert any("line 2: unreadable line" in w for w in items[0]["warnings"])
    child = items[1]
    assert child["parent_id"] == items[0]["id"] and child["name"] == "part.lines"
    extracted = [e for e in case.ledger_entries() if e.action == "item.extracted"]
    # account, hello, the warning, the derived file, bye
    assert extracted[0].data["records"] == 5 and extracted[0].data["warnings"] == 1
    # The root in the ledger is what anyone gets by re-running the extractor on the bytes.
    source = Source(
        sha256=items[0]["sha256"],
        name="chat.lines",
        path=str(src),
        mime="text/plain",
        size=src.stat().st_size,
        head=src.read_bytes(),
        opener=lambda: src.open("rb"),
    )
    root, count = records_root(lines_extractor.extract(source, Context()))
    assert (root, count) == (extracted[0].data["merkle_root"], 5)
    accounts = list(queries.iter_accounts(case))
    assert accounts[0]["id"] == "test:alice" and accounts[0]["messages"] == 3
    assert verify_case(case).ok


def test_a_crashing_extractor_keeps_what_it_found(
    case: Case, signer: Signer, tmp_path: Path, lines_extractor: LinesExtractor
) -> None:
    src = tmp_path / "crash.lines"
    src.write_text("one\ntwo\nBOOM\nnever\n", encoding="utf-8")
    summary = ingest_paths(case, signer, [src])
    assert [m["text"] for m in queries.iter_messages(case)] == ["one", "two"]
    entry = next(e for e in case.ledger_entries() if e.action == "item.extracted")
    assert entry.data["status"] == "failed" and "RuntimeError" in entry.data["error"]
    assert any("stopped after 3 records" in w for w in summary.warnings)
    ledger = [e.action for e in case.ledger_entries()]
    assert ledger[-2:] == ["ingest.completed", "checkpoint"]  # completed, and witnessed

"""Linking a saved profile picture to an account, on the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from tests.data.make_demo_evidence import png_bytes
from tests.workstation.test_extraction_pipeline import LinesExtractor, lines_extractor
from workstation import queries
from workstation.accounts import AccountError, link_avatar
from workstation.ingest import ingest_paths

__all__ = ["lines_extractor"]  # the fixture, re-used


def test_link_avatar_from_a_file_and_from_an_item(
    case: Case, signer: Signer, tmp_path: Path, lines_extractor: LinesExtractor
) -> None:
    chat = tmp_path / "chat.lines"
    chat.write_text("hello\n", encoding="utf-8")
    ingest_paths(case, signer, [chat])
    picture = tmp_path / "dan.png"
    picture.write_bytes(png_bytes(40, 40, (1, 2, 3)))

    link = link_avatar(case, signer, "test:alice", str(picture))
    account = next(a for a in queries.iter_accounts(case) if a["id"] == "test:alice")
    assert account["avatar_sha256"] == link.sha256
    entry = next(e for e in case.ledger_entries() if e.action == "account.avatar_linked")
    assert entry.subject == "test:alice" and entry.data["sha256"] == link.sha256
    acquired = [e for e in case.ledger_entries() if e.action == "item.acquired"]
    assert acquired[-1].data["reason"] == "profile picture of account test:alice"

    again = link_avatar(case, signer, "test:alice", link.sha256)  # by SHA-256: no new item
    assert again.item_id == link.item_id
    assert verify_case(case).ok


def test_link_avatar_refuses_unknown_account_and_non_images(
    case: Case, signer: Signer, tmp_path: Path, lines_extractor: LinesExtractor
) -> None:
    chat = tmp_path / "chat.lines"
    chat.write_text("hello\n", encoding="utf-8")
    ingest_paths(case, signer, [chat])
    with pytest.raises(AccountError, match="no account"):
        link_avatar(case, signer, "test:nobody", str(chat))
    item = next(queries.iter_items(case))
    with pytest.raises(AccountError, match="not an image"):
        link_avatar(case, signer, "test:alice", item["sha256"])
    with pytest.raises(AccountError, match="no item with SHA-256"):
        link_avatar(case, signer, "test:alice", "ab" * 32)

"""Review tags (issue 15 §2): signed ledger entries, folded in ledger order, checked by verify."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import iter_entries
from chain_of_custody.verify import verify_case
from tests.chain_of_custody.test_tamper import update_entry
from tests.conftest import ALPHA
from workstation import review
from workstation.cli import main
from workstation.ingest import IngestOptions, ingest_paths
from workstation.queries import T_MESSAGE

CHAT = "WhatsApp Chat with Daniel Mercado.txt"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _item(case: Case, name: str) -> Any:
    with case.engine.connect() as conn:
        return conn.execute(
            sa.select(T_ITEM).where(T_ITEM.c.case_id == case.case_id, T_ITEM.c.name == name)
        ).one()


def _first_message(case: Case, item_id: str) -> Any:
    with case.engine.connect() as conn:
        return conn.execute(
            sa.select(T_MESSAGE.c.id, T_MESSAGE.c.thread_id)
            .where(T_MESSAGE.c.item_id == item_id)
            .order_by(T_MESSAGE.c.ordinal)
            .limit(1)
        ).one()


def test_parse_target_and_tag() -> None:
    sha = "AB" * 32
    assert review.parse_target(f"item:{sha}") == review.Target("item_sha256", sha.lower())
    assert review.parse_target("message:007").text == "message:7"
    assert review.parse_target("thread:whatsapp:+447700900123").id == "whatsapp:+447700900123"
    for bad in ("message:x", "item:", "chat:1", "12"):
        with pytest.raises(review.ReviewError):
            review.parse_target(bad)
    assert review.check_tag("needs-redaction") == "needs-redaction"
    assert review.check_tag("line-of-enquiry-2") == "line-of-enquiry-2"
    for bad in ("Relevant", "two words", "x" * 41, "", "naïve"):
        with pytest.raises(review.ReviewError, match="lowercase letters, digits and '-'"):
            review.check_tag(bad)


def test_tag_untag_fold_and_verify(alpha_copy: Case, signer: Signer) -> None:
    chat = _item(alpha_copy, CHAT)
    msg = _first_message(alpha_copy, chat.id)
    with pytest.raises(review.ReviewError, match="not-relevant needs --note"):
        review.tag(alpha_copy, signer, f"item:{chat.id}", "not-relevant")
    with pytest.raises(review.ReviewError, match="no such message"):
        review.tag(alpha_copy, signer, "message:999999", "relevant")
    with pytest.raises(review.ReviewError, match="no such thread"):
        review.tag(alpha_copy, signer, "thread:nope", "relevant")
    with pytest.raises(review.ReviewError, match="no such item"):
        review.tag(alpha_copy, signer, "item:" + "0" * 64, "sensitive")

    a = review.tag(alpha_copy, signer, f"item:{chat.id}", "not-relevant", "a cousin's chat")
    b = review.tag(alpha_copy, signer, f"message:{msg.id}", "relevant")
    c = review.tag(alpha_copy, signer, f"thread:{msg.thread_id}", "privileged")
    d = review.tag(alpha_copy, signer, f"item:{chat.sha256}", "sensitive", "third party")
    review.untag(alpha_copy, signer, f"thread:{msg.thread_id}", "privileged")
    with pytest.raises(review.ReviewError, match="has no tag 'privileged'"):
        review.untag(alpha_copy, signer, f"thread:{msg.thread_id}", "privileged")
    assert c.tag == "privileged"

    tags = review.current_tags(alpha_copy)
    assert [t.as_json() for t in tags] == [
        {
            "target": f"item:{chat.id}",
            "tag": "not-relevant",
            "note": "a cousin's chat",
            "examiner": "JS",
            "at": a.at,
            "ledger_seq": a.ledger_seq,
        },
        {
            "target": f"message:{msg.id}",
            "tag": "relevant",
            "note": "",
            "examiner": "JS",
            "at": b.at,
            "ledger_seq": b.ledger_seq,
        },
        {
            "target": f"item:{chat.sha256}",
            "tag": "sensitive",
            "note": "third party",
            "examiner": "JS",
            "at": d.at,
            "ledger_seq": d.ledger_seq,
        },
    ]
    with alpha_copy.engine.connect() as conn:
        entries = list(iter_entries(conn, alpha_copy.case_id))
        by_item = review.item_tags(conn, alpha_copy.case_id, tags)
    assert [t.tag for t in by_item[chat.id]] == ["not-relevant", "sensitive"]
    added = entries[a.ledger_seq]
    assert (added.action, added.subject) == ("tag.added", f"item:{chat.id}")
    assert added.data == {
        "target_kind": "item",
        "target_id": chat.id,
        "tag": "not-relevant",
        "note": "a cousin's chat",
        "examiner": "JS",
    }
    assert entries[a.ledger_seq + 1].action == "checkpoint"  # each command is witnessed
    assert verify_case(alpha_copy).ok

    # A tag entry changed after the fact (the note rewritten) is caught by verify.
    update_entry(
        alpha_copy, a.ledger_seq, "data", lambda s: s.replace("a cousin's chat", "a cousin")
    )
    report = verify_case(alpha_copy)
    assert not report.ok
    assert ("entry", a.ledger_seq) in {(f.kind, f.seq) for f in report.failures}


def test_same_bytes_later_acquired_carry_the_tag(alpha_copy: Case, signer: Signer) -> None:
    chat = _item(alpha_copy, CHAT)
    review.tag(alpha_copy, signer, f"item:{chat.sha256}", "sensitive", "third party")
    ingest_paths(alpha_copy, signer, [ALPHA / "evidence" / CHAT], IngestOptions(source="again"))
    with alpha_copy.engine.connect() as conn:
        by_item = review.item_tags(conn, alpha_copy.case_id, review.current_tags(alpha_copy))
        same = set(
            conn.execute(
                sa.select(T_ITEM.c.id).where(
                    T_ITEM.c.case_id == alpha_copy.case_id, T_ITEM.c.sha256 == chat.sha256
                )
            ).scalars()
        )
    assert len(same) == 2 and set(by_item) == same


def test_cli(alpha_copy: Case, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(alpha_copy.folder)
    chat = _item(alpha_copy, CHAT)
    msg = _first_message(alpha_copy, chat.id)
    code, out, err = _run(capsys, "tag", folder, f"thread:{msg.thread_id}", "not-relevant")
    assert (code, out) == (1, "")
    assert err == (
        "ews: error: not-relevant needs --note: the reason it is not relevant, "
        "which the MG6C prints\n"
    )
    code, out, err = _run(capsys, "tag", folder, f"message:{msg.id}", "Bad Label")
    assert code == 1 and "lowercase letters, digits and '-', at most 40" in err
    code, out, err = _run(
        capsys, "tag", folder, f"thread:{msg.thread_id}", "not-relevant", "--note", "cousin"
    )
    assert code == 0, err
    assert out.startswith(f"tagged thread:{msg.thread_id} not-relevant (ledger entry ")
    code, out, err = _run(capsys, "tag", folder, f"message:{msg.id}", "gym-visits", "--json")
    assert code == 0, err
    assert json.loads(out)["tag"] == "gym-visits"
    code, out, err = _run(capsys, "untag", folder, f"message:{msg.id}", "gym-visits")
    assert code == 0 and out.startswith(f"untagged message:{msg.id} gym-visits")
    code, out, err = _run(capsys, "tags", folder, "--json")
    assert code == 0, err
    got = json.loads(out)
    assert [(t["target"], t["tag"], t["note"], t["examiner"]) for t in got] == [
        (f"thread:{msg.thread_id}", "not-relevant", "cousin", "JS")
    ]
    assert sorted(got[0]) == ["at", "examiner", "ledger_seq", "note", "tag", "target"]
    code, out, err = _run(capsys, "verify", folder, "--json")
    assert code == 0 and json.loads(out)["ok"] is True

"""Exhibit references: initials and a running number per examiner, never reused; a thread
exhibit is always the whole thread; unknown items, threads and messages are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer
from chain_of_custody.trust import add_examiner
from exports.exhibits import T_MESSAGE, ExhibitError, assign_exhibit, list_exhibits
from exports.gather import gather
from workstation.ingest import ingest_paths

EVIDENCE = Path(__file__).resolve().parents[1] / "data" / "case_alpha" / "evidence"
AT = "2026-01-05T10:00:00.000000Z"


@pytest.fixture
def chat_case(case: Case, signer: Signer) -> Case:
    ingest_paths(
        case,
        signer,
        [
            EVIDENCE / "WhatsApp Chat with Dan Price.txt",
            EVIDENCE / "screenshots" / "Screenshot_20240325-224408_Messenger.jpg",
        ],
    )
    return case


def _thread_and_ids(case: Case) -> tuple[str, list[int]]:
    with case.engine.connect() as conn:
        rows = conn.execute(
            sa.select(T_MESSAGE.c.id, T_MESSAGE.c.thread_id).order_by(T_MESSAGE.c.id)
        ).all()
    threads = {r.thread_id for r in rows}
    assert len(threads) == 1
    return rows[0].thread_id, [int(r.id) for r in rows]


def _screenshot_sha(case: Case) -> str:
    with case.engine.connect() as conn:
        return str(
            conn.execute(sa.select(T_ITEM.c.sha256).where(T_ITEM.c.mime.like("image/%"))).scalar()
        )


def test_references_run_per_examiner_and_are_recorded(
    chat_case: Case, signer: Signer, second_signer: Signer
) -> None:
    thread, _ = _thread_and_ids(chat_case)
    sha = _screenshot_sha(chat_case)
    first = assign_exhibit(chat_case, signer, "thread", [thread], "Chat with Dan Price", "context")
    second = assign_exhibit(chat_case, signer, "item", [sha], "Screenshot")
    add_examiner(chat_case, signer, second_signer.identity)
    other = assign_exhibit(chat_case, second_signer, "item", [sha], "Same screenshot, RP")
    third = assign_exhibit(chat_case, signer, "item", [sha.upper()], "Screenshot again")
    assert [first.ref, second.ref, other.ref, third.ref] == ["JS/1", "JS/2", "RP/1", "JS/3"]
    entries = {e.seq: e for e in chat_case.ledger_entries()}
    e = entries[first.ledger_seq]
    assert e.action == "exhibit.assigned" and e.subject == "JS/1"
    assert e.data["kind"] == "thread" and e.data["thread_ids"] == [thread]
    assert e.data["description"] == "Chat with Dan Price" and e.data["reason"] == "context"
    assert len(e.data["items"]) == 1 and e.data["message_ids"] == []
    assert entries[third.ledger_seq].data["items"] == [sha]
    assert [x.ref for x in list_exhibits(chat_case)] == ["JS/1", "JS/2", "JS/3", "RP/1"]


def test_numbers_are_never_reused_after_reopening(
    chat_case: Case, signer: Signer, tmp_path: Path
) -> None:
    sha = _screenshot_sha(chat_case)
    for n in range(3):
        assign_exhibit(chat_case, signer, "item", [sha], f"copy {n}")
    with pytest.raises(ExhibitError):
        assign_exhibit(chat_case, signer, "item", ["0" * 64], "refused")  # consumes no number
    reopened = Case.open(chat_case.folder, db_url=chat_case.db_url)
    try:
        assert assign_exhibit(reopened, signer, "item", [sha], "after").ref == "JS/4"
    finally:
        reopened.close()


def test_messages_exhibit_their_whole_thread_with_the_chosen_highlighted(
    chat_case: Case, signer: Signer
) -> None:
    thread, ids = _thread_and_ids(chat_case)
    chosen = [ids[5], ids[2]]
    ex = assign_exhibit(chat_case, signer, "messages", [str(i) for i in chosen], "Two lines")
    assert ex.thread_ids == (thread,) and ex.message_ids == tuple(sorted(chosen))
    g = gather(chat_case, signer, file_type="pre-charge", at=AT)
    (view,) = g.context.exhibits
    assert len(view.messages) == len(ids)  # the whole thread, in context
    assert {m.id for m in view.messages if m.highlighted} == {str(i) for i in chosen}
    assert view.date_from_utc is not None and view.date_from_utc <= (view.date_to_utc or "")
    assert all(m.sender_identifier or m.direction for m in view.messages if m.kind == "text")


@pytest.mark.parametrize(
    ("kind", "values", "message"),
    [
        ("item", ["ab" * 32], "no item with SHA-256"),
        ("thread", ["whatsapp:nobody"], "no thread 'whatsapp:nobody'"),
        ("messages", ["999999"], "no message with id 999999"),
        ("messages", ["12a"], "is not a number"),
        ("messages", [""], "needs at least one"),
        ("bundle", ["x"], "unknown exhibit kind"),
    ],
)
def test_unknown_things_are_refused_clearly(
    chat_case: Case, signer: Signer, kind: str, values: list[str], message: str
) -> None:
    size = chat_case.ledger_size()
    with pytest.raises(ExhibitError, match=message):
        assign_exhibit(chat_case, signer, kind, values, "description")  # type: ignore[arg-type]
    assert chat_case.ledger_size() == size
    assert list_exhibits(chat_case) == []


def test_a_description_is_required(chat_case: Case, signer: Signer) -> None:
    with pytest.raises(ExhibitError, match="needs a description"):
        assign_exhibit(chat_case, signer, "item", [_screenshot_sha(chat_case)], "  ")


def _names_of(case: Case, shas: tuple[str, ...]) -> list[str]:
    with case.engine.connect() as conn:
        rows = conn.execute(
            sa.select(T_ITEM.c.sha256, T_ITEM.c.name).where(T_ITEM.c.sha256.in_(shas))
        ).all()
    name = {r.sha256: r.name for r in rows}
    return [name[s] for s in shas]


@pytest.mark.parametrize(
    ("thread", "source", "media"),
    [
        # a zip export: the chat file, then the photos beside it in the same archive
        ("whatsapp:+44 7700 900987", "_chat.txt", "00000012-PHOTO-2024-03-26-22-41-07.jpg"),
        # a folder export: the photos in the chat's folder
        ("5550001", "result.json", "photo_1@13-04-2024_02-22-08.jpg"),
    ],
)
def test_a_thread_exhibit_carries_the_media_its_messages_attach(
    alpha_copy: Case, signer: Signer, thread: str, source: str, media: str
) -> None:
    made = assign_exhibit(alpha_copy, signer, "thread", [thread], "the chat", "")
    names = _names_of(alpha_copy, made.items)
    assert names[0] == source and media in names
    with alpha_copy.engine.connect() as conn:
        attached = {
            a
            for (text,) in conn.execute(
                sa.select(T_MESSAGE.c.attachments).where(T_MESSAGE.c.thread_id == thread)
            )
            for a in json.loads(text)
        }
    # every attached file that was handed over is in the exhibit, and nothing else
    assert set(names[1:]) <= {a.rsplit("/", 1)[-1] for a in attached}
    assert len(names) > 1

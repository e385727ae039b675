"""ews search (issue 15 §1): substring, case- and accent-insensitive, by the database's index."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import iter_entries
from chain_of_custody.verify import verify_case
from exports.details import set_details
from workstation import search
from workstation.cli import main
from workstation.ingest import ingest_paths
from workstation.queries import T_MESSAGE

ALPHA = Path(__file__).resolve().parents[1] / "data" / "case_alpha"
TRUTH = json.loads((ALPHA / "truth.json").read_text(encoding="utf-8"))


def _plain_fold(text: str) -> str:
    # Independent of search.fold: the same definition written out again.
    d = unicodedata.normalize("NFKD", text)
    return "".join(c for c in d if not unicodedata.combining(c)).casefold()


def _message_texts(case: Case, ids: list[int]) -> list[str]:
    with case.engine.connect() as conn:
        rows = conn.execute(sa.select(T_MESSAGE.c.id, T_MESSAGE.c.text)).all()
    by_id = {r.id: r.text for r in rows}
    return sorted(by_id[i] for i in ids)


def _all_messages(case: Case) -> dict[int, str]:
    with case.engine.connect() as conn:
        return {r.id: r.text for r in conn.execute(sa.select(T_MESSAGE.c.id, T_MESSAGE.c.text))}


def test_fold() -> None:
    assert search.fold("Café") == "cafe"
    assert search.fold("CAFE\u0301") == "cafe"
    assert search.fold("Straße") == "strasse"
    assert search.fold("ﬁle") == "file"  # NFKD splits the ligature
    assert search.fold("GYM") == "gym"


def test_gym_on_case_alpha_finds_every_message_and_nothing_else(alpha_copy: Case) -> None:
    hits = search.search(alpha_copy, "gym", scope="messages")
    wanted = sorted(m["text"] for m in TRUTH["messages"] if "gym" in _plain_fold(m["text"] or ""))
    assert wanted == ["I'll be waiting by the gym tomorrow. 7am. Don't be late"]
    assert {(h.kind, h.field) for h in hits} == {("message", "text")}
    assert _message_texts(alpha_copy, [h.id for h in hits]) == wanted
    assert hits[0].snippet == wanted[0]
    assert hits[0].locator["pointer"] == "/messages/21"
    assert hits[0].locator["path"].endswith("dannym_17844499572010158/message_1.json")
    # Upper case and an accent in the query change nothing.
    assert [h.id for h in search.search(alpha_copy, "GŸM", scope="messages")] == [hits[0].id]


def test_accents_and_case_are_ignored_both_ways(alpha_copy: Case) -> None:
    for query in ("cafe", "CAFÉ", "Cafe\u0301 on ashby"):
        hits = search.search(alpha_copy, query, scope="messages")
        assert [h.snippet[:26] for h in hits] == ["Café on Ashby Road, 8:15 t"], query
        assert _message_texts(alpha_copy, [h.id for h in hits]) == [
            "Café on Ashby Road, 8:15 this morning. Flat white and a croissant 🥐"
        ]


@pytest.mark.parametrize("query", ["hannah", "07700 900", "dan ", "Ré", "07", "'"])
def test_hits_are_exactly_the_substring_matches(alpha_copy: Case, query: str) -> None:
    # The index (trigram, or LIKE under three characters) against a scan of every message.
    hits = search.search(alpha_copy, query, scope="messages")
    expected = sorted(
        i for i, t in _all_messages(alpha_copy).items() if _plain_fold(query) in _plain_fold(t)
    )
    assert sorted(h.id for h in hits if h.field == "text") == expected
    assert len(expected) > 0


def test_items_and_accounts(alpha_copy: Case) -> None:
    items = search.search(alpha_copy, "wa0007", scope="items")
    assert [(h.kind, h.field, h.snippet) for h in items] == [
        ("item", "name", "IMG-20240403-WA0007.jpg")
    ]
    assert items[0].locator["item_sha256"] == (
        "fb4a72de93fc6ff5e80bc1a60a466a1bd665120abcce774e998e888cacef3ea1"
    )
    accounts = search.search(alpha_copy, "karen m", scope="accounts")
    assert [(h.kind, h.id, h.field) for h in accounts] == [
        ("account", "facebook:Karen M", "display_name")
    ]


def test_regex(alpha_copy: Case) -> None:
    hits = search.search(alpha_copy, r"\bgym\b", regex=True, scope="messages")
    assert _message_texts(alpha_copy, [h.id for h in hits]) == [
        "I'll be waiting by the gym tomorrow. 7am. Don't be late"
    ]
    with pytest.raises(search.SearchError, match="does not compile"):
        search.search(alpha_copy, "(", regex=True)
    with pytest.raises(search.SearchError, match="empty"):
        search.search(alpha_copy, "  ")


def _chat(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"0{i + 1}/03/2024, 19:3{i} - Dan: {t}\n" for i, t in enumerate(lines)))
    return path


def test_index_follows_new_records(case: Case, signer: Signer, tmp_path: Path) -> None:
    ingest_paths(case, signer, [_chat(tmp_path / "a.txt", ["Meet at the gym", "nothing"])])
    assert [h.snippet for h in search.search(case, "GYM")] == ["Meet at the gym"]
    assert search.update_index(case) == 0  # already in step
    ingest_paths(case, signer, [_chat(tmp_path / "b.txt", ["the café by the gymnasium", "x"])])
    assert sorted(h.snippet for h in search.search(case, "gym", scope="messages")) == [
        "Meet at the gym",
        "the café by the gymnasium",
    ]
    assert [h.snippet for h in search.search(case, "cafe")] == ["the café by the gymnasium"]
    assert [h.snippet for h in search.search(case, "ca")] == ["the café by the gymnasium"]
    assert [h.snippet for h in search.search(case, "b.txt", scope="items")] == ["b.txt"]
    # A regular expression, in syntax both databases read the same way.
    assert [h.snippet for h in search.search(case, "^meet", regex=True)] == ["Meet at the gym"]
    assert [h.snippet for h in search.search(case, "caf[e] by", regex=True)] == [
        "the café by the gymnasium"
    ]
    assert verify_case(case).ok


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json(alpha_copy: Case, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(alpha_copy.folder)
    code, out, _ = _run(capsys, "search", folder, "gym", "--in", "messages", "--json")
    assert code == 0
    hits = json.loads(out)
    assert [sorted(h) for h in hits] == [["field", "id", "kind", "locator", "snippet"]]
    code, out, _ = _run(capsys, "messages", folder, "--json")
    by_id = {m["id"]: m for m in json.loads(out)}
    assert hits[0]["locator"] == by_id[hits[0]["id"]]["locator"]
    code, _, err = _run(capsys, "search", folder, "(", "--regex")
    assert code == 1 and err.startswith("ews: error: search: the regular expression")


def test_saved_searches_are_ledger_entries(
    alpha_copy: Case, signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    set_details(
        alpha_copy,
        signer,
        {"digital_strategy": {"keywords": ["gym", "Café", "zzzq"]}},
        section="digital_strategy",
    )
    code, out, err = _run(capsys, "search", str(alpha_copy.folder), "--saved", "--json")
    assert (code, err) == (0, "")
    runs = json.loads(out)
    assert [(r["query"], r["hit_count"]) for r in runs] == [("gym", 1), ("Café", 1), ("zzzq", 0)]
    with alpha_copy.engine.connect() as conn:
        entries = list(iter_entries(conn, alpha_copy.case_id))
    ran = [e for e in entries if e.action == "search.run"]
    assert [(e.data["query"], e.data["hits"], e.seq) for e in ran] == [
        (r["query"], r["hit_count"], r["ledger_seq"]) for r in runs
    ]
    assert ran[0].data["saved"] == "digital_strategy.keywords"
    assert verify_case(alpha_copy).ok


def test_saved_without_keywords_says_so(alpha_copy: Case, signer: Signer) -> None:
    with pytest.raises(search.SearchError, match="no digital strategy keywords"):
        search.run_saved(alpha_copy, signer)


def test_limit_gives_the_first_hits(alpha_copy: Case) -> None:
    every = search.search(alpha_copy, "hannah")
    assert len(every) > 5
    assert search.search(alpha_copy, "hannah", limit=5) == every[:5]
    short = search.search(alpha_copy, "an")  # under three characters: LIKE, not the index
    assert search.search(alpha_copy, "an", limit=7) == short[:7]
    # Accounts seen in several sources repeat a field: one hit each, the limit still met.
    accounts = search.search(alpha_copy, "+44", scope="accounts")
    assert len({(h.id, h.field) for h in accounts}) == len(accounts) > 3
    assert search.search(alpha_copy, "+44", scope="accounts", limit=3) == accounts[:3]


def test_the_database_index_holds_every_field(case: Case, signer: Signer, tmp_path: Path) -> None:
    ingest_paths(case, signer, [_chat(tmp_path / "c.txt", ["one gym", "two", "Café"])])
    search.search(case, "gym")
    with case.engine.connect() as conn:
        docs = conn.execute(sa.text("SELECT count(*) FROM search_doc")).scalar()
        assert docs == 5  # three messages, the file's name and the account "Dan"
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("SELECT count(*) FROM search_fts").scalar() == docs
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT rowid FROM search_fts WHERE search_fts MATCH 'gym'"
            ).all()
            assert "VIRTUAL TABLE INDEX" in str(plan)
        else:
            index = conn.execute(
                sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_doc_trgm'")
            ).scalar()
            assert index is not None and "gin_trgm_ops" in index


@pytest.mark.parametrize(
    ("text", "query", "snippet"),
    [
        ("He said 👍 meet at the CAFÉ at 8", "cafe at", "He said 👍 meet at the CAFÉ at 8"),
        ("Straße 12 🙈 ok", "STRASSE", "Straße 12 🙈 ok"),
        (
            "x" * 60 + " Cafe\u0301 " + "y" * 60,
            "café",
            "…" + "x" * 39 + " Cafe\u0301 " + "y" * 39 + "…",
        ),
    ],
)
def test_snippet_maps_the_folded_match_back(text: str, query: str, snippet: str) -> None:
    assert search.fold(query) in search.fold(text)
    assert search._snippet(text, query, regex=False) == snippet


def test_an_empty_case_has_no_hits_and_an_in_step_index_takes_no_write_lock(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    assert search.search(case, "gym") == []
    assert search.search(case, "gy") == []
    ingest_paths(case, signer, [_chat(tmp_path / "d.txt", ["gym", "and more"])])
    assert [h.snippet for h in search.search(case, "gym", scope="messages")] == ["gym"]
    # In step: the search answers while another connection holds the case's write lock.
    from chain_of_custody import db

    with db.write_transaction(case.engine, case.case_id):
        assert search.update_index(case) == 0
        assert [h.snippet for h in search.search(case, "gym", scope="messages")] == ["gym"]


def test_rebuild_gives_back_what_an_edited_index_hid(
    case: Case, signer: Signer, tmp_path: Path
) -> None:
    ingest_paths(case, signer, [_chat(tmp_path / "e.txt", ["at the gym", "elsewhere"])])
    assert len(search.search(case, "gym", scope="messages")) == 1
    with case.engine.begin() as conn:
        conn.execute(sa.text("UPDATE search_doc SET folded = 'nothing' WHERE field = 'text'"))
    assert search.search(case, "gym", scope="messages") == []  # the index is what it says
    assert search.rebuild_index(case) == 4
    assert [h.snippet for h in search.search(case, "gym", scope="messages")] == ["at the gym"]


def test_case_alpha_on_each_database(case: Case, signer: Signer) -> None:
    # The same answers from FTS5 and from pg_trgm: gym against truth.json, cafe finds Café.
    ingest_paths(case, signer, [ALPHA / "evidence"])
    hits = search.search(case, "GYM", scope="messages")
    wanted = sorted(m["text"] for m in TRUTH["messages"] if "gym" in _plain_fold(m["text"] or ""))
    assert _message_texts(case, [h.id for h in hits]) == wanted
    cafe = search.search(case, "cafe", scope="messages")
    assert [h.snippet[:18] for h in cafe] == ["Café on Ashby Road"]
    short = search.search(case, "Ré", scope="accounts")
    assert {(h.id, h.field) for h in short} == {("facebook:Karen M", "display_name")}

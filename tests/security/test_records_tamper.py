"""Record rows changed in the database after ingest (issue 12, part "records").

Before: editing, deleting or inserting a row of ``message_record`` (or the other record
tables) passed ``ews verify``, and the next export rendered the fabricated message. Now
``verify_case`` rebuilds every ``item.extracted`` root from the rows and, when one differs,
runs the extractor again to name the table, row and field.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody import verify_records as vr
from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from extractors import registry
from extractors.base import Context, Source
from extractors.records import DerivedFile, Message, Record, canonical_json
from tests.conftest import ALPHA
from workstation.cli import main
from workstation.ingest import IngestOptions, ingest_paths

CHAT = """\
05/03/2024, 12:17 - Messages and calls are end-to-end encrypted. Tap to learn more.
05/03/2024, 12:17 - Daniel Mercado: Running 10 mins late, start without me
05/03/2024, 12:25 - You: Ok 👍
27/03/2024, 10:28 - Daniel Mercado: Client loved the deck btw
27/03/2024, 10:50 - You: Yay! Good to hear
28/03/2024, 09:01 - Daniel Mercado: See you at 6
"""
SCREENSHOT = ALPHA / "evidence" / "screenshots" / "Screenshot_20240331-023205_WhatsApp.jpg"


def _ingest(folder: Path, signer: Signer, db_url: str | None) -> Case:
    evidence = folder.parent / "evidence"
    evidence.mkdir()
    chat = evidence / "WhatsApp Chat with Daniel Mercado.txt"
    chat.write_text(CHAT, encoding="utf-8")
    shutil.copy(SCREENSHOT, evidence / SCREENSHOT.name)
    case = Case.create(folder, urn="01RT0000001", title="R v Records", signer=signer, db_url=db_url)
    ingest_paths(case, signer, [chat, evidence / SCREENSHOT.name], IngestOptions(source="phone"))
    return case


@pytest.fixture
def small(tmp_path: Path, signer: Signer, db_url: str | None) -> Iterator[Case]:
    case = _ingest(tmp_path / "case", signer, db_url)
    yield case
    case.close()


def _sql(case: Case, sql: str, params: tuple[Any, ...] = ()) -> Any:
    if case.engine.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    with case.engine.begin() as conn:
        result = conn.exec_driver_sql(sql, params)
        return result.all() if result.returns_rows else None


def _record_failures(case: Case) -> list[str]:
    report = verify_case(case, blobs=False)
    return [f"{f.subject}: {f.message}" for f in report.failures if f.kind == "record"]


def test_an_untouched_case_verifies(small: Case) -> None:
    assert _sql(small, "SELECT count(*) FROM message_record")[0][0] == 6  # the system line too
    assert _sql(small, "SELECT count(*) FROM image_meta_record")[0][0] == 1
    report = verify_case(small, blobs=False)
    assert [f for f in report.failures if f.kind == "record"] == []


def test_edited_message_text_is_named(small: Case) -> None:
    row_id, ordinal = _sql(
        small, "SELECT id, ordinal FROM message_record WHERE text = 'Client loved the deck btw'"
    )[0]
    _sql(small, "UPDATE message_record SET text = 'I will hurt you' WHERE id = ?", (row_id,))
    failures = _record_failures(small)
    assert any(
        f.startswith(
            f"message_record row {row_id} (ordinal {ordinal}): text: row says 'I will hurt you'"
        )
        and "'Client loved the deck btw'" in f
        for f in failures
    ), failures


def test_deleted_message_row_is_named(small: Case) -> None:
    row_id, ordinal = _sql(
        small, "SELECT id, ordinal FROM message_record WHERE text = 'See you at 6'"
    )[0]
    _sql(small, "DELETE FROM message_record WHERE id = ?", (row_id,))
    failures = _record_failures(small)
    assert any(
        f.startswith(f"message_record ordinal {ordinal}") and "deleted" in f and "See you at 6" in f
        for f in failures
    ), failures


def test_inserted_message_row_is_named(small: Case) -> None:
    with small.engine.connect() as conn:
        names = [c["name"] for c in sa.inspect(conn).get_columns("message_record")]
    copied = [n for n in names if n not in ("id", "ordinal", "text")]
    _sql(
        small,
        f"INSERT INTO message_record ({', '.join(copied)}, ordinal, text) "
        f"SELECT {', '.join(copied)}, ordinal + 100, 'Fabricated threat' FROM message_record "
        "WHERE text = 'See you at 6'",
    )
    (new_id,) = _sql(small, "SELECT id FROM message_record WHERE text = 'Fabricated threat'")[0]
    failures = _record_failures(small)
    assert any(
        f.startswith(f"message_record row {new_id} ") and "inserted" in f for f in failures
    ), failures


def test_inserted_row_at_an_existing_ordinal_is_named(small: Case) -> None:
    with small.engine.connect() as conn:
        names = [c["name"] for c in sa.inspect(conn).get_columns("message_record")]
    copied = [n for n in names if n not in ("id", "text")]
    _sql(
        small,
        f"INSERT INTO message_record ({', '.join(copied)}, text) "
        f"SELECT {', '.join(copied)}, 'Fabricated threat' FROM message_record "
        "WHERE text = 'See you at 6'",
    )
    (new_id,) = _sql(small, "SELECT id FROM message_record WHERE text = 'Fabricated threat'")[0]
    failures = _record_failures(small)
    assert any(
        f.startswith(f"message_record row {new_id} ") and "inserted" in f for f in failures
    ), failures


def test_edited_account_display_name_is_named(small: Case) -> None:
    row_id, ordinal = _sql(
        small, "SELECT id, ordinal FROM account_record WHERE display_name = 'Daniel Mercado'"
    )[0]
    _sql(small, "UPDATE account_record SET display_name = 'Dan Price' WHERE id = ?", (row_id,))
    failures = _record_failures(small)
    assert any(
        f.startswith(f"account_record row {row_id} (ordinal {ordinal}): display_name")
        for f in failures
    ), failures


def test_edited_account_key_is_named(small: Case) -> None:
    (row_id,) = _sql(small, "SELECT id FROM account_record WHERE display_name = 'Daniel Mercado'")[
        0
    ]
    _sql(
        small, "UPDATE account_record SET account_key = 'whatsapp:someone' WHERE id = ?", (row_id,)
    )
    failures = _record_failures(small)
    assert any(
        f.startswith(f"account_record row {row_id} ") and "account_key" in f for f in failures
    ), failures


def test_edited_image_meta_is_named(small: Case) -> None:
    row_id, ordinal = _sql(small, "SELECT id, ordinal FROM image_meta_record")[0]
    _sql(small, "UPDATE image_meta_record SET app_guess = 'Signal' WHERE id = ?", (row_id,))
    failures = _record_failures(small)
    assert any(
        f.startswith(f"image_meta_record row {row_id} (ordinal {ordinal}): app_guess")
        for f in failures
    ), failures


def test_moved_message_time_is_named(small: Case) -> None:
    (row_id,) = _sql(small, "SELECT id FROM message_record WHERE text = 'See you at 6'")[0]
    _sql(
        small,
        "UPDATE message_record SET sent_at_sort = '2020-01-01T00:00:00.000000Z' WHERE id = ?",
        (row_id,),
    )
    failures = _record_failures(small)
    assert any(
        f.startswith(f"message_record row {row_id} ") and "sent_at_sort" in f for f in failures
    ), failures


def test_rows_of_no_extraction_fail(small: Case) -> None:
    with small.engine.connect() as conn:
        names = [c["name"] for c in sa.inspect(conn).get_columns("message_record")]
    copied = [n for n in names if n not in ("id", "item_id", "text")]
    # Filed under another item of the case: the extraction's reads never see it.
    (other_item,) = _sql(small, "SELECT item_id FROM image_meta_record")[0]
    _sql(
        small,
        f"INSERT INTO message_record ({', '.join(copied)}, item_id, text) "
        f"SELECT {', '.join(copied)}, ?, 'Fabricated' FROM message_record "
        "WHERE text = 'See you at 6'",
        (other_item,),
    )
    (new_id,) = _sql(small, "SELECT id FROM message_record WHERE text = 'Fabricated'")[0]
    failures = _record_failures(small)
    assert any(f.startswith(f"message_record row {new_id} ") for f in failures), failures


def test_extraction_row_without_its_records_fails(small: Case) -> None:
    (extraction_id,) = _sql(small, "SELECT id FROM extraction WHERE extractor = 'image_meta'")[0]
    _sql(small, "UPDATE extraction SET record_count = 7 WHERE id = ?", (extraction_id,))
    failures = _record_failures(small)
    assert any("record_count: row says 7" in f for f in failures), failures


def test_cli_verify_names_the_table(
    tmp_path: Path, signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _ingest(tmp_path / "case", signer, None)
    case.close()
    db = sa.create_engine(f"sqlite:///{tmp_path / 'case' / 'case.sqlite'}")
    with db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE message_record SET text = 'forged' WHERE text = 'See you at 6'"
        )
    db.dispose()
    code = main(["verify", str(tmp_path / "case"), "--no-record"])
    _, err = capsys.readouterr()
    assert code == 1
    assert "FAILED record: message_record row" in err
    assert "text: row says 'forged'" in err


def test_a_case_without_stored_leaves_still_verifies(small: Case) -> None:
    # A case made before record_leaf: the warning leaves are not stored. Verification
    # falls back to running the extractor again, which gives the stored rows exactly.
    warnings = _sql(small, "SELECT count(*) FROM record_leaf")[0][0]
    _sql(small, "DELETE FROM record_leaf")
    assert _record_failures(small) == []
    if warnings:  # and a real change is still named
        _sql(small, "UPDATE message_record SET text = 'forged' WHERE text = 'See you at 6'")
        assert any("text: row says 'forged'" in f for f in _record_failures(small))


# -- the rebuilt canonical bytes are the original ones ---------------------------------------


@pytest.fixture
def alpha_any(
    db_url: str | None, alpha_template: Path, tmp_path: Path, signer: Signer
) -> Iterator[Case]:
    """case-alpha on SQLite (a copy of the session's) or ingested afresh on PostgreSQL."""
    if db_url is None:
        shutil.copytree(alpha_template, tmp_path / "alpha")
        case = Case.open(tmp_path / "alpha")
    else:
        from tests.conftest import ALPHA_SOURCES

        case = Case.create(
            tmp_path / "alpha", urn="01AL0000001", title="alpha", signer=signer, db_url=db_url
        )
        for source, names in ALPHA_SOURCES.items():
            paths = [ALPHA / "evidence" / n for n in names]
            ingest_paths(case, signer, paths, IngestOptions(source=source))
    yield case
    case.close()


def test_rows_give_back_the_canonical_bytes_of_every_alpha_record(
    alpha_any: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = alpha_any
    seen: set[str] = set()
    with case.engine.connect() as conn:
        reader = vr._Reader(conn)
        extractions = conn.execute(
            sa.text("SELECT * FROM extraction WHERE case_id = :c"), {"c": case.case_id}
        ).all()
        entries = {
            seq: tz
            for seq, tz in conn.execute(
                sa.text("SELECT seq, data FROM ledger_entry WHERE action = 'item.extracted'")
            )
        }
        assert extractions
        for x in extractions:
            extractor = next(e for e in registry.registered() if e.name == x.extractor)
            source = vr.source_of_item(case, conn, x.item_id)
            assert source is not None
            import json

            tz = json.loads(entries[x.ledger_seq])["tz"]
            stored = {s[0]: s for s in vr.stored_stream(reader, case.case_id, x)}
            for ordinal, record in enumerate(extractor.extract(source, Context(tz=tz))):
                _, table, row = stored[ordinal]
                want = canonical_json(record)
                if table == "record_leaf":
                    assert row[3].encode("utf-8") == want
                    continue
                seen.add(table)
                if b"\\u0000" in want and reader.pg:
                    continue  # held by a record_leaf "row" leaf
                assert vr.rebuild_canonical(table, row) == want, (table, ordinal)
    assert seen == set(vr.TABLES)

    # And so a clean case verifies without running any extractor again.
    def no_reextraction(*args: object) -> str:
        raise AssertionError("a clean case needed re-extraction")

    monkeypatch.setattr(vr, "_locate", no_reextraction)
    report = verify_case(case, blobs=False)
    assert [f for f in report.failures if f.kind == "record"] == []


# -- leaves no row gives back: warnings, embedded files, NUL on PostgreSQL -------------------


class NotesExtractor:
    """Test extractor: a message per line; BAD a warning, ATTACH a file, BOOM a crash."""

    name = "test_notes"
    version = "1"
    description = "one message per line, with notes"

    def sniff(self, source: Source) -> bool:
        return source.name.endswith(".notes")

    def extract(self, source: Source, ctx: Context) -> Iterator[Record]:
        with source.open() as f:
            for number, raw in enumerate(f, 1):
                text = raw.decode("utf-8").rstrip("\n")
                where = source.locate(line=number)
                if text == "BOOM":
                    raise RuntimeError("cannot go on")
                if text == "BAD":
                    yield ctx.warn(where, "unreadable line")
                elif text == "ATTACH":
                    yield DerivedFile(locator=where, name="part.txt", data=b"attached\n")
                else:
                    yield Message(
                        locator=where,
                        platform="test",
                        thread_id="t1",
                        sender_identifier="alice",
                        sent_at_utc=f"2026-09-14T21:{number:02d}:00Z",
                        sent_at_raw=f"21:{number:02d}",
                        text=text,
                        flags=("tz_assumed",),
                    )


@pytest.fixture
def notes_extractor() -> Iterator[NotesExtractor]:
    extractor = NotesExtractor()
    registry.register(extractor)
    yield extractor
    registry.unregister(extractor.name)


def test_warnings_files_and_nul_verify_from_stored_leaves(
    case: Case,
    signer: Signer,
    tmp_path: Path,
    notes_extractor: NotesExtractor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    src = tmp_path / "chat.notes"
    src.write_text("hello\nBAD\nATTACH\nnul \x00 inside\nbye\nBOOM\n", encoding="utf-8")
    ingest_paths(case, signer, [src])
    kinds = sorted(k for (k,) in _sql(case, "SELECT kind FROM record_leaf"))
    pg = case.engine.dialect.name == "postgresql"
    assert kinds == sorted(["warning", "derived_file", *(["row"] if pg else [])])

    def no_reextraction(*args: object) -> str:
        raise AssertionError("a clean case needed re-extraction")

    with monkeypatch.context() as m:
        m.setattr(vr, "_locate", no_reextraction)
        assert _record_failures(case) == []

    _sql(case, "UPDATE message_record SET text = 'nul forged' WHERE ordinal = 3")
    failures = _record_failures(case)
    assert any("message_record row" in f and "(ordinal 3): text" in f for f in failures), failures
    _sql(
        case,
        "UPDATE message_record SET text = ? WHERE ordinal = 3",
        (f"nul {chr(0x2400) if pg else chr(0)} inside",),  # back as ingest stored it
    )
    assert _record_failures(case) == []

    _sql(
        case,
        "UPDATE record_leaf SET canonical = replace(canonical, 'unreadable', 'fine') "
        "WHERE kind = 'warning'",
    )
    failures = _record_failures(case)
    assert any(f.startswith("record_leaf row") and "canonical" in f for f in failures), failures


def test_a_case_from_before_the_migration_verifies(
    small: Case,
    signer: Signer,
    tmp_path: Path,
    notes_extractor: NotesExtractor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Back to schema 0005 (no record_leaf, no key_scope) and up again, as a case made
    # before this change is opened: key_scope comes back from account_key, and the
    # extractions whose warnings were never stored verify by re-extraction.
    from alembic import command

    from chain_of_custody import db

    src = tmp_path / "chat.notes"
    src.write_text("hello\nBAD\nbye\n", encoding="utf-8")
    ingest_paths(small, signer, [src])
    located: list[object] = []
    real_locate = vr._locate
    monkeypatch.setattr(vr, "_locate", lambda *a: located.append(a) or real_locate(*a))
    scoped = _sql(small, "SELECT id, key_scope FROM account_record WHERE key_scope IS NOT NULL")
    assert scoped  # "You" of a WhatsApp export is scoped to the export
    with small.engine.connect().execution_options(ews_write=True) as conn:
        command.downgrade(db.alembic_config(conn), "0005")
        conn.commit()
    db.upgrade_schema(small.engine)
    assert _sql(small, "SELECT count(*) FROM record_leaf")[0][0] == 0
    assert (
        _sql(small, "SELECT id, key_scope FROM account_record WHERE key_scope IS NOT NULL")
        == scoped
    )
    assert _record_failures(small) == []
    assert len(located) == 1  # the notes extraction, whose warning leaf was not stored
    _sql(small, "UPDATE message_record SET text = 'forged' WHERE text = 'bye'")
    assert any("text: row says 'forged'" in f for f in _record_failures(small))


def test_a_second_process_hashes_half_of_a_big_extraction(
    small: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vr, "PARALLEL_MIN", 2)  # every extraction counts as big
    monkeypatch.delenv("EWS_VERIFY_PROCESSES", raising=False)
    results: list[bytes | None] = []

    class Spy(vr._LeafRange):
        def result(self) -> bytes | None:
            results.append(super().result())
            return results[-1]

    monkeypatch.setattr(vr, "_LeafRange", Spy)
    monkeypatch.setattr(vr, "_locate", lambda *a: "re-extraction not expected")
    assert _record_failures(small) == []
    assert results and all(r is not None and len(r) % 32 == 0 for r in results), results
    # A change in the upper half: that half is read again here, the careful way.
    monkeypatch.undo()
    monkeypatch.setattr(vr, "PARALLEL_MIN", 2)
    _sql(small, "UPDATE message_record SET text = 'forged' WHERE text = 'See you at 6'")
    assert any("text: row says 'forged'" in f for f in _record_failures(small))


def test_an_ordinal_stored_as_text_fails_without_a_crash(small: Case) -> None:
    if small.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite keeps text in an INTEGER column")
    _sql(small, "UPDATE message_record SET ordinal = 'two' WHERE text = 'See you at 6'")
    failures = _record_failures(small)
    assert any("message_record" in f or "cannot be checked" in f for f in failures), failures


def test_without_the_same_extractor_the_change_is_reported_at_extraction_level(
    small: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    extractor = next(e for e in registry.registered() if e.name == "whatsapp_txt")
    monkeypatch.setattr(type(extractor), "version", "0.0-other")
    _sql(small, "UPDATE message_record SET text = 'forged' WHERE text = 'See you at 6'")
    failures = _record_failures(small)
    assert any(
        "extraction by whatsapp_txt@" in f
        and "this workstation has whatsapp_txt@0.0-other" in f
        and "cannot be named" in f
        for f in failures
    ), failures
    monkeypatch.setattr(registry, "registered", lambda: [])
    failures = _record_failures(small)
    assert any("extractor whatsapp_txt is not available here" in f for f in failures), failures

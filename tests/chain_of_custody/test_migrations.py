"""Alembic owns the schema: the migrations must produce exactly the SQLModel tables."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import chain_of_custody.models  # noqa: F401  (registers the tables)
from chain_of_custody.db import HEAD_REVISION, make_engine, upgrade_schema


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    upgrade_schema(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    engine.dispose()
    return list(diff)


def test_models_and_migrations_agree(tmp_path: Path, db_url: str | None) -> None:
    url = db_url or f"sqlite:///{tmp_path / 'm.sqlite'}"
    assert _diff(url) == []


def test_a_model_change_without_migration_is_seen(tmp_path: Path) -> None:
    # The comparison must be able to fail: add a column to a copy of the metadata.
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade_schema(engine)
    meta = sa.MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(meta)
    meta.tables["item"].append_column(sa.Column("undeclared", sa.Integer))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), meta)
    engine.dispose()
    assert any("undeclared" in repr(d) for d in diff)


def test_upgrade_is_idempotent_and_sqlite_uses_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade_schema(engine)
    upgrade_schema(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    assert version == HEAD_REVISION


def test_head_revision_constant_matches_the_migrations() -> None:
    from alembic.script import ScriptDirectory

    from chain_of_custody.db import HEAD_REVISION, MIGRATIONS

    assert ScriptDirectory(str(MIGRATIONS)).get_current_head() == HEAD_REVISION

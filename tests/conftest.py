"""Shared fixtures: an examiner key per test session, and a case on SQLite or PostgreSQL.

PostgreSQL tests need ``EWS_TEST_PG_URL`` (``scripts/test`` starts a throwaway cluster and
sets it). Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer, get_or_create_examiner
from workstation.ingest import ingest_paths

PASSPHRASE = "correct horse battery staple"
ALPHA = Path(__file__).resolve().parent / "data" / "case_alpha"


@pytest.fixture(autouse=True, scope="session")
def _examiner_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("examiner-keys")
    saved = {
        k: os.environ.get(k)
        for k in ("EWS_DATA_DIR", "EWS_PASSPHRASE", "EWS_KDF_ROUNDS", "EWS_EXAMINER")
    }
    os.environ.update(
        EWS_DATA_DIR=str(home), EWS_PASSPHRASE=PASSPHRASE, EWS_KDF_ROUNDS="2", EWS_EXAMINER="JS"
    )
    yield home
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def signer(_examiner_home: Path) -> Signer:
    """Jane Smith (JS), the examiner of every test case."""
    return get_or_create_examiner("Jane Smith", "JS")


@pytest.fixture(scope="session")
def second_signer(_examiner_home: Path) -> Signer:
    """Ravi Patel (RP), a second examiner."""
    return get_or_create_examiner("Ravi Patel", "RP")


def _pg_server_url() -> str | None:
    return os.environ.get("EWS_TEST_PG_URL") or None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (the default SQLite in the case folder) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    server = _pg_server_url()
    if server is None:
        if os.environ.get("EWS_REQUIRE_PG"):
            pytest.fail("EWS_REQUIRE_PG is set but EWS_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL (set EWS_TEST_PG_URL, or run ./scripts/test)")
    name = f"ews_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def case(tmp_path: Path, signer: Signer, db_url: str | None) -> Iterator[Case]:
    """A new empty case (on each database backend)."""
    c = Case.create(
        tmp_path / "case", urn="01YY0000001", title="R v Test", signer=signer, db_url=db_url
    )
    yield c
    c.close()


@pytest.fixture(scope="session")
def alpha_template(tmp_path_factory: pytest.TempPathFactory, signer: Signer) -> Path:
    """The folder of case-alpha ingested once per session (SQLite). Do not change it: open it
    read-only, or take a private copy with ``alpha_copy``."""
    folder = tmp_path_factory.mktemp("alpha-template") / "case"
    with Case.create(
        folder, urn="01AL0000001", title="R v Mercer (case alpha)", signer=signer
    ) as c:
        ingest_paths(c, signer, [ALPHA / "evidence"])
    return folder


@pytest.fixture
def alpha_copy(alpha_template: Path, tmp_path: Path) -> Iterator[Case]:
    """A private copy of the ingested case-alpha, open, to change freely."""
    dest = tmp_path / "alpha"
    shutil.copytree(alpha_template, dest)
    c = Case.open(dest)
    yield c
    c.close()

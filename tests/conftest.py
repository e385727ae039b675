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
from workstation.ingest import IngestOptions, ingest_paths

PASSPHRASE = "correct horse battery staple"
ALPHA = Path(__file__).resolve().parent / "data" / "case_alpha"


@pytest.fixture(autouse=True, scope="session")
def _examiner_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("examiner-keys")
    saved = {
        k: os.environ.get(k)
        for k in (
            "EWS_DATA_DIR",
            "EWS_PASSPHRASE",
            "EWS_KDF_ROUNDS",
            "EWS_EXAMINER",
            "EWS_INSECURE_TEST_KEYS",
        )
    }
    # Two KDF rounds keep key creation and unlocking fast; that needs the explicit switch.
    os.environ.update(
        EWS_DATA_DIR=str(home),
        EWS_PASSPHRASE=PASSPHRASE,
        EWS_KDF_ROUNDS="2",
        EWS_EXAMINER="JS",
        EWS_INSECURE_TEST_KEYS="1",
    )
    yield home
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(autouse=True, scope="module")
def _module_witness_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Module fixtures (a prepared copy of case-alpha, say) witness in a folder of the
    module's own: two modules' copies of one template are forks of each other, and which
    module ran first must not decide whether the other's export verifies."""
    folder = tmp_path_factory.mktemp("module-witness")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EWS_WITNESS_DIR", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def _witness_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Witnessed checkpoints (chain_of_custody/witness.py) of each test in a folder of its
    own: copies of one case (alpha_copy) are forks of each other, and one test's commands
    on its copy must not make another test's copy look rolled back. Session fixtures
    (alpha_template) witness in the session's data folder, which no test reads."""
    folder = tmp_path_factory.mktemp("witness")
    monkeypatch.setenv("EWS_WITNESS_DIR", str(folder))
    return folder


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


#: case-alpha's evidence by the source it was handed over as (truth.json, README.md): the
#: Android WhatsApp exports, the SMS Backup & Restore XML and the Samsung screenshots (EXIF
#: make/model samsung SM-S911B; IMG-…-WA0007 is Android WhatsApp's copy of one) come from her
#: Samsung; the iOS WhatsApp export and the iOS screenshot IMG_0412.PNG were made after she
#: moved to an iPhone (12 May 2024); the platforms' downloads of her accounts; and the
#: profile pictures the examiner saved from each profile page.
ALPHA_SOURCES = {
    "Hannah Price's phone (Samsung SM-S911B)": [
        "WhatsApp Chat with Dan Price.txt",
        "WhatsApp Chat with Dan.zip",
        "WhatsApp Chat with Daniel Mercado.txt",
        "calls-20240501093012.xml",
        "sms-20240501093012.xml",
        "screenshots/IMG-20240403-WA0007.jpg",
        "screenshots/Screenshot_20240325-224408_Messenger.jpg",
        "screenshots/Screenshot_20240331-023205_WhatsApp.jpg",
        "screenshots/Screenshot_20240402-231512_Instagram.jpg",
        "screenshots/Screenshot_20240412-063320_Messages.jpg",
    ],
    "Hannah Price's iPhone": ["WhatsApp Chat - +44 7700 900987.zip", "screenshots/IMG_0412.PNG"],
    "Hannah Price's account downloads": [
        "ChatExport_2024-05-01",
        "facebook-hannahprice-2024-05-02-mxnPpL2n.zip",
        "hannah.price@example.org - All Mail.mbox",
        "instagram-hannah.price_-2024-05-02-MKdm4tHZ.zip",
        "package.zip",
        "twitter-2024-05-03-21e7c681b134669cc035d518c04b17781d3a9788003d35477e0f58a784fa34e5.zip",
    ],
    "Saved by the examiner from the profile pages": ["profiles"],
}


def _files(path: Path) -> set[Path]:
    return {p for p in path.rglob("*") if p.is_file()} if path.is_dir() else {path}


@pytest.fixture(scope="session")
def alpha_template(tmp_path_factory: pytest.TempPathFactory, signer: Signer) -> Path:
    """The folder of case-alpha ingested once per session (SQLite). Do not change it: open it
    read-only, or take a private copy with ``alpha_copy``.

    Ingested as an examiner would, one ``--source`` per device or hand-over (``ALPHA_SOURCES``).
    """
    evidence = ALPHA / "evidence"
    given = [_files(evidence / n) for names in ALPHA_SOURCES.values() for n in names]
    assert set().union(*given) == _files(evidence), "an evidence file without a source"
    folder = tmp_path_factory.mktemp("alpha-template") / "case"
    with Case.create(
        folder, urn="01AL0000001", title="R v Mercer (case alpha)", signer=signer
    ) as c:
        for source, names in ALPHA_SOURCES.items():
            paths = [ALPHA / "evidence" / n for n in names]
            ingest_paths(c, signer, paths, IngestOptions(source=source))
    return folder


@pytest.fixture
def alpha_copy(alpha_template: Path, tmp_path: Path) -> Iterator[Case]:
    """A private copy of the ingested case-alpha, open, to change freely."""
    dest = tmp_path / "alpha"
    shutil.copytree(alpha_template, dest)
    c = Case.open(dest)
    yield c
    c.close()

"""RFC 3161 timestamps on a bundle's checkpoint (issue 12 point 5, optional part).

A local time-stamping authority: `openssl ts -reply` behind a loopback HTTP handler, with a
P-256 certificate for timeStamping made here. Without a timestamp, a copy of a bundle only
shows when its examiner's clock said it was signed; with one, an authority outside the case
vouches that the checkpoint existed by then.
"""

from __future__ import annotations

import argparse
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain_of_custody import timestamp
from chain_of_custody.case import Case
from chain_of_custody.keys import Signer, load_identity
from chain_of_custody.models import Checkpoint
from chain_of_custody.verify import verify_case
from exports import verify_bundle as vb
from workstation.export import ExportError, export_case
from workstation.ingest import IngestOptions, ingest_paths

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

T_CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]
AT = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

CONFIG = """
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = {cn}
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = {serial}
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.2
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def make_authority(folder: Path, cn: str) -> tuple[Path, Path, Path]:
    """(config, key, certificate) of a test authority."""
    folder.mkdir(parents=True)
    (folder / "serial").write_text("01\n")
    config = folder / "tsa.cnf"
    config.write_text(CONFIG.format(cn=cn, serial=folder / "serial"))
    key, cert = folder / "tsa.key", folder / "tsa.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-config", config,
         "-extensions", "tsa_ext"],
        check=True, capture_output=True,
    )  # fmt: skip
    return config, key, cert


@pytest.fixture
def authority(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The URL of a local RFC 3161 authority and its certificate."""
    config, key, cert = make_authority(tmp_path / "tsa", "Test TSA")
    work = tmp_path / "tsa"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            (work / "q.tsq").write_bytes(query)
            subprocess.run(
                ["openssl", "ts", "-reply", "-queryfile", work / "q.tsq", "-config", config,
                 "-section", "tsa1", "-inkey", key, "-signer", cert, "-out", work / "r.tsr"],
                check=True, capture_output=True,
            )  # fmt: skip
            body = (work / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", cert
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def small_case(tmp_path: Path, signer: Signer) -> Iterator[Case]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "note.txt").write_text("a note handed over\n")
    case = Case.create(tmp_path / "case", urn="01TS0000001", title="R v Time", signer=signer)
    ingest_paths(case, signer, [src], IngestOptions(source="victim"))
    yield case
    case.close()


def check(path: Path, *extra: str) -> tuple[int, str]:
    identity = load_identity("JS")
    assert identity is not None
    argv = [str(path), "--trust-fingerprint", identity.fingerprint, *extra]
    args = vb.configure(argparse.ArgumentParser()).parse_args(argv)
    lines: list[str] = []
    return vb.run(args, lines.append), "".join(lines)


def test_a_timestamped_checkpoint_verifies_against_the_authority(
    small_case: Case,
    signer: Signer,
    tmp_path: Path,
    authority: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, cert = authority
    monkeypatch.setenv(timestamp.TSA_ENV, url)
    summary = export_case(small_case, signer, file_type="pre-charge", out=tmp_path / "out", at=AT)
    token = (summary.folder / vb.TIMESTAMP).read_bytes()
    with small_case.engine.connect() as conn:
        row = conn.execute(
            sa.select(T_CHECKPOINT.c.timestamp_token, T_CHECKPOINT.c.timestamp_authority).where(
                T_CHECKPOINT.c.timestamp_token.isnot(None)
            )
        ).one()
    assert (bytes(row.timestamp_token), row.timestamp_authority) == (token, url)
    assert verify_case(small_case).ok  # the stored token changes nothing the ledger signed

    code, text = check(summary.zip_path, "--tsa-cert", str(cert))
    assert code == 0, text
    assert "timestamped at 20" in text and "checked with --tsa-cert" in text
    # Without the authority's certificate it is there, and not checked.
    code, text = check(summary.zip_path)
    assert code == 0, text
    assert "pass --tsa-cert" in text
    # Another authority's certificate does not verify it.
    _, _, other = make_authority(tmp_path / "other", "Other TSA")
    code, text = check(summary.zip_path, "--tsa-cert", str(other))
    assert code == 1
    assert "does not verify with the --tsa-cert certificate" in text


def test_a_timestamp_of_another_checkpoint_fails(
    small_case: Case,
    signer: Signer,
    tmp_path: Path,
    authority: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A genuine token, but over other bytes, swapped into the bundle's folder."""
    url, cert = authority
    monkeypatch.setenv(timestamp.TSA_ENV, url)
    summary = export_case(small_case, signer, file_type="pre-charge", out=tmp_path / "out", at=AT)
    cp = json.loads((summary.folder / "11_custody_ledger" / "checkpoint.json").read_text())
    message = vb.checkpoint_message(cp["origin"], cp["size"], cp["root"], cp["at"])
    genuine = (summary.folder / vb.TIMESTAMP).read_bytes()
    assert vb.check_timestamp(genuine, message, cert.read_bytes()).endswith("Z")
    other = timestamp.request_token(url, b"another checkpoint")
    with pytest.raises(vb.Bad, match="over another checkpoint"):
        vb.check_timestamp(other, message, cert.read_bytes())


def test_an_offline_workstation_says_so_in_the_bundle(
    small_case: Case, signer: Signer, tmp_path: Path, authority: tuple[str, Path]
) -> None:
    _, cert = authority
    summary = export_case(small_case, signer, file_type="pre-charge", out=tmp_path / "out", at=AT)
    assert not (summary.folder / vb.TIMESTAMP).exists()
    assert "offline workstation" in (summary.folder / "manifest.json").read_text()
    code, text = check(summary.zip_path)
    assert code == 0, text
    assert "no RFC 3161 timestamp (no timestamp authority configured (offline" in text
    code, text = check(summary.zip_path, "--tsa-cert", str(cert))
    assert code == 1 and "the bundle holds no timestamp" in text


def test_an_unreachable_authority_refuses_the_export(
    small_case: Case, signer: Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(timestamp.TSA_ENV, "http://127.0.0.1:9/tsa")
    before = small_case.ledger_size()
    with pytest.raises(ExportError, match="nothing exported"):
        export_case(small_case, signer, file_type="pre-charge", out=tmp_path / "out", at=AT)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert small_case.ledger_size() == before + 0

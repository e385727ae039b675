"""verify-bundle on real bundles of case-alpha written by `ews export` (workstation.export)."""

from __future__ import annotations

import argparse
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import Signer, load_identity
from chain_of_custody.trust import add_examiner
from exports import verify_bundle as vb
from exports.exhibits import T_MESSAGE, assign_exhibit
from workstation.export import export_case

#: An export time after every ledger entry the tests make: a bundle is never signed before
#: the events it records (export_case refuses an earlier --at).
AT = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
LATER = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


def check(path: Path, *extra: str) -> tuple[int, str]:
    """verify-bundle, trusting Jane Smith (JS), the creator of case-alpha, by fingerprint."""
    lines: list[str] = []
    identity = load_identity("JS")
    assert identity is not None
    trust = ["--trust-fingerprint", identity.fingerprint]
    args = vb.configure(argparse.ArgumentParser()).parse_args([str(path), *trust, *extra])
    return vb.run(args, lines.append), "".join(lines)


def fail_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("FAIL")]


def _a_thread(case: Case) -> str:
    with case.engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(T_MESSAGE.c.thread_id)
                .where(T_MESSAGE.c.case_id == case.case_id)
                .order_by(T_MESSAGE.c.id)
                .limit(1)
            ).scalar_one()
        )


def _an_image(case: Case) -> str:
    with case.engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(T_ITEM.c.sha256)
                .where(T_ITEM.c.case_id == case.case_id, T_ITEM.c.mime.like("image/%"))
                .order_by(T_ITEM.c.sha256)
                .limit(1)
            ).scalar_one()
        )


@pytest.fixture
def exported(alpha_copy: Case, signer: Signer, tmp_path: Path) -> tuple[Case, Path, Path]:
    """case-alpha with a thread and an image exhibited, exported pre-charge: (case, zip, folder)."""
    assign_exhibit(alpha_copy, signer, "thread", [_a_thread(alpha_copy)], "A chat", "threats")
    assign_exhibit(alpha_copy, signer, "item", [_an_image(alpha_copy)], "A screenshot", "ids")
    summary = export_case(alpha_copy, signer, file_type="pre-charge", out=tmp_path / "out", at=AT)
    return alpha_copy, summary.zip_path, summary.folder


def test_exported_bundle_verifies_and_each_change_is_named(
    exported: tuple[Case, Path, Path], tmp_path: Path
) -> None:
    _, zip_path, folder = exported
    for path in (zip_path, folder):
        code, text = check(path)
        assert code == 0, text
        assert "RESULT: PASS" in text
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    rels = [p.relative_to(folder).as_posix() for p in files]
    kinds = {
        "pdf": next((r for r in rels if r.endswith(".pdf")), None),
        "native": next(r for r in rels if "/native/" in r),
        "ledger": "11_custody_ledger/entries.json",
        "proofs": "11_custody_ledger/inclusion_proofs.json",
        "manifest": "manifest.json",
        "signature": "manifest.sig",
        "jsonld": "case.jsonld",
        "verify": "VERIFY.txt",
        "key": next(r for r in rels if r.startswith("keys/")),
        "exhibits": "exhibits.json",
    }
    for what, rel in kinds.items():
        if rel is None:
            continue  # no PDF renderer installed yet
        copy = tmp_path / what / folder.name
        shutil.copytree(folder, copy)
        data = bytearray((copy / rel).read_bytes())
        data[len(data) // 2] ^= 0x01
        (copy / rel).write_bytes(bytes(data))
        code, text = check(copy)
        assert code == 1, (what, text)
        assert any(rel in line for line in fail_lines(text)), (what, text)


def test_removed_and_added_files_in_an_exported_zip(
    exported: tuple[Case, Path, Path], tmp_path: Path
) -> None:
    import zipfile

    _, zip_path, folder = exported
    with zipfile.ZipFile(zip_path) as src:
        infos = src.infolist()
        native = next(i for i in infos if "/native/" in i.filename)
        out = tmp_path / "changed.zip"
        with zipfile.ZipFile(out, "w") as dst:
            for info in infos:
                if info is not native:
                    dst.writestr(info, src.read(info))
            dst.writestr(f"{folder.name}/04_exhibits/extra.txt", b"planted")
    code, text = check(out)
    assert code == 1
    rel = native.filename.partition("/")[2]
    assert f"FAIL  3. file hashes: {rel}: is listed in the manifest but missing" in text
    assert "04_exhibits/extra.txt: is in the bundle but not listed" in text


def test_a_later_export_extends_the_earlier_one(
    exported: tuple[Case, Path, Path], signer: Signer, second_signer: Signer, tmp_path: Path
) -> None:
    case, first_zip, _ = exported
    add_examiner(case, signer, second_signer.identity)  # JS adds RP: trusted through JS
    assign_exhibit(case, second_signer, "item", [_an_image(case)], "Same image, RP", "ids")
    later = export_case(case, second_signer, file_type="full", out=tmp_path / "later", at=LATER)
    code, text = check(later.zip_path, "--previous", str(first_zip))
    assert code == 0, text
    assert "PASS  7. previous bundle:" in text
    assert "RP (key " in text  # signed by the second examiner, whose key the ledger records
    code, text = check(first_zip, "--previous", str(later.zip_path))
    assert code == 1
    del signer

"""The bundle of case-alpha: tree in LAYOUT and MG order, manifest and signature, ledger
extract with proofs, natives, disclosure banding, determinism, and the export's own entries."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain_of_custody import merkle
from chain_of_custody.canonical import canonical_bytes, entry_hash
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.db import read_connection
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import checkpoint_body, list_checkpoints
from exports.bundle import BundleError
from exports.caseuco import case_jsonld
from exports.context import LAYOUT
from exports.details import load_details_file, set_details
from exports.exhibits import T_MESSAGE, assign_exhibit
from tests.exports.sample_context import sample_context
from tests.exports.test_caseuco import case_validate
from workstation import aliases
from workstation.export import ExportSummary, export_case

#: An export time after every ledger entry the tests make: a bundle is never signed before
#: the events it records (export_case refuses an earlier --at).
AT = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "case-details.example.toml"
SUSPECT_THREAD = "whatsapp:+44 7700 900987"


@dataclass
class Exported:
    case_dir: Path
    twin_dir: Path
    summary: ExportSummary
    twin: ExportSummary
    files: dict[str, bytes]  # the folder's files by relative path


def _prepare(case: Case, signer: Signer) -> None:
    assign_exhibit(case, signer, "thread", [SUSPECT_THREAD], "WhatsApp chat, +44 7700 900987")
    with read_connection(case.engine) as conn:
        ids = [
            int(r.id)
            for r in conn.execute(
                sa.select(T_MESSAGE.c.id)
                .where(T_MESSAGE.c.thread_id == "whatsapp:Dan")
                .order_by(T_MESSAGE.c.id)
                .limit(3)
            )
        ]
        shot = conn.execute(
            sa.select(T_ITEM.c.sha256).where(T_ITEM.c.name.like("Screenshot_20240412%"))
        ).scalar_one()
    assign_exhibit(case, signer, "messages", [str(i) for i in ids], "First messages from 'Dan'")
    assign_exhibit(case, signer, "item", [shot], "Screenshot of SMS, 12 April 2024")
    aliases.decide(case, signer, "sms:+447700900987", "whatsapp:+447700900987", "confirm")
    set_details(case, signer, load_details_file(EXAMPLE))


def _read_tree(top: Path) -> dict[str, bytes]:
    return {p.relative_to(top).as_posix(): p.read_bytes() for p in top.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def exported(
    alpha_template: Path, signer: Signer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exported]:
    base = tmp_path_factory.mktemp("bundle")
    prepared = base / "prepared"
    shutil.copytree(alpha_template, prepared)
    with Case.open(prepared) as case:
        _prepare(case, signer)
    dirs = [base / "one", base / "two"]
    # The twin is the same case state on another examiner machine: a data folder of its own,
    # or its witness would rightly see two diverging copies of one case (issue 12).
    saved = {k: os.environ.get(k) for k in ("EWS_DATA_DIR", "EWS_WITNESS_DIR")}
    shutil.copytree(os.environ["EWS_DATA_DIR"], base / "twin-data")
    results = []
    for d in dirs:
        shutil.copytree(prepared, d)
        if d.name == "two":
            os.environ["EWS_DATA_DIR"] = str(base / "twin-data")
            os.environ["EWS_WITNESS_DIR"] = str(base / "twin-witness")
        try:
            with Case.open(d) as case:
                summary = export_case(case, signer, file_type="pre-charge", out=d / "out", at=AT)
                results.append(summary)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    yield Exported(dirs[0], dirs[1], results[0], results[1], _read_tree(results[0].folder))


def _json(files: dict[str, bytes], path: str) -> Any:
    return json.loads(files[path])


def test_same_case_state_and_time_give_a_byte_identical_zip(exported: Exported) -> None:
    one, two = exported.summary, exported.twin
    assert one.bundle_id == two.bundle_id and one.folder != two.folder
    assert one.zip_path.read_bytes() == two.zip_path.read_bytes()


def test_the_zip_is_the_folder_in_byte_order_with_fixed_times(exported: Exported) -> None:
    with zipfile.ZipFile(exported.summary.zip_path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        top = exported.summary.bundle_id + "/"
        assert all(n.startswith(top) for n in names)
        rel = [n[len(top) :] for n in names]
        assert rel == sorted(rel, key=lambda p: p.encode("utf-8"))
        assert set(rel) == set(exported.files)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644 and info.extra == b""
            assert zf.read(info) == exported.files[info.filename[len(top) :]]


def test_tree_has_every_pre_charge_part_in_layout_places(exported: Exported) -> None:
    files = exported.files
    for part in ("index", "MG3", "MG12", "alias_analysis", "vps", "MG6C", "MG13", "ledger_pdf"):
        assert LAYOUT[part] in files, part
    for part in ("risk", "MG6", "MG6D"):
        assert LAYOUT[part] in files, part
    for part in ("ledger_json", "proofs_json", "consistency_json", "checkpoint_json"):
        assert LAYOUT[part] in files
    for name in ("jsonld", "verify_txt", "manifest", "manifest_sig"):
        assert LAYOUT[name] in files
    assert "02_MG11_statement_JS.pdf" in files
    assert not any(p.startswith("full/") for p in files)  # full-file forms only in "full"
    for ref in ("JS-1", "JS-2", "JS-3"):
        assert f"04_exhibits/{ref}/label.pdf" in files
        assert f"04_exhibits/{ref}/rendered.pdf" in files
        assert any(p.startswith(f"04_exhibits/{ref}/native/") for p in files)
    # MG order: the numbered parts sort in the order of MG_BUNDLE.md.
    numbered = sorted(p for p in files if p[:2].isdigit() and "/" not in p)
    assert numbered[0] == LAYOUT["index"] and numbered[1] == LAYOUT["MG3"]


def test_parts_not_for_disclosure_are_only_in_their_folder(exported: Exported) -> None:
    banded = {LAYOUT["risk"], LAYOUT["MG6"], LAYOUT["MG6D"]}
    for path in exported.files:
        name = path.rsplit("/", 1)[-1]
        if any(name == b.rsplit("/", 1)[-1] for b in banded):
            assert path.startswith("not_for_disclosure/")


def test_manifest_lists_every_file_with_its_hash_and_is_signed(
    exported: Exported, signer: Signer
) -> None:
    files = exported.files
    raw = files["manifest.json"]
    manifest = json.loads(raw)
    assert canonical_bytes(manifest) == raw
    assert manifest["format"] == "ews-bundle/1" and manifest["file_type"] == "pre-charge"
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "manifest.sig"}
    for path, data in files.items():
        if path in listed:
            assert listed[path]["sha256"] == hashlib.sha256(data).hexdigest(), path
            assert listed[path]["size"] == len(data)
    sig = json.loads(files["manifest.sig"])
    assert sig["key_id"] == signer.key_id == manifest["signer"]["key_id"]
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(manifest["signer"]["public_key"]))
    key.verify(bytes.fromhex(sig["signature"]), raw)  # raises if invalid
    assert hashlib.sha256(raw).hexdigest() == exported.summary.manifest_sha256
    cp = manifest["checkpoint"]
    assert cp == _json(files, LAYOUT["checkpoint_json"])
    body = checkpoint_body(cp["origin"], cp["size"], cp["root"], cp["at"])
    key.verify(bytes.fromhex(cp["signature"]), body)


def test_natives_are_the_stored_bytes_and_their_entries_are_proven(exported: Exported) -> None:
    files = exported.files
    entries = {e["seq"]: e for e in _json(files, LAYOUT["ledger_json"])}
    acquired = {e["data"]["sha256"] for e in entries.values() if e["action"] == "item.acquired"}
    natives = [p for p in files if "/native/" in p]
    listed = [n["path"] for ex in _json(files, "exhibits.json")["exhibits"] for n in ex["natives"]]
    assert sorted(natives) == sorted(listed)
    names = {p.rsplit("/", 1)[-1][13:] for p in natives}  # after "<sha256[:12]>_"
    # the two chats, the screenshot, and the photos the suspect's chat attaches
    assert {"_chat.txt", "WhatsApp_Chat_with_Dan.txt"} <= names
    assert "Screenshot_20240412-063320_Messages.jpg" in names
    assert any("-PHOTO-" in n for n in names)
    for p in natives:
        sha = hashlib.sha256(files[p]).hexdigest()
        assert p.rsplit("/", 1)[-1].startswith(sha[:12] + "_")
        assert sha in acquired
    exhibits = _json(files, "exhibits.json")["exhibits"]
    assert [e["ref"] for e in exhibits] == ["JS/1", "JS/2", "JS/3"]
    for ex in exhibits:
        assert entries[ex["ledger_seq"]]["action"] == "exhibit.assigned"
        for n in ex["natives"]:
            assert n["path"] in files
            assert entries[n["item_acquired_seq"]]["data"]["sha256"] == n["sha256"]
    actions = {e["action"] for e in entries.values()}
    assert {"case.created", "examiner.added", "item.extracted", "exhibit.assigned"} <= actions
    # The WhatsApp chats are archive members: their parent archives' entries are there too.
    parents = {e["data"].get("parent_sha256") for e in entries.values() if "data" in e}
    assert parents - {None} <= acquired


def test_every_entry_recomputes_and_its_inclusion_proof_verifies(exported: Exported) -> None:
    files = exported.files
    cp = _json(files, LAYOUT["checkpoint_json"])
    proofs = _json(files, LAYOUT["proofs_json"])
    entries = _json(files, LAYOUT["ledger_json"])
    assert proofs["tree_size"] == cp["size"] and proofs["root"] == cp["root"]
    assert [p["seq"] for p in proofs["proofs"]] == [e["seq"] for e in entries]
    for e, p in zip(entries, proofs["proofs"], strict=True):
        assert entry_hash(e).hex() == e["entry_hash"] == p["entry_hash"]
        merkle.verify_inclusion(
            bytes.fromhex(e["entry_hash"]),
            p["leaf_index"],
            cp["size"],
            [bytes.fromhex(h) for h in p["path"]],
            bytes.fromhex(cp["root"]),
        )


def test_export_is_recorded_after_the_bundle_and_proven_consistent_next_time(
    exported: Exported, signer: Signer, tmp_path: Path
) -> None:
    first = exported.summary
    with Case.open(exported.case_dir) as case:
        entries = list(case.ledger_entries())
        assert entries[first.ledger_size].action == "checkpoint"
        created = entries[first.export_seq]
        assert created.action == "export.created" and created.seq == first.ledger_size + 1
        assert created.data["manifest_sha256"] == first.manifest_sha256
        assert created.data["bundle_id"] == first.bundle_id
        with read_connection(case.engine) as conn:
            assert first.ledger_size in {c.size for c in list_checkpoints(conn, case.case_id)}
        second = export_case(case, signer, file_type="full", out=tmp_path / "b.zip")
    assert second.zip_path == tmp_path / "b.zip" and second.folder == tmp_path / "b"
    consistency = json.loads((second.folder / LAYOUT["consistency_json"]).read_bytes())
    old_cp = json.loads((first.folder / LAYOUT["checkpoint_json"]).read_bytes())
    (proof,) = [p for p in consistency["proofs"] if p["from_size"] == old_cp["size"]]
    merkle.verify_consistency(
        old_cp["size"],
        consistency["to_size"],
        bytes.fromhex(old_cp["root"]),
        bytes.fromhex(consistency["to_root"]),
        [bytes.fromhex(h) for h in proof["path"]],
    )
    assert (second.folder / LAYOUT["MG1"]).exists()  # the full file has its own forms


def test_an_export_never_overwrites(exported: Exported, signer: Signer, tmp_path: Path) -> None:
    taken = tmp_path / "taken.zip"
    taken.write_bytes(b"someone else's file")
    with Case.open(exported.twin_dir) as case:
        size = case.ledger_size()
        with pytest.raises(BundleError, match="already exists"):
            export_case(case, signer, file_type="pre-charge", out=taken, at=AT)
        assert taken.read_bytes() == b"someone else's file"
        assert case.ledger_size() == size  # nothing recorded for a refused export


def test_the_bundle_passes_the_standalone_verifier(exported: Exported) -> None:
    from chain_of_custody.keys import load_identity
    from exports import verify_bundle

    identity = load_identity("JS")  # the recipient names the signer they expect
    assert identity is not None
    fp = identity.fingerprint
    assert verify_bundle.main([str(exported.summary.zip_path), "--trust-fingerprint", fp]) == 0
    assert verify_bundle.main([str(exported.summary.zip_path)]) == 3  # signer not established


@pytest.mark.slow
def test_case_jsonld_conforms_to_case_uco(exported: Exported, tmp_path: Path) -> None:
    # The real bundle's file and the sample context's (which has every kind of node:
    # accounts and confirmed alias links too), validated together in one run.
    sample = tmp_path / "sample.jsonld"
    sample.write_bytes(case_jsonld(sample_context()))
    done = case_validate(exported.summary.folder / LAYOUT["jsonld"], sample)
    assert "Conforms: True" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 0
    nodes = json.loads(exported.files[LAYOUT["jsonld"]])["@graph"]
    numbers = {n.get("investigation:exhibitNumber") for n in nodes}
    assert {"JS/1", "JS/2", "JS/3"} <= numbers
    assert any(n["@type"] == "core:Relationship" for n in nodes)  # the confirmed link

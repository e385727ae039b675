"""ews verify-bundle on bundles built from a real case: every change is caught and named."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chain_of_custody.canonical import canonical_bytes, entry_hash
from chain_of_custody.case import Case
from chain_of_custody.keys import Signer, load_identity
from exports import verify_bundle as vb
from tests.exports import bundle_factory as bf
from workstation.cli import main as ews_main

FILES = {
    "chat.txt": b"[01/03/2024, 10:00:00] Dan: you can't hide from me\n" * 40,
    "photo.jpg": bytes(range(256)) * 64,
    "notes.bin": os.urandom(3000),
}
PDF = "00_index.pdf"
ENTRIES = "11_custody_ledger/entries.json"
PROOFS = "11_custody_ledger/inclusion_proofs.json"
CHECKPOINT = "11_custody_ledger/checkpoint.json"


@pytest.fixture(scope="module")
def made(
    tmp_path_factory: pytest.TempPathFactory, signer: Signer
) -> Iterator[tuple[Case, bf.Bundle]]:
    base = tmp_path_factory.mktemp("bundle")
    case = bf.new_case(base / "case", signer, FILES, urn="01VB0000001")
    shas = bf.acquired(case)
    bf.assign(case, signer, "JS/1", [shas["chat.txt"]])
    bf.assign(case, signer, "JS/2", [shas["photo.jpg"], shas["notes.bin"]])
    (base / "out").mkdir()
    bundle = bf.export(
        case,
        signer,
        base / "out",
        {"JS/1": [shas["chat.txt"]], "JS/2": [shas["photo.jpg"], shas["notes.bin"]]},
    )
    yield case, bundle
    case.close()


@pytest.fixture
def bundle(made: tuple[Case, bf.Bundle]) -> bf.Bundle:
    return made[1]


@pytest.fixture
def copy(bundle: bf.Bundle, tmp_path: Path) -> Path:
    """A private copy of the bundle folder, to tamper with."""
    dest = tmp_path / bundle.bundle_id
    shutil.copytree(bundle.folder, dest)
    return dest


def js_fingerprint() -> str:
    """The fingerprint of Jane Smith (JS), who signs every bundle here: the recipient's trust."""
    identity = load_identity("JS")
    assert identity is not None
    return identity.fingerprint


def check(path: Path, *extra: str, trust: bool = True) -> tuple[int, str]:
    lines: list[str] = []
    given = ["--trust-fingerprint", js_fingerprint()] if trust else []
    args = vb.configure(__import__("argparse").ArgumentParser()).parse_args(
        [str(path), *given, *extra]
    )
    code = vb.run(args, lines.append)
    return code, "".join(lines)


def fail_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("FAIL")]


def native(top: Path, ref: str = "JS-1") -> Path:
    return sorted((top / "04_exhibits" / ref / "native").iterdir())[0]


def flip(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def as_kind(top: Path, kind: str) -> Path:
    return top if kind == "folder" else bf.zip_of(top, top.parent / f"{top.name}.zip")


# --- an intact bundle -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_intact_bundle_passes_every_check(bundle: bf.Bundle, kind: str) -> None:
    code, text = check(bundle.folder if kind == "folder" else bundle.zip)
    assert code == 0, text
    lines = text.splitlines()
    passes = [line for line in lines if line.startswith("PASS")]
    assert [p.split(".")[0] for p in passes] == [f"PASS  {n}" for n in (1, 2, 3, 4, 5, 6, 8)]
    assert "RESULT: PASS" in lines[-1]
    assert "JS (key " in text and bundle.bundle_id in text


def test_folder_holding_the_bundle_folder_is_accepted(bundle: bf.Bundle) -> None:
    code, text = check(bundle.folder.parent)  # the out folder also holds the zip
    assert code == 0, text


def test_json_report(bundle: bf.Bundle, copy: Path) -> None:
    code, text = check(bundle.zip, "--json")
    report = json.loads(text)
    assert code == 0 and report["ok"] and report["exit_code"] == 0
    assert report["signer_established"]
    assert [c["number"] for c in report["checks"]] == [1, 2, 3, 4, 5, 6, 8]
    assert report["checkpoint"]["size"] == bundle.checkpoint.size
    flip(native(copy))
    code, text = check(copy, "--json")
    report = json.loads(text)
    assert code == 1 and not report["ok"]
    bad = [c for c in report["checks"] if not c["ok"]]
    assert [c["number"] for c in bad] == [3, 6]  # the file, and the exhibit resting on it
    rel = native(copy).relative_to(copy).as_posix()
    assert [p["subject"] for c in bad for p in c["problems"]] == [rel, rel]


# --- one byte flipped in each kind of file ----------------------------------------------------

KINDS: dict[str, Callable[[Path], Path]] = {
    "pdf": lambda top: top / PDF,
    "native": native,
    "ledger json": lambda top: top / ENTRIES,
    "manifest.json": lambda top: top / "manifest.json",
    "manifest.sig": lambda top: top / "manifest.sig",
    "case.jsonld": lambda top: top / "case.jsonld",
    "VERIFY.txt": lambda top: top / "VERIFY.txt",
    "key file": lambda top: next((top / "keys").iterdir()),
    "not for disclosure": lambda top: top / "not_for_disclosure" / "06_risk_assessment.pdf",
}


@pytest.mark.parametrize("kind", ["folder", "zip"])
@pytest.mark.parametrize("what", sorted(KINDS))
def test_one_flipped_byte_is_caught_and_named(copy: Path, what: str, kind: str) -> None:
    target = KINDS[what](copy)
    rel = target.relative_to(copy).as_posix()
    flip(target)
    code, text = check(as_kind(copy, kind))
    assert code == 1, text
    fails = fail_lines(text)
    assert fails and any(rel in line for line in fails), text
    assert "RESULT: FAIL" in text.splitlines()[-1]


@pytest.mark.parametrize("offset", [0, -1])
def test_first_and_last_byte_of_a_native(copy: Path, offset: int) -> None:
    target = native(copy, "JS-2")
    flip(target, offset if offset >= 0 else target.stat().st_size - 1)
    code, text = check(copy)
    assert code == 1
    assert any(target.name in line and "SHA-256" in line for line in fail_lines(text)), text


@pytest.mark.parametrize("member", ["JS-2/native/", ENTRIES, PDF, "manifest.json"])
def test_byte_flipped_inside_the_zip_file_itself(
    bundle: bf.Bundle, tmp_path: Path, member: str
) -> None:
    """Not via zipfile (which would fix the CRC): the stored or deflated bytes on disk change."""
    data = bytearray(bundle.zip.read_bytes())
    with zipfile.ZipFile(bundle.zip) as zf:
        info = next(i for i in zf.infolist() if member in i.filename)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x40
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    code, text = check(damaged)
    assert code == 1, text
    rel = info.filename.partition("/")[2]
    assert any(rel in line for line in fail_lines(text)), text


def test_local_header_naming_another_file(bundle: bf.Bundle, tmp_path: Path) -> None:
    """A zip whose local header disagrees with its directory (a classic zip trick) fails."""
    data = bytearray(bundle.zip.read_bytes())
    with zipfile.ZipFile(bundle.zip) as zf:
        info = next(i for i in zf.infolist() if "/native/" in i.filename)
    name_at = info.header_offset + 30 + len(info.filename) - 5  # inside the file name
    data[name_at] ^= 0x01
    tricked = tmp_path / "tricked.zip"
    tricked.write_bytes(bytes(data))
    code, text = check(tricked)
    assert code == 1
    rel = info.filename.partition("/")[2]
    assert any(
        line.startswith(f"FAIL  3. file hashes: {rel}: the zip member is damaged")
        for line in fail_lines(text)
    ), text


# --- files removed, added, renamed ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_removed_file(copy: Path, kind: str) -> None:
    target = native(copy, "JS-2")
    rel = target.relative_to(copy).as_posix()
    target.unlink()
    code, text = check(as_kind(copy, kind))
    assert code == 1
    assert f"FAIL  3. file hashes: {rel}: is listed in the manifest but missing" in text
    # Its exhibit check names it as well.
    assert any(line.startswith("FAIL  6") for line in fail_lines(text)) or rel in text


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_added_file(copy: Path, kind: str) -> None:
    (copy / "04_exhibits" / "JS-1" / "extra.txt").write_bytes(b"planted")
    code, text = check(as_kind(copy, kind))
    assert code == 1
    assert "04_exhibits/JS-1/extra.txt: is in the bundle but not listed" in text


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_renamed_file(copy: Path, kind: str) -> None:
    (copy / "VERIFY.txt").rename(copy / "VERIFY.md")
    code, text = check(as_kind(copy, kind))
    assert code == 1
    assert "VERIFY.txt: is listed in the manifest but missing" in text
    assert "VERIFY.md: is in the bundle but not listed" in text


def test_removed_manifest_sig(copy: Path) -> None:
    (copy / "manifest.sig").unlink()
    code, text = check(copy)
    assert code == 1
    assert "FAIL  2. manifest signature: manifest.sig: is missing" in text


# --- the ledger extract ------------------------------------------------------------------------


def _entries(top: Path) -> list[dict[str, object]]:
    return json.loads((top / ENTRIES).read_text())  # type: ignore[no-any-return]


def _write_entries(top: Path, entries: list[dict[str, object]]) -> None:
    (top / ENTRIES).write_bytes(bf.canonical_bytes_list(entries))


def _acquired_index(entries: list[dict[str, object]]) -> int:
    return next(i for i, e in enumerate(entries) if e["action"] == "item.acquired")


def test_altered_entry_data(copy: Path) -> None:
    entries = _entries(copy)
    i = _acquired_index(entries)
    entries[i]["data"]["reason"] = "nothing to see"  # type: ignore[index]
    _write_entries(copy, entries)
    code, text = check(copy)
    assert code == 1
    seq = entries[i]["seq"]
    assert f"FAIL  5. ledger entries: entry {seq} (item.acquired): its contents do not hash" in text
    assert f"FAIL  3. file hashes: {ENTRIES}: " in text


def test_altered_entry_rehashed_resigned_and_resealed_by_an_insider(
    copy: Path, signer: Signer
) -> None:
    """The examiner's own key re-signs the entry and the manifest: the proof still fails."""
    entries = _entries(copy)
    i = _acquired_index(entries)
    entry = entries[i]
    entry["data"]["source"] = "another phone"  # type: ignore[index]
    digest = entry_hash(entry)
    entry["entry_hash"] = digest.hex()
    entry["signature"] = signer.sign(digest)
    _write_entries(copy, entries)
    proofs = json.loads((copy / PROOFS).read_text())
    for proof in proofs["proofs"]:
        if proof["seq"] == entry["seq"]:
            proof["entry_hash"] = digest.hex()
    (copy / PROOFS).write_bytes(canonical_bytes(proofs))
    bf.reseal(copy, signer)
    code, text = check(copy)
    assert code == 1
    seq = entry["seq"]
    fails = fail_lines(text)
    assert fails[0] == (
        f"FAIL  5. ledger entries: entry {seq} (item.acquired): inclusion proof of "
        f"leaf {seq} does not lead to the signed root"
    ), text
    # Checks 1-4 pass (the insider's key is genuine); only what rests on the entry fails.
    assert all(line.startswith(("FAIL  5.", "FAIL  6.")) for line in fails), text
    assert any(line.startswith("FAIL  6.") and "is not proven" in line for line in fails)


def test_dropped_inclusion_proof_node(copy: Path) -> None:
    proofs = json.loads((copy / PROOFS).read_text())
    proof = next(p for p in proofs["proofs"] if len(p["path"]) > 1)
    proof["path"].pop(1)
    (copy / PROOFS).write_bytes(canonical_bytes(proofs))
    code, text = check(copy)
    assert code == 1
    assert any(f"entry {proof['seq']} (" in line and "hashes" in line for line in fail_lines(text))


def test_missing_inclusion_proof(copy: Path) -> None:
    proofs = json.loads((copy / PROOFS).read_text())
    dropped = proofs["proofs"].pop()
    (copy / PROOFS).write_bytes(canonical_bytes(proofs))
    code, text = check(copy)
    assert code == 1
    assert f"entry {dropped['seq']} (" in text and "has no inclusion proof" in text


def test_checkpoint_swapped_for_one_signed_by_an_unknown_key(
    copy: Path, signer: Signer, second_signer: Signer
) -> None:
    """RP never worked on this case: a checkpoint RP signed proves nothing about it."""
    cp = json.loads((copy / CHECKPOINT).read_text())
    body = {k: cp[k] for k in ("origin", "size", "root", "at")}
    cp.update(key_id=second_signer.key_id, signature=second_signer.sign(canonical_bytes(body)))
    (copy / CHECKPOINT).write_bytes(canonical_bytes(cp))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["checkpoint"] = cp
    (copy / "manifest.json").write_bytes(canonical_bytes(manifest))
    bf.reseal(copy, signer)
    code, text = check(copy)
    assert code == 1
    assert fail_lines(text) == [
        f"FAIL  4. signed checkpoint: {CHECKPOINT}: signed by key {second_signer.key_id}, "
        "which the ledger extract does not record"
    ], text


def test_checkpoint_of_a_different_ledger_breaks_every_proof(copy: Path, signer: Signer) -> None:
    cp = json.loads((copy / CHECKPOINT).read_text())
    cp["size"] += 1
    body = {k: cp[k] for k in ("origin", "size", "root", "at")}
    cp["signature"] = signer.sign(canonical_bytes(body))
    (copy / CHECKPOINT).write_bytes(canonical_bytes(cp))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["checkpoint"] = cp
    (copy / "manifest.json").write_bytes(canonical_bytes(manifest))
    bf.reseal(copy, signer)
    code, text = check(copy)
    assert code == 1
    fails = fail_lines(text)
    assert any(line.startswith("FAIL  5.") for line in fails), text
    assert all(line.startswith(("FAIL  5.", "FAIL  6.")) for line in fails), text


def test_manifest_resigned_by_an_unknown_key(copy: Path, second_signer: Signer) -> None:
    bf.reseal(copy, second_signer)
    code, text = check(copy)
    assert code == 1
    assert "manifest.sig: signed by key" in text and "does not record" in text


def test_manifest_made_non_canonical(copy: Path) -> None:
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=1))
    code, text = check(copy)
    assert code == 1
    assert "FAIL  1. bundle and manifest: manifest.json: manifest.json is not in canonical" in text


def test_native_not_backed_by_an_acquired_entry(copy: Path, signer: Signer) -> None:
    """A file slipped into an exhibit and resealed by the examiner has no ledger entry."""
    planted = b"not acquired"
    import hashlib

    sha = hashlib.sha256(planted).hexdigest()
    path = copy / "04_exhibits" / "JS-1" / "native" / f"{sha[:12]}_planted.txt"
    path.write_bytes(planted)
    bf.reseal(copy, signer)
    code, text = check(copy)
    assert code == 1
    rel = path.relative_to(copy).as_posix()
    assert fail_lines(text) == [
        f"FAIL  6. exhibits: {rel}: no item.acquired entry in the ledger extract records this file",
        f"FAIL  6. exhibits: {rel}: is in an exhibit folder but not in exhibits.json",
    ], text


# --- unusable input and unsafe zips ----------------------------------------------------------


def test_unusable_input_exits_2(tmp_path: Path) -> None:
    assert check(tmp_path / "nothing.zip")[0] == 2
    (tmp_path / "not.zip").write_bytes(b"PK but not really")
    assert check(tmp_path / "not.zip")[0] == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check(empty)[0] == 2
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("x/readme.txt", "hello")
    code, text = check(tmp_path / "other.zip", "--json")
    assert code == 2 and json.loads(text)["exit_code"] == 2


def _zip_with(bundle: bf.Bundle, dest: Path, extra: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(bundle.zip) as src, zipfile.ZipFile(dest, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        for name, data in extra:
            out.writestr(zipfile.ZipInfo(name, bf.ZIP_TIME), data)
    return dest


@pytest.mark.parametrize(
    "name",
    [
        "{top}/../evil.txt",
        "/{top}/VERIFY.txt",
        "{top}/VERIFY.txt",
        "{top}\\keys\\x.pub",
        "evil.txt",
    ],
)
def test_unsafe_zip_members_are_refused_and_named(
    bundle: bf.Bundle, tmp_path: Path, name: str
) -> None:
    member = name.format(top=bundle.bundle_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        path = _zip_with(bundle, tmp_path / "unsafe.zip", [(member, b"Trust me.\n")])
    code, text = check(path)
    assert code == 1, text
    assert any(
        line.startswith("FAIL  1.") and member.split("/")[-1].split("\\")[-1] in line
        for line in fail_lines(text)
    ), text


def test_case_clash_in_a_zip(bundle: bf.Bundle, tmp_path: Path) -> None:
    path = _zip_with(bundle, tmp_path / "clash.zip", [(f"{bundle.bundle_id}/verify.TXT", b"x")])
    code, text = check(path)
    assert code == 1
    assert "verify.TXT: clashes with VERIFY.txt" in text


def test_symlink_in_a_folder_is_refused(copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes((copy / "VERIFY.txt").read_bytes())
    (copy / "VERIFY.txt").unlink()
    (copy / "VERIFY.txt").symlink_to(outside)
    code, text = check(copy)
    assert code == 1
    assert "VERIFY.txt: is not a regular file" in text


# --- --previous --------------------------------------------------------------------------------


def test_previous_bundle_of_the_same_case(
    made: tuple[Case, bf.Bundle], signer: Signer, tmp_path: Path
) -> None:
    case, first = made
    shas = bf.acquired(case)
    bf.assign(case, signer, "JS/3", [shas["notes.bin"]])
    later = bf.export(
        case, signer, tmp_path, {"JS/1": [shas["chat.txt"]], "JS/3": [shas["notes.bin"]]}
    )
    code, text = check(later.zip, "--previous", str(first.zip))
    assert code == 0, text
    assert any(line.startswith("PASS  7. previous bundle:") for line in text.splitlines())
    assert f"ledger of {first.checkpoint.size} entries is a prefix" in text
    # The other way round is refused.
    code, text = check(first.zip, "--previous", str(later.zip))
    assert code == 1 and "is longer than this bundle's" in text
    # A consistency proof that was tampered with fails.
    top = tmp_path / "tampered" / later.bundle_id
    shutil.copytree(later.folder, top)
    cons = json.loads((top / "11_custody_ledger/consistency_proofs.json").read_text())
    proof = next(p for p in cons["proofs"] if p["from_size"] == first.checkpoint.size)
    proof["path"][0] = "00" * 32
    (top / "11_custody_ledger/consistency_proofs.json").write_bytes(canonical_bytes(cons))
    bf.reseal(top, signer)
    code, text = check(top, "--previous", str(first.folder))
    assert code == 1
    assert [line for line in fail_lines(text)] and all(
        line.startswith("FAIL  7. previous bundle: 11_custody_ledger/consistency_proofs.json")
        for line in fail_lines(text)
    ), text


def test_previous_bundle_of_another_case(bundle: bf.Bundle, signer: Signer, tmp_path: Path) -> None:
    other = bf.new_case(tmp_path / "other", signer, {"a.txt": b"a"}, urn="01VB0000002")
    try:
        sha = bf.acquired(other)["a.txt"]
        bf.assign(other, signer, "JS/1", [sha])
        (tmp_path / "out").mkdir()
        theirs = bf.export(other, signer, tmp_path / "out", {"JS/1": [sha]})
    finally:
        other.close()
    code, text = check(bundle.zip, "--previous", str(theirs.zip))
    assert code == 1
    assert f"is case {theirs.case_id}, not {bundle.case_id}" in text


def test_previous_bundle_that_fails_on_its_own(bundle: bf.Bundle, copy: Path) -> None:
    flip(copy / PDF)
    code, text = check(bundle.zip, "--previous", str(copy))
    assert code == 1
    assert "the previous bundle fails on its own: check 3, 00_index.pdf" in text


# --- entry points ------------------------------------------------------------------------------


def test_ews_verify_bundle_command(
    bundle: bf.Bundle, copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        ews_main(["verify-bundle", str(bundle.zip), "--trust-fingerprint", js_fingerprint()]) == 0
    )
    assert "RESULT: PASS" in capsys.readouterr().out
    flip(copy / "VERIFY.txt")
    assert ews_main(["verify-bundle", str(copy), "--threads", "1"]) == 1
    assert "FAIL  3. file hashes: VERIFY.txt" in capsys.readouterr().out
    assert ews_main(["verify-bundle", str(copy.parent / "missing")]) == 2


def test_runs_as_a_single_file_outside_the_project(bundle: bf.Bundle, tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    fp = js_fingerprint()
    shutil.copy(vb.__file__, alone / "verify_bundle.py")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-I", "verify_bundle.py", str(bundle.zip), "--trust-fingerprint", fp],
        cwd=alone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "RESULT: PASS" in proc.stdout


# --- the exhibit list ---------------------------------------------------------------------------


def _exhibit_list(top: Path) -> dict[str, Any]:
    return json.loads((top / "exhibits.json").read_text())  # type: ignore[no-any-return]


def test_exhibit_dropped_from_the_list(copy: Path, signer: Signer) -> None:
    doc = _exhibit_list(copy)
    dropped = doc["exhibits"].pop()
    (copy / "exhibits.json").write_bytes(canonical_bytes(doc))
    bf.reseal(copy, signer)
    code, text = check(copy)
    assert code == 1
    for native_ in dropped["natives"]:
        assert f"FAIL  6. exhibits: {native_['path']}: is in an exhibit folder but not in" in text


def test_exhibit_pointing_at_another_items_entry(copy: Path, signer: Signer) -> None:
    doc = _exhibit_list(copy)
    first, second = doc["exhibits"][0]["natives"][0], doc["exhibits"][1]["natives"][0]
    first["item_acquired_seq"] = second["item_acquired_seq"]
    (copy / "exhibits.json").write_bytes(canonical_bytes(doc))
    bf.reseal(copy, signer)
    code, text = check(copy)
    assert code == 1
    assert fail_lines(text) == [
        f"FAIL  6. exhibits: {first['path']}: item.acquired entry "
        f"{second['item_acquired_seq']} records another SHA-256 or size"
    ], text


def test_exhibit_resting_on_a_wrong_entry(copy: Path, signer: Signer) -> None:
    doc = _exhibit_list(copy)
    doc["exhibits"][0]["ledger_seq"] = 0  # case.created
    (copy / "exhibits.json").write_bytes(canonical_bytes(doc))
    bf.reseal(copy, signer)
    code, text = check(copy)
    assert code == 1
    ref = doc["exhibits"][0]["ref"]
    assert fail_lines(text) == [
        f"FAIL  6. exhibits: exhibit {ref}: entry 0 is not an exhibit.assigned entry of the extract"
    ], text


def test_exhibit_list_missing(copy: Path, signer: Signer) -> None:
    (copy / "exhibits.json").unlink()
    bf.reseal(copy, signer)
    code, text = check(copy)
    assert code == 1
    assert "FAIL  6. exhibits: exhibits.json: is missing" in text

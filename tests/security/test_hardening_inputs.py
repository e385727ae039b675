"""Issue 12 point 7: bad input, found the same way (each test failed before its fix unless
its docstring says it is a regression test of something that already held)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import socket
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from chain_of_custody import keys
from chain_of_custody.case import Case
from chain_of_custody.errors import AcquisitionError, ExaminerKeyError
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from workstation.ingest import IngestOptions, ingest_paths
from workstation.queries import iter_items
from workstation.textsafe import shown

EWS = [sys.executable, "-m", "workstation.cli"]


def ews(*args: str | Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EWS, *map(str, args)], capture_output=True, text=True, timeout=120, check=False, **kw
    )


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    """A failed command's stderr: exactly one line, no traceback; returns it."""
    assert r.returncode not in (0, None), r.stdout
    assert "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def sqlite_case(tmp_path: Path, signer: Signer) -> Iterator[Case]:
    c = Case.create(tmp_path / "case", urn="01HH0000001", title="R v Input", signer=signer)
    yield c
    c.close()


def entries(case: Case, action: str | None = None) -> list[Any]:
    return [e for e in case.ledger_entries() if action is None or e.action == action]


def warnings_of(case: Case) -> list[str]:
    return [str(e.data["text"]) for e in entries(case, "item.warning")]


CHAT = (
    "01/02/2024, 10:00 - Dan Price: first message\n"
    "01/02/2024, 10:01 - Hannah: second message\n"
    "01/02/2024, 10:02 - Dan Price: third message\n"
)


# --- file names that are not UTF-8 ------------------------------------------------------------


def test_non_utf8_file_name_is_acquired_with_its_bytes(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    folder = tmp_path / "seized"
    folder.mkdir()
    raw = b"chat\xff\xfe.txt"
    with open(os.path.join(os.fsencode(folder), raw), "wb") as f:
        f.write(b"bytes under a name that is not UTF-8\n")
    (folder / "plain.txt").write_text("after it\n")
    given = Path(os.fsdecode(os.path.join(os.fsencode(folder), raw)))
    summary = ingest_paths(case, signer, [folder])
    assert summary.items == 2
    acquired = {e.data["name"]: e.data for e in entries(case, "item.acquired")}
    assert set(acquired) == {"chat\\xff\\xfe.txt", "plain.txt"}
    data = acquired["chat\\xff\\xfe.txt"]
    assert bytes.fromhex(data["name_bytes_hex"]) == raw
    assert bytes.fromhex(data["path_bytes_hex"]) == os.fsencode(given)
    assert data["path"] == f"{folder}/chat\\xff\\xfe.txt"
    assert data["sha256"] == sha(b"bytes under a name that is not UTF-8\n")
    assert "name_bytes_hex" not in acquired["plain.txt"]
    # Given directly too, and listed by the CLI without a traceback.
    ingest_paths(case, signer, [given])
    r = ews("items", case.folder)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("chat\\xff\\xfe.txt") == 2
    assert verify_case(case).ok


# --- FIFOs, sockets, devices ------------------------------------------------------------------


def test_fifo_socket_and_device_given_are_refused_at_once(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    before = len(entries(case))
    try:
        for path, kind in ((fifo, "FIFO"), (sock_path, "socket"), (Path("/dev/null"), "device")):
            started = time.monotonic()
            with pytest.raises(AcquisitionError, match=kind):
                ingest_paths(case, signer, [path])
            assert time.monotonic() - started < 1.0
            # The CLI refuses it in one line before unlocking a key or opening the case.
            r = ews("ingest", case.folder, path)
            line = one_line_error(r)
            assert kind in line and str(path) in line
            # And ``ews`` itself before even importing the CLI: well under a second of CPU
            # (wall time would measure the machine's load).
            cpu = _children_cpu()
            started = time.monotonic()
            r = subprocess.run(
                [sys.executable, "-m", "workstation.entry", "ingest", str(case.folder), str(path)],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert _children_cpu() - cpu < 1.0 and time.monotonic() - started < 30
            assert one_line_error(r) == line
    finally:
        server.close()
    assert len(entries(case)) == before  # nothing acquired, no run started


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_special_files_inside_a_folder_are_skipped_with_a_warning(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    """Walked folders skip FIFOs and sockets, the rest is taken (held before); what was
    skipped is now in the ledger too."""
    folder = tmp_path / "seized"
    folder.mkdir()
    (folder / "a.txt").write_text("a\n")
    os.mkfifo(folder / "b-pipe")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "c-sock"))
    (folder / "d.txt").write_text("d\n")
    try:
        summary = ingest_paths(case, signer, [folder])
    finally:
        server.close()
    assert summary.items == 2
    assert [w for w in summary.warnings if "special file" in w] == [
        f"{folder / 'b-pipe'}: special file inside a folder, not followed",
        f"{folder / 'c-sock'}: special file inside a folder, not followed",
    ]
    # Recorded in the run's signed entry, not only printed (new with issue 12).
    (started,) = entries(case, "ingest.started")
    assert started.data["not_followed"] == summary.warnings


# --- symbolic links given directly ------------------------------------------------------------


def test_symlink_given_directly_is_recorded_as_a_link(
    tmp_path: Path, case: Case, signer: Signer
) -> None:
    target = tmp_path / "elsewhere" / "secret.txt"
    target.parent.mkdir()
    target.write_bytes(b"the target's bytes are not taken silently\n")
    link = tmp_path / "chat.txt"
    link.symlink_to(target)
    summary = ingest_paths(case, signer, [link])
    (acq,) = [e.data for e in entries(case, "item.acquired")]
    assert acq["path"] == str(link) and acq["mime"] == "inode/symlink"
    assert acq["link_target"] == str(target)
    assert acq["sha256"] == sha(os.fsencode(str(target)))  # the link's own bytes: its target
    with case.store.open_blob(acq["sha256"]) as f:
        assert f.read() == os.fsencode(str(target))
    (warning,) = warnings_of(case)
    assert f"symbolic link to {target}" in warning and "not followed" in warning
    assert summary.warnings == [warning]
    assert not case.store.has(sha(target.read_bytes()))
    assert verify_case(case).ok


# --- zip bombs with overlapping entries (Fifield) ---------------------------------------------


def _local_header(name: bytes, crc: int, csize: int, usize: int) -> bytes:
    return (
        struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, csize, usize, len(name), 0)
        + name
    )


def _central(name: bytes, crc: int, csize: int, usize: int, offset: int) -> bytes:
    return (
        struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            csize,
            usize,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + name
    )


def overlapping_bomb(n: int, kernel_bytes: int) -> bytes:
    """Fifield's quoted-overlap construction: file i's deflate stream quotes file i+1's local
    header in a stored block, then continues into file i+1's data, down to one shared
    kernel. Every member inflates to about ``kernel_bytes`` (under the ratio floor)."""
    kernel_out = b"\x00" * kernel_bytes
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    kernel = comp.compress(kernel_out) + comp.flush()
    names = [f"m{i:04d}.bin".encode() for i in range(n)]
    headers: list[bytes] = [b""] * n
    outputs: list[bytes] = [b""] * n
    datas: list[bytes] = [b""] * n
    outputs[n - 1], datas[n - 1] = kernel_out, kernel
    for i in range(n - 1, -1, -1):
        if i < n - 1:
            lh_next = headers[i + 1]
            quote = b"\x00" + struct.pack("<HH", len(lh_next), 0xFFFF ^ len(lh_next))
            datas[i] = quote + lh_next + datas[i + 1]
            outputs[i] = lh_next + outputs[i + 1]
        crc = zlib.crc32(outputs[i])
        headers[i] = _local_header(names[i], crc, len(datas[i]), len(outputs[i]))
    body = bytearray()
    offsets = []
    for i in range(n):
        offsets.append(len(body))
        body += headers[i]
        if i < n - 1:
            body += b"\x00" + struct.pack("<HH", len(headers[i + 1]), 0xFFFF ^ len(headers[i + 1]))
    body += kernel
    cd = b"".join(
        _central(
            names[i],
            zlib.crc32(outputs[i]),
            len(datas[i]),
            len(outputs[i]),
            offsets[i],
        )
        for i in range(n)
    )
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(cd), len(body), 0)
    return bytes(body) + cd + eocd


def stored_bytes(case: Case) -> int:
    return sum(p.stat().st_size for p in (case.folder / "store").rglob("*") if p.is_file())


def test_overlapping_entry_zip_bomb_is_refused_before_the_store_grows(
    tmp_path: Path, sqlite_case: Case, signer: Signer
) -> None:
    data = overlapping_bomb(40, 512 << 10)
    # It is a working bomb: zipfile inflates every member (about 20 MiB from a few KiB).
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        inflated = sum(len(zf.read(i)) for i in zf.infolist())
    assert inflated > 20 << 20 and len(data) < 8 << 10
    path = tmp_path / "photos.zip"
    path.write_bytes(data)
    summary = ingest_paths(sqlite_case, signer, [path])
    assert summary.members == 0
    (warning,) = warnings_of(sqlite_case)
    assert "overlap" in warning and str(path) in warning
    # The store holds the archive and little else: far below what it inflates to.
    assert stored_bytes(sqlite_case) < len(data) + (1 << 20)


def test_many_small_members_stop_at_a_limit_tied_to_the_archive_size(
    tmp_path: Path, sqlite_case: Case, signer: Signer
) -> None:
    """No overlap, every member under the ratio floor: the whole archive is capped at
    max_ratio times its own size (Fifield's non-overlapping variant)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(40):
            zf.writestr(f"part-{i:02d}.bin", bytes([i]) * (256 << 10))
    data = buf.getvalue()
    path = tmp_path / "parts.zip"
    path.write_bytes(data)
    summary = ingest_paths(sqlite_case, signer, [path])
    cap = max(len(data) * 200, 1 << 20)
    assert 0 < summary.members < 40
    refused = warnings_of(sqlite_case)
    assert len(refused) == 40 - summary.members
    assert all(f"{cap} bytes, 200 times its own size" in w for w in refused), refused[:1]
    assert stored_bytes(sqlite_case) <= cap + len(data)


# --- one bad member name ----------------------------------------------------------------------


def zip_with_bad_names() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", b"first\n")
        zf.writestr("bad\u00e9.txt", b"flagged UTF-8, and its name is not\n")  # sets flag 0x800
        zf.writestr("nulX.txt", b"a NUL in its name\n")
        zf.writestr("d.txt", b"last\n")
    data = buf.getvalue()
    data = data.replace("bad\u00e9".encode(), b"bad\xff\xfe")  # local header and directory
    return data.replace(b"nulX", b"nul\x00")


def test_one_bad_member_name_skips_that_member_only(
    tmp_path: Path, sqlite_case: Case, signer: Signer
) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(zip_with_bad_names())
    summary = ingest_paths(sqlite_case, signer, [path])
    members = sorted(
        e.data["member"] for e in entries(sqlite_case, "item.acquired") if "member" in e.data
    )
    assert members == ["a.txt", "d.txt"]
    assert summary.members == 2
    bad, nul = warnings_of(sqlite_case)
    assert str(path) in bad and "member #1" in bad and "626164fffe2e747874" in bad
    assert "marked UTF-8 but is not" in bad
    assert str(path) in nul and "member #2" in nul and "NUL" in nul


# --- NUL bytes in text exports ----------------------------------------------------------------


def test_nul_byte_early_in_a_whatsapp_export_warns_and_extracts(
    tmp_path: Path, sqlite_case: Case, signer: Signer
) -> None:
    path = tmp_path / "WhatsApp Chat with Dan Price.txt"
    path.write_bytes(CHAT.replace("first", "fi\x00rst").encode())
    summary = ingest_paths(sqlite_case, signer, [path])
    assert summary.extracted_records > 0
    r = ews("messages", sqlite_case.folder, "--json")
    texts = [m["text"] for m in json.loads(r.stdout)]
    assert texts == ["fi\ufffdrst message", "second message", "third message"]
    assert any("NUL" in w for w in summary.warnings), summary.warnings


def test_nul_byte_early_in_an_sms_backup_warns(tmp_path: Path, case: Case, signer: Signer) -> None:
    """Regression (held before): the SMS XML reader warns and recovers what it can."""
    path = tmp_path / "sms-20240501093012.xml"
    path.write_bytes(
        b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        b'<smses count="2">\n'
        b'  <sms protocol="0" address="+447700900123" date="1711900000000" type="1" '
        b'body="be\x00fore" read="1" status="-1" contact_name="Dan" />\n'
        b'  <sms protocol="0" address="+447700900123" date="1711900060000" type="1" '
        b'body="after" read="1" status="-1" contact_name="Dan" />\n'
        b"</smses>\n"
    )
    summary = ingest_paths(case, signer, [path])
    assert any("NUL" in w for w in summary.warnings), summary.warnings
    r = ews("messages", case.folder, "--json", *(["--db", case.db_url] if case.db_url else []))
    assert [m["text"] for m in json.loads(r.stdout)] == ["before", "after"]


# --- invalid time zones and negative limits ---------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        ["--tz", "Mars/Olympus"],
        ["--tz", "../../etc/passwd"],
        ["--max-total-bytes", "-1"],
        ["--max-ratio", "-1"],
        ["--max-members", "-1"],
        ["--max-depth", "-1"],
        ["--max-ratio", "0"],
    ],
)
def test_invalid_tz_or_negative_limit_is_refused_before_anything(
    tmp_path: Path, sqlite_case: Case, option: list[str]
) -> None:
    src = tmp_path / "a.txt"
    src.write_text("a\n")
    before = len(entries(sqlite_case))
    r = ews("ingest", sqlite_case.folder, src, *option)
    assert r.returncode in (1, 2)
    line = one_line_error(r) if r.returncode == 1 else r.stderr.splitlines()[-1]
    assert option[0].lstrip("-").split("-")[-1] in line.lower() or "zone" in line
    assert len(entries(sqlite_case)) == before


def test_invalid_tz_is_refused_by_the_core_too(
    tmp_path: Path, sqlite_case: Case, signer: Signer
) -> None:
    src = tmp_path / "a.txt"
    src.write_text("a\n")
    with pytest.raises(AcquisitionError, match="Mars/Olympus"):
        ingest_paths(sqlite_case, signer, [src], IngestOptions(tz="Mars/Olympus"))
    assert not entries(sqlite_case, "ingest.started")


def test_init_refuses_an_invalid_tz(tmp_path: Path) -> None:
    r = ews(
        "init", tmp_path / "c", "--urn", "1", "--title", "t", "--examiner", "Jane Smith",
        "--initials", "JS", "--tz", "Mars/Olympus",
    )  # fmt: skip
    assert "Mars/Olympus" in one_line_error(r)
    assert not (tmp_path / "c").exists()


# --- a damaged database, ledger data that is not JSON, no passphrase, pending garbage ---------


def _case_with_items(tmp_path: Path, signer: Signer, db_url: str | None = None) -> Path:
    folder = tmp_path / "case"
    src = tmp_path / "src"
    src.mkdir()
    for i in range(200):
        (src / f"f{i:03d}.txt").write_text(f"file {i}\n" * 20)
    with Case.create(
        folder, urn="01DD0000001", title="R v Damage", signer=signer, db_url=db_url
    ) as c:
        ingest_paths(c, signer, [src])
    return folder


def test_corrupt_database_page_gives_one_line(tmp_path: Path, signer: Signer) -> None:
    folder = _case_with_items(tmp_path, signer)
    db_file = folder / "case.sqlite"
    data = bytearray(db_file.read_bytes())
    page = 4096
    pages = len(data) // page
    assert pages > 8
    for p in range(pages // 3, 2 * pages // 3):
        data[p * page : (p + 1) * page] = b"\xde\xad\xbe\xef" * (page // 4)
    db_file.write_bytes(bytes(data))
    results = {cmd: ews(cmd, folder, *(["--no-record"] if cmd == "verify" else [])) for cmd in (
        "verify", "items", "ledger", "messages")}  # fmt: skip
    failed = [cmd for cmd, r in results.items() if r.returncode != 0]
    assert "verify" in failed
    for cmd in failed:
        line = one_line_error(results[cmd])
        assert line.startswith("ews: error: "), line
    assert "damaged" in one_line_error(results["verify"])


def test_ledger_data_that_is_not_json_gives_one_line(
    tmp_path: Path, signer: Signer, db_url: str | None
) -> None:
    folder = _case_with_items(tmp_path, signer, db_url)
    with Case.open(folder, db_url=db_url) as case, case.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE ledger_entry SET data = '{not json' WHERE case_id = :c AND seq = 3"),
            {"c": case.case_id},
        )
    for cmd in ("verify", "ledger"):
        line = one_line_error(ews(cmd, folder, *(["--no-record"] if cmd == "verify" else [])))
        assert "ledger entry 3" in line and "not a JSON object" in line


def test_closed_stdin_without_passphrase_gives_one_line(tmp_path: Path, signer: Signer) -> None:
    folder = tmp_path / "case"
    Case.create(folder, urn="01SS0000001", title="R v Stdin", signer=signer).close()
    env = {k: v for k, v in os.environ.items() if k != "EWS_PASSPHRASE"}
    r = subprocess.run(
        [*EWS, "checkpoint", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        preexec_fn=lambda: os.close(0),
    )
    assert "passphrase" in one_line_error(r)


def test_garbage_in_store_pending_is_set_aside_and_the_case_opens(
    tmp_path: Path, signer: Signer
) -> None:
    folder = _case_with_items(tmp_path, signer)
    pending = folder / "store" / "pending"
    with Case.open(folder) as case:
        recorded = next(iter(case.store.iter_blob_hashes()))
    (pending / "junk").write_bytes(b"not ours")
    (pending / f"{recorded}.abc").write_bytes(b"does not match the recorded hash")
    (pending / "a-folder").mkdir()
    os.mkfifo(pending / "a-fifo")
    r = ews("items", folder)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    warned = [line for line in r.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warned) == 4, r.stderr
    assert any("does not match its hash" in w for w in warned)
    assert list(pending.iterdir()) == []
    assert len(list((folder / "store" / "set-aside").iterdir())) == 4
    v = ews("verify", folder, "--no-record")
    assert v.returncode == 0, v.stderr


# --- control characters in plain-text output --------------------------------------------------


HOSTILE = "evil\x1b[2J\rname\u202etxt.exe"


def test_control_characters_are_escaped_in_plain_output(
    tmp_path: Path, sqlite_case: Case, signer: Signer
) -> None:
    folder = tmp_path / "seized"
    folder.mkdir()
    (folder / HOSTILE).write_text("x\n")
    (folder / f"link{HOSTILE}").symlink_to(folder / HOSTILE)  # a warning naming it
    chat = folder / "WhatsApp Chat with Dan Price.txt"
    chat.write_text(CHAT.replace("second message", "clear\x1b[2Jscreen\u202e"))
    r = ews("ingest", sqlite_case.folder, folder)
    assert r.returncode == 0, r.stderr
    for out in (r.stderr, ews("items", sqlite_case.folder).stdout):
        assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
    assert shown(HOSTILE) in ews("items", sqlite_case.folder).stdout
    assert shown(f"link{HOSTILE}") in r.stderr
    messages = ews("messages", sqlite_case.folder).stdout
    assert "\x1b" not in messages and "\u202e" not in messages
    assert "clear\\x1b[2Jscreen\\u202e" in messages
    # --json and the ledger keep the name exactly as found.
    items = json.loads(ews("items", sqlite_case.folder, "--json").stdout)
    assert any(i["name"] == HOSTILE for i in items)
    assert any(i["name"] == HOSTILE for i in iter_items(sqlite_case))


# --- weak examiner keys -----------------------------------------------------------------------


@pytest.fixture
def fresh_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "keys"
    monkeypatch.setenv("EWS_DATA_DIR", str(home))
    monkeypatch.delenv("EWS_INSECURE_TEST_KEYS", raising=False)
    return home


def test_low_kdf_rounds_are_refused_without_the_switch(
    fresh_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWS_KDF_ROUNDS", "2")
    with pytest.raises(ExaminerKeyError, match="EWS_KDF_ROUNDS=2 is below the safe minimum"):
        keys.create_examiner("Weak Key", "WK", "a long enough passphrase")
    assert not (fresh_keys / "examiners" / "WK.key.pem").exists()
    r = ews(
        "init", fresh_keys.parent / "c", "--urn", "1", "--title", "t",
        "--examiner", "Weak Key", "--initials", "WK",
    )  # fmt: skip
    assert "EWS_INSECURE_TEST_KEYS" in one_line_error(r)
    monkeypatch.setenv("EWS_INSECURE_TEST_KEYS", "1")
    keys.create_examiner("Weak Key", "WK", "a long enough passphrase")


def test_short_passphrase_is_refused_when_a_key_is_created(
    fresh_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EWS_KDF_ROUNDS", raising=False)
    monkeypatch.setattr(keys, "KDF_ROUNDS", 1)  # the floor itself, kept fast for the test
    with pytest.raises(ExaminerKeyError, match="at least 12 characters"):
        keys.create_examiner("Short Pass", "SP", "eleven char")
    env = {k: v for k, v in os.environ.items() if k != "EWS_KDF_ROUNDS"}
    r = ews(
        "init", fresh_keys.parent / "c", "--urn", "1", "--title", "t",
        "--examiner", "Short Pass", "--initials", "SP",
        env={**env, "EWS_PASSPHRASE": "short"},
    )  # fmt: skip
    assert "at least 12 characters" in one_line_error(r)
    keys.create_examiner("Short Pass", "SP", "twelve chars")  # 12 is enough
    monkeypatch.setenv("EWS_INSECURE_TEST_KEYS", "1")
    keys.create_examiner("Demo Key", "DK", "demo")

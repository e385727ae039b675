"""Start-up cost of ``ews`` (issue 16 §2): the parser and help load no heavy library.

Each check runs in a fresh interpreter, since this test process has long imported them all.
The timings themselves are measured in bench/bench_startup.py, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "numpy", "PIL", "imagehash", "PySide6", "reportlab")

_PROBE = """
import json, sys
from workstation.entry import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def _loaded(*argv: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    last = done.stderr.strip().splitlines()[-1]
    loaded: list[str] = json.loads(last)
    return loaded


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("items", "--help"),
        ("ingest", "--help"),
        ("export", "--help"),
        ("aliases", "--help"),
        ("keys", "--help"),
        ("verify-bundle", "--help"),
    ],
)
def test_help_imports_no_heavy_library(argv: tuple[str, ...]) -> None:
    assert _loaded(*argv) == []


def test_the_probe_sees_a_heavy_import() -> None:
    # Guard against a check that cannot fail: a command that opens a case loads SQLAlchemy.
    assert "sqlalchemy" in _loaded("items", "/nonexistent-case-folder")


def test_every_command_is_listed_in_the_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workstation.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for command in ("init", "ingest", "items", "messages", "verify", "export", "verify-bundle"):
        assert command in done.stdout

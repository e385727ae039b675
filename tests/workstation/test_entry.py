"""The ``ews`` entry point: verify-bundle runs without importing the workstation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import sys
from workstation.entry import main
status = main(["verify-bundle", sys.argv[1]])
heavy = sorted(m for m in ("sqlalchemy", "reportlab", "chain_of_custody", "workstation.cli")
               if m in sys.modules)
print(status, heavy)
"""


def test_verify_bundle_does_not_import_the_workstation(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-bundle.zip"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(missing)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "2 []"  # 2: not a bundle; nothing heavy


def test_other_commands_reach_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from workstation.entry import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert "evidence-workstation 0.1.0" in capsys.readouterr().out

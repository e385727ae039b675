"""Shared by the stand-in programs: the device state file and the venv's Python."""

import json
import os
import sys
from pathlib import Path

HOME = Path(os.environ.get("EWS_STANDIN_DEVICE", "/nonexistent"))
REPO = Path(__file__).resolve().parents[4]


def ios_state():
    path = HOME / "ios.json"
    return json.loads(path.read_text()) if path.exists() else {"state": "none"}


def save_ios(state):
    (HOME / "ios.json").write_text(json.dumps(state))


def in_venv():
    """Run under the Python the tests run with (the backup generator needs cryptography)."""
    wanted = os.environ.get("EWS_STANDIN_PYTHON")
    if wanted and os.path.realpath(sys.executable) != os.path.realpath(wanted):
        os.execv(wanted, [wanted, *sys.argv])
    sys.path.insert(0, str(REPO))

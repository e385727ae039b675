"""Running the device tools (external programs) and saying plainly when one is missing."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from workstation.device.errors import DeviceError, ToolMissing

#: How to install each tool on Debian/Ubuntu (the workstation's platform).
INSTALL = {
    "adb": "apt-get install adb",
    "idevice_id": "apt-get install libimobiledevice-utils",
    "ideviceinfo": "apt-get install libimobiledevice-utils",
    "idevicebackup2": "apt-get install libimobiledevice-utils",
}
TIMEOUT = 600  # seconds for one short command (a listing, a query); pulls have their own


@dataclass(frozen=True)
class Ran:
    """What a tool printed and its exit status."""

    argv: tuple[str, ...]
    status: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")


def require(tool: str) -> str:
    """The tool's path on PATH.

    Raises:
        ToolMissing: one line naming the tool and how to install it.
    """
    found = shutil.which(tool)
    if found is None:
        raise ToolMissing(f"{tool} is not installed: install it with `{INSTALL.get(tool, tool)}`")
    return found


def run(
    argv: Sequence[str], *, timeout: int = TIMEOUT, check: bool = True, secret: str | None = None
) -> Ran:
    """Run a tool to completion (no shell), its output captured.

    ``secret`` (a backup password) is never shown in a message or kept in ``Ran.argv``.

    Raises:
        ToolMissing: the program is not installed.
        DeviceError: it failed (non-zero status, when ``check``) or timed out.
    """
    program = require(argv[0])
    try:
        done = subprocess.run(
            [program, *argv[1:]],
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DeviceError(
            f"{' '.join(_shown_argv(argv, secret))} did not finish in {timeout} s"
        ) from None
    ran = Ran(
        tuple(_shown_argv(argv, secret)),
        done.returncode,
        done.stdout,
        done.stderr.decode("utf-8", "replace"),
    )
    if check and ran.status != 0:
        raise DeviceError(f"{' '.join(ran.argv)} failed: {last_line(ran)}")
    return ran


def last_line(ran: Ran) -> str:
    """The last non-empty line a tool printed (its error, usually), or its status."""
    for text in (ran.err, ran.text):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            return lines[-1]
    return f"exit status {ran.status}"


def _shown_argv(argv: Sequence[str], secret: str | None) -> list[str]:
    """The command as shown in messages: the secret argument replaced."""
    return ["(password)" if secret is not None and a == secret else a for a in argv]

"""``ews`` sub-commands of the aliases issue; registered by :func:`workstation.cli._parser`."""

from __future__ import annotations

from workstation.cli import CaseCommand, SubParsers


def register(sub: SubParsers, case_cmd: CaseCommand) -> None:
    """Add this module's sub-commands to the ``ews`` parser."""
    del sub, case_cmd  # no commands yet

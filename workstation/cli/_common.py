"""What every ``ews`` command module shares: the usage error, the case and the signer.

Nothing here imports the database, the extractors or Qt at module level: the parser and
``ews --help`` must start in a few tens of milliseconds (issue 16). What a command needs is
imported when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chain_of_custody.errors import EvidenceError
from workstation.textsafe import shown

if TYPE_CHECKING:
    from chain_of_custody.case import Case
    from chain_of_custody.keys import Signer
    from workstation.ingest import Progress

#: ``case_cmd(name, fn, help, json_flag=True)``: a sub-parser taking CASE_DIR, --db (and --json).
CaseCommand = Callable[..., argparse.ArgumentParser]
SubParsers = Any  # argparse's _SubParsersAction, which typeshed keeps private


class UsageError(EvidenceError):
    """A command was given inconsistent options."""


def signer_of(args: argparse.Namespace) -> Signer:
    """The acting examiner's unlocked key: ``--examiner`` or ``EWS_EXAMINER``."""
    from chain_of_custody import keys

    initials = getattr(args, "examiner", None) or keys.current_initials()
    if not initials:
        raise UsageError("no examiner: pass --examiner INITIALS or set EWS_EXAMINER")
    return keys.unlock_examiner(initials)


def open_case(args: argparse.Namespace) -> Case:
    """The case named by ``CASE_DIR`` and ``--db``; its opening warnings go to stderr."""
    from chain_of_custody.case import Case

    case = Case.open(Path(args.case_dir), db_url=args.db)
    for w in case.warnings:
        print(f"warning: {shown(w)}", file=sys.stderr)
    return case


def json_array(items: Iterable[Any], out: TextIO) -> None:
    """Write ``items`` as a JSON array, one element per line, as they come (streaming)."""
    out.write("[")
    first = True
    for item in items:
        out.write("\n" if first else ",\n")
        first = False
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True))
    out.write("]\n" if first else "\n]\n")


def progress_printer(stream: TextIO) -> Callable[[Progress], None] | None:
    """A one-line progress display for a terminal; None when ``stream`` is not one."""
    if not stream.isatty():
        return None
    last = [0.0]
    started = time.monotonic()

    def show(p: Progress) -> None:
        now = time.monotonic()
        if p.message == "warning":
            stream.write(f"\rwarning: {shown(p.current)}\n")
            return
        if now - last[0] < 0.2:
            return
        last[0] = now
        rate = p.bytes_done / max(now - started, 1e-6)
        left = (p.bytes_total - p.bytes_done) / rate if rate and p.bytes_total else 0
        stream.write(
            f"\r{p.items} items, {p.bytes_done / 1e6:,.1f} of "
            f"{p.bytes_total / 1e6:,.1f} MB, {rate / 1e6:,.1f} MB/s, "
            f"{left:,.0f} s left   "
        )
        stream.flush()

    return show

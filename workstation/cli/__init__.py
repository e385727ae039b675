"""The ``ews`` command line (DESIGN.md §8). Every command calls the same core the GUI uses.

One module per group of commands, each with ``register(sub, case_cmd)`` that adds its
sub-parsers: :mod:`.case` (init, ingest, items, messages, accounts, ledger, verify,
checkpoint, gui), :mod:`.aliases` (aliases, timeline), :mod:`.bundle` (exhibits, details,
export, verify-bundle), :mod:`.trust` (keys, examiners) and :mod:`.device` (device,
acquire). Shared helpers are in :mod:`._common`; the package never imports back from the
modules that call it.

Start-up time is a feature (issue 16): building the parser imports only argparse and light
modules, so ``ews --help`` never loads SQLAlchemy, numpy, the extractors or Qt. A command
imports what it needs inside its function, when it runs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence

from chain_of_custody.errors import EvidenceError
from workstation.cli._common import UsageError
from workstation.textsafe import shown, unexpected_error_line

__all__ = ["UsageError", "main"]


def _parser() -> argparse.ArgumentParser:
    from workstation.cli import aliases, bundle, case, device, review, search, trust

    p = argparse.ArgumentParser(
        prog="ews",
        description="Evidence workstation: acquire, "
        "record and verify digital evidence for harassment cases.",
    )
    p.add_argument("--version", action="version", version="evidence-workstation 0.1.0")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def case_cmd(
        name: str, fn: Callable[[argparse.Namespace], int], help_: str, json_flag: bool = True
    ) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("case_dir", metavar="CASE_DIR")
        sp.add_argument(
            "--db",
            help="SQLAlchemy URL of the case database "
            "(default: SQLite in the case folder, or what init recorded)",
        )
        if json_flag:
            sp.add_argument("--json", action="store_true", help="machine-readable output")
        sp.set_defaults(func=fn)
        return sp

    case.register(sub, case_cmd)
    aliases.register(sub, case_cmd)
    bundle.register(sub, case_cmd)
    trust.register(sub, case_cmd)  # ews keys …, ews examiners …
    device.register(sub, case_cmd)  # ews device …, ews acquire …
    search.register(sub, case_cmd)  # ews search …
    review.register(sub, case_cmd)  # ews tag …, ews untag …, ews tags
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ews``; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["verify-bundle"]:  # the standalone verifier, with its own parser
        from workstation.entry import main as entry_main

        return entry_main(words)
    args = _parser().parse_args(words)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        return _failed(exc)


def _interrupted() -> int:
    print(
        "ews: interrupted; what was complete is recorded. Run the same command again to resume.",
        file=sys.stderr,
    )
    return 130


def _failed(exc: Exception) -> int:
    """One line on standard error for any failure; never a traceback for the examiner."""
    ingest = sys.modules.get("workstation.ingest")  # loaded only if the command ingested
    if ingest is not None and isinstance(exc, ingest.IngestCancelled):
        return _interrupted()
    if isinstance(exc, EvidenceError):
        print(f"ews: error: {shown(exc)}", file=sys.stderr)
        return 1
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if isinstance(exc, sqlite3.DatabaseError) or (
        sa_exc is not None and isinstance(exc, sa_exc.DatabaseError)
    ):
        # A damaged database file (a corrupt page) or a server refusing: one line, no trace.
        print(f"ews: error: {unexpected_error_line(exc)}", file=sys.stderr)
        return 1
    if os.environ.get("EWS_DEBUG"):  # EWS_DEBUG=1 shows the traceback
        raise exc
    print(f"ews: error: {unexpected_error_line(exc)}", file=sys.stderr)
    return 1

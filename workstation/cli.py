"""The ``ews`` command line (DESIGN.md §8). Every command calls the same core the GUI uses."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from chain_of_custody import keys
from chain_of_custody.case import Case
from chain_of_custody.containers import ZipLimits
from chain_of_custody.errors import CaseError, EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.verify import record_verification, verify_case
from extractors import registry
from extractors.timeutil import zone
from workstation import accounts, queries
from workstation.ingest import (
    IngestCancelled,
    IngestOptions,
    Progress,
    check_given,
    check_options,
    ingest_paths,
)
from workstation.textsafe import shown, unexpected_error_line


class UsageError(EvidenceError):
    """A command was given inconsistent options."""


def _signer(args: argparse.Namespace) -> Signer:
    initials = getattr(args, "examiner", None) or keys.current_initials()
    if not initials:
        raise UsageError("no examiner: pass --examiner INITIALS or set EWS_EXAMINER")
    return keys.unlock_examiner(initials)


def _open(args: argparse.Namespace) -> Case:
    case = Case.open(Path(args.case_dir), db_url=args.db)
    for w in case.warnings:
        print(f"warning: {shown(w)}", file=sys.stderr)
    return case


def _json_array(items: Iterable[Any], out: TextIO) -> None:
    out.write("[")
    first = True
    for item in items:
        out.write("\n" if first else ",\n")
        first = False
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True))
    out.write("]\n" if first else "\n]\n")


def _progress_printer(stream: TextIO) -> Callable[[Progress], None] | None:
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


# --- commands ------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    try:
        zone(args.tz)
    except ValueError as exc:
        raise UsageError(f"--tz: {exc}") from None
    signer = keys.get_or_create_examiner(args.examiner, args.initials)
    with Case.create(
        Path(args.case_dir),
        urn=args.urn,
        title=args.title,
        signer=signer,
        db_url=args.db,
        tz=args.tz,
    ) as case:
        info = case.info()
    if args.json:
        print(
            json.dumps(
                {**info, "examiner": signer.identity.__dict__ | {"key_id": signer.key_id}}, indent=2
            )
        )
    else:
        print(
            f"case {info['urn']} created in {args.case_dir} (id {info['case_id']}); "
            f"examiner {signer.identity.name} ({signer.identity.initials}, key {signer.key_id})"
        )
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    for flag in ("max_total_bytes", "max_ratio", "max_members", "max_depth"):
        if getattr(args, flag) < 0:  # refused before a key is unlocked or a file opened
            raise UsageError(f"--{flag.replace('_', '-')} must not be negative")
    limits = ZipLimits(
        max_total_bytes=args.max_total_bytes,
        max_ratio=args.max_ratio,
        max_members=args.max_members,
        max_depth=args.max_depth,
    )
    known = {e.name for e in registry.registered()}
    unknown = sorted(set(args.skip_extractor) - known)
    if unknown:
        raise UsageError(
            f"unknown extractor {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    options = IngestOptions(
        source=args.source,
        reason=args.reason,
        tz=args.tz,
        limits=limits,
        skip_extractors=frozenset(args.skip_extractor),
    )
    check_options(options)
    check_given([Path(p) for p in args.paths])
    signer = _signer(args)
    with _open(args) as case:
        started = time.monotonic()
        summary = ingest_paths(
            case,
            signer,
            [Path(p) for p in args.paths],
            options,
            progress=_progress_printer(sys.stderr),
        )
        seconds = time.monotonic() - started
    result = {
        "run_id": summary.run_id,
        "resumed": summary.resumed,
        "items": summary.items,
        "members": summary.members,
        "bytes": summary.bytes,
        "skipped_already_acquired": summary.skipped_already_acquired,
        "warnings": summary.warnings,
        "seconds": round(seconds, 3),
    }
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        for w in summary.warnings:
            print(f"warning: {shown(w)}", file=sys.stderr)
        verb = "resumed and completed" if summary.resumed else "completed"
        print(
            f"ingest {verb}: {summary.items} items ({summary.members} from archives), "
            f"{summary.bytes:,} bytes in {seconds:.2f} s; {len(summary.warnings)} warnings"
        )
    return 0


def cmd_items(args: argparse.Namespace) -> int:
    with _open(args) as case:
        rows = queries.iter_items(case)
        if args.json:
            _json_array(rows, sys.stdout)
        else:
            for r in rows:
                flag = f"  [{len(r['warnings'])} warnings]" if r["warnings"] else ""
                mime, path = shown(r["mime"]), shown(r["path"])
                print(f"{r['sha256'][:16]}  {r['size']:>12,}  {mime:<28} {path}{flag}")
    return 0


def cmd_messages(args: argparse.Namespace) -> int:
    with _open(args) as case:
        rows = queries.iter_messages(case)
        if args.json:
            _json_array(rows, sys.stdout)
        else:
            for m in rows:
                who = shown(m["sender"]["identifier"] or "-")
                at, platform = m["sent_at_utc"] or "?", shown(m["platform"])
                print(f"{at:<25} {platform:<10} {who:<24} {shown(m['text'])}")
    return 0


def cmd_accounts(args: argparse.Namespace) -> int:
    if args.action:
        if args.action[0] != "avatar" or len(args.action) != 3:
            raise UsageError("usage: ews accounts CASE_DIR avatar ACCOUNT_ID PATH_OR_SHA256")
        signer = _signer(args)
        with _open(args) as case:
            link = accounts.link_avatar(case, signer, args.action[1], args.action[2])
        print(
            json.dumps(link.as_json(), indent=2)
            if args.json
            else f"linked {link.sha256[:16]}… to {link.account_id} (ledger entry {link.ledger_seq})"
        )
        return 0
    with _open(args) as case:
        rows = queries.iter_accounts(case)
        if args.json:
            _json_array(rows, sys.stdout)
        else:
            for a in rows:
                names = shown(", ".join(a["display_names"]) or "-")
                print(f"{shown(a['id']):<40} {names:<30} {a['messages']:>6} messages")
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    with _open(args) as case:
        entries = (e.as_json() for e in case.ledger_entries())
        if args.json:
            _json_array(entries, sys.stdout)
        else:
            for e in entries:
                action, subject = shown(e["action"]), shown(e["subject"])
                print(f"{e['seq']:>6}  {e['at']}  {e['actor']}  {action:<16} {subject}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with _open(args) as case:
        report = verify_case(case, allow_untrusted=args.allow_untrusted)
        recorded, not_recorded = False, ""
        if not args.no_record:
            signer = _signer(args)
            try:
                record_verification(case, signer, report)
                recorded = True
            except CaseError as exc:  # e.g. the signer is not an examiner of this case
                not_recorded = str(exc)
    out = report.as_json() | {"recorded": recorded}
    if not_recorded:
        out["not_recorded"] = not_recorded
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        c = out["checked"]
        print(
            f"checked {c['entries']} ledger entries ({c['signatures']} signatures), "
            f"{c['checkpoints']} checkpoints ({c['witnessed_checkpoints']} witnessed outside "
            f"the case), {c['items']} items, {c['records']:,} records in "
            f"{c['extractions']} extractions, {c['blobs']} blobs "
            f"({c['blob_bytes']:,} bytes re-hashed)"
        )
        for f in report.failures:
            print(f"FAILED {f.kind}: {shown(f.subject)}: {shown(f.message)}", file=sys.stderr)
        for note in report.notes:
            print(f"NOTE {note}", file=sys.stderr)
        if not_recorded:
            print(f"not recorded: {not_recorded}", file=sys.stderr)
        print(
            "verification PASSED"
            if report.ok
            else f"verification FAILED ({len(report.failures)} problems)"
        )
    return 0 if report.ok else 1


def cmd_checkpoint(args: argparse.Namespace) -> int:
    signer = _signer(args)
    with _open(args) as case:
        cp = case.make_checkpoint(signer)
    print(
        json.dumps(cp.as_json(), indent=2)
        if args.json
        else f"checkpoint: size {cp.size}, root {cp.root}, signed by {cp.key_id}"
    )
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from workstation.gui.app import run_gui, run_tour  # Qt is imported only here
    except ImportError as exc:
        raise UsageError(
            f"the GUI needs PySide6 ({exc}); install with: pip install '.[gui]'"
        ) from exc
    if args.tour:
        if not args.case_dir:
            raise UsageError("--tour needs a CASE_DIR")
        for path in run_tour(Path(args.case_dir), Path(args.tour)):
            print(path)
        return 0
    return run_gui(Path(args.case_dir) if args.case_dir else None)


# --- parser --------------------------------------------------------------------------------


#: ``case_cmd(name, fn, help, json_flag=True)``: a sub-parser taking CASE_DIR, --db (and --json).
CaseCommand = Callable[..., argparse.ArgumentParser]
SubParsers = Any  # argparse's _SubParsersAction, which typeshed keeps private


def _parser() -> argparse.ArgumentParser:
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

    sp = case_cmd("init", cmd_init, "create a case folder, its database and ledger")
    sp.add_argument("--urn", required=True, help="police unique reference number")
    sp.add_argument("--title", required=True)
    sp.add_argument("--examiner", required=True, help="examiner's full name")
    sp.add_argument("--initials", required=True, help="examiner's initials (exhibit prefix)")
    sp.add_argument("--tz", default="Europe/London", help="the case's local time zone")

    sp = case_cmd("ingest", cmd_ingest, "acquire files, folders and archives into the case")
    sp.add_argument("paths", nargs="+", metavar="PATH")
    sp.add_argument("--source", default="", help="device or source description")
    sp.add_argument("--reason", default="", help="why these items are acquired")
    sp.add_argument("--tz", default="Europe/London", help="the source device's time zone")
    sp.add_argument("--examiner", help="initials of the acting examiner")
    d = ZipLimits()
    sp.add_argument(
        "--max-total-bytes",
        type=int,
        default=d.max_total_bytes,
        help="stop inflating an archive beyond this many bytes",
    )
    sp.add_argument(
        "--max-ratio",
        type=int,
        default=d.max_ratio,
        help="refuse members inflating more than N times their compressed size",
    )
    sp.add_argument("--max-members", type=int, default=d.max_members)
    sp.add_argument(
        "--max-depth", type=int, default=d.max_depth, help="how deep nested archives are walked"
    )
    sp.add_argument(
        "--skip-extractor",
        action="append",
        default=[],
        metavar="NAME",
        help="do not run this extractor (repeatable; recorded in the ledger)",
    )

    case_cmd("items", cmd_items, "list acquired items")
    case_cmd("ledger", cmd_ledger, "list custody ledger entries")
    case_cmd("messages", cmd_messages, "list extracted messages in time order")
    sp = case_cmd(
        "accounts",
        cmd_accounts,
        "list accounts, or link a profile picture: "
        "ews accounts CASE_DIR avatar ACCOUNT_ID PATH_OR_SHA256",
    )
    sp.add_argument("action", nargs="*", metavar="avatar ACCOUNT_ID PATH_OR_SHA256")
    sp.add_argument("--examiner", help="initials of the acting examiner")
    sp = case_cmd("verify", cmd_verify, "re-check the ledger, signatures, checkpoints and blobs")
    sp.add_argument("--examiner", help="initials of the examiner recording the verification")
    sp.add_argument(
        "--no-record",
        action="store_true",
        help="do not record a verify.run entry (read-only check)",
    )
    sp.add_argument(
        "--allow-untrusted",
        action="store_true",
        help="report signers this examiner does not trust as notes, not failures",
    )
    sp = sub.add_parser(
        "gui",
        help="open the workstation window",
        description="open the workstation window (optionally on a case)",
    )
    sp.add_argument("case_dir", nargs="?", metavar="CASE_DIR")
    sp.add_argument(
        "--tour",
        metavar="OUT_DIR",
        help="open each screen, save a PNG of each to OUT_DIR, and exit",
    )
    sp.set_defaults(func=cmd_gui)
    sp = case_cmd("checkpoint", cmd_checkpoint, "sign and store a checkpoint of the ledger")
    sp.add_argument("--examiner", help="initials of the signing examiner")

    # Commands of the later issues live in their own modules; each adds its sub-parsers here.
    from workstation import cli_aliases, cli_bundle, cli_trust

    cli_aliases.register(sub, case_cmd)
    cli_bundle.register(sub, case_cmd)
    cli_trust.register(sub, case_cmd)  # ews keys …, ews examiners …
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ews``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except EvidenceError as exc:
        print(f"ews: error: {shown(exc)}", file=sys.stderr)
        return 1
    except (sa.exc.DatabaseError, sqlite3.DatabaseError) as exc:
        # A damaged database file (a corrupt page) or a server refusing: one line, no trace.
        print(f"ews: error: {unexpected_error_line(exc)}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, IngestCancelled):
        print(
            "ews: interrupted; what was complete is recorded. Run the same command again "
            "to resume.",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # never a traceback for the examiner (EWS_DEBUG=1 shows one)
        if os.environ.get("EWS_DEBUG"):
            raise
        print(f"ews: error: {unexpected_error_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

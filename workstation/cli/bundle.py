"""``ews`` sub-commands of the bundle issue; registered by :mod:`workstation.cli`.

``ews exhibits CASE [add …] [--json]``, ``ews details CASE [--from FILE] [--json]`` and
``ews export CASE --file pre-charge|full --out PATH [--at RFC3339] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workstation.cli._common import CaseCommand, SubParsers, UsageError, open_case, signer_of
from workstation.textsafe import shown


def cmd_exhibits(args: argparse.Namespace) -> int:
    from exports.exhibits import KINDS, ExhibitKind, assign_exhibit, list_exhibits

    if args.action:
        if args.action != ["add"]:
            raise UsageError("usage: ews exhibits CASE_DIR add (--item|--thread|--messages) …")
        chosen: list[tuple[ExhibitKind, str]] = [
            (kind, value)
            for kind, value in zip(KINDS, (args.item, args.thread, args.messages), strict=True)
            if value
        ]
        if len(chosen) != 1:
            raise UsageError("give exactly one of --item SHA256, --thread ID, --messages ID,ID…")
        kind, value = chosen[0]
        values = value.split(",") if kind == "messages" else [value]
        signer = signer_of(args)
        with open_case(args) as case:
            ex = assign_exhibit(
                case, signer, kind, values, args.description or "", args.reason or ""
            )
        if args.json:
            print(json.dumps(ex.as_json(), indent=2, ensure_ascii=False))
        else:
            print(
                shown(f"exhibit {ex.ref} assigned: {ex.description} (ledger entry {ex.ledger_seq})")
            )
        return 0
    with open_case(args) as case:
        exhibits = list_exhibits(case)
    if args.json:
        print(json.dumps([e.as_json() for e in exhibits], indent=2, ensure_ascii=False))
    else:
        for e in exhibits:
            n, noun = (len(e.thread_ids), "thread") if e.thread_ids else (len(e.items), "item")
            what = f"{n} {noun}(s)"
            print(shown(f"{e.ref:<8} {e.kind:<9} {what:<12} {e.description}"))
    return 0


def cmd_details(args: argparse.Namespace) -> int:
    from exports.details import current_document, load_details_file, set_details

    if args.from_file:
        document = load_details_file(Path(args.from_file))
        signer = signer_of(args)
        with open_case(args) as case:
            set_details(case, signer, document, args.section)
            doc = current_document(case)
        if not args.json:
            what = f"section [{args.section}]" if args.section else "case details"
            print(f"{what} recorded from {args.from_file}")
            return 0
    else:
        if args.section:
            raise UsageError("--section needs --from FILE")
        with open_case(args) as case:
            doc = current_document(case)
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True))
    else:
        if not doc:
            print("no case details recorded; see `ews details CASE --from FILE` in docs/bundle.md")
        for section in sorted(doc):
            print(f"[{section}]")
            print(json.dumps(doc[section], indent=2, ensure_ascii=False, sort_keys=True))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from workstation.export import export_case

    signer = signer_of(args)
    progress = None
    if sys.stderr.isatty():

        def progress(stage: str, done: int, total: int) -> None:
            sys.stderr.write(f"\r{stage}: {done}/{total}   ")
            sys.stderr.flush()

    with open_case(args) as case:
        summary = export_case(
            case, signer, file_type=args.file, out=Path(args.out), at=args.at, progress=progress
        )
    if progress is not None:
        sys.stderr.write("\n")
    if args.json:
        print(json.dumps(summary.as_json(), indent=2, ensure_ascii=False))
    else:
        print(
            f"bundle {summary.bundle_id}: {summary.files} files\n"
            f"  zip:    {summary.zip_path}\n  folder: {summary.folder}"
        )
    return 0


def register(sub: SubParsers, case_cmd: CaseCommand) -> None:
    """Add this module's sub-commands to the ``ews`` parser."""
    # ews verify-bundle BUNDLE [--previous OLD] [--json]: listed here for --help only; the
    # command itself goes straight to the standalone verifier (workstation.entry), whose
    # parser is built there, so no other command imports it.
    sp = sub.add_parser("verify-bundle", help="check an exported bundle on its own", add_help=False)
    sp.add_argument("words", nargs=argparse.REMAINDER)
    sp = case_cmd("exhibits", cmd_exhibits, "list exhibits, or assign one: ews exhibits CASE add …")
    sp.add_argument("action", nargs="*", metavar="add")
    sp.add_argument("--item", metavar="SHA256", help="exhibit an item's bytes")
    sp.add_argument("--thread", metavar="THREAD_ID", help="exhibit a whole thread")
    sp.add_argument(
        "--messages",
        metavar="ID,ID…",
        help="exhibit messages (their whole thread in context, these highlighted)",
    )
    sp.add_argument("--description", help="what the exhibit is (printed in MG12)")
    sp.add_argument("--reason", help="why it is exhibited")
    sp.add_argument("--examiner", help="initials of the producing examiner")

    sp = case_cmd("details", cmd_details, "show case details, or record them from a TOML/JSON file")
    sp.add_argument("--from", dest="from_file", metavar="FILE", help="TOML (.toml) or JSON file")
    sp.add_argument("--section", help="record only this top-level section of the file")
    sp.add_argument("--examiner", help="initials of the recording examiner")

    sp = case_cmd("export", cmd_export, "write the evidential bundle (zip and folder)")
    sp.add_argument(
        "--file", required=True, choices=("pre-charge", "full"), help="which file to export"
    )
    sp.add_argument(
        "--out", required=True, help="a folder (gets <bundle_id>.zip and <bundle_id>/) or X.zip"
    )
    sp.add_argument("--at", help="export time, RFC 3339 (default: now); same time, same bytes")
    sp.add_argument("--examiner", help="initials of the signing examiner")

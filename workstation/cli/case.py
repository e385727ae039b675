"""``ews init``, ``ingest``, ``items``, ``messages``, ``accounts``, ``ledger``, ``verify``,
``checkpoint`` and ``gui``: the case itself.

Each command imports the core it calls when it runs (see :mod:`workstation.cli`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from chain_of_custody.containers import ZipLimits
from workstation.cli._common import (
    CaseCommand,
    SubParsers,
    UsageError,
    json_array,
    open_case,
    progress_printer,
    signer_of,
)
from workstation.textsafe import shown

# --- commands ------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from chain_of_custody import keys
    from chain_of_custody.case import Case
    from extractors.timeutil import zone

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
    from extractors import registry
    from workstation.ingest import IngestOptions, check_given, check_options, ingest_paths
    from workstation.ingest_backup import backup_password_source

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
        backup_password=backup_password_source(args.backup_password_file),
    )
    if args.whatsapp_key:
        os.environ["EWS_WHATSAPP_KEY"] = _whatsapp_key(args.whatsapp_key)
    check_options(options)
    check_given([Path(p) for p in args.paths])
    signer = signer_of(args)
    with open_case(args) as case:
        started = time.monotonic()
        summary = ingest_paths(
            case,
            signer,
            [Path(p) for p in args.paths],
            options,
            progress=progress_printer(sys.stderr),
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


def _whatsapp_key(given: str) -> str:
    """``--whatsapp-key``: a readable key file, or the 64 hexadecimal digits of the key."""
    text = given.strip()
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return text
    if Path(given).is_file():
        return str(Path(given).resolve())
    raise UsageError("--whatsapp-key: neither a key file nor 64 hexadecimal digits")


def cmd_items(args: argparse.Namespace) -> int:
    from workstation import queries

    with open_case(args) as case:
        rows = queries.iter_items(case)
        if args.json:
            json_array(rows, sys.stdout)
        else:
            for r in rows:
                flag = f"  [{len(r['warnings'])} warnings]" if r["warnings"] else ""
                mime, path = shown(r["mime"]), shown(r["path"])
                print(f"{r['sha256'][:16]}  {r['size']:>12,}  {mime:<28} {path}{flag}")
    return 0


def cmd_messages(args: argparse.Namespace) -> int:
    from workstation import queries

    with open_case(args) as case:
        rows = queries.iter_messages(case)
        if args.json:
            json_array(rows, sys.stdout)
        else:
            for m in rows:
                who = shown(m["sender"]["identifier"] or "-")
                at, platform = m["sent_at_utc"] or "?", shown(m["platform"])
                print(f"{at:<25} {platform:<10} {who:<24} {shown(m['text'])}")
    return 0


def cmd_accounts(args: argparse.Namespace) -> int:
    from workstation import accounts, queries

    if args.action:
        if args.action[0] != "avatar" or len(args.action) != 3:
            raise UsageError("usage: ews accounts CASE_DIR avatar ACCOUNT_ID PATH_OR_SHA256")
        signer = signer_of(args)
        with open_case(args) as case:
            link = accounts.link_avatar(case, signer, args.action[1], args.action[2])
        print(
            json.dumps(link.as_json(), indent=2)
            if args.json
            else f"linked {link.sha256[:16]}… to {link.account_id} (ledger entry {link.ledger_seq})"
        )
        return 0
    with open_case(args) as case:
        rows = queries.iter_accounts(case)
        if args.json:
            json_array(rows, sys.stdout)
        else:
            for a in rows:
                names = shown(", ".join(a["display_names"]) or "-")
                print(f"{shown(a['id']):<40} {names:<30} {a['messages']:>6} messages")
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    with open_case(args) as case:
        entries = (e.as_json() for e in case.ledger_entries())
        if args.json:
            json_array(entries, sys.stdout)
        else:
            for e in entries:
                action, subject = shown(e["action"]), shown(e["subject"])
                print(f"{e['seq']:>6}  {e['at']}  {e['actor']}  {action:<16} {subject}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from chain_of_custody.errors import CaseError
    from chain_of_custody.verify import record_verification, verify_case

    with open_case(args) as case:
        report = verify_case(case, allow_untrusted=args.allow_untrusted)
        recorded, not_recorded = False, ""
        if not args.no_record:
            signer = signer_of(args)
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
    signer = signer_of(args)
    with open_case(args) as case:
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


def register(sub: SubParsers, case_cmd: CaseCommand) -> None:
    """Add the case commands to the ``ews`` parser."""
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
        "--whatsapp-key",
        metavar="FILE|HEX",
        help="key of encrypted WhatsApp backups (.crypt14/.crypt15): the 'key' file or the "
        "64-digit backup key; never recorded (also EWS_WHATSAPP_KEY)",
    )
    sp.add_argument(
        "--backup-password-file",
        metavar="FILE",
        help="password of an encrypted iPhone backup (first line); else EWS_BACKUP_PASSWORD "
        "or a prompt; never recorded",
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

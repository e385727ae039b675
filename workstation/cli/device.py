"""``ews device`` and ``ews acquire`` (issue 13 §4-5); registered by :mod:`workstation.cli`.

``ews device CASE [--json]`` lists the devices received and what is recorded of each;
``ews device CASE receive --from NAME [--notice FILE] [--at TIME] [--by NAME]``,
``ews device CASE return --to NAME [--at TIME]`` and
``ews device CASE scope --scope-parties ... [--scope-from D] [--scope-to D] [--scope-apps A]``
record the custody and the agreement; ``ews acquire CASE --device ios|android [--out DIR]``
takes the data from an attached phone. See docs/device-live.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workstation.cli._common import CaseCommand, SubParsers, UsageError, open_case, signer_of
from workstation.textsafe import shown

if TYPE_CHECKING:
    from workstation.device.common import AcquireProgress
    from workstation.device.consent import DeviceCustody
    from workstation.device.scope import Scope


def _scope_of(args: argparse.Namespace) -> Scope | None:
    from workstation.device.scope import scope_from_options

    if not (args.scope_parties or args.scope_from or args.scope_to or args.scope_apps):
        return None
    return scope_from_options(args.scope_parties, args.scope_from, args.scope_to, args.scope_apps)


def _print_device(dev: DeviceCustody) -> None:
    print(f"{dev.device_id}  {shown(dev.description or '(no description)')}")
    print(
        f"  received {dev.received_at} from {shown(dev.received_from)} by {shown(dev.received_by)}"
    )
    if dev.notice_sha256:
        print(f"  signed notice {shown(dev.notice_name or '')} sha256 {dev.notice_sha256}")
    if dev.returned_at:
        to, held = shown(dev.returned_to or ""), dev.as_json()["held"]
        print(f"  returned {dev.returned_at} to {to}; held {held}")
    else:
        print("  not yet returned")
    if dev.scope is not None:
        s = dev.scope
        print(
            f"  scope: parties {shown(', '.join(s.parties) or 'any')}; from {s.start or 'any time'}"
            f" to {s.end or 'any time'}; apps {', '.join(s.apps) or 'any'}"
        )
    if dev.identity:
        facts = ", ".join(f"{k} {v}" for k, v in sorted(dev.identity.items()))
        print(f"  identified: {shown(facts)}")


def cmd_device(args: argparse.Namespace) -> int:
    from workstation.device import consent

    if args.action is None:
        with open_case(args) as case:
            found = consent.devices(case)
        if args.json:
            print(json.dumps([d.as_json() for d in found], indent=2, ensure_ascii=False))
        else:
            if not found:
                print("no device received in this case")
            for d in found:
                _print_device(d)
        return 0
    signer = signer_of(args)
    with open_case(args) as case:
        if args.action == "receive":
            if not args.from_:
                raise UsageError("receive needs --from NAME (who handed the device over)")
            dev = consent.record_receipt(
                case,
                signer,
                received_from=args.from_,
                description=args.description,
                at=args.at,
                received_by=args.by,
                notice=Path(args.notice) if args.notice else None,
            )
        elif args.action == "return":
            if not args.to:
                raise UsageError("return needs --to NAME (to whom the device went back)")
            dev = consent.record_return(
                case,
                signer,
                returned_to=args.to,
                device_id=args.device_id,
                at=args.at,
                returned_by=args.by,
            )
        else:
            scope = _scope_of(args)
            if scope is None:
                raise UsageError(
                    "scope needs --scope-parties, --scope-from, --scope-to or --scope-apps"
                )
            dev = consent.record_scope(case, signer, scope, device_id=args.device_id)
    if args.json:
        print(json.dumps(dev.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_device(dev)
    return 0


def _acquire_progress(stream: object) -> object:
    if not getattr(stream, "isatty", lambda: False)():
        return None

    def show(p: AcquireProgress) -> None:
        left = f", {p.seconds_left:,.0f} s left" if p.seconds_left is not None else ""
        if p.phase == "backup":  # idevicebackup2 gives a share of the backup, not bytes
            sys.stderr.write(f"\rbackup: {p.bytes_done}% done{left}   ")
            sys.stderr.flush()
            return
        sys.stderr.write(
            f"\r{p.phase}: {p.files} of {p.files_total} files, {p.bytes_done / 1e6:,.1f} of "
            f"{p.bytes_total / 1e6:,.1f} MB{left}   "
        )
        sys.stderr.flush()

    return show


def cmd_acquire(args: argparse.Namespace) -> int:
    from workstation.device.common import AcquireOptions

    scope = _scope_of(args)
    password = None
    if args.backup_password_file:
        password = Path(args.backup_password_file).read_text(encoding="utf-8").rstrip("\r\n")
    password = password or os.environ.get("EWS_BACKUP_PASSWORD") or None
    signer = signer_of(args)
    with open_case(args) as case:
        out = Path(args.out) if args.out else case.folder / "acquired"
        options = AcquireOptions(
            out=out,
            device_id=args.device_id,
            serial=args.serial,
            scope=scope,
            tz=args.tz,
            progress=_acquire_progress(sys.stderr),  # type: ignore[arg-type]
            backup_password=password,
        )
        if args.backup:
            if args.device != "ios":
                raise UsageError("--backup takes an iPhone backup folder: use --device ios")
            from workstation.device.ios import acquire_backup_folder

            summary = acquire_backup_folder(case, signer, Path(args.backup), options)
        elif args.device == "android":
            from workstation.device.android import acquire_android

            summary = acquire_android(case, signer, options)
        else:
            from workstation.device.ios import acquire_ios

            summary = acquire_ios(case, signer, options)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if args.json:
        print(json.dumps(summary.as_json(), indent=2, ensure_ascii=False))
    else:
        for w in summary.warnings:
            print(f"warning: {shown(w)}", file=sys.stderr)
        print(
            f"acquired {summary.device_id} ({summary.platform}) into {shown(summary.out)}: "
            f"{summary.files_pulled} files pulled ({summary.files_skipped} already pulled), "
            f"{summary.records_queried} provider rows, {summary.items} items ingested"
        )
    return 0


def _scope_flags(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--scope-parties",
        action="append",
        default=[],
        metavar="P,P",
        help="numbers, addresses or names the holder agreed to (repeatable)",
    )
    sp.add_argument(
        "--scope-from", metavar="DATE", help="start of the agreed window (date or RFC 3339)"
    )
    sp.add_argument(
        "--scope-to", metavar="DATE", help="end of the agreed window (a date: the whole day)"
    )
    sp.add_argument(
        "--scope-apps",
        action="append",
        default=[],
        metavar="APP,APP",
        help="platforms agreed to: sms, phone, whatsapp, imessage ... (repeatable)",
    )


def register(sub: SubParsers, case_cmd: CaseCommand) -> None:
    """Add ``device`` and ``acquire`` to the parser."""
    sp = case_cmd(
        "device",
        cmd_device,
        "devices received: list, or record receive / return / scope (PCSC Act 2022 s.37)",
    )
    sp.add_argument("action", nargs="?", choices=["receive", "return", "scope"])
    sp.add_argument("--from", dest="from_", metavar="NAME", help="who handed the device over")
    sp.add_argument("--to", metavar="NAME", help="to whom the device was returned")
    sp.add_argument("--at", metavar="TIME", help="when (RFC 3339 with zone; default now)")
    sp.add_argument("--by", metavar="NAME", help="the officer (default: the examiner)")
    sp.add_argument("--notice", metavar="FILE", help="the signed notice, acquired as an item")
    sp.add_argument("--description", default="", help="the device as seen: make, colour, case")
    sp.add_argument("--device-id", help="which device (device-1 ...) when more than one")
    sp.add_argument("--examiner", help="initials of the acting examiner")
    _scope_flags(sp)
    sp = case_cmd("acquire", cmd_acquire, "acquire an attached phone (idevicebackup2 or adb)")
    sp.add_argument("--device", required=True, choices=["ios", "android"])
    sp.add_argument(
        "--backup",
        metavar="DIR",
        help="an iPhone backup folder made elsewhere, instead of an attached phone",
    )
    sp.add_argument("--out", metavar="DIR", help="working folder (default CASE_DIR/acquired)")
    sp.add_argument("--device-id", help="the received device (device-1 ...) when more than one")
    sp.add_argument("--serial", metavar="ID", help="adb serial or iPhone UDID, when several")
    sp.add_argument("--tz", default="Europe/London", help="the phone's time zone")
    sp.add_argument(
        "--backup-password-file",
        metavar="FILE",
        help="an iPhone's existing backup password (or EWS_BACKUP_PASSWORD)",
    )
    sp.add_argument("--examiner", help="initials of the acting examiner")
    _scope_flags(sp)

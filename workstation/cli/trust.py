"""``ews`` sub-commands of trust (issue 12); registered by :mod:`workstation.cli`.

``ews keys trust PUBKEY_FILE --name NAME``, ``ews keys list [--json]``,
``ews keys export [--initials AB] [--out FILE]``, and
``ews examiners CASE [add PUBKEY_FILE --name NAME --initials AB] [--json]``.
See docs/keys.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workstation.cli._common import CaseCommand, SubParsers, UsageError, open_case, signer_of

if TYPE_CHECKING:
    from chain_of_custody import trust
    from chain_of_custody.keys import ExaminerIdentity


def cmd_keys_trust(args: argparse.Namespace) -> int:
    from chain_of_custody import keys, trust
    from chain_of_custody.keys import format_fingerprint

    pub = trust.read_public_key(Path(args.pubkey_file))
    initials = keys.check_initials(args.initials) if args.initials else ""
    key = trust.trust_key(pub, args.name, initials)
    if args.json:
        print(json.dumps(key.as_json(), indent=2, ensure_ascii=False))
    else:
        print(
            f"trusted {key.name} (key {key.key_id}, {key.source})\n"
            f"  fingerprint {format_fingerprint(key.fingerprint)}\n"
            "  compare it with the examiner by telephone or with the unit's published list"
        )
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from chain_of_custody import keys, trust
    from chain_of_custody.keys import format_fingerprint

    found = trust.trusted_keys()
    if args.json:
        print(json.dumps([k.as_json() for k in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print(f"no trusted keys in {keys.data_dir()}")
    for k in found:
        who = f"{k.name} ({k.initials})" if k.initials else k.name
        print(f"{k.source:<8} {who:<32} {format_fingerprint(k.fingerprint)}")
    return 0


def cmd_keys_export(args: argparse.Namespace) -> int:
    from chain_of_custody import keys, trust
    from chain_of_custody.keys import format_fingerprint

    initials = args.initials or keys.current_initials()
    if not initials:
        raise UsageError("no examiner: pass --initials AB or set EWS_EXAMINER")
    identity = keys.load_identity(initials)
    if identity is None:
        raise UsageError(f"no examiner {initials} in {keys.data_dir()}")
    text = trust.export_text(identity)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(
            f"public key of {identity.name} ({identity.initials}) written to {args.out}\n"
            f"  fingerprint {format_fingerprint(identity.fingerprint)}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0


def cmd_examiners(args: argparse.Namespace) -> int:
    from chain_of_custody import keys, trust
    from chain_of_custody.keys import ExaminerIdentity, format_fingerprint

    if args.action:
        if len(args.action) != 2 or args.action[0] != "add":
            raise UsageError(
                "usage: ews examiners CASE_DIR add PUBKEY_FILE --name NAME --initials AB"
            )
        if not args.name or not args.initials:
            raise UsageError("ews examiners add needs --name NAME and --initials AB")
        pub = trust.read_public_key(Path(args.action[1]))
        ident = ExaminerIdentity(
            args.name.strip(), keys.check_initials(args.initials), pub.public_key
        )
        signer = signer_of(args)
        with open_case(args) as case:
            entry = trust.add_examiner(case, signer, ident)
        trust.trust_key(pub, ident.name, ident.initials)  # the adding examiner vouches for it
        if args.json:
            print(json.dumps(_examiner_json(ident) | {"ledger_seq": entry.seq}, indent=2))
        else:
            print(
                f"examiner {ident.name} ({ident.initials}, key {ident.key_id}) added by "
                f"{signer.identity.initials} (ledger entry {entry.seq})\n"
                f"  fingerprint {format_fingerprint(ident.fingerprint)}"
            )
        return 0
    with open_case(args) as case:
        examiners = sorted(case.examiners().values(), key=lambda e: e.initials)
    trusted = trust.trusted_fingerprints()
    if args.json:
        out = [
            _examiner_json(e) | {"trusted": e.fingerprint in trusted, "source": _source(trusted, e)}
            for e in examiners
        ]
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for e in examiners:
            print(
                f"{e.initials:<6} {e.name:<28} {format_fingerprint(e.fingerprint)}  "
                f"{_source(trusted, e) or 'NOT TRUSTED here'}"
            )
    return 0


def _source(trusted: dict[str, trust.TrustedKey], e: ExaminerIdentity) -> str:
    k = trusted.get(e.fingerprint)
    return k.source if k else ""


def _examiner_json(e: ExaminerIdentity) -> dict[str, str]:
    return {
        "name": e.name,
        "initials": e.initials,
        "key_id": e.key_id,
        "public_key": e.public_key,
        "fingerprint": e.fingerprint,
    }


def register(sub: SubParsers, case_cmd: CaseCommand) -> None:
    """Add ``keys`` and ``examiners`` to the ``ews`` parser."""
    kp = sub.add_parser(
        "keys",
        help="the keys this examiner trusts: trust, list, export",
        description="the keys this examiner's data folder trusts (see docs/keys.md)",
    )
    ksub = kp.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    sp = ksub.add_parser("trust", help="trust another examiner's public key file")
    sp.add_argument("pubkey_file", metavar="PUBKEY_FILE")
    sp.add_argument("--name", required=True, help="who holds the key")
    sp.add_argument("--initials", help="their initials")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=cmd_keys_trust)
    sp = ksub.add_parser("list", help="list trusted keys (own, trusted, unit)")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=cmd_keys_list)
    sp = ksub.add_parser("export", help="write an examiner's public key file")
    sp.add_argument("--initials", help="which examiner (default: the current one)")
    sp.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    sp.set_defaults(func=cmd_keys_export)

    sp = case_cmd(
        "examiners",
        cmd_examiners,
        "list the case's examiners, or add one: ews examiners CASE add PUBKEY_FILE "
        "--name NAME --initials AB",
    )
    sp.add_argument("action", nargs="*", metavar="add PUBKEY_FILE")
    sp.add_argument("--name", help="the new examiner's full name")
    sp.add_argument("--initials", help="the new examiner's initials (exhibit prefix)")
    sp.add_argument("--examiner", help="initials of the acting examiner (who adds them)")

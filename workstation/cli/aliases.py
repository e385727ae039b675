"""``ews aliases`` and ``ews timeline`` (issue 5); registered by :mod:`workstation.cli`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from workstation.cli._common import CaseCommand, SubParsers, UsageError, open_case, signer_of
from workstation.textsafe import shown

_USAGE = (
    "usage: ews aliases CASE_DIR [--json] | confirm A B [--note N] | reject A B [--note N] "
    "| undo A B | label GROUP_ID LABEL"
)


def cmd_aliases(args: argparse.Namespace) -> int:
    from workstation import aliases

    action = args.action
    if not action:
        return _list(args)
    verb, rest = action[0], action[1:]
    if verb in ("confirm", "reject", "undo") and len(rest) == 2:
        with open_case(args) as case:
            s = aliases.decide(case, signer_of(args), rest[0], rest[1], verb, args.note)
        if args.json:
            print(json.dumps(s.as_json(), indent=2, ensure_ascii=False))
        else:
            print(shown(f"{s.a} ~ {s.b}: {s.status} (ledger entry {s.ledger_seq})"))
        return 0
    if verb == "label" and len(rest) == 2:
        with open_case(args) as case:
            g = aliases.label(case, signer_of(args), rest[0], rest[1])
        if args.json:
            print(json.dumps(g.as_json(), indent=2, ensure_ascii=False))
        else:
            print(shown(f"group {g.id} labelled {g.label!r}: {', '.join(g.accounts)}"))
        return 0
    raise UsageError(_USAGE)


def _list(args: argparse.Namespace) -> int:
    from workstation import aliases

    with open_case(args) as case:
        report = aliases.analyse(case, max_suggestions=args.max_suggestions)
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return 0
    for g in report.groups:
        print(shown(f"group {g.id} {g.label or '(no label)'}: {', '.join(g.accounts)}"))
    for s in report.suggestions:
        print(shown(f"{s.score:.2f} {s.strength:<6} {s.status:<9} {s.a} ~ {s.b}"))
        for r in s.reasons:
            print(shown(f"      {r.signal} ({r.weight:.2f}): {r.text}"))
    for note in report.notes:
        print(f"note: {shown(note)}")
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    from workstation import timeline

    with open_case(args) as case:
        words = timeline.KeywordList.for_case(case, Path(args.keywords) if args.keywords else None)
        result = timeline.build(
            case,
            keywords=words,
            include_ungrouped=args.ungrouped,
            include_outside_scope=args.include_outside_scope,
        )
    out = result.as_json()
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    k = out["keywords"]
    print(f"threat keywords: {k['count']} from {k['source']} list {k['path']}")
    for g in out["groups"]:
        c = g["counts"]
        span = f"{g['first_contact']} to {g['last_contact']}"
        print(
            shown(
                f"{g['id']} {g['label'] or '(no label)'}: {c['messages']} messages, "
                f"{c['calls']} calls, {span}; {len(g['threats'])} threats"
            )
        )
        print(f"    {g['trend']['text']}")
    return 0


class _Intermixed(argparse.ArgumentParser):
    """A parser taking positionals from anywhere among the options: with plain argparse,
    ``ews aliases CASE_DIR --db URL confirm A B`` fails, as the optional decision words are
    settled (as none) when ``--db`` splits them from CASE_DIR."""

    _inner = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._inner:  # parse_known_intermixed_args calls back here for its two passes
            return super().parse_known_args(args, namespace)
        self._inner = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inner = False


def register(sub: SubParsers, case_cmd: CaseCommand) -> None:
    """Add this module's sub-commands to the ``ews`` parser."""
    del sub
    sp = case_cmd(
        "aliases",
        cmd_aliases,
        "suggested links between accounts and the alias groups; confirm, reject, undo, label",
    )
    sp.add_argument(
        "action",
        nargs="*",
        metavar="confirm|reject|undo A B | label GROUP_ID LABEL",
        help="a decision (a ledger entry); none lists suggestions and groups",
    )
    sp.__class__ = _Intermixed
    sp.add_argument("--note", default="", help="the examiner's reason for a decision")
    sp.add_argument("--examiner", help="initials of the acting examiner")
    sp.add_argument(
        "--max-suggestions",
        type=int,
        default=5000,
        help="list at most this many undecided suggestions (strongest first)",
    )
    sp = case_cmd("timeline", cmd_timeline, "each alias group's messages and calls in time order")
    sp.add_argument("--keywords", metavar="FILE", help="threat keyword list (one per line)")
    sp.add_argument(
        "--ungrouped",
        action="store_true",
        help="also list every account not in a group that sent messages or made calls",
    )
    sp.add_argument(
        "--include-outside-scope",
        action="store_true",
        help="also count records outside the agreed scope of a device acquisition "
        "(left out by default; see docs/device-live.md)",
    )

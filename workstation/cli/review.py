"""``ews tag``, ``ews untag`` and ``ews tags`` (issue 15 §2); registered by :mod:`workstation.cli`.

``ews tag CASE TARGET TAG [--note N]`` records a ``tag.added`` ledger entry, ``ews untag``
a ``tag.removed`` one; ``ews tags CASE [--json]`` lists the tags as they stand. TARGET is
``message:ID``, ``item:ID``, ``item:SHA256`` or ``thread:KEY``. See docs/review.md.
"""

from __future__ import annotations

import argparse
import json

from workstation.cli._common import CaseCommand, SubParsers, open_case, signer_of
from workstation.textsafe import shown


def cmd_tag(args: argparse.Namespace) -> int:
    from workstation import review

    signer = signer_of(args)
    with open_case(args) as case:
        view = review.tag(case, signer, args.target, args.tag, args.note or "")
    if args.json:
        print(json.dumps(view.as_json(), indent=2, ensure_ascii=False))
    else:
        print(f"tagged {shown(view.target.text)} {view.tag} (ledger entry {view.ledger_seq})")
    return 0


def cmd_untag(args: argparse.Namespace) -> int:
    from workstation import review

    signer = signer_of(args)
    with open_case(args) as case:
        made = review.untag(case, signer, args.target, args.tag, args.note or "")
    if args.json:
        print(json.dumps({"target": made.subject, "tag": args.tag, "ledger_seq": made.seq}))
    else:
        print(f"untagged {shown(made.subject)} {shown(args.tag)} (ledger entry {made.seq})")
    return 0


def cmd_tags(args: argparse.Namespace) -> int:
    from workstation import review

    with open_case(args) as case:
        tags = review.current_tags(case)
    if args.json:
        print(json.dumps([t.as_json() for t in tags], indent=2, ensure_ascii=False))
        return 0
    if not tags:
        print("no tags in this case")
    for t in tags:
        note = f"  {shown(t.note)}" if t.note else ""
        print(
            f"{shown(t.target.text)}  {t.tag}  by {shown(t.examiner)} at {t.at} "
            f"(entry {t.ledger_seq}){note}"
        )
    return 0


def register(sub: SubParsers, case_cmd: CaseCommand) -> None:
    """Add ``tag``, ``untag`` and ``tags`` to the ``ews`` parser."""
    del sub
    target_help = "message:ID, item:ID, item:SHA256 (every item with those bytes) or thread:KEY"
    sp = case_cmd("tag", cmd_tag, "tag a message, item or thread for the review (signed)")
    sp.add_argument("target", metavar="TARGET", help=target_help)
    sp.add_argument(
        "tag",
        metavar="TAG",
        help="relevant, not-relevant, sensitive, privileged, needs-redaction or a label "
        "(lowercase letters, digits, '-', at most 40)",
    )
    sp.add_argument("--note", help="why; required for not-relevant (the MG6C prints it)")
    sp.add_argument("--examiner", help="initials of the acting examiner")

    sp = case_cmd("untag", cmd_untag, "take a review tag off a target (signed)")
    sp.add_argument("target", metavar="TARGET", help=target_help)
    sp.add_argument("tag", metavar="TAG")
    sp.add_argument("--note", help="why the tag is taken off")
    sp.add_argument("--examiner", help="initials of the acting examiner")

    case_cmd("tags", cmd_tags, "list the review tags as they stand")

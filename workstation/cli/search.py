"""``ews search`` (issue 15 §1); registered by :mod:`workstation.cli`.

``ews search CASE QUERY [--regex] [--in messages|items|accounts|all] [--limit N] [--json]``
and ``ews search CASE --saved [--examiner AB] [--json]``, which runs the digital strategy's
keywords and records each run. See docs/search.md.
"""

from __future__ import annotations

import argparse
import json
import sys

from workstation.cli._common import CaseCommand, SubParsers, UsageError, open_case, signer_of
from workstation.textsafe import shown


def cmd_search(args: argparse.Namespace) -> int:
    from workstation import search

    if args.saved:
        if args.query is not None or args.regex or args.scope != "all":
            raise UsageError(
                "search --saved runs the case's keywords: give no QUERY, --regex or --in"
            )
        with open_case(args) as case:
            runs = search.run_saved(case, signer_of(args))
        if args.json:
            print(json.dumps([r.as_json() for r in runs], indent=2, ensure_ascii=False))
        else:
            for r in runs:
                print(shown(f"{r.query!r}: {len(r.hits)} hits (ledger entry {r.ledger_seq})"))
        return 0
    if args.query is None:
        raise UsageError("usage: ews search CASE_DIR QUERY [--regex] [--in ...] | --saved")
    if args.limit is not None and args.limit < 1:
        raise UsageError("search: --limit must be 1 or more")
    with open_case(args) as case:
        if args.rebuild:
            search.rebuild_index(case)
        hits = search.search(case, args.query, regex=args.regex, scope=args.scope, limit=args.limit)
    if args.json:
        print(json.dumps([h.as_json() for h in hits], indent=2, ensure_ascii=False))
        return 0
    for h in hits:
        print(shown(f"{h.kind} {h.id} {h.field}: {h.snippet}"))
    print(f"{len(hits)} hits", file=sys.stderr)
    return 0


def register(sub: SubParsers, case_cmd: CaseCommand) -> None:
    """Add ``ews search`` to the ``ews`` parser."""
    del sub
    sp = case_cmd(
        "search",
        cmd_search,
        "find text in messages, e-mail subjects, file names and accounts (substring, "
        "case- and accent-insensitive), or run the digital strategy's keywords (--saved)",
    )
    sp.add_argument("query", nargs="?", metavar="QUERY", help="the text (or --regex pattern)")
    sp.add_argument("--regex", action="store_true", help="QUERY is a regular expression")
    sp.add_argument(
        "--in",
        dest="scope",
        choices=("messages", "items", "accounts", "all"),
        default="all",
        help="what to search (default: all)",
    )
    sp.add_argument("--limit", type=int, help="at most this many hits")
    sp.add_argument(
        "--saved",
        action="store_true",
        help="run each keyword of the case details' digital strategy (a search.run entry each)",
    )
    sp.add_argument(
        "--rebuild",
        action="store_true",
        help="build the search index again from the records first (it is derived data)",
    )
    sp.add_argument("--examiner", help="initials of the acting examiner (with --saved)")

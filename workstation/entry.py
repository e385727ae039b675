"""The ``ews`` entry point.

``ews verify-bundle`` is what a recipient runs: it goes straight to the standalone verifier
(standard library and cryptography only), so the check does not wait ~1 s for the database,
extractor and PDF code to import. Every other command goes to :mod:`workstation.cli`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ews``; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["verify-bundle"]:
        from exports import verify_bundle

        parser = argparse.ArgumentParser(
            prog="ews verify-bundle", description=verify_bundle.DESCRIPTION
        )
        return verify_bundle.run(verify_bundle.configure(parser).parse_args(args[1:]))
    if args[:1] == ["ingest"] and (refused := _special_file_given(args)):
        print(f"ews: error: {refused}", file=sys.stderr)  # before the CLI's ~1 s of imports
        return 1
    from workstation.cli import main as cli_main

    return cli_main(args)


#: ``ews ingest`` options that take a value (the rest of the words are CASE_DIR and PATHs).
_INGEST_VALUE_OPTIONS = frozenset(
    {
        "--db",
        "--source",
        "--reason",
        "--tz",
        "--examiner",
        "--max-total-bytes",
        "--max-ratio",
        "--max-members",
        "--max-depth",
        "--skip-extractor",
        "--whatsapp-key",
    }
)


def _special_file_given(args: list[str]) -> str | None:
    """The refusal for a FIFO, socket or device among ``ews ingest``'s paths, found at once.

    The full parser in workstation.cli refuses the same later; this only answers sooner.
    """
    from chain_of_custody.acquire import special_file_refusal

    words, skip = [], False
    for a in args[1:]:
        if skip:
            skip = False
        elif a.startswith("-"):
            skip = a in _INGEST_VALUE_OPTIONS
        else:
            words.append(a)
    for path in words[1:]:
        refusal = special_file_refusal(path)
        if refusal is not None:
            return refusal
    return None


if __name__ == "__main__":
    sys.exit(main())

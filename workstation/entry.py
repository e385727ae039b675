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
    from workstation.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())

"""``python -m workstation.cli``: the same as ``ews``."""

import sys

from workstation.cli import main

sys.exit(main())

"""What a screen needs to act on the open case: the lane, the case, the examiner, the zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from workstation.gui.lane import Job, Lane


@dataclass
class Session:
    """The open case as the screens see it; ``changed`` asks the window to refresh."""

    lane: Lane
    case: Case
    signer: Signer | None
    tz: str
    changed: Callable[[], None]

    def run(
        self,
        name: str,
        work: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException, str], None] | None = None,
    ) -> None:
        """Submit work to the serial lane; errors without a handler reach the error dialog."""
        self.lane.submit(Job(name, work, on_done=on_done, on_error=on_error))

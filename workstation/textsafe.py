"""Text from evidence made safe for a terminal (plain-text output and warnings).

File names, member names, message texts and display names come from the evidence, i.e.
from whoever made it. Printed as they are, an ESC sequence can rewrite the examiner's
terminal, a carriage return or newline can forge a line of output, and a bidirectional
override can make ``evil‮txt.exe`` read as ``evilexe.txt``. ``shown`` escapes those
characters visibly (``\\x1b``, ``\\r``, ``\\u202e``); what is stored and what ``--json``
prints are never changed.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, bidirectional marks, embeddings, overrides and isolates, line and
# paragraph separators, and lone surrogates (undecodable bytes of a file name).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object) -> str:
    """``str(text)`` with control, bidi and separator characters escaped for display."""
    return _UNSAFE.sub(_escape, str(text))


def unexpected_error_line(exc: BaseException) -> str:
    """One line for an error the workstation did not foresee (a damaged database, a bug)."""
    import sqlalchemy.exc

    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.orig is not None:
        cause: BaseException = exc.orig
    else:
        cause = exc
    first = (str(cause).strip().splitlines() or [""])[0]
    if isinstance(exc, sqlalchemy.exc.DatabaseError) or type(cause).__name__ == "DatabaseError":
        damaged = any(w in first for w in ("malformed", "not a database", "corrupt"))
        hint = (
            "; it is damaged: restore it from a copy, and keep the damaged one for examination"
            if damaged
            else ""
        )
        return shown(f"the case database failed: {first}{hint}")
    return shown(f"unexpected {type(cause).__name__}: {first} (EWS_DEBUG=1 shows the details)")

"""Tapbacks in sms.db: the reactions Messages stores as rows of their own.

A tapback is a ``message`` row whose ``associated_message_type`` is 2000-2007 (love, like,
dislike, laugh, emphasis, question, an emoji in ``associated_message_emoji`` from iOS 17,
a sticker) or 3000-3007 (the same reaction taken back), and whose
``associated_message_guid`` names the target (``p:0/GUID``, ``bp:GUID``). They are read
first and put on their target as ``Message.reactions`` ({"actor", "reaction", "at"} as
canonical JSON); a reaction taken back is removed. A tapback whose target is not in the
database stays a message of its own.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

from extractors._ios_common import cocoa_to_utc
from extractors._sqlite import table_columns

_REACTIONS = {2000: "❤️", 2001: "👍", 2002: "👎", 2003: "😂", 2004: "‼️", 2005: "❓",
              2007: "sticker"}  # fmt: skip
HOLDER_ACTOR = "(phone holder)"


def target_guid(guid: object) -> str | None:
    """The GUID a tapback or reply refers to: ``p:0/GUID`` and ``bp:GUID`` name a part."""
    if not guid:
        return None
    text = str(guid)
    if "/" in text:
        return text.split("/", 1)[1]
    return text[3:] if text.startswith("bp:") else text


def load_tapbacks(
    conn: sqlite3.Connection, handles: dict[int, str]
) -> tuple[dict[str, tuple[str, ...]], set[int]]:
    """Reactions by target GUID, and the ROWIDs of the tapbacks they came from."""
    columns = table_columns(conn, "message")
    if not {"associated_message_type", "associated_message_guid"} <= columns:
        return {}, set()
    emoji = "associated_message_emoji" if "associated_message_emoji" in columns else "NULL"
    rows = conn.execute(
        f"SELECT ROWID, associated_message_guid, associated_message_type, is_from_me, "
        f"handle_id, date, {emoji} FROM message "
        "WHERE associated_message_type BETWEEN 2000 AND 3999 ORDER BY ROWID"
    )
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    used: set[int] = set()
    exists: dict[str, bool] = {}
    for rowid, guid, kind, from_me, handle_id, date, symbol in rows:
        target = target_guid(guid)
        if target is None or not isinstance(kind, int):
            continue
        if target not in exists:
            hit = conn.execute("SELECT 1 FROM message WHERE guid = ?", (target,)).fetchone()
            exists[target] = hit is not None
        if not exists[target]:
            continue
        used.add(rowid)
        base = 2000 + kind % 1000
        reaction = (
            str(symbol) if base == 2006 and symbol else _REACTIONS.get(base, f"tapback {base}")
        )
        actor = HOLDER_ACTOR if from_me else handles.get(handle_id or 0, "")
        entry = {"actor": actor, "reaction": reaction}
        if kind >= 3000:  # taken back: the last such reaction of this actor goes
            for i in range(len(found[target]) - 1, -1, -1):
                if {k: found[target][i][k] for k in ("actor", "reaction")} == entry:
                    del found[target][i]
                    break
            continue
        if (at := cocoa_to_utc(date)) is not None:
            entry["at"] = at
        found[target].append(entry)
    reactions = {
        t: tuple(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                 for e in entries)
        for t, entries in found.items() if entries
    }  # fmt: skip
    return reactions, used

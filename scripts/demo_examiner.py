"""The demo examiner's decisions on the demo case (case-alpha), through the same core the CLI
and the GUI call: confirm the strong alias links among the suspect's accounts (in a real case
the examiner checks each reason first), label the group, and exhibit his chats and a
screenshot. Prints one line per decision.

Usage: python scripts/demo_examiner.py CASE_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import sqlalchemy as sa

from chain_of_custody import keys
from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.db import read_connection
from exports.exhibits import assign_exhibit
from workstation import aliases

SUSPECT_ACCOUNT = "whatsapp:+447700900987"


def main(case_dir: Path) -> int:
    signer = keys.unlock_examiner(keys.current_initials() or "DE")
    with Case.open(case_dir) as case:
        report = aliases.analyse(case)
        suspect = report.strong_component(SUSPECT_ACCOUNT)
        joined = {a: a for a in suspect}

        def root(a: str) -> str:
            while joined[a] != a:
                a = joined[a]
            return a

        # strongest first; a link that joins nothing new is left as a suggestion
        for s in sorted(report.suggestions, key=lambda s: -s.score):
            if s.strength == "strong" and s.a in suspect and s.b in suspect:
                if root(s.a) == root(s.b):
                    continue
                joined[root(s.a)] = root(s.b)
                aliases.decide(case, signer, s.a, s.b, "confirm", "reasons checked (demo)")
                why = ", ".join(r.signal for r in s.reasons)
                print(f"confirmed {s.a} = {s.b} (score {s.score:.2f}: {why})")
        group = next(g for g in aliases.groups(case) if SUSPECT_ACCOUNT in g.accounts)
        aliases.label(case, signer, group.id, "Suspect A (Daniel Mercer)")
        print(f"group {group.id}: {len(group.accounts)} accounts labelled Suspect A")
        for thread, text in [
            ("whatsapp:+44 7700 900987", "WhatsApp chat with +44 7700 900987 (iPhone export)"),
            ("whatsapp:Dan", "WhatsApp chat with 'Dan' (Samsung export)"),
        ]:
            ex = assign_exhibit(case, signer, "thread", [thread], text, "threats and contact")
            print(f"exhibit {ex.ref}: {text}")
        with read_connection(case.engine) as conn:
            shot = conn.execute(
                sa.select(T_ITEM.c.sha256).where(T_ITEM.c.name.like("Screenshot_20240412%"))
            ).scalar_one()
        ex = assign_exhibit(case, signer, "item", [shot], "Screenshot of SMS, 12 April 2024", "")
        print(f"exhibit {ex.ref}: screenshot {shot[:16]}…")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

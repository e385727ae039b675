"""Alias grouping at scale (issue 5): ``aliases.analyse`` over 100,000 synthetic accounts.

The generator (``generate``) writes account, picture and message rows straight into a new
case's tables, as extractors would have left them: names drawn from common first names and
surnames (so big blocks like "Mum" and "John Smith" occur), ~15% of people with a second or
third account (spelling variants, look-alike letters, the same phone written another way, the
same email in other case, the same or a re-compressed profile picture), 2% on one default
avatar, 1,500 accounts named "Mum", and 20,000 messages in titled threads, some giving a
number; spread over ten ingest sources ("Phone N"), each with its holder's account.

With ``--alpha`` it measures quality instead (issue 16 §3): case-alpha
(``tests/data/case_alpha``) is ingested three times: with every evidence file handed over
under one ``--source`` (as a victim hands over a folder); under the sources the demo uses
(``scripts/demo``: her Samsung, her iPhone, her account downloads, the profile pictures the
examiner saved); and as one folder that also holds two exports a friend made on her own
phone and forwarded to the victim (``tests/data/forwarded_exports.py``: the friend's chat
with her and the friend's group chat). The links the analysis proposes are scored against
``truth.json`` (plus the friend's accounts) by pairwise precision and recall (two accounts
are predicted to be one person when the links connect them; every pair of accounts is
counted), without examiner decisions and with the demo examiner's
(``scripts/demo_examiner.py``: confirm the strong links among the suspect's accounts). No
profile picture is linked to an account (the demo links none).

Usage: python bench/bench_aliases.py [--accounts 100000] [--out bench/out]
       python bench/bench_aliases.py --alpha [--out bench/out]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody.case import T_ITEM, Case
from chain_of_custody.keys import get_or_create_examiner
from chain_of_custody.models import (
    AccountAvatar,
    AccountRecord,
    Extraction,
    ImageMetaRecord,
    MessageRecord,
)
from workstation import aliases


def _names(text: str) -> list[str]:
    return text.split()


FIRST = _names(
    "John James David Daniel Michael Sarah Emma Olivia Sophie Jessica Mohammed "
    "Ali Wei Priya Ana Luca Chloé Zoë Siobhán Tomasz Jan Ahmed Grace Ella Jack "
    "Harry Oliver Noah Amelia Isla Ava Leo Freddie Arthur Mia Lily Ivy Rosie "
    "Sofia Yusuf Omar Aisha "
)
LAST = _names(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Khan Evans "
    "Thomas Roberts Wright Walker White Hall Green Wood Martin Lewis Clarke Mercer "
    "Price Turner Dubois Kowalski Nowak Murphy O'Brien Ng Chen Singh Ahmed Hughes "
    "Edwards Hill Moore "
)
CONFUSE = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р"}  # Cyrillic look-alikes
PLATFORMS = ("facebook", "instagram", "whatsapp", "sms", "telegram", "x", "email")
SOURCES = 10


def _variant(rng: random.Random, name: str) -> str:
    how = rng.randrange(4)
    if how == 0:  # doubled letter
        i = rng.randrange(len(name))
        return name[:i] + name[i] + name[i:]
    if how == 1:  # a look-alike letter
        i = next((i for i, ch in enumerate(name) if ch in CONFUSE), 0)
        return name[:i] + CONFUSE.get(name[i], name[i]) + name[i + 1 :]
    if how == 2:  # handle style
        return name.lower().replace(" ", rng.choice("._")) + rng.choice(["", "_", ".x", "88"])
    return name.split()[0][0] + " " + name.split()[-1]  # initial and surname


def _rows(n: int, rng: random.Random) -> tuple[list[dict[str, Any]], dict[str, str], list[str]]:
    """Accounts, each account's picture hash, and message texts."""
    accounts: list[dict[str, Any]] = []
    pictures: dict[str, str] = {}
    default_avatar = "ffff0000ffff0000"
    while len(accounts) < n:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if rng.random() < 0.015:
            name = "Mum"
        phone = f"+4477009{rng.randrange(10**5):05d}"
        email = f"{name.split()[0].lower()}{rng.randrange(10**4)}@mail.example.com"
        phash = f"{rng.getrandbits(64):016x}"
        for copy in range(1 if rng.random() > 0.15 else rng.choice((2, 3))):
            plat = rng.choice(PLATFORMS)
            key = f"{plat}:{uuid.UUID(int=rng.getrandbits(128))}"
            shown = name if copy == 0 else _variant(rng, name)
            acc: dict[str, Any] = {"account_key": key, "platform": plat, "display_name": shown}
            if plat in ("sms", "whatsapp") or rng.random() < 0.2:
                acc["phone_raw"] = phone if copy == 0 else "0" + phone[3:7] + " " + phone[7:]
                acc["phone_e164"] = phone  # as the extractors store it
            if plat == "email" or rng.random() < 0.1:
                acc["email"] = email if copy == 0 else email.upper()
            if rng.random() < 0.3:
                flip = 1 << rng.randrange(64) if copy else 0  # re-compressed: one bit off
                pictures[key] = f"{int(phash, 16) ^ flip:016x}"
            elif rng.random() < 0.02:
                pictures[key] = default_avatar
            accounts.append(acc)
    texts = [
        f"Call me on 07700 9{rng.randrange(10**5):05d}"
        if rng.random() < 0.05
        else f"Message {rng.randrange(10**6)} about nothing much at all"
        for _ in range(20000)
    ]
    return accounts[:n], pictures, texts  # fmt: skip


def generate(case: Case, n: int, seed: int = 5) -> None:
    """Write n synthetic accounts (with pictures and messages) into the case's tables."""
    rng = random.Random(seed)
    accounts, pictures, texts = _rows(n, rng)
    cid = case.case_id
    with case.engine.begin() as conn:
        sources = []  # ten devices, each with its holder's own account
        for n in range(SOURCES):
            item_id, ext = str(uuid.uuid4()), str(uuid.uuid4())
            conn.execute(
                sa.insert(T_ITEM),
                {
                    "id": item_id,
                    "case_id": cid,
                    "sha256": f"{n:064x}",
                    "size": 0,
                    "mime": "text/plain",
                    "name": f"synthetic-{n}",
                    "path": f"synthetic-{n}",
                    "acquired_at": "2024-01-01T00:00:00Z",
                    "acquired_by": "BE",
                    "source": f"Phone {n} (synthetic)",
                    "reason": "bench",
                    "ledger_seq": 0,
                },
            )
            conn.execute(sa.insert(Extraction.__table__), {  # type: ignore[attr-defined]
                "id": ext, "case_id": cid, "item_id": item_id, "extractor": "bench",
                "version": "1", "status": "complete", "record_count": n, "warning_count": 0,
                "merkle_root": "0" * 64, "ledger_seq": 0})  # fmt: skip
            sources.append({"case_id": cid, "extraction_id": ext, "item_id": item_id,
                            "loc_sha256": "0" * 64, "loc_path": "synthetic"})  # fmt: skip
        loc = sources[0]
        cols = ("display_name", "phone_raw", "phone_e164", "email", "is_owner")
        owners = [{"account_key": f"whatsapp:holder{n}", "platform": "whatsapp",
                   "display_name": "You", "is_owner": True} for n in range(SOURCES)]  # fmt: skip
        conn.execute(
            sa.insert(AccountRecord.__table__),  # type: ignore[attr-defined]
            [{**sources[i % SOURCES], "ordinal": i, **dict.fromkeys(cols), "is_owner": False,
              **a} for i, a in enumerate(accounts + owners)],
        )  # fmt: skip
        senders = [a["account_key"] for a in accounts]
        conn.execute(
            sa.insert(MessageRecord.__table__),  # type: ignore[attr-defined]
            [{**sources[i % SOURCES], "ordinal": i, "platform": "sms", "thread_id": f"t{i % 500}",
              "thread_title": f"Chat {i % 500}", "kind": "text",
              "sender_key": rng.choice(senders), "text": t} for i, t in enumerate(texts)],
        )  # fmt: skip
        items, metas, avatars = [], [], []
        for i, (key, phash) in enumerate(pictures.items()):
            pid, sha = str(uuid.uuid4()), hashlib.sha256(f"{key}{phash}".encode()).hexdigest()
            items.append({"id": pid, "case_id": cid, "sha256": sha, "size": 1,
                          "mime": "image/jpeg", "name": f"{i}.jpg", "path": f"{i}.jpg",
                          "acquired_at": "2024-01-01T00:00:00Z", "acquired_by": "BE",
                          "source": "bench", "reason": "bench", "ledger_seq": 0})  # fmt: skip
            metas.append({**loc, "item_id": pid, "ordinal": 0, "phash": phash})
            avatars.append({"case_id": cid, "account_key": key, "item_id": pid, "sha256": sha,
                            "ledger_seq": 0})  # fmt: skip
        conn.execute(sa.insert(T_ITEM), items)
        conn.execute(sa.insert(ImageMetaRecord.__table__), metas)  # type: ignore[attr-defined]
        conn.execute(sa.insert(AccountAvatar.__table__), avatars)  # type: ignore[attr-defined]


# --- quality on case-alpha (--alpha) ------------------------------------------------------

ALPHA = Path(__file__).resolve().parents[1] / "tests" / "data" / "case_alpha"
#: The sources ``scripts/demo`` ingests case-alpha under (one per device or hand-over).
DEMO_SOURCES = {
    "Hannah Price's phone (Samsung SM-S911B)": [
        "WhatsApp Chat with Dan Price.txt", "WhatsApp Chat with Dan.zip",
        "WhatsApp Chat with Daniel Mercado.txt", "calls-20240501093012.xml",
        "sms-20240501093012.xml", "screenshots/IMG-20240403-WA0007.jpg",
        "screenshots/Screenshot_*.jpg",
    ],
    "Hannah Price's iPhone": ["WhatsApp Chat - +44 7700 900987.zip", "screenshots/IMG_0412.PNG"],
    "Hannah Price's account downloads": [
        "ChatExport_2024-05-01", "facebook-*.zip", "hannah.price@example.org - All Mail.mbox",
        "instagram-*.zip", "package.zip", "twitter-*.zip",
    ],
    "Saved by the examiner from the profile pages": ["profiles"],
}  # fmt: skip
#: The demo examiner starts from this account (scripts/demo_examiner.py).
DEMO_SUSPECT = "whatsapp:+447700900987"
ONE_SOURCE = "Handed over by Hannah Price (one folder)"


#: The friend's exports added to the victim's folder (``tests/data/forwarded_exports.py``):
#: Sophie Turner's chat with Hannah (saved as "Hannah" on Sophie's phone) and Sophie's group
#: with Hannah and Chloé Dubois, both made on Sophie's phone and forwarded to Hannah.
FRIEND = {"whatsapp:Sophie Turner": "sophie_turner", "whatsapp:Hannah": "hannah_price",
          "whatsapp:Chloé Dubois": "chloe_dubois"}  # fmt: skip


def _friend_exports(folder: Path) -> tuple[list[Path], dict[str, str]]:
    """The friend's two exports, written into ``folder``, and their accounts' people (the
    group's "You" is the friend, who exported it)."""
    sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests.data, after the code
    from tests.data import forwarded_exports as gen

    group = gen.friend_group("Sophie Turner", "Hannah", "Chloé Dubois")
    files = [gen.friend_chat("Sophie Turner", "Hannah"), group]
    you = hashlib.sha256(group[1].encode()).hexdigest()[:12]
    return gen.write(folder, files), {**FRIEND, f"whatsapp:You (export {you})": "sophie_turner"}


def _alpha_sources(how: str, work: Path) -> dict[str, list[Path]]:
    evidence = ALPHA / "evidence"
    if how == "one source":
        return {ONE_SOURCE: sorted(evidence.iterdir())}
    if how == "one + friend's":
        return {ONE_SOURCE: sorted(evidence.iterdir()) + _friend_exports(work / "friend")[0]}
    return {
        source: sorted(p for pattern in patterns for p in evidence.glob(pattern))
        for source, patterns in DEMO_SOURCES.items()
    }


def _person_of(case: Case) -> dict[str, str]:
    """Each account key's person in truth.json: by platform and identifier (the key's, or
    the handle), else by phone number; an account the evidence names as its owner is the
    victim's (every export in case-alpha is hers). Unknown accounts are left out."""
    from extractors.identifiers import phone_e164
    from workstation import queries

    truth = json.loads((ALPHA / "truth.json").read_text(encoding="utf-8"))
    person: dict[str, str] = {}
    for a in queries.iter_accounts(case):
        key = str(a["id"])
        platform, ident = key.split(":", 1)
        for t in truth["accounts"]:
            if t["platform"] == platform and t["identifier"] in (ident, a.get("handle")):
                person[key] = t["person"]
        for t in truth["accounts"]:
            if t.get("phone") and phone_e164(t["phone"]) == a.get("phone_e164"):
                person.setdefault(key, t["person"])
        if a["is_owner"]:
            person.setdefault(key, truth["case"]["victim"])
    return person


def _pairwise(
    person: dict[str, str], links: list[tuple[str, str]]
) -> tuple[float, float, int, list[tuple[str, str]]]:
    """Precision, recall, pairs predicted, and the wrong pairs, of the people the links
    make (connected components) against the truth, over every pair of known accounts."""
    parent = {k: k for k in person}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    keys = sorted(person)
    predicted = {(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :] if find(a) == find(b)}
    true = {(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :] if person[a] == person[b]}
    hit = len(predicted & true)
    wrong = sorted(predicted - true)
    return hit / max(len(predicted), 1), hit / max(len(true), 1), len(predicted), wrong


def _demo_decisions(case: Case, signer: Any) -> int:
    """What scripts/demo_examiner.py decides on aliases: the strong links among the accounts
    strong links tie to the suspect's WhatsApp number, strongest first, skipping a link
    that joins nothing new. Returns how many were confirmed."""
    report = aliases.analyse(case)
    suspect = report.strong_component(DEMO_SUSPECT)
    joined = {a: a for a in suspect}

    def root(a: str) -> str:
        while joined[a] != a:
            a = joined[a]
        return a

    confirmed = 0
    for s in sorted(report.suggestions, key=lambda s: -s.score):
        if s.strength == "strong" and s.a in suspect and s.b in suspect:
            if root(s.a) == root(s.b):
                continue
            joined[root(s.a)] = root(s.b)
            aliases.decide(case, signer, s.a, s.b, "confirm", "reasons checked (demo)")
            confirmed += 1
    return confirmed


def _scores(case: Case, person: dict[str, str]) -> dict[str, dict[str, Any]]:
    report = aliases.analyse(case, max_suggestions=10**9)
    live = [s for s in report.suggestions if s.status != "rejected"]
    sets = {
        "strong": [(s.a, s.b) for s in live if s.strength == "strong"],
        "shown": [(s.a, s.b) for s in live],
        "confirmed": [link for g in report.groups for link in g.links],
    }
    found = {}
    for name, links in sets.items():
        precision, recall, pairs, wrong = _pairwise(person, links)
        found[name] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "pairs": pairs,
            "wrong": [f"{a} ~ {b}" for a, b in wrong],
        }
    return found


def alpha_quality(work: Path) -> dict[str, Any]:
    """Precision and recall on case-alpha, by hand-over and decisions (module docstring)."""
    from workstation.ingest import IngestOptions, ingest_paths

    os.environ.update(EWS_DATA_DIR=str(work / "keys"), EWS_PASSPHRASE="bench",
                      EWS_KDF_ROUNDS="2", EWS_INSECURE_TEST_KEYS="1",
                      EWS_WITNESS_DIR=str(work / "witness"))  # fmt: skip
    signer = get_or_create_examiner("Bench Examiner", "BE")
    rows: list[dict[str, Any]] = []
    for n, how in enumerate(("one source", "demo sources", "one + friend's")):
        with Case.create(work / f"alpha{n}", urn=f"01BE000000{n}", title="case-alpha",
                         signer=signer) as case:  # fmt: skip
            for source, paths in _alpha_sources(how, work / f"alpha{n}-files").items():
                ingest_paths(case, signer, paths, IngestOptions(source=source))
            person = _person_of(case)
            if how == "one + friend's":
                person.update(_friend_exports(work / "friend-truth")[1])
            for decisions, scored in (
                ("none", _scores(case, person)),
                (f"demo ({_demo_decisions(case, signer)} confirmed)", _scores(case, person)),
            ):
                for links, v in scored.items():
                    if links == "confirmed" and decisions == "none":
                        continue
                    rows.append({"handover": how, "decisions": decisions, "links": links,
                                 "accounts": len(person), **v})  # fmt: skip
    return {"case": "case-alpha", "rows": rows}


def _print_alpha(result: dict[str, Any]) -> None:
    head = f"{'handed over as':<15} {'decisions':<24} {'links':<10} {'precision':>9} "
    print(head + f"{'recall':>7} {'pairs':>6} {'wrong':>6}")
    for r in result["rows"]:
        print(f"{r['handover']:<15} {r['decisions']:<24} {r['links']:<10} "
              f"{r['precision']:>9.3f} {r['recall']:>7.3f} {r['pairs']:>6} "
              f"{len(r['wrong']):>6}")  # fmt: skip
    for r in result["rows"]:
        for pair in r["wrong"]:
            print(f"  wrong ({r['handover']}, {r['decisions']}, {r['links']}): {pair}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--accounts", type=int, default=100_000)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    p.add_argument("--alpha", action="store_true", help="precision and recall on case-alpha")
    args = p.parse_args()
    if args.alpha:
        with tempfile.TemporaryDirectory() as tmp:
            quality = alpha_quality(Path(tmp))
        quality["command"] = "python bench/bench_aliases.py --alpha"
        args.out.mkdir(parents=True, exist_ok=True)
        text = json.dumps(quality, indent=2) + "\n"
        (args.out / "aliases_alpha.json").write_text(text, encoding="utf-8")
        _print_alpha(quality)
        return
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(EWS_DATA_DIR=str(Path(tmp) / "keys"), EWS_PASSPHRASE="bench",
                          EWS_KDF_ROUNDS="2", EWS_INSECURE_TEST_KEYS="1")  # fmt: skip
        signer = get_or_create_examiner("Bench Examiner", "BE")
        with Case.create(Path(tmp) / "case", urn="BENCH", title="bench", signer=signer) as case:
            started = time.perf_counter()
            generate(case, args.accounts)
            made = time.perf_counter() - started
            started = time.perf_counter()
            report = aliases.analyse(case)
            seconds = time.perf_counter() - started
    strong = sum(s.strength == "strong" for s in report.suggestions)
    result = {
        "accounts": report.accounts,
        "analyse_seconds": round(seconds, 2),
        "generate_seconds": round(made, 2),
        "suggestions": len(report.suggestions),
        "strong": strong,
        "capped": report.capped,
        "notes": len(report.notes),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "command": "python bench/bench_aliases.py --accounts " + str(args.accounts),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "aliases.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

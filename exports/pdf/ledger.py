"""Part 11: the custody ledger appendix – entries, checkpoint, keys and how to verify."""

from __future__ import annotations

import json

from reportlab.lib.units import mm  # type: ignore[import-untyped]

from exports.context import LAYOUT, BundleContext
from exports.pdf import fmt
from exports.pdf.common import intro
from exports.pdf.layout import BODY, MONO_SMALL, SMALL, WIDTH, Column, Writer

HOW_TO_VERIFY = (
    "1. Each entry's hash is SHA-256 of a zero byte followed by the canonical JSON (sorted "
    "keys, no spaces, UTF-8) of its seq, case, prev, at, actor, action, subject and data; "
    "prev is the hash of the entry before it, so the entries form a chain.",
    "2. Each entry is signed (Ed25519) over its hash by the acting examiner's key; the keys "
    "are listed below and in keys/, and the ledger itself records them. Whose keys they are "
    "cannot be shown from inside the bundle: compare each examiner's key fingerprint (MG11) "
    "with the examiner by telephone or with the unit's published list.",
    "3. The checkpoint below is the signed Merkle root (RFC 6962) of the whole ledger at "
    "export time. inclusion_proofs.json proves that each entry listed here is in that tree.",
    "4. `ews verify-bundle` does all of this offline with the standard library and the "
    "cryptography package; VERIFY.txt explains the file hashes for checking by hand.",
)


def _summary(data: object) -> str:
    if not isinstance(data, dict):
        return ""
    parts = []
    for key in sorted(data):
        value = data[key]
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if isinstance(value, str) and len(value) == 64 and key != "sha256":
            text = value[:16] + "…"
        parts.append(f"{key}={text}")
    return "; ".join(parts)


def write_ledger(w: Writer, ctx: BundleContext) -> None:
    """Every ledger entry the exhibits rest on, the signed checkpoint and the keys."""
    intro(
        w,
        ctx,
        "Custody ledger appendix",
        "The entries of the case's signed, append-only custody ledger that the exhibits rest "
        f"on. The same entries in machine form: {LAYOUT['ledger_json']}; proofs: "
        f"{LAYOUT['proofs_json']}; checkpoint: {LAYOUT['checkpoint_json']}.",
    )
    cp = ctx.ledger.checkpoint
    w.heading("Signed checkpoint", 2)
    w.fields(
        [
            ("Origin", str(cp.get("origin", "")) or None),
            ("Tree size (entries)", f"{ctx.ledger.tree_size:,}"),
            ("Merkle root", ctx.ledger.root),
            ("Signed at", fmt.both(str(cp.get("at")), ctx.local_tz) if cp.get("at") else None),
            ("Signing key id", str(cp.get("key_id", "")) or None),
            ("Signature", str(cp.get("signature", "")) or None),
        ]
    )
    w.heading("How to verify", 2)
    for step in HOW_TO_VERIFY:
        w.para(step, SMALL)
    w.heading("Examiners' keys", 2)
    w.table(
        [
            Column("Examiner", 34 * mm),
            Column("Key id (SHA-256 of the raw Ed25519 key)", 60 * mm, MONO_SMALL),
            Column("Public key (OpenSSH)", WIDTH - 94 * mm, MONO_SMALL),
        ],
        [(f"{e.name} ({e.initials})", e.key_id, e.public_key_openssh) for e in ctx.examiners],
    )
    w.heading(f"Entries ({len(ctx.ledger.entries):,})", 2)
    if not ctx.ledger.entries:
        w.para("No entries in the extract.", BODY)
        return
    w.table(
        [
            Column("Seq", 12 * mm),
            Column("Time (UTC)", 26 * mm),
            Column("Actor", 14 * mm),
            Column("Action", 24 * mm),
            Column("Subject", 30 * mm, MONO_SMALL),
            Column("Data and entry hash", WIDTH - 106 * mm),
        ],
        (
            (
                str(e.get("seq")),
                fmt.utc_text(str(e.get("at"))) if e.get("at") else None,
                fmt.examiner_by_key(ctx.examiners, str(e.get("actor", ""))),
                str(e.get("action")),
                str(e.get("subject")),
                f"{_summary(e.get('data'))}\nentry hash {e.get('entry_hash')}",
            )
            for e in ctx.ledger.entries
        ),
    )

"""VERIFY.txt: how a recipient without the software checks a bundle by hand."""

from __future__ import annotations

from exports.context import LAYOUT, BundleContext

_CHECK_ALL = (
    "python3 -c \"import json;[print(f['sha256']+'  '+f['path']) for f in "
    f"json.load(open('{LAYOUT['manifest']}'))['files']]\" | sha256sum -c"
)


def verify_txt(ctx: BundleContext) -> str:
    """Plain instructions, naming this bundle's id, checkpoint and signer."""
    cp = ctx.ledger.checkpoint
    signers = "".join(
        f"\n     {e.name} ({e.initials}): fingerprint {e.fingerprint_grouped}"
        for e in ctx.examiners
    )
    return f"""HOW TO CHECK THIS EVIDENTIAL BUNDLE
===================================

Bundle {ctx.bundle_id}
Case URN {ctx.urn}: {ctx.title}
File type: {ctx.file_type}; generated {ctx.generated_at_utc} (UTC) by {ctx.tool}.

1. What the manifest is
   {LAYOUT["manifest"]} lists every file of this bundle (except itself and
   {LAYOUT["manifest_sig"]}) with its size in bytes and its SHA-256 fingerprint. If any
   byte of a file changes, its SHA-256 changes completely.

2. Checking the files by hand (no special software)
   Open a terminal in this folder (the one holding {LAYOUT["manifest"]}) and compute the
   fingerprint of a file:
       Linux:    sha256sum "path/to/file"
       macOS:    shasum -a 256 "path/to/file"
       Windows:  certutil -hashfile "path\\to\\file" SHA256
   Compare the 64 characters printed with the "sha256" given for that "path" in
   {LAYOUT["manifest"]}. They must be identical. The exhibit list (MG12) and the index
   also print each file's SHA-256.
   On Linux you can check every file at once:
       {_CHECK_ALL}
   Every line must end in "OK".

3. What the signature means
   {LAYOUT["manifest_sig"]} is an Ed25519 digital signature over the exact bytes of
   {LAYOUT["manifest"]}, made with the private key of the exporting examiner. The matching
   public keys are in keys/ and in the custody ledger extract. A valid signature shows the
   manifest (and so, through the fingerprints, every file) is exactly as the holder of that
   key exported it. Nothing inside this bundle can show whose key that is: compare the key
   fingerprint with the examiner by telephone, or with your unit's published list of
   examiner keys (each examiner's MG11 prints it too). Examiners of this case:{signers}
   Checking a signature needs a program; the tool's `ews verify-bundle` does it (it uses
   only Python and the "cryptography" library and can be read in full). Name the key you
   expect: ews verify-bundle BUNDLE --trust-fingerprint "<fingerprint>" (or --trust with the
   examiner's public key file); without it the check ends "signer not established".

4. The custody ledger
   {LAYOUT["ledger_json"]} holds every custody record the exhibits rest on (who acquired
   each item, when, from what source, with which tool; how each exhibit was assigned).
   Each record is signed, and {LAYOUT["proofs_json"]} proves (RFC 6962 Merkle inclusion
   proofs) that each record is part of the case's ledger of {cp.get("size")} records whose
   root fingerprint {cp.get("root")} was signed at {cp.get("at")}
   ({LAYOUT["checkpoint_json"]}). {LAYOUT["consistency_json"]} proves that earlier signed
   states of the ledger are unaltered beginnings of this one.

5. Parts not for disclosure
   Everything under not_for_disclosure/ (MG6, MG6D, MG6E, risk assessment) is for the
   prosecutor only and can be withheld as a unit.
"""

"""An Android extraction ingested whole: the databases are found by their schema, the
encrypted WhatsApp backup is decrypted with the key file beside it into a derived item, and
that item is extracted in turn (generated fixtures; no real phone was available)."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import extractors.android_calllog
import extractors.android_contacts
import extractors.android_mmssms
import extractors.whatsapp_crypt
import extractors.whatsapp_msgstore  # noqa: F401  (registered on import)
from chain_of_custody.case import Case
from chain_of_custody.keys import Signer
from chain_of_custody.verify import verify_case
from tests.data.device_fixtures import android as fx
from workstation import aliases, queries
from workstation.ingest import ingest_paths


def make_extraction(folder: Path) -> Path:
    folder.mkdir()
    fx.make_mmssms(folder / "mmssms.db")
    fx.make_calllog(folder / "calllog.db")
    fx.make_contacts2(folder / "contacts2.db")
    fx.make_wa(folder / "wa.db")
    fx.make_msgstore(folder / "msgstore.db")
    key = fx.make_key_file()
    crypt = fx.make_crypt14((folder / "msgstore.db").read_bytes(), key)
    path = folder / "extraction.zip"
    with zipfile.ZipFile(path, "w") as z:
        base = "data/data/"
        z.write(
            folder / "mmssms.db",
            "data/user_de/0/com.android.providers.telephony/databases/mmssms.db",
        )
        z.write(folder / "calllog.db", base + "com.android.providers.contacts/databases/calllog.db")
        z.write(
            folder / "contacts2.db", base + "com.android.providers.contacts/databases/contacts2.db"
        )
        z.write(folder / "wa.db", base + "com.whatsapp/databases/wa.db")
        z.writestr(base + "com.whatsapp/files/key", key)
        z.writestr("sdcard/WhatsApp/Databases/msgstore.db.crypt14", crypt)
    return path


def test_extraction_archive(case: Case, signer: Signer, tmp_path: Path) -> None:
    ingest_paths(case, signer, [make_extraction(tmp_path / "phone")])
    items = {i["name"]: i for i in queries.iter_items(case)}
    derived = items["msgstore.db"]
    assert derived["parent_id"] == items["msgstore.db.crypt14"]["id"]
    assert items["msgstore.db.crypt14"]["extractors"] == ["whatsapp_crypt@1.0"]
    assert derived["extractors"] == ["whatsapp_msgstore@1.0"]
    assert items["contacts2.db"]["extractors"] == ["android_contacts@1.0"]
    messages = list(queries.iter_messages(case))
    assert Counter(m["platform"] for m in messages) == {"sms": 8, "phone": 8, "whatsapp": 10}
    dan = {a["id"]: a for a in queries.iter_accounts(case)}["phone:+447700900123"]
    assert dan["display_name"] == "Dan"
    # The device's numbers are case-alpha's: the call log, the texts and WhatsApp join.
    report = aliases.analyse(case)
    strong = {(s.a, s.b) for s in report.suggestions if s.strength == "strong"}
    assert {
        ("phone:+447700900123", "sms:+447700900123"),
        ("phone:+447700900123", "whatsapp:+447700900123"),
        ("sms:+447700900123", "whatsapp:+447700900123"),
    } <= strong
    assert verify_case(case).ok

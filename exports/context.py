"""What an evidential bundle is made from: plain, immutable data.

The flow of an export (DESIGN.md §7, MG_BUNDLE.md):

    case ──exports.gather──> BundleContext ──exports.documents──> PDFs ──┐
    alias groups, timelines (from the workstation) ──┘                   ├─exports.bundle─> zip
    natives, ledger extract, proofs, keys, case.jsonld, VERIFY.txt ──────┘  (+ signed manifest)

Nothing here touches the database or reportlab: the renderers read only these classes, so
they can be tested with hand-made contexts, and the same context always renders the same
bytes. ``None`` means "not recorded": renderers print it as *for completion by the officer*
and never invent a value. Times are RFC 3339 UTC strings with ``Z``; the renderers show
them in ``BundleContext.local_tz`` with the zone name as well.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Literal

from exports.device_custody import DeviceCustody

FileType = Literal["pre-charge", "full"]

#: Where each part goes inside the bundle (the zip has the same tree under one top folder).
#: ``{ref}`` is an exhibit reference with "/" written as "-" (``JS/1`` -> ``JS-1``).
LAYOUT = {
    "index": "00_index.pdf",
    "MG3": "01_MG3_report_for_charging_decision.pdf",
    "MG11": "02_MG11_statement_{initials}.pdf",
    "MG12": "03_MG12_exhibit_list.pdf",
    "exhibit_label": "04_exhibits/{ref}/label.pdf",
    "exhibit_rendered": "04_exhibits/{ref}/rendered.pdf",
    "exhibit_native": "04_exhibits/{ref}/native/{sha256_12}_{name}",
    "alias_analysis": "05_alias_analysis.pdf",
    "vps": "07_victim_personal_statement.pdf",
    "MG6C": "09_MG6C_unused_material_non_sensitive.pdf",
    "MG13": "10_MG13_restraining_order_draft.pdf",
    "ledger_pdf": "11_custody_ledger/ledger_appendix.pdf",
    "ledger_json": "11_custody_ledger/entries.json",
    "proofs_json": "11_custody_ledger/inclusion_proofs.json",
    "consistency_json": "11_custody_ledger/consistency_proofs.json",
    "checkpoint_json": "11_custody_ledger/checkpoint.json",
    "timestamp_tsr": "11_custody_ledger/checkpoint.tsr",  # RFC 3161, when a TSA is set
    "public_key": "keys/{initials}_{key_id_12}.pub",
    "jsonld": "case.jsonld",
    "exhibits_json": "exhibits.json",
    "verify_txt": "VERIFY.txt",
    "manifest": "manifest.json",
    "manifest_sig": "manifest.sig",
    # Not for disclosure: one folder, so it can be withheld as a unit.
    "risk": "not_for_disclosure/06_risk_assessment.pdf",
    "MG6": "not_for_disclosure/08_MG6_case_file_information.pdf",
    "MG6D": "not_for_disclosure/09_MG6D_unused_material_sensitive.pdf",
    "MG6E": "not_for_disclosure/09_MG6E_disclosure_officer_report.pdf",
    # Full file only (anticipated not-guilty plea).
    "MG1": "full/01_MG1_file_front_sheet.pdf",
    "MG4": "full/02_MG4_charges.pdf",
    "MG5": "full/03_MG5_case_summary.pdf",
    "MG9": "full/05_MG9_witness_list.pdf",
    "MG10": "full/06_MG10_witness_non_availability.pdf",
    "digital_strategy": "full/14_digital_strategy_record.pdf",
}


# --- people, items and messages ----------------------------------------------------------


@dataclass(frozen=True)
class ExaminerView:
    initials: str
    name: str
    key_id: str  # 16 hex digits: the start of SHA-256 of the raw Ed25519 public key
    public_key_openssh: str  # "ssh-ed25519 AAAA… comment"
    first_seen_utc: str  # when the case ledger first names them

    @property
    def fingerprint(self) -> str:
        """SHA-256 hex of the raw public key (the last 32 bytes of the OpenSSH key blob);
        empty if the key line is not an ssh-ed25519 key."""
        parts = self.public_key_openssh.split()
        try:
            blob = base64.b64decode(parts[1], validate=True) if len(parts) > 1 else b""
        except ValueError:
            return ""
        return hashlib.sha256(blob[-32:]).hexdigest() if len(blob) == 51 else ""

    @property
    def fingerprint_grouped(self) -> str:
        """The fingerprint in groups of four hex digits, as printed in the MG11."""
        fp = self.fingerprint
        return " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))


@dataclass(frozen=True)
class ItemView:
    id: str
    sha256: str
    size: int
    mime: str
    name: str
    path: str  # for humans: "archive.zip!/member/path" for archive members
    parent_sha256: str | None
    acquired_at_utc: str
    acquired_by: str  # examiner initials
    source: str  # device or account it came from, as the examiner described it
    reason: str
    ledger_seq: int  # its item.acquired entry
    extractors: tuple[str, ...] = ()  # "name@version" that ran on it
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageView:
    id: str
    platform: str
    thread_id: str
    thread_title: str | None
    kind: str  # text | media | call | system | deleted …
    text: str
    sent_at_utc: str | None
    sent_at_raw: str
    tz: str | None
    tz_assumed: bool
    flags: tuple[str, ...]
    edited: bool
    attachments: tuple[str, ...]
    sender_identifier: str | None
    sender_display: str | None
    sender_account_id: str | None
    direction: str | None  # "incoming" | "outgoing" | None
    locator: str  # "item path, line 12" / "…, pointer /messages/3" for humans
    item_sha256: str
    highlighted: bool = False  # chosen by the examiner within a thread exhibit


@dataclass(frozen=True)
class ExhibitView:
    ref: str  # "JS/1"
    number: int
    producer_initials: str
    kind: Literal["item", "thread", "messages"]
    description: str
    reason: str
    assigned_at_utc: str
    ledger_seq: int  # its exhibit.assigned entry
    items: tuple[ItemView, ...]  # native originals it rests on
    messages: tuple[MessageView, ...] = ()  # whole thread(s) in time order, chosen ones highlighted
    date_from_utc: str | None = None
    date_to_utc: str | None = None
    thread_ids: tuple[str, ...] = ()


# --- aliases and the course of conduct (computed by workstation.aliases / .timeline) -------


@dataclass(frozen=True)
class AccountView:
    id: str
    platform: str
    display: str  # display name or handle as shown
    identifiers: tuple[str, ...]  # phone (E.164), email, platform id, handle …


@dataclass(frozen=True)
class LinkView:
    a: str
    b: str
    score: float
    strength: Literal["strong", "weak"]
    reasons: tuple[str, ...]  # sentences a court can read
    status: Literal["suggested", "confirmed", "rejected"]
    decided_by: str | None = None  # initials
    decided_at_utc: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class AliasGroupView:
    id: str
    label: str | None
    accounts: tuple[AccountView, ...]
    links: tuple[LinkView, ...]  # the confirmed links that form the group


@dataclass(frozen=True)
class WeekCount:
    week_start: str  # ISO date of the Monday, local time
    messages: int
    calls: int
    threats: int


@dataclass(frozen=True)
class PersonTimelineView:
    group_id: str
    label: str | None
    first_contact_utc: str | None
    last_contact_utc: str | None
    by_platform: tuple[tuple[str, int], ...]  # (platform, messages+calls)
    weeks: tuple[WeekCount, ...]  # every week from first to last contact, zeros included
    trend: str  # one plain sentence, e.g. "rising: 3 a week in March to 21 a week in April"
    key_excerpts: tuple[tuple[MessageView, str | None], ...] = ()  # (message, exhibit ref)


# --- case details (MG_BUNDLE.md; set by `ews details`) -----------------------------------


@dataclass(frozen=True)
class Officer:
    name: str | None = None
    rank: str | None = None
    number: str | None = None
    station: str | None = None


@dataclass(frozen=True)
class Offence:
    title: str  # "Stalking involving fear of violence"
    legislation: str | None = None  # "s.4A Protection from Harassment Act 1997"
    points_to_prove: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigitalStrategy:
    sources: tuple[str, ...] = ()
    capture_method: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    parties: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    keywords_reason: str | None = None
    proportionality: str | None = None  # why the examination is reasonable and proportionate


@dataclass(frozen=True)
class OutstandingItem:
    description: str
    evidence_type: str | None = None  # "communications", "CCTV", "platform request" …
    target_date: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class RestrainingOrder:
    proposed: bool | None = None
    victim_views: str | None = None
    prohibitions: tuple[str, ...] = ()
    exclusion_areas: tuple[str, ...] = ()
    duration: str | None = None


@dataclass(frozen=True)
class RiskAnswer:
    number: int
    topic: str  # our own short topic words, never the licensed question text
    answer: Literal["yes", "no", "not known"]
    detail: str | None = None


@dataclass(frozen=True)
class RiskAssessment:
    form: Literal["S-DASH", "DASH"]
    assessor: str | None = None
    date: str | None = None
    outcome: str | None = None  # "standard" | "medium" | "high"
    answers: tuple[RiskAnswer, ...] = ()


@dataclass(frozen=True)
class VictimStatement:
    offered: bool | None = None
    taken: bool | None = None
    date: str | None = None
    item_sha256: str | None = None  # the statement itself, when ingested


@dataclass(frozen=True)
class CaseFileInformation:  # MG6, not for disclosure
    victim_safety: str | None = None
    sensitive_locations: str | None = None
    platform_requests: tuple[OutstandingItem, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class CaseDetails:
    officer: Officer = field(default_factory=Officer)
    suspect: str | None = None
    victim: str | None = None
    offences: tuple[Offence, ...] = ()
    digital_strategy: DigitalStrategy = field(default_factory=DigitalStrategy)
    outstanding: tuple[OutstandingItem, ...] = ()
    restraining_order: RestrainingOrder = field(default_factory=RestrainingOrder)
    risk: tuple[RiskAssessment, ...] = ()
    vps: VictimStatement = field(default_factory=VictimStatement)
    mg6: CaseFileInformation = field(default_factory=CaseFileInformation)
    lines_of_enquiry: tuple[str, ...] = ()  # lines pursued, incl. any that help the defence
    lines_not_pursued: tuple[str, ...] = ()  # with the reason in the text


# --- unused material and the ledger extract -----------------------------------------------


@dataclass(frozen=True)
class UnusedView:
    number: int  # MG6C/MG6D running number
    item: ItemView
    description: str  # summary of contents (e.g. "WhatsApp export, 133 messages, 3 Mar–30 Apr")
    sensitive: bool = False  # candidate for MG6D
    sensitive_reason: str | None = None
    #: The review tags on the item (issue 15 §3), in the order given; empty: not yet reviewed.
    tags: tuple[str, ...] = ()
    #: The reason given when the item (or its chat) was tagged not-relevant.
    not_relevant_reason: str | None = None


@dataclass(frozen=True)
class LedgerExtract:
    entries: tuple[dict[str, object], ...]  # Entry.as_json() of every entry the exhibits rest on
    checkpoint: dict[str, object]  # SignedCheckpoint.as_json() the proofs are against
    tree_size: int
    root: str


@dataclass(frozen=True)
class SearchRunView:
    """A saved search (a digital strategy keyword): its latest ``search.run`` and how many runs."""

    query: str
    hits: int
    at: str  # UTC, of the latest run
    examiner: str  # who ran it (the entry's actor)
    ledger_seq: int  # the latest run's entry, in the bundle's extract
    runs: int = 1


# --- the whole --------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleContext:
    urn: str
    title: str
    case_id: str
    bundle_id: str
    file_type: FileType
    generated_at_utc: str
    local_tz: str  # the case's zone, e.g. "Europe/London"
    tool: str  # "evidence-workstation 0.1.0"
    examiners: tuple[ExaminerView, ...]
    details: CaseDetails
    exhibits: tuple[ExhibitView, ...]  # MG12 order
    unused: tuple[UnusedView, ...]
    alias_groups: tuple[AliasGroupView, ...]
    rejected_links: tuple[LinkView, ...]
    timelines: tuple[PersonTimelineView, ...]
    ledger: LedgerExtract
    counts: dict[str, int] = field(default_factory=dict)  # items, messages, calls, accounts …
    #: Devices received for examination (issue 13 §5): receipt, return, time held, scope.
    devices: tuple[DeviceCustody, ...] = ()
    #: Records outside the scope their device's holder agreed to, by device id (MG6C).
    outside_scope: dict[str, int] = field(default_factory=dict)
    #: The review (issue 15 §3): how many items carry each tag, and how many any tag (MG3).
    review_counts: dict[str, int] = field(default_factory=dict)
    reviewed_items: int = 0
    #: Messages tagged one by one (their tags stay on the message, not its file).
    tagged_messages: int = 0
    #: The saved searches run (issue 15 §1): each query's latest run, in query order (MG3).
    searches: tuple[SearchRunView, ...] = ()

"""``case.jsonld``: the bundle described in CASE 1.x / UCO 1.x (https://caseontology.org).

What it states: the investigation; every item as an ``observable:File`` with its SHA-256;
who acquired each item, when and with which tool (``investigation:InvestigativeAction``);
each exhibit as an ``investigation:ProvenanceRecord`` with its exhibit number; the accounts
of the alias groups; and each confirmed alias link as a ``core:Relationship`` with its
confidence (0-100). Node ids are UUIDv5 of the case id and the subject, and the graph is
sorted by id, so the same context always gives the same bytes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from exports.context import BundleContext, ExhibitView, ItemView, LinkView

CONTEXT = {
    "action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "investigation": "https://ontology.caseontology.org/case/investigation/",
    "observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "kb": "urn:ews:",
}
_NS = uuid.UUID("6f1b7a4e-3c1d-5b5e-9a51-2f0f1d1c2b3a")


class _Graph:
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.nodes: dict[str, dict[str, Any]] = {}

    def iri(self, kind: str, subject: str) -> str:
        return f"kb:{kind}-{uuid.uuid5(_NS, f'{self.case_id}:{kind}:{subject}')}"

    def add(self, kind: str, subject: str, node: dict[str, Any]) -> str:
        node_id = self.iri(kind, subject)
        self.nodes.setdefault(node_id, {"@id": node_id, **node})
        return node_id


def _time(value: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value}


def _ref(node_id: str) -> dict[str, str]:
    return {"@id": node_id}


def _file(g: _Graph, sha256: str, name: str, size: int, mime: str | None) -> str:
    content: dict[str, Any] = {
        "@type": "observable:ContentDataFacet",
        "@id": g.iri("ContentDataFacet", sha256),
        "observable:sizeInBytes": size,
        "observable:hash": [
            {
                "@id": g.iri("Hash", sha256),
                "@type": "types:Hash",
                "types:hashMethod": "SHA256",
                "types:hashValue": {"@type": "xsd:hexBinary", "@value": sha256},
            }
        ],
    }
    if mime:
        content["observable:mimeType"] = mime
    return g.add(
        "File",
        sha256,
        {
            "@type": "observable:File",
            "core:hasFacet": [
                {
                    "@type": "observable:FileFacet",
                    "@id": g.iri("FileFacet", sha256),
                    "observable:fileName": name,
                    "observable:sizeInBytes": size,
                },
                content,
            ],
        },
    )


def _acquisition(
    g: _Graph, item: ItemView, people: dict[str, str], tool: str, parent: str | None
) -> str:
    file_id = _file(g, item.sha256, item.name, item.size, item.mime)
    node: dict[str, Any] = {
        "@type": "investigation:InvestigativeAction",
        "core:name": f"acquisition of {item.path}",
        "core:description": f"source: {item.source or 'not stated'}; "
        f"reason: {item.reason or 'not stated'}; ledger entry {item.ledger_seq}",
        "action:startTime": _time(item.acquired_at_utc),
        "action:instrument": [_ref(tool)],
        "action:result": [_ref(file_id)],
    }
    if item.acquired_by in people:
        node["action:performer"] = _ref(people[item.acquired_by])
    if parent is not None:
        node["action:object"] = [_ref(parent)]
    g.add("InvestigativeAction", f"acquired:{item.id}", node)
    return file_id


def _exhibit(g: _Graph, ex: ExhibitView, people: dict[str, str]) -> str:
    files = [g.iri("File", it.sha256) for it in ex.items]
    record = g.add(
        "ProvenanceRecord",
        ex.ref,
        {
            "@type": "investigation:ProvenanceRecord",
            "investigation:exhibitNumber": ex.ref,
            "core:description": ex.description,
            "core:object": [_ref(f) for f in files],
        },
    )
    action: dict[str, Any] = {
        "@type": "investigation:InvestigativeAction",
        "core:name": f"exhibit {ex.ref} produced",
        "core:description": (ex.reason or ex.description) + f"; ledger entry {ex.ledger_seq}",
        "action:startTime": _time(ex.assigned_at_utc),
        "action:object": [_ref(f) for f in files],
        "action:result": [_ref(record)],
    }
    if ex.producer_initials in people:
        action["action:performer"] = _ref(people[ex.producer_initials])
    g.add("InvestigativeAction", f"exhibit:{ex.ref}", action)
    return record


def _link(g: _Graph, link: LinkView, accounts: dict[str, str]) -> str | None:
    if link.status != "confirmed" or link.a not in accounts or link.b not in accounts:
        return None
    a, b = sorted((link.a, link.b))
    note = "; ".join(link.reasons)
    if link.decided_by:
        note += f"; confirmed by {link.decided_by}"
    node: dict[str, Any] = {
        "@type": "core:Relationship",
        "core:source": [_ref(accounts[a])],
        "core:target": _ref(accounts[b]),
        "core:isDirectional": False,
        "core:kindOfRelationship": "Related_To",
        "core:description": f"suspected to be used by the same person ({link.strength}): {note}",
        "core:hasFacet": [
            {
                "@type": "core:ConfidenceFacet",
                "@id": g.iri("ConfidenceFacet", f"{a}|{b}"),
                "core:confidence": {
                    "@type": "xsd:nonNegativeInteger",
                    "@value": str(max(0, min(100, round(link.score * 100)))),
                },
            }
        ],
    }
    if link.decided_at_utc:
        node["core:startTime"] = [_time(link.decided_at_utc)]
    return g.add("Relationship", f"{a}|{b}", node)


def _ledger_items(ctx: BundleContext, known: set[str]) -> Iterable[ItemView]:
    """Items the ledger extract names (parent archives) that no view carries."""
    for e in ctx.ledger.entries:
        data = e.get("data")
        if e.get("action") != "item.acquired" or not isinstance(data, dict):
            continue
        if data.get("item_id") in known:
            continue
        yield ItemView(
            id=str(data["item_id"]),
            sha256=str(data["sha256"]),
            size=int(data["size"]),
            mime=str(data.get("mime", "")),
            name=str(data.get("name", "")),
            path=str(data.get("path", "")),
            parent_sha256=data.get("parent_sha256"),
            acquired_at_utc=str(e["at"]),
            acquired_by=str(data.get("acquired_by", "")),
            source=str(data.get("source", "")),
            reason=str(data.get("reason", "")),
            ledger_seq=int(str(e["seq"])),
        )


def case_jsonld(ctx: BundleContext) -> bytes:
    """The CASE/UCO JSON-LD document of a bundle (sorted, deterministic)."""
    g = _Graph(ctx.case_id)
    name, _, version = ctx.tool.rpartition(" ")
    tool = g.add(
        "Tool",
        ctx.tool,
        {"@type": "tool:Tool", "core:name": name or ctx.tool, "tool:version": version},
    )
    people: dict[str, str] = {}
    for ex in ctx.examiners:
        person = g.add("Person", ex.key_id, {"@type": "identity:Person", "core:name": ex.name})
        people[ex.initials] = person
        people[ex.key_id] = person
    items = {it.id: it for ex in ctx.exhibits for it in ex.items}
    # Unused material on the MG6D stays out: this document is disclosed, the MG6D is not.
    items |= {u.item.id: u.item for u in ctx.unused if not u.sensitive}
    items |= {it.id: it for it in _ledger_items(ctx, set(items))}
    by_sha = {it.sha256: it for it in items.values()}
    objects = [tool, *sorted(set(people.values()))]
    for it in sorted(items.values(), key=lambda i: i.ledger_seq):
        parent = by_sha.get(it.parent_sha256 or "")
        parent_id = None
        if parent is not None:
            parent_id = _file(g, parent.sha256, parent.name, parent.size, parent.mime)
        objects.append(_acquisition(g, it, people, tool, parent_id))
    objects += [_exhibit(g, ex, people) for ex in ctx.exhibits]
    accounts: dict[str, str] = {}
    for group in ctx.alias_groups:
        for acc in group.accounts:
            accounts[acc.id] = g.add(
                "Account",
                acc.id,
                {
                    "@type": "observable:Account",
                    "core:name": acc.display,
                    "core:hasFacet": [
                        {
                            "@type": "observable:AccountFacet",
                            "@id": g.iri("AccountFacet", acc.id),
                            "observable:accountIdentifier": acc.identifiers[0]
                            if acc.identifiers
                            else acc.id,
                        }
                    ],
                },
            )
    objects += sorted(accounts.values())
    for group in ctx.alias_groups:
        objects += [r for r in (_link(g, link, accounts) for link in group.links) if r]
    g.add(
        "Investigation",
        ctx.case_id,
        {
            "@type": "investigation:Investigation",
            "core:name": ctx.urn,
            "core:description": f"{ctx.title}; evidential bundle {ctx.bundle_id} "
            f"({ctx.file_type}), generated {ctx.generated_at_utc}",
            "investigation:investigationForm": "case",
            "investigation:focus": ["harassment and stalking"],
            "core:object": [_ref(o) for o in sorted(set(objects))],
        },
    )
    doc = {"@context": CONTEXT, "@graph": [g.nodes[k] for k in sorted(g.nodes)]}
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

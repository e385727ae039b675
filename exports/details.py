"""Case details (MG_BUNDLE.md): scope, offences, risk, restraining order, VPS, MG6 notes.

The examiner writes them in a TOML or JSON file whose keys are the fields of
``exports.context.CaseDetails`` (see docs/case-details.example.toml). They are validated
strictly (unknown keys are refused, every error names its key) and recorded as
``details.set`` ledger entries holding the whole document or one section; for each section
the latest entry wins.

In the ledger and the ``case_details`` rows a document is canonical JSON: absent values are
left out (never null) and yes/no fields are the strings ``"yes"``/``"no"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from chain_of_custody import db, witness
from chain_of_custody.canonical import canonical_bytes
from chain_of_custody.case import Case
from chain_of_custody.errors import EvidenceError
from chain_of_custody.keys import Signer
from chain_of_custody.ledger import NewEntry
from chain_of_custody.models import CaseDetailsRow
from exports import context
from exports.context import CaseDetails

T_DETAILS = CaseDetailsRow.__table__  # type: ignore[attr-defined]
WHOLE = "*"
SECTIONS = tuple(f.name for f in dataclasses.fields(CaseDetails))


class DetailsError(EvidenceError):
    """A case details document is malformed; the message names the key."""


# --- validation: plain JSON-like values -> the context dataclasses ------------------------


def _is_date_key(name: str) -> bool:
    return name == "date" or name.endswith("_date") or name in ("date_from", "date_to")


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, where)
    if origin is typing.Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise DetailsError(f"{where}: {value!r} is not one of {choices}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise DetailsError(f"{where}: expected a list, got {_kind(value)}")
        return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return _dataclass(value, hint, where)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if value in ("yes", "no"):
            return value == "yes"
        raise DetailsError(f'{where}: expected true/false (or "yes"/"no"), got {value!r}')
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DetailsError(f"{where}: expected a whole number, got {_kind(value)}")
        return value
    if hint is str:
        if isinstance(value, dt.date):  # TOML dates arrive as date objects
            value = value.isoformat()
        if not isinstance(value, str):
            raise DetailsError(f"{where}: expected text, got {_kind(value)}")
        if _is_date_key(where.rsplit(".", 1)[-1]):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise DetailsError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None
        return value
    raise TypeError(f"unsupported field type {hint!r} at {where}")  # a bug in context.py


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def _dataclass(value: Any, cls: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise DetailsError(f"{where}: expected a table of keys, got {_kind(value)}")
    hints = typing.get_type_hints(cls, vars(context))
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise DetailsError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(sorted(known))})")
    kwargs: dict[str, Any] = {}
    for name, f in known.items():
        if name in value:
            kwargs[name] = _convert(value[name], hints[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise DetailsError(f"{where}.{name}: required key missing")
    return cls(**kwargs)


def parse_details(document: dict[str, Any]) -> CaseDetails:
    """Validate a details document and return it as ``CaseDetails``.

    Raises:
        DetailsError: naming the first offending key (``details.risk[0].answers[1].answer``).
    """
    result: CaseDetails = _dataclass(document, CaseDetails, "details")
    return result


def parse_section(section: str, value: Any) -> Any:
    """Validate one top-level section of the document.

    Raises:
        DetailsError: on an unknown section or a malformed value.
    """
    if section not in SECTIONS:
        raise DetailsError(f"details.{section}: unknown section (known: {', '.join(SECTIONS)})")
    return parse_details({section: value})


def load_details_file(path: Path) -> dict[str, Any]:
    """Read a TOML (``.toml``) or JSON document.

    Raises:
        DetailsError: if the file cannot be read or parsed.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DetailsError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        if path.suffix.lower() == ".json":
            doc = json.loads(raw.decode("utf-8"))
        else:
            doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DetailsError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from exc
    if not isinstance(doc, dict):
        raise DetailsError(f"{path}: the document must be a table of sections")
    return doc


# --- the canonical (ledger) form --------------------------------------------------------


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            v = _plain(getattr(value, f.name))
            if v is not None and v != [] and v != {}:
                out[f.name] = v
        return out
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def details_document(details: CaseDetails) -> dict[str, Any]:
    """The canonical document of the details (no nulls, no booleans, empty parts left out)."""
    doc: dict[str, Any] = _plain(details)
    return doc


# --- recording and reading ---------------------------------------------------------------


@witness.witnessed  # ends with a checkpoint witnessed outside the case
def set_details(
    case: Case, signer: Signer, document: dict[str, Any], section: str | None = None
) -> CaseDetails:
    """Record the whole document, or one section of it, as a ``details.set`` entry.

    With ``section``, ``document`` must hold that section as its only top-level key.

    Returns:
        The case details as they now stand.

    Raises:
        DetailsError: if the document or section does not validate.
    """
    if section is None:
        stored = details_document(parse_details(document))
        key = WHOLE
        data: dict[str, Any] = {"scope": "document", "document": stored}
    else:
        if section not in SECTIONS:
            raise DetailsError(f"details.{section}: unknown section (known: {', '.join(SECTIONS)})")
        if section not in document:
            raise DetailsError(f"details.{section}: the file has no [{section}] section")
        extra = sorted(set(document) - {section})
        if extra:
            raise DetailsError(f"details.{extra[0]}: only [{section}] may be given with --section")
        parsed = parse_section(section, document[section])
        stored = details_document(parsed).get(section, _empty_value(section))
        key = section
        data = {"scope": "section", "section": section, "document": stored}

    def write_row(conn: Any, made: Any) -> None:
        conn.execute(
            sa.insert(T_DETAILS),
            {
                "case_id": case.case_id,
                "ledger_seq": made[0].seq,
                "section": key,
                "document": canonical_bytes({"v": stored}).decode("utf-8"),
            },
        )

    case.record(signer, [NewEntry("details.set", case.case_id, data)], write_row)
    return current_details(case)


def _empty_value(section: str) -> Any:
    default = getattr(CaseDetails(), section)
    return [] if isinstance(default, tuple) else {}


def current_document(case: Case) -> dict[str, Any]:
    """The details document as it stands: whole documents and sections, latest wins."""
    with db.read_connection(case.engine) as conn:
        rows = conn.execute(
            sa.select(T_DETAILS.c.section, T_DETAILS.c.document)
            .where(T_DETAILS.c.case_id == case.case_id)
            .order_by(T_DETAILS.c.ledger_seq)
        ).all()
    doc: dict[str, Any] = {}
    for r in rows:
        value = json.loads(r.document)["v"]
        if r.section == WHOLE:
            doc = dict(value)
        elif value in ([], {}):
            doc.pop(r.section, None)
        else:
            doc[r.section] = value
    return doc


def current_details(case: Case) -> CaseDetails:
    """The case details as they stand (all "not recorded" when none were set)."""
    return parse_details(current_document(case))

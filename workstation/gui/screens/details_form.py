"""The case details form of the Exhibits screen: the sections an officer fills most
(officer, suspect, victim, offences with their points to prove, the digital strategy, the
restraining order with the victim's views, VPS, risk assessments with their answers,
outstanding evidence), and the whole document as JSON for the rest (MG6, lines of enquiry).

The form builds a plain document for ``exports.details.set_details``: an empty field is
left out (not recorded). Sections and keys the form does not show are kept as they were.
A validation error names its key (``details.risk[0].date: …``); the form shows it under
the tabs and outlines the field it names.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from typing import Any, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workstation.gui.screens.form_parts import (
    DATE_HINT,
    LinesEdit,
    Paragraph,
    Record,
    RecordList,
    RowsTable,
    YesNo,
    line,
    put,
    text_of,
)
from workstation.gui.screens.risk_tab import RiskTab

ERROR_STYLE = "border: 2px solid #b00020;"
W = TypeVar("W", bound=QWidget)
_KEY = re.compile(r"^details((?:\.[A-Za-z_]+|\[\d+\])*)")


class FormError(Exception):
    """The JSON tab does not hold a JSON document."""


def _iso(value: Any) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a details value")


class DetailsForm(QWidget):
    """``edited`` whenever the officer changes something; ``dirty`` until recorded."""

    edited = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._base: Record = {}
        self._loading = False
        self._json_dirty = False
        self.dirty = False
        self.fields: dict[str, tuple[int, QWidget]] = {}  # key path without indices
        self._marked: list[QWidget] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(True)
        for title, build in (
            ("People", self._people_tab),
            ("Offences", self._offences_tab),
            ("Strategy", self._strategy_tab),
            ("Order, VPS", self._order_tab),
            ("Risk", self._risk_tab),
            ("Outstanding", self._outstanding_tab),
            ("JSON (all)", self._json_tab),
        ):
            self.tabs.addTab(build(self.tabs.count()), title)
        self._json_index = self.tabs.count() - 1
        self._previous_tab = 0
        self.tabs.currentChanged.connect(self._tab_changed)
        layout.addWidget(self.tabs, 1)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        self._watch()

    # --- tabs ----------------------------------------------------------------------------

    def _field(self, key: str, tab: int, widget: W) -> W:
        self.fields[key] = (tab, widget)
        return widget

    def _rows(
        self, form: QFormLayout, tab: int, section: str, rows: tuple[tuple[str, str, QWidget], ...]
    ) -> None:
        """Fields of one section, each a labelled row of ``form``: (key, label, widget)."""
        for key, label, widget in rows:
            form.addRow(label, self._field(f"{section}.{key}", tab, widget))

    def _people_tab(self, tab: int) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.officer = {
            key: self._field(f"officer.{key}", tab, line(hint))
            for key, hint in (
                ("name", "e.g. DC Jane Smith"),
                ("rank", "e.g. DC"),
                ("number", "collar or warrant number"),
                ("station", "e.g. Northtown CID"),
            )
        }
        for key, edit in self.officer.items():
            form.addRow(f"Officer {key}", edit)
        self.suspect = self._field("suspect", tab, line("name (and date of birth)"))
        self.victim = self._field("victim", tab, line("name"))
        form.addRow("Suspect", self.suspect)
        form.addRow("Victim", self.victim)
        return page

    def _offences_tab(self, tab: int) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        editor = QWidget()
        form = QFormLayout(editor)
        form.setContentsMargins(0, 0, 0, 0)
        self.offence_title = line("e.g. Stalking involving fear of violence")
        self.offence_law = line("e.g. s.4A Protection from Harassment Act 1997")
        self.offence_points = LinesEdit("one point to prove per line", height=150)
        form.addRow("Title", self.offence_title)
        form.addRow("Legislation", self.offence_law)
        form.addRow("Points to prove", self.offence_points)
        self.offences = RecordList(
            "offence",
            editor,
            lambda r: str(r.get("title", "(no title yet)")),
            self._load_offence,
            self._save_offence,
        )
        offence_fields: tuple[tuple[str, QWidget], ...] = (
            ("offences", self.offences.chooser),
            ("offences.title", self.offence_title),
            ("offences.legislation", self.offence_law),
            ("offences.points_to_prove", self.offence_points),
        )
        for key, widget in offence_fields:
            self._field(key, tab, widget)
        v.addWidget(self.offences)
        v.addWidget(editor, 1)
        return page

    def _load_offence(self, r: Record) -> None:
        self.offence_title.setText(str(r.get("title", "")))
        self.offence_law.setText(str(r.get("legislation", "")))
        self.offence_points.set_lines(r.get("points_to_prove", []))

    def _save_offence(self) -> Record:
        r: Record = {}
        put(r, "title", text_of(self.offence_title))
        put(r, "legislation", text_of(self.offence_law))
        put(r, "points_to_prove", self.offence_points.lines())
        return r

    def _strategy_tab(self, tab: int) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.strategy: dict[str, QLineEdit | Paragraph] = {
            "sources": LinesEdit("one source per line (device, account download …)"),
            "capture_method": line("how the material was captured"),
            "date_from": line(DATE_HINT),
            "date_to": line(DATE_HINT),
            "parties": LinesEdit("one person or account per line", height=48),
            "keywords": LinesEdit("one keyword per line", height=48),
            "keywords_reason": line("why these keywords"),
            "proportionality": Paragraph("why the examination is reasonable", height=48),
        }
        self._rows(form, tab, "digital_strategy", tuple(
            (key, key.replace("_", " ").capitalize(), widget)
            for key, widget in self.strategy.items()
        ))  # fmt: skip
        return page

    def _order_tab(self, tab: int) -> QWidget:
        page = QWidget()
        h = QHBoxLayout(page)
        order = QGroupBox("Restraining order")
        form = QFormLayout(order)
        self.order_proposed = YesNo()
        self.order_views = Paragraph("the victim's views, in her words where possible", 80)
        self.order_prohibitions = LinesEdit("one prohibition per line", 80)
        self.order_areas = LinesEdit("one exclusion area per line", 48)
        self.order_duration = line("e.g. 5 years")
        self._rows(form, tab, "restraining_order", (
            ("proposed", "Proposed", self.order_proposed),
            ("victim_views", "Victim's views", self.order_views),
            ("prohibitions", "Prohibitions", self.order_prohibitions),
            ("exclusion_areas", "Exclusion areas", self.order_areas),
            ("duration", "Duration", self.order_duration),
        ))  # fmt: skip
        h.addWidget(order, 3)
        vps = QGroupBox("Victim personal statement")
        vps_form = QFormLayout(vps)
        self.vps_offered, self.vps_taken = YesNo(), YesNo()
        self.vps_date = line(DATE_HINT)
        self._rows(vps_form, tab, "vps", (
            ("offered", "Offered", self.vps_offered),
            ("taken", "Taken", self.vps_taken),
            ("date", "Date", self.vps_date),
        ))  # fmt: skip
        h.addWidget(vps, 2)
        return page

    def _risk_tab(self, tab: int) -> QWidget:
        page = RiskTab()
        self.risk, self.risk_answers = page.assessments, page.answers
        self.risk_form, self.risk_assessor = page.form, page.assessor
        self.risk_date, self.risk_outcome = page.date, page.outcome
        for key, widget in page.fields():
            self._field(key, tab, widget)
        return page

    def _outstanding_tab(self, tab: int) -> QWidget:
        self.outstanding = RowsTable(
            [
                ("description", "Description"),
                ("evidence_type", "Type"),
                ("target_date", f"Target date ({DATE_HINT})"),
                ("owner", "Owner"),
            ],
            (300, 130, 150, 120),
        )
        self._field("outstanding", tab, self.outstanding.table)
        return self.outstanding

    def _json_tab(self, tab: int) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        note = QLabel(
            "The whole document, including the sections without a form (mg6, "
            "lines_of_enquiry, lines_not_pursued). Edits here are taken when you leave "
            "this tab or record."
        )
        note.setWordWrap(True)
        v.addWidget(note)
        self.json_text = QPlainTextEdit()
        self.json_text.textChanged.connect(self._json_edited)
        v.addWidget(self.json_text, 1)
        self._field("", tab, self.json_text)
        return page

    # --- edits -----------------------------------------------------------------------

    def _watch(self) -> None:
        for edit in self.findChildren(QLineEdit):
            edit.textEdited.connect(self._changed)
        for lines in self.findChildren(QPlainTextEdit):
            if lines is not self.json_text:
                lines.textChanged.connect(self._changed)
        for box in self.findChildren(QComboBox):
            if box not in (self.offences.chooser, self.risk.chooser):
                box.currentIndexChanged.connect(self._changed)
        for table in (self.risk_answers, self.outstanding):
            table.changed.connect(self._changed)

    def _changed(self, *_args: object) -> None:
        if not self._loading:
            self.dirty = True
            self.edited.emit()

    def _json_edited(self) -> None:
        if not self._loading:
            self._json_dirty = True
            self._changed()

    def _tab_changed(self, index: int) -> None:
        if self._previous_tab == self._json_index and self._json_dirty:
            try:
                self._take_json()
            except FormError as exc:
                self.show_error(str(exc))
        if index == self._json_index:
            try:
                text = json.dumps(self.document(), indent=2, ensure_ascii=False)
            except FormError as exc:
                self.show_error(str(exc))
            else:
                self._loading = True
                self.json_text.setPlainText(text)
                self._loading = False
        self._previous_tab = index

    def _take_json(self) -> None:
        try:
            document = json.loads(self.json_text.toPlainText() or "{}")
        except json.JSONDecodeError as exc:
            raise FormError(f"details: the JSON tab is not valid JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise FormError("details: the JSON tab must hold a table of sections {…}")
        dirty = self.dirty
        self.set_document(document)
        self.dirty = dirty

    # --- the document --------------------------------------------------------------------

    def set_document(self, document: Record) -> None:
        """Show a document (recorded, or loaded from a file): every field from it."""
        # TOML dates arrive as date objects: the form and the JSON view hold text.
        document = json.loads(json.dumps(document, default=_iso))
        self._loading = True
        try:
            self._base = copy.deepcopy(document)
            officer = document.get("officer", {})
            for key, edit in self.officer.items():
                edit.setText(str(officer.get(key, "")))
            self.suspect.setText(str(document.get("suspect", "")))
            self.victim.setText(str(document.get("victim", "")))
            self.offences.set_records(document.get("offences", []))
            strategy = document.get("digital_strategy", {})
            for key, widget in self.strategy.items():
                if isinstance(widget, LinesEdit):
                    widget.set_lines(strategy.get(key, []))
                else:
                    widget.setText(str(strategy.get(key, "")))
            order = document.get("restraining_order", {})
            self.order_proposed.set_value(order.get("proposed"))
            self.order_views.setText(str(order.get("victim_views", "")))
            self.order_prohibitions.set_lines(order.get("prohibitions", []))
            self.order_areas.set_lines(order.get("exclusion_areas", []))
            self.order_duration.setText(str(order.get("duration", "")))
            vps = document.get("vps", {})
            self.vps_offered.set_value(vps.get("offered"))
            self.vps_taken.set_value(vps.get("taken"))
            self.vps_date.setText(str(vps.get("date", "")))
            self.risk.set_records(document.get("risk", []))
            self.outstanding.set_records(document.get("outstanding", []))
            self.json_text.setPlainText(json.dumps(document, indent=2, ensure_ascii=False))
        finally:
            self._loading = False
        self._json_dirty = False
        self.dirty = False
        self.clear_error()

    def document(self) -> Record:
        """The document as the form now stands (the JSON tab's edits taken first).

        Raises:
            FormError: if the JSON tab was edited and is not a JSON table.
        """
        if self._json_dirty:
            self._take_json()
        doc = copy.deepcopy(self._base)
        officer: Record = {}
        for key, edit in self.officer.items():
            put(officer, key, text_of(edit))
        put(doc, "officer", officer)
        put(doc, "suspect", text_of(self.suspect))
        put(doc, "victim", text_of(self.victim))
        put(doc, "offences", self.offences.records())
        strategy: Record = {}
        for key, widget in self.strategy.items():
            value = widget.lines() if isinstance(widget, LinesEdit) else text_of(widget)
            put(strategy, key, value)
        put(doc, "digital_strategy", strategy)
        order: Record = {}
        put(order, "proposed", self.order_proposed.value())
        put(order, "victim_views", text_of(self.order_views))
        put(order, "prohibitions", self.order_prohibitions.lines())
        put(order, "exclusion_areas", self.order_areas.lines())
        put(order, "duration", text_of(self.order_duration))
        put(doc, "restraining_order", order)
        vps = dict(doc.get("vps", {}))  # keeps item_sha256, which has no field here
        put(vps, "offered", self.vps_offered.value())
        put(vps, "taken", self.vps_taken.value())
        put(vps, "date", text_of(self.vps_date))
        put(doc, "vps", vps)
        put(doc, "risk", self.risk.records())
        put(doc, "outstanding", self.outstanding.records())
        return doc

    # --- errors ----------------------------------------------------------------------

    def clear_error(self) -> None:
        self.error.setText("")
        for widget in self._marked:
            widget.setStyleSheet("")
            widget.setToolTip("")
        self._marked = []

    def show_error(self, message: str) -> None:
        """Show a validation message under the tabs and outline the field it names."""
        self.clear_error()
        self.error.setText(message)
        found = _KEY.match(message)
        parts = re.findall(r"\.([A-Za-z_]+)|\[(\d+)\]", found.group(1)) if found else []
        names = [name for name, _ in parts if name]
        indices = [int(i) for _, i in parts if i]
        for end in range(len(names), 0, -1):
            key = ".".join(names[:end])
            if key in self.fields:
                break
        else:
            key = ""
        tab, widget = self.fields[key]
        self.tabs.setCurrentIndex(tab)
        if indices and names[0] in ("offences", "risk"):
            (self.offences if names[0] == "offences" else self.risk).choose(indices[0])
        if indices and key in ("outstanding", "risk.answers"):
            row = indices[0] if key == "outstanding" else indices[-1]
            table = self.outstanding if key == "outstanding" else self.risk_answers
            table.table.selectRow(row)
        widget.setStyleSheet(ERROR_STYLE)
        widget.setToolTip(message)
        widget.setFocus()
        self._marked.append(widget)

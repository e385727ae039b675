"""The risk assessments of the case details form: each assessment's form (S-DASH or DASH),
assessor, date and outcome, and its answers by question number and topic (our own short
topic words, never the licensed question text)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workstation.gui.screens.form_parts import (
    DATE_HINT,
    Choice,
    Record,
    RecordList,
    RowsTable,
    line,
    put,
    text_of,
)


def _number(key: str, text: str) -> Any:
    """Answer numbers are whole numbers; anything else goes on as typed, for the validator
    to name."""
    return int(text) if key == "number" and text.isdigit() else text


class RiskTab(QWidget):
    """Assessments chosen one at a time above the chosen one's fields and answers."""

    def __init__(self) -> None:
        super().__init__()
        v = QVBoxLayout(self)
        editor = QWidget()
        ev = QVBoxLayout(editor)
        ev.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.form = Choice(["S-DASH", "DASH"])
        self.assessor = line("who completed it")
        self.date = line(DATE_HINT)
        self.outcome = Choice(["standard", "medium", "high"], editable=True)
        for label, control in (
            ("Form", self.form),
            ("Assessor", self.assessor),
            ("Date", self.date),
            ("Outcome", self.outcome),
        ):
            row.addWidget(QLabel(label))
            row.addWidget(control, 1)
        ev.addLayout(row)
        self.answers = RowsTable(
            [("number", "No."), ("topic", "Topic"), ("answer", "Answer"), ("detail", "Detail")],
            (50, 220, 110, 200),
            {"answer": ["yes", "no", "not known"]},
        )
        ev.addWidget(self.answers, 1)
        self.assessments = RecordList(
            "assessment",
            editor,
            lambda r: (
                " ".join(str(r.get(k, "")) for k in ("form", "date", "outcome")).strip() or "(new)"
            ),
            self._load,
            self._save,
        )
        v.addWidget(self.assessments)
        v.addWidget(editor, 1)

    def fields(self) -> list[tuple[str, QWidget]]:
        """The widget of each key, for showing a validation error on it."""
        return [
            ("risk", self.assessments.chooser),
            ("risk.form", self.form),
            ("risk.assessor", self.assessor),
            ("risk.date", self.date),
            ("risk.outcome", self.outcome),
            ("risk.answers", self.answers.table),
        ]

    def _load(self, r: Record) -> None:
        self.form.set_value(r.get("form"))
        self.assessor.setText(str(r.get("assessor", "")))
        self.date.setText(str(r.get("date", "")))
        self.outcome.set_value(r.get("outcome"))
        self.answers.set_records(r.get("answers", []))

    def _save(self) -> Record:
        r: Record = {}
        put(r, "form", self.form.value())
        put(r, "assessor", text_of(self.assessor))
        put(r, "date", text_of(self.date))
        put(r, "outcome", self.outcome.value())
        put(r, "answers", self.answers.records(_number))
        return r

"""The mapping report: where every case field came from, what was not used, and every
conflict with how it was resolved. Texts are German first, English second."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from osteoboard.case import Case
from osteoboard.text import Text

__all__ = [
    "Conflict",
    "ConflictCandidate",
    "FieldSource",
    "ImportResult",
    "MappingReport",
    "Unused",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSource(_Model):
    """One case field and the resource element it came from."""

    field: str = Field(description="The field's path in the case, e.g. labs.calcium_mmol_l.")
    value: Any = Field(description="The value in the case (after unit conversion).")
    resource: str = Field(description="Type/id of the resource, e.g. Observation/ca-1.")
    element: str = Field(description="The element read, e.g. valueQuantity.")
    note: Text | None = Field(default=None, description="A conversion or assumption.")


class Unused(_Model):
    """A resource, or elements of a resource, that did not go into the case."""

    resource: str
    element: str | None = Field(default=None, description="None: the whole resource.")
    reason: Text


class ConflictCandidate(_Model):
    resource: str
    value: Any
    date: dt.date | None = None


class Conflict(_Model):
    """Several resources gave one field different values; the chosen one and the rule."""

    field: str
    chosen: ConflictCandidate
    others: list[ConflictCandidate]
    rule: Text


class MappingReport(_Model):
    board_date: dt.date | None
    patient: str = Field(description="Type/id of the patient the case is about.")
    resources: int = Field(description="Resources read.")
    fields: list[FieldSource] = Field(default_factory=list)
    unused: list[Unused] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)

    def lines(self, lang: str = "de") -> list[str]:
        """The report as plain lines (German by default), for the console."""
        de = lang == "de"
        out = [
            ("Zuordnungsbericht" if de else "Mapping report")
            + f": {self.patient}, {self.resources} "
            + ("Ressourcen" if de else "resources")
            + (f", {('Konferenz' if de else 'board')} {self.board_date}" if self.board_date else "")
        ]
        out.append(("Übernommen" if de else "Mapped") + f" ({len(self.fields)}):")
        for f in self.fields:
            note = f" ({f.note.de if de else f.note.en})" if f.note else ""
            out.append(f"  {f.field} = {f.value!r} ← {f.resource} {f.element}{note}")
        out.append(("Konflikte" if de else "Conflicts") + f" ({len(self.conflicts)}):")
        for c in self.conflicts:
            others = ", ".join(f"{o.resource}={o.value!r}" for o in c.others)
            rule = c.rule.de if de else c.rule.en
            out.append(f"  {c.field}: {c.chosen.resource}={c.chosen.value!r} ({rule}); {others}")
        out.append(("Nicht verwendet" if de else "Not used") + f" ({len(self.unused)}):")
        for u in self.unused:
            what = f"{u.resource} {u.element}" if u.element else u.resource
            out.append(f"  {what}: {u.reason.de if de else u.reason.en}")
        return out


class ImportResult(_Model):
    """The case and the report of how it was made."""

    case: Case
    report: MappingReport

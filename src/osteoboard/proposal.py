"""The output contract (SPEC §4): one JSON document per evaluated case.

Every other output (text, HTML, PDF, patient letter, CDS cards) is rendered from a
:class:`Proposal`; renderers decide nothing clinical.
"""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from osteoboard.prognosis import Prognosis
from osteoboard.scores.base import ScoreResult
from osteoboard.text import Text

__all__ = [
    "Assumption",
    "Because",
    "ItemCondition",
    "ItemStatus",
    "KnowledgeBaseInfo",
    "MissingData",
    "Priority",
    "Proposal",
    "Question",
    "Recommendation",
    "Warning",
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Priority(StrEnum):
    urgent = "urgent"
    soon = "soon"
    routine = "routine"


class ItemStatus(StrEnum):
    """How sure an item is (SPEC §4.1).

    Emergencies are ``confirmed`` (the finding is documented) or ``suspected`` (a documented
    finding raises it, and only a documented negative could end it). Other items are ``firm``
    (every completion of the open facts needs them) or ``conditional`` (some completion
    does; the item carries the conditions).
    """

    confirmed = "confirmed"
    suspected = "suspected"
    firm = "firm"
    conditional = "conditional"


class Because(_Out):
    fact: str = Field(description="Fact name from the fact catalogue.")
    value: str | int | float | bool | list[str] | None


class ItemCondition(_Out):
    """One open fact of a conditional or suspected item, and the values that make it apply."""

    fact: str = Field(description="Fact name from the fact catalogue.")
    fields: list[str] = Field(description="Case paths whose absence leaves the fact open.")
    values: list[str | int | float | bool] = Field(
        description="The fact's values (for numbers: test points) under which the item applies."
    )
    text: Text = Field(description="The condition in words, e.g. 'operationsfähig'.")
    group: int = Field(
        default=0,
        description="Alternatives: the item applies when every condition of one group holds "
        "(groups are numbered from 0; most items have one).",
    )


class Assumption(_Out):
    """A fact that was not documented and was read as absent (its knowledge-base policy)."""

    fact: str
    fields: list[str]
    value: str | int | float | bool | list[str]
    text: Text


class Recommendation(_Out):
    code: str = Field(description="Action code (SPEC §4).")
    discipline: str
    lesion: str | None = None
    priority: Priority
    strength: str = Field(description="strong · conditional · option")
    text: Text
    because: list[Because]
    sources: list[str]
    rule: str
    status: ItemStatus = ItemStatus.firm
    conditions: list[ItemCondition] = Field(default_factory=list)
    assumed: list[Assumption] = Field(default_factory=list)
    alternative_to: str | None = Field(
        default=None,
        description="Code of the radiotherapy schedule proposed for the same lesion that this "
        "one is offered beside as an alternative (the board chooses one).",
    )


class Warning(_Out):
    code: str
    lesion: str | None = None
    text: Text
    because: list[Because]
    sources: list[str]
    rule: str
    status: ItemStatus = ItemStatus.firm
    conditions: list[ItemCondition] = Field(default_factory=list)
    assumed: list[Assumption] = Field(default_factory=list)


class MissingData(_Out):
    field: str = Field(description="Case path of the unknown input.")
    needed_for: list[str] = Field(description="Scores and rules whose result it could change.")
    priority: Literal["urgent", "soon", "routine", "score"] = Field(
        description="The most urgent item it could change (score: only a score's result)."
    )


class Question(_Out):
    """One of the few questions whose answers would change the proposal most."""

    fact: str
    fields: list[str] = Field(description="Case paths that answer it.")
    text: Text
    decides: list[str] = Field(
        description="The items it decides, as CODE or CODE[lesion], the most urgent first."
    )
    priority: Literal["urgent", "soon", "routine"]


class KnowledgeBaseInfo(_Out):
    version: str
    sha256: str


class Proposal(_Out):
    case_id: str
    engine_version: str
    knowledge_base: KnowledgeBaseInfo | None = None
    prognosis: Prognosis
    scores: list[ScoreResult]
    emergencies: list[Recommendation] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)
    missing_data: list[MissingData]
    questions: list[Question] = Field(default_factory=list)

"""Quality indicators (``knowledge/quality.yaml``): shares of cases, as data.

An indicator has a denominator and a numerator, each a CEL condition over a *view*: over
``proposal`` a view of one evaluated case (:func:`proposal_view`: its items with code, status,
priority and the facts behind them, its questions, missing fields, prognosis and scores), over
``decision`` a view of the board's recorded decisions on one agenda entry
(:func:`decision_view`). A case counts in the numerator only when it counts in the denominator.

Loading compiles every condition and fails, naming the indicator, on a CEL error, a name that
is not a variable of its view, an action code that ``actions.yaml`` does not know, or a source
key that ``sources.yaml`` does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from osteoboard import _cel as cel
from osteoboard.celpy import Compiled, Error, Unsupported, compile_condition
from osteoboard.facts import catalogue_by_name
from osteoboard.knowledge_files import KnowledgeError, check_sources, read_yaml, validate
from osteoboard.text import Text

__all__ = [
    "DECISION_VIEW",
    "PROPOSAL_VIEW",
    "Indicator",
    "QualityIndicator",
    "Tally",
    "decision_view",
    "judge_all",
    "load_quality",
    "proposal_view",
]

#: The variables of each view, with what they hold (the vocabulary a condition may use).
PROPOSAL_VIEW: dict[str, str] = {
    "items": "every emergency, recommendation and warning: {kind, code, discipline, lesion, "
    "priority, strength, status, rule, because (facts with a value), conditions (open facts), "
    "assumed (facts read as absent)}",
    "codes": "the distinct action codes of the proposal",
    "questions": "the board's questions: {fact, priority, decides}",
    "missing": "the missing inputs: {field, priority}",
    "prognosis": "{band, basis, ge_6_months} (null when undecided)",
    "scores": "{name, lesion, total, min, max, category}",
    "primary_site": "the primary tumour site of the case (null when not given)",
}
DECISION_VIEW: dict[str, str] = {
    "overall": "true when the board recorded an overall decision",
    "guideline_conform": "the overall decision conforms to the guideline (null: none recorded)",
    "signed": "the entry is signed off",
    "decisions": "the board's decisions per item: {code, lesion, outcome}",
    "items": "the items of the evaluation decided on (as in the proposal view)",
    "codes": "the distinct action codes of that evaluation",
}

_CODE_LITERAL = re.compile(r"[\"']([A-Z]+\.[A-Z0-9_]+)[\"']")
_FACT_LITERAL = re.compile(r"[\"']([a-z_]+\.[a-z_][a-z0-9_]*)[\"']")
#: An item field read in a condition (``i.code``); the items are converted for CEL with only
#: these.
_ITEM_FIELD = re.compile(
    r"\.\s*(kind|code|discipline|lesion|priority|strength|status|rule|because|conditions|assumed)\b"
)
_MACRO_VAR = re.compile(r"\.\s*(?:exists|all|exists_one|map|filter)\s*\(\s*([a-z_][a-z0-9_]*)\s*,")


class _Model(BaseModel):
    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class QualityIndicator(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: Text
    over: Literal["proposal", "decision"]
    denominator: Annotated[str, Field(min_length=1)]
    numerator: Annotated[str, Field(min_length=1)]
    meaning: str
    sources: Annotated[list[str], Field(min_length=1)]


class _QualityFile(_Model):
    indicators: list[QualityIndicator]


@dataclass(frozen=True)
class Indicator:
    """A quality indicator with its two conditions compiled: CEL's programs, and the same
    conditions as Python functions (:mod:`osteoboard.celpy`, None where a condition uses a
    part of CEL not compiled there), which read a view as it is; converting a view for CEL
    costs far more than judging it."""

    definition: QualityIndicator
    denominator: Any
    numerator: Any
    python: tuple[Compiled, Compiled] | None = None

    @property
    def id(self) -> str:
        return self.definition.id

    def __reduce__(self) -> tuple[Any, ...]:
        # CEL's programs do not pickle (the knowledge base is cached as a pickle): read back,
        # they are compiled again from the checked text when first run; the Python functions
        # pickle as their bytecode.
        return (_restored, (self.definition, self.python))

    @property
    def variables(self) -> frozenset[str]:
        """The view's variables its conditions read."""
        views = PROPOSAL_VIEW if self.definition.over == "proposal" else DECISION_VIEW
        return frozenset(
            name
            for program in (self.denominator, self.numerator)
            for name in program.variables()
            if name in views
        )

    @property
    def item_fields(self) -> frozenset[str]:
        """The fields of ``items`` its conditions read (``i.code`` …)."""
        text = f"{self.definition.denominator} {self.definition.numerator}"
        return frozenset(_ITEM_FIELD.findall(text))

    def judge(self, view: Mapping[str, Any]) -> tuple[bool, bool]:
        """(in the denominator, in the numerator) for one view."""
        return judge_all([self], view)[0]


def judge_all(indicators: Sequence[Indicator], view: Mapping[str, Any]) -> list[tuple[bool, bool]]:
    """(in the denominator, in the numerator) of each indicator for one view.

    A condition runs as its Python function on the view; one without a Python function, or
    whose run fails (a name the view lacks, a type error), runs as CEL's program, so the
    answer (or the error raised) is CEL's. The view is converted for CEL at most once, with
    only the variables the indicators read."""
    context: list[Any] = []

    def run(qi: Indicator, part: int) -> bool:
        if qi.python is not None:
            result = qi.python[part].run(view)
            if result.__class__ is not Error:
                return result is True
        if not context:
            context.append(_context(indicators, view))
        program = qi.denominator if part == 0 else qi.numerator
        return program.execute(context[0]) is True

    out: list[tuple[bool, bool]] = []
    for qi in indicators:
        if not run(qi, 0):
            out.append((False, False))
        else:
            out.append((True, run(qi, 1)))
    return out


def _context(indicators: Sequence[Indicator], view: Mapping[str, Any]) -> Any:
    """The view converted for CEL, with only the variables the indicators read."""
    wanted = frozenset().union(*(qi.variables for qi in indicators))
    values = {name: view[name] for name in wanted}
    if "items" in values:
        fields = frozenset().union(*(qi.item_fields for qi in indicators))
        values["items"] = [{k: i[k] for k in fields if k in i} for i in values["items"]]
    return cel.Context(values)


def _python(definition: QualityIndicator) -> tuple[Compiled, Compiled] | None:
    try:
        return (
            compile_condition(definition.denominator, fields=True),
            compile_condition(definition.numerator, fields=True),
        )
    except Unsupported:
        return None


def _restored(definition: QualityIndicator, python: tuple[Compiled, Compiled] | None) -> Indicator:
    return Indicator(
        definition,
        cel.CelProgram(definition.denominator),
        cel.CelProgram(definition.numerator),
        python,
    )


@dataclass
class Tally:
    """Counts of one indicator over many views."""

    denominator: int = 0
    numerator: int = 0

    def add(self, judged: tuple[bool, bool]) -> None:
        self.denominator += judged[0]
        self.numerator += judged[1]

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def _compile(expr: str, where: str, variables: Mapping[str, str], codes: Iterable[str]) -> Any:
    try:
        program = cel.compile(expr)
    except Exception as exc:  # the CEL compiler's own error types
        raise KnowledgeError(f"{where}: invalid CEL: {str(exc).splitlines()[0]}") from None
    bound = set(_MACRO_VAR.findall(expr))
    for name in program.variables():
        if name not in variables and name not in bound:
            raise KnowledgeError(
                f"{where}: unknown name {name!r} (known: {', '.join(sorted(variables))})"
            )
    known = set(codes)
    for code in _CODE_LITERAL.findall(expr):
        if code not in known:
            raise KnowledgeError(f"{where}: unknown action code {code}")
    facts = catalogue_by_name()
    for name in _FACT_LITERAL.findall(expr):
        if name not in facts:
            raise KnowledgeError(f"{where}: unknown fact {name!r}")
    return program


def load_quality(
    kb_dir: Path, *, actions: Iterable[str], sources: Mapping[str, Any]
) -> tuple[Indicator, ...]:
    """``quality.yaml``, compiled and linted (no file: no indicators)."""
    path = kb_dir / "quality.yaml"
    if not path.exists():
        return ()
    data = validate(_QualityFile, read_yaml(path), "quality.yaml")
    codes = list(actions)
    out: list[Indicator] = []
    seen: set[str] = set()
    for qi in data.indicators:
        where = f"quality.yaml: indicator {qi.id}"
        if qi.id in seen:
            raise KnowledgeError(f"{where}: duplicate indicator id")
        seen.add(qi.id)
        check_sources(qi.sources, sources, where)
        variables = PROPOSAL_VIEW if qi.over == "proposal" else DECISION_VIEW
        out.append(
            Indicator(
                qi,
                _compile(qi.denominator, f"{where}: denominator", variables, codes),
                _compile(qi.numerator, f"{where}: numerator", variables, codes),
                _python(qi),
            )
        )
    return tuple(out)


# -- views ---------------------------------------------------------------------------------------


def _item_view(kind: str, item: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "code": item.code,
        "discipline": getattr(item, "discipline", "warning"),
        "lesion": item.lesion,
        "priority": getattr(getattr(item, "priority", None), "value", None),
        "strength": getattr(item, "strength", None),
        "status": item.status.value,
        "rule": item.rule,
        "because": [b.fact for b in item.because],
        "conditions": list(dict.fromkeys(c.fact for c in item.conditions)),
        "assumed": [a.fact for a in item.assumed],
    }


def proposal_items(proposal: Any) -> list[dict[str, Any]]:
    """The items of a proposal as plain dicts (emergencies, recommendations, warnings)."""
    return [
        *(_item_view("emergency", i) for i in proposal.emergencies),
        *(_item_view("recommendation", i) for i in proposal.recommendations),
        *(_item_view("warning", i) for i in proposal.warnings),
    ]


def proposal_view(
    proposal: Any, *, primary_site: str | None, items: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The view of one evaluated case that proposal indicators read."""
    listed = list(items) if items is not None else proposal_items(proposal)
    prognosis = proposal.prognosis
    return {
        "items": listed,
        "codes": list(dict.fromkeys(i["code"] for i in listed)),
        "questions": [
            {"fact": q.fact, "priority": q.priority, "decides": list(q.decides)}
            for q in proposal.questions
        ],
        "missing": [{"field": m.field, "priority": m.priority} for m in proposal.missing_data],
        "prognosis": {
            "band": getattr(prognosis.band, "value", prognosis.band),
            "basis": getattr(prognosis.basis, "value", prognosis.basis),
            "ge_6_months": prognosis.ge_6_months,
        },
        "scores": [
            {
                "name": s.name,
                "lesion": s.lesion,
                "total": s.total,
                "min": s.range[0] if s.range else None,
                "max": s.range[1] if s.range else None,
                "category": s.category,
            }
            for s in proposal.scores
        ],
        "primary_site": primary_site,
    }


def decision_view(
    *,
    items: Sequence[Mapping[str, Any]],
    decisions: Sequence[Mapping[str, Any]],
    guideline_conform: bool | None,
    signed: bool,
) -> dict[str, Any]:
    """The view of one agenda entry's recorded decisions that decision indicators read."""
    return {
        "overall": guideline_conform is not None,
        "guideline_conform": guideline_conform,
        "signed": signed,
        "decisions": [dict(d) for d in decisions],
        "items": [dict(i) for i in items],
        "codes": list(dict.fromkeys(i["code"] for i in items)),
    }

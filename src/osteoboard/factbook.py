"""What each fact means to a reader and what "not documented" means for it (``facts.yaml``).

The fact catalogue in :mod:`osteoboard.facts` declares names and types; the knowledge base's
``facts.yaml`` adds what a clinician reviews: the German and English names used in conditions
and questions, the plausible interval of an unknown number, and the policy for a fact that is
not documented (SPEC §4.1). This module loads it, collects the thresholds every rule compares a
number against, and turns an unknown number into the test points that straddle those
thresholds, so a new threshold can never hide missing data.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from osteoboard.facts import Fact, Value
from osteoboard.text import Text

__all__ = [
    "FactInfo",
    "collect_thresholds",
    "condition_text",
    "lint_fact_info",
    "straddles",
    "test_points",
]


class _Model(BaseModel):
    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FactInfo(_Model):
    """One entry of ``facts.yaml``."""

    label: Text
    if_true: Text | None = None
    if_false: Text | None = None
    vocabulary: str | None = Field(
        default=None, description="The vocabulary of labels.yaml that names the values."
    )
    values: dict[str, Text] = Field(default_factory=dict)
    range: Annotated[tuple[float, float], Field(description="Plausible interval")] | None = None
    question: Text | None = None
    #: Another fact whose question asks for this one too (the neurological symptoms are one
    #: question, not four): the two are one question in ``questions[]``.
    asked_with: str | None = None
    #: A yes/no fact that must be documented true before this fact's question is asked (a
    #: follow-up: since when a deficit has existed, only once a deficit is documented). The
    #: fact stays in ``missing_data``; only the question waits.
    asked_if: str | None = None
    #: Asked only after the other questions of its rank: a value whose answer sets a
    #: supplement or a dose but changes no treatment (25-OH vitamin D: calcium and vitamin D
    #: are given either way) - the few questions go to what changes the proposal most.
    asked_last: bool = False
    #: The case fields the question names (a value derived from several, such as a
    #: clearance from creatinine, weight, age and sex). When only some of them are missing,
    #: the question asks for those alone: the one field's own question, or ``question_partial``
    #: with ``{fields}`` for their names - never again for a value already documented.
    inputs: tuple[str, ...] = ()
    question_partial: Text | None = None
    #: The inputs ``question_partial`` is worded for (all of them when empty): when another
    #: input is missing on its own, the whole question is asked (the whole-spine MRI not
    #: documented is not "please add: whole-spine MRI").
    partial_for: tuple[str, ...] = ()
    context: bool = False
    policy: Literal["unknown", "absent_unless_documented"] = "unknown"
    assume: bool | str | list[str] | None = None
    reason: Text | None = None
    #: With policy absent_unless_documented: the assumption is not named on the items that
    #: rely on it (a rare state that a referral states whenever it is present; naming its
    #: absence on every item would bury the assumptions that matter). A documented value is
    #: named like any other.
    quiet: bool = False
    #: For a score whose range is known (some items documented): when its lower end, what
    #: the documented items give, reaches this value, the measurement points to the upper end
    #: (the worst the open items can give) when deciding whether it raises an open rule. A
    #: spine already "potentially unstable" on what is documented raises a suspected
    #: instability whenever the open items can make it unstable; otherwise the middle counts.
    worst_from: float | None = None
    #: A yes/no fact of the same scope whose documented "yes" has the range read at its
    #: worst whatever the documented items give (a fractured vertebra is treated as possibly
    #: unstable until its instability items are reported).
    worst_if: str | None = None
    #: Yes/no facts whose "yes" makes this yes/no fact "yes" too (a lesion's high-grade
    #: compression makes "a spinal lesion with high-grade compression" true; a new deficit is
    #: a deficit). The engine tries unknown facts as if free of each other; a completion that
    #: breaks one of these is impossible, and an item's conditions never ask for one.
    implied_by: tuple[str, ...] = ()
    #: A yes/no fact of the same scope that must be "yes" for this fact to be named among an
    #: item's reasons: a long bone's Mirels risk says nothing of a vertebra, whose value is
    #: only a placeholder that keeps the rules defined.
    shown_if: str | None = None
    sources: list[str] = Field(default_factory=list)

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, raw: Any) -> Any:
        # YAML reads a value named 0 or 1 (Bilsky grades) as a number: names are text.
        return {str(k): v for k, v in raw.items()} if isinstance(raw, dict) else raw

    @model_validator(mode="after")
    def _policy(self) -> FactInfo:
        if self.policy == "absent_unless_documented" and (
            self.assume is None or self.reason is None
        ):
            raise ValueError("policy absent_unless_documented needs 'assume' and 'reason'")
        if self.policy == "unknown" and self.assume is not None:
            raise ValueError("'assume' is only allowed with policy absent_unless_documented")
        if self.quiet and self.policy != "absent_unless_documented":
            raise ValueError("'quiet' is only allowed with policy absent_unless_documented")
        if self.question_partial is not None and (
            not self.inputs
            or self.question is None
            or "{fields}" not in self.question_partial.de
            or "{fields}" not in self.question_partial.en
        ):
            raise ValueError(
                "question_partial needs a question, inputs, and {fields} in both languages"
            )
        if not set(self.partial_for) <= set(self.inputs) or (
            self.partial_for and self.question_partial is None
        ):
            raise ValueError("partial_for names inputs that question_partial is worded for")
        if self.inputs and self.question is None:
            raise ValueError("inputs name what a question asks for: they need a question")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("range must be [low, high] with low < high")
        return self


def lint_fact_info(fact: Fact, info: FactInfo) -> str | None:
    """A message when an entry does not fit its fact's type, else None."""
    texts = (info.label, info.if_true, info.if_false, info.question, info.question_partial)
    for text in (*texts, info.reason):
        if text is not None and (not text.de.strip() or not text.en.strip()):
            return "every text needs German and English"
    if fact.type == "bool" and (info.if_true is None or info.if_false is None):
        return "a yes/no fact needs if_true and if_false"
    if fact.type == "enum":
        missing = [v for v in fact.values if v not in info.values]
        extra = [v for v in info.values if v not in fact.values]
        if missing or extra:
            return f"values must name every value of the fact (missing {missing}, extra {extra})"
    if fact.type in ("int", "float") and info.range is None:
        return "a number needs its plausible range"
    if info.worst_from is not None and (
        fact.type not in ("int", "float")
        or info.range is None
        or not info.range[0] < info.worst_from <= info.range[1]
    ):
        return "worst_from needs a number fact and a value inside its plausible range"
    if info.worst_if is not None and (fact.type not in ("int", "float") or info.range is None):
        return "worst_if needs a number fact with a plausible range"
    if info.policy == "absent_unless_documented":
        assumed = info.assume
        ok = (
            (fact.type == "bool" and isinstance(assumed, bool))
            or (fact.type == "enum" and assumed in fact.values)
            or (fact.type == "list" and isinstance(assumed, list))
        )
        if not ok:
            return f"assumed value {assumed!r} does not fit a fact of type {fact.type}"
    return None


# -- thresholds ---------------------------------------------------------------------------------

_NUM = r"-?\d+(?:\.\d+)?"
_FACT = r"[a-z_]+__[a-z_][a-z0-9_]*"
_OPS = r"(>=|<=|==|!=|>|<)"
_LEFT = re.compile(rf"\b({_FACT})\s*{_OPS}\s*({_NUM})(?![\w.])")
_RIGHT = re.compile(rf"(?<![\w.])({_NUM})\s*{_OPS}\s*({_FACT})\b")
_MIRROR = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==", "!=": "!="}
_COMPARE = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def straddles(op: str, literal: float, points: Sequence[float]) -> bool:
    """Whether the test points reach both outcomes of ``fact op literal``."""
    outcomes = {_COMPARE[op](p, literal) for p in points}
    return len(outcomes) == 2


def collect_thresholds(
    flat_expression: str, numeric: Mapping[str, str]
) -> tuple[list[tuple[str, str, float]], list[str]]:
    """([(fact, operator, literal)], numeric facts used in any other way).

    ``flat_expression`` is a condition with flat variable names (``lesion__mirels``);
    ``numeric`` maps the flat names of numeric facts to their fact names. A numeric fact must
    only be compared with a literal (``x >= 9``, ``3.0 <= x``): anything else (arithmetic,
    comparison with another fact) could not be straddled by test points, and is reported.
    """
    found: list[tuple[str, str, float]] = []
    rest = flat_expression
    for pattern, left in ((_LEFT, True), (_RIGHT, False)):
        for m in pattern.finditer(flat_expression):
            flat = m.group(1 if left else 3)
            if flat in numeric:
                op = m.group(2) if left else _MIRROR[m.group(2)]
                found.append((numeric[flat], op, float(m.group(3 if left else 1))))
        rest = pattern.sub(" ", rest)
    stray = [numeric[f] for f in re.findall(rf"\b{_FACT}\b", rest) if f in numeric]
    return found, list(dict.fromkeys(stray))


def test_points(
    low: float, high: float, thresholds: Sequence[float], integer: bool
) -> list[int | float]:
    """Values of an unknown number in [low, high] that reach every outcome a comparison with
    one of the thresholds can give: each threshold inside and one point strictly between
    neighbouring thresholds and bounds (for integers: each threshold and its neighbours).
    Without a threshold inside, the two bounds."""
    inside = sorted({t for t in thresholds if low <= t <= high})
    if integer:
        lo, hi = math.ceil(low), math.floor(high)
        if lo > hi:
            return []
        if not inside:
            return sorted({lo, hi})
        points: set[int] = set()
        for t in inside:
            for p in (math.floor(t) - 1, math.floor(t), math.ceil(t), math.ceil(t) + 1):
                if lo <= p <= hi:
                    points.add(p)
        return sorted(points)
    if not inside:
        return sorted({low, high})
    anchors = sorted({low, high, *inside})
    mids = [round((a + b) / 2, 6) for a, b in itertools.pairwise(anchors)]
    return sorted({*inside, *mids})


# -- conditions in words ------------------------------------------------------------------------


def _number(value: float, lang: str) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "de" else text


def _numeric_text(
    points: Sequence[float], satisfying: Iterable[float], thresholds: Sequence[float], lang: str
) -> str:
    """Describe the satisfying test points as comparisons with the thresholds."""
    sat = set(satisfying)
    ordered = sorted(points)
    marks = [p in sat for p in ordered]
    limits = set(thresholds)
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        if not marks[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(ordered) and marks[j + 1]:
            j += 1
        bounds: list[str] = []
        if i > 0:
            first = ordered[i]
            bounds.append(
                f"≥ {_number(first, lang)}"
                if first in limits
                else f"> {_number(ordered[i - 1], lang)}"
            )
        if j < len(ordered) - 1:
            last = ordered[j]
            bounds.append(
                f"≤ {_number(last, lang)}"
                if last in limits
                else f"< {_number(ordered[j + 1], lang)}"
            )
        parts.append((" und " if lang == "de" else " and ").join(bounds))
        i = j + 1
    return (" oder " if lang == "de" else " or ").join(p for p in parts if p)


def condition_text(
    fact: Fact,
    info: FactInfo,
    values: Sequence[Value],
    domain: Sequence[Value],
    thresholds: Sequence[float],
) -> Text:
    """The condition 'fact takes one of values' in words, German and English."""

    def say(lang: str) -> str:
        label = getattr(info.label, lang)
        if fact.type == "bool" and len(values) == 1:
            text = info.if_true if values[0] else info.if_false
            assert text is not None  # linted on load
            return str(getattr(text, lang))
        if fact.type == "enum":
            names = [getattr(info.values[str(v)], lang) for v in values if str(v) in info.values]
            joiner = " oder " if lang == "de" else " or "
            return f"{label}: {joiner.join(names)}"
        if fact.type in ("int", "float"):
            nums = [float(v) for v in values if isinstance(v, int | float)]
            dom = [float(v) for v in domain if isinstance(v, int | float)]
            described = _numeric_text(dom, nums, thresholds, lang)
            return f"{label} {described}".strip()
        shown = ", ".join(str(v) for v in values)
        return f"{label}: {shown}"

    return Text(de=say("de"), en=say("en"))


def parse_fact_infos(raw: Any) -> dict[str, Any]:
    """The ``facts`` mapping of ``facts.yaml`` (validated by the caller)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("facts"), dict):
        raise ValueError("must be a mapping with a 'facts' mapping")
    return dict(raw["facts"])

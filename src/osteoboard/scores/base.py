"""Shared result types and the range arithmetic every score uses.

A score is a pure function from a typed input model (all fields optional: ``None`` means
unknown) to a :class:`ScoreResult`. Each item knows the points it may still take; the total
is exact when every item is known, otherwise the result carries the set of reachable totals as
``range`` and the categories those totals fall into. Nothing is guessed.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from osteoboard.text import Text

__all__ = [
    "Points",
    "ScoreInput",
    "ScoreItem",
    "ScoreResult",
    "Text",
    "corner_bounds",
    "item",
    "known_item",
    "negative_zero",
    "plausible_range",
    "summarise",
    "unknown_item",
    "value_result",
]

Points = int | float


class ScoreInput(BaseModel):
    """Base for score inputs: every field optional, unknown fields rejected, a number finite
    (as in a case)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, allow_inf_nan=False
    )


# ScoreItem and ScoreResult are plain frozen dataclasses: they are built by our own code from
# validated inputs, many per case, and pydantic still serialises them and derives their schema.


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreItem:
    name: Annotated[str, Field(description="Stable item key.")]
    label: Text
    value: Annotated[
        str | int | float | bool | None,
        Field(description="The input as entered or derived; null when unknown."),
    ]
    points: Annotated[
        Points | None, Field(description="Points scored; null when the input is unknown.")
    ]
    possible: Annotated[
        list[Points], Field(description="Points this item can still take (one when known).")
    ]
    #: The value in words (German, English) where it is more than a vocabulary value, e.g.
    #: the laboratory values of the Katagiri score; the outputs show it instead of ``value``.
    note: Text | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreResult:
    name: str
    lesion: str | None = None
    assessable: Annotated[bool, Field(description="False when every input is missing.")]
    total: Annotated[
        Points | None, Field(description="Exact total; null unless every item is known.")
    ]
    range: Annotated[
        tuple[Points, Points] | None,
        Field(description="[min, max] over all completions of unknown items."),
    ]
    unit: str | None = None
    category: Annotated[
        str | None, Field(description="Null when the range spans several categories.")
    ]
    possible_categories: list[str]
    interpretation: Text | None
    items: list[ScoreItem]
    missing: Annotated[list[str], Field(description="Inputs that are unknown (case paths).")]
    notes: list[Text] = field(default_factory=list)
    source: str


def known_item(
    name: str,
    label: Text,
    value: str | int | float | bool | None,
    points: Points,
    note: Text | None = None,
) -> ScoreItem:
    return ScoreItem(
        name=name, label=label, value=value, points=points, possible=[points], note=note
    )


def unknown_item(
    name: str, label: Text, possible: Iterable[Points], note: Text | None = None
) -> ScoreItem:
    opts = sorted(set(possible))
    if not opts:
        raise ValueError(f"item {name} has no possible points")
    if len(opts) == 1:
        # Fully determined even without the input (e.g. every option scores the same).
        return ScoreItem(
            name=name, label=label, value=None, points=opts[0], possible=opts, note=note
        )
    return ScoreItem(name=name, label=label, value=None, points=None, possible=opts, note=note)


# Table items are immutable and repeat across cases (the same table, value and label), so
# each is built once. The cache holds its table, label and note, so their ids stay valid.
_ITEM_CACHE: dict[tuple[Any, ...], tuple[object, object, object, ScoreItem]] = {}
_ITEM_CACHE_MAX = 4096


def item(
    name: str,
    label: Text,
    value: Hashable | None,
    table: Mapping[Any, Points],
    note: Text | None = None,
) -> ScoreItem:
    """An item scored from a lookup table; unknown value → every point value of the table."""
    key = (name, value, id(table), id(label), id(note))
    hit = _ITEM_CACHE.get(key)
    if hit is not None:
        return hit[3]
    if value is None:
        built = unknown_item(name, label, table.values(), note)
    else:
        shown: Any = value.value if isinstance(value, Enum) else value
        built = ScoreItem(
            name=name,
            label=label,
            value=shown,
            points=table[value],
            possible=[table[value]],
            note=note,
        )
    if len(_ITEM_CACHE) >= _ITEM_CACHE_MAX:
        _ITEM_CACHE.clear()
    _ITEM_CACHE[key] = (table, label, note, built)
    return built


def _reachable(items: Sequence[ScoreItem]) -> set[Points]:
    sums: set[Points] = {0}
    for it in items:
        sums = {round(s + p, 6) for s in sums for p in it.possible}
    return sums


def summarise(
    *,
    name: str,
    items: Sequence[ScoreItem],
    categorise: Callable[[Points], str],
    categories: Mapping[str, Text],
    source: str,
    missing: Sequence[str],
    lesion: str | None = None,
    notes: Sequence[Text] = (),
    unit: str | None = None,
) -> ScoreResult:
    """Total, range and category of an additive score.

    ``categories`` maps each category (in ascending order) to its interpretation.
    """
    exact = all(it.points is not None for it in items)
    if exact:
        # Fast path: every item known, one reachable total.
        reachable = [_tidy(round(sum(it.points for it in items if it.points is not None), 6))]
        assessable = True
        cats = [categorise(reachable[0])]
    else:
        reachable = sorted(_reachable(items))
        assessable = any(it.value is not None for it in items)
        order = list(categories)
        cats = sorted({categorise(t) for t in reachable}, key=order.index)
    lo, hi = reachable[0], reachable[-1]
    category = cats[0] if len(cats) == 1 and assessable else None
    interpretation: Text | None
    if category is not None:
        interpretation = categories[category]
    elif assessable:
        interpretation = Text(
            de=f"Nicht eindeutig: {lo}–{hi} Punkte ({' / '.join(cats)}). "
            "Die fehlenden Angaben entscheiden über die Kategorie.",
            en=f"Not decided: {lo}–{hi} points ({' / '.join(cats)}). "
            "The missing inputs decide the category.",
        )
    else:
        interpretation = Text(
            de="Nicht beurteilbar: keine der nötigen Angaben liegt vor.",
            en="Not assessable: none of the required inputs is known.",
        )
    total = reachable[0] if exact else None
    return ScoreResult(
        name=name,
        lesion=lesion,
        assessable=assessable,
        total=total if assessable else None,
        range=(_tidy(lo), _tidy(hi)),
        unit=unit,
        category=category,
        possible_categories=cats,
        interpretation=interpretation,
        items=list(items),
        missing=list(missing),
        notes=list(notes),
        source=source,
    )


def value_result(
    *,
    name: str,
    value: float | None,
    unit: str,
    items: Sequence[ScoreItem],
    source: str,
    missing: Sequence[str],
    category: str | None = None,
    categories: Mapping[str, Text] | None = None,
    interpretation: Text | None = None,
    notes: Sequence[Text] = (),
    digits: int = 1,
    bounds: tuple[float, float] | None = None,
    spanned: Sequence[str] = (),
) -> ScoreResult:
    """Result of a calculated laboratory value (corrected calcium, clearance, eGFR).

    ``bounds`` reports a value that is not known exactly but lies between two numbers (e.g. the
    value for either sex when only sex is unknown): ``total`` stays null, ``range`` is the
    sorted pair, and ``category`` is whatever the caller decided holds across the whole range
    (null when it differs); ``spanned`` names every category the range reaches. ``value`` must
    then be None.
    """
    if bounds is not None:
        if value is not None:
            raise ValueError("give either value or bounds, not both")
        lo, hi = sorted(_tidy(round(b, digits)) for b in bounds)
        if interpretation is None:
            if categories is not None and category is not None:
                interpretation = categories[category]
            else:
                interpretation = Text(
                    de=f"Nicht eindeutig: {lo}–{hi} {unit}. "
                    "Die fehlenden Angaben (" + ", ".join(missing) + ") entscheiden.",
                    en=f"Not decided: {lo}–{hi} {unit}. "
                    "The missing inputs (" + ", ".join(missing) + ") decide.",
                )
        return ScoreResult(
            name=name,
            assessable=True,
            total=None,
            range=(lo, hi),
            unit=unit,
            category=category,
            possible_categories=list(spanned) or ([category] if category else []),
            interpretation=interpretation,
            items=list(items),
            missing=list(missing),
            notes=list(notes),
            source=source,
        )
    if value is None:
        return ScoreResult(
            name=name,
            assessable=False,
            total=None,
            range=None,
            unit=unit,
            category=None,
            possible_categories=list(categories or ()),
            interpretation=Text(
                de="Nicht berechenbar: es fehlen " + ", ".join(missing) + ".",
                en="Cannot be calculated: missing " + ", ".join(missing) + ".",
            ),
            items=list(items),
            missing=list(missing),
            notes=list(notes),
            source=source,
        )
    v = _tidy(round(value, digits))
    if interpretation is None and categories is not None and category is not None:
        interpretation = categories[category]
    return ScoreResult(
        name=name,
        assessable=True,
        total=v,
        range=(v, v),
        unit=unit,
        category=category,
        possible_categories=[category] if category else [],
        interpretation=interpretation,
        items=list(items),
        missing=list(missing),
        notes=list(notes),
        source=source,
    )


@functools.cache
def plausible_range(fact: str) -> tuple[float, float]:
    """The plausible interval of an input a referral may lack (``range`` of the fact in the
    knowledge base's ``facts.yaml``, where its reason is given): a calculated value whose input
    is missing becomes the range of its values over this interval.

    Scores are computed from the case alone, so this reads the packaged knowledge base.
    """
    from osteoboard.guideline import load_knowledge_base  # the knowledge base imports scores

    info = load_knowledge_base().facts.get(fact)
    if info is None or info.range is None:
        raise KeyError(f"no plausible range for {fact!r} in facts.yaml")
    return info.range


def corner_bounds(formula: Callable[..., float], **inputs: Sequence[Any]) -> tuple[float, float]:
    """(lowest, highest) value of ``formula`` over every combination of the given input values.

    Each unknown input is passed as the ends of its interval (or every value it can take), each
    known one as a single value. For a formula that is monotone in each input (corrected
    calcium in albumin, Cockcroft–Gault in weight and sex) the extremes lie at these corners,
    so the result is the exact range of the value.
    """
    names = list(inputs)
    values = [
        formula(**dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*(inputs[n] for n in names))
    ]
    return min(values), max(values)


def negative_zero(values: Iterable[Any]) -> bool:
    """Whether one of ``values`` is the float -0.0: it equals 0.0, so a store keyed by equal
    values would take one for the other, but it reads "-0"."""
    values = tuple(values)
    return 0.0 in values and any(v.__class__ is float and math.copysign(1.0, v) < 0 for v in values)


def _tidy(x: Points) -> Points:
    """Integers stay integers in the JSON (3, not 3.0)."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x

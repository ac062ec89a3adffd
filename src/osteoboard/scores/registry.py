"""The score registry: one entry per score, the single source of truth for every surface.

Each entry names the pure score function, its input model, and an adapter that reads that
input from a :class:`~osteoboard.case.Case` together with the case path of every input field
(so that ``missing`` speaks the case's language: ``lesions[L1].pain``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from osteoboard.case import Case, Lesion, Region
from osteoboard.scores.base import ScoreInput, ScoreResult, negative_zero
from osteoboard.text import Text

__all__ = [
    "MAX_RESULTS",
    "Adapter",
    "ScoreSpec",
    "apply_paths",
    "bone_disease",
    "lesion_adapter",
]

Per = Literal["case", "spinal_lesion", "long_bone_lesion"]

#: from a case (and, for per-lesion scores, one lesion) to the values of the score's input
#: fields (the input model is built from them) and a map from input field name to the case
#: path it was read from.
Adapter = Callable[[Case, Lesion | None], tuple[Mapping[str, Any], Mapping[str, str]]]


@dataclass(frozen=True)
class ScoreSpec:
    name: str
    title: Text
    per: Per
    input_model: type[ScoreInput]
    compute: Callable[..., ScoreResult]
    from_case: Adapter
    source: str
    applies: Callable[[Case], bool] = lambda case: True
    #: Every category the score can produce (empty for a score without categories); the
    #: prognosis mapping in the knowledge base is checked against it.
    categories: tuple[str, ...] = ()
    #: Results already computed, by input and the case paths named in them (see :meth:`run`).
    results: dict[Hashable, ScoreResult] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def lesions(self, case: Case) -> list[Lesion]:
        """The lesions the score is computed for: those of its region, and those whose region
        is not given (for them the result is what the score would be in that region)."""
        region = _REGION.get(self.per)
        if region is None:
            return []
        return [les for les in case.lesions if les.region in (region, None)]

    def run(self, case: Case) -> list[ScoreResult]:
        """The score's results on a case.

        A result is a pure function of the score's input, the lesion's id (for a per-lesion
        score, and whether its region is given) and the case paths it names, and it is frozen:
        cases that repeat those share one result instead of computing it again, and the input
        model is built (validated) only then. Bounded per score; the store starts afresh when
        full.
        """
        if not self.applies(case):
            return []
        if self.per == "case":
            values, paths = self.from_case(case, None)
            return [self._result(values, paths, None)]
        return [
            self._result(*self.from_case(case, lesion), lesion) for lesion in self.lesions(case)
        ]

    def _result(
        self, values: Mapping[str, Any], paths: Mapping[str, str], lesion: Lesion | None
    ) -> ScoreResult:
        key = _key(values, paths, lesion)
        if key is not None:
            try:
                found = self.results.get(key)
            except TypeError:  # an input that holds a list (a myeloma course)
                key, found = None, None
            if found is not None:
                return found
        inp = self.input_model(**values)
        if lesion is None:
            result = apply_paths(self.compute(inp), paths)
        else:
            result = apply_paths(self.compute(inp, lesion.id), paths)
            if lesion.region is None:
                result = _if_in_region(result, lesion, self.per)
        if key is not None:
            if len(self.results) >= MAX_RESULTS:
                self.results.clear()
            self.results[key] = result
        return result


#: Results kept per score at most.
MAX_RESULTS = 128


def _key(
    values: Mapping[str, Any], paths: Mapping[str, str], lesion: Lesion | None
) -> Hashable | None:
    """What a score's result depends on, or None when equality cannot tell it.

    The values are the case's own (validated) values, given in the same order every time:
    equal values build equal inputs, whatever their class (the input model converts 1 and
    1.0 alike). A negative zero equals zero but reads "-0" in a note, so it is never shared.
    """
    read = tuple(values.values())
    if negative_zero(read):
        return None
    where = None if lesion is None else (lesion.id, lesion.region is None)
    return (read, where, *paths.values())


_REGION: dict[Per, Region] = {"spinal_lesion": Region.spine, "long_bone_lesion": Region.long_bone}
_IN_REGION: dict[Per, Text] = {
    "spinal_lesion": Text(de="an der Wirbelsäule", en="in the spine"),
    "long_bone_lesion": Text(de="in einem langen Röhrenknochen", en="in a long bone"),
}


def _if_in_region(result: ScoreResult, lesion: Lesion, per: Per) -> ScoreResult:
    """A per-lesion score of a lesion whose region is not given: the region comes first among
    the missing inputs, and a note says the score applies only if the lesion lies there."""
    where = _IN_REGION[per]
    note = Text(
        de=f"Region der Läsion nicht angegeben: Der Score gilt nur, falls sie {where.de} liegt.",
        en=f"Region of the lesion not given: the score applies only if it lies {where.en}.",
    )
    object.__setattr__(result, "missing", [lesion_path(lesion, "region"), *result.missing])
    object.__setattr__(result, "notes", [note, *result.notes])
    return result


def apply_paths(result: ScoreResult, paths: Mapping[str, str]) -> ScoreResult:
    """Rewrite a result's missing input names into case paths (deduplicated, order kept).

    The result was just computed for this call and is not shared, so it is updated in place
    (``dataclasses.replace`` would copy every field, which dominated the cost of scoring).
    """
    if result.missing:
        seen: dict[str, None] = {}
        for name in result.missing:
            seen.setdefault(paths.get(name, name), None)
        object.__setattr__(result, "missing", list(seen))
    return result


def bone_disease(case: Case) -> bool:
    """False only when the case says there are no bone metastases (counts 0, none listed):
    the skeletal prognostic scores then do not apply."""
    return case.bone_count_bounds()[1] != 0


def lesion_adapter(model: type[ScoreInput], fields: tuple[str, ...]) -> Adapter:
    """An adapter for per-lesion scores whose inputs are lesion fields of the same name."""

    def adapt(case: Case, lesion: Lesion | None) -> tuple[Any, Mapping[str, str]]:
        if lesion is None:
            raise ValueError("a per-lesion score needs a lesion")
        return {f: getattr(lesion, f) for f in fields}, {f: lesion_path(lesion, f) for f in fields}

    return adapt


def lesion_path(lesion: Lesion, field: str) -> str:
    return f"lesions[{lesion.id}].{field}"

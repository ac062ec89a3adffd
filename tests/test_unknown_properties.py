"""What an unknown may and may not do: properties over generated cases.

Each test takes a generated case, leaves out one documented field (drawn by hypothesis),
evaluates both cases and compares the proposals.

- Leaving out a documented *negative* never silences an emergency: every emergency of the
  documented case is still there, at worst suspected instead of confirmed.
- Making a documented fact unknown never makes a harm-carrying item (``harm: carrying`` in
  ``actions.yaml``) firm, or an emergency confirmed, that was not before. Leaving out a field
  does more than that to a few facts, and those are what may make an item firm: a fact that
  says what is documented changes its value ("keine Biopsie dokumentiert" gives a biopsy, an
  open prognosis gives the radiotherapy whose text names both schedules), a "not documented
  means absent" policy reads the field as absent and says so in ``assumed[]``, and another
  documented source takes over (the scores once the team's estimate is left out). So the
  test checks every rule that newly fires firmly for a harm-carrying action: it must read a
  fact that the removal changed; a rule whose facts the removal only opened (same value, or
  unknown with the old value still possible) must not newly fire.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from osteoboard.case import _LONG_BONE_ONLY, _SPINE_ONLY, _SPINE_OR_PELVIS, Case
from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate, trace
from osteoboard.facts import FactSet, case_facts, lesion_facts
from osteoboard.guideline import load_knowledge_base
from osteoboard.prognosis import derive_prognosis
from osteoboard.scores import compute_all
from tests.cases import cases

KB = load_knowledge_base()
RULES = {r.rule.id: r for r in KB.rules}

Path = tuple[str | int, ...]

#: Documented values on the safe side of a finding, beyond booleans documented false: the
#: value says "this is not there" or "this is normal". Keys are field names (lesion fields
#: without their index).
SAFE_SIDE: dict[str, Callable[[Any], bool]] = {
    "neurology.frankel": lambda v: v == "E",
    "lesions.escc_grade": lambda v: v in ("0", "1a", "1b", "1c"),
    "lesions.pain": lambda v: v == "none",
    "lesions.pain_vas": lambda v: v == 0,
    "lesions.alignment": lambda v: v == "normal",
    "lesions.collapse": lambda v: v == "none",
    "lesions.posterolateral": lambda v: v == "none",
    "lesions.cortical_involvement": lambda v: v == "lt_one_third",
    "lesions.mirels_pain": lambda v: v == "mild",
    "lesions.type": lambda v: v == "blastic",
    "labs.calcium_mmol_l": lambda v: v < 2.6,
    "labs.creatinine_umol_l": lambda v: v <= 110,
    "prior_therapy.bone_modifying_agent": lambda v: v == "none",
}


def documented(data: dict[str, Any]) -> list[Path]:
    """Every documented field of a case document (not the pseudonym), as a path."""
    out: list[Path] = []
    for block, value in data.items():
        if block == "id":
            continue
        if block == "lesions":
            for i, lesion in enumerate(value):
                out.extend(("lesions", i, name) for name in lesion if name != "id")
        elif isinstance(value, dict):
            out.extend((block, name) for name in value)
        else:
            out.append((block,))
    return out


def name_of(path: Path) -> str:
    """'labs.calcium_mmol_l', or 'lesions.escc_grade' for a lesion field."""
    return ".".join(str(p) for p in path if not isinstance(p, int))


def field_of(path: Path, data: dict[str, Any]) -> str:
    """The case path the engine reports: 'labs.calcium_mmol_l', 'lesions[S0].escc_grade'."""
    if path[0] == "lesions":
        return f"lesions[{data['lesions'][path[1]]['id']}].{path[2]}"
    return ".".join(str(p) for p in path)


def value_at(data: dict[str, Any], path: Path) -> Any:
    node: Any = data
    for key in path:
        node = node[key]
    return node


def is_negative(data: dict[str, Any], path: Path) -> bool:
    value = value_at(data, path)
    if value is False:
        return True
    safe = SAFE_SIDE.get(name_of(path))
    return safe is not None and not isinstance(value, bool) and safe(value)


def without(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """The case with one field left out. A lesion's region goes with the fields that only its
    region has (they cannot be stated without it)."""
    out = copy.deepcopy(data)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    if path[0] == "lesions" and path[-1] == "region":
        for name in (*_SPINE_ONLY, *_SPINE_OR_PELVIS, *_LONG_BONE_ONLY):
            node.pop(name, None)
    return out


@st.composite
def removals(
    draw: st.DrawFn, keep: Callable[[dict[str, Any], Path], bool] = lambda d, p: True
) -> tuple[dict[str, Any], Path]:
    data = draw(cases())
    paths = [p for p in documented(data) if keep(data, p)]
    assume(paths)
    return data, draw(st.sampled_from(paths))


def emergencies(case: Case) -> set[tuple[str, str | None]]:
    """(code, lesion) of every emergency item, confirmed or suspected (before merging)."""
    return {
        (f.action, f.lesion)
        for f in trace(case, KB, open_items=True)
        if KB.actions[f.action].discipline == "emergency"
    }


Scopes = dict[str | None, FactSet]


def scopes(case: Case) -> Scopes:
    """The case facts (key None) and each lesion's facts with the case facts."""
    scores = compute_all(case)
    cf = case_facts(case, scores, derive_prognosis(case.patient.life_expectancy_months, scores))
    out: Scopes = {None: cf}
    for lesion in case.lesions:
        lf = lesion_facts(lesion, scores)
        merged = FactSet()
        for fs in (cf, lf):
            merged.values.update(fs.values)
            merged.domains.update(fs.domains)
            merged.intervals.update(fs.intervals)
            merged.closed |= fs.closed
        out[lesion.id] = merged
    return out


def opened(name: str, before: FactSet, after: FactSet) -> bool:
    """Whether leaving the field out only opened the fact: every value it could take before
    is still possible (and no policy reads the now missing field as absent)."""
    new = after.values[name]
    if new is not None:
        return new == before.values[name]
    info = KB.facts.get(name)
    if info is not None and info.policy == "absent_unless_documented":
        return before.values[name] == info.assume
    if name in after.closed:
        return True
    return all(possible(name, value, after) for value in could_be(name, before))


def could_be(name: str, facts: FactSet) -> list[Any]:
    """The values a fact can take: its value, or its domain (a number: its interval's ends)."""
    value = facts.values[name]
    if value is not None:
        return [value]
    if name in facts.intervals:
        return list(facts.intervals[name])
    return list(facts.domains.get(name, []))


def possible(name: str, value: Any, facts: FactSet) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        info = KB.facts.get(name)
        plausible = info.range if info is not None and info.range is not None else (value, value)
        low, high = facts.intervals.get(name, plausible)
        return low - 1e-9 <= value <= high + 1e-9
    return value in facts.domains.get(name, [])


def firm_rules(case: Case) -> set[tuple[str, str | None]]:
    """(rule, lesion) of every rule for a harm-carrying action that fired on every completion
    and made a firm item (an emergency: confirmed)."""
    return {
        (f.rule, f.lesion)
        for f in trace(case, KB)
        if KB.actions[f.action].harm == "carrying" and f.status in ("firm", "confirmed")
    }


PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(removals(keep=is_negative))
def test_an_unknown_negative_never_silences_an_emergency(
    drawn: tuple[dict[str, Any], Path],
) -> None:
    data, path = drawn
    before = emergencies(parse_case(data))
    if not before:
        return
    after = emergencies(parse_case(without(data, path)))
    lost = sorted(set(before) - set(after), key=str)
    assert not lost, f"leaving out {field_of(path, data)} silenced {lost}"


@PROPERTY
@given(removals())
def test_an_unknown_never_makes_a_harm_carrying_item_firm(
    drawn: tuple[dict[str, Any], Path],
) -> None:
    data, path = drawn
    case, left_out = parse_case(data), parse_case(without(data, path))
    new = firm_rules(left_out) - firm_rules(case)
    if not new:
        return
    before, after = scopes(case), scopes(left_out)
    only_opened = [
        f"{rule}[{lesion}]" if lesion else rule
        for rule, lesion in sorted(new, key=str)
        if all(opened(name, before[lesion], after[lesion]) for name in RULES[rule].condition.facts)
    ]
    assert not only_opened, f"leaving out {field_of(path, data)} made {only_opened} fire firmly"


# --- what the properties found ---------------------------------------------------------------


def _hypercalcaemia(labs: dict[str, float]) -> str | None:
    c = parse_case({"id": "calcium", "board_date": "2026-11-20", "labs": labs})
    found = [e.status.value for e in evaluate(c).emergencies if e.code == "EMERG.HYPERCALCEMIA"]
    return found[0] if found else None


def test_a_normal_total_calcium_without_albumin_raises_no_hypercalcaemia() -> None:
    """Found by the first property: total calcium 2.4 mmol/L with albumin and symptoms not
    documented was a suspected hypercalcaemia (a very low albumin would correct it above
    2.6), while leaving the calcium out ended it. A measurement supports an open rule only
    where it points: the total calcium is the corrected value at the reference albumin."""
    assert _hypercalcaemia({"calcium_mmol_l": 2.4}) is None
    assert _hypercalcaemia({}) is None
    # A raised total calcium without albumin still raises it, suspected ...
    assert _hypercalcaemia({"calcium_mmol_l": 2.75}) == "suspected"
    # ... and one that every plausible albumin corrects to 3.0 or more confirms it.
    assert _hypercalcaemia({"calcium_mmol_l": 3.45}) == "confirmed"
    assert _hypercalcaemia({"calcium_mmol_l": 2.4, "albumin_g_l": 20}) == "suspected"


# --- the helpers themselves -------------------------------------------------------------------


def test_documented_fields_and_removal() -> None:
    data = {
        "id": "p-1",
        "board_date": "2026-11-20",
        "neurology": {"frankel": "E", "new_deficit": True},
        "lesions": [
            {"id": "S0", "region": "spine", "level": "T4", "escc_grade": "1a", "size_cm": 2.0}
        ],
    }
    paths = documented(data)
    assert ("id",) not in paths and ("lesions", 0, "id") not in paths
    assert ("board_date",) in paths and ("neurology", "frankel") in paths
    assert is_negative(data, ("neurology", "frankel"))
    assert not is_negative(data, ("neurology", "new_deficit"))
    assert is_negative(data, ("lesions", 0, "escc_grade"))
    assert not is_negative(data, ("lesions", 0, "size_cm"))
    assert field_of(("lesions", 0, "escc_grade"), data) == "lesions[S0].escc_grade"
    # The region goes with the spine-only fields; the rest of the lesion stays.
    unplaced = without(data, ("lesions", 0, "region"))
    assert unplaced["lesions"] == [{"id": "S0", "size_cm": 2.0}]
    assert parse_case(unplaced).lesions[0].region is None
    assert data["lesions"][0]["region"] == "spine", "the original is not changed"

"""Visceral metastases (brain included) and solitary vs multiple bone metastases are derived once,
in the case; the prognostic scores and the facts read the same views, so they cannot disagree."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osteoboard.case import Case
from osteoboard.caseio import parse_case
from osteoboard.facts import case_facts
from osteoboard.prognosis import derive_prognosis
from osteoboard.scores import compute_all
from osteoboard.scores.base import ScoreResult
from tests.cases import cases, lesion_lists, maybe

# Per score, the item on visceral metastases and the points it gives for "none".
VISCERAL_ITEM = {
    "tokuhashi_revised": ("visceral", 2),
    "tomita": ("visceral", 0),
    "katagiri_new": ("visceral", 0),
    "bauer_modified": ("no_visceral", 1),
    "bauer_original": ("no_visceral", 1),
}
# Per score, the item on the spread of bone metastases: points for solitary and for multiple.
BONE_ITEM = {
    "tomita": ("bone_metastases", 1, 2),
    "katagiri_new": ("multiple", 0, 1),
    "bauer_modified": ("solitary", 1, 0),
    "bauer_original": ("solitary", 1, 0),
}


@st.composite
def visceral_blocks(draw: st.DrawFn) -> dict[str, Any]:
    """Every way a referral documents visceral spread, including details without `present`."""
    present = draw(maybe(st.booleans()))
    if present is False:
        return {"present": False, "brain": draw(st.sampled_from([None, False]))}
    block = {
        "present": present,
        "brain": draw(maybe(st.booleans())),
        "pattern": draw(maybe(st.sampled_from(["nodular", "disseminated"]))),
        "removable": draw(maybe(st.booleans())),
        "treatable": draw(maybe(st.booleans())),
        "count": draw(maybe(st.integers(1, 4))),
    }
    return {k: v for k, v in block.items() if v is not None}


@st.composite
def spread_cases(draw: st.DrawFn) -> dict[str, Any]:
    lesions = draw(lesion_lists(spine=3, long_bone=1, other=2))
    counts = {
        "vertebral_count": draw(maybe(st.integers(0, 4))),
        "extraspinal_count": draw(maybe(st.integers(0, 4))),
    }
    return {
        "id": "shared-" + str(draw(st.integers(0, 999))),
        "primary": {"site": draw(st.sampled_from(["breast", "kidney", "lung_nsclc"]))},
        "visceral_metastases": draw(visceral_blocks()),
        "bone_metastases": {k: v for k, v in counts.items() if v is not None},
        "lesions": lesions,
    }


def _possible(result: ScoreResult, item: str) -> set[float]:
    return {p for it in result.items if it.name == item for p in it.possible}


def check_agreement(case: Case) -> None:
    scores = compute_all(case)
    facts = case_facts(case, scores, derive_prognosis(None, scores)).values
    present = facts["visceral.present"]
    solitary, multiple = facts["bone.solitary"], facts["bone.multiple"]
    assert present == case.visceral_present
    assert (solitary, multiple) == (case.solitary_bone_metastasis, case.multiple_bone_metastases)
    if facts["visceral.brain"] is True:
        assert present is True, "brain metastases are visceral metastases"
    assert not (solitary and multiple)

    by_name = {s.name: s for s in scores if s.lesion is None}
    for name, (item, none_points) in VISCERAL_ITEM.items():
        if name not in by_name:
            continue
        possible = _possible(by_name[name], item)
        if present is False:
            assert possible == {none_points}, (name, possible)
        elif present is True:
            assert none_points not in possible, (name, possible)
        else:
            assert none_points in possible and len(possible) > 1, (name, possible)
    for name, (item, solitary_points, multiple_points) in BONE_ITEM.items():
        if name not in by_name:
            # The skeletal scores presuppose bone disease; the facts say "neither".
            assert solitary is False and multiple is False
            continue
        possible = _possible(by_name[name], item)
        if multiple is True:
            assert possible == {multiple_points}, (name, possible)
        elif solitary is True:
            assert possible == {solitary_points}, (name, possible)
        else:
            assert possible == {solitary_points, multiple_points}, (name, possible)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spread_cases())
def test_scores_and_facts_agree_on_spread(case_data: dict[str, Any]) -> None:
    check_agreement(parse_case(case_data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_scores_and_facts_agree_on_generated_cases(case_data: dict[str, Any]) -> None:
    check_agreement(parse_case(case_data))


@pytest.mark.parametrize(
    ("visceral", "expected"),
    [
        ({"brain": True}, True),
        ({"pattern": "nodular"}, True),
        ({"treatable": False}, True),
        ({"brain": False}, None),
        ({}, None),
        ({"present": False}, False),
        ({"present": True, "brain": False}, True),
    ],
)
def test_visceral_spread_is_derived_from_any_positive_detail(
    visceral: dict[str, Any], expected: bool | None
) -> None:
    """Brain metastases documented without `present` are visceral metastases, for the scores
    and for the rules alike (before, the facts left `visceral.present` unknown)."""
    case = parse_case({"id": "v", "visceral_metastases": visceral})
    assert case.visceral_present is expected
    scores = compute_all(case)
    facts = case_facts(case, scores, derive_prognosis(None, scores)).values
    assert facts["visceral.present"] is expected


@pytest.mark.parametrize(
    ("bone", "lesions", "solitary", "multiple"),
    [
        ({"vertebral_count": 1, "extraspinal_count": 0}, 1, True, False),
        ({"vertebral_count": 0, "extraspinal_count": 0}, 0, False, False),
        ({"vertebral_count": 1}, 1, None, None),
        ({}, 2, False, True),
        ({"vertebral_count": 0, "extraspinal_count": 3}, 0, False, True),
    ],
)
def test_solitary_and_multiple(
    bone: dict[str, Any], lesions: int, solitary: bool | None, multiple: bool | None
) -> None:
    case = parse_case(
        {
            "id": "b",
            "bone_metastases": bone,
            "lesions": [
                {"id": f"S{i}", "region": "spine", "level": f"T{i + 1}"} for i in range(lesions)
            ],
        }
    )
    assert case.solitary_bone_metastasis is solitary
    assert case.multiple_bone_metastases is multiple
    check_agreement(case)

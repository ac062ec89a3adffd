"""An open item names every way it can come to apply, not only the branch the first
completion took.

A rule such as "corrected calcium ≥ 3.0 mmol/L, or > 2.6 with symptoms" is open on two
facts. Read around one completion only, a total calcium of 3.1 mmol/L without albumin made
the suspected hypercalcaemia look conditional on symptoms alone, and the albumin that
decides it without them was not asked. The conditions now list each alternative as its own
group (ItemCondition.group), every fact in them is missing data and can be asked, and the
documents say "oder" between the groups."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.cds.cards import _detail
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import Proposal, Recommendation
from osteoboard.render.fhir import render_fhir
from osteoboard.render.view import Speaker


def _calcium_case(labs: dict[str, Any], patient: dict[str, Any] | None = None) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "calcium-alternatives",
                "board_date": "2026-11-20",
                "patient": {"age": 70, "sex": "male", **(patient or {})},
                "primary": {"site": "lung_nsclc"},
                "labs": {"creatinine_umol_l": 90, **labs},
            }
        )
    )


def _item(p: Proposal, code: str) -> Recommendation:
    (found,) = [i for i in [*p.emergencies, *p.recommendations] if i.code == code]
    return found


def _groups(item: Recommendation) -> list[set[str]]:
    groups: dict[int, set[str]] = {}
    for c in item.conditions:
        groups.setdefault(c.group, set()).add(c.fact)
    return [groups[g] for g in sorted(groups)]


CORRECTED = "labs.calcium_corrected_mmol_l"
SYMPTOMS = "patient.hypercalcemia_symptoms"


def test_total_calcium_above_the_threshold_without_albumin_names_both_ways() -> None:
    p = _calcium_case({"calcium_mmol_l": 3.1})
    item = _item(p, "EMERG.HYPERCALCEMIA")
    assert str(item.status) == "suspected"
    assert _groups(item) == [{SYMPTOMS}, {CORRECTED}]
    (corrected,) = [c for c in item.conditions if c.fact == CORRECTED]
    assert corrected.values and min(corrected.values) >= 3.0  # type: ignore[type-var]
    assert "labs.albumin_g_l" in corrected.fields
    # Albumin decides the emergency without the symptoms: asked first, and urgent.
    albumin = p.questions[0]
    assert albumin.fields == ["labs.albumin_g_l"]
    assert "EMERG.HYPERCALCEMIA" in albumin.decides
    assert str(albumin.priority) == "urgent"
    urgent = {m.field for m in p.missing_data if str(m.priority) == "urgent"}
    assert {"labs.albumin_g_l", "patient.hypercalcemia_symptoms"} <= urgent


def test_below_the_threshold_the_symptoms_branch_needs_both() -> None:
    item = _item(_calcium_case({"calcium_mmol_l": 2.9}), "EMERG.HYPERCALCEMIA")
    # (corrected > 2.6 and symptoms) or (corrected ≥ 3.0): a low albumin alone can make it.
    assert _groups(item) == [{CORRECTED, SYMPTOMS}, {CORRECTED}]
    values = {c.group: c.values for c in item.conditions if c.fact == CORRECTED}
    assert min(values[1]) >= 3.0  # type: ignore[type-var]
    assert min(values[0]) < 3.0  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("labs", "patient", "status", "groups"),
    [
        # Albumin documented: the corrected value is known, one way is left.
        ({"calcium_mmol_l": 2.8, "albumin_g_l": 40}, None, "suspected", [{SYMPTOMS}]),
        ({"calcium_mmol_l": 3.1, "albumin_g_l": 40}, None, "confirmed", []),
        # Symptoms documented: every plausible albumin gives more than 2.6.
        ({"calcium_mmol_l": 3.1}, {"hypercalcemia_symptoms": True}, "confirmed", []),
    ],
)
def test_one_open_way_or_none_gives_one_group_or_none(
    labs: dict[str, Any], patient: dict[str, Any] | None, status: str, groups: list[set[str]]
) -> None:
    item = _item(_calcium_case(labs, patient), "EMERG.HYPERCALCEMIA")
    assert str(item.status) == status
    assert _groups(item) == groups


def test_a_normal_calcium_with_albumin_raises_nothing() -> None:
    p = _calcium_case({"calcium_mmol_l": 2.4, "albumin_g_l": 40})
    assert not [i for i in p.emergencies if i.code == "EMERG.HYPERCALCEMIA"]


def _compression_case(neurology: dict[str, Any]) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "mscc-alternatives",
                "board_date": "2026-11-20",
                "patient": {"age": 64, "sex": "male", "ecog": 1, "fit_for_surgery": True},
                "primary": {"site": "lung_nsclc", "histology": "adenocarcinoma"},
                "neurology": neurology,
                "lesions": [
                    {
                        "id": "T10",
                        "region": "spine",
                        "level": "T10",
                        "type": "lytic",
                        "pain": "non_mechanical",
                        "escc_grade": "2",
                    }
                ],
            }
        )
    )


def test_a_fact_derived_from_another_is_no_alternative_of_its_own() -> None:
    """Any deficit is read from the new deficit and the Frankel grade: a new deficit alone is
    the same way as "a deficit", not a third one; radicular pain is a way of its own."""
    item = _item(_compression_case({}), "EMERG.MSCC")
    assert str(item.status) == "suspected"
    assert _groups(item) == [{"neuro.any_deficit"}, {"neuro.radicular_pain"}]


def test_radicular_pain_documented_absent_leaves_the_deficit_alone() -> None:
    item = _item(_compression_case({"radicular_pain": False}), "EMERG.MSCC")
    assert _groups(item) == [{"neuro.any_deficit"}]


def test_the_question_names_every_open_neurological_finding() -> None:
    """With the new deficit documented absent, the shared wording (which asks for it) does not
    apply; the Frankel grade and radicular pain are both open and both asked."""
    p = _compression_case({"new_deficit": False})
    (question,) = [q for q in p.questions if "neurology.radicular_pain" in q.fields]
    assert "neurology.frankel" in question.fields
    assert "Frankel" in question.text.de and "radikulär" in question.text.de
    assert "Frankel" in question.text.en and "radicular" in question.text.en


def test_documents_say_or_between_alternatives() -> None:
    kb = load_knowledge_base()
    p = _compression_case({})
    dexamethasone = _item(p, "SUP.DEXAMETHASONE")
    assert str(dexamethasone.status) == "conditional"
    said = Speaker(kb, "de").conditions(dexamethasone.conditions)
    assert ") oder (" in said
    card = _detail(kb, dexamethasone, "de")
    assert said in card
    bundle = render_fhir(p, kb)
    (group,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RequestGroup"
    ]
    (action,) = [
        a for a in group["action"] if a["code"][0]["coding"][0]["code"] == "SUP.DEXAMETHASONE"
    ]
    expression = action["condition"][0]["expression"]
    assert expression["expression"] == "(neuro.any_deficit) || (neuro.radicular_pain)"
    assert " oder " in expression["description"]

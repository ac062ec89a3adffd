"""A new cranial-nerve deficit from a skull-base metastasis (Greenberg 1981, Laigle-Donadey
2005) is not a spinal cord compression: the case format says where a new deficit arises
(neurology.deficit_level) and whether a skull lesion lies at the skull base, the deficit raises
its own urgent pathway, and the letter does not speak of the spinal cord. A new deficit of
unstated level, or one beside spinal lesions that is not documented as of the cranial nerves
only, still raises a suspected cord compression (SPEC §4.1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from osteoboard.case import Case
from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import Proposal
from osteoboard.render.letter import build_letter
from tests.test_referral_cases import CASE_DIR, outcome


def _case(neurology: dict[str, Any], lesions: list[dict[str, Any]], **extra: Any) -> Case:
    return parse_case(
        {
            "id": "skull-base",
            "board_date": "2026-11-20",
            "patient": {"age": 61, "sex": "female", "ecog": 1},
            "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
            "neurology": neurology,
            "lesions": lesions,
            **extra,
        }
    )


CLIVUS = {
    "id": "CLIVUS",
    "region": "skull",
    "skull_base": True,
    "type": "lytic",
    "size_cm": 2.8,
    "symptomatic": True,
}
T8 = {"id": "T8", "region": "spine", "level": "T8", "type": "lytic"}
CRANIAL = {"new_deficit": True, "deficit_level": "cranial_nerves", "deficit_onset_hours": 120}


def _codes(p: Proposal) -> dict[str, str]:
    """Code (with its lesion) -> status of every item."""
    items = [*p.emergencies, *p.recommendations, *p.warnings]
    return {i.code + (f"[{i.lesion}]" if i.lesion else ""): str(i.status) for i in items}


def test_a_clivus_metastasis_with_an_abducens_palsy_takes_the_skull_base_pathway() -> None:
    codes = _codes(evaluate(_case(CRANIAL, [CLIVUS])))
    assert codes["EMERG.CRANIAL_NERVE_DEFICIT"] == "suspected"
    assert codes["DX.MRI_SKULL_BASE_BRAIN"] == "firm"
    assert codes["SUP.DEXAMETHASONE_SKULL_BASE"] == "firm"
    assert codes["RT.SKULL_BASE_URGENT[CLIVUS]"] == "firm"
    # Not a cord compression, and not a single fraction for pain only.
    for code in (
        "EMERG.MSCC",
        "DX.MRI_WHOLE_SPINE_URGENT",
        "SUP.DEXAMETHASONE",
        "RT.SINGLE_8GY[CLIVUS]",
        "RT.FRACTIONATED[CLIVUS]",
    ):
        assert code not in codes, code


def test_the_letter_speaks_of_the_cranial_nerve_not_of_the_spinal_cord() -> None:
    case = _case(CRANIAL, [CLIVUS])
    letter = build_letter(evaluate(case), case)
    text = json.dumps(letter.model_dump(), ensure_ascii=False)
    assert "Hirnnerv" in text
    assert "Rückenmark" not in text
    assert "Wirbelsäule" not in text


@pytest.mark.parametrize("lesions", [[T8], [CLIVUS, T8], [{"id": "R1", "region": "rib"}]])
def test_a_new_deficit_of_unstated_level_is_still_a_suspected_cord_compression(
    lesions: list[dict[str, Any]],
) -> None:
    p = evaluate(_case({"new_deficit": True}, lesions))
    codes = _codes(p)
    assert codes["EMERG.MSCC"] == "suspected"
    assert "SUP.DEXAMETHASONE" in codes and "DX.MRI_WHOLE_SPINE_URGENT" in codes
    skull = any(lesion.get("region") == "skull" for lesion in lesions)
    # The skull-base pathway opens (on the condition of a cranial-nerve deficit, which is
    # asked) only beside a skull lesion, not beside every suspected cord compression.
    assert ("EMERG.CRANIAL_NERVE_DEFICIT" in codes) is skull
    asked = {q.fact for q in p.questions}
    assert ("neuro.cranial_nerve_deficit" in asked) is skull


def test_a_deficit_of_cranial_nerves_and_spine_raises_both_emergencies() -> None:
    level = {**CRANIAL, "deficit_level": "cranial_nerves_and_spinal"}
    codes = _codes(evaluate(_case(level, [CLIVUS, T8])))
    assert codes["EMERG.MSCC"] == "suspected"
    assert codes["EMERG.CRANIAL_NERVE_DEFICIT"] == "suspected"
    assert codes["DX.MRI_WHOLE_SPINE_URGENT"] == "firm"
    assert codes["RT.SKULL_BASE_URGENT[CLIVUS]"] == "firm"


def test_a_cranial_nerve_deficit_without_a_skull_base_lesion_is_worked_up_not_irradiated() -> None:
    """Documented, it raises the pathway whatever the lesions; a lesion of the vault does not
    explain it and keeps its pain radiotherapy."""
    vault = {"id": "VAULT", "region": "skull", "skull_base": False, "type": "lytic", "pain_vas": 5}
    codes = _codes(evaluate(_case(CRANIAL, [vault, T8])))
    assert codes["EMERG.CRANIAL_NERVE_DEFICIT"] == "suspected"
    assert codes["DX.MRI_SKULL_BASE_BRAIN"] == "firm"
    assert "RT.SKULL_BASE_URGENT[VAULT]" not in codes
    assert codes["RT.SINGLE_8GY[VAULT]"] == "firm"
    assert "EMERG.MSCC" not in codes


def test_a_skull_base_lesion_of_unstated_site_makes_the_radiotherapy_conditional() -> None:
    lesion = {key: value for key, value in CLIVUS.items() if key != "skull_base"}
    p = evaluate(_case(CRANIAL, [lesion]))
    (rt,) = [r for r in p.recommendations if r.code == "RT.SKULL_BASE_URGENT"]
    assert str(rt.status) == "conditional"
    assert [c.fact for c in rt.conditions] == ["lesion.skull_base"]
    assert any(q.fact == "lesion.skull_base" for q in p.questions)


PAIN_SCHEDULES = ("RT.SINGLE_8GY", "RT.FRACTIONATED", "RT.PROPHYLACTIC", "RT.SBRT")
PAINFUL_CLIVUS = {**CLIVUS, "pain_vas": 6}
# A long expected survival, so that the fractionated pain schedule is among them.
LONG = {"patient": {"age": 61, "sex": "female", "ecog": 1, "life_expectancy_months": 24}}


def test_a_deficit_of_unstated_level_keeps_pain_radiotherapy_of_the_skull_base_open() -> None:
    """A cranial-nerve palsy is possible: the urgent skull-base radiotherapy and the pain
    schedules are alternatives on the one open fact, none of them firm (Laigle-Donadey 2005:
    fractionated radiotherapy, not a single 8 Gy fraction, for a nerve at risk)."""
    p = evaluate(_case({"new_deficit": True}, [PAINFUL_CLIVUS], **LONG))
    rt = {r.code: r for r in p.recommendations if r.lesion == "CLIVUS"}
    assert str(rt["RT.SKULL_BASE_URGENT"].status) == "conditional"
    for code in ("RT.SINGLE_8GY", "RT.FRACTIONATED"):
        assert str(rt[code].status) == "conditional", code
        (excluded,) = [c for c in rt[code].conditions if c.fact == "neuro.cranial_nerve_deficit"]
        assert excluded.values == [False]
        assert excluded.text.de == "kein neuer Hirnnervenausfall"
    assert any(q.fact == "neuro.cranial_nerve_deficit" for q in p.questions)


def test_a_documented_cranial_nerve_deficit_leaves_no_pain_schedule_at_the_skull_base() -> None:
    p = evaluate(_case(CRANIAL, [PAINFUL_CLIVUS], **LONG))
    codes = _codes(p)
    assert codes["RT.SKULL_BASE_URGENT[CLIVUS]"] == "firm"
    for code in PAIN_SCHEDULES:
        assert f"{code}[CLIVUS]" not in codes, code
    # Nor a prophylactic one for a painless skull-base lesion beside the palsy.
    painless = {**CLIVUS, "pain_vas": 0, "symptomatic": False}
    codes = _codes(evaluate(_case(CRANIAL, [painless, T8], **LONG)))
    assert "RT.PROPHYLACTIC[CLIVUS]" not in codes


@pytest.mark.parametrize(
    "neurology",
    [{"new_deficit": False}, {"new_deficit": True, "deficit_level": "spinal"}],
    ids=["no-deficit", "spinal-deficit"],
)
def test_without_a_cranial_nerve_deficit_a_painful_skull_base_lesion_gets_pain_radiotherapy(
    neurology: dict[str, Any],
) -> None:
    codes = _codes(evaluate(_case(neurology, [PAINFUL_CLIVUS], **LONG)))
    assert "RT.SKULL_BASE_URGENT[CLIVUS]" not in codes
    assert codes["RT.FRACTIONATED[CLIVUS]"] == "firm"
    assert codes["RT.SINGLE_8GY[CLIVUS]"] == "firm"


def test_the_referral_with_a_deficit_of_unstated_kind_at_the_condyle_meets_its_file() -> None:
    (path,) = CASE_DIR.glob("044-*.yaml")
    result = outcome(path)
    assert result.missing == []
    assert result.forbidden_firm_present == []
    assert result.forbidden_present == []


@pytest.mark.parametrize(
    ("neurology", "lesion", "message"),
    [
        (
            {"new_deficit": False, "deficit_level": "cranial_nerves"},
            T8,
            "deficit_level gilt nur für ein neues Defizit (new_deficit true)",
        ),
        (
            {},
            {**T8, "skull_base": True},
            "skull_base gilt nur für region skull",
        ),
    ],
)
def test_the_new_fields_are_checked_in_german(
    neurology: dict[str, Any], lesion: dict[str, Any], message: str
) -> None:
    with pytest.raises(CaseError) as exc:
        _case(neurology, [lesion])
    (problem,) = exc.value.problems
    assert message in problem.what.render("de")

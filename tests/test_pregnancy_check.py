"""A woman of child-bearing age whose pregnancy status is not documented: before radiation and
before drugs that can harm a fetus the board is told to ask (DX.PREGNANCY_CHECK, StrlSchV § 120),
the pregnancy question joins the board's questions where its rank leaves room, and the letter
names it gently among what the team still clarifies. The decision rules keep reading a silent
referral as "not pregnant"; the referral case is ``tests/cases/036-…``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter
from tests.test_referral_cases import referral

CASE_036 = Path(__file__).resolve().parent / "cases" / "036-breast-34-pregnancy-not-documented.yaml"
CHECK = "DX.PREGNANCY_CHECK"
CLAUSE = "Ob Sie schwanger sein könnten oder stillen"

#: A 34-year-old with hormone-receptor-positive breast cancer and a painful L3 lesion, nothing
#: said about a pregnancy: staging, radiotherapy, a bone-modifying agent and endocrine therapy
#: are proposed.
L3: dict[str, Any] = {
    "id": "preg-l3",
    "board_date": "2026-11-20",
    "patient": {"age": 34, "sex": "female", "ecog": 1},
    "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
    "lesions": [{"id": "L3", "region": "spine", "level": "L3", "pain_vas": 6}],
    "labs": {"calcium_mmol_l": 2.4, "albumin_g_l": 40, "creatinine_umol_l": 70},
}

#: The same woman with a painful rib and the rest of the work-up documented: few open facts,
#: so the pregnancy question has room among the five.
RIB: dict[str, Any] = {
    "id": "preg-rib",
    "board_date": "2026-11-20",
    "patient": {"age": 34, "sex": "female", "ecog": 1, "weight_kg": 62},
    "primary": {
        "site": "breast",
        "hormone_receptor": "positive",
        "her2": "negative",
        "first_metastatic_presentation": False,
    },
    "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 3},
    "lesions": [{"id": "R7", "region": "rib", "pain_vas": 5}],
    "labs": {
        "calcium_mmol_l": 2.4,
        "albumin_g_l": 40,
        "creatinine_umol_l": 70,
        "vitamin_d_25oh_nmol_l": 70,
    },
}


#: The rib case with the rest documented too: the pregnancy question is the only one.
QUIET: dict[str, Any] = {
    **RIB,
    "primary": {**RIB["primary"], "controlled": True},
    "visceral_metastases": {"present": False},
    "neurology": {"new_deficit": False, "radicular_pain": False, "frankel": "E"},
}


def _evaluate(doc: dict[str, Any], **patient: Any) -> Proposal:
    changed = {**doc, "patient": {**doc["patient"], **patient}}
    changed["patient"] = {k: v for k, v in changed["patient"].items() if v is not None}
    return evaluate(parse_case(changed))


def _checks(p: Proposal) -> list[Any]:
    return [i for i in p.recommendations if i.code == CHECK]


def _missing(p: Proposal) -> set[str]:
    return {m.field for m in p.missing_data}


def test_a_woman_of_34_is_asked_before_radiation_and_the_drugs() -> None:
    p = _evaluate(L3)
    (check,) = _checks(p)
    assert check.status is ItemStatus.firm
    assert check.discipline == "diagnostics"
    assert "StrlSchV § 120" in check.text.de
    assert "Schwangerschaftstest" in check.text.de
    assert "Stillen" in check.text.de
    assert "5 Monate" in check.text.de  # denosumab: contraception until 5 months after
    assert {"strlschv2018", "loose2017", "zometa-smpc", "xgeva-smpc"} <= set(check.sources)
    reasons = {b.fact: b.value for b in check.because}
    assert reasons["patient.pregnancy_documented"] is False
    assert reasons["patient.childbearing_age"] is True
    # The proposal it guards is still there: nothing is read as a pregnancy.
    codes = {i.code for i in p.recommendations}
    assert {"DX.WHOLE_BODY_STAGING", "SYS.ENDOCRINE_THERAPY", "BMA.DENOSUMAB"} <= codes
    assert not codes & {"BOARD.OBSTETRICS", "BMA.WITHHOLD", "WARN.PREGNANCY"}
    assert "patient.pregnant" in _missing(p)


@pytest.mark.parametrize(
    ("patient", "why"),
    [
        ({"pregnant": False}, "documented as not pregnant"),
        ({"sex": "male"}, "a man"),
        ({"age": 70}, "past the child-bearing years"),
        ({"age": 56}, "one year past the bound"),
    ],
)
def test_no_check_and_no_question(patient: dict[str, Any], why: str) -> None:
    p = _evaluate(L3, **patient)
    assert not _checks(p), why
    assert "patient.pregnant" not in _missing(p), why
    assert "patient.pregnancy_status" not in {q.fact for q in p.questions}, why


def test_the_bound_is_the_knowledge_base_constant() -> None:
    oldest = load_knowledge_base().constants["childbearing_age_max"]
    assert oldest == 55
    assert _checks(_evaluate(L3, age=oldest))
    assert not _checks(_evaluate(L3, age=oldest + 1))


def test_a_documented_pregnancy_brings_its_own_items_instead() -> None:
    p = _evaluate(L3, pregnant=True)
    assert not _checks(p)
    assert {"BOARD.OBSTETRICS", "WARN.PREGNANCY"} <= {
        i.code for i in [*p.recommendations, *p.warnings]
    }


def test_age_not_stated_makes_the_check_conditional_on_it() -> None:
    p = _evaluate(L3, age=None)
    (check,) = _checks(p)
    assert check.status is ItemStatus.conditional
    (condition,) = check.conditions
    assert condition.fact == "patient.childbearing_age"
    assert condition.values == [True]
    assert "patient.age" in condition.fields


def test_sex_not_stated_makes_the_check_conditional_on_it() -> None:
    p = _evaluate(L3, sex=None)
    (check,) = _checks(p)
    assert check.status is ItemStatus.conditional
    assert [c.fact for c in check.conditions] == ["patient.sex"]


def test_a_myeloma_precursor_staged_free_is_not_checked() -> None:
    """Monitoring alone reaches no fetus (def.fetal_exposure_considered)."""
    doc = {
        "id": "preg-mgus",
        "board_date": "2026-11-20",
        "patient": {"age": 40, "sex": "female"},
        "primary": {"site": "myeloma"},
        "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 0},
        "myeloma": {"stage": "smouldering"},
    }
    assert not _checks(_evaluate(doc))
    staging_open = {**doc, "bone_metastases": {"extraspinal_count": 0}}
    assert _checks(_evaluate(staging_open))


# --- the board's questions -----------------------------------------------------------------


def test_the_pregnancy_question_is_asked_where_the_ranking_leaves_room() -> None:
    p = _evaluate(RIB)
    (question,) = [q for q in p.questions if q.fact == "patient.pregnancy_status"]
    assert question.text.de.startswith("Ist die Patientin schwanger")
    assert question.fields == ["patient.pregnant"]
    assert question.priority == "soon"


@pytest.mark.parametrize("doc", [L3, RIB], ids=["l3", "rib"])
def test_the_pregnancy_question_displaces_no_question_ranked_above_it(doc: dict[str, Any]) -> None:
    """The established order stands: without the pregnancy question the list is the one of the
    same woman documented as not pregnant (emergencies first, then the items on the list)."""
    asked = [q.fact for q in _evaluate(doc).questions]
    documented = [q.fact for q in _evaluate(doc, pregnant=False).questions]
    rest = [f for f in asked if f != "patient.pregnancy_status"]
    assert rest == documented[: len(rest)]
    assert asked[0] == documented[0]


# --- the patient letter -------------------------------------------------------------------


def test_the_letter_names_it_among_what_the_team_clarifies() -> None:
    case = parse_case(L3)
    letter = build_letter(evaluate(case), case)
    assert CLAUSE in letter.personal.clarify
    steps = [item for step in letter.personal.steps for item in step.items]
    assert not any("schwanger" in s for s in [*steps, *letter.personal.maybe])
    assert "Die Frage nach einer Schwangerschaft" in {
        b.title for s in letter.sections for b in s.blocks
    }


@pytest.mark.parametrize("doc", [RIB, QUIET], ids=["rib", "quiet"])
def test_the_question_and_the_item_are_one_line(doc: dict[str, Any]) -> None:
    case = parse_case(doc)
    proposal = evaluate(case)
    assert "patient.pregnancy_status" in {q.fact for q in proposal.questions}
    letter = build_letter(proposal, case)
    assert letter.personal.clarify.count(CLAUSE) == 1


def test_a_woman_of_unstated_age_is_asked_by_the_board_not_in_her_letter() -> None:
    """The board asks (she may be 34); the letter does not (she may be 70)."""
    doc = {**QUIET, "patient": {k: v for k, v in QUIET["patient"].items() if k != "age"}}
    case = parse_case(doc)
    proposal = evaluate(case)
    assert "patient.pregnancy_status" in {q.fact for q in proposal.questions}
    (check,) = _checks(proposal)
    assert check.status is ItemStatus.conditional
    letter = build_letter(proposal, case)
    assert "schwanger" not in " ".join(letter.plain_text().split()).casefold()


@pytest.mark.parametrize(
    "patient", [{"pregnant": False}, {"age": None}], ids=["not_pregnant", "age_open"]
)
def test_no_letter_line_without_a_firm_check(patient: dict[str, Any]) -> None:
    """Documented not pregnant, or the age not stated (the woman may be 70): not a word."""
    changed = {**L3, "patient": {**L3["patient"], **patient}}
    changed["patient"] = {k: v for k, v in changed["patient"].items() if v is not None}
    case = parse_case(changed)
    text = " ".join(build_letter(evaluate(case), case).plain_text().split())
    assert "schwanger" not in text.casefold()


# --- the referral case ----------------------------------------------------------------------


def test_the_referral_case_is_checked_and_not_treated_as_pregnant() -> None:
    ref = referral(CASE_036)
    p = evaluate(ref.case)
    (check,) = _checks(p)
    assert check.status is ItemStatus.firm
    assert CHECK in ref.required


@pytest.mark.parametrize("agent", ["zoledronic_acid", "denosumab"])
def test_a_drafted_agent_reports_the_check(agent: str) -> None:
    """CDS Hooks order-select: a drafted bisphosphonate or denosumab for her meets the check."""
    from osteoboard.case import BoneModifyingAgent
    from osteoboard.cds.orders import check_order, load_order_rules

    kb = load_knowledge_base()
    check = check_order(
        referral(CASE_036).case,
        {"resourceType": "MedicationRequest"},
        BoneModifyingAgent(agent),
        kb,
        load_order_rules(kb),
    )
    assert CHECK in {item.code for item in check.items}

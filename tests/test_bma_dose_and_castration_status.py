"""Two things a prostate referral often leaves unclear, and what osteoboard makes of them.

The dose of a current denosumab: 60 mg every 6 months (Prolia, against bone loss under
androgen deprivation) does not prevent skeletal events from bone metastases; with metastases
that call for it (breast cancer, castration-resistant prostate cancer) the proposal is the
switch to 120 mg every 4 weeks without a gap (Fizazi, Lancet 2011; Prolia and XGEVA SmPC; EAU
2025), not "continue". The castration status: androgen deprivation plus an
androgen-receptor-pathway inhibitor is the treatment of castration-sensitive disease; in
castration-resistant disease the next line follows the previous ones, so while the status is
open the step stays conditional and the question about it is asked."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.facts import named_therapies
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import Proposal

KB = load_knowledge_base()
THERAPIES = {t.name: (t.name, *t.aliases) for t in KB.therapies.values()}


def _crpc(**prior: Any) -> dict[str, Any]:
    """mCRPC with three new blastic bone metastases, calcium and dental status documented."""
    return {
        "id": "dose",
        "board_date": "2026-11-20",
        "patient": {
            "age": 73,
            "sex": "male",
            "weight_kg": 84,
            "ecog": 1,
            "dental_exam_done": False,
        },
        "primary": {"site": "prostate", "castration_status": "resistant"},
        "visceral_metastases": {"present": False},
        "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 2},
        "prior_therapy": {
            "bone_modifying_agent": "denosumab",
            "bone_modifying_agent_since": "2022-02-01",
            **prior,
        },
        "labs": {"calcium_mmol_l": 2.32, "albumin_g_l": 40, "creatinine_umol_l": 90},
    }


def _items(p: Proposal, code: str) -> list[Any]:
    return [i for i in (*p.recommendations, *p.warnings) if i.code == code]


@pytest.mark.parametrize(
    "prior",
    [
        {"bone_modifying_agent_dose": "osteoporosis"},
        {"planned_therapies": ["Prolia 60 mg s.c. alle 6 Monate weiter"]},
        {"planned_therapies": ["Denosumab 60mg halbjährlich"]},
    ],
)
def test_osteoporosis_dose_with_crpc_bone_metastases_is_switched(prior: dict[str, Any]) -> None:
    p = evaluate(parse_case(_crpc(**prior)))
    [switch] = _items(p, "BMA.DENOSUMAB")
    assert switch.status == "firm" and switch.rule.endswith("denosumab_from_osteoporosis_dose")
    assert "120 mg" in switch.text.de and "ohne Pause" in switch.text.de
    [dental] = _items(p, "DX.DENTAL_EXAM")
    assert dental.status == "firm" and "120 mg" in dental.text.de
    [plan] = _items(p, "BMA.DURATION_INTERVAL")
    assert "Denosumab 120 mg alle 4 Wochen weiterführen" in plan.text.de
    assert _items(p, "BMA.OSTEOPOROSIS_DOSE") == []


def test_the_dose_for_bone_metastases_is_not_switched() -> None:
    p = evaluate(parse_case(_crpc(bone_modifying_agent_dose="bone_metastasis")))
    assert _items(p, "BMA.DENOSUMAB") == [] and _items(p, "DX.DENTAL_EXAM") == []
    assert not any(m.field == "prior_therapy.bone_modifying_agent_dose" for m in p.missing_data)


def test_an_undocumented_dose_is_asked_and_the_switch_waits_for_it() -> None:
    p = evaluate(parse_case(_crpc()))
    [switch] = _items(p, "BMA.DENOSUMAB")
    assert switch.status == "conditional"
    assert [c.fact for c in switch.conditions] == ["prior.bma_dose"]
    assert any(m.field == "prior_therapy.bone_modifying_agent_dose" for m in p.missing_data)


def test_castration_sensitive_disease_keeps_the_osteoporosis_dose() -> None:
    doc = _crpc(bone_modifying_agent_dose="osteoporosis")
    doc["primary"]["castration_status"] = "sensitive"
    p = evaluate(parse_case(doc))
    assert _items(p, "BMA.DENOSUMAB") == []
    # Already at the osteoporosis dose: nothing to de-escalate, only the general statement.
    assert [i.rule for i in _items(p, "BMA.OSTEOPOROSIS_DOSE")] == [
        "bone_modifying_agents.cspc_osteoporosis_dose"
    ]


@pytest.mark.parametrize(
    ("entry", "names"),
    [
        ("Prolia 60 mg s.c. alle 6 Monate", ["denosumab-osteoporosis-dose"]),
        ("Jubbonti", ["denosumab-osteoporosis-dose"]),
        ("Xgeva 120 mg alle 4 Wochen", ["denosumab-bone-metastasis-dose"]),
        ("Denosumab 120mg", ["denosumab-bone-metastasis-dose"]),
        ("Denosumab", []),  # which dose? not enough to name either
    ],
)
def test_denosumab_products_are_told_apart_by_name_and_dose(entry: str, names: list[str]) -> None:
    assert named_therapies(entry, THERAPIES) == names


def test_a_dose_without_an_agent_is_refused_naming_the_field() -> None:
    with pytest.raises(CaseError) as exc:
        parse_case({"id": "x", "prior_therapy": {"bone_modifying_agent_dose": "osteoporosis"}})
    (problem,) = exc.value.problems
    assert "bone_modifying_agent_dose" in problem.what.render("de")
    assert "braucht ein laufendes Mittel" in problem.what.render("de")


def _prostate_marrow(status: str | None) -> dict[str, Any]:
    primary: dict[str, Any] = {"site": "prostate"}
    if status is not None:
        primary["castration_status"] = status
    return {
        "id": "adt",
        "board_date": "2026-11-20",
        "patient": {"age": 70, "sex": "male", "ecog": 2},
        "primary": primary,
        "bone_metastases": {
            "extensive_marrow_involvement": True,
            "vertebral_count": 14,
            "extraspinal_count": 30,
        },
        "labs": {"hemoglobin_g_dl": 8.1, "platelets_10e9_l": 38},
    }


def test_open_castration_status_keeps_adt_arpi_conditional_and_asks_first() -> None:
    p = evaluate(parse_case(_prostate_marrow(None)))
    [adt] = _items(p, "SYS.ADT_ARPI")
    assert adt.status == "conditional"
    assert {c.fact for c in adt.conditions} == {
        "primary.castration_sensitive",
        "primary.castration_resistant",
    }
    assert "hängt vom Kastrationsstatus ab" in adt.text.de
    # The status decides an urgent step (immediate deprivation of a castration-sensitive
    # marrow failure): its question comes before the screening questions.
    assert p.questions[0].fact in {"primary.castration_sensitive", "primary.castration_resistant"}


def test_castration_sensitive_marrow_failure_starts_deprivation_at_once() -> None:
    p = evaluate(parse_case(_prostate_marrow("sensitive")))
    [adt] = _items(p, "SYS.ADT_ARPI")
    assert adt.status == "firm" and adt.priority == "urgent"
    assert "sofort" in adt.text.de and "GnRH-Antagonisten" in adt.text.de


def test_castration_resistant_disease_gets_no_intensification_text() -> None:
    p = evaluate(parse_case(_prostate_marrow("resistant")))
    [adt] = _items(p, "SYS.ADT_ARPI")
    assert adt.status == "firm" and adt.rule == "systemic.prostate_crpc_continue_adt"
    assert "Intensivierung" not in adt.text.de

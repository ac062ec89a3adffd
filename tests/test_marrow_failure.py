"""Symptomatic bone-marrow infiltration in hormone-receptor-positive breast cancer: extensive
marrow involvement with a measured grade-3 cytopenia is organ failure as in a visceral crisis
(ESO-ESMO ABC 5; Kopp 2011). Endocrine therapy alone is then not the proposal, chemotherapy is
discussed, the cytopenia is worked up and supported, and no CDK4/6 inhibitor is started below
the palbociclib SmPC's counts."""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import Proposal


def _case(marrow: bool | None = True, **labs: Any) -> dict[str, Any]:
    # ER-positive, HER2-negative breast cancer, second line, diffuse marrow signal.
    doc: dict[str, Any] = {
        "id": "marrow",
        "board_date": "2026-11-20",
        "patient": {"age": 52, "sex": "female", "ecog": 2},
        "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
        "visceral_metastases": {"present": False},
        "bone_metastases": {"vertebral_count": 12, "extraspinal_count": 20},
        "labs": {"creatinine_umol_l": 68, **labs},
    }
    if marrow is not None:
        doc["bone_metastases"]["extensive_marrow_involvement"] = marrow
    return doc


def _items(p: Proposal, code: str) -> list[Any]:
    return [i for i in (*p.recommendations, *p.warnings) if i.code == code]


def test_marrow_failure_gets_chemotherapy_support_and_no_cdk46_start() -> None:
    p = evaluate(parse_case(_case(hemoglobin_g_dl=7.9, platelets_10e9_l=38)))
    assert _items(p, "SYS.ENDOCRINE_THERAPY") == []
    [oncology] = _items(p, "SYS.MEDICAL_ONCOLOGY")
    assert oncology.rule == "systemic.marrow_failure_chemotherapy"
    assert oncology.priority == "soon" and "Chemotherapie" in oncology.text.de
    [support] = _items(p, "SUP.TRANSFUSION_SUPPORT")
    assert support.status == "firm" and "7,9 / 38 / nicht bekannt" in support.text.de
    [cdk] = _items(p, "WARN.CDK46_BLOOD_COUNT")
    assert cdk.status == "firm"


def test_cytopenia_with_marrow_status_open_keeps_endocrine_therapy_conditional() -> None:
    p = evaluate(parse_case(_case(marrow=None, platelets_10e9_l=38)))
    [endocrine] = _items(p, "SYS.ENDOCRINE_THERAPY")
    assert endocrine.status == "conditional"
    assert [c.fact for c in endocrine.conditions] == ["bone.extensive_marrow"]
    assert any(m.field == "bone_metastases.extensive_marrow_involvement" for m in p.missing_data)
    # The cytopenia itself is measured: its work-up does not wait for the marrow status.
    assert [s.status for s in _items(p, "SUP.TRANSFUSION_SUPPORT")] == ["firm"]


def test_marrow_involvement_with_counts_not_measured_is_no_marrow_failure() -> None:
    p = evaluate(parse_case(_case()))
    assert [e.status for e in _items(p, "SYS.ENDOCRINE_THERAPY")] == ["firm"]
    assert _items(p, "SUP.TRANSFUSION_SUPPORT") == []
    assert _items(p, "WARN.CDK46_BLOOD_COUNT") == []
    [oncology] = _items(p, "SYS.MEDICAL_ONCOLOGY")
    assert oncology.rule == "systemic.medical_oncology"


def test_normal_counts_leave_endocrine_therapy_firm() -> None:
    p = evaluate(
        parse_case(_case(hemoglobin_g_dl=11.0, platelets_10e9_l=160, neutrophils_10e9_l=3))
    )
    assert [e.status for e in _items(p, "SYS.ENDOCRINE_THERAPY")] == ["firm"]
    assert _items(p, "WARN.CDK46_BLOOD_COUNT") == []


# --- the prognosis beside marrow failure ---------------------------------------------------------


def _warning(p: Proposal, code: str) -> list[Any]:
    return [w for w in p.warnings if w.code == code]


def test_the_scores_stay_as_published_and_the_board_learns_what_they_leave_out() -> None:
    # The referral of the review: the new Katagiri score gives 3 points (low risk), so the
    # band from the scores is long; the series of symptomatic marrow infiltration say otherwise.
    doc = _case(hemoglobin_g_dl=7.9, platelets_10e9_l=38, ldh_u_l=612)
    doc["prior_therapy"] = {"chemotherapy": False}
    p = evaluate(parse_case(doc))
    katagiri = next(s for s in p.scores if s.name == "katagiri_new")
    assert (katagiri.total, katagiri.category) == (3, "low")
    assert (p.prognosis.band, p.prognosis.basis) == ("long", "katagiri_new")
    (caveat,) = _warning(p, "WARN.PROGNOSIS_MARROW_FAILURE")
    assert caveat.status == "firm"
    assert "7,9 / 38 / nicht bekannt" in caveat.text.de
    assert "überschätzen" in caveat.text.de and "6 bis 19 Monaten" in caveat.text.de
    assert {"kopp2011", "niu2023", "hung2014"} <= set(caveat.sources)


def test_no_caveat_beside_the_teams_own_estimate_or_without_marrow_failure() -> None:
    team = _case(hemoglobin_g_dl=7.9, platelets_10e9_l=38)
    team["patient"]["life_expectancy_months"] = 24
    p = evaluate(parse_case(team))
    assert p.prognosis.basis == "team_estimate"
    assert _warning(p, "WARN.PROGNOSIS_MARROW_FAILURE") == []
    # Grade 2 anaemia and platelets above 50: no marrow failure, the scores are not in doubt.
    p = evaluate(parse_case(_case(hemoglobin_g_dl=8.4, platelets_10e9_l=60)))
    assert _warning(p, "WARN.PROGNOSIS_MARROW_FAILURE") == []


def test_a_short_band_from_the_scores_needs_no_caveat() -> None:
    doc = _case(hemoglobin_g_dl=7.9, platelets_10e9_l=38)
    doc["patient"]["ecog"] = 4
    doc["visceral_metastases"] = {"present": True, "pattern": "disseminated"}
    doc["prior_therapy"] = {"chemotherapy": True}
    p = evaluate(parse_case(doc))
    assert p.prognosis.band == "short"
    assert _warning(p, "WARN.PROGNOSIS_MARROW_FAILURE") == []


def test_dental_work_at_low_platelets_is_planned_with_haematology() -> None:
    # Both agents stay (neither is contraindicated by thrombocytopenia); the dental treatment
    # before them is what needs planning at 38 × 10⁹/L.
    p = evaluate(parse_case(_case(hemoglobin_g_dl=7.9, platelets_10e9_l=38)))
    assert [r.code for r in p.recommendations if r.code == "DX.DENTAL_EXAM"] == ["DX.DENTAL_EXAM"]
    (procedures,) = _warning(p, "WARN.THROMBOCYTOPENIA_PROCEDURE")
    assert "Zahnextraktionen" in procedures.text.de and "Hämatologie" in procedures.text.de
    assert "lundstrom2024" in procedures.sources


def test_a_diffuse_marrow_involvement_is_no_solitary_lesion_and_gets_its_blood_count() -> None:
    # A gastric cancer with a bone-marrow carcinosis and one lesion listed, counts and blood
    # count not documented: no biopsy or resection "of a solitary metastasis", and the blood
    # count with coagulation is measured.
    doc = {
        "id": "carcinosis",
        "board_date": "2026-11-20",
        "patient": {"age": 61, "sex": "male", "ecog": 2},
        "primary": {"site": "other", "histology": "Adenokarzinom des Magens"},
        "bone_metastases": {"extensive_marrow_involvement": True},
        "lesions": [{"id": "S", "region": "spine", "level": "L2", "pain": "non_mechanical"}],
    }
    case = parse_case(doc)
    assert case.multiple_bone_metastases is True and case.solitary_bone_metastasis is False
    p = evaluate(case)
    codes = {i.code for i in [*p.emergencies, *p.recommendations]}
    assert not codes & {"DX.BIOPSY", "SURG.EN_BLOC_RESECTION", "RT.OLIGOMETASTATIC_SBRT"}
    (labs,) = [r for r in p.recommendations if r.code == "DX.LABS_BONE"]
    assert labs.rule == "board.blood_count_marrow_involvement" and "Gerinnung" in labs.text.de
    doc["bone_metastases"] = {"extensive_marrow_involvement": False}
    assert parse_case(doc).solitary_bone_metastasis is None

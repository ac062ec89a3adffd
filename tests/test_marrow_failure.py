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

"""A solitary plasmacytoma (ICD-10 C90.3) arrives as primary.site myeloma with myeloma.stage
solitary_plasmacytoma, so that it is treated as the curable single lesion it is and not as
multiple myeloma; a later myeloma diagnosis (C90.0) is chosen over it and brings no stage."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.case import MyelomaStage, PrimarySite
from osteoboard.engine import evaluate
from tests.fhir.test_import import run

ICD10 = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"


def _primary(rid: str, code: str, recorded: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "meta": {
            "profile": [
                "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
            ]
        },
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": ICD10, "code": code}]},
        "subject": {"reference": "Patient/pat-1"},
        "recordedDate": recorded,
    }


def _bone_lesion() -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "t10",
        "code": {"coding": [{"system": SCT, "code": "94222008"}]},
        "bodySite": [{"coding": [{"system": SCT, "code": "7610001"}]}],  # T10
        "subject": {"reference": "Patient/pat-1"},
    }


def test_c90_3_is_a_solitary_plasmacytoma_of_the_myeloma_module() -> None:
    result = run(_primary("spc", "C90.3", "2026-10-01"), _bone_lesion())
    case = result.case
    assert case.primary.site is PrimarySite.myeloma
    assert case.myeloma is not None and case.myeloma.stage is MyelomaStage.solitary_plasmacytoma
    (source,) = [f for f in result.report.fields if f.field == "myeloma.stage"]
    assert source.resource == "Condition/spc"
    codes = {r.code for r in evaluate(case).recommendations}
    # Curative radiotherapy and follow-up, no myeloma therapy and no bone-modifying agent.
    assert "RT.CURATIVE" in codes
    assert {c for c in codes if c.startswith(("MM.", "BMA."))} <= {"MM.MONITOR", "MM.WORKUP"}


def test_an_extramedullary_plasmacytoma_sets_no_site() -> None:
    result = run(_primary("emp", "C90.2", "2026-10-01"))
    assert result.case.primary.site is None
    unused = {u.resource: u.reason.en for u in result.report.unused}
    assert "not a bone disease" in unused["Condition/emp"]


@pytest.mark.parametrize(
    ("plasmacytoma", "myeloma"),
    [("2025-03-01", "2026-10-01"), ("2024-10-01", "2020-03-01")],
    ids=["myeloma-later", "myeloma-earlier"],
)
def test_a_plasmacytoma_beside_a_myeloma_on_record_leaves_the_stage_open(
    plasmacytoma: str, myeloma: str
) -> None:
    """A multiple myeloma on record, diagnosed before or after a solitary plasmacytoma: the
    stage is not taken (a solitary plasmacytoma excludes myeloma) and the report says why."""
    result = run(
        _primary("mm", "C90.0", myeloma),
        _primary("spc", "C90.3", plasmacytoma),
        _bone_lesion(),
    )
    case = result.case
    assert case.primary.site is PrimarySite.myeloma
    assert case.myeloma is None or case.myeloma.stage is None
    reasons = [u.reason.en for u in result.report.unused if u.resource == "Condition/spc"]
    assert any("multiple myeloma is on record too (Condition/mm)" in r for r in reasons)

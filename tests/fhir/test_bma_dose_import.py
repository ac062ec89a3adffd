"""The dose a bone-modifying agent is given at arrives from FHIR in
prior_therapy.bone_modifying_agent_dose: the resource's single dose in mg, read against the
dose bands of the code table (denosumab 120 mg Xgeva / 60 mg Prolia; zoledronic acid 4 mg
Zometa / 5 mg Aclasta; ibandronate 6 or 50 mg Bondronat / 150 mg Bonviva). A dose that
belongs to no band, or none given, leaves the field open. A Prolia injection counts as
current for its six-month interval."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.case import BoneModifyingAgent
from osteoboard.fhir.codes import load_fhir_codes
from tests.fhir.test_import import run

ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"


def _dose(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _bma(rid: str, rtype: str, code: str, dose: dict[str, Any] | None, **when: Any) -> Any:
    res: dict[str, Any] = {
        "resourceType": rtype,
        "id": rid,
        "status": "completed" if rtype == "MedicationAdministration" else "active",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
        "subject": {"reference": "Patient/pat-1"},
        **when,
    }
    if rtype == "MedicationRequest":
        res["intent"] = "order"
        if dose is not None:
            res["dosageInstruction"] = [{"doseAndRate": [{"doseQuantity": dose}]}]
    elif rtype == "MedicationStatement" and dose is not None:
        res["dosage"] = [{"doseAndRate": [{"doseQuantity": dose}]}]
    elif dose is not None:
        res["dosage"] = {"dose": dose}
    return res


@pytest.mark.parametrize(
    ("code", "dose", "expected"),
    [
        ("M05BX04", _dose(120, "mg"), "bone_metastasis"),
        ("M05BX04", _dose(60, "mg"), "osteoporosis"),
        ("M05BA08", _dose(4, "mg"), "bone_metastasis"),
        ("M05BA08", _dose(3.3, "mg"), "bone_metastasis"),  # reduced for the clearance
        ("M05BA08", _dose(5, "mg"), "osteoporosis"),
        ("M05BA08", _dose(0.004, "g"), "bone_metastasis"),
        ("M05BA06", _dose(6, "mg"), "bone_metastasis"),
        ("M05BA06", _dose(150, "mg"), "osteoporosis"),
        ("M05BA06", _dose(3, "mg"), None),  # osteoporosis or hypercalcaemia: open
        ("M05BX04", _dose(90, "mg"), None),  # no product's dose
        ("M05BX04", _dose(120, "mL"), None),  # not a mass
        ("M05BX04", None, None),
    ],
)
def test_the_dose_band_comes_from_the_request(
    code: str, dose: dict[str, Any] | None, expected: str | None
) -> None:
    result = run(_bma("bma", "MedicationRequest", code, dose, authoredOn="2026-10-01"))
    assert result.case.prior_therapy.bone_modifying_agent is not None
    got = result.case.prior_therapy.bone_modifying_agent_dose
    assert (got.value if got is not None else None) == expected
    if expected is not None:
        (source,) = [
            s for s in result.report.fields if s.field == "prior_therapy.bone_modifying_agent_dose"
        ]
        assert source.resource == "MedicationRequest/bma"


def test_statement_and_administration_give_their_dose_too() -> None:
    statement = _bma(
        "st", "MedicationStatement", "M05BX04", _dose(120, "mg"), effectiveDateTime="2026-11-01"
    )
    assert run(statement).case.prior_therapy.bone_modifying_agent_dose == "bone_metastasis"
    given = _bma(
        "adm",
        "MedicationAdministration",
        "M05BX04",
        _dose(60, "mg"),
        effectiveDateTime="2026-10-01",
    )
    assert run(given).case.prior_therapy.bone_modifying_agent_dose == "osteoporosis"


def test_a_prolia_injection_five_months_ago_is_still_current_xgeva_is_not() -> None:
    """Prolia is given every 6 months: five months after the last injection the patient is
    still on denosumab (and stopping it is a risk of its own). Xgeva is given every 4 weeks."""
    prolia = _bma(
        "p", "MedicationAdministration", "M05BX04", _dose(60, "mg"), effectiveDateTime="2026-06-20"
    )
    case = run(prolia).case
    assert case.prior_therapy.bone_modifying_agent is BoneModifyingAgent.denosumab
    assert case.prior_therapy.bone_modifying_agent_dose == "osteoporosis"
    xgeva = _bma(
        "x", "MedicationAdministration", "M05BX04", _dose(120, "mg"), effectiveDateTime="2026-06-20"
    )
    assert run(xgeva).case.prior_therapy.bone_modifying_agent is None


def test_the_dose_belongs_to_the_agent_chosen() -> None:
    """An older Prolia request and a newer zoledronic acid 4 mg: the current agent is
    zoledronic acid, and its dose is the one reported."""
    result = run(
        _bma("old", "MedicationRequest", "M05BX04", _dose(60, "mg"), authoredOn="2026-03-01"),
        _bma("new", "MedicationRequest", "M05BA08", _dose(4, "mg"), authoredOn="2026-10-01"),
    )
    pt = result.case.prior_therapy
    assert pt.bone_modifying_agent is BoneModifyingAgent.zoledronic_acid
    assert pt.bone_modifying_agent_dose == "bone_metastasis"


def test_bands_do_not_overlap_and_name_their_sources() -> None:
    bands = load_fhir_codes().bma_doses
    assert {(b.agent.value, b.dose.value) for b in bands} >= {
        ("denosumab", "bone_metastasis"),
        ("denosumab", "osteoporosis"),
        ("zoledronic_acid", "bone_metastasis"),
        ("zoledronic_acid", "osteoporosis"),
    }
    assert all(b.sources for b in bands)

"""Elements that change what a resource means (FHIR R4 "modifier" elements) are never read
as if they were absent: an order not to give a drug, a planned or proposed drug, a value
given only as a bound ("< 70"), a modifier extension the importer does not understand. And
what a server says about its own answer (an OperationOutcome in a search) is reported."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.engine import evaluate
from tests.fhir.test_import import SCT, obs, run

ATC = "http://www.whocc.no/atc"
PZN = "http://fhir.de/CodeSystem/ifa/pzn"


def _request(rid: str, code: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
        "subject": {"reference": "Patient/pat-1"},
        "authoredOn": "2026-10-01",
        **extra,
    }


def _unused(result: Any, ref: str) -> list[Any]:
    return [u for u in result.report.unused if u.resource == ref]


def test_an_order_not_to_give_a_drug_is_not_the_drug_given() -> None:
    held = _request("zol-held", "M05BA08", doNotPerform=True, authoredOn="2026-11-10")
    result = run(held, _request("dmab", "M05BX04"))
    assert result.case.prior_therapy.bone_modifying_agent.value == "denosumab"
    assert result.report.conflicts == []  # the held order does not compete
    (why,) = _unused(result, "MedicationRequest/zol-held")
    assert why.element == "doNotPerform" and "nicht zu geben" in why.reason.de
    # alone, it leaves the field open
    alone = run(held)
    assert alone.case.prior_therapy.bone_modifying_agent is None


@pytest.mark.parametrize("intent", ["plan", "proposal", "option", "directive"])
def test_a_planned_or_proposed_drug_is_not_a_current_therapy(intent: str) -> None:
    result = run(_request("dmab-plan", "M05BX04", intent=intent))
    assert result.case.prior_therapy.bone_modifying_agent is None
    (why,) = _unused(result, "MedicationRequest/dmab-plan")
    assert why.element == "intent" and repr(intent) in why.reason.en


@pytest.mark.parametrize("intent", ["order", "original-order", "instance-order"])
def test_an_order_is_a_current_therapy(intent: str) -> None:
    result = run(_request("dmab", "M05BX04", intent=intent))
    assert result.case.prior_therapy.bone_modifying_agent.value == "denosumab"


@pytest.mark.parametrize(
    ("code", "field"),
    [("89247-1", "ecog"), ("89243-0", "karnofsky")],
)
def test_a_performance_status_given_as_a_bound_is_left_out(code: str, field: str) -> None:
    value = 2 if field == "ecog" else 70
    bound = {"valueQuantity": {"value": value, "comparator": ">="}}
    result = run(obs("ps", code, "2026-11-10", bound))
    assert getattr(result.case.patient, field) is None
    (why,) = _unused(result, "Observation/ps")
    assert why.element == "valueQuantity.comparator"
    exact = run(obs("ps", code, "2026-11-10", {"valueQuantity": {"value": value}}))
    assert getattr(exact.case.patient, field) == value


def _metastasis(cid: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [{"system": SCT, "code": "94222008"}]},
        "bodySite": [{"coding": [{"system": SCT, "code": "11068009"}]}],
        "subject": {"reference": "Patient/pat-1"},
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "element"),
    [
        (
            {"modifierExtension": [{"url": "http://example.org/negated", "valueBoolean": True}]},
            "modifierExtension",
        ),
        ({"implicitRules": "http://example.org/rules"}, "implicitRules"),
        (
            {
                "stage": [
                    {
                        "summary": {"text": "IV"},
                        "modifierExtension": [
                            {"url": "http://example.org/excluded", "valueBoolean": True}
                        ],
                    }
                ]
            },
            "stage[0].modifierExtension",
        ),
    ],
)
def test_a_resource_with_a_modifier_it_does_not_understand_is_left_out(
    extra: dict[str, Any], element: str
) -> None:
    result = run(_metastasis("met", **extra))
    assert result.case.lesions == []
    (why,) = _unused(result, "Condition/met")
    assert why.element == element and "not used" in why.reason.en
    # an ordinary extension changes nothing
    plain = run(_metastasis("met", extension=[{"url": "http://example.org/x", "valueString": "y"}]))
    assert [lesion.level for lesion in plain.case.lesions] == ["T8"]


def test_a_patient_with_a_modifier_gives_the_pseudonym_only() -> None:
    from osteoboard.fhir import import_resources
    from tests.fhir.test_import import patient

    marked = patient(modifierExtension=[{"url": "http://example.org/m", "valueBoolean": True}])
    result = import_resources([marked])
    assert result.case.id == "pat-1"
    assert result.case.patient.sex is None and result.case.patient.age is None
    assert _unused(result, "Patient/pat-1")[0].element == "modifierExtension"


def test_a_medication_coded_by_product_is_found_by_its_ingredient() -> None:
    request = _request("zol", "-", authoredOn="2026-11-16")
    del request["medicationCodeableConcept"]
    request["medicationReference"] = {"reference": "#med"}
    request["contained"] = [
        {
            "resourceType": "Medication",
            "id": "med",
            "code": {
                "coding": [{"system": "http://fhir.de/CodeSystem/ifa/pzn", "code": "01234567"}]
            },
            "ingredient": [
                {"itemCodeableConcept": {"coding": [{"system": ATC, "code": "M05BA08"}]}}
            ],
        }
    ]
    result = run(request)
    assert result.case.prior_therapy.bone_modifying_agent.value == "zoledronic_acid"


def test_the_servers_message_about_its_search_is_reported() -> None:
    from osteoboard.fhir import import_resources
    from osteoboard.fhir.loaders import parse_bundle
    from tests.fhir.test_import import patient

    outcome = {
        "resourceType": "OperationOutcome",
        "id": "oo",
        "issue": [
            {
                "severity": "warning",
                "code": "suppressed",
                "diagnostics": "MedicationStatement withheld: missing rights",
            }
        ],
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": patient(), "search": {"mode": "match"}},
            {"resource": outcome, "search": {"mode": "outcome"}},
        ],
    }
    result = import_resources(parse_bundle(bundle))
    (why,) = _unused(result, "OperationOutcome/oo")
    assert why.element == "issue[0]"
    assert "withheld" in why.reason.en and "unvollständig" in why.reason.de


SIDE_URL = "http://fhir.de/StructureDefinition/seitenlokalisation"
LATERALITY_URL = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
FEMUR = "71341001"


def _sided(coding: dict[str, Any], side: str) -> dict[str, Any]:
    """A coding with the German side extension (L / R)."""
    extension = {"url": SIDE_URL, "valueCoding": {"code": side}}
    return {**coding, "extension": [extension]}


def _femur_metastasis(cid: str, side: str, laterality: str | None = None) -> dict[str, Any]:
    site: dict[str, Any] = {"coding": [{"system": SCT, "code": FEMUR}]}
    if laterality is not None:  # SNOMED CT 7771000 left, 24028007 right
        code = {"left": "7771000", "right": "24028007"}[laterality]
        site["extension"] = [
            {
                "url": LATERALITY_URL,
                "valueCodeableConcept": {"coding": [{"system": SCT, "code": code}]},
            }
        ]
    icd = {"system": "http://fhir.de/CodeSystem/bfarm/icd-10-gm", "code": "C79.5"}
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [_sided(icd, side)]},
        "bodySite": [site],
        "subject": {"reference": "Patient/pat-1"},
    }


def _femur_radiotherapy(side: str) -> dict[str, Any]:
    ops = {"system": "http://fhir.de/CodeSystem/bfarm/ops", "code": "8-522.91"}
    return {
        "resourceType": "Procedure",
        "id": "rt",
        "status": "completed",
        "code": {"coding": [_sided(ops, side)]},
        "subject": {"reference": "Patient/pat-1"},
        "performedDateTime": "2026-10-01",
        "bodySite": [{"coding": [{"system": SCT, "code": FEMUR}]}],
    }


def test_the_side_in_a_radiotherapys_code_picks_the_lesion_it_treated() -> None:
    right = _femur_metastasis("met-right", "R")
    left_rt = run(right, _femur_radiotherapy("L"))
    (lesion,) = left_rt.case.lesions
    assert lesion.side == "right" and lesion.previously_irradiated is None
    assert _unused(left_rt, "Procedure/rt")[0].element == "bodySite"
    right_rt = run(right, _femur_radiotherapy("R"))
    assert right_rt.case.lesions[0].previously_irradiated is True


def test_sides_that_contradict_each_other_leave_the_side_open_and_are_reported() -> None:
    result = run(_femur_metastasis("met", "R", laterality="left"))
    (lesion,) = result.case.lesions
    assert lesion.bone == "femur" and lesion.side is None
    (why,) = _unused(result, "Condition/met")
    assert "conflicting sides: right by the code, left by the body site" in why.reason.en
    agreeing = run(_femur_metastasis("met", "L", laterality="left"))
    assert agreeing.case.lesions[0].side == "left" and not _unused(agreeing, "Condition/met")


def test_a_radiotherapy_with_contradicting_sides_marks_neither_femur() -> None:
    left, right = _femur_metastasis("met-left", "L"), _femur_metastasis("met-right", "R")
    rt = _femur_radiotherapy("L")
    rt["bodySite"][0]["extension"] = [
        {
            "url": LATERALITY_URL,
            "valueCodeableConcept": {"coding": [{"system": SCT, "code": "24028007"}]},  # right
        }
    ]
    result = run(left, right, rt)
    assert [lesion.previously_irradiated for lesion in result.case.lesions] == [None, None]
    assert any("fits several lesions" in r.reason.en for r in _unused(result, "Procedure/rt"))
    # with only one femur lesion the place is clear
    alone = run(right, rt)
    assert alone.case.lesions[0].previously_irradiated is True


def test_a_modifier_inside_an_ordered_mapping_is_found() -> None:
    from collections import OrderedDict

    from osteoboard.fhir import import_resources
    from tests.fhir.test_import import patient

    stage = OrderedDict(
        summary={"text": "IV"},
        modifierExtension=[{"url": "http://example.org/x", "valueBoolean": True}],
    )
    condition = _metastasis("met", stage=[stage])
    result = import_resources([patient(), OrderedDict(condition)])
    assert result.case.lesions == []


def _fracture(cid: str, code: str, side: str | None = None, **extra: Any) -> dict[str, Any]:
    icd = {"system": "http://fhir.de/CodeSystem/bfarm/icd-10-gm", "code": code}
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": {"coding": [_sided(icd, side) if side else icd]},
        "subject": {"reference": "Patient/pat-1"},
        "onsetDateTime": "2026-11-15",
        **extra,
    }


def test_a_fractures_side_in_its_code_keeps_it_off_the_other_sides_lesion() -> None:
    # A right femoral metastasis and a left-sided fracture of the pelvis or thigh (M84.45 L):
    # not the right femur, which is intact; the fracture is a lesion of its own, its region
    # open (pelvis or femur), on the left.
    result = run(_femur_metastasis("met-right", "R"), _fracture("fx", "M84.45", "L"))
    by_id = {les.id: les for les in result.case.lesions}
    assert by_id["met-right"].pathologic_fracture is None
    assert by_id["fx"].pathologic_fracture is True and by_id["fx"].side == "left"
    assert by_id["fx"].region is None
    p = evaluate(result.case)
    (emergency,) = [e for e in p.emergencies if e.code == "EMERG.PATHOLOGIC_FRACTURE"]
    assert emergency.lesion == "fx" and emergency.status.value == "suspected"
    # The same side as the metastasis: the fracture is that lesion's.
    same = run(_femur_metastasis("met-left", "L"), _fracture("fx", "M84.45", "L"))
    (lesion,) = same.case.lesions
    assert lesion.id == "met-left" and lesion.pathologic_fracture is True


def test_a_located_fracture_without_a_coded_metastasis_is_a_lesion() -> None:
    # Myeloma: German coding gives its bone lesions no C79.5. A fracture of T12 (M84.48 with
    # its vertebra as bodySite) is the T12 lesion, and the spine is assessed.
    myeloma = {
        "resourceType": "Condition",
        "id": "mm",
        "code": {
            "coding": [{"system": "http://fhir.de/CodeSystem/bfarm/icd-10-gm", "code": "C90.00"}]
        },
        "subject": {"reference": "Patient/pat-1"},
    }
    t12 = {"coding": [{"system": SCT, "code": "23215003"}]}
    result = run(myeloma, _fracture("fx-t12", "M84.48", bodySite=[t12]))
    (lesion,) = result.case.lesions
    assert (lesion.region, lesion.level, lesion.pathologic_fracture) == ("spine", "T12", True)
    made = next(f for f in result.report.fields if f.field == "lesions[fx-t12]")
    assert made.note is not None and "als eigene Läsion übernommen" in made.note.de
    codes = {r.code for r in evaluate(result.case).recommendations}
    assert "SURG.SPINE_CONSULT" in codes


def test_a_vertebral_level_written_as_text_locates_the_metastasis() -> None:
    # C79.5 with a collapsed vertebra (M49.56) in one Condition, its bodySite only the words
    # "LWK 2": the L2 lesion, fractured, and a radiotherapy of L2 finds it.
    gm = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
    met = {
        "resourceType": "Condition",
        "id": "met-l2",
        "code": {"coding": [{"system": gm, "code": "C79.5"}, {"system": gm, "code": "M49.56"}]},
        "bodySite": [{"text": "LWK 2"}],
        "subject": {"reference": "Patient/pat-1"},
    }
    (lesion,) = run(met).case.lesions
    assert (lesion.region, lesion.level, lesion.pathologic_fracture) == ("spine", "L2", True)
    # Words that name no single level locate nothing.
    for text in ("LWK 2 und LWK 3", "Wirbelsäule", "Lendenwirbel"):
        vague = {**met, "bodySite": [{"text": text}]}
        (lesion,) = run(vague).case.lesions
        assert lesion.level is None, text

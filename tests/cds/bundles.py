"""Synthetic FHIR R4 patients for the CDS Hooks tests (pseudonyms only, invented values).

Each builder returns a transaction Bundle whose entries reference the patient by a
``urn:uuid`` placeholder, so the in-memory FHIR server assigns the ids; :func:`resources`
turns the same content into plain resources with fixed ids (for a prefetch).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
CASE_ITEM = "urn:osteoboard:codesystem:case-item"
PRIMARY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
SECONDARY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition"

Resource = dict[str, Any]
#: How many days before the call the bundles' observations are dated: the service takes the
#: day of the call as the board date, and laboratory values must be recent to count.
RECENT_DAYS = 7


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _days_ago(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


def _observation(
    subject: str, code: dict[str, Any], days_ago: int = RECENT_DAYS, **value: Any
) -> Resource:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": code,
        "subject": {"reference": subject},
        "effectiveDateTime": _days_ago(days_ago),
        **value,
    }


def _lab(
    subject: str, loinc: str, value: float, unit: str, days_ago: int = RECENT_DAYS
) -> Resource:
    return _observation(
        subject,
        _coding(LOINC, loinc),
        days_ago,
        valueQuantity={"value": value, "unit": unit, "system": UCUM, "code": unit},
    )


def _item(subject: str, path: str, focus: str | None = None, **value: Any) -> Resource:
    resource = _observation(subject, _coding(CASE_ITEM, path), **value)
    if focus:
        resource["focus"] = [{"reference": focus}]
    return resource


def _patient(gender: str, birth: str) -> Resource:
    return {"resourceType": "Patient", "gender": gender, "birthDate": birth}


def _primary(subject: str, code: str, display: str) -> Resource:
    return {
        "resourceType": "Condition",
        "meta": {"profile": [PRIMARY]},
        "clinicalStatus": _coding(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
        ),
        "code": _coding(SNOMED, code, display),
        "subject": {"reference": subject},
    }


def _bone_metastasis(subject: str, site: str, display: str) -> Resource:
    return {
        "resourceType": "Condition",
        "meta": {"profile": [SECONDARY]},
        "clinicalStatus": _coding(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
        ),
        "code": _coding(SNOMED, "94222008", "Secondary malignant neoplasm of bone"),
        "bodySite": [_coding(SNOMED, site, display)],
        "subject": {"reference": subject},
    }


def _transaction(entries: list[tuple[str, Resource]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": full_url,
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for full_url, resource in entries
        ],
    }


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def mscc_bundle() -> dict[str, Any]:
    """Lung cancer with a lytic T6 metastasis compressing the cord (ESCC 2) and a new motor
    deficit for 20 hours: metastatic spinal cord compression."""
    me, t6 = _urn(), _urn()
    entries = [
        (me, _patient("male", "1955-03-01")),
        (_urn(), _primary(me, "254637007", "Non-small cell lung cancer")),
        (t6, _bone_metastasis(me, "45296009", "T6 vertebra")),
        (_urn(), _item(me, "lesion.type", t6, valueString="lytic")),
        (_urn(), _item(me, "lesion.escc_grade", t6, valueString="2")),
        (_urn(), _item(me, "lesion.symptomatic", t6, valueBoolean=True)),
        (_urn(), _item(me, "neurology.new_deficit", valueBoolean=True)),
        (_urn(), _item(me, "neurology.frankel", valueString="D")),
        (_urn(), _item(me, "neurology.deficit_onset_hours", valueInteger=20)),
        (_urn(), _lab(me, "29463-7", 69, "kg")),
        (_urn(), _lab(me, "2160-0", 1.1, "mg/dL")),
    ]
    return _transaction(entries)


def renal_bundle(
    *, creatinine_mg_dl: float = 1.25, creatinine_days_ago: int = RECENT_DAYS
) -> dict[str, Any]:
    """Breast cancer with several bone metastases, 78 years, 60 kg, creatinine raised: a
    Cockcroft-Gault clearance of 35 mL/min at the default creatinine (1.25 mg/dL), measured
    ``creatinine_days_ago`` days before the call."""
    me, l2, t10 = _urn(), _urn(), _urn()
    entries = [
        (me, _patient("female", "1948-06-15")),
        (_urn(), _primary(me, "254837009", "Malignant neoplasm of breast")),
        (l2, _bone_metastasis(me, "14293000", "L2 vertebra")),
        (t10, _bone_metastasis(me, "7610001", "T10 vertebra")),
        (_urn(), _item(me, "lesion.histology_confirmed", l2, valueBoolean=True)),
        (_urn(), _lab(me, "29463-7", 60, "kg")),
        (_urn(), _lab(me, "2160-0", creatinine_mg_dl, "mg/dL", creatinine_days_ago)),
        (_urn(), _lab(me, "2000-8", 2.3, "mmol/L")),
        (_urn(), _lab(me, "1751-7", 40, "g/L")),
    ]
    return _transaction(entries)


def on_bone_agent_bundle(kind: str, *, days_ago: int = 10) -> dict[str, Any]:
    """The renal patient, whose current zoledronic acid (ATC M05BA08) is recorded only as a
    ``kind`` resource (MedicationStatement, active; or MedicationAdministration, completed),
    started or given ``days_ago`` days ago."""
    bundle = renal_bundle()
    me = bundle["entry"][0]["fullUrl"]
    when = (dt.date.today() - dt.timedelta(days=days_ago)).isoformat()
    status = "active" if kind == "MedicationStatement" else "completed"
    resource: Resource = {
        "resourceType": kind,
        "status": status,
        "medicationCodeableConcept": _coding(ATC, "M05BA08", "zoledronic acid"),
        "subject": {"reference": me},
        "effectiveDateTime": when,
    }
    bundle["entry"].append(
        {"fullUrl": _urn(), "resource": resource, "request": {"method": "POST", "url": kind}}
    )
    return bundle


def resources(bundle: dict[str, Any], patient_id: str) -> list[Resource]:
    """The bundle's resources with ids, the patient as ``patient_id`` (for a prefetch)."""
    ids = {}
    out = []
    for index, entry in enumerate(bundle["entry"]):
        resource = copy.deepcopy(entry["resource"])
        rid = patient_id if resource["resourceType"] == "Patient" else f"{patient_id}-{index}"
        ids[entry["fullUrl"]] = f"{resource['resourceType']}/{rid}"
        resource["id"] = rid
        out.append(resource)
    for resource in out:
        for key in ("subject",):
            if key in resource:
                resource[key] = {"reference": ids[resource[key]["reference"]]}
        if "focus" in resource:
            resource["focus"] = [{"reference": ids[f["reference"]]} for f in resource["focus"]]
    return out


def prefetch(bundle: dict[str, Any], patient_id: str) -> dict[str, Any]:
    """The prefetch a client would send for the service's templates."""
    listed = resources(bundle, patient_id)

    def searchset(kind: str) -> dict[str, Any]:
        found = [r for r in listed if r["resourceType"] == kind]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r} for r in found],
        }

    return {
        "patient": next(r for r in listed if r["resourceType"] == "Patient"),
        "conditions": searchset("Condition"),
        "observations": searchset("Observation"),
        "medications": searchset("MedicationRequest"),
        "medicationStatements": searchset("MedicationStatement"),
        "medicationAdministrations": searchset("MedicationAdministration"),
        "procedures": searchset("Procedure"),
    }


def zoledronic_draft(patient_id: str, dose_mg: float = 4.0, order_id: str = "draft-1") -> Resource:
    """A draft order of zoledronic acid (ATC M05BA08) at ``dose_mg`` IV."""
    return {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": _coding(ATC, "M05BA08", "zoledronic acid"),
        "subject": {"reference": f"Patient/{patient_id}"},
        "dosageInstruction": [
            {
                "text": "alle 4 Wochen",
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose_mg,
                            "unit": "mg",
                            "system": UCUM,
                            "code": "mg",
                        }
                    }
                ],
            }
        ],
    }


def draft_orders(*requests: Resource) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in requests],
    }

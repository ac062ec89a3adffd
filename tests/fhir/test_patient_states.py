"""Import of pregnancy, breast-feeding, an established osteonecrosis of the jaw and finished
operations at a lesion: each maps where its codes say so, and does not where the system, the
status, the date, the patient or the place says otherwise (reported, never guessed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from osteoboard.engine import evaluate
from osteoboard.fhir import import_resources

BOARD = dt.date(2026, 11, 20)
LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
CM = "http://hl7.org/fhir/sid/icd-10-cm"
GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
WHO = "http://hl7.org/fhir/sid/icd-10"
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def patient(gender: str = "female") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p1", "gender": gender, "birthDate": "1990-03-01"}


def coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def status_obs(oid: str, code: str, answer: dict[str, Any], day: str, **extra: Any) -> dict:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": extra.pop("status", "final"),
        "code": coding(LOINC, code),
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": day,
        **answer,
        **extra,
    }


def answer(system: str, code: str) -> dict[str, Any]:
    return {"valueCodeableConcept": coding(system, code)}


def condition(cid: str, system: str, code: str, **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": coding(CLINICAL, extra.pop("clinical", "active")),
        "code": coding(system, code),
        "subject": {"reference": "Patient/p1"},
        "recordedDate": extra.pop("recorded", "2026-11-10"),
    }
    verification = extra.pop("verification", None)
    if verification:
        res["verificationStatus"] = coding(VERIFICATION, verification)
    res.update(extra)
    return res


def lesion(cid: str, site: str, recorded: str = "2026-09-01") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "meta": {"profile": [MCODE + "mcode-secondary-cancer-condition"]},
        "clinicalStatus": coding(CLINICAL, "active"),
        "code": coding(SCT, "94222008"),
        "bodySite": [coding(SCT, site)],
        "subject": {"reference": "Patient/p1"},
        "recordedDate": recorded,
    }


def procedure(pid: str, code: str, site: str | None, day: str | None, **extra: Any) -> dict:
    res: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": pid,
        "status": extra.pop("status", "completed"),
        "code": coding(extra.pop("system", SCT), code),
        "subject": {"reference": "Patient/p1"},
    }
    if site is not None:
        res["bodySite"] = [coding(SCT, site)]
    if day is not None:
        res["performedDateTime"] = day
    res.update(extra)
    return res


def run(*resources: dict[str, Any], gender: str = "female") -> Any:
    return import_resources([patient(gender), *resources], board_date=BOARD)


def reasons(result: Any, resource: str) -> list[str]:
    return [u.reason.de for u in result.report.unused if u.resource == resource]


T7, L4, FEMUR = "62487009", "11994002", "71341001"

# --------------------------------------------------------------------------------------------
# pregnancy and breast-feeding


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        (LOINC, "LA15173-0", True),
        (LOINC, "LA26683-5", False),
        (SCT, "77386006", True),  # IPS 2 / US Core answer
        (SCT, "60001007", False),
    ],
)
def test_pregnancy_status_observation_maps_with_its_answer(
    system: str, code: str, expected: bool
) -> None:
    result = run(status_obs("preg", "82810-3", answer(system, code), "2026-11-12"))
    assert result.case.patient.pregnant is expected
    (source,) = [f for f in result.report.fields if f.field == "patient.pregnant"]
    assert (source.resource, source.element) == ("Observation/preg", "valueCodeableConcept")


def test_an_unknown_pregnancy_answer_leaves_the_field_open_and_hides_no_earlier_one() -> None:
    unknown = run(status_obs("u", "82810-3", answer(LOINC, "LA4489-6"), "2026-11-12"))
    assert unknown.case.patient.pregnant is None
    assert any("bleibt offen" in r for r in reasons(unknown, "Observation/u"))
    # a documented pregnancy is not hidden by a later "unknown" or "possible pregnancy"
    result = run(
        status_obs("yes", "82810-3", answer(LOINC, "LA15173-0"), "2026-08-01"),
        status_obs("possible", "82810-3", answer(SCT, "146799005"), "2026-11-12"),
    )
    assert result.case.patient.pregnant is True


def test_the_same_code_under_another_system_is_not_a_pregnancy() -> None:
    result = run(
        status_obs("x", "82810-3", answer("http://example.org/answers", "LA15173-0"), "2026-11-12"),
        {
            **status_obs("y", "82810-3", answer(LOINC, "LA15173-0"), "2026-11-12"),
            "code": coding("http://example.org/codes", "82810-3"),
        },
    )
    assert result.case.patient.pregnant is None


def test_pregnancy_observation_entered_in_error_is_not_used() -> None:
    result = run(
        status_obs(
            "e", "82810-3", answer(LOINC, "LA15173-0"), "2026-11-12", status="entered-in-error"
        )
    )
    assert result.case.patient.pregnant is None
    assert any("entered-in-error" in r for r in reasons(result, "Observation/e"))


def test_a_pregnancy_documented_more_than_42_weeks_ago_is_not_current() -> None:
    # 294 days before 2026-11-20 is 2026-01-30
    kept = run(status_obs("k", "82810-3", answer(LOINC, "LA15173-0"), "2026-01-30"))
    assert kept.case.patient.pregnant is True
    old = run(status_obs("o", "82810-3", answer(LOINC, "LA15173-0"), "2026-01-29"))
    assert old.case.patient.pregnant is None
    assert any("älter als 294 Tage" in r for r in reasons(old, "Observation/o"))


def test_a_later_not_pregnant_wins_and_the_conflict_is_reported() -> None:
    result = run(
        status_obs("yes", "82810-3", answer(LOINC, "LA15173-0"), "2026-06-01"),
        status_obs("no", "82810-3", answer(LOINC, "LA26683-5"), "2026-11-15"),
    )
    assert result.case.patient.pregnant is False
    (conflict,) = result.report.conflicts
    assert conflict.field == "patient.pregnant"
    assert conflict.chosen.resource == "Observation/no"


@pytest.mark.parametrize(
    ("system", "code", "recorded"),
    [(SCT, "77386006", "2026-10-01"), (GM, "Z33!", "2026-10-01"), (CM, "Z33.1", "2026-10-01")],
)
def test_pregnancy_condition_maps_when_active_and_recent(
    system: str, code: str, recorded: str
) -> None:
    result = run(condition("preg", system, code, recorded=recorded))
    assert result.case.patient.pregnant is True
    (source,) = [f for f in result.report.fields if f.field == "patient.pregnant"]
    assert (source.resource, source.element) == ("Condition/preg", "code")


@pytest.mark.parametrize(
    "extra",
    [
        {"verification": "refuted"},
        {"verification": "entered-in-error"},
        {"clinical": "resolved"},
        {"recorded": "2025-12-01"},  # more than 294 days before the board
    ],
)
def test_pregnancy_condition_does_not_map_when_refuted_resolved_or_old(extra: dict) -> None:
    result = run(condition("preg", SCT, "77386006", **extra))
    assert result.case.patient.pregnant is None


def test_icd10_cm_z33_2_is_no_pregnancy() -> None:
    # CM Z33.2 is an encounter for elective termination, not the pregnant state
    result = run(condition("z", CM, "Z33.2"))
    assert result.case.patient.pregnant is None


def test_a_male_patient_with_a_pregnancy_is_a_reported_conflict_not_an_error() -> None:
    result = run(
        status_obs("preg", "82810-3", answer(LOINC, "LA15173-0"), "2026-11-12"),
        status_obs("bf", "63895-7", answer(LOINC, "LA29252-6"), "2026-11-12"),
        {
            "resourceType": "Observation",
            "id": "ecog",
            "status": "final",
            "code": coding(LOINC, "89247-1"),
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2026-11-12",
            "valueInteger": 1,
        },
        gender="male",
    )
    case = result.case
    assert case.patient.sex is not None and case.patient.sex.value == "male"
    assert case.patient.pregnant is None and case.patient.breastfeeding is None
    assert case.patient.ecog == 1 and case.patient.age == 36  # the rest of the patient stays
    fields = {c.field: c for c in result.report.conflicts}
    assert set(fields) == {"patient.pregnant", "patient.breastfeeding"}
    assert fields["patient.pregnant"].chosen.resource == "Patient/p1"
    assert fields["patient.pregnant"].others[0].resource == "Observation/preg"
    assert "männlich" in fields["patient.pregnant"].rule.de


def test_a_fetal_dose_without_a_pregnancy_is_left_out_not_the_patient() -> None:
    item = {
        "resourceType": "Observation",
        "id": "fetal",
        "status": "final",
        "code": coding("urn:osteoboard:codesystem:case-item", "patient.fetal_dose_acceptable"),
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-12",
        "valueBoolean": True,
    }
    result = run(item)
    assert result.case.patient.fetal_dose_acceptable is None
    assert result.case.patient.age == 36
    assert any("nur bei einer Schwangerschaft" in r for r in reasons(result, "Observation/fetal"))
    pregnant = run(item, status_obs("p", "82810-3", answer(LOINC, "LA15173-0"), "2026-11-12"))
    assert pregnant.case.patient.fetal_dose_acceptable is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (answer(LOINC, "LA29252-6"), True),
        (answer(LOINC, "LA29253-4"), False),
        ({"valueBoolean": True}, True),  # Charite medication plan / KBV profiles
    ],
)
def test_breastfeeding_status_maps(value: dict[str, Any], expected: bool) -> None:
    result = run(status_obs("bf", "63895-7", value, "2026-11-12"))
    assert result.case.patient.breastfeeding is expected


def test_isik_breastfeeding_status_with_both_codings_maps() -> None:
    obs = status_obs("bf", "63895-7", answer(LOINC, "LA29252-6"), "2026-11-12")
    obs["code"] = {
        "coding": [
            {"system": SCT, "code": "413712001"},
            {"system": LOINC, "code": "63895-7"},
        ]
    }
    assert run(obs).case.patient.breastfeeding is True


def test_breastfeeding_older_than_its_window_or_unknown_is_not_used() -> None:
    old = run(status_obs("bf", "63895-7", answer(LOINC, "LA29252-6"), "2026-10-01"))
    assert old.case.patient.breastfeeding is None
    assert any("älter als 30 Tage" in r for r in reasons(old, "Observation/bf"))
    unknown = run(status_obs("bf", "63895-7", answer(LOINC, "LA4489-6"), "2026-11-12"))
    assert unknown.case.patient.breastfeeding is None


def _items(p: Any) -> list[Any]:
    return [*p.emergencies, *p.recommendations, *p.warnings]


def _rules(p: Any) -> set[str]:
    return {i.rule for i in _items(p)}


def _codes(p: Any) -> set[str]:
    return {i.code for i in _items(p)}


def test_a_pregnancy_from_fhir_changes_the_proposal() -> None:
    common = [
        condition(
            "c50", SCT, "254837009", meta={"profile": [MCODE + "mcode-primary-cancer-condition"]}
        ),
        lesion("t7", T7),
    ]
    plain = evaluate(run(*common).case)
    pregnant = evaluate(
        run(*common, status_obs("p", "82810-3", answer(LOINC, "LA15173-0"), "2026-11-12")).case
    )
    # Obstetrics joins the board, and no bone-modifying agent is proposed.
    assert "board.obstetrics" in _rules(pregnant) and "board.obstetrics" not in _rules(plain)
    assert {"BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB"} <= _codes(plain)
    assert not {"BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB"} & _codes(pregnant)


# --------------------------------------------------------------------------------------------
# osteonecrosis of the jaw


def stage(code: str) -> list[dict[str, Any]]:
    return [{"summary": coding(SCT, code)}]


def test_icd10_cm_jaw_osteonecrosis_maps_with_its_stage() -> None:
    result = run(condition("onj", CM, "M87.180", stage=stage("258219007")), gender="male")
    assert result.case.patient.jaw_osteonecrosis is True
    assert result.case.patient.jaw_osteonecrosis_stage == 2
    sources = {f.field: f for f in result.report.fields}
    assert sources["patient.jaw_osteonecrosis"].element == "code"
    assert sources["patient.jaw_osteonecrosis_stage"].element == "stage[0].summary"


def test_icd10_gm_drug_osteonecrosis_counts_only_at_the_jaw() -> None:
    paired = condition("onj", GM, "M87.18")
    paired["code"]["coding"].append({"system": GM, "code": "K10.2"})
    assert run(paired).case.patient.jaw_osteonecrosis is True
    at_mandible = condition("onj", GM, "M87.18", bodySite=[coding(SCT, "91609006")])
    assert run(at_mandible).case.patient.jaw_osteonecrosis is True
    alone = run(condition("onj", GM, "M87.18"))
    assert alone.case.patient.jaw_osteonecrosis is None
    assert any("ohne Angabe des Kiefers" in r for r in reasons(alone, "Condition/onj"))


def test_m87_180_is_the_jaw_only_in_icd10_cm() -> None:
    # under the WHO or GM URI, M87.180 is a drug osteonecrosis without a stated jaw
    result = run(condition("onj", WHO, "M87.180"))
    assert result.case.patient.jaw_osteonecrosis is None


@pytest.mark.parametrize(
    "extra",
    [
        {"verification": "refuted"},
        {"verification": "entered-in-error"},
        {"clinical": "resolved"},
        {"clinical": "remission"},
    ],
)
def test_jaw_osteonecrosis_not_active_or_refuted_is_not_read(extra: dict) -> None:
    result = run(condition("onj", CM, "M87.180", **extra))
    assert result.case.patient.jaw_osteonecrosis is None


def test_an_unreadable_stage_leaves_the_stage_open() -> None:
    result = run(condition("onj", CM, "M87.180", stage=stage("261613009")))  # a stage 0
    assert result.case.patient.jaw_osteonecrosis is True
    assert result.case.patient.jaw_osteonecrosis_stage is None
    assert any("Stadium nicht lesbar" in r for r in reasons(result, "Condition/onj"))


def test_jaw_osteonecrosis_from_fhir_changes_the_proposal() -> None:
    common = [
        condition(
            "c61", SCT, "399068003", meta={"profile": [MCODE + "mcode-primary-cancer-condition"]}
        ),
        lesion("l4", L4),
    ]
    plain = evaluate(run(*common, gender="male").case)
    onj = evaluate(run(*common, condition("onj", CM, "M87.180"), gender="male").case)
    # Oral surgery takes over, and no agent is started.
    assert "bone_modifying_agents.onj_no_start" in _rules(onj)
    assert "bone_modifying_agents.onj_no_start" not in _rules(plain)
    assert {"BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB"} <= _codes(plain)
    assert not {"BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB"} & _codes(onj)


# --------------------------------------------------------------------------------------------
# operations


def test_a_laminectomy_and_a_fusion_at_the_lesion_are_decompression_and_stabilisation() -> None:
    result = run(
        lesion("t7", T7),
        procedure("lam", "387731002", T7, "2026-11-06"),
        procedure("fus", "55705006", T7, "2026-11-08"),
    )
    (les,) = result.case.lesions
    assert les.operation is not None and les.operation.value == "decompression_stabilization"
    assert les.operation_date == dt.date(2026, 11, 8)  # the later one
    sources = [f for f in result.report.fields if f.field == "lesions[t7].operation"]
    assert {s.resource for s in sources} == {"Procedure/lam", "Procedure/fus"}
    assert result.report.conflicts == []
    assert not [u for u in result.report.unused if u.resource.startswith("Procedure")]


def test_a_hip_replacement_at_the_femur_lesion_is_an_endoprosthesis() -> None:
    result = run(lesion("fem", FEMUR), procedure("tep", "52734007", FEMUR, "2026-10-20"))
    (les,) = result.case.lesions
    assert les.operation is not None and les.operation.value == "endoprosthesis"
    assert les.operation_date == dt.date(2026, 10, 20)
    dates = [f for f in result.report.fields if f.field == "lesions[fem].operation_date"]
    assert dates[0].element == "performedDateTime"


def test_an_operation_named_by_its_reason_reference_maps_before_the_diagnosis_date() -> None:
    op = procedure("lam", "387731002", None, "2026-08-15")
    op["reasonReference"] = [{"reference": "Condition/t7"}]
    result = run(lesion("t7", T7, recorded="2026-09-01"), op)
    assert result.case.lesions[0].operation is not None


@pytest.mark.parametrize("status", ["in-progress", "preparation", "not-done", "entered-in-error"])
def test_an_operation_not_completed_is_not_done(status: str) -> None:
    result = run(lesion("t7", T7), procedure("lam", "387731002", T7, "2026-11-06", status=status))
    assert result.case.lesions[0].operation is None
    assert any(status in r for r in reasons(result, "Procedure/lam"))


def test_an_operation_code_under_another_system_is_not_read() -> None:
    result = run(
        lesion("t7", T7),
        procedure("lam", "387731002", T7, "2026-11-06", system="http://example.org/procedures"),
    )
    assert result.case.lesions[0].operation is None


def test_an_old_unlinked_laminectomy_at_the_level_is_not_the_lesions_decompression() -> None:
    # a laminectomy for stenosis years before the metastasis was found
    result = run(
        lesion("l4", L4, recorded="2026-09-01"), procedure("lam", "387731002", L4, "2019-05-02")
    )
    assert result.case.lesions[0].operation is None
    assert any("ohne Bezug zur Metastase" in r for r in reasons(result, "Procedure/lam"))


def test_an_operation_after_the_board_date_is_not_used() -> None:
    result = run(lesion("t7", T7), procedure("lam", "387731002", T7, "2026-11-25"))
    assert result.case.lesions[0].operation is None


def test_an_operation_that_fits_no_or_several_lesions_is_reported_not_guessed() -> None:
    nowhere = run(lesion("t7", T7), procedure("lam", "387731002", L4, "2026-11-06"))
    assert nowhere.case.lesions[0].operation is None
    assert any("keiner Knochenläsion" in r for r in reasons(nowhere, "Procedure/lam"))
    two = run(
        lesion("fa", FEMUR),
        lesion("fb", FEMUR),
        procedure("tep", "52734007", FEMUR, "2026-10-20"),
    )
    assert all(les.operation is None for les in two.case.lesions)
    assert any("mehrere Läsionen" in r for r in reasons(two, "Procedure/tep"))


def test_an_operation_of_another_region_is_reported() -> None:
    # a spinal fusion coded at the femur: no such operation there
    result = run(lesion("fem", FEMUR), procedure("fus", "55705006", FEMUR, "2026-10-20"))
    assert result.case.lesions[0].operation is None
    assert any("passt nicht zur Region" in r for r in reasons(result, "Procedure/fus"))


def test_an_mcode_cancer_surgery_of_unknown_kind_at_a_lesion_is_reported() -> None:
    op = procedure("op", "999999999", T7, "2026-11-06")
    op["meta"] = {"profile": [MCODE + "mcode-cancer-related-surgical-procedure"]}
    result = run(lesion("t7", T7), op)
    assert result.case.lesions[0].operation is None
    assert any("aus dem Code nicht zu lesen" in r for r in reasons(result, "Procedure/op"))


def test_an_operation_from_fhir_takes_the_fracture_emergency_away() -> None:
    fracture = {
        "resourceType": "Condition",
        "id": "frac",
        "clinicalStatus": coding(CLINICAL, "active"),
        "code": coding(SCT, "268029009"),
        "bodySite": [coding(SCT, FEMUR)],
        "subject": {"reference": "Patient/p1"},
        "recordedDate": "2026-10-19",
    }
    base = [lesion("fem", FEMUR), fracture]
    before = evaluate(run(*base).case)
    after = evaluate(run(*base, procedure("tep", "52734007", FEMUR, "2026-10-20")).case)
    assert "EMERG.PATHOLOGIC_FRACTURE" in [e.code for e in before.emergencies]
    assert "EMERG.PATHOLOGIC_FRACTURE" not in [e.code for e in after.emergencies]

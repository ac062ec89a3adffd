"""Import of FHIR resources: values, units, conflicts, codes matched on system and code, and
clear errors for bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from osteoboard.engine import evaluate
from osteoboard.fhir import FhirImportError, import_resources, load_path, parse_bundle

BOARD = dt.date(2026, 11, 20)
LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"


def patient(pid: str = "pat-1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "gender": "male",
        "birthDate": "1960-05-01",
        **extra,
    }


def obs(
    oid: str, code: str, day: str, value: dict[str, Any], system: str = LOINC, **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/pat-1"},
        "effectiveDateTime": day,
        **value,
        **extra,
    }


def qty(value: float, unit: str) -> dict[str, Any]:
    return {
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        }
    }


def run(*resources: dict[str, Any], board: dt.date | None = BOARD) -> Any:
    return import_resources([patient(), *resources], board_date=board)


def test_age_at_the_board_date_and_sex() -> None:
    result = run()
    assert result.case.patient.age == 66  # born 1960-05-01, board 2026-11-20
    assert result.case.id == "pat-1" and result.case.board_date == BOARD


def test_two_ecog_values_latest_on_or_before_board_date_wins_and_is_reported() -> None:
    result = run(
        obs("ecog-old", "89247-1", "2026-10-25", {"valueInteger": 1}),
        obs("ecog-new", "89247-1", "2026-11-10", {"valueInteger": 2}),
        obs("ecog-later", "89247-1", "2026-12-01", {"valueInteger": 3}),
    )
    assert result.case.patient.ecog == 2
    (conflict,) = result.report.conflicts
    assert conflict.field == "patient.ecog"
    assert conflict.chosen.resource == "Observation/ecog-new"
    assert [o.resource for o in conflict.others] == ["Observation/ecog-old"]
    assert "jüngste" in conflict.rule.de
    later = [u for u in result.report.unused if u.resource == "Observation/ecog-later"]
    assert later and "nach dem Konferenzdatum" in later[0].reason.de
    # the value that lost is reported as such, not also as "not mapped to any case field"
    assert not [u for u in result.report.unused if u.resource == "Observation/ecog-old"]


@pytest.mark.parametrize(
    ("code", "value", "unit", "field", "expected"),
    [
        ("17861-6", 12.0, "mg/dL", "calcium_mmol_l", round(12.0 / 4.008, 4)),
        ("2000-8", 2.5, "mmol/L", "calcium_mmol_l", 2.5),
        ("2160-0", 1.2, "mg/dL", "creatinine_umol_l", round(1.2 * 88.42, 4)),
        ("1751-7", 3.5, "g/dL", "albumin_g_l", 35.0),
        ("1975-2", 1.0, "mg/dL", "bilirubin_umol_l", 17.104),
        ("1988-5", 2.0, "mg/dL", "crp_mg_l", 20.0),
        ("718-7", 105, "g/L", "hemoglobin_g_dl", 10.5),
        ("777-3", 180, "10*3/uL", "platelets_10e9_l", 180),
        ("2532-0", 4.0, "ukat/L", "ldh_u_l", 240.0),
        ("62292-8", 7.0, "ng/mL", "vitamin_d_25oh_nmol_l", 17.472),
        ("14635-7", 45.0, "nmol/L", "vitamin_d_25oh_nmol_l", 45.0),
    ],
)
def test_ucum_units_are_converted(
    code: str, value: float, unit: str, field: str, expected: float
) -> None:
    result = run(obs("lab", code, "2026-11-18", qty(value, unit)))
    assert getattr(result.case.labs, field) == pytest.approx(expected)
    (source,) = [f for f in result.report.fields if f.field == f"labs.{field}"]
    assert source.resource == "Observation/lab" and source.element == "valueQuantity"


def test_an_unknown_unit_leaves_the_value_out_and_names_resource_and_element() -> None:
    result = run(
        obs("ca", "17861-6", "2026-11-18", qty(10.0, "furlong")),
        obs("alb", "1751-7", "2026-11-18", qty(38.0, "g/L")),
    )
    assert result.case.labs.calcium_mmol_l is None
    assert result.case.labs.albumin_g_l == 38  # the rest of the bundle is imported
    (unused,) = [u for u in result.report.unused if u.resource == "Observation/ca"]
    assert unused.element == "valueQuantity.code"
    assert (
        unused.reason.de
        == "Einheit 'furlong' lässt sich nicht in mmol/L umrechnen: Wert nicht übernommen"
    )


def test_codes_are_matched_on_system_and_code_together() -> None:
    # 2000-8 is LOINC's calcium; under another system it means nothing here.
    result = run(
        obs("ca", "2000-8", "2026-11-18", qty(2.5, "mmol/L"), system="http://example.org/codes")
    )
    assert result.case.labs.calcium_mmol_l is None
    assert any(u.resource == "Observation/ca" for u in result.report.unused)


def test_bone_metastasis_with_vertebra_side_and_irradiation() -> None:
    cond = {
        "resourceType": "Condition",
        "id": "met-t8",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C79.51"}]},
        "bodySite": [{"coding": [{"system": SCT, "code": "11068009"}]}],
        "subject": {"reference": "Patient/pat-1"},
    }
    femur = {
        "resourceType": "Condition",
        "id": "met-femur",
        "code": {"coding": [{"system": SCT, "code": "94222008"}]},
        "bodySite": [
            {
                "coding": [{"system": SCT, "code": "71341001"}],
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier",
                        "valueCodeableConcept": {"coding": [{"system": SCT, "code": "24028007"}]},
                    }
                ],
            }
        ],
        "subject": {"reference": "Patient/pat-1"},
    }
    rt = {
        "resourceType": "Procedure",
        "id": "rt-1",
        "status": "completed",
        "code": {"coding": [{"system": SCT, "code": "1217123003"}]},
        "subject": {"reference": "Patient/pat-1"},
        "performedDateTime": "2026-06-01",
        "bodySite": [{"coding": [{"system": SCT, "code": "11068009"}]}],
    }
    result = run(cond, femur, rt)
    t8, fem = result.case.lesions
    assert (t8.id, t8.region, t8.level, t8.previously_irradiated) == ("met-t8", "spine", "T8", True)
    assert (fem.region, fem.bone, fem.side) == ("long_bone", "femur", "right")
    assert fem.previously_irradiated is None


def test_bone_modifying_agent_from_atc_and_rxnorm() -> None:
    req = {
        "resourceType": "MedicationRequest",
        "id": "zol",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "M05BA08"}]
        },
        "subject": {"reference": "Patient/pat-1"},
        "authoredOn": "2025-03-01",
    }
    adm = {
        "resourceType": "MedicationAdministration",
        "id": "dmab",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "993449"}]
        },
        "subject": {"reference": "Patient/pat-1"},
        "effectiveDateTime": "2026-11-01",
    }
    result = run(req)
    assert result.case.prior_therapy.bone_modifying_agent == "zoledronic_acid"
    assert result.case.prior_therapy.bone_modifying_agent_since == dt.date(2025, 3, 1)
    both = run(req, adm)
    assert both.case.prior_therapy.bone_modifying_agent == "denosumab"  # the latest
    assert [c.field for c in both.report.conflicts] == ["prior_therapy.bone_modifying_agent"]


def test_myeloma_series_with_light_chains() -> None:
    mm = {
        "resourceType": "Condition",
        "id": "mm",
        "code": {"coding": [{"system": SCT, "code": "109989006"}]},
        "subject": {"reference": "Patient/pat-1"},
    }
    result = run(
        mm,
        obs("m1", "33358-3", "2026-01-10", qty(2.1, "g/dL")),
        obs("k1", "36916-5", "2026-01-10", qty(12.0, "mg/L")),
        obs("l1", "33944-0", "2026-01-10", qty(250.0, "mg/L")),
        obs("m2", "33358-3", "2026-06-10", qty(12.0, "g/L")),
    )
    series = result.case.myeloma.series  # type: ignore[union-attr]
    assert [a.date for a in series] == [dt.date(2026, 1, 10), dt.date(2026, 6, 10)]
    assert series[0].involved_flc_mg_l == 250.0 and series[0].uninvolved_flc_mg_l == 12.0
    assert series[1].serum_m_g_dl == pytest.approx(1.2)


def test_several_patients_need_a_choice() -> None:
    with pytest.raises(FhirImportError, match="several patients"):
        import_resources([patient("a"), patient("b")], board_date=BOARD)
    chosen = import_resources([patient("a"), patient("b")], board_date=BOARD, patient_id="b")
    assert chosen.case.id == "b"


def test_a_resource_that_fails_r4b_names_resource_and_element() -> None:
    bad = obs("ca", "2000-8", "2026-11-18", {"valueQuantity": {"value": "zwei"}})
    with pytest.raises(FhirImportError) as exc:
        run(bad)
    (line,) = exc.value.lines("en")
    assert line.startswith("[1] (Observation/ca): valueQuantity.value: invalid in FHIR R4B")


def test_not_json_and_not_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(FhirImportError, match="not valid JSON"):
        load_path(tmp_path / "x.json")
    with pytest.raises(FhirImportError, match="not a Bundle but 'Patient'"):
        parse_bundle(patient(), "p.json")
    with pytest.raises(FhirImportError, match="Bundle type 'document' is not read"):
        parse_bundle({"resourceType": "Bundle", "type": "document"}, "b.json")


def test_transaction_bundle_with_uuid_references_and_ndjson_folder(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:4b3c0f4e-0000-4000-8000-000000000001",
                "resource": {"resourceType": "Patient", "gender": "female"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:4b3c0f4e-0000-4000-8000-000000000002",
                "resource": obs(
                    "w",
                    "29463-7",
                    "2026-11-01",
                    qty(64, "kg"),
                    subject={"reference": "urn:uuid:4b3c0f4e-0000-4000-8000-000000000001"},
                ),
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    result = import_resources(parse_bundle(bundle), board_date=BOARD)
    assert result.case.id == "4b3c0f4e-0000-4000-8000-000000000001"
    assert result.case.patient.weight_kg == 64
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text(json.dumps(patient()) + "\n", encoding="utf-8")
    (folder / "Observation.ndjson").write_text(
        "\n".join(
            json.dumps(obs(f"e{i}", "89247-1", f"2026-11-0{i}", {"valueInteger": i}))
            for i in (1, 2)
        )
        + "\n",
        encoding="utf-8",
    )
    from_folder = import_resources(load_path(folder), board_date=BOARD)
    assert from_folder.case.patient.ecog == 2


def test_ionised_and_laboratory_corrected_calcium_keep_their_own_fields() -> None:
    # A blood-gas ionised calcium and a laboratory's albumin-corrected calcium are neither read
    # as the total calcium (which would be corrected again, or to a low value).
    ionised = obs(
        "ica",
        "1994-3",
        "2026-11-19",
        {"valueQuantity": {"value": 1.48, "unit": "mmol/L", "code": "mmol/L"}},
    )
    corrected = obs(
        "cca",
        "29265-6",
        "2026-11-19",
        {"valueQuantity": {"value": 3.05, "unit": "mmol/L", "code": "mmol/L"}},
    )
    labs = run(ionised, corrected).case.labs
    assert labs.calcium_mmol_l is None
    assert labs.calcium_ionized_mmol_l == pytest.approx(1.48)
    assert labs.calcium_corrected_mmol_l == pytest.approx(3.05)
    # The reported corrected calcium raises the emergency the referral shows.
    codes = [e.code for e in evaluate(run(corrected).case).emergencies]
    assert "EMERG.HYPERCALCEMIA" in codes

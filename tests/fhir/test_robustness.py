"""Hospital input that is odd or hostile: the import goes as far as it can, and what it cannot
read is a clear one-line error naming the resource and element (or the file line)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from osteoboard.engine import evaluate
from osteoboard.fhir import FhirImportError, import_resources, load_path, loaders, parse_bundle

BOARD = dt.date(2026, 11, 20)
GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
CM = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CERT = "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit"
CERT_CS = "https://fhir.kbv.de/CodeSystem/KBV_CS_SFHIR_ICD_DIAGNOSESICHERHEIT"
PAT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}


def cond(
    cid: str, system: str, code: str, recorded: str = "2026-11-19", **extra: Any
) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if "cert" in extra:
        coding["extension"] = [
            {"url": CERT, "valueCoding": {"system": CERT_CS, "code": extra.pop("cert")}}
        ]
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [coding]},
        "subject": {"reference": "Patient/p1"},
        "recordedDate": recorded,
        **extra,
    }


def vertebra(code: str = "66794005") -> list[dict[str, Any]]:
    return [{"coding": [{"system": SCT, "code": code}]}]


def obs(oid: str, code: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-18",
        **value,
    }


def timed(oid: str, code: str, when: str, value: float, unit: str) -> dict[str, Any]:
    """An Observation with a quantity at a moment (``effectiveDateTime``)."""
    return obs(oid, code, effectiveDateTime=when, valueQuantity={"value": value, "unit": unit})


def run(*resources: dict[str, Any]) -> Any:
    return import_resources([PAT, *resources], board_date=BOARD)


def reasons(result: Any, ref: str) -> str:
    return " | ".join(u.reason.de for u in result.report.unused if u.resource == ref)


# ------------------------------------------------------------------ findings


def test_recent_cord_compression_is_a_new_deficit_and_an_old_one_is_not() -> None:
    recent = run(cond("g", GM, "G95.2", onsetDateTime="2026-11-10"))
    assert recent.case.neurology.new_deficit is True
    (src,) = [f for f in recent.report.fields if f.field == "neurology.new_deficit"]
    assert src.resource == "Condition/g" and "als neu gewertet" in (src.note.de if src.note else "")
    old = run(cond("g", GM, "G95.2", onsetDateTime="2026-10-01"))
    assert old.case.neurology.new_deficit is None  # never a negative either
    assert "nicht als neu gewertet" in reasons(old, "Condition/g")
    undated = run({**cond("g", CM, "G83.4"), "recordedDate": None})
    assert undated.case.neurology.new_deficit is None


def test_gm_fifth_character_of_g82_decides_new_and_frankel() -> None:
    acute_complete = run(cond("a", GM, "G82.10"))
    assert acute_complete.case.neurology.new_deficit is True
    assert acute_complete.case.neurology.frankel.value == "A"  # type: ignore[union-attr]
    chronic_complete = run(cond("c", GM, "G82.02"))
    assert chronic_complete.case.neurology.new_deficit is None
    assert chronic_complete.case.neurology.frankel.value == "A"  # type: ignore[union-attr]
    chronic_incomplete = run(cond("i", GM, "G82.03"))
    assert chronic_incomplete.case.neurology.new_deficit is None
    assert chronic_incomplete.case.neurology.frankel is None
    # the same characters mean something else in ICD-10-CM: G82.22 is an incomplete paraplegia
    cm = run(cond("cm", CM, "G82.22"))
    assert cm.case.neurology.new_deficit is True and cm.case.neurology.frankel is None


def test_suspected_excluded_and_status_post_are_never_confirmed_diagnoses() -> None:
    base = cond("m", GM, "C79.5", bodySite=vertebra())
    result = run(
        cond("v", GM, "G95.2", cert="V", onsetDateTime="2026-11-19"),
        cond("a", GM, "C79.3", cert="A"),
        cond("z", GM, "C79.5", cert="Z", bodySite=vertebra("7610001")),
        cond("p", GM, "C50.9", cert="Z"),
        {
            **base,
            "verificationStatus": {
                "coding": [
                    {
                        "code": "provisional",
                        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    }
                ]
            },
        },
    )
    case = result.case
    assert case.neurology.new_deficit is None
    # a recent suspected cord compression is the team's suspicion, never a confirmed deficit
    assert case.neurology.mscc_suspected is True
    (src,) = [f for f in result.report.fields if f.field == "neurology.mscc_suspected"]
    assert src.resource == "Condition/v" and src.note is not None
    assert "Verdachtsdiagnose (Diagnosesicherheit V)" in src.note.de
    assert case.visceral_metastases.brain is None
    assert case.lesions == []
    assert case.primary.site is not None and case.primary.site.value == "breast"  # Z: which cancer
    assert "provisional" in reasons(result, "Condition/m")
    assert "Zustand nach" in reasons(result, "Condition/z")


def test_a_suspected_cord_compression_counts_only_while_recent_and_held() -> None:
    provisional = {
        "verificationStatus": {
            "coding": [
                {
                    "code": "provisional",
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                }
            ]
        }
    }
    recent = run(cond("s", SCT, "71286001", onsetDateTime="2026-11-18", **provisional))
    assert recent.case.neurology.mscc_suspected is True
    proposal = evaluate(recent.case)
    assert [(e.code, e.status) for e in proposal.emergencies] == [("EMERG.MSCC", "suspected")]
    assert "DX.MRI_WHOLE_SPINE_URGENT" in {r.code for r in proposal.recommendations}
    cauda = run(cond("c", GM, "G83.4", cert="V", onsetDateTime="2026-11-12"))
    assert cauda.case.neurology.mscc_suspected is True
    old = run(cond("v", GM, "G95.2", cert="V", onsetDateTime="2026-09-01"))
    assert old.case.neurology.mscc_suspected is None
    assert "Verdachtsdiagnose" in reasons(old, "Condition/v")
    resolved = cond("v", GM, "G95.2", cert="V", onsetDateTime="2026-11-19")
    resolved["clinicalStatus"]["coding"][0]["code"] = "resolved"
    assert run(resolved).case.neurology.mscc_suspected is None
    # a suspected diagnosis the table does not read stays unused, as before
    brain = run(cond("b", GM, "C79.3", cert="V"))
    assert brain.case.visceral_metastases.brain is None
    assert "Verdachtsdiagnose" in reasons(brain, "Condition/b")


def test_pathological_fracture_goes_to_the_one_lesion_at_its_site_never_a_guess() -> None:
    femur = {"coding": [{"system": SCT, "code": "71341001"}]}
    humerus = {"coding": [{"system": SCT, "code": "85050009"}]}
    result = run(
        cond("mf", GM, "C79.5", bodySite=[femur]),
        cond("mh", GM, "C79.5", bodySite=[humerus]),
        cond("fx", GM, "M90.75"),  # 5: pelvis and thigh -> the femur lesion
    )
    by_id = {les.id: les for les in result.case.lesions}
    assert by_id["mf"].pathologic_fracture is True and by_id["mh"].pathologic_fracture is None
    unsure = run(
        cond("mf", GM, "C79.5", bodySite=[femur]),
        cond("mh", GM, "C79.5", bodySite=[humerus]),
        cond("fx", GM, "M84.49"),  # site not given: either lesion may be the fractured one
    )
    # A confirmed fracture is never lost for an imprecise site: it goes to every lesion it may
    # be at, and the report asks the board to place it.
    assert all(les.pathologic_fracture is True for les in unsure.case.lesions)
    notes = [
        f.note.de
        for f in unsure.report.fields
        if f.field.endswith("pathologic_fracture") and f.note is not None
    ]
    assert len(notes) == 2 and all("nicht eindeutig zuzuordnen" in n for n in notes)
    # At no listed lesion (the pelvis or thigh, beside a humerus lesion): not set at the
    # humerus, and not lost either - a lesion of its own, its region open for the board (both
    # places are weight-bearing: the fracture emergency is suspected).
    nowhere = run(cond("mh", GM, "C79.5", bodySite=[humerus]), cond("fx", GM, "M90.75"))
    humerus_lesion, fracture = nowhere.case.lesions
    assert humerus_lesion.id == "mh" and humerus_lesion.pathologic_fracture is None
    assert fracture.id == "fx" and fracture.region is None and fracture.pathologic_fracture
    made = next(f for f in nowhere.report.fields if f.field == "lesions[fx]")
    assert made.note is not None and "(Becken oder Femur; Region offen)" in made.note.de


def test_a_later_value_that_cannot_be_used_is_not_replaced_by_an_earlier_one() -> None:
    """ "> 3.5 mmol/L" today must not let last week's normal calcium (within its maximum age)
    stand for it: the field stays open (so the engine asks), and the report says why."""
    old = obs(
        "ca-old",
        "2000-8",
        effectiveDateTime="2026-11-10",
        valueQuantity={"value": 2.35, "unit": "mmol/L", "code": "mmol/L"},
    )
    for later in (
        {"valueQuantity": {"value": 3.5, "comparator": ">", "unit": "mmol/L", "code": "mmol/L"}},
        {"valueString": "> 3,5 mmol/l"},
        {"valueQuantity": {"value": 3.5, "unit": "furlong", "code": "furlong"}},
    ):
        result = run(old, obs("ca-new", "2000-8", **later))
        assert result.case.labs.calcium_mmol_l is None, later
        assert "neuerer Wert (Observation/ca-new) nicht verwertbar" in reasons(
            result, "Observation/ca-old"
        )
    # An older attempt that failed does not block a later exact value, nor does a value
    # absent with a reason.
    fine = run(
        obs("ca-bad", "2000-8", effectiveDateTime="2026-08-01", valueString="> 3,5 mmol/l"),
        obs("ca-now", "2000-8", valueQuantity={"value": 2.4, "unit": "mmol/L", "code": "mmol/L"}),
        obs("ca-err", "2000-8", dataAbsentReason={"coding": [{"code": "error"}]}),
    )
    assert fine.case.labs.calcium_mmol_l == 2.4


def test_ids_are_unique_per_type_only_so_another_patients_data_stay_out() -> None:
    """An Observation whose id happens to be another Patient's id must not make that
    patient's resources count as this one's."""
    other = {"resourceType": "Patient", "id": "p2", "gender": "male", "birthDate": "1950-01-01"}
    theirs = obs("p2", "2000-8", valueQuantity={"value": 2.3, "unit": "mmol/L", "code": "mmol/L"})
    theirs["subject"] = {"reference": "Patient/p2"}
    mine = obs("o1", "2000-8", valueQuantity={"value": 3.6, "unit": "mmol/L", "code": "mmol/L"})
    mine["effectiveDateTime"] = "2026-11-17"
    result = import_resources([theirs, PAT, other, mine], board_date=BOARD, patient_id="p1")
    assert result.case.labs.calcium_mmol_l == 3.6
    assert "anderen Patienten" in reasons(result, "Observation/p2")


def test_dialysis_and_report_only_findings() -> None:
    result = run(cond("d", GM, "Z99.2"), cond("n", GM, "N18.5"))
    assert result.case.patient.on_dialysis is True
    assert "Kreatinin" not in reasons(result, "Condition/n")
    assert "creatinine and clearance decide" in reasons(result, "Condition/n")


def test_cardiac_device_in_situ_is_read_only_where_the_code_names_the_device() -> None:
    assert run(cond("p", CM, "Z95.0")).case.patient.cardiac_device == "pacemaker"
    assert run(cond("i", CM, "Z95.810")).case.patient.cardiac_device == "icd"
    assert run(cond("s", SCT, "441509002")).case.patient.cardiac_device == "pacemaker"
    # ICD-10-GM Z95.0 covers every electronic cardiac device: not read as a pacemaker.
    assert run(cond("g", GM, "Z95.0")).case.patient.cardiac_device is None


def test_lung_primary_by_icd_leaves_the_site_open_and_c80_is_unknown() -> None:
    lung = run(cond("l", GM, "C34.1"))
    assert lung.case.primary.site is None
    assert "Histologie" in reasons(lung, "Condition/l") or "histology" in reasons(
        lung, "Condition/l"
    )
    cup = run(cond("u", GM, "C80.0"))
    assert cup.case.primary.site is not None and cup.case.primary.site.value == "unknown"


# ------------------------------------------------------------------ observations, medications


def test_decimal_comma_components_comparators_absent_values_and_panels() -> None:
    result = run(
        obs("ca", "2000-8", valueString="2,61 mmol/l"),
        obs(
            "hb",
            "59260-0",
            valueQuantity={
                "value": 8.0,
                "unit": "mmol/L",
                "system": "http://unitsofmeasure.org",
                "code": "mmol/L",
            },
        ),
        obs("crp", "1988-5", valueQuantity={"value": 5, "comparator": "<", "unit": "mg/L"}),
        obs("ldh", "2532-0", dataAbsentReason={"coding": [{"code": "error"}]}),
        obs("w", "29463-7", valueString="70"),  # no unit: not guessed
        obs(
            "panel",
            "24362-6",
            component=[
                {
                    "code": {"coding": [{"system": LOINC, "code": "2160-0"}]},
                    "valueQuantity": {"value": 1.1, "unit": "mg/dL", "code": "mg/dL"},
                }
            ],
        ),
        obs("grp", "58410-2", hasMember=[{"reference": "Observation/hb"}]),
    )
    labs = result.case.labs
    assert labs.calcium_mmol_l == 2.61
    assert labs.hemoglobin_g_dl == pytest.approx(12.8916)
    assert labs.crp_mg_l is None and labs.ldh_u_l is None
    assert labs.creatinine_umol_l == pytest.approx(97.262)  # 1.1 mg/dL × 88.42
    assert result.case.patient.weight_kg is None
    (src,) = [f for f in result.report.fields if f.field == "labs.creatinine_umol_l"]
    assert src.element == "component[0].valueQuantity"
    assert "dataAbsentReason: error" in reasons(result, "Observation/ldh")
    assert "Einheit fehlt" in reasons(result, "Observation/w")
    assert "hasMember" in reasons(result, "Observation/grp")
    ecog = run(obs("e", "89247-1", valueString="2"), obs("k", "89243-0", valueString="2,5"))
    assert ecog.case.patient.ecog == 2
    assert ecog.case.patient.karnofsky is None  # "2,5" is no whole number: not truncated


def test_medication_statement_with_contained_or_bundled_medication() -> None:
    med = {
        "resourceType": "Medication",
        "id": "zol",
        "code": {"coding": [{"system": "http://fhir.de/CodeSystem/bfarm/atc", "code": "M05BA08"}]},
    }
    contained = {
        "resourceType": "MedicationStatement",
        "id": "ms1",
        "status": "active",
        "contained": [med],
        "medicationReference": {"reference": "#zol"},
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": "2026-08-01"},
    }
    result = run(contained)
    assert result.case.prior_therapy.bone_modifying_agent is not None
    assert result.case.prior_therapy.bone_modifying_agent.value == "zoledronic_acid"
    assert result.case.prior_therapy.bone_modifying_agent_since == dt.date(2026, 8, 1)
    ended = {
        **contained,
        "status": "completed",
        "effectivePeriod": {"start": "2025-01-01", "end": "2025-03-01"},
    }
    ended.pop("contained")
    ended["medicationReference"] = {"reference": "Medication/zol"}
    past = run(med, ended)
    assert past.case.prior_therapy.bone_modifying_agent is None
    assert "beendet" in reasons(past, "MedicationStatement/ms1")


# ------------------------------------------------------------------ hostile files


def test_duplicate_ids_identical_are_one_different_are_an_error() -> None:
    a = obs("ca", "2000-8", valueQuantity={"value": 2.4, "unit": "mmol/L", "code": "mmol/L"})
    same = run(a, {**a, "meta": {"lastUpdated": "2026-11-19T00:00:00Z"}})
    assert same.case.labs.calcium_mmol_l == 2.4
    b = {**a, "valueQuantity": {"value": 2.9, "unit": "mmol/L", "code": "mmol/L"}}
    with pytest.raises(FhirImportError) as exc:
        run(a, b)
    assert exc.value.lines("en") == [
        "[2] (Observation/ca): duplicate resource id with other content (first at [1])"
    ]


def test_entries_without_resource_and_transaction_deletes() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": PAT}, {"request": {"method": "DELETE", "url": "Observation/x"}}],
    }
    assert [e["id"] for e in parse_bundle(bundle)] == ["p1"]
    bundle["entry"].append({"fullUrl": "urn:uuid:1"})  # type: ignore[attr-defined]
    with pytest.raises(FhirImportError) as exc:
        parse_bundle(bundle)
    assert exc.value.lines("en")[0].startswith("bundle: entry[2]: entry without a resource")


def test_ndjson_with_bom_crlf_blank_lines_and_one_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "Patient.ndjson"
    good.write_bytes(("\ufeff" + json.dumps(PAT) + "\r\n\r\n").encode("utf-8"))
    assert [e["id"] for e in load_path(good)] == ["p1"]
    bad = tmp_path / "Observation.ndjson"
    bad.write_text(json.dumps(PAT) + "\n" + '{"resourceType": "Observation",\n', encoding="utf-8")
    with pytest.raises(FhirImportError) as exc:
        load_path(bad)
    (line,) = exc.value.lines("en")
    assert line.startswith(f"{bad}:2: not valid JSON")


def test_not_json_not_fhir_deep_nesting_and_too_many_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = {
        "binary.json": b"\x89PNG\r\n\x1a\n",
        "text.json": b"hello",
        "list.json": b"[1, 2, 3]",
        "other.json": b'{"name": "not fhir"}',
        "deep.json": b"[" * 100_000 + b"]" * 100_000,
    }
    expected = {
        "binary.json": "not UTF-8 text",
        "text.json": "not valid JSON",
        "list.json": "not a FHIR Bundle (not a JSON object)",
        "other.json": "not a FHIR Bundle (no resourceType)",
        "deep.json": "nested too deeply",
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(FhirImportError) as exc:
            load_path(path)
        (line,) = exc.value.lines("en")
        assert expected[name] in line, (name, line)
    monkeypatch.setattr(loaders, "MAX_ENTRIES", 3)
    many = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PAT}] * 4}
    with pytest.raises(FhirImportError) as exc:
        parse_bundle(many)
    assert exc.value.lines("en") == ["bundle: entry: 4 entries; at most 3 are read"]


def test_a_file_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loaders, "MAX_INPUT_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 1001)
    with pytest.raises(FhirImportError) as exc:
        load_path(big)
    assert exc.value.lines("en") == [f"{big}: larger than 1,000 bytes"]


def test_a_huge_array_or_deep_nesting_inside_a_resource_is_refused_naming_the_element() -> None:
    huge = obs("x", "2000-8", note=[{"text": "a"}] * 10_001)
    with pytest.raises(FhirImportError) as exc:
        run(huge)
    assert exc.value.lines("en") == [
        "[1] (Observation/x): note: 10001 items; at most 10000 allowed"
    ]
    deep: dict[str, Any] = {"url": "http://example.org/x", "valueString": "v"}
    for _ in range(45):
        deep = {"url": "http://example.org/x", "extension": [deep]}
    with pytest.raises(FhirImportError) as exc:
        run(obs("y", "2000-8", extension=[deep]))
    (line,) = exc.value.lines("en")
    assert line.startswith("[1] (Observation/y): extension[0].extension[0]") and line.endswith(
        "nested deeper than 40 levels"
    )


def test_a_text_over_fhir_s_1_mb_is_refused_naming_the_element() -> None:
    """FHIR R4 limits a string to 1 MB: a 2 MB numeric text (grouped digits, which once cost
    20 times its size in memory to read) is refused with one line, before anything reads it;
    base64 data of an attachment is not such a string."""
    huge = obs("big", "17861-6", valueString="1." + "000." * 500_000 + "5")
    with pytest.raises(FhirImportError) as exc:
        run(huge)
    assert exc.value.lines("en") == [
        "[1] (Observation/big): valueString: text of 2,000,003 characters; FHIR allows at most 1 MB"
    ]
    attached = obs(
        "doc",
        "17861-6",
        valueQuantity={"value": 2.4, "unit": "mmol/L"},
        note=[{"text": "ok"}],
        extension=[
            {
                "url": "http://example.org/attachment",
                "valueAttachment": {"contentType": "application/pdf", "data": "QUJD" * 300_000},
            }
        ],
    )
    assert run(attached).case.labs.calcium_mmol_l == 2.4


def test_a_number_text_too_long_for_a_measurement_is_not_read() -> None:
    from osteoboard.fhir.numbers import read_number

    assert read_number("1" + ".000" * 20).value is None
    assert read_number("1.250.000").value == 1_250_000


def test_a_number_beyond_any_decimal_is_named_as_such() -> None:
    observation = {
        "resourceType": "Observation",
        "id": "crea-huge",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
        "subject": {"reference": "Patient/pat-1"},
        "effectiveDateTime": "2026-11-01",
        "valueQuantity": {"value": 1, "unit": "umol/L"},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "pat-1", "gender": "male"}},
            {"resource": observation},
        ],
    }
    raw = json.dumps(bundle).replace('"value": 1,', '"value": 1e400,')
    with pytest.raises(FhirImportError) as caught:
        import_resources(parse_bundle(loaders.parse_json(raw, "huge.json")))
    (line,) = caught.value.lines("en")
    assert "Observation/crea-huge" in line and "valueQuantity.value" in line
    assert "not a finite number" in line
    assert "regex" not in line


def test_an_integer_beyond_pythons_digit_limit_is_a_line_not_a_crash(tmp_path: Path) -> None:
    """JSON integers of more than 4,300 digits exceed Python's limit for int(); anywhere in a
    file (also an element never read) they are a one-line error naming the file or line."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PAT}]}
    raw = json.dumps(bundle).replace('"female"', '"female", "x": ' + "9" * 4301)
    path = tmp_path / "huge.json"
    path.write_text(raw, encoding="utf-8")
    with pytest.raises(FhirImportError) as exc:
        load_path(path)
    assert exc.value.lines("en") == [f"{path}: a number has too many digits"]
    lines = tmp_path / "Observation.ndjson"
    lines.write_text(
        json.dumps(PAT) + "\n" + '{"resourceType": "Observation", "x": ' + "9" * 4301 + "}\n"
    )
    with pytest.raises(FhirImportError) as exc:
        load_path(lines)
    assert exc.value.lines("en") == [f"{lines}:2: a number has too many digits"]


def _searchset(patient: dict[str, Any], full_url: str | None) -> list[Any]:
    entry: dict[str, Any] = {"resource": patient}
    if full_url is not None:
        entry["fullUrl"] = full_url
    calcium = obs("ca", "17861-6", valueQuantity={"value": 2.4, "unit": "mmol/L"})
    return parse_bundle(
        {"resourceType": "Bundle", "type": "searchset", "entry": [entry, {"resource": calcium}]}
    )


def test_a_patient_without_id_takes_it_from_the_servers_url_or_the_given_one() -> None:
    nameless = {k: v for k, v in PAT.items() if k != "id"}
    # The search answer's fullUrl names the id (a version after it is no part of it).
    for url in ("https://fhir.example.org/R4/Patient/p1", "https://x.org/Patient/p1/_history/3"):
        result = import_resources(_searchset(nameless, url), board_date=BOARD)
        assert result.case.id == "p1" and result.case.labs.calcium_mmol_l == 2.4
    # Without one, the error says to give it; given, it names the one Patient and references
    # to it are hers.
    with pytest.raises(FhirImportError) as exc:
        import_resources(_searchset(nameless, None), board_date=BOARD)
    (line,) = exc.value.lines("en")
    assert line.startswith("Patient[0]: the Patient resource has no id")
    result = import_resources(_searchset(nameless, None), board_date=BOARD, patient_id="p1")
    assert result.case.id == "p1" and result.case.labs.calcium_mmol_l == 2.4
    # A fullUrl of another type names nothing.
    with pytest.raises(FhirImportError):
        import_resources(_searchset(nameless, "https://x.org/Group/p1"), board_date=BOARD)


def test_two_values_of_one_day_the_later_time_holds_whatever_the_order() -> None:
    """A search answer sorted newest first lists the morning value last: the time of day,
    not the order, decides (3.55 at 08:00, 2.45 at 14:00 → 2.45)."""
    morning = timed("ca-08h", "17861-6", "2026-11-19T08:00:00+01:00", 3.55, "mmol/L")
    afternoon = timed("ca-14h", "17861-6", "2026-11-19T14:00:00+01:00", 2.45, "mmol/L")
    for order in ((afternoon, morning), (morning, afternoon)):
        result = run(*order)
        assert result.case.labs.calcium_mmol_l == 2.45
        (conflict,) = result.report.conflicts
        assert conflict.rule.en == "same date: the later time of day"
    # One sample written in two units at the same moment (3.38 mmol/L and 13.5 mg/dL): one
    # value in two units, not a later time of day.
    mmol = timed("ca-mmol", "17861-6", "2026-11-19T07:10:00+01:00", 3.38, "mmol/L")
    mg = timed("ca-mg", "17861-6", "2026-11-19T07:10:00+01:00", 13.5, "mg/dL")
    (same,) = run(mmol, mg).report.conflicts
    assert same.rule.en == "same date: the same value in another unit or rounding"
    # Without a time on one of them nothing orders them: neither is used, whatever the order
    # of the input, and both are named.
    dateonly = obs("ca-day", "17861-6", valueQuantity={"value": 2.6, "unit": "mmol/L"})
    dateonly["effectiveDateTime"] = "2026-11-19"
    for order in ((afternoon, dateonly), (dateonly, afternoon)):
        result = run(*order)
        assert result.case.labs.calcium_mmol_l is None
        assert not result.report.conflicts
        reasons = {u.resource: u.reason.en for u in result.report.unused}
        for ref in ("Observation/ca-14h", "Observation/ca-day"):
            assert "different values on the same day (2026-11-19)" in reasons[ref]
            assert "2.45 (Observation/ca-14h), 2.6 (Observation/ca-day)" in reasons[ref]


def test_two_different_values_of_one_moment_leave_the_field_open() -> None:
    """3.02 and 1.52 mmol/L at the same instant: which one holds would raise a hypercalcaemia
    or a hypocalcaemia emergency, and the input's order means nothing - the field stays open
    in either order. One value written in two units (haemoglobin 7.4 mmol/L and 11.9 g/dL)
    is one finding and is used."""
    high = timed("ca-a", "17861-6", "2026-11-18T06:30:00+01:00", 3.02, "mmol/L")
    low = timed("ca-b", "17861-6", "2026-11-18T06:30:00+01:00", 1.52, "mmol/L")
    for order in ((high, low), (low, high)):
        result = run(*order)
        assert result.case.labs.calcium_mmol_l is None
        reasons = " | ".join(u.reason.en for u in result.report.unused)
        assert "different values at the same time" in reasons
    hb_molar = timed("hb-a", "718-7", "2026-11-18T06:30:00+01:00", 7.4, "mmol/L")
    hb_mass = timed("hb-b", "718-7", "2026-11-18T06:30:00+01:00", 11.9, "g/dL")
    for order in ((hb_molar, hb_mass), (hb_mass, hb_molar)):
        result = run(*order)
        assert result.case.labs.hemoglobin_g_dl is not None
        assert abs(result.case.labs.hemoglobin_g_dl - 11.9) < 0.1


def test_a_metastasis_coded_again_at_every_stay_is_one_lesion_and_the_count_stays_open() -> None:
    """German billing codes C79.5 at every stay, usually without a body site: beside the
    located diagnosis those are no further lesions (the case would be scored as multiple),
    nor are several without location; the counts stay open. A second code system at the same
    vertebra is the same lesion."""
    located = cond("m1", GM, "C79.5", bodySite=vertebra())
    stays = [cond(f"s{i}", GM, "C79.5", recorded=f"2026-0{i}-01") for i in range(1, 5)]
    result = run(located, *stays)
    (lesion,) = result.case.lesions
    assert lesion.id == "m1" and lesion.region is not None
    assert result.case.solitary_bone_metastasis is None
    assert result.case.multiple_bone_metastases is None
    assert "perhaps the same metastasis" in " | ".join(
        u.reason.en for u in result.report.unused if u.resource == "Condition/s1"
    )
    only_unplaced = run(*stays)
    assert len(only_unplaced.case.lesions) == 1
    assert only_unplaced.case.multiple_bone_metastases is None
    twice = run(located, cond("m2", SCT, "94222008", bodySite=vertebra()))
    assert [les.id for les in twice.case.lesions] == ["m1"]
    # Two located vertebrae stay two lesions.
    two = run(located, cond("m3", GM, "C79.5", bodySite=vertebra("7610001")))
    assert len(two.case.lesions) == 2 and two.case.multiple_bone_metastases is True


def test_two_primary_tumours_leave_the_site_open_for_the_board() -> None:
    """Breast and prostate both documented: the import does not pick one by order or date;
    the site stays open (the first question asks it) and both are reported."""
    result = run(cond("p-breast", GM, "C50.9"), cond("p-prostate", GM, "C61"))
    assert result.case.primary.site is None
    for ref in ("Condition/p-breast", "Condition/p-prostate"):
        assert "several primary tumours (breast, prostate)" in " | ".join(
            u.reason.en for u in result.report.unused if u.resource == ref
        )
    assert not result.report.conflicts
    one = run(cond("p-breast", GM, "C50.9"), cond("p-breast-again", GM, "C50.9"))
    assert one.case.primary.site is not None and one.case.primary.site.value == "breast"


def test_an_earlier_primary_no_longer_active_leaves_the_active_one_the_site() -> None:
    """A colon cancer resolved in 2013 beside an active breast cancer: the breast cancer is
    the site (its receptors count), and the report names the earlier one for the board."""
    colon = cond("p-colon", GM, "C18.7", recorded="2013-05-01")
    colon["clinicalStatus"]["coding"][0]["code"] = "resolved"
    result = run(cond("p-breast", GM, "C50.2"), colon)
    assert result.case.primary.site is not None and result.case.primary.site.value == "breast"
    (why,) = [u.reason.en for u in result.report.unused if u.resource == "Condition/p-colon"]
    assert "earlier primary tumour (colon), no longer active" in why
    # Both active: the board's question, as before.
    colon["clinicalStatus"]["coding"][0]["code"] = "active"
    assert run(cond("p-breast", GM, "C50.2"), colon).case.primary.site is None


def test_a_haemoglobin_in_g_l_labelled_as_such_but_meant_as_g_dl_is_not_used() -> None:
    """10.5 "g/L" converts to 1.05 g/dL, below any patient at a board (the case format starts
    at 2 g/dL): not used and reported, instead of proposing transfusions on it."""
    hb = obs("hb", "718-7", valueQuantity={"value": 10.5, "unit": "g/L"})
    result = run(hb)
    assert result.case.labs.hemoglobin_g_dl is None
    assert "must be at least 2.0 (got 1.05)" in " | ".join(
        u.reason.en for u in result.report.unused if u.resource == "Observation/hb"
    )
    assert (
        run(
            obs("hb", "718-7", valueQuantity={"value": 85, "unit": "g/L"})
        ).case.labs.hemoglobin_g_dl
        == 8.5
    )


def test_a_newer_preliminary_result_is_used_and_named() -> None:
    """Haemoglobin 6.9 preliminary yesterday, 12 final ten days ago: the newer value holds
    (an older final one must not hide it), named as preliminary; a preliminary calcium of 3.9
    beside a final 3.8 raises the emergency either way (a preliminary value must never
    silence one)."""
    old = obs("hb-ok", "718-7", valueQuantity={"value": 12, "unit": "g/dL"})
    old["effectiveDateTime"] = "2026-11-09"
    new = obs("hb-pre", "718-7", status="preliminary", valueQuantity={"value": 6.9, "unit": "g/dL"})
    new["effectiveDateTime"] = "2026-11-19"
    result = run(old, new)
    assert result.case.labs.hemoglobin_g_dl == 6.9
    (source,) = [f for f in result.report.fields if f.field == "labs.hemoglobin_g_dl"]
    assert source.resource == "Observation/hb-pre" and "preliminary result" in source.note.en
    # An older preliminary one does not hide a newer final one.
    new["effectiveDateTime"], old["effectiveDateTime"] = "2026-11-09", "2026-11-19"
    assert run(old, new).case.labs.hemoglobin_g_dl == 12
    final = obs("ca", "17861-6", valueQuantity={"value": 3.8, "unit": "mmol/L"})
    final["effectiveDateTime"] = "2026-11-18"
    prelim = obs(
        "ca-pre", "17861-6", status="preliminary", valueQuantity={"value": 3.9, "unit": "mmol/L"}
    )
    prelim["effectiveDateTime"] = "2026-11-19"
    case = run(final, prelim).case
    assert case.labs.calcium_mmol_l == 3.9
    assert "EMERG.HYPERCALCEMIA" in {e.code for e in evaluate(case).emergencies}


def test_a_newer_result_of_unknown_status_is_used_and_named() -> None:
    """Calcium 3.35 of status 'unknown' (a converter's word for an empty HL7 v2 result status)
    beside 2.38 final a week earlier: the newer value holds, named as of unknown status, and
    raises the hypercalcaemia; the older normal value does not stand in for it."""
    old = obs("ca-old", "17861-6", valueQuantity={"value": 2.38, "unit": "mmol/L"})
    old["effectiveDateTime"] = "2026-11-12"
    new = obs(
        "ca-new", "17861-6", status="unknown", valueQuantity={"value": 3.35, "unit": "mmol/L"}
    )
    new["effectiveDateTime"] = "2026-11-19"
    alb = obs("alb", "1751-7", valueQuantity={"value": 40, "unit": "g/L"})
    result = run(old, new, alb)
    assert result.case.labs.calcium_mmol_l == 3.35
    (source,) = [f for f in result.report.fields if f.field == "labs.calcium_mmol_l"]
    assert source.resource == "Observation/ca-new" and "unknown status" in source.note.en
    assert "EMERG.HYPERCALCEMIA" in {e.code for e in evaluate(result.case).emergencies}


def test_one_answer_coded_as_two_different_grades_is_not_used() -> None:
    """ECOG given as LA9622-7 (ECOG 0) and LA9626-8 (ECOG 4) in one value: neither holds, and
    an older ECOG does not stand in for it."""
    answers = [{"system": LOINC, "code": "LA9622-7"}, {"system": LOINC, "code": "LA9626-8"}]
    both = obs("ecog", "89247-1", valueCodeableConcept={"coding": answers})
    older = obs("ecog-old", "89247-1", valueInteger=1)
    older["effectiveDateTime"] = "2026-11-01"
    result = run(older, both)
    assert result.case.patient.ecog is None
    assert "answer coded as contradicting values" in " | ".join(
        u.reason.en for u in result.report.unused if u.resource == "Observation/ecog"
    )
    same = obs("ecog", "89247-1", valueCodeableConcept={"coding": [answers[1], answers[1]]})
    assert run(same).case.patient.ecog == 4


def test_a_merged_record_is_the_same_patient() -> None:
    """A record merged into another (Patient.link replaced-by) is the same person: the import
    chooses the record in use, and data filed under the old record count; an unlinked
    second patient is still another patient."""
    old = {
        "resourceType": "Patient",
        "id": "p1-old",
        "gender": "female",
        "link": [{"other": {"reference": "Patient/p1"}, "type": "replaced-by"}],
    }
    calcium = obs("ca", "17861-6", valueQuantity={"value": 2.9, "unit": "mmol/L"})
    calcium["subject"] = {"reference": "Patient/p1-old"}
    result = import_resources([old, PAT, calcium], board_date=BOARD)
    assert result.case.id == "p1" and result.case.labs.calcium_mmol_l == 2.9
    assert "another record of the same patient" in " | ".join(
        u.reason.en for u in result.report.unused if u.resource == "Patient/p1-old"
    )
    stranger = {**old, "link": []}
    with pytest.raises(FhirImportError) as exc:
        import_resources([stranger, PAT, calcium], board_date=BOARD)
    assert "several patients" in exc.value.lines("en")[0]
    chosen = import_resources([stranger, PAT, calcium], board_date=BOARD, patient_id="p1")
    assert chosen.case.labs.calcium_mmol_l is None


def test_a_second_code_at_one_vertebra_keeps_its_findings() -> None:
    """C79.5 and SNOMED at the same vertebra are one lesion; a Bilsky grade whose focus is the
    second Condition goes to that lesion (the suspected cord compression is not lost)."""
    escc = {
        "resourceType": "Observation",
        "id": "mri",
        "status": "final",
        "code": {
            "coding": [
                {"system": "urn:osteoboard:codesystem:case-item", "code": "lesion.escc_grade"}
            ]
        },
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-18",
        "focus": [{"reference": "Condition/m2"}],
        "valueString": "3",
    }
    result = run(
        cond("m1", GM, "C79.5", bodySite=vertebra()),
        cond("m2", SCT, "94222008", bodySite=vertebra()),
        escc,
    )
    (lesion,) = result.case.lesions
    assert lesion.id == "m1" and lesion.escc_grade is not None and lesion.escc_grade.value == "3"


def test_the_record_in_use_is_found_from_either_side_of_the_link() -> None:
    """Only the surviving record says it replaces the old one (the old one is inactive): the
    survivor is the patient."""
    survivor = {
        **PAT,
        "birthDate": "1960-01-01",
        "link": [{"other": {"reference": "Patient/p1-old"}, "type": "replaces"}],
    }
    old = {"resourceType": "Patient", "id": "p1-old", "gender": "female", "active": False}
    result = import_resources([old, survivor], board_date=BOARD)
    assert result.case.id == "p1" and result.case.patient.age == 66


def test_a_patient_named_by_the_caller_keeps_data_referenced_by_her_full_url() -> None:
    nameless = {k: v for k, v in PAT.items() if k != "id"}
    calcium = obs("ca", "17861-6", valueQuantity={"value": 2.9, "unit": "mmol/L"})
    calcium["subject"] = {"reference": "urn:oid:1.2.276.0.1"}
    entries = parse_bundle(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": "urn:oid:1.2.276.0.1", "resource": nameless},
                {"resource": calcium},
            ],
        }
    )
    result = import_resources(entries, board_date=BOARD, patient_id="p1")
    assert result.case.id == "p1" and result.case.labs.calcium_mmol_l == 2.9


def test_values_around_midnight_in_two_time_zones_are_ordered_by_their_moment() -> None:
    """23:30 UTC (3.6) is later than 00:15+01:00 the next local day (23:15 UTC, 2.4)."""
    late = obs("ca-late", "17861-6", valueQuantity={"value": 3.6, "unit": "mmol/L"})
    late["effectiveDateTime"] = "2026-11-18T23:30:00Z"
    early = obs("ca-early", "17861-6", valueQuantity={"value": 2.4, "unit": "mmol/L"})
    early["effectiveDateTime"] = "2026-11-19T00:15:00+01:00"
    assert run(late, early).case.labs.calcium_mmol_l == 3.6
    assert run(early, late).case.labs.calcium_mmol_l == 3.6


def test_a_date_only_value_of_the_day_before_does_not_undo_the_time_of_day() -> None:
    morning = obs("ca-08h", "17861-6", valueQuantity={"value": 3.55, "unit": "mmol/L"})
    morning["effectiveDateTime"] = "2026-11-19T08:00:00+01:00"
    afternoon = obs("ca-14h", "17861-6", valueQuantity={"value": 2.45, "unit": "mmol/L"})
    afternoon["effectiveDateTime"] = "2026-11-19T14:00:00+01:00"
    yesterday = obs("ca-18", "17861-6", valueQuantity={"value": 2.5, "unit": "mmol/L"})
    yesterday["effectiveDateTime"] = "2026-11-18"
    assert run(yesterday, afternoon, morning).case.labs.calcium_mmol_l == 2.45


def test_results_a_laboratory_report_carries_inside_are_read() -> None:
    """HL7 v2 result messages converted to FHIR carry their Observations inside the
    DiagnosticReport (contained, referenced from result as '#id'), without a date of their
    own: each is read, dated by the report - a calcium of 3.05 with albumin 33 is a
    hypercalcaemia, not a missing value. A result that names nothing inside is reported."""

    def inner(cid: str, code: str, value: float, unit: str) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": cid,
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "valueQuantity": {"value": value, "unit": unit},
        }

    report = {
        "resourceType": "DiagnosticReport",
        "id": "lab",
        "status": "final",
        "code": {"text": "Labor"},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-19T06:00:00+01:00",
        "contained": [inner("ca", "17861-6", 3.05, "mmol/L"), inner("alb", "1751-7", 33, "g/L")],
        "result": [{"reference": "#ca"}, {"reference": "#alb"}, {"reference": "#gone"}],
    }
    older = obs("ca-old", "17861-6", valueQuantity={"value": 2.3, "unit": "mmol/L"})
    older["effectiveDateTime"] = "2026-11-10"
    result = run(older, report)
    assert result.case.labs.calcium_mmol_l == 3.05 and result.case.labs.albumin_g_l == 33
    sources = {f.field: f.resource for f in result.report.fields}
    assert sources["labs.calcium_mmol_l"] == "DiagnosticReport/lab#ca"
    (gone,) = [u for u in result.report.unused if u.resource == "DiagnosticReport/lab"]
    assert gone.element == "result" and "#gone" in gone.reason.en
    assert "EMERG.HYPERCALCEMIA" in {e.code for e in evaluate(result.case).emergencies}


def test_karnofsky_given_as_its_loinc_answer_is_read() -> None:
    """mCODE binds the Karnofsky status to the LOINC answer list LL4986-7: LA29176-7 is 90."""
    coded = obs(
        "kps",
        "89243-0",
        valueCodeableConcept={"coding": [{"system": "http://loinc.org", "code": "LA29176-7"}]},
    )
    assert run(coded).case.patient.karnofsky == 90


def test_the_german_calcium_disorder_code_is_reported_with_its_reason() -> None:
    """ICD-10-GM E83.5 (disorders of calcium metabolism, the German code of a hypercalcaemia)
    sets nothing - the measured calcium decides - and the report says so."""
    result = run(cond("dx-e835", GM, "E83.5"))
    (why,) = [u.reason.en for u in result.report.unused if u.resource == "Condition/dx-e835"]
    assert "calcium decides" in why
    assert result.case.labs.calcium_mmol_l is None

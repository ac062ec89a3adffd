"""Bundles from an input sweep that were misread or silently accepted (fixtures in
``tests/fhir/hostile/``): a value is read in its own unit or left out and reported, never
guessed; what cannot be assigned to the patient is left out and reported; a document that
says two things at once is refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from osteoboard.fhir import FhirImportError, ImportResult, import_resources, load_path
from osteoboard.fhir.loaders import Entry
from osteoboard.fhir.numbers import read_number
from osteoboard.units import FIELD_UCUM, FIELD_UNIT_SUFFIXES, field_ucum, same_unit

HERE = Path(__file__).parent / "hostile"
BOARD = dt.date(2026, 11, 20)


def imported(name: str, board: dt.date = BOARD) -> ImportResult:
    return import_resources(load_path(HERE / name), board_date=board)


def unused(result: ImportResult, ref: str) -> str:
    return " | ".join(u.reason.de for u in result.report.unused if u.resource == ref)


def source(result: ImportResult, path: str) -> Any:
    return next((f for f in result.report.fields if f.field == path), None)


# ------------------------------------------------------------------ case items with units


def test_a_case_item_quantity_is_converted_from_its_own_unit() -> None:
    """``labs.calcium_mmol_l`` with 5 mg/dL is 1.25 mmol/l (not a calcium of 5.0, a
    hypercalcaemic emergency); creatinine 20 mg/dL is 1768 µmol/l (not 20)."""
    result = imported("case-item-units.json")
    labs = result.case.labs
    assert labs.calcium_mmol_l == pytest.approx(5.0 / 4.008, abs=1e-4)
    assert labs.creatinine_umol_l == pytest.approx(20 * 88.42, abs=0.01)
    note = source(result, "labs.calcium_mmol_l").note
    assert note.de == "5 mg/dL → 1.2475 mmol/L"


def test_a_case_item_in_a_unit_that_cannot_be_converted_is_left_out_and_blocks_older() -> None:
    result = imported("case-item-units.json")
    assert result.case.labs.ldh_u_l is None  # not 4, and not the older 240 U/l either
    assert "Einheit 'mmol/L' lässt sich nicht in U/L umrechnen" in unused(result, "Observation/ldh")
    assert "neuerer Wert (Observation/ldh)" in unused(result, "Observation/ldh-old")


def test_a_case_item_without_a_unit_is_read_in_the_unit_its_path_names_and_says_so() -> None:
    result = imported("case-item-units.json")
    assert result.case.labs.hemoglobin_g_dl == 11.2
    note = source(result, "labs.hemoglobin_g_dl").note
    assert note.de == "ohne Einheit: in der Einheit des Feldes gelesen (g/dL)"


def test_a_unit_on_a_field_without_one_leaves_the_value_out() -> None:
    result = imported("case-item-units.json")
    assert result.case.patient.ecog is None
    assert "patient.ecog hat keine Einheit" in unused(result, "Observation/ecog")


def test_every_unit_suffix_of_a_field_has_its_ucum_code_and_the_tables_agree() -> None:
    from osteoboard.fhir.codes import case_field_paths, load_fhir_codes

    assert {s for s, _ in FIELD_UNIT_SUFFIXES} == set(FIELD_UCUM)
    for entry in load_fhir_codes().data.observations:
        if entry.field is not None and entry.unit is not None:
            assert field_ucum(entry.field.rsplit(".", 1)[-1]) == entry.unit, entry.code
    assert all(
        field_ucum(p.rsplit(".", 1)[-1]) is not None
        for p in case_field_paths()
        if p.startswith("labs.")
    )


# ------------------------------------------------------------------ paths that are no value


def test_case_items_never_set_the_board_date_or_the_case_id() -> None:
    result = imported("case-item-not-clinical.json")
    assert result.case.board_date == BOARD
    assert result.case.id == "hb-1"
    assert result.case.labs.calcium_mmol_l == 2.5
    assert "board_date ist kein klinischer Wert" in unused(result, "Observation/bd")
    assert "id ist kein klinischer Wert" in unused(result, "Observation/id")


# ------------------------------------------------------------------ units and numbers


def test_a_display_unit_that_contradicts_the_ucum_code_trusts_neither() -> None:
    result = imported("unit-conflict.json")
    # neither 5.5 mmol/l nor 5.5 mg/dl, and not the older 2.4 mmol/l either
    assert result.case.labs.calcium_mmol_l is None
    assert "Einheit widersprüchlich: Anzeige 'mg/dL', UCUM-Code 'mmol/L'" in unused(
        result, "Observation/ca"
    )
    assert result.case.labs.creatinine_umol_l == 80  # µmol/l and umol/L agree


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("mg/dL", "mmol/L", False),
        ("µmol/l", "umol/L", True),
        ("mg/dl", "mg/dL", True),
        ("10*3/uL", "10*9/L", True),
        ("G/l", "10*9/L", True),  # German Giga per litre, never grams
        # each converts to the field's unit, neither directly into the other
        ("G/l", "10*3/uL", True),
        ("/nl", "10*3/uL", True),
        ("10*3/uL", "G/l", True),
        ("mg/l", "g/dL", False),
        ("g/l", "10*9/L", False),
        ("Tsd/µl", "10*3/uL", True),  # German "Tausend pro Mikroliter"
        ("Bröckchen/µl", "10*3/uL", None),  # a display this module cannot read
    ],
)
def test_same_unit(a: str, b: str, same: bool | None) -> None:
    assert same_unit(a, b, "calcium") is same


def test_a_german_thousands_separator_is_never_read_as_a_decimal_point() -> None:
    result = imported("text-thousands.json")
    labs = result.case.labs
    assert labs.platelets_10e9_l is None  # not 0.165
    assert labs.ldh_u_l is None  # not 1.25
    assert "'165.000' ist mehrdeutig" in unused(result, "Observation/plt")
    assert "'1.250' ist mehrdeutig" in unused(result, "Observation/ldh")
    assert labs.neutrophils_10e9_l == 3.4  # "3.400,0 /µl": grouped with a decimal comma
    assert labs.creatinine_umol_l == 125  # 0,125 mmol/l: a decimal comma


@pytest.mark.parametrize(
    ("text", "value", "readings"),
    [
        ("165.000", None, (165.0, 165000.0)),
        ("1,250", None, (1.25, 1250.0)),
        ("2,45", 2.45, None),
        ("0.125", 0.125, None),
        ("1234.567", 1234.567, None),
        ("1.250.000", 1250000.0, None),
        ("1.250,5", 1250.5, None),
        ("1,250.5", 1250.5, None),
        ("1.25.000", None, None),
        ("-1.250", None, (-1.25, -1250.0)),
    ],
)
def test_read_number(text: str, value: float | None, readings: Any) -> None:
    number = read_number(text)
    assert number.value == value and number.readings == readings


# ------------------------------------------------------------------ whose resource


def test_resources_that_do_not_name_the_patient_are_left_out_and_reported() -> None:
    result = imported("subjects.json")
    labs = result.case.labs
    assert (labs.calcium_mmol_l, labs.creatinine_umol_l, labs.ldh_u_l, labs.crp_mg_l) == (
        None,
        None,
        None,
        None,
    )
    assert labs.hemoglobin_g_dl == 11.0
    assert "nur als identifier" in unused(result, "Observation/by-identifier")
    assert "nur als display" in unused(result, "Observation/by-display")
    assert "subject fehlt" in unused(result, "Observation/no-subject")
    assert "anderer Server?" in unused(result, "Observation/other-server")
    # the identifier's value is not written into the report
    assert "OTHER" not in json.dumps(result.report.model_dump(mode="json"))


def _with_patient_url(url: str) -> list[Entry]:
    resources = load_path(HERE / "subjects.json")
    patient = resources[0]
    assert patient["resourceType"] == "Patient"
    patient.full_url = url
    return resources


def test_an_absolute_reference_is_the_patient_on_the_patients_own_server_only() -> None:
    other = import_resources(
        _with_patient_url("https://other.example.org/fhir/Patient/hb-1"), board_date=BOARD
    )
    assert other.case.labs.crp_mg_l == 4  # the Patient's own fullUrl
    mine = import_resources(
        load_path(HERE / "subjects.json"),
        board_date=BOARD,
        server="https://other.example.org/fhir/",
    )
    assert mine.case.labs.crp_mg_l == 4  # the server the resources were fetched from
    elsewhere = import_resources(
        _with_patient_url("https://kis.example.org/fhir/Patient/hb-1"), board_date=BOARD
    )
    assert elsewhere.case.labs.crp_mg_l is None


def test_a_logical_reference_by_the_patients_own_identifier_is_the_patient() -> None:
    resources = load_path(HERE / "subjects.json")
    resources[0]["identifier"] = [{"system": "urn:x", "value": "OTHER"}]
    result = import_resources(resources, board_date=BOARD)
    assert result.case.labs.calcium_mmol_l == 3.9


# ------------------------------------------------------------------ the document itself


def test_a_key_named_twice_is_refused_naming_the_object() -> None:
    with pytest.raises(FhirImportError) as exc:
        load_path(HERE / "duplicate-keys.json")
    (line,) = exc.value.lines("de")
    assert line.endswith(
        "duplicate-keys.json: entry[1].resource: Schlüssel 'valueQuantity' kommt zweimal "
        "vor (welcher Wert gilt, ist nicht festgelegt)"
    )


def test_a_key_named_twice_in_an_ndjson_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "Observation.ndjson"
    path.write_text(
        '{"resourceType":"Patient","id":"a"}\n{"resourceType":"Patient","id":"a","id":"b"}\n'
    )
    with pytest.raises(FhirImportError) as exc:
        load_path(path)
    assert exc.value.lines("en") == [
        f"{path}:2: key 'id' appears twice (which value holds is not defined)"
    ]


# ------------------------------------------------------------------ dates, codings, death


def test_a_deceased_patient_is_reported() -> None:
    result = imported("dates.json")
    assert "als verstorben erfasst (2026-01-01, vor dem Konferenzdatum 2026-11-20)" in unused(
        result, "Patient/hb-1"
    )
    assert "identifizierende" not in unused(result, "Patient/hb-1")


def test_a_month_date_says_so_and_is_current_only_when_the_whole_month_is() -> None:
    within = imported("dates.json")
    assert within.case.labs.calcium_mmol_l == 2.5
    assert "2026-11 (nur Monat)" in source(within, "labs.calcium_mmol_l").note.de
    unsure = imported("dates.json", dt.date(2026, 12, 15))
    assert unsure.case.labs.calcium_mmol_l is None
    assert "Wert vom 2026-11 (nur Monat): nicht sicher höchstens 30 Tage" in unused(
        unsure, "Observation/ca-month"
    )
    old = imported("dates.json", dt.date(2027, 1, 15))
    assert "Wert vom 2026-11 (nur Monat) ist älter als 30 Tage" in unused(
        old, "Observation/ca-month"
    )


def test_codes_of_two_fields_on_one_observation_are_a_conflict_not_the_first() -> None:
    result = imported("two-codings.json")
    assert result.case.labs.creatinine_umol_l is None  # not 2.6 mmol/l read as creatinine
    assert "Codes für verschiedene Felder (labs.calcium_mmol_l, labs.creatinine_umol_l)" in unused(
        result, "Observation/two"
    )
    # it may be a newer calcium: the older one does not stand in for it
    assert result.case.labs.calcium_mmol_l is None
    assert "neuerer Wert (Observation/two)" in unused(result, "Observation/ca-old")


def test_a_partial_birth_date_gives_the_age_when_it_is_one_age() -> None:
    resources = load_path(HERE / "subjects.json")
    resources[0]["birthDate"] = "1952-03"
    assert import_resources(resources, board_date=BOARD).case.patient.age == 74
    resources[0]["birthDate"] = "1952-11"
    result = import_resources(resources, board_date=BOARD)
    assert result.case.patient.age is None
    assert "Alter am 2026-11-20 73 oder 74" in unused(result, "Patient/hb-1")

"""Sloppy values that used to be misread: a boolean or a YAML 1.1 number where a number is
expected, a disease block on another primary, a laboratory value in the wrong unit, and the
parser's own words. Each is refused with a line naming the field and what is allowed (German
by default), or read as the author meant."""

from __future__ import annotations

import datetime as dt
import json
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError

from osteoboard.case import Case
from osteoboard.caseio import MAX_DOCUMENT_BYTES, CaseError, parse_case, read_document
from osteoboard.engine import evaluate

ROOT = Path(__file__).resolve().parents[2]


def _lines(text: str, lang: str = "de") -> list[str]:
    with pytest.raises(CaseError) as exc:
        parse_case(read_document(text, name="c.yaml"), name="c.yaml")
    return exc.value.lines(lang)  # type: ignore[arg-type]


def _case(text: str) -> Case:
    return parse_case(read_document(text, name="c.yaml"), name="c.yaml")


# -- booleans where a number is expected ---------------------------------------------------


def _branches(tp: Any) -> Iterator[Any]:
    if get_origin(tp) is Annotated:
        yield from _branches(get_args(tp)[0])
    elif get_origin(tp) in (Union, types.UnionType, list):
        for arg in get_args(tp):
            yield from _branches(arg)
    else:
        yield tp


def _number_fields(model: type[BaseModel], seen: set[type] | None = None) -> Iterator[Any]:
    """(block, field name) of every number field of the case format, in every block."""
    seen = seen if seen is not None else set()
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        kinds = set(_branches(info.annotation))
        if kinds & {int, float} and bool not in kinds:
            yield model, name
        for kind in kinds:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                yield from _number_fields(kind, seen)


NUMBER_FIELDS = list(_number_fields(Case))
#: What a block needs besides the field under test.
REQUIRED = {"Case": {"id": "x"}, "Lesion": {"id": "A"}, "MyelomaAssessment": {"date": "2026-01-01"}}


def test_the_walk_finds_every_kind_of_number_field() -> None:
    names = {f"{model.__name__}.{name}" for model, name in NUMBER_FIELDS}
    assert {"Patient.age", "Patient.karnofsky", "Labs.calcium_mmol_l", "Lesion.pain_vas"} <= names
    assert {"MyelomaAssessment.bm_plasma_cells_pct", "SarcomaMetastases.count"} <= names
    assert len(names) >= 35


@pytest.mark.parametrize(
    ("model", "name"), NUMBER_FIELDS, ids=[f"{m.__name__}.{n}" for m, n in NUMBER_FIELDS]
)
@pytest.mark.parametrize("value", [True, False])
def test_every_number_field_refuses_a_boolean(
    model: type[BaseModel], name: str, value: bool
) -> None:
    with pytest.raises(ValidationError) as exc:
        model.model_validate({**REQUIRED.get(model.__name__, {}), name: value})
    (error,) = exc.value.errors()
    assert error["loc"] == (name,)
    assert error["type"] in {"int_from_bool", "float_from_bool"}


def test_yaml_no_and_yes_are_no_numbers() -> None:
    """Karnofsky 'no' was read as 0 and calcium 'yes' as 1.0 mmol/l (a severe
    hypocalcaemia)."""
    text = (ROOT / "examples" / "03-prostate-solitary-psma.yaml").read_text(encoding="utf-8")
    assert "{age: 68," in text and "calcium_mmol_l: 2.35" in text
    text = text.replace("{age: 68,", "{age: 68, karnofsky: no,").replace(
        "calcium_mmol_l: 2.35", "calcium_mmol_l: yes"
    )
    assert _lines(text) == [
        "patient.karnofsky: muss eine ganze Zahl sein (erhalten 'no'); unbekannt: Feld weglassen",
        "labs.calcium_mmol_l: muss eine Zahl sein (erhalten 'yes'); unbekannt: Feld weglassen",
    ]


def test_true_and_false_name_the_field_and_its_range() -> None:
    text = "id: x\npatient: {age: true, ecog: false, sex: mann}\nlabs: {calcium_mmol_l: true}\n"
    assert _lines(text) == [
        "patient.age: muss eine ganze Zahl sein (mindestens 18 und höchstens 120), nicht true "
        "oder false (erhalten true); unbekannt: Feld weglassen",
        "patient.sex: muss einer dieser Werte sein: 'female' oder 'male' (erhalten 'mann')",
        "patient.ecog: muss eine ganze Zahl sein (mindestens 0 und höchstens 4), nicht true "
        "oder false (erhalten false); unbekannt: Feld weglassen",
        "labs.calcium_mmol_l: muss eine Zahl sein (größer als 0.5 und kleiner als 6), nicht "
        "true oder false (erhalten true); unbekannt: Feld weglassen",
    ]
    assert _lines('{"id": "x", "patient": {"karnofsky": true}}', "en") == [
        "patient.karnofsky: must be a whole number (at least 0, at most 100 and a multiple of "
        "10), not true or false (got true); unknown: leave the field out"
    ]


def test_yes_and_no_stay_true_and_false_where_the_field_is_one() -> None:
    case = _case("id: x\npatient: {fit_for_surgery: yes, dental_exam_done: no}\n")
    assert case.patient.fit_for_surgery is True and case.patient.dental_exam_done is False


def test_numbers_must_be_finite() -> None:
    assert _lines("id: x\nlabs: {calcium_mmol_l: .nan, creatinine_umol_l: 1e309}\n") == [
        "labs.calcium_mmol_l: muss eine endliche Zahl sein (erhalten nan)",
        "labs.creatinine_umol_l: muss eine endliche Zahl sein (erhalten inf)",
    ]


# -- numbers by YAML 1.2 ---------------------------------------------------------------------


def test_leading_zeros_are_decimal_not_octal() -> None:
    """YAML 1.1 read 075 as 61, 060 as 48 and 0120 as 80: the creatinine clearance and the
    renal dose band moved."""
    case = _case(
        "id: x\nboard_date: 2026-11-20\npatient: {age: 075, sex: female, weight_kg: 060}\n"
        "labs: {creatinine_umol_l: 0120}\n"
        "lesions:\n  - {id: A, region: spine, level: T5, pain_vas: 07}\n"
        "  - {id: B, region: spine, level: T6, pain_vas: 08}\n"
    )
    assert (case.patient.age, case.patient.weight_kg, case.labs.creatinine_umol_l) == (75, 60, 120)
    assert [lesion.pain_vas for lesion in case.lesions] == [7, 8]
    crcl = next(s for s in evaluate(case).scores if s.name == "crcl_cockcroft_gault")
    # Cockcroft-Gault: (140 - 75) * 60 * 0.85 / (72 * 120 / 88.42) = 33.9 ml/min
    assert crcl.total == pytest.approx(33.9, abs=0.1)


@pytest.mark.parametrize("value", ["1:10", "0x4B", "0o113", "0b1001011"])
def test_base_60_hex_and_octal_are_text(value: str) -> None:
    assert read_document(f"id: x\na: {value}\n")["a"] == value
    assert _lines(f"id: x\npatient: {{age: {value}}}\n") == [
        f"patient.age: muss eine ganze Zahl sein (erhalten '{value}')"
    ]


def test_yaml_12_numbers_and_booleans() -> None:
    doc = read_document(
        "a: 1e3\nb: .5\nc: -12\nd: +3\ne: 2.\nf: True\ng: FALSE\nh: on\ni: 2026-11-20\nj: -.inf\n"
    )
    assert doc == {
        "a": 1000.0,
        "b": 0.5,
        "c": -12,
        "d": 3,
        "e": 2.0,
        "f": True,
        "g": False,
        "h": "on",
        "i": dt.date(2026, 11, 20),
        "j": float("-inf"),
    }


# -- disease blocks and the primary ----------------------------------------------------------


@pytest.mark.parametrize(
    ("site", "block", "content"),
    [
        ("breast", "sarcoma", "{subtype: leiomyosarcoma}"),
        ("osteosarcoma", "sarcoma", "{subtype: leiomyosarcoma}"),
        ("unknown", "sarcoma", "{subtype: leiomyosarcoma}"),
        ("breast", "myeloma", "{stage: active}"),
        ("lymphoma", "myeloma", "{stage: active}"),
        ("other", "myeloma", "{stage: active}"),
    ],
)
def test_a_disease_block_must_fit_the_primary(site: str, block: str, content: str) -> None:
    text = f"id: x\nprimary: {{site: {site}}}\n{block}: {content}\n"
    assert _lines(text) == [
        f"{block}: der Block {block} gilt nur für primary.site {block} (angegeben: {site})"
    ]
    assert _lines(text, "en") == [
        f"{block}: the {block} block applies only to primary.site {block} (given: {site})"
    ]


@pytest.mark.parametrize("site", ["", "primary: {site: sarcoma}\n"])
def test_a_sarcoma_block_with_its_site_or_without_one(site: str) -> None:
    case = _case(f"id: x\n{site}sarcoma: {{subtype: leiomyosarcoma}}\n")
    assert case.sarcoma is not None


def test_a_myeloma_block_without_a_site_is_read() -> None:
    assert _case("id: x\nmyeloma: {stage: active}\n").myeloma is not None


# -- laboratory values in the wrong unit -------------------------------------------------------


def test_a_conventional_value_out_of_range_is_said_of_the_field_written() -> None:
    """calcium_mg_dl: 40 was reported as calcium_mmol_l 9.98 with the advice to write
    calcium_mg_dl: 9.98."""
    assert _lines("id: x\nlabs: {calcium_mg_dl: 40}\n") == [
        "labs.calcium_mg_dl: muss größer als 2.004 und kleiner als 24.05 sein (erhalten 40)"
    ]
    assert _lines("id: x\nlabs: {creatinine_mg_dl: 90}\n", "en") == [
        "labs.creatinine_mg_dl: must be at least 0.2036 and less than 33.93 (got 90); a value "
        "in µmol/l? Then give creatinine_umol_l: 90 (that is 1.018 mg/dl)"
    ]


def test_an_si_value_out_of_range_still_points_to_the_conventional_field() -> None:
    assert _lines("id: x\nlabs: {calcium_mmol_l: 9.6}\n") == [
        "labs.calcium_mmol_l: muss kleiner als 6.0 sein (erhalten 9.6); Wert in mg/dl? Dann "
        "calcium_mg_dl: 9.6 angeben (entspricht 2.4 mmol/l)"
    ]


def test_a_creatinine_in_mg_dl_in_the_umol_field_is_refused() -> None:
    """creatinine_umol_l: 12 gave a creatinine clearance of 333 ml/min and a firm full dose of
    zoledronic acid."""
    assert _lines("id: x\nlabs: {creatinine_umol_l: 12}\n") == [
        "labs.creatinine_umol_l: muss mindestens 18.0 sein (erhalten 12); Wert in mg/dl? Dann "
        "creatinine_mg_dl: 12 angeben (entspricht 1061.04 µmol/l)"
    ]
    assert _case("id: x\nlabs: {creatinine_umol_l: 18}\n").labs.creatinine_umol_l == 18


# -- the parser's words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "german"),
    [
        (
            "id: x\npatient:\n\tage: 70\n",
            "c.yaml: ungültiges YAML in Zeile 3: Tabulator zum Einrücken; YAML rückt nur mit "
            "Leerzeichen ein: die Tabs durch Leerzeichen ersetzen",
        ),
        (
            "id: x\npatient:\n  age: 70\n\t sex: male\n",
            "c.yaml: ungültiges YAML in Zeile 4: Tabulator zum Einrücken; YAML rückt nur mit "
            "Leerzeichen ein: die Tabs durch Leerzeichen ersetzen",
        ),
        (
            "id: x\n---\nid: y\n",
            "c.yaml: ungültiges YAML in Zeile 2: mehr als ein Dokument (Trennlinie ---); eine "
            "Falldatei enthält genau einen Fall",
        ),
        (
            "id: x\nprimary: {histology: " + "[" * 2000 + "]" * 2000 + "}\n",
            "c.yaml: ungültiges YAML in Zeile 2: tiefer als 32 Ebenen verschachtelt",
        ),
        (
            "id: @x\n",
            "c.yaml: ungültiges YAML in Zeile 1: ein Wert darf nicht mit '@' beginnen; den Text "
            "in Anführungszeichen setzen",
        ),
        (
            "id: x\npatient: {age: 70\n",
            "c.yaml: ungültiges YAML in Zeile 3: Klammer '{' nicht geschlossen oder Komma fehlt: "
            "',' oder '}' erwartet",
        ),
        (
            "id: x\nprimary:\n  histology: adeno: ca\n",
            "c.yaml: ungültiges YAML in Zeile 3: Doppelpunkt an unerwarteter Stelle: Text mit "
            "': ' in Anführungszeichen setzen oder die Einrückung prüfen",
        ),
        (
            "id: x\n~: 2\n",
            "c.yaml: ungültiges YAML in Zeile 2: ein Schlüssel ist leer (null oder ~); vor den "
            "Doppelpunkt gehört ein Feldname",
        ),
        (
            "id: !foo x\n",
            "c.yaml: ungültiges YAML in Zeile 1: YAML-Tags ('!foo') sind in einem Fall nicht "
            "erlaubt",
        ),
        (
            '{"id": "x", "primary": {"site": "breast"\n',
            "c.yaml: ungültiges JSON in Zeile 2: Komma oder schließende Klammer erwartet (ist "
            "das Dokument vollständig?)",
        ),
        (
            '{"id": "x"} {"id": "y"}',
            "c.yaml: ungültiges JSON in Zeile 1: weiterer Text nach dem Ende des Dokuments; ein "
            "Fall je Datei (je Zeile bei NDJSON)",
        ),
    ],
)
def test_parser_errors_speak_german(text: str, german: str) -> None:
    assert _lines(text) == [german]


def test_a_date_and_time_is_shown_as_written() -> None:
    assert _lines("id: x\nboard_date: 2026-11-20T10:00:00+02:00\n") == [
        "board_date: muss ein Datum im Format JJJJ-MM-TT sein (erhalten "
        "'2026-11-20T10:00:00+02:00'); nur das Datum angeben: 2026-11-20"
    ]


def test_sizes_are_grouped_as_the_language_does() -> None:
    text = "id: x\n" + "#" * MAX_DOCUMENT_BYTES
    assert _lines(text) == ["c.yaml: größer als 1.000.000 Bytes; ist das eine Falldatei?"]
    assert _lines(text, "en") == ["c.yaml: larger than 1,000,000 bytes; is this a case file?"]


def test_a_fhir_bundle_is_pointed_to_the_import() -> None:
    bundle = (ROOT / "examples" / "fhir" / "09-myeloma-relapse.json").read_text(encoding="utf-8")
    assert json.loads(bundle)["resourceType"] == "Bundle"
    assert _lines(bundle) == [
        "c.yaml: eine FHIR-Ressource ('Bundle'), kein Fall; osteoboard import-fhir macht "
        "daraus einen Fall"
    ]


def test_a_case_nested_under_case_is_pointed_to_its_block() -> None:
    """A referral test case (expected codes beside the case under ``case:``): one line that
    points at the block, not one "unknown field" per key."""
    referral = next((ROOT / "tests" / "cases").glob("001-*.yaml")).read_text(encoding="utf-8")
    assert _lines(referral, "en") == [
        "c.yaml: the case is nested under 'case:' here (a file with expectations such as "
        "required, source); evaluate the block under 'case:' as a file of its own"
    ]
    # A case that has a field of that name among its own is read as a case.
    assert _lines("id: x\ncase: {a: 1}\n", "en") == [
        "case: unknown field; allowed: id, board_date, patient, primary, "
        "visceral_metastases, bone_metastases, prior_therapy, labs, neurology, lesions, "
        "myeloma, sarcoma"
    ]


def test_every_parser_problem_has_its_words() -> None:
    from osteoboard.caseio import _JSON_PROBLEMS, _YAML_PROBLEMS
    from osteoboard.messages import MESSAGES

    keys = {key for _, key in _YAML_PROBLEMS} | set(_JSON_PROBLEMS.values())
    assert len(keys) > 20 and keys <= set(MESSAGES)

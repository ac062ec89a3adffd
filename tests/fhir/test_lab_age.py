"""A laboratory value taken from FHIR counts as the current one only when it is at most its
maximum age (``current_values`` of knowledge/fhir_codes.yaml) before the board date: an older
one is left out and reported, so the proposal asks for a current value instead of dosing on
last spring's creatinine. Series (the myeloma course) keep their older values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from osteoboard.engine import evaluate
from osteoboard.fhir import import_resources
from osteoboard.fhir.codes import read_fhir_codes
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Proposal
from tests.kb_copies import edited_copy, load_error

BOARD = dt.date(2026, 11, 20)
LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
#: The zoledronic acid doses by creatinine clearance (rules/bone_modifying_agents.yaml).
DOSE_RULES = {
    f"bone_modifying_agents.zoledronic_acid_{dose}" for dose in ("4_0", "3_5", "3_3", "3_0")
}


def day(days_before: int, board: dt.date = BOARD) -> str:
    return (board - dt.timedelta(days=days_before)).isoformat()


def lab(oid: str, code: str, value: float, unit: str, when: str | None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    if when is not None:
        resource["effectiveDateTime"] = when
    return resource


def creatinine(oid: str, when: str | None, mg_dl: float = 1.25) -> dict[str, Any]:
    return lab(oid, "2160-0", mg_dl, "mg/dL", when)


def breast_with_bone_metastases(board: dt.date = BOARD) -> list[dict[str, Any]]:
    """78 years, 60 kg, breast cancer with two vertebral metastases: a bone-modifying agent
    is indicated and zoledronic acid is dosed by the creatinine clearance (Cockcroft-Gault:
    35 ml/min at creatinine 1.25 mg/dl, so 3.0 mg)."""

    def metastasis(cid: str, vertebra: str) -> dict[str, Any]:
        return {
            "resourceType": "Condition",
            "id": cid,
            "code": {"coding": [{"system": SCT, "code": "94222008"}]},
            "bodySite": [{"coding": [{"system": SCT, "code": vertebra}]}],
            "subject": {"reference": "Patient/p1"},
        }

    return [
        {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1948-06-15"},
        {
            "resourceType": "Condition",
            "id": "primary",
            "code": {"coding": [{"system": SCT, "code": "254837009"}]},
            "subject": {"reference": "Patient/p1"},
        },
        metastasis("l2", "14293000"),
        metastasis("t10", "7610001"),
        lab("weight", "29463-7", 60, "kg", day(3, board)),
        lab("ca", "2000-8", 2.3, "mmol/L", day(3, board)),
        lab("alb", "1751-7", 40, "g/L", day(3, board)),
    ]


def unused(result: Any, ref: str) -> list[Any]:
    return [u for u in result.report.unused if u.resource == ref]


def firm_doses(proposal: Proposal) -> list[str]:
    return [
        item.rule
        for item in proposal.recommendations
        if item.rule in DOSE_RULES and item.status is ItemStatus.firm
    ]


def test_a_creatinine_200_days_old_is_left_out_and_the_proposal_asks_for_a_current_one() -> None:
    result = import_resources(
        [*breast_with_bone_metastases(), creatinine("cr-old", day(200))], board_date=BOARD
    )
    assert result.case.labs.creatinine_umol_l is None
    assert result.case.labs.calcium_mmol_l == 2.3  # the current values are kept
    (line,) = unused(result, "Observation/cr-old")
    assert line.element == "valueQuantity"
    assert line.reason.de == (
        "labs.creatinine_umol_l: Wert vom 2026-05-04 ist älter als 30 Tage vor dem "
        "Konferenzdatum (2026-11-20) – nicht als aktueller Wert übernommen"
    )
    assert line.reason.en == (
        "labs.creatinine_umol_l: value of 2026-05-04 is older than 30 days before the board "
        "date (2026-11-20) – not used as the current value"
    )
    assert any(
        "Observation/cr-old" in text and "2026-05-04" in text for text in result.report.lines()
    )
    assert not [f for f in result.report.fields if f.resource == "Observation/cr-old"]
    proposal = evaluate(result.case)
    assert "labs.creatinine_umol_l" in {m.field for m in proposal.missing_data}
    assert firm_doses(proposal) == []
    zoledronic = [i for i in proposal.recommendations if i.code == "BMA.ZOLEDRONIC_ACID"]
    assert zoledronic and all(i.status is not ItemStatus.firm for i in zoledronic)


def test_a_second_creatinine_10_days_old_is_used() -> None:
    result = import_resources(
        [
            *breast_with_bone_metastases(),
            creatinine("cr-old", day(200), mg_dl=0.7),
            creatinine("cr-new", day(10)),
        ],
        board_date=BOARD,
    )
    assert result.case.labs.creatinine_umol_l == pytest.approx(1.25 * 88.42)
    (source,) = [f for f in result.report.fields if f.field == "labs.creatinine_umol_l"]
    assert source.resource == "Observation/cr-new"
    assert "älter als 30 Tage" in unused(result, "Observation/cr-old")[0].reason.de
    assert result.report.conflicts == []  # the old value is left out, not a rival
    proposal = evaluate(result.case)
    assert "labs.creatinine_umol_l" not in {m.field for m in proposal.missing_data}
    assert firm_doses(proposal) == ["bone_modifying_agents.zoledronic_acid_3_0"]


def _without(resources: list[dict[str, Any]], oid: str) -> list[dict[str, Any]]:
    return [r for r in resources if r.get("id") != oid]


def test_a_weight_120_days_old_doses_nothing_and_one_60_days_old_is_used() -> None:
    """The actual body weight enters the clearance that doses zoledronic acid: a weight of
    four months ago is left out (maximum 90 days), so no dose is firm."""

    def imported(days: int) -> Any:
        resources = _without(breast_with_bone_metastases(), "weight")
        resources += [lab("weight", "29463-7", 60, "kg", day(days)), creatinine("cr", day(5))]
        return import_resources(resources, board_date=BOARD)

    old = imported(120)
    assert old.case.patient.weight_kg is None
    assert "älter als 90 Tage" in unused(old, "Observation/weight")[0].reason.de
    proposal = evaluate(old.case)
    assert firm_doses(proposal) == []
    assert "patient.weight_kg" in {m.field for m in proposal.missing_data}
    recent = imported(60)
    assert recent.case.patient.weight_kg == 60
    assert firm_doses(evaluate(recent.case)) == ["bone_modifying_agents.zoledronic_acid_3_0"]


def test_a_performance_status_older_than_30_days_is_not_today_s() -> None:
    def imported(days: int) -> Any:
        ecog = lab("ecog", "89247-1", 0, "1", day(days))
        ecog.pop("valueQuantity")
        ecog["valueInteger"] = 1
        return import_resources([*breast_with_bone_metastases(), ecog], board_date=BOARD)

    assert imported(30).case.patient.ecog == 1
    late = imported(45)
    assert late.case.patient.ecog is None
    assert "patient.ecog" in unused(late, "Observation/ecog")[0].reason.de


def test_the_window_ends_exactly_at_the_maximum_age() -> None:
    def imported(days: int) -> Any:
        return import_resources(
            [*breast_with_bone_metastases(), creatinine("cr", day(days))], board_date=BOARD
        )

    assert imported(30).case.labs.creatinine_umol_l is not None
    assert imported(31).case.labs.creatinine_umol_l is None


def test_a_calcium_of_3_4_from_45_days_ago_raises_no_confirmed_emergency() -> None:
    def hypercalcaemia(days: int) -> tuple[Any, set[tuple[str, str]]]:
        resources = [r for r in breast_with_bone_metastases() if r["id"] != "ca"]
        resources.append(lab("ca-high", "2000-8", 3.4, "mmol/L", day(days)))
        result = import_resources(resources, board_date=BOARD)
        emergencies = {(e.code, e.status.value) for e in evaluate(result.case).emergencies}
        return result, emergencies

    old, emergencies = hypercalcaemia(45)
    assert old.case.labs.calcium_mmol_l is None
    assert ("EMERG.HYPERCALCEMIA", "confirmed") not in emergencies
    assert "Wert vom 2026-10-06" in unused(old, "Observation/ca-high")[0].reason.de
    # the same value measured five days ago is today's hypercalcaemia
    recent, emergencies = hypercalcaemia(5)
    assert recent.case.labs.calcium_mmol_l == 3.4
    assert ("EMERG.HYPERCALCEMIA", "confirmed") in emergencies


def test_an_undated_laboratory_value_is_not_taken_as_current() -> None:
    result = import_resources(
        [*breast_with_bone_metastases(), creatinine("cr", None)], board_date=BOARD
    )
    assert result.case.labs.creatinine_umol_l is None
    assert "Wert ohne Datum" in unused(result, "Observation/cr")[0].reason.de


def test_without_a_board_date_the_age_is_counted_to_today() -> None:
    today = dt.date.today()
    resources = breast_with_bone_metastases(today)
    old = import_resources([*resources, creatinine("cr", day(60, today))])
    assert old.case.board_date is None and old.case.labs.creatinine_umol_l is None
    assert f"vor heute ({today}" in unused(old, "Observation/cr")[0].reason.de
    recent = import_resources([*resources, creatinine("cr", day(3, today))])
    assert recent.case.labs.creatinine_umol_l is not None


def test_series_keep_their_older_values() -> None:
    """The myeloma course is history: a year-old M-protein stays in myeloma.series while a
    creatinine as old is left out."""
    myeloma = {
        "resourceType": "Condition",
        "id": "mm",
        "code": {"coding": [{"system": SCT, "code": "109989006"}]},
        "subject": {"reference": "Patient/p1"},
    }
    result = import_resources(
        [
            {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1950-01-01"},
            myeloma,
            lab("m1", "33358-3", 2.1, "g/dL", day(365)),
            lab("m2", "33358-3", 1.4, "g/dL", day(200)),
            lab("m3", "33358-3", 0.9, "g/dL", day(5)),
            creatinine("cr", day(365)),
        ],
        board_date=BOARD,
    )
    assert result.case.myeloma is not None
    assert [a.serum_m_g_dl for a in result.case.myeloma.series] == [2.1, 1.4, 0.9]
    assert result.case.labs.creatinine_umol_l is None


def _codes_with(tmp_path: Path, spec: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["current_values"]["fields"]["labs.creatinine_umol_l"] = spec

    kb_dir = edited_copy(tmp_path, "fhir_codes.yaml", change)
    return read_fhir_codes(kb_dir, load_knowledge_base().sources)


def test_a_maximum_age_of_its_own_in_the_table_is_honoured(tmp_path: Path) -> None:
    week = _codes_with(tmp_path / "week", {"max_age_days": 7, "sources": ["zometa-smpc"]})
    result = import_resources(
        [*breast_with_bone_metastases(), creatinine("cr", day(10))], board_date=BOARD, codes=week
    )
    assert result.case.labs.creatinine_umol_l is None
    assert "älter als 7 Tage" in unused(result, "Observation/cr")[0].reason.de
    assert result.case.labs.calcium_mmol_l == 2.3  # the default (30 days) for the others
    year = _codes_with(tmp_path / "year", {"max_age_days": 365, "sources": ["zometa-smpc"]})
    result = import_resources(
        [*breast_with_bone_metastases(), creatinine("cr", day(200))], board_date=BOARD, codes=year
    )
    assert result.case.labs.creatinine_umol_l is not None


def _set(*path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("current_values", "max_age_days", value=-1),
            "fhir_codes.yaml: current_values.max_age_days: must be at least 0 (got -1)",
        ),
        (_set("current_values", "max_age_days", value=None), "current_values.max_age_days"),
        (_set("current_values", value=None), "current_values"),
        (
            _set(
                "current_values",
                "fields",
                "labs.creatinine_umol_l",
                value={"max_age_days": -5, "sources": ["zometa-smpc"]},
            ),
            "current_values.fields['labs.creatinine_umol_l'].max_age_days: must be at least 0",
        ),
        (
            _set("current_values", "fields", "labs.creatinine_umol_l", value="defualt"),
            "labs.creatinine_umol_l: give `default` or {max_age_days: N",
        ),
        (
            _set("current_values", "fields", "labs.creatinine_umol_l", value={"sources": ["x"]}),
            "max_age_days",
        ),
        (
            _set(
                "current_values",
                "fields",
                "labs.creatinine_umol_l",
                value={"max_age_days": 14, "sources": ["no-such-source"]},
            ),
            "unknown source key 'no-such-source'",
        ),
        (
            _set("current_values", "fields", "labs.crp_mg_l", value=None),
            "current_values.fields: labs.crp_mg_l: no maximum age",
        ),
        (
            _set("current_values", "fields", "myeloma.series.serum_m_g_dl", value="default"),
            "'myeloma.series.serum_m_g_dl' is not a single-valued case-level field",
        ),
        (
            _set("current_values", "fields", "labs.potassium", value="default"),
            "'labs.potassium' is not a single-valued case-level field",
        ),
    ],
    ids=[
        "negative",
        "missing",
        "no-section",
        "negative-override",
        "misspelled-default",
        "override-without-age",
        "override-unknown-source",
        "lab-without-age",
        "series",
        "unknown-field",
    ],
)
def test_the_linter_rejects_a_missing_or_negative_maximum_age(
    tmp_path: Path, change: Any, message: str
) -> None:
    error = load_error(edited_copy(tmp_path, "fhir_codes.yaml", change))
    assert message in error, error

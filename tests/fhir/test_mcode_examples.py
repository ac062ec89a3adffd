"""The mCODE STU4 examples (vendored from npm, CC0): unchanged, valid R4B, and the two patient
bundles import with a report that says what was used and what not."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest

from osteoboard.fhir import import_resources, load_path
from osteoboard.fhir.r4b import parse_resource

VENDOR = Path(__file__).resolve().parent / "vendor" / "mcode-4.0.0"
ROW = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", re.M)
ROWS = ROW.findall((VENDOR / "VENDORED.md").read_text(encoding="utf-8"))


def test_every_vendored_file_is_listed_with_its_sha256() -> None:
    assert len(ROWS) == 179
    for name, sha256 in ROWS:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == sha256, name
    assert {p.name for p in VENDOR.glob("*.json")} == {name for name, _ in ROWS}


def test_every_example_parses_with_the_r4b_classes() -> None:
    types = set()
    for name, _ in ROWS:
        data = json.loads((VENDOR / name).read_text(encoding="utf-8"))
        resource = parse_resource(data, name)
        assert type(resource).__module__.startswith("fhir.resources.R4B."), name
        types.add(resource.get_resource_type())
    assert {"Patient", "Condition", "Observation", "Procedure", "Bundle"} <= types


def test_jenny_m_bundle_imports_with_a_sensible_report() -> None:
    result = import_resources(
        load_path(VENDOR / "Bundle-mcode-patient-bundle-jenny-m.json"),
        board_date=dt.date(2019, 1, 15),
    )
    case, report = result.case, result.report
    assert case.id == "cancer-patient-jenny-m"
    assert case.patient.sex is not None and case.patient.sex.value == "female"
    assert case.patient.age == 54  # born 1964-10-03
    # ECOG (2018-04-12) and weight (2018-03-06) are too old to stand for January 2019.
    unused_reasons = {u.resource: u.reason.de for u in report.unused}
    assert "älter als 30 Tage" in unused_reasons["Observation/ecog-performance-status-jenny-m"]
    assert "älter als 90 Tage" in unused_reasons["Observation/bodyweight-jenny-m-2018-03-16"]
    assert case.patient.ecog is None and case.patient.weight_kg is None
    assert case.primary.site is not None and case.primary.site.value == "breast"
    assert case.primary.hormone_receptor is not None
    assert case.primary.hormone_receptor.value == "positive"  # ER and PR positive
    assert case.primary.her2 is not None and case.primary.her2.value == "negative"
    assert case.lesions == []  # no bone metastasis in this bundle
    by_field = {f.field: f for f in report.fields}
    assert by_field["primary.site"].resource == "Condition/primary-cancer-condition-jenny-m"
    unused = {(u.resource, u.element): u for u in report.unused}
    # The patient's name and address are never carried into the case.
    patient = unused[
        (
            "Patient/cancer-patient-jenny-m",
            "address, communication, contact, extension, identifier, name",
        )
    ]
    assert "Pseudonym" in patient.reason.de
    # A neutrophil count of 3000 × 10³/µl is outside the case format: left out, reported.
    neutro = [u for u in report.unused if u.resource.endswith("lab-neutrophils-jenny-m")]
    assert neutro and "labs.neutrophils_10e9_l" in neutro[0].reason.de
    assert case.labs.neutrophils_10e9_l is None
    # The chest-wall radiotherapy matches no bone lesion; chemotherapy is not a bone agent.
    assert any("Bestrahlung" in u.reason.de for u in report.unused if "radiotherapy" in u.resource)
    assert any(
        "nicht in der Codetabelle" in u.reason.de
        for u in report.unused
        if "doxorubicin" in u.resource
    )
    assert report.resources == 40
    assert report.conflicts == []


def test_jenny_m_performance_status_and_weight_at_a_board_in_may_2018() -> None:
    result = import_resources(
        load_path(VENDOR / "Bundle-mcode-patient-bundle-jenny-m.json"),
        board_date=dt.date(2018, 5, 10),
    )
    case, report = result.case, result.report
    assert case.patient.ecog == 0  # 28 days before the board
    assert case.patient.weight_kg == pytest.approx(155 * 0.45359237, abs=1e-3)  # 155 [lb_av]
    by_field = {f.field: f for f in report.fields}
    assert by_field["patient.weight_kg"].note is not None
    assert "[lb_av]" in by_field["patient.weight_kg"].note.de


def test_genomics_bundle_imports_patient_only() -> None:
    result = import_resources(
        load_path(VENDOR / "Bundle-gx-genomic-bundle-adam-anyperson.json"),
        board_date=dt.date(2019, 1, 15),
    )
    assert result.case.patient.sex is not None and result.case.patient.sex.value == "male"
    assert {f.field for f in result.report.fields} == {"patient.sex", "patient.age"}
    # 24 other resources (genomic observations, specimens, a report …) are each listed.
    listed = {u.resource for u in result.report.unused}
    assert len(listed - {"Patient/gx-cancer-patient-adam-anyperson"}) == 24

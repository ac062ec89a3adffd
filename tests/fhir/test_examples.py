"""The demo FHIR bundles of examples/fhir/: each validates with R4B, the script reproduces it
exactly, and its import is its YAML twin, so the proposals are byte-identical."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from osteoboard.caseio import load_case
from osteoboard.engine import evaluate
from osteoboard.fhir import import_resources, load_path
from osteoboard.fhir.codes import load_fhir_codes

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = sorted((ROOT / "examples" / "fhir").glob("*.json"))


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "make_fhir_examples", ROOT / "scripts" / "make_fhir_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _twin(bundle: Path) -> Path:
    top = ROOT / "examples" / f"{bundle.stem}.yaml"
    return top if top.exists() else bundle.with_suffix(".yaml")


def test_at_least_ten_bundles_each_with_a_twin() -> None:
    assert len(BUNDLES) >= 10
    for bundle in BUNDLES:
        assert _twin(bundle).exists(), bundle.name


@pytest.mark.parametrize("bundle", BUNDLES, ids=lambda p: p.stem)
def test_bundle_imports_to_its_twin_and_the_same_proposal(bundle: Path) -> None:
    twin = load_case(_twin(bundle))
    data = json.loads(bundle.read_text(encoding="utf-8"))
    assert data["resourceType"] == "Bundle" and data["type"] == "collection"
    result = import_resources(load_path(bundle), board_date=twin.board_date)
    assert result.case == twin
    assert evaluate(result.case).model_dump_json() == evaluate(twin).model_dump_json()
    assert result.report.conflicts == []
    assert result.report.unused == []  # every resource of our bundles is used


def test_script_reproduces_every_bundle_exactly() -> None:
    script = _script()
    codes = load_fhir_codes()
    twins = script.twins()
    assert sorted(p.stem for p in twins) == [b.stem for b in BUNDLES]
    for twin in twins:
        text = json.dumps(script.bundle_for(twin, codes), indent=2, ensure_ascii=False) + "\n"
        assert text == (ROOT / "examples" / "fhir" / f"{twin.stem}.json").read_text(
            encoding="utf-8"
        ), twin.name


def test_bundles_use_standard_codes_where_they_exist() -> None:
    data = json.loads((ROOT / "examples/fhir/09-myeloma-relapse.json").read_text("utf-8"))
    codes = {
        (c["system"], c["code"])
        for e in data["entry"]
        for c in (e["resource"].get("code") or {}).get("coding", [])
    }
    assert ("http://loinc.org", "33358-3") in codes  # M-protein series
    assert ("http://snomed.info/sct", "109989006") in codes  # multiple myeloma
    assert ("http://snomed.info/sct", "94222008") in codes  # bone metastasis
    zol = json.loads((ROOT / "examples/fhir/13-breast-renal-zoledronic.json").read_text("utf-8"))
    units = {
        e["resource"]["valueQuantity"]["code"]
        for e in zol["entry"]
        if "valueQuantity" in e["resource"] and "code" in e["resource"]["valueQuantity"]
    }
    assert "mg/dL" in units  # creatinine and calcium in conventional units, converted


def test_pregnancy_jaw_osteonecrosis_and_operations_travel_in_standard_codes() -> None:
    """The new patient states are not case items in the demo bundles: a pregnant woman after
    decompression and a man with osteonecrosis of the jaw after a hip replacement round-trip
    through LOINC, ICD-10-CM and SNOMED CT to the proposal of their twins."""
    codes: set[tuple[str, str]] = set()
    items: set[str] = set()
    for name in ("14-breast-pregnant-t7-decompressed", "15-prostate-jaw-osteonecrosis-hip"):
        data = json.loads((ROOT / "examples/fhir" / f"{name}.json").read_text("utf-8"))
        for entry in data["entry"]:
            for c in (entry["resource"].get("code") or {}).get("coding", []):
                codes.add((c["system"], c["code"]))
                if c["system"] == "urn:osteoboard:codesystem:case-item":
                    items.add(c["code"])
    assert ("http://loinc.org", "82810-3") in codes  # pregnancy status
    assert ("http://hl7.org/fhir/sid/icd-10-cm", "M87.180") in codes  # jaw osteonecrosis
    assert {("http://snomed.info/sct", c) for c in ("387731002", "55705006", "52734007")} <= codes
    assert not items & {
        "patient.pregnant",
        "patient.jaw_osteonecrosis",
        "patient.jaw_osteonecrosis_stage",
        "lesion.operation",
        "lesion.operation_date",
    }

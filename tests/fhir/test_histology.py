"""The primary tumour's histology from FHIR: the morphology (mCODE's histology extension, an
ICD-O-3 coding, or a histology Observation) becomes primary.histology, and decides the site
where the code leaves it to the histology (lung: small cell or not; bone: osteosarcoma). A
cancer code that names no organ takes it from the Condition's bodySite."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from osteoboard.fhir import import_resources, parse_bundle
from tests.fhir.test_import import LOINC, SCT, obs, run

ICDO3 = "urn:oid:2.16.840.1.113883.6.43.1"
ICD10GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
PRIMARY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
HISTOLOGY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"


def _primary(*codings: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "primary",
        "meta": {"profile": [PRIMARY]},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": list(codings)},
        "subject": {"reference": "Patient/pat-1"},
        "onsetDateTime": "2026-06-01",
        **extra,
    }


C34 = {"system": ICD10GM, "code": "C34.1"}


def _histology(code: str, **extra: Any) -> dict[str, Any]:
    """A histology Observation (LOINC 59847-4) with an ICD-O-3 morphology."""
    value = {"valueCodeableConcept": {"coding": [{"system": ICDO3, "code": code}]}}
    return obs("histo", "59847-4", "2026-06-10", value, system=LOINC, **extra)


def _reasons(result: Any, ref: str) -> list[str]:
    return [u.reason.en for u in result.report.unused if u.resource == ref]


@pytest.mark.parametrize(
    ("code", "site"),
    [
        ("8041/3", "lung_sclc"),
        ("80413", "lung_sclc"),
        ("8140/3", "lung_nsclc"),
        ("8070/3", "lung_nsclc"),
        ("8240/3", "neuroendocrine"),
    ],
)
def test_an_icd_o_3_coding_decides_a_lung_cancers_site(code: str, site: str) -> None:
    result = run(_primary(C34, {"system": ICDO3, "code": code}))
    assert result.case.primary.site == site
    assert "ICD-O-3" in result.case.primary.histology
    (source,) = [f for f in result.report.fields if f.field == "primary.site"]
    assert source.resource == "Condition/primary" and "C34" not in (source.note.en or "")


def test_the_mcode_histology_extension_decides_it_too() -> None:
    extension = {
        "url": HISTOLOGY,
        "valueCodeableConcept": {
            "coding": [
                {
                    "system": SCT,
                    "code": "74364000",
                    "display": "Small cell carcinoma (morphologic abnormality)",
                }
            ]
        },
    }
    result = run(_primary(C34, extension=[extension]))
    assert result.case.primary.site == "lung_sclc"
    assert result.case.primary.histology == "Small cell carcinoma (SNOMED CT 74364000)"


def test_a_histology_observation_about_the_tumour_decides_it() -> None:
    histology = _histology("8140/3", focus=[{"reference": "Condition/primary"}])
    result = run(_primary(C34), histology)
    assert result.case.primary.site == "lung_nsclc"
    assert result.case.primary.histology == "Adenocarcinoma, NOS (ICD-O-3 8140/3)"
    assert not _reasons(result, "Observation/histo")  # used, not "not mapped"
    # about another tumour: not this one's histology
    other = dict(histology, focus=[{"reference": "Condition/other"}])
    unrelated = run(_primary(C34), other)
    assert unrelated.case.primary.site is None and unrelated.case.primary.histology is None
    assert _reasons(unrelated, "Observation/histo") == ["not about a primary tumour"]


def test_a_focus_by_the_tumours_urn_uuid_full_url_is_about_it() -> None:
    # Inside a collection or transaction Bundle the reference is the entry's urn:uuid
    # fullUrl, whatever id the Condition has.
    uuid = "urn:uuid:6f1c2a9e-0b7d-4c55-9a51-3d0e8c7b2f10"
    pat = {"resourceType": "Patient", "id": "pat-1", "gender": "female", "birthDate": "1960-05-01"}
    histology = _histology("8140/3", focus=[{"reference": uuid}])
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:0e5d2f41-2b4c-4f7a-9a55-51c6a8d1e001", "resource": pat},
            {"fullUrl": uuid, "resource": _primary(C34)},
            {"fullUrl": "urn:uuid:0e5d2f41-2b4c-4f7a-9a55-51c6a8d1e002", "resource": histology},
        ],
    }
    result = import_resources(parse_bundle(bundle), board_date=dt.date(2026, 11, 20))
    assert result.case.primary.site == "lung_nsclc"
    assert result.case.primary.histology == "Adenocarcinoma, NOS (ICD-O-3 8140/3)"
    assert not _reasons(result, "Observation/histo")


def test_a_histology_that_decides_nothing_leaves_the_site_open_and_says_so() -> None:
    result = run(_primary(C34, {"system": ICDO3, "code": "8013/3"}))  # LCNEC
    assert result.case.primary.site is None
    assert result.case.primary.histology.startswith("Large cell neuroendocrine carcinoma")
    (why,) = _reasons(result, "Condition/primary")
    assert "left open" in why and "does not decide it" in why


def test_a_bone_sarcoma_by_its_histology() -> None:
    c40 = {"system": ICD10GM, "code": "C40.2"}
    assert run(_primary(c40, {"system": ICDO3, "code": "9180/3"})).case.primary.site == (
        "osteosarcoma"
    )
    assert run(_primary(c40, {"system": ICDO3, "code": "9220/3"})).case.primary.site == "sarcoma"
    # a lung histology decides nothing for a bone tumour
    assert run(_primary(c40, {"system": ICDO3, "code": "8041/3"})).case.primary.site is None


def _body_site(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": SCT, "code": code}]}]


def test_a_cancer_code_without_an_organ_takes_it_from_the_body_site() -> None:
    generic = {"system": SCT, "code": "363346000"}
    prostate = run(_primary(generic, bodySite=_body_site("41216001")))
    assert prostate.case.primary.site == "prostate"
    (source,) = [f for f in prostate.report.fields if f.field == "primary.site"]
    assert source.element == "bodySite"
    # the lung: the histology still decides
    lung = run(_primary(generic, bodySite=_body_site("39607008")))
    assert lung.case.primary.site is None
    assert any("NSCLC or SCLC" in r for r in _reasons(lung, "Condition/primary"))
    with_histology = _primary(generic, {"system": ICDO3, "code": "8070/3"})
    with_histology["bodySite"] = _body_site("39607008")
    assert run(with_histology).case.primary.site == "lung_nsclc"


def test_a_code_not_in_the_table_without_an_organ_is_reported() -> None:
    result = run(_primary({"system": SCT, "code": "999999999"}))
    assert result.case.primary.site is None
    (why,) = _reasons(result, "Condition/primary")
    assert "not in the code table (and no organ in the bodySite)" in why
    # its bodySite names the organ
    placed = run(_primary({"system": SCT, "code": "999999999"}, bodySite=_body_site("76752008")))
    assert placed.case.primary.site == "breast"


def test_a_topography_code_is_no_histology() -> None:
    topography = {"system": ICDO3, "code": "C34.1"}  # ICD-O-3 topography: upper lobe
    histology = _histology("8041/3", focus=[{"reference": "Condition/primary"}])
    result = run(_primary(C34, topography), histology)
    assert result.case.primary.site == "lung_sclc"
    assert "C34.1" not in (result.case.primary.histology or "")


def test_an_unfocused_histology_is_read_only_beside_one_primary() -> None:
    histology = _histology("8041/3")
    assert run(_primary(C34), histology).case.primary.site == "lung_sclc"
    breast = dict(_primary({"system": ICD10GM, "code": "C50.9"}), id="breast")
    two = run(_primary(C34), breast, histology)
    assert two.case.primary.histology is None  # whose histology it is, is not known


@pytest.mark.parametrize(
    ("code", "subtype"),
    [
        ("8890/3", "leiomyosarcoma"),
        ("8852/3", "liposarcoma_myxoid"),
        ("8920/3", "rhabdomyosarcoma_alveolar"),
        ("9260/3", "ewing"),
    ],
)
def test_a_soft_tissue_sarcomas_morphology_names_its_subtype(code: str, subtype: str) -> None:
    # ICD-10 C49 says sarcoma; the ICD-O-3 morphology says which (the sarcoma module decides
    # on it: a leiomyosarcoma is no Ewing sarcoma).
    c49 = {"system": ICD10GM, "code": "C49.2"}
    result = run(_primary(c49, {"system": ICDO3, "code": code}))
    assert result.case.primary.site == "sarcoma"
    assert result.case.sarcoma is not None and result.case.sarcoma.subtype == subtype
    # The same morphology beside a carcinoma names no subtype.
    lung = run(_primary(C34, {"system": ICDO3, "code": code}))
    assert lung.case.sarcoma is None

"""Drugs that change a procedure arrive from FHIR in prior_therapy.current_medication: a
MedicationRequest, MedicationStatement or MedicationAdministration whose ATC code is in the
code table (system and code together), current by its status and date; a bundle without any
of them leaves the field out (unknown, not "none")."""

from __future__ import annotations

from typing import Any

from osteoboard.engine import evaluate
from osteoboard.fhir.codes import load_fhir_codes
from osteoboard.guideline import load_knowledge_base
from tests.fhir.test_import import run

ATC = "http://www.whocc.no/atc"


def _med(rid: str, rtype: str, code: str, status: str, **when: Any) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": rtype,
        "id": rid,
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
        "subject": {"reference": "Patient/pat-1"},
        **when,
    }
    if rtype == "MedicationRequest":
        res["intent"] = "order"
    return res


def test_current_drugs_are_read_by_atc_code_once_each() -> None:
    result = run(
        _med("apx1", "MedicationRequest", "B01AF02", "active", authoredOn="2026-01-10"),
        _med("apx2", "MedicationRequest", "B01AF02", "active", authoredOn="2026-10-01"),
        _med("cabo", "MedicationStatement", "L01EX07", "active", effectiveDateTime="2026-11-01"),
        # Stopped two months before the board: not current.
        _med(
            "dabra", "MedicationStatement", "L01EC02", "completed", effectiveDateTime="2026-09-20"
        ),
        # A completed infusion 2 weeks before the board: still current.
        _med(
            "bev",
            "MedicationAdministration",
            "L01FG01",
            "completed",
            effectiveDateTime="2026-11-06",
        ),
        # Not a drug of the table: reported as unused.
        _med("ppi", "MedicationRequest", "A02BC02", "active", authoredOn="2026-01-10"),
    )
    assert result.case.prior_therapy.current_medication == [
        "apixaban",
        "cabozantinib",
        "bevacizumab",
    ]
    unused = {u.resource: u.reason.en for u in result.report.unused}
    assert "ended" in unused["MedicationStatement/dabra"]
    assert "code table" in unused["MedicationRequest/ppi"]
    # The imported names are the knowledge base's: the warnings read them.
    proposal = evaluate(result.case)
    assert not [w for w in proposal.warnings if w.code == "WARN.BRAF_MEK_RADIOTHERAPY"]


def test_the_same_code_in_another_system_is_not_read() -> None:
    res = _med("apx", "MedicationRequest", "B01AF02", "active", authoredOn="2026-01-10")
    res["medicationCodeableConcept"]["coding"][0]["system"] = "http://snomed.info/sct"
    assert run(res).case.prior_therapy.current_medication is None


def test_a_bundle_without_such_drugs_leaves_the_medication_unknown() -> None:
    zol = _med("zol", "MedicationRequest", "M05BA08", "active", authoredOn="2026-01-10")
    result = run(zol)
    assert result.case.prior_therapy.bone_modifying_agent == "zoledronic_acid"
    assert result.case.prior_therapy.current_medication is None


def test_every_code_names_a_drug_of_a_class() -> None:
    kb = load_knowledge_base()
    for entry in load_fhir_codes().data.current_medications:
        therapy = kb.therapies.get(entry.drug)
        assert therapy is not None and therapy.drug_class is not None, entry.drug

"""Systemic cancer drugs from FHIR (WHO ATC): what the case format records of them - an
androgen-receptor-pathway inhibitor, a taxane, abiraterone now, the start of androgen
deprivation (prostate cancer), the myeloma drugs a patient was exposed to and the sarcoma
agents given. Without them a patient on abiraterone and leuprorelin since 2019 was told to
start androgen deprivation, and a myeloma on daratumumab and lenalidomide to start first-line
therapy. A course written as one order per injection starts at its first order."""

from __future__ import annotations

from typing import Any

from osteoboard.fhir.codes import load_fhir_codes
from osteoboard.guideline import load_knowledge_base
from tests.fhir.test_current_medication_import import _med
from tests.fhir.test_import import run

GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"


def _primary(code: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "primary",
        "code": {"coding": [{"system": GM, "code": code}]},
        "subject": {"reference": "Patient/pat-1"},
    }


def _prostate_drugs() -> list[dict[str, Any]]:
    return [
        _med("abi", "MedicationStatement", "L02BX03", "active", effectiveDateTime="2026-06-01"),
        _med("enza", "MedicationStatement", "L02BB04", "stopped", effectiveDateTime="2025-12-01"),
        _med("doce", "MedicationStatement", "L01CD02", "completed", effectiveDateTime="2024-08-01"),
        # Leuprorelin three-monthly since 2019 (one administration per depot injection; the
        # last one ten weeks before the board is still working).
        *[
            _med(
                f"leu-{i}",
                "MedicationAdministration",
                "L02AE02",
                "completed",
                effectiveDateTime=day,
            )
            for i, day in enumerate(
                ["2019-03-01", "2019-05-29", "2019-08-26", "2019-11-22"]
                + [
                    f"{year}-{month}-15"
                    for year in range(2020, 2026)
                    for month in ("02", "05", "08", "11")
                ]
                + ["2026-02-10", "2026-05-10", "2026-08-10", "2026-09-15"]
            )
        ],
    ]


def test_prostate_drugs_set_what_the_case_records_of_them() -> None:
    result = run(_primary("C61"), *_prostate_drugs())
    prior = result.case.prior_therapy
    assert prior.abiraterone_current is True and prior.arpi_received is True
    assert prior.taxane_received is True and prior.chemotherapy is True
    assert prior.androgen_deprivation_since.isoformat() == "2019-03-01"
    since = next(
        f for f in result.report.fields if f.field == "prior_therapy.androgen_deprivation_since"
    )
    assert since.note is not None and "fortlaufenden Gaben" in since.note.de


def test_a_gap_longer_than_the_depot_ends_the_course() -> None:
    # ADT paused from 2021 to 2025 (intermittent therapy): the current course starts in 2025.
    days = ["2020-01-10", "2020-07-10", "2021-01-10", "2025-06-01", "2025-12-01", "2026-06-01"]
    drugs = [
        _med(f"leu-{i}", "MedicationAdministration", "L02AE02", "completed", effectiveDateTime=d)
        for i, d in enumerate(days)
    ]
    prior = run(_primary("C61"), *drugs).case.prior_therapy
    assert prior.androgen_deprivation_since.isoformat() == "2025-06-01"
    # Its last dose more than the depot's 6 months (and a margin) before the board: no
    # current androgen deprivation at all.
    old = run(_primary("C61"), drugs[0], drugs[1]).case.prior_therapy
    assert old.androgen_deprivation_since is None


def test_prostate_fields_are_not_read_for_another_primary() -> None:
    # Goserelin for ovarian suppression and docetaxel in breast cancer: chemotherapy given,
    # but no androgen deprivation or prostate-cancer field, and the report says why.
    result = run(
        _primary("C50.4"),
        _med("gos", "MedicationStatement", "L02AE03", "active", effectiveDateTime="2026-10-01"),
        _med("doce", "MedicationStatement", "L01CD02", "completed", effectiveDateTime="2025-01-10"),
    )
    prior = result.case.prior_therapy
    assert prior.chemotherapy is True
    assert prior.taxane_received is None and prior.androgen_deprivation_since is None
    reasons = [
        u.reason.en for u in result.report.unused if u.resource == "MedicationStatement/doce"
    ]
    assert any("read for a prostate primary only" in r for r in reasons)


def test_myeloma_drugs_are_its_exposure_and_a_running_line() -> None:
    result = run(
        _primary("C90.00"),
        _med("dara", "MedicationRequest", "L01FC01", "active", authoredOn="2026-09-01"),
        _med("len", "MedicationStatement", "L04AX04", "active", effectiveDateTime="2026-09-01"),
        _med("bor", "MedicationStatement", "L01XX32", "completed", effectiveDateTime="2024-03-01"),
    )
    case = result.case
    assert sorted(case.myeloma.exposed_to) == ["bortezomib", "daratumumab", "lenalidomide"]
    assert sorted(case.prior_therapy.current_medication) == ["daratumumab", "lenalidomide"]


def test_sarcoma_agents_given_are_its_prior_agents() -> None:
    result = run(
        _primary("C49.2"),
        _med(
            "dox",
            "MedicationAdministration",
            "L01DB01",
            "completed",
            effectiveDateTime="2025-04-01",
        ),
        _med(
            "tra",
            "MedicationAdministration",
            "L01CX01",
            "completed",
            effectiveDateTime="2026-02-01",
        ),
    )
    case = result.case
    assert case.sarcoma is not None and case.sarcoma.prior_agents == ["doxorubicin", "trabectedin"]
    assert case.prior_therapy.chemotherapy is True


def test_a_bone_agent_given_as_one_order_per_injection_starts_at_the_first() -> None:
    # Denosumab every 4 weeks since April 2025, each injection a completed order.
    orders = [
        _med(
            f"xg-{i}",
            "MedicationRequest",
            "M05BX04",
            "completed",
            authoredOn=f"{2025 + (3 + i) // 12}-{(3 + i) % 12 + 1:02d}-01",
        )
        for i in range(20)
    ]
    prior = run(_primary("C50.4"), *orders).case.prior_therapy
    assert prior.bone_modifying_agent == "denosumab"
    assert prior.bone_modifying_agent_since.isoformat() == "2025-04-01"


def test_every_systemic_drug_names_what_the_case_knows() -> None:
    kb = load_knowledge_base()
    for entry in load_fhir_codes().data.systemic_therapies:
        assert (
            entry.received
            or entry.current
            or entry.adt
            or entry.myeloma_drug
            or (entry.sarcoma_agent)
        ), entry.display
        if entry.drug is not None:
            therapy = kb.therapies.get(entry.drug)
            assert therapy is not None and therapy.drug_class == "myeloma_drug", entry.drug

"""A denosumab that has ended within the rebound window arrives from FHIR as
prior_therapy.denosumab_stopped_recently: a completed or stopped statement, an ended order
or an administration whose last date lies at most 548 days (about 18 months, Prolia SmPC)
before the board, and no entry that shows denosumab as current. The proposal then covers the
rebound with a bisphosphonate."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.engine import evaluate
from tests.fhir.test_import import run

ATC = "http://www.whocc.no/atc"
DENOSUMAB = "M05BX04"
ZOLEDRONIC_ACID = "M05BA08"


def _statement(rid: str, status: str, day: str, code: str = DENOSUMAB) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
        "subject": {"reference": "Patient/pat-1"},
        "effectiveDateTime": day,
    }


def _request(rid: str, status: str, authored: str, end: str | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": DENOSUMAB}]},
        "subject": {"reference": "Patient/pat-1"},
        "authoredOn": authored,
    }
    if end is not None:
        res["dosageInstruction"] = [
            {"timing": {"repeat": {"boundsPeriod": {"start": authored, "end": end}}}}
        ]
    return res


def _administration(rid: str, day: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": DENOSUMAB}]},
        "subject": {"reference": "Patient/pat-1"},
        "effectiveDateTime": day,
    }


def _stopped(result: Any) -> bool | None:
    return result.case.prior_therapy.denosumab_stopped_recently


@pytest.mark.parametrize(
    "resource",
    [
        _statement("st", "stopped", "2026-06-01"),
        _statement("st", "completed", "2026-03-01"),  # past the 112 days it counts as current
        _request("rq", "stopped", "2025-12-01"),
        _request("rq", "completed", "2024-01-15", end="2026-02-01"),
        _request("rq", "stopped", "2026-05-20", end="2028-05-20"),  # stopped before its end
        _administration("ad", "2026-03-10"),  # longer ago than any dosing interval
    ],
)
def test_denosumab_ended_within_the_window_is_stopped_recently(resource: dict[str, Any]) -> None:
    result = run(resource)
    assert _stopped(result) is True
    assert result.case.prior_therapy.bone_modifying_agent is None
    (source,) = [
        f for f in result.report.fields if f.field == "prior_therapy.denosumab_stopped_recently"
    ]
    assert source.resource.endswith(resource["id"])
    assert not [u for u in result.report.unused if u.resource.endswith(resource["id"])]
    # The proposal covers the rebound.
    codes = {i.code for i in evaluate(result.case).recommendations}
    assert "BMA.DENOSUMAB_REBOUND_PREVENTION" in codes


@pytest.mark.parametrize(
    "resource",
    [
        _statement("st", "completed", "2024-11-01"),  # two years ago
        _request("rq", "stopped", "2024-06-01"),  # ended some time since: not known when
        _administration("ad", "2025-03-01"),  # 20 months before the board
        # Mid-interval, not stopped: a Prolia-type injection five months ago (dose not
        # known, so the longest interval counts).
        _administration("ad", "2026-06-20"),
        _statement("st", "stopped", "2026-06-01", code=ZOLEDRONIC_ACID),
    ],
)
def test_an_old_end_or_another_drug_says_nothing_of_a_recent_stop(
    resource: dict[str, Any],
) -> None:
    result = run(resource)
    assert _stopped(result) is None
    (unused,) = [u for u in result.report.unused if u.resource.endswith(resource["id"])]
    assert "ended" in unused.reason.en or "beendet" in unused.reason.de


def test_completed_single_dose_orders_every_four_weeks_are_the_current_therapy() -> None:
    """German systems write one completed order per Xgeva injection: four of them, the last 28
    days before the board, are the current denosumab at 120 mg since the first - not an
    ended therapy beside which zoledronic acid or denosumab would be started."""
    orders = []
    for i, day in enumerate(("2026-07-31", "2026-08-28", "2026-09-25", "2026-10-23")):
        order = _request(f"x{i}", "completed", day)
        order["dosageInstruction"] = [
            {
                "timing": {"repeat": {"count": 1}},
                "doseAndRate": [{"doseQuantity": {"value": 120, "unit": "mg"}}],
            }
        ]
        orders.append(order)
    result = run(*orders)
    prior = result.case.prior_therapy
    assert str(prior.bone_modifying_agent).endswith("denosumab")
    assert str(prior.bone_modifying_agent_dose).endswith("bone_metastasis")
    assert str(prior.bone_modifying_agent_since) == "2026-07-31"
    assert _stopped(result) is None
    codes = {i.code for i in evaluate(result.case).recommendations}
    assert not codes & {"BMA.ZOLEDRONIC_ACID", "DX.DENTAL_EXAM"}
    # A completed order whose last dose lies past any interval (dose unknown: Prolia's) is
    # an ended therapy.
    old = _request("old", "completed", "2026-03-01")
    result = run(old)
    assert result.case.prior_therapy.bone_modifying_agent is None
    assert _stopped(result) is True


def test_a_current_denosumab_is_not_stopped() -> None:
    result = run(
        _statement("old", "stopped", "2026-05-01"),
        _statement("now", "active", "2026-11-01"),
    )
    assert _stopped(result) is None
    assert str(result.case.prior_therapy.bone_modifying_agent) in {
        "denosumab",
        "BoneModifyingAgent.denosumab",
    }
    (unused,) = [u for u in result.report.unused if u.resource.endswith("old")]
    assert "later entry shows it as current" in unused.reason.en


def test_switched_to_zoledronic_acid_the_rebound_is_covered() -> None:
    result = run(
        _statement("dmab", "stopped", "2026-05-01"),
        _statement("zol", "active", "2026-10-20", code=ZOLEDRONIC_ACID),
    )
    assert _stopped(result) is True
    proposal = evaluate(result.case)
    codes = {i.code for i in [*proposal.recommendations, *proposal.warnings]}
    assert "BMA.DENOSUMAB_REBOUND_PREVENTION" not in codes


def test_without_a_board_date_today_is_the_reference() -> None:
    import datetime as dt

    recent = (dt.date.today() - dt.timedelta(days=200)).isoformat()
    result = run(_statement("st", "stopped", recent), board=None)
    assert _stopped(result) is True


def test_the_day_a_statement_was_written_is_no_last_dose() -> None:
    statement = _statement("st", "stopped", "2026-06-01")
    del statement["effectiveDateTime"]
    statement["dateAsserted"] = "2026-11-01"
    assert _stopped(run(statement)) is None

"""Renal deterioration during a course of zoledronic acid or pamidronate (Zometa and Aredia
product information): a rise in serum creatinine of 0.5 mg/dL from a baseline below 1.4 mg/dL,
or of 1.0 mg/dL from a higher one, withholds the next dose until creatinine is back within
10 % of the baseline. The baseline is a case field (labs.creatinine_baseline_umol_l, or in
mg/dL); without it no rise is measured and nothing changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus

CASES = Path(__file__).resolve().parent / "cases"


def _course(agent: str, **labs: Any) -> Any:
    return evaluate(
        parse_case(
            {
                "id": "bp-renal",
                "board_date": "2026-11-28",
                "patient": {"age": 66, "sex": "male", "weight_kg": 82, "ecog": 1},
                "primary": {"site": "kidney", "histology_confirmed": True},
                "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 2},
                "prior_therapy": {"bone_modifying_agent": agent},
                "labs": {"calcium_mmol_l": 2.3, "albumin_g_l": 40, **labs},
            }
        )
    )


def _codes(p: Any) -> dict[str, Any]:
    return {i.code: i for i in [*p.recommendations, *p.warnings]}


def test_a_rise_of_half_a_milligram_withholds_the_next_zoledronic_acid_dose() -> None:
    # Baseline 1.0 mg/dL (88.4 µmol/L), now 140 µmol/L: a rise of 51.6 µmol/L.
    p = _course("zoledronic_acid", creatinine_umol_l=140, creatinine_baseline_mg_dl=1.0)
    items = _codes(p)
    assert "BMA.ZOLEDRONIC_ACID" not in items
    warning = items["WARN.RENAL_BISPHOSPHONATE"]
    assert warning.status is ItemStatus.firm
    assert warning.rule == "bone_modifying_agents.bisphosphonate_renal_deterioration"
    assert "von 88,42 auf 140 µmol/l" in warning.text.de
    assert "nächste Gabe aussetzen" in warning.text.de


def test_the_same_creatinine_without_a_rise_keeps_the_dose() -> None:
    p = _course("zoledronic_acid", creatinine_umol_l=140, creatinine_baseline_umol_l=130)
    items = _codes(p)
    assert items["BMA.ZOLEDRONIC_ACID"].status is ItemStatus.firm
    assert "WARN.RENAL_BISPHOSPHONATE" not in items
    # Without a baseline no rise is measured: the dose by clearance, as before.
    unknown = _codes(_course("zoledronic_acid", creatinine_umol_l=140))
    assert unknown["BMA.ZOLEDRONIC_ACID"].status is ItemStatus.firm


def test_pamidronate_waits_too() -> None:
    items = _codes(_course("pamidronate", creatinine_umol_l=220, creatinine_baseline_umol_l=125))
    assert "BMA.PAMIDRONATE" not in items
    assert items["WARN.RENAL_BISPHOSPHONATE"].rule.endswith("renal_deterioration")


def test_the_baseline_is_checked_like_any_creatinine() -> None:
    try:
        parse_case(
            {"id": "x", "labs": {"creatinine_baseline_umol_l": 1.1, "creatinine_umol_l": 90}}
        )
    except CaseError as exc:
        assert "creatinine_baseline_umol_l" in str(exc)
    else:
        raise AssertionError("a creatinine of 1.1 µmol/L was accepted")


def test_an_unmeasured_baseline_costs_no_completions_elsewhere() -> None:
    # The renal check is part of every zoledronic-acid rule: read as open numbers, the baseline
    # and the rise multiplied the completions explored and a firm dose item was lost (weight
    # missing, so the clearance is a range).
    doc = yaml.safe_load(
        (CASES / "052-breast-marrow-infiltration-cytopenia.yaml").read_text(encoding="utf-8")
    )
    items = _codes(evaluate(parse_case(doc["case"])))
    assert items["BMA.ZOLEDRONIC_ACID"].status is ItemStatus.firm
    assert "BMA.DURATION_INTERVAL" in items

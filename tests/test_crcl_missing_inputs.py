"""A creatinine clearance known only as a range names what it lacks - the weight, the sex or
both - and never an input the referral documents (labs.crcl_missing)."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import Proposal


def run(creatinine: float = 292, **patient: Any) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "crcl-range",
                "board_date": "2026-11-27",
                "patient": {"age": 72, **patient},
                "primary": {"site": "breast"},
                "prior_therapy": {"bone_modifying_agent": "zoledronic_acid"},
                "labs": {"calcium_mmol_l": 2.3, "albumin_g_l": 38, "creatinine_umol_l": creatinine},
                "bone_metastases": {"vertebral_count": 4, "extraspinal_count": 3},
            }
        )
    )


def warning(p: Proposal, code: str) -> str:
    (item,) = [w for w in p.warnings if w.code == code]
    return item.text.de


@pytest.mark.parametrize(
    ("patient", "named", "not_named"),
    [
        ({"sex": "female"}, "(Gewicht fehlt)", "Geschlecht"),
        # 60 kg, 164 µmol/L: 25.9 (female) to 30.5 (male) mL/min, across the threshold.
        ({"weight_kg": 60, "creatinine": 164}, "(Geschlecht fehlt)", "Gewicht"),
        ({}, "(Gewicht und Geschlecht fehlen)", "Gewicht oder Geschlecht"),
    ],
)
def test_the_renal_warning_names_only_the_missing_input(
    patient: dict[str, Any], named: str, not_named: str
) -> None:
    text = warning(run(**patient), "WARN.RENAL_BISPHOSPHONATE")
    assert named in text
    assert not_named not in text


def test_an_exact_clearance_uses_the_plain_warning() -> None:
    text = warning(run(sex="female", weight_kg=60), "WARN.RENAL_BISPHOSPHONATE")
    assert "fehlt" not in text and "fehlen" not in text

"""An NSAID named on the current medication ("Ibuprofen 400 mg 1-1-1", "Arcoxia 90") counts
as current NSAID use when the referral does not say so itself: with a creatinine clearance
below 60 mL/min the renal warning is firm, and the NSAID question is not asked. A stated
answer wins over the list; metamizole is no NSAID here."""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import Proposal


def _case(prior: dict[str, Any]) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "nsaid-list",
                "board_date": "2026-12-03",
                "patient": {"age": 74, "sex": "male", "weight_kg": 70, "ecog": 1},
                "primary": {"site": "prostate", "castration_status": "resistant"},
                # Clearance about 40 mL/min (Cockcroft-Gault).
                "labs": {"creatinine_umol_l": 160, "calcium_mmol_l": 2.3, "albumin_g_l": 40},
                "prior_therapy": prior,
            }
        )
    )


def _renal(p: Proposal) -> list[str]:
    return [str(w.status) for w in p.warnings if w.code == "WARN.NSAID_RENAL"]


@pytest.mark.parametrize(
    "entry", ["Ibuprofen 400 mg 1-1-1", "Arcoxia 90 mg 1-0-0", "Diclofenac-Natrium 75 mg"]
)
def test_an_nsaid_on_the_list_is_current_nsaid_use(entry: str) -> None:
    p = _case({"current_medication": ["Pantoprazol 40 mg", entry]})
    assert _renal(p) == ["firm"]
    assert not [q for q in p.questions if q.fact == "prior.nsaid_current"]
    assert "prior_therapy.nsaid_current" not in {m.field for m in p.missing_data}


def test_no_nsaid_on_the_list_leaves_the_question_open() -> None:
    p = _case({"current_medication": ["Novaminsulfon 500 mg 1-1-1-1", "Pantoprazol 40 mg"]})
    assert _renal(p) != ["firm"]
    assert "prior_therapy.nsaid_current" in {m.field for m in p.missing_data}


def test_a_stated_answer_wins_over_the_list() -> None:
    p = _case({"current_medication": ["Ibuprofen 400 mg bei Bedarf"], "nsaid_current": False})
    assert _renal(p) == []

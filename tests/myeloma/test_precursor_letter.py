"""A myeloma precursor (smouldering myeloma) without a course of values: no short-prognosis
palliative branch from the bone-metastasis scores, and no letter saying its values are stable."""

from __future__ import annotations

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.render.letter import build_letter

CASE = {
    "id": "mm-precursor-1",
    "board_date": "2026-11-20",
    "patient": {"age": 61, "sex": "female", "ecog": 0},
    "primary": {"site": "myeloma"},
    "myeloma": {
        "stage": "smouldering",
        "baseline": {"serum_m_g_dl": 2.6, "involved_flc_mg_l": 410, "uninvolved_flc_mg_l": 14},
        "bm_plasma_cells_pct": 30,
    },
}


def test_a_precursor_gets_no_palliative_branch_from_the_scores() -> None:
    proposal = evaluate(parse_case(CASE))
    codes = {i.code for i in [*proposal.recommendations, *proposal.warnings]}
    assert "MM.MONITOR" in codes
    assert "SUP.PALLIATIVE_CARE" not in codes  # not even conditional
    # the team's own estimate still counts
    short = dict(CASE, patient={**CASE["patient"], "life_expectancy_months": 2})
    assert "SUP.PALLIATIVE_CARE" in {i.code for i in evaluate(parse_case(short)).recommendations}


def test_the_letter_of_a_precursor_does_not_call_unmeasured_values_stable() -> None:
    case = parse_case(CASE)
    text = " ".join(build_letter(evaluate(case), case).plain_text().split())
    assert "Ihre Werte sind stabil" not in text
    assert "Darum braucht sie noch keine Krebsbehandlung" in text


def test_a_precursor_with_a_biomarker_of_myeloma_is_not_told_it_needs_no_treatment() -> None:
    doc = dict(CASE, myeloma={**CASE["myeloma"], "bm_plasma_cells_pct": 65})
    case = parse_case(doc)
    text = " ".join(build_letter(evaluate(case), case).plain_text().split())
    assert "Darum braucht sie noch keine Krebsbehandlung" not in text
    assert "Es macht schon Schäden" not in text  # nothing of the kind is documented
    assert "Ihr Team prüft die Einordnung" in text

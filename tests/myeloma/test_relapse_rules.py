"""The relapse tiers as rules of the knowledge base (seed 004, SPEC §6): monitoring only on a
documented stable course, close monitoring on progression without a treatment trigger, and
start or switch therapy for newly diagnosed active myeloma, clinical relapse (CRAB values read
from the labs and lesions of the case) or significant paraprotein relapse."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from osteoboard.caseio import load_case, parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import Proposal, Recommendation

ROOT = Path(__file__).resolve().parents[2]


def mm_items(p: Proposal) -> dict[str, Recommendation]:
    return {r.code: r for r in p.recommendations if r.code.startswith("MM.")}


def case(**patch: Any) -> dict[str, Any]:
    """Active myeloma after two lines, stable paraprotein, labs without CRAB values."""
    doc: dict[str, Any] = {
        "id": "mm-tiers",
        "board_date": "2026-11-20",
        "patient": {"age": 67, "sex": "male", "weight_kg": 80},
        "primary": {"site": "myeloma"},
        "labs": {
            "calcium_mmol_l": 2.35,
            "albumin_g_l": 38,
            "creatinine_umol_l": 80,
            "hemoglobin_g_dl": 11.8,
        },
        "myeloma": {
            "stage": "active",
            "baseline": {"serum_m_g_dl": 3.0},
            "series": [
                {"date": "2026-01-01", "serum_m_g_dl": 0.4},
                {"date": "2026-04-01", "serum_m_g_dl": 0.4},
                {"date": "2026-07-01", "serum_m_g_dl": 0.45},
            ],
            "prior_lines": 2,
        },
    }
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = copy.deepcopy(value)
    return doc


def run(doc: dict[str, Any]) -> Proposal:
    return evaluate(parse_case(doc))


def test_stable_course_is_monitored_with_the_assumption_named() -> None:
    items = mm_items(run(case()))
    assert set(items) == {"MM.MONITOR"}
    monitor = items["MM.MONITOR"]
    assert monitor.status.value == "firm"
    # New bone lesions are reported when found; none reported is read as none, and said so.
    assert [a.fact for a in monitor.assumed] == ["mm.new_bone_lesions"]


def test_an_open_tier_is_never_monitoring() -> None:
    # Haemoglobin not measured and the referral does not say whether anything is new: the
    # anaemia criterion is open, so the stable paraprotein alone does not make it "monitor".
    doc = case(labs={"hemoglobin_g_dl": None})
    p = run(doc)
    assert "MM.MONITOR" not in mm_items(p)
    needs = {m.field: m.needed_for for m in p.missing_data}
    assert "myeloma.monitor" in needs["labs.hemoglobin_g_dl"]
    # Stated not new: the tier is decided again.
    doc["myeloma"]["new_crab"] = {"anemia": False}
    assert set(mm_items(run(doc))) == {"MM.MONITOR"}


def test_example_09_progression_without_trigger_is_close_monitoring() -> None:
    p = evaluate(load_case(ROOT / "examples/09-myeloma-relapse.yaml"))
    items = mm_items(p)
    assert set(items) == {"MM.CLOSE_MONITORING"}
    assert items["MM.CLOSE_MONITORING"].status.value == "firm"


def test_new_hypercalcaemia_in_the_labs_is_a_clinical_relapse() -> None:
    # Corrected calcium 2.94 mmol/L (> 2.75), the referral silent on whether it is new.
    items = mm_items(run(case(labs={"calcium_mmol_l": 2.9})))
    assert set(items) == {"MM.START_OR_SWITCH_THERAPY"}
    assert items["MM.START_OR_SWITCH_THERAPY"].status.value == "firm"
    assert items["MM.START_OR_SWITCH_THERAPY"].rule == "myeloma.start_or_switch"


def test_renal_impairment_in_the_labs_asks_whether_it_is_due_to_myeloma() -> None:
    p = run(case(labs={"creatinine_umol_l": 250}))
    start = mm_items(p)["MM.START_OR_SWITCH_THERAPY"]
    assert start.status.value == "conditional"
    assert [c.fact for c in start.conditions] == ["mm.new_crab_renal"]
    assert "due to myeloma" in start.conditions[0].text.en
    assert "MM.MONITOR" not in mm_items(p)
    needs = {m.field: m.needed_for for m in p.missing_data}
    assert "myeloma.start_or_switch" in needs["myeloma.new_crab.renal"]
    # Stated either way, the tier is decided.
    stated = case(labs={"creatinine_umol_l": 250}, myeloma={"new_crab": {"renal": True}})
    assert mm_items(run(stated))["MM.START_OR_SWITCH_THERAPY"].status.value == "firm"
    old = case(labs={"creatinine_umol_l": 250}, myeloma={"new_crab": {"renal": False}})
    assert set(mm_items(run(old))) == {"MM.MONITOR"}


def test_newly_diagnosed_active_myeloma_with_crab_starts_therapy() -> None:
    doc = case(
        myeloma={
            "stage": "active",
            "crab": {"hypercalcemia": True, "renal": False, "anemia": False, "bone": True},
            "bm_plasma_cells_pct": 80,
            "prior_lines": 0,
        }
    )
    items = mm_items(run(doc))
    # Without renal impairment (tests/myeloma/test_renal_impairment.py): soon, no kidney item.
    assert set(items) == {"MM.START_OR_SWITCH_THERAPY"}
    start = items["MM.START_OR_SWITCH_THERAPY"]
    assert start.status.value == "firm" and start.rule == "myeloma.start_first_line"
    assert "first-line" in start.text.en
    # Prior lines not stated: the first-line item waits for that answer.
    doc["myeloma"]["prior_lines"] = None
    unknown = mm_items(run(doc))["MM.START_OR_SWITCH_THERAPY"]
    assert unknown.status.value == "conditional"
    assert [c.fact for c in unknown.conditions] == ["mm.untreated"]


def test_precursor_is_monitored_whatever_the_course() -> None:
    doc = case(myeloma={"stage": "smouldering", "new_crab": {"bone": True}})
    assert set(mm_items(run(doc))) == {"MM.MONITOR"}


def test_a_precursor_with_a_documented_biomarker_of_myeloma_is_checked_not_monitored() -> None:
    """SLiM (IMWG 2014): 60 % clonal marrow plasma cells, or a light chain ratio of 100 or more
    with the involved chain at 100 mg/L or more, is myeloma needing therapy - a case reported
    as smouldering with it gets the stage checked, not "monitor only"."""
    marrow = case(myeloma={"stage": "smouldering", "bm_plasma_cells_pct": 65})
    items = mm_items(run(marrow))
    assert set(items) == {"MM.START_OR_SWITCH_THERAPY"}
    assert items["MM.START_OR_SWITCH_THERAPY"].strength == "conditional"
    assert "IMWG" in items["MM.START_OR_SWITCH_THERAPY"].text.de
    light_chains = case(
        myeloma={
            "stage": "smouldering",
            "baseline": {"serum_m_g_dl": 1.5, "involved_flc_mg_l": 1650, "uninvolved_flc_mg_l": 11},
        }
    )
    assert set(mm_items(run(light_chains))) == {"MM.START_OR_SWITCH_THERAPY"}
    below = case(myeloma={"stage": "smouldering", "bm_plasma_cells_pct": 55})
    assert set(mm_items(run(below))) == {"MM.MONITOR"}


def test_a_painful_lesion_with_its_imaging_pending_may_be_a_clinical_relapse() -> None:
    """A vertebra that hurts now, no imaging finding of it reported: whether it is a new lesion
    (a clinical relapse, IMWG) is open, not "none reported"; once the referral says it is not
    new, or its imaging is documented, the stable course is monitoring again."""
    painful = [{"id": "L1", "region": "spine", "level": "L1", "pain": "mechanical", "pain_vas": 7}]
    p = run(case(lesions=painful))
    assert "MM.MONITOR" not in mm_items(p)  # an open tier is never monitoring
    needs = {m.field: m.needed_for for m in p.missing_data}
    assert {"myeloma.monitor", "myeloma.start_or_switch"} <= set(needs["myeloma.new_crab.bone"])
    stated = case(lesions=painful)
    stated["myeloma"]["new_crab"] = {"bone": False}
    assert set(mm_items(run(stated))) == {"MM.MONITOR"}
    imaged = [{**painful[0], "type": "lytic", "escc_grade": "0"}]
    assert set(mm_items(run(case(lesions=imaged)))) == {"MM.MONITOR"}


def test_a_running_first_line_is_continued_unless_it_progresses() -> None:
    """VRd on the current medication, no prior line counted: continue it (not "start
    first-line"); with progression criteria met on it, the second line is decided."""
    running = case(
        myeloma={"prior_lines": 0, "crab": {"renal": True, "anemia": True, "bone": True}},
        prior_therapy={"current_medication": ["Lenalidomid 25 mg", "Bortezomib s.c."]},
    )
    start = mm_items(run(running))["MM.START_OR_SWITCH_THERAPY"]
    assert start.rule == "myeloma.first_line_running" and "fortführen" in start.text.de
    rising = copy.deepcopy(running)
    rising["myeloma"]["series"] = [
        {"date": "2026-05-01", "serum_m_g_dl": 0.8},
        {"date": "2026-08-01", "serum_m_g_dl": 1.9},
        {"date": "2026-10-01", "serum_m_g_dl": 2.8},
    ]
    switch = mm_items(run(rising))["MM.START_OR_SWITCH_THERAPY"]
    assert switch.rule == "myeloma.first_line_progression"
    assert "Zweitlinientherapie" in switch.text.de
    fresh = case(myeloma={"prior_lines": 0, "crab": {"renal": True, "anemia": True, "bone": True}})
    assert mm_items(run(fresh))["MM.START_OR_SWITCH_THERAPY"].rule.startswith(
        "myeloma.start_first_line"
    )

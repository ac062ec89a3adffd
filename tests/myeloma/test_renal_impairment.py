"""Renal impairment at the diagnosis of active myeloma (IMWG renal recommendations, Dimopoulos
et al., J Clin Oncol 2016): first-line therapy starts at once (bortezomib-based, high-dose
dexamethasone), and the kidney is protected (fluids, no nephrotoxic drugs or contrast,
nephrology). Renal impairment is the CRAB feature as documented, or the labs: creatinine above
177 µmol/L (2 mg/dL), or a clearance or eGFR below 40 mL/min."""

from __future__ import annotations

import json
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus
from osteoboard.render.letter import build_letter
from tests.myeloma.test_relapse_rules import case as relapse_case
from tests.myeloma.test_relapse_rules import mm_items, run


def case(**patch: Any) -> dict[str, Any]:
    """Newly diagnosed active myeloma with anaemia and lytic lesions, renal labs normal (a man
    of 67 and 80 kg, creatinine 80 µmol/L); ``patch`` merges into its sections."""
    base: dict[str, Any] = {
        "myeloma": {
            "stage": "active",
            "crab": {"hypercalcemia": False, "renal": False, "anemia": True, "bone": True},
            "prior_lines": 0,
        },
        "labs": {"hemoglobin_g_dl": 8.9},
    }
    for key, value in patch.items():
        base[key] = {**base.get(key, {}), **value}
    return relapse_case(**base)


def test_creatinine_above_2_mg_dl_makes_the_start_urgent_with_the_renal_regimen() -> None:
    p = run(case(labs={"creatinine_umol_l": 292}))  # 3.3 mg/dL
    items = mm_items(p)
    start = items["MM.START_OR_SWITCH_THERAPY"]
    assert start.rule == "myeloma.start_first_line_renal"
    assert start.status is ItemStatus.firm and start.priority == "urgent"
    assert "sofort" in start.text.de and "Bortezomib" in start.text.de
    assert "hochdosiertem Dexamethason" in start.text.de
    assert "dimopoulos2016-imwg-renal" in start.sources
    kidney = items["MM.RENAL_PROTECTION"]
    assert kidney.status is ItemStatus.firm and kidney.priority == "urgent"
    for word in ("NSAR", "Kontrastmittel", "Nephrologie", "Flüssigkeit"):
        assert word in kidney.text.de


def test_an_egfr_below_40_counts_although_creatinine_is_below_2_mg_dl() -> None:
    # 162 µmol/L in a man of 67 and 110 kg: eGFR 39.9, Cockcroft–Gault about 61 mL/min.
    p = run(case(labs={"creatinine_umol_l": 162}, patient={"weight_kg": 110}))
    crcl = next(s for s in p.scores if s.name == "crcl_cockcroft_gault")
    assert crcl.total is not None and crcl.total > 40
    assert mm_items(p)["MM.START_OR_SWITCH_THERAPY"].priority == "urgent"
    assert "MM.RENAL_PROTECTION" in mm_items(p)


def test_the_documented_crab_feature_counts_without_creatinine() -> None:
    doc = case(myeloma={"crab": {"renal": True, "anemia": True, "bone": True}})
    del doc["labs"]["creatinine_umol_l"]
    items = mm_items(run(doc))
    assert items["MM.START_OR_SWITCH_THERAPY"].priority == "urgent"
    assert items["MM.RENAL_PROTECTION"].status is ItemStatus.firm


def test_normal_renal_function_keeps_the_start_soon_and_no_kidney_item() -> None:
    items = mm_items(run(case()))
    start = items["MM.START_OR_SWITCH_THERAPY"]
    assert start.rule == "myeloma.start_first_line" and start.priority == "soon"
    assert "MM.RENAL_PROTECTION" not in items


def test_a_relapse_is_not_a_new_diagnosis() -> None:
    doc = case(labs={"creatinine_umol_l": 292}, myeloma={"prior_lines": 2})
    items = mm_items(run(doc))
    # At relapse the kidney is protected once the referral says the impairment is new and due
    # to myeloma: the documented renal values support the item, which waits for that answer
    # (not proposed as at a new diagnosis).
    renal = items["MM.RENAL_PROTECTION"]
    assert [c.fact for c in renal.conditions] == ["mm.new_crab_renal"]
    start = items.get("MM.START_OR_SWITCH_THERAPY")
    assert start is None or start.rule != "myeloma.start_first_line_renal"


def test_declined_systemic_therapy_still_protects_the_kidney() -> None:
    doc = case(
        labs={"creatinine_umol_l": 292},
        patient={"declines": ["systemic_therapy"]},
    )
    items = mm_items(run(doc))
    assert "MM.START_OR_SWITCH_THERAPY" not in items
    assert items["MM.RENAL_PROTECTION"].status is ItemStatus.firm


def test_the_letter_explains_the_kidney_protection() -> None:
    c = parse_case(case(labs={"creatinine_umol_l": 292}))
    letter = json.dumps(build_letter(evaluate(c), c).model_dump(), ensure_ascii=False)
    assert "Die Nieren schützen" in letter
    assert "Schutz der Nieren" in letter
    quiet = parse_case(case())
    assert "Die Nieren schützen" not in json.dumps(
        build_letter(evaluate(quiet), quiet).model_dump(), ensure_ascii=False
    )


# --- at relapse (the IMWG renal recommendations cover relapsed disease too) ---------------------


def relapse(renal: bool | None, creatinine: float = 292, **patch: Any) -> dict[str, Any]:
    """Myeloma after two lines whose referral says (or not) that the renal impairment is new and
    due to myeloma; ``patch`` merges into its sections."""
    new_crab = {} if renal is None else {"new_crab": {"renal": renal}}
    base: dict[str, Any] = {"labs": {"creatinine_umol_l": creatinine}, "myeloma": new_crab}
    for key, value in patch.items():
        base[key] = {**base.get(key, {}), **value}
    return relapse_case(**base)


def test_new_renal_impairment_at_relapse_makes_the_switch_urgent_with_the_renal_regimen() -> None:
    items = mm_items(run(relapse(True)))
    switch = items["MM.START_OR_SWITCH_THERAPY"]
    assert switch.rule == "myeloma.switch_renal"
    assert switch.status is ItemStatus.firm and switch.priority == "urgent"
    text = switch.text.de
    assert "Rezidiv" in text and "sofort" in text and "Bortezomib" in text
    assert "hochdosiertem Dexamethason" in text
    # Lenalidomide by creatinine clearance, the bands of the SmPC (section 4.2).
    assert "30–49 ml/min 10 mg" in text and "7,5 mg" in text and "nach der Dialyse" in text
    assert {"dimopoulos2016-imwg-renal", "revlimid-smpc"} <= set(switch.sources)
    kidney = items["MM.RENAL_PROTECTION"]
    assert kidney.status is ItemStatus.firm and kidney.priority == "urgent"


def test_renal_impairment_not_due_to_myeloma_is_no_renal_switch() -> None:
    # The referral says the creatinine rise is not new myeloma damage (a drug, a prerenal
    # cause): no clinical relapse from it and no kidney item of the myeloma rules.
    items = mm_items(run(relapse(False)))
    assert "MM.RENAL_PROTECTION" not in items
    assert "MM.START_OR_SWITCH_THERAPY" not in items


def test_renal_labs_without_the_statement_ask_whether_the_damage_is_new() -> None:
    p = run(relapse(None))
    switch = mm_items(p)["MM.START_OR_SWITCH_THERAPY"]
    assert switch.status is ItemStatus.conditional and switch.priority == "urgent"
    assert {c.fact for c in switch.conditions} == {"mm.new_crab_renal"}


def test_normal_renal_function_at_relapse_keeps_the_switch_soon() -> None:
    doc = relapse(None, creatinine=80, myeloma={"new_crab": {"bone": True}})
    items = mm_items(run(doc))
    assert items["MM.START_OR_SWITCH_THERAPY"].rule == "myeloma.start_or_switch"
    assert items["MM.START_OR_SWITCH_THERAPY"].priority == "soon"
    assert "MM.RENAL_PROTECTION" not in items


def test_triple_class_exposed_relapse_with_renal_impairment_points_to_bcma_at_once() -> None:
    doc = relapse(True, myeloma={"exposed_to": ["lenalidomide", "bortezomib", "daratumumab"]})
    switch = mm_items(run(doc))["MM.START_OR_SWITCH_THERAPY"]
    assert switch.rule == "myeloma.switch_bcma_directed_renal"
    assert switch.priority == "urgent" and "BCMA" in switch.text.de
    assert "Bortezomib-basiert" not in switch.text.de

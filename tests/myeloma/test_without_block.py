"""A case referred as myeloma without its myeloma block: the stage, the course and the earlier
lines are unknown, not "no myeloma" (SPEC §4.1). Before, every myeloma rule stayed silent - no
renal protection beside a creatinine of 310 µmol/L, no myeloma therapy, no bone-modifying
agent - and the stage was never asked."""

from __future__ import annotations

from pathlib import Path

import yaml

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus

CASE = (
    Path(__file__).resolve().parents[1]
    / "cases"
    / "185-myeloma-referred-without-myeloma-details.yaml"
)


def test_the_myeloma_rules_read_an_unknown_stage() -> None:
    case = parse_case(yaml.safe_load(CASE.read_text(encoding="utf-8"))["case"])
    assert case.myeloma is None
    p = evaluate(case)
    items = {i.code: i for i in [*p.emergencies, *p.recommendations]}
    # The myeloma's own items, each on the condition of an active myeloma where it needs one.
    assert items["MM.START_OR_SWITCH_THERAPY"].status is ItemStatus.conditional
    assert items["BMA.DENOSUMAB"].status is ItemStatus.conditional
    assert "MM.RENAL_PROTECTION" in items
    assert items["SUP.DEXAMETHASONE"].status is ItemStatus.firm
    # The stage is asked.
    assert any("Smoldering" in q.text.de for q in p.questions)


def test_a_case_with_another_primary_has_no_myeloma_items() -> None:
    doc = yaml.safe_load(CASE.read_text(encoding="utf-8"))["case"]
    doc["primary"] = {"site": "breast"}
    p = evaluate(parse_case(doc))
    assert not any(i.code.startswith("MM.") for i in p.recommendations)

"""What the patient letter reads from the knowledge base rather than deciding itself: which
actions give a bone-modifying agent (``bone_agent``, actions.yaml) and which biopsy only
retests the markers of a metastasis not in doubt (``retests_markers``, a rule's). Both are
linted on load, and the letter follows the knowledge base it is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.render.letter import build_letter
from tests.kb_copies import edited_copy, load_error
from tests.test_request_lists import breast_doc

UNCONFIRMED = "noch nicht durch eine Gewebeprobe gesichert"
# Said only beside an agent (the tag bma_agent), not beside calcium and vitamin D alone.
DENTIST = "Sagen Sie beim Zahnarzt, dass Sie Mittel für die Knochen bekommen"


def _letter(doc: dict[str, Any], kb: KnowledgeBase) -> str:
    case = parse_case(doc)
    return build_letter(evaluate(case, kb), case, kb).plain_text()


def _loaded(kb_dir: Path) -> KnowledgeBase:
    load_knowledge_base.cache_clear()
    try:
        return load_knowledge_base(kb_dir)
    finally:
        load_knowledge_base.cache_clear()


# A first metastatic presentation of breast cancer, not documented as such: the biopsy of a
# first metastasis is conditional (the marker retest).
MARKER_RETEST = {
    "id": "kb-letter-biopsy",
    "board_date": "2026-11-20",
    "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
    "lesions": [
        {"id": "X1", "type": "lytic", "pain_vas": 6, "pathologic_fracture": True},
        {"id": "R1", "region": "rib", "side": "left"},
    ],
}

# New bone metastases of breast cancer, no agent yet, labs complete: an agent starts.
AGENT_START = breast_doc({"calcium_mmol_l": 2.35, "albumin_g_l": 40, "creatinine_umol_l": 70})


def test_the_marker_retest_biopsy_casts_no_doubt_because_its_rule_says_so(tmp_path: Path) -> None:
    kb = load_knowledge_base()
    assert kb.rules_by_id["board.biopsy_first_metastasis"].rule.retests_markers
    proposal = evaluate(parse_case(MARKER_RETEST), kb)
    biopsies = [r for r in proposal.recommendations if r.code == "DX.BIOPSY"]
    assert [(b.rule, b.status.value) for b in biopsies] == [
        ("board.biopsy_first_metastasis", "conditional")
    ]
    assert UNCONFIRMED not in _letter(MARKER_RETEST, kb)

    def plain(data: Any) -> None:
        for rule in data["rules"]:
            if rule["id"] == "board.biopsy_first_metastasis":
                rule.pop("retests_markers")

    edited = _loaded(edited_copy(tmp_path, "rules/board.yaml", plain))
    assert UNCONFIRMED in _letter(MARKER_RETEST, edited)


def test_the_dentist_advice_follows_the_actions_bone_agent(tmp_path: Path) -> None:
    kb = load_knowledge_base()
    proposal = evaluate(parse_case(AGENT_START), kb)
    firm = {r.code for r in proposal.recommendations if r.status.value == "firm"}
    agents = {code for code in firm if kb.actions[code].bone_agent}
    assert agents, firm  # an agent starts
    assert DENTIST in _letter(AGENT_START, kb)

    def no_agent(data: Any) -> None:
        for action in data:
            if action["code"] in agents:
                action.pop("bone_agent")

    edited = _loaded(edited_copy(tmp_path, "actions.yaml", no_agent))
    assert DENTIST not in _letter(AGENT_START, edited)


def test_bone_agent_only_on_bone_modifying_agent_actions(tmp_path: Path) -> None:
    def mark(data: Any) -> None:
        for action in data:
            if action["code"] == "DX.LABS_BONE":
                action["bone_agent"] = True

    kb_dir = edited_copy(tmp_path, "actions.yaml", mark)
    assert load_error(kb_dir) == (
        "actions.yaml: DX.LABS_BONE: bone_agent on an action of diagnostics, "
        "allowed only for bone_modifying_agents"
    )


def test_retests_markers_only_on_biopsy_rules(tmp_path: Path) -> None:
    def mark(data: Any) -> None:
        for rule in data["rules"]:
            if rule["id"] == "board.staging_counts_open":
                rule["retests_markers"] = True

    kb_dir = edited_copy(tmp_path, "rules/board.yaml", mark)
    assert load_error(kb_dir).endswith(
        "rule board.staging_counts_open: retests_markers on DX.WHOLE_BODY_STAGING, "
        "allowed only for DX.BIOPSY"
    )


def test_a_bisphosphonate_given_for_years_is_not_announced_as_new() -> None:
    """Zoledronic acid started before and continued by the proposal: the letter says it is
    already given, and the reaction after a first infusion is not named."""
    kb = load_knowledge_base()
    labs = {"calcium_mmol_l": 2.35, "albumin_g_l": 40, "creatinine_umol_l": 70}
    ongoing = breast_doc(labs)
    ongoing["prior_therapy"] = {"bone_modifying_agent": "zoledronic_acid"}
    ongoing["patient"]["dental_exam_done"] = True
    proposal = evaluate(parse_case(ongoing), kb)
    assert any(r.code == "BMA.ZOLEDRONIC_ACID" for r in proposal.recommendations)
    text = _letter(ongoing, kb)
    assert "Sie bekommen es schon" in text
    assert "Nach der ersten Infusion" not in text

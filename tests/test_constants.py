"""Clinical constants live in kb.yaml with their meaning and sources; the fact derivations read
them from the knowledge base, and the linter checks them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.facts import DERIVATION_CONSTANTS, case_facts, lesion_facts
from osteoboard.guideline import load_knowledge_base
from osteoboard.prognosis import derive_prognosis
from osteoboard.scores import compute_all
from tests.kb_copies import edited_copy, load_error


def test_every_constant_has_a_meaning_and_sources() -> None:
    kb = load_knowledge_base()
    for name in DERIVATION_CONSTANTS:
        assert name in kb.constants
    assert kb.constants["oligometastatic_max_metastases"] == 5
    assert kb.constants["high_risk_joints"] == ["hip", "shoulder", "sacroiliac"]
    assert kb.constants["escc_high_grades"] == ["2", "3"]


# --- the facts read the knowledge base's constants ---------------------------------------------

CASE: dict[str, Any] = {
    "id": "const-1",
    "primary": {"site": "breast"},
    "visceral_metastases": {"present": False},
    "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 3},
    "lesions": [
        {"id": "T5", "region": "spine", "level": "T5", "escc_grade": "1c"},
        {"id": "P1", "region": "pelvis", "joint": "hip"},
        {"id": "H1", "region": "long_bone", "bone": "humerus", "joint": "elbow"},
    ],
}


def _facts(
    kb_dir: Path | None, doc: dict[str, Any] = CASE
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    load_knowledge_base.cache_clear()
    try:
        kb = load_knowledge_base(kb_dir)
        case = parse_case(doc)
        scores = compute_all(case)
        prognosis = derive_prognosis(None, scores, kb.prognosis)
        cf = case_facts(case, scores, prognosis, kb=kb).values
        lf = {les.id: lesion_facts(les, scores, kb=kb).values for les in case.lesions}
    finally:
        load_knowledge_base.cache_clear()
    return cf, lf


def _constant(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["constants"][name]["value"] = value

    return change


def test_bundled_constants() -> None:
    cf, lf = _facts(None)
    assert cf["disease.oligometastatic"] is True  # 4 metastases, at most 5
    assert cf["spine.any_escc_high_grade"] is False
    assert lf["T5"]["lesion.escc_high_grade"] is False  # 1c is low grade
    assert lf["P1"]["lesion.high_risk_joint"] is True
    assert lf["H1"]["lesion.high_risk_joint"] is False  # the elbow is not high-risk


def test_oligometastatic_maximum_is_read_from_the_knowledge_base(tmp_path: Path) -> None:
    kb_dir = edited_copy(tmp_path, "kb.yaml", _constant("oligometastatic_max_metastases", 3))
    cf, _ = _facts(kb_dir)
    assert cf["disease.oligometastatic"] is False


def test_high_grade_escc_is_read_from_the_knowledge_base(tmp_path: Path) -> None:
    kb_dir = edited_copy(tmp_path, "kb.yaml", _constant("escc_high_grades", ["1c", "2", "3"]))
    cf, lf = _facts(kb_dir)
    assert lf["T5"]["lesion.escc_high_grade"] is True
    assert cf["spine.any_escc_high_grade"] is True


def test_childbearing_age_is_read_from_the_knowledge_base(tmp_path: Path) -> None:
    """The age bound of the pregnancy check (patient.childbearing_age) is kb.yaml's."""
    woman = {**CASE, "patient": {"age": 50, "sex": "female"}}
    assert _facts(None, woman)[0]["patient.childbearing_age"] is True
    kb_dir = edited_copy(tmp_path, "kb.yaml", _constant("childbearing_age_max", 49))
    assert _facts(kb_dir, woman)[0]["patient.childbearing_age"] is False


def test_high_risk_joints_are_read_from_the_knowledge_base(tmp_path: Path) -> None:
    kb_dir = edited_copy(tmp_path, "kb.yaml", _constant("high_risk_joints", ["elbow"]))
    _, lf = _facts(kb_dir)
    assert lf["P1"]["lesion.high_risk_joint"] is False
    assert lf["H1"]["lesion.high_risk_joint"] is True


# --- the linter -------------------------------------------------------------------------------


def _drop(name: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data["constants"][name]

    return change


def _edit(name: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["constants"][name].update(fields)

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _constant("high_risk_joints", ["hip", "shoulders"]),
            "kb.yaml: constants.high_risk_joints: 'shoulders' is not a joint",
        ),
        (
            _constant("prophylactic_junctional_levels", ["C7", "T13"]),
            "kb.yaml: constants.prophylactic_junctional_levels: 'T13' is not a spine level",
        ),
        (
            _constant("escc_high_grades", ["2", "3", "2"]),
            "kb.yaml: constants.escc_high_grades: '2' is listed twice",
        ),
        (
            _edit("high_risk_joints", of="joints"),
            "kb.yaml: constants.high_risk_joints.of: unknown vocabulary 'joints'",
        ),
        (
            _edit("high_risk_joints", sources=["gillespie2042"]),
            "kb.yaml: constants.high_risk_joints: unknown source key 'gillespie2042'",
        ),
        (
            _edit("high_risk_joints", sources=[]),
            "kb.yaml: constants.high_risk_joints.sources",
        ),
        (
            _drop("oligometastatic_max_metastases"),
            "kb.yaml: constants.oligometastatic_max_metastases is missing (the facts read it)",
        ),
        (
            _constant("oligometastatic_max_metastases", 5.5),
            "kb.yaml: constants.oligometastatic_max_metastases: must be a whole number",
        ),
        (
            _edit("escc_high_grades", of=None),
            "kb.yaml: constants.escc_high_grades: must be a list of: escc_grade",
        ),
        (
            _edit("sts_established_agents", value=3, of="sarcoma_agent"),
            "kb.yaml: constants.sts_established_agents: a constant with `of:` must be a list",
        ),
    ],
    ids=[
        "joint",
        "level",
        "twice",
        "vocabulary",
        "source",
        "no-source",
        "missing",
        "not-int",
        "no-vocabulary",
        "not-a-list",
    ],
)
def test_lint_names_the_constant(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    message = load_error(edited_copy(tmp_path, "kb.yaml", change))
    assert message.startswith(expected), message

"""Quality indicators: data in the knowledge base, linted on load, judged on a view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osteoboard.caseio import load_case
from osteoboard.engine import evaluate
from osteoboard.guideline import kb_hash, load_knowledge_base
from osteoboard.quality import decision_view, proposal_view
from tests.kb_copies import edited_copy, load_error

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _indicator(data: dict[str, Any], qid: str) -> dict[str, Any]:
    (found,) = [q for q in data["indicators"] if q["id"] == qid]
    return found


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda q: q.update(numerator="codez.size() > 0"),
            "quality.yaml: indicator mscc_dexamethasone_mri: numerator: unknown name 'codez'",
        ),
        (
            lambda q: q.update(numerator='"SUP.DEXAMETHASON" in codes'),
            "quality.yaml: indicator mscc_dexamethasone_mri: numerator: unknown action code "
            "SUP.DEXAMETHASON",
        ),
        (
            lambda q: q.update(denominator='items.exists(i, "labs.crcl" in i.because)'),
            "quality.yaml: indicator mscc_dexamethasone_mri: denominator: unknown fact 'labs.crcl'",
        ),
        (
            lambda q: q.update(denominator="items.exists(i, "),
            "quality.yaml: indicator mscc_dexamethasone_mri: denominator: invalid CEL",
        ),
        (
            lambda q: q.update(sources=["nobody2099"]),
            "quality.yaml: indicator mscc_dexamethasone_mri: unknown source key 'nobody2099'",
        ),
        (
            lambda q: q.update(over="meeting"),
            "quality.yaml: indicators[0].over",
        ),
        (
            # a proposal's view has no board decisions
            lambda q: q.update(numerator="guideline_conform == true"),
            "numerator: unknown name 'guideline_conform'",
        ),
    ],
)
def test_lint_names_the_indicator(tmp_path: Path, change: Any, message: str) -> None:
    kb_dir = edited_copy(
        tmp_path, "quality.yaml", lambda d: change(_indicator(d, "mscc_dexamethasone_mri"))
    )
    assert message in load_error(kb_dir)


def test_duplicate_indicator(tmp_path: Path) -> None:
    kb_dir = edited_copy(
        tmp_path, "quality.yaml", lambda d: d["indicators"].append(dict(d["indicators"][0]))
    )
    assert "indicator mscc_dexamethasone_mri: duplicate indicator id" in load_error(kb_dir)


def test_indicators_are_part_of_the_hash(tmp_path: Path) -> None:
    kb_dir = edited_copy(
        tmp_path,
        "quality.yaml",
        lambda d: _indicator(d, "mscc_dexamethasone_mri").update(meaning="changed"),
    )
    assert kb_hash(kb_dir) != load_knowledge_base().sha256


def test_required_indicators_and_their_sources() -> None:
    kb = load_knowledge_base()
    by_id = {qi.id: qi.definition for qi in kb.quality}
    assert {
        "mscc_dexamethasone_mri",
        "bisphosphonate_clearance_dose",
        "decidable_without_urgent_question",
        "decisions_guideline_conform",
    } <= set(by_id)
    assert by_id["decisions_guideline_conform"].over == "decision"
    for qi in by_id.values():
        assert qi.name.de and qi.name.en
        assert all(key in kb.sources for key in qi.sources)


def _judge(qid: str, view: dict[str, Any]) -> tuple[bool, bool]:
    (qi,) = [q for q in load_knowledge_base().quality if q.id == qid]
    return qi.judge(view)


def test_suspected_mscc_without_the_mri() -> None:
    def item(code: str, status: str = "firm") -> dict[str, Any]:
        return {
            "code": code,
            "status": status,
            "because": [],
            "conditions": [],
            "priority": "urgent",
        }

    base = {"questions": [], "missing": [], "prognosis": {}, "scores": [], "primary_site": None}
    suspected = [item("EMERG.MSCC", "suspected"), item("SUP.DEXAMETHASONE")]
    view = {**base, "items": suspected, "codes": [i["code"] for i in suspected]}
    assert _judge("mscc_dexamethasone_mri", view) == (True, False)
    both = [*suspected, item("DX.MRI_WHOLE_SPINE_URGENT")]
    view = {**base, "items": both, "codes": [i["code"] for i in both]}
    assert _judge("mscc_dexamethasone_mri", view) == (True, True)
    confirmed = [item("EMERG.MSCC", "confirmed")]
    view = {**base, "items": confirmed, "codes": ["EMERG.MSCC"]}
    assert _judge("mscc_dexamethasone_mri", view) == (False, False)


def test_views_of_example_proposals() -> None:
    # 02 has a zoledronic-acid dose for a calculated clearance; 08, as a carcinoma of unknown
    # primary with its histology, leaves the dose open and the board has urgent questions.
    dosed = evaluate(load_case(next(EXAMPLES.glob("02-*.yaml"))))
    missing = load_case(next(EXAMPLES.glob("08-*.yaml")))
    assert missing.primary is not None
    primary = missing.primary.model_copy(update={"histology": "adenocarcinoma"})
    open_dose = evaluate(missing.model_copy(update={"primary": primary}))
    view = proposal_view(dosed, primary_site="melanoma")
    assert _judge("bisphosphonate_clearance_dose", view) == (True, True)
    assert _judge("decidable_without_urgent_question", view) == (True, True)
    view = proposal_view(open_dose, primary_site=None)
    assert _judge("bisphosphonate_clearance_dose", view) == (True, False)
    assert _judge("decidable_without_urgent_question", view) == (True, False)
    assert any(q["priority"] == "urgent" for q in view["questions"])


def test_decision_view() -> None:
    items = [{"code": "EMERG.MSCC", "lesion": "T6", "priority": "urgent"}]
    accepted = [{"code": "EMERG.MSCC", "lesion": "T6", "outcome": "accepted"}]
    rejected = [{"code": "EMERG.MSCC", "lesion": "T6", "outcome": "rejected"}]
    view = decision_view(items=items, decisions=accepted, guideline_conform=True, signed=True)
    assert _judge("decisions_guideline_conform", view) == (True, True)
    assert _judge("urgent_items_accepted", view) == (True, True)
    view = decision_view(items=items, decisions=rejected, guideline_conform=False, signed=False)
    assert _judge("decisions_guideline_conform", view) == (True, False)
    assert _judge("urgent_items_accepted", view) == (True, False)
    view = decision_view(items=items, decisions=[], guideline_conform=None, signed=False)
    assert _judge("decisions_guideline_conform", view) == (False, False)


def _views() -> list[dict[str, Any]]:
    """Proposal views of the examples and the referral cases, and views that fail in CEL."""
    from tests.test_referral_cases import CASE_FILES, load_referral

    cases = [load_case(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    cases += [load_referral(p).case for p in CASE_FILES]
    views = [proposal_view(evaluate(c), primary_site=None) for c in cases]
    first = views[0]
    broken = [
        {**first, "items": [{"code": "EMERG.MSCC"}]},  # an item without its status
        {**first, "items": ["EMERG.MSCC"]},  # an item that is no map
        {**first, "codes": "SUP.DEXAMETHASONE"},  # no list
        {**first, "questions": [{"fact": "x", "priority": None, "decides": []}]},
    ]
    return [*views, *broken]


def _cel_only(qi: Any, view: dict[str, Any]) -> tuple[bool, bool] | str:
    from dataclasses import replace

    try:
        return replace(qi, python=None).judge(view)
    except Exception as exc:  # CEL's own errors
        return type(exc).__name__


def test_compiled_indicators_agree_with_cel() -> None:
    """Every proposal indicator that runs as Python judges like CEL's programs on real views,
    and raises CEL's error where CEL fails."""
    proposal = [qi for qi in load_knowledge_base().quality if qi.definition.over == "proposal"]
    assert proposal and all(qi.python is not None for qi in proposal)
    for view in _views():
        for qi in proposal:
            try:
                judged: tuple[bool, bool] | str = qi.judge(view)
            except Exception as exc:
                judged = type(exc).__name__
            assert judged == _cel_only(qi, view), (qi.id, view)


def test_indicators_survive_the_knowledge_base_cache() -> None:
    import pickle

    kb = load_knowledge_base()
    again = pickle.loads(pickle.dumps(kb))
    view = proposal_view(
        evaluate(load_case(next(EXAMPLES.glob("08-*.yaml"))), kb), primary_site=None
    )
    assert [q.id for q in again.quality] == [q.id for q in kb.quality]
    assert [q.python is None for q in again.quality] == [q.python is None for q in kb.quality]
    assert [q.judge(view) for q in again.quality if q.definition.over == "proposal"] == [
        q.judge(view) for q in kb.quality if q.definition.over == "proposal"
    ]

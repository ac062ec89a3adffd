"""What the engine shares between cases (verdicts, reasons, item texts, item conditions,
assumptions, missing data, questions, score results) changes no proposal: a case evaluated
after any others, with every store tiny (started afresh all the time) or as large as usual,
gets the proposal it gets with nothing shared."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from osteoboard import engine
from osteoboard.case import Case
from osteoboard.caseio import load_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.scores import REGISTRY, registry
from osteoboard.scores import base as score_base
from tests.test_referral_cases import load_referral

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
REFERRALS = sorted((ROOT / "tests" / "cases").glob("*.yaml"))


def _forget() -> None:
    kb = load_knowledge_base()
    kb.verdicts.clear()
    kb.item_texts.clear()
    engine._BECAUSES.clear()
    engine._VALUES.clear()
    kb.lesion_fact_sets.clear()
    score_base._ITEM_CACHE.clear()
    for spec in REGISTRY.values():
        spec.results.clear()


def _pool() -> list[Case]:
    cases = [load_case(p) for p in EXAMPLES] + [load_referral(p).case for p in REFERRALS]
    # The same cases under other lesion ids: the same verdicts and inputs, other names.
    renamed = [
        c.model_copy(
            update={
                "id": f"{c.id}-renamed",
                "lesions": [
                    les.model_copy(update={"id": f"{les.id}x"}) for les in reversed(c.lesions)
                ],
            }
        )
        for c in cases[:12]
    ]
    return cases + renamed


@pytest.mark.parametrize("tiny", [False, True], ids=["usual", "tiny"])
def test_shared_values_change_no_proposal(tiny: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    pool = _pool()
    expected = []
    for case in pool:
        _forget()
        expected.append(evaluate(case).model_dump_json())
    if tiny:
        for module, name, size in (
            (engine, "MAX_VERDICTS", 5),
            (engine, "MAX_BECAUSES", 2),
            (engine, "MAX_TEXTS", 2),
            (engine, "MAX_VALUES", 3),
            (engine, "MAX_BUILT", 1),
            (engine, "MAX_LESION_FACTS", 1),
            (registry, "MAX_RESULTS", 2),
        ):
            monkeypatch.setattr(module, name, size)
    order = list(range(len(pool))) * 2
    random.Random(20261120).shuffle(order)
    for i in order:
        assert evaluate(pool[i]).model_dump_json() == expected[i], pool[i].id


def test_a_repeated_case_reuses_its_value_objects() -> None:
    case = load_case(EXAMPLES[7])  # missing data, questions and conditional items
    first, again = evaluate(case), evaluate(load_case(EXAMPLES[7]))
    assert first.missing_data and first.questions
    assert all(a is b for a, b in zip(first.missing_data, again.missing_data, strict=True))
    assert all(a is b for a, b in zip(first.questions, again.questions, strict=True))
    conditions = [c for item in first.recommendations for c in item.conditions]
    repeated = [c for item in again.recommendations for c in item.conditions]
    assert conditions and all(a is b for a, b in zip(conditions, repeated, strict=True))

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
    kb.verdict_values.clear()
    kb.wanted.clear()
    kb.item_texts.clear()
    engine._KEY_NUMBERS.clear()
    engine._BECAUSES.clear()
    engine._VALUES.clear()
    kb.lesion_fact_sets.clear()
    kb.case_verdict_lists.clear()
    kb.lesion_verdict_lists.clear()
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
    # The same cases with their laboratory values moved a little (mostly within the cell of
    # the thresholds rules compare them with, where they share verdicts; now and then across).
    nudged = [
        c.model_copy(
            update={
                "id": f"{c.id}-nudged",
                "labs": c.labs.model_copy(
                    update={
                        name: round(value * 1.04, 3)
                        for name, value in c.labs.model_dump().items()
                        if isinstance(value, float) and value > 0
                    }
                ),
            }
        )
        for c in cases
        if c.labs is not None
    ]
    return cases + renamed + nudged


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
            (engine, "MAX_VERDICT_VALUES", 2),
            (engine, "MAX_WANTED", 2),
            (engine, "MAX_KEY_NUMBERS", 3),
            (engine, "MAX_BECAUSES", 2),
            (engine, "MAX_TEXTS", 2),
            (engine, "MAX_VALUES", 3),
            (engine, "MAX_BUILT", 1),
            (engine, "MAX_LESION_FACTS", 1),
            (engine, "MAX_CASE_VERDICT_LISTS", 1),
            (engine, "MAX_LESION_VERDICT_LISTS", 1),
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


def test_numbers_share_verdicts_within_their_thresholds() -> None:
    """Rules read a number only through comparisons with literals, so two cases whose platelet
    counts lie on the same side of every threshold (50 and 100 x 10^9/l) share every verdict,
    and one across a threshold does not; each gets the proposal it gets alone."""
    kb = load_knowledge_base()
    base = load_case(EXAMPLES[7])  # open items: verdicts are kept for later cases

    def with_platelets(count: float) -> Case:
        labs = base.labs.model_copy(update={"platelets_10e9_l": count}) if base.labs else None
        if labs is None:
            from osteoboard.case import Labs

            labs = Labs(platelets_10e9_l=count)
        return base.model_copy(update={"labs": labs})

    alone = {}
    for count in (120.0, 250.0, 75.0):
        _forget()
        alone[count] = evaluate(with_platelets(count)).model_dump_json()
    _forget()
    assert evaluate(with_platelets(120.0)).model_dump_json() == alone[120.0]
    kept = dict(kb.verdicts)
    assert any(v.outcome is None for v in kept.values())
    assert evaluate(with_platelets(250.0)).model_dump_json() == alone[250.0]
    assert kb.verdicts == kept  # every verdict found, none added
    assert evaluate(with_platelets(75.0)).model_dump_json() == alone[75.0]
    assert kb.verdicts.keys() > kept.keys()  # another cell: verdicts of its own


def test_a_case_that_agrees_on_every_fact_takes_the_rules_verdicts_at_once() -> None:
    """The case rules' verdicts are kept by the keys of every fact they read, the lesion
    rules' by those of the case facts they read and the lesion's facts: a case with a
    laboratory value moved within its thresholds takes both (no list added), one under other
    lesion ids takes the case rules' only, one across a threshold neither; each still gets
    the proposal it gets alone, with its own values in the reasons."""
    kb = load_knowledge_base()
    base = load_case(EXAMPLES[5])  # hypercalcaemia: the calcium is named in the reasons
    assert base.labs is not None and base.labs.calcium_mmol_l is not None and base.lesions

    def with_calcium(value: float) -> Case:
        assert base.labs is not None
        labs = base.labs.model_copy(update={"calcium_mmol_l": value})
        return base.model_copy(update={"id": "other-pseudonym", "labs": labs})

    nudged = with_calcium(base.labs.calcium_mmol_l + 0.01)
    renamed = base.model_copy(
        update={"lesions": [les.model_copy(update={"id": f"{les.id}x"}) for les in base.lesions]}
    )
    normal = with_calcium(2.3)
    alone = {}
    for case in (nudged, renamed, normal):
        _forget()
        alone[id(case)] = evaluate(case).model_dump_json()
    _forget()
    first = evaluate(base).model_dump_json()
    cases, lesions = dict(kb.case_verdict_lists), dict(kb.lesion_verdict_lists)
    assert len(cases) == 1 and len(lesions) == len(base.lesions)
    assert evaluate(nudged).model_dump_json() == alone[id(nudged)] != first  # its own calcium
    assert kb.case_verdict_lists == cases and kb.lesion_verdict_lists == lesions
    assert evaluate(renamed).model_dump_json() == alone[id(renamed)]
    assert kb.case_verdict_lists == cases
    assert len(kb.lesion_verdict_lists) == 2 * len(base.lesions)  # other lesions
    assert evaluate(normal).model_dump_json() == alone[id(normal)]
    assert kb.case_verdict_lists.keys() > cases.keys()  # a normal calcium: lists of its own


def test_equal_verdicts_and_conditions_are_one_object() -> None:
    """Tens of thousands of memo entries hold a few thousand distinct verdicts: equal ones
    (and the conditions in words they name) are kept once."""
    _forget()
    kb = load_knowledge_base()
    for case in _pool():
        evaluate(case)
    verdicts = [v for v in kb.verdicts.values() if isinstance(v, engine._Verdict)]
    assert len({id(v) for v in verdicts}) < len(verdicts) / 2
    by_value: dict[tuple[object, ...], int] = {}
    for v in verdicts:
        key = (v.outcome, v.status, v.deciding, v.conditions and tuple(map(id, v.conditions)))
        assert by_value.setdefault(key, id(v)) == id(v)
    wanted = [w for v in verdicts for w in v.conditions or ()]
    assert wanted
    kept = {id(w) for w in kb.wanted.values()}
    assert all(id(w) in kept for w in wanted)
    assert len({id(w) for w in wanted}) < len(wanted) / 2

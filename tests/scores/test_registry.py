"""Score results shared between cases (ScoreSpec.results): a case gets the results it would get
computed afresh, whatever came before it."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from osteoboard.case import Case
from osteoboard.caseio import load_case, parse_case
from osteoboard.scores import REGISTRY, ScoreResult, compute_all
from osteoboard.scores import registry as registry_module
from tests.cases import cases

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
_JSON = TypeAdapter(list[ScoreResult])


def _forget() -> None:
    for spec in REGISTRY.values():
        spec.results.clear()


def _fresh(case: Case) -> bytes:
    _forget()
    return _JSON.dump_json(compute_all(case))


def _shared(case: Case) -> bytes:
    return _JSON.dump_json(compute_all(case))


def _mixed_order_gives_fresh_results(pool: list[Case]) -> None:
    expected = [_fresh(c) for c in pool]
    order = list(range(len(pool))) * 2
    random.Random(len(pool)).shuffle(order)
    for i in order:
        assert _shared(pool[i]) == expected[i], pool[i].id


def test_examples_in_any_order_get_their_own_results() -> None:
    _mixed_order_gives_fresh_results([load_case(p) for p in EXAMPLES])


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(cases(), min_size=1, max_size=3))
def test_generated_cases_in_any_order_get_their_own_results(docs: list[dict[str, Any]]) -> None:
    pool = [parse_case(d) for d in docs]
    # The same case under another id and with its lesions renamed shares the inputs but not
    # the names in the results.
    renamed = {**docs[0], "id": "other"}
    renamed["lesions"] = [{**les, "id": f"R{i}"} for i, les in enumerate(docs[0]["lesions"])]
    _mixed_order_gives_fresh_results([*pool, parse_case(renamed)])


def test_a_repeated_input_is_computed_once() -> None:
    case = load_case(EXAMPLES[0])
    _forget()
    first = compute_all(case)
    again = compute_all(load_case(EXAMPLES[0]))
    assert [a is b for a, b in zip(first, again, strict=True)] == [True] * len(first)


def test_negative_zero_reads_as_zero() -> None:
    """-0.0 equals 0.0 and is read as 0.0 (it read "-0" in the Katagiri laboratory note)."""
    doc = yaml.safe_load(EXAMPLES[4].read_text(encoding="utf-8"))
    doc["labs"]["crp_mg_l"] = 0.0
    zero = _shared(parse_case(doc))
    doc["labs"]["crp_mg_l"] = -0.0
    negative = parse_case(doc)
    assert _shared(negative) == _fresh(negative) == zero
    text = json.dumps(json.loads(zero))
    assert "CRP 0 mg/L" in text and "-0" not in text


def test_the_store_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "MAX_RESULTS", 2)
    pool = [load_case(p) for p in EXAMPLES]
    expected = [_fresh(c) for c in pool]
    for case, want in zip(pool * 2, expected * 2, strict=True):
        assert _shared(case) == want
        assert all(len(spec.results) <= 2 for spec in REGISTRY.values())

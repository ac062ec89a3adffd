"""Conditions compiled to Python (celpy) against CEL's own programs: the same value, or the
same error, on every condition of the knowledge base, and byte-identical proposals."""

from __future__ import annotations

import pickle
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from osteoboard import _cel as cel
from osteoboard.case import Case
from osteoboard.caseio import load_case, parse_case
from osteoboard.celpy import Error, Unsupported, compile_condition, undefined
from osteoboard.engine import evaluate, reference_conditions
from osteoboard.facts import catalogue_by_name
from osteoboard.guideline import Condition, load_knowledge_base
from tests.cases import cases
from tests.test_referral_cases import load_referral

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
REFERRALS = sorted((ROOT / "tests" / "cases").glob("*.yaml"))

ENV = {"t": True, "f": False, "s": "x", "n": 1, "d": 2.0, "l": ["a", "b"], "e": [], "li": [1, 2]}

# Each line probes one corner of CEL's semantics: errors absorbed by && and ||, which error a
# failed run reports, equality and order across types, lists and the exists macro.
PROBES = """
a && b | a && t | t && a | a && f | f && a | a || b | a || t | t || a | a || f | f || a | !a
(a && b) || c | (a || b) && (c || d) | a && b && c | a || b || c | (a || b) && f
a == 1 | 1 == a | a == b | a != b | t == a | a == true | a != 'x' | s != 'x' | n != 'x'
a in l | s in a | a in b | a in [b] | s in [a, 'x'] | s in ['x', a] | t in [a, t]
s == 1 | n == 1.0 | n < d | s < n | s in li | n in l | s == t | t == 1 | 1 in [t] | t in [1]
[1, 'a'] == [1, 'a'] | l == li | [1] == [1.0] | [t] == [1] | l in [l] | ['a'] in [['a']]
1 in [1.0] | 'a' in [1, 'a'] | 1.5 in li | d in [2] | n in ['x'] | l in ['x'] | [a, b] == l
n > 'a' | l < l | t > f | f < t | s < 'y' | -1 < n | n < -0.5 | 2 == 2.0 && 3 >= 2.5
n && t | t && n | f && n | n && f | n || t | t || n | n || f | !n | t && s | s && f
a && s | s && a | f && (n < 'x') | (n < 'x') && f | a && (n < 'x') | (n < 'x') && a
t && (n < 'x') | (n < 'x') || t | (n < 'x') || a | a || (n < 'x') | !(n < 'x')
(n < 'x') == a | a == (n < 'x')
a && t && l | a && t && t && l | a && t && t && t && l | (a && t) && (t && l) | a && (t && l)
a || f || l | f || a || f || f || l | a && t && b | a && b && l | a && t && !l | t && a && t && l
l.exists(x, x == a) | l.exists(x, a) | l.exists(x, x == 'b' || a) | l.exists(x, x == 'a' || a)
a.exists(x, x == 1) | e.exists(x, a) | l.exists(x, x == s) | l.exists(x, n)
l.exists(x, x == s) && a | [a].exists(x, x) | [f, a].exists(x, x) | [t, a].exists(x, x)
[s, a].exists(x, x) | [a, b].exists(x, x) | 'a\\'b' == s | "\\u00e9" == 'é'
n < 2 | d >= 2 | d > 1.5 | n <= -1 | n == 1 | d == 2 | n != 1 | d != 2.5 | d == 2.0
t < 1 | s > 1 | a <= 1 | l == 1 | t == 1 | a != 2 | s != 2 | e >= 0.5
!t | !f | !s | !l | !(a && f) | !(a || t) | t && t | f || f | t || f | f && t
t in ['x', 'y'] | n in ['x'] | a in ['x', 'y'] | l in ['a'] | s in ['x'] | s in ['y']
"""


def _outcome(run: Any) -> tuple[str, Any]:
    """("ok", value), ("undefined", name) or ("type", None) of one run."""
    if isinstance(run, Error):
        return ("undefined", run.name) if run.name else ("type", None)
    return ("ok", run)


def _reference(program: Any, env: dict[str, Any]) -> tuple[str, Any]:
    try:
        return ("ok", program.execute(cel.Context(env)))
    except RuntimeError as exc:
        assert "Undefined variable" in str(exc), exc
        return ("undefined", str(exc).split("'")[1])
    except TypeError:
        return ("type", None)


@pytest.mark.parametrize(
    "source", [p.strip() for line in PROBES.splitlines() for p in line.split(" | ") if p.strip()]
)
def test_probe_agrees_with_cel(source: str) -> None:
    expected = _reference(cel.compile(source), ENV)
    assert _outcome(compile_condition(source).run(ENV)) == expected


@pytest.mark.parametrize("source", ["a ? b : c", "size(l) > 1", "a + 1 > 2", "{'a': 1}['a'] == 1"])
def test_other_parts_of_cel_are_left_to_cel(source: str) -> None:
    with pytest.raises(Unsupported):
        compile_condition(source)


FIELD_ENV = {**ENV, "m": {"k": "x", "n": 1, "l": ["a"], "z": None}, "ms": [{"k": "x"}, {"k": "y"}]}

# Fields of maps (compiled only with fields=True, as the quality indicators are).
FIELD_PROBES = """
m.k == 'x' | m.k == s | m.n < 2 | 'a' in m.l | m.z == 'x' | m.q == 'x' | f && m.q == 'x'
t || m.q | s.k == 'x' | a.k == 'x' | ms.exists(i, i.k == 'y') | ms.exists(i, i.q == 'y')
ms.exists(i, i.k == 'x') && !ms.exists(i, i.k == 'z') | ms.exists(i, 'a' in m.l && i.k == s)
"""


@pytest.mark.parametrize(
    "source", [p.strip() for line in FIELD_PROBES.splitlines() for p in line.split(" | ") if p]
)
def test_field_probe_agrees_with_cel(source: str) -> None:
    try:
        expected = _reference(cel.compile(source), FIELD_ENV)
    except KeyError:  # CEL raises a missing key as such
        expected = ("key", None)
    outcome = _outcome(compile_condition(source, fields=True).run(FIELD_ENV))
    # CEL reports a missing key or a field of a non-map with its own message; here it is a
    # type error whatever the cause.
    assert outcome == expected or (outcome == ("type", None) and expected[0] != "ok")


def test_fields_only_when_asked() -> None:
    with pytest.raises(Unsupported):
        compile_condition("m.k == 'x'")


def test_a_variable_left_out_is_undefined_and_named() -> None:
    compiled = compile_condition("a && b")
    assert compiled.run({"a": True, "b": True}) is True
    assert compiled.run({"a": True, "b": False}) is False
    error = compiled.run({"a": True})
    assert isinstance(error, Error) and error.name == "b"
    assert compiled.fast({"a": True, "b": undefined("b")}) is error is undefined("b")
    with pytest.raises(KeyError):  # the fast path needs every variable in its map
        compiled.fast({"a": True})


def _conditions() -> list[Condition]:
    kb = load_knowledge_base()
    seen: dict[str, Condition] = {}
    for rule in [*kb.case_rules, *kb.lesion_rules]:
        seen.setdefault(rule.condition.source, rule.condition)
    return list(seen.values())


def _value(name: str, rng: random.Random) -> Any:
    """A value for a fact: mostly of its type (domain and thresholds), sometimes not."""
    fact = catalogue_by_name()[name]
    kb = load_knowledge_base()
    if rng.random() < 0.05:
        return rng.choice([True, 3, 2.5, "spine", ["breast"]])
    if fact.type == "bool":
        return rng.random() < 0.5
    if fact.type == "enum":
        return rng.choice(list(fact.values))
    if fact.type == "list":
        pool = list(fact.values or ["breast", "prostate", "doxorubicin", "x"])
        return rng.sample(pool, rng.randint(0, min(3, len(pool))))
    points = [*kb.thresholds.get(name, ()), 0, 1, 100]
    value = rng.choice(points) + rng.choice([-1, -0.5, 0, 0.5, 1])
    return int(value) if fact.type == "int" else float(value)


def test_every_condition_of_the_knowledge_base_agrees_with_cel() -> None:
    """Every condition, on random completions of its facts (each fact given, of its type or
    not, or left out): the same value or the same error as CEL's program."""
    rng = random.Random(20261126)
    conditions = _conditions()
    assert all(c.python is not None for c in conditions)  # nothing falls back to CEL today
    runs = 0
    for condition in conditions:
        assert condition.python is not None
        for _ in range(300):
            env: dict[str, Any] = {}
            for name, flat in zip(condition.facts, condition.flat, strict=True):
                if rng.random() >= 0.25:  # else unknown
                    env[flat] = _value(name, rng)
            expected = _reference(condition.program, env)
            assert _outcome(condition.python.run(env)) == expected, (condition.source, env)
            # The engine's way: a map of every variable, the undefined ones as their errors.
            complete = {name: undefined(name) for name in condition.flat} | env
            assert _outcome(condition.python.fast(complete)) == expected, (condition.source, env)
            runs += 1
    assert runs == 300 * len(conditions)


def _both(case: Case) -> tuple[str, str]:
    fast = evaluate(case).model_dump_json()
    with reference_conditions():
        reference = evaluate(case).model_dump_json()
    return fast, reference


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_byte_identical_to_the_reference(path: Path) -> None:
    fast, reference = _both(load_case(path))
    assert fast == reference


@pytest.mark.parametrize("path", REFERRALS, ids=lambda p: p.name)
def test_referrals_are_byte_identical_to_the_reference(path: Path) -> None:
    fast, reference = _both(load_referral(path).case)
    assert fast == reference


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_generated_proposals_are_byte_identical_to_the_reference(
    case_data: dict[str, Any],
) -> None:
    fast, reference = _both(parse_case(case_data))
    assert fast == reference


def test_verdicts_shared_between_threads_change_no_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluations in several threads (as the web server runs them) share the memo, which
    starts afresh when full: with a tiny limit it is cleared all the time, and every proposal
    is still the one the reference path gives."""
    from concurrent.futures import ThreadPoolExecutor

    from osteoboard import engine

    cases = [load_case(p) for p in EXAMPLES] + [load_referral(p).case for p in REFERRALS]
    with reference_conditions():
        expected = [evaluate(c).model_dump_json() for c in cases]
    monkeypatch.setattr(engine, "MAX_VERDICTS", 7)
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda c: evaluate(c).model_dump_json(), cases * 3))
    assert got == expected * 3


def test_a_condition_left_to_cel_explores_as_the_reference_does() -> None:
    """A condition that celpy does not compile runs as CEL's program outside the reference
    mode too: the values tried for its unknown facts must reach that program. Every rule of a
    private copy of the knowledge base is left to CEL here."""
    kb = pickle.loads(pickle.dumps(load_knowledge_base()))  # without the shared stores
    for rule in [*kb.case_rules, *kb.lesion_rules]:
        object.__setattr__(rule.condition, "python", None)
    for path in EXAMPLES:
        case = load_case(path)
        with reference_conditions():
            reference = evaluate(case).model_dump_json()
        assert evaluate(case, kb).model_dump_json() == reference, path.name


def test_a_literal_beyond_a_double_still_compiles() -> None:
    """An int literal too large for a float is compared exactly (CEL's own parser refuses it,
    so no knowledge file can hold one; the compiler must not fail on it)."""
    compiled = compile_condition("x < 1" + "0" * 400)
    assert compiled.run({"x": 5}) is True
    assert compiled.run({"x": 10**401}) is False

"""What keeps evaluation cheap must not change what it decides: guards from a condition's
required parts, knowledge constants written into conditions, deciding facts found from blocks
of one outcome, and verdicts shared by lesions that agree."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from osteoboard import _cel as cel
from osteoboard.case import Case
from osteoboard.engine import MAX_DECIDING, _deciding, _execute, _Runner, evaluate
from osteoboard.facts import Fact, catalogue_by_name
from osteoboard.guideline import (
    CompiledRule,
    flat_name,
    flatten_expression,
    guards,
    load_knowledge_base,
)

CATALOGUE = catalogue_by_name()
KB = load_knowledge_base()
RULES = list(KB.rules)


def _value(fact: Fact, rng: random.Random) -> Any:
    """A value of the fact's declared type, near the thresholds rules compare it with."""
    if fact.type == "bool":
        return rng.random() < 0.5
    if fact.type == "enum":
        return rng.choice(fact.values)
    if fact.type in ("int", "float"):
        points = [*KB.thresholds.get(fact.name, ()), 0.0]
        base = rng.choice(points)
        value = base + rng.choice((-1, 0, 1)) * (1 if fact.type == "int" else 0.5)
        return int(value) if fact.type == "int" else float(value)
    if fact.type == "list":
        return rng.sample(["pazopanib", "doxorubicin", "abiraterone", "x"], rng.randint(0, 2))
    return rng.choice(["T4", "L1", "C7", "S1", ""])


# --- guards -----------------------------------------------------------------------------


def _guards(expr: str, constants: dict[str, Any] | None = None) -> list[tuple[str, str, Any]]:
    return [(g.fact, g.op, g.operand) for g in guards(expr, constants or {})]


def test_guards_are_the_parts_a_condition_requires() -> None:
    expr = (
        '(mm.present && !mm.precursor) && primary.site == "breast" && prognosis.band != "short"'
        ' && lesion.region in ["pelvis", "long_bone"] && labs.crcl_ml_min >= 30.0'
        " && primary.site in kb.sites && (neuro.new_deficit || neuro.radicular_pain)"
        ' && !(neuro.frankel in ["A", "B"])'
    )
    assert _guards(expr, {"sites": ["breast", "prostate"]}) == [
        ("mm.present", "is", True),
        ("mm.precursor", "is", False),
        ("primary.site", "==", "breast"),
        ("prognosis.band", "!=", "short"),
        ("lesion.region", "in", frozenset({"pelvis", "long_bone"})),
        ("labs.crcl_ml_min", ">=", 30.0),
        ("primary.site", "in", frozenset({"breast", "prostate"})),
    ]


def test_no_guard_outside_a_top_level_conjunction() -> None:
    assert _guards("mm.present || sts.present") == []
    assert _guards("mm.present && sts.present || bone.multiple") == []
    assert _guards("bone.total_count_min <= kb.maximum", {"maximum": 5}) == []
    assert _guards('primary.site == "a" ? true : false') == []


def test_a_guard_fails_only_on_a_value_of_its_own_type() -> None:
    (text,) = guards('primary.site == "breast"', {})
    assert text.fails("lung") and not text.fails("breast") and not text.fails(1)
    (flag,) = guards("!bone.multiple", {})
    assert flag.fails(True) and not flag.fails(False) and not flag.fails(1)
    (number,) = guards("labs.crcl_ml_min < 30.0", {})
    assert number.fails(30) and number.fails(45.5) and not number.fails(29.9)
    assert not number.fails(True)


@pytest.mark.parametrize("rule", [r for r in RULES if r.condition.guards], ids=lambda r: r.rule.id)
def test_a_failing_guard_means_the_condition_is_false(rule: CompiledRule) -> None:
    rng = random.Random(rule.rule.id)
    condition = rule.condition
    failed = 0
    for _ in range(60):
        values = {
            name: _value(CATALOGUE[name], rng) if rng.random() < 0.8 else None
            for name in condition.facts
        }
        if not any(
            values[g.fact] is not None and g.fails(values[g.fact]) for g in condition.guards
        ):
            continue
        failed += 1
        known = {flat_name(n): v for n, v in values.items() if v is not None}
        # False whatever the unknown facts are: CEL's && absorbs their undefined side.
        assert condition.program.execute(cel.Context(known)) is False, values
    assert failed, "no sample failed a guard"


# --- knowledge constants written into conditions ----------------------------------------------


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.condition.constants], ids=lambda r: r.rule.id
)
def test_constants_written_in_give_what_reading_them_gives(rule: CompiledRule) -> None:
    condition = rule.condition
    reading = cel.compile(flatten_expression(condition.source))
    rng = random.Random(rule.rule.id)
    for _ in range(40):
        known = {flat_name(n): _value(CATALOGUE[n], rng) for n in condition.facts}
        assert condition.program.execute(known) == reading.execute({**known, **condition.constants})


# --- deciding facts ---------------------------------------------------------------------------


def _deciding_by_table(rule: CompiledRule, runner: _Runner, tried: list[str], domains: Any) -> Any:
    """Every completion of the tried facts run one by one; a fact decides when it alone
    changes the outcome somewhere."""
    variables = runner.start()
    table = {}
    for combo in itertools.product(*(domains[n] for n in tried)):
        variables.update({flat_name(n): v for n, v in zip(tried, combo, strict=True)})
        table[combo] = _execute(rule.condition, runner)
    variables.clear()
    out = []
    for i, name in enumerate(tried):
        seen: dict[tuple[Any, ...], Any] = {}
        if any(seen.setdefault(c[:i] + c[i + 1 :], r) != r for c, r in table.items()):
            out.append(name)
    return out or tried


def _small(rule: CompiledRule) -> list[str]:
    return [n for n in rule.condition.facts if CATALOGUE[n].type in ("bool", "enum")]


def _tried(small: list[str], rng: random.Random) -> list[str]:
    """At least two of the facts, as many as the table allows, in the condition's order."""
    order = sorted(small, key=lambda n: (len(CATALOGUE[n].default_domain()), rng.random()))
    chosen = order[:2]
    for name in rng.sample(order[2:], rng.randint(0, len(order) - 2)):
        if _size([*chosen, name]) <= MAX_DECIDING:
            chosen.append(name)
    return [n for n in small if n in chosen]


def _size(names: list[str]) -> int:
    size = 1
    for n in names:
        size *= len(CATALOGUE[n].default_domain())
    return size


@pytest.mark.parametrize(
    "rule",
    [
        r
        for r in RULES
        if len(_small(r)) >= 2
        and _size(sorted(_small(r), key=lambda n: len(CATALOGUE[n].default_domain()))[:2])
        <= MAX_DECIDING
    ],
    ids=lambda r: r.rule.id,
)
def test_deciding_facts_are_those_of_the_full_table(rule: CompiledRule) -> None:
    condition = rule.condition
    rng = random.Random(rule.rule.id)
    for _ in range(30):
        tried = _tried(_small(rule), rng)
        domains = {n: CATALOGUE[n].default_domain() for n in tried}
        known = {
            flat_name(n): _value(CATALOGUE[n], rng)
            for n in condition.facts
            if n not in tried and rng.random() < 0.9
        }
        runner = _Runner(known)
        expected = _deciding_by_table(rule, runner, tried, domains)
        assert _deciding(condition, runner, tried, domains) == expected, (tried, known)


# --- lesions that agree share a verdict --------------------------------------------------------


def _lesion_items(case: dict[str, Any]) -> dict[str, list[Any]]:
    p = evaluate(Case.model_validate(case))
    out: dict[str, list[Any]] = {}
    for item in [*p.emergencies, *p.recommendations, *p.warnings]:
        if item.lesion:
            conditions = [(c.fact, c.fields, c.values) for c in item.conditions]
            out.setdefault(item.lesion, []).append((item.code, item.status, conditions))
    return out


def test_lesions_that_agree_share_a_verdict_but_keep_their_own_fields() -> None:
    base = {"id": "share", "patient": {"age": 61, "sex": "male"}, "primary": {"site": "lung_nsclc"}}
    sparse = {"region": "spine", "level": "T8", "type": "lytic"}
    known = {**sparse, "escc_grade": "0", "pain": "mechanical"}
    lesions = [{"id": "A", **sparse}, {"id": "B", **sparse}, {"id": "C", **known}]
    first = _lesion_items({**base, "lesions": lesions})
    last = _lesion_items({**base, "lesions": [lesions[2], lesions[0], lesions[1]]})
    # The same items per lesion whichever lesion was decided first.
    assert first == last
    # A and B agree: the same items, each naming its own lesion's fields.
    strip = [(code, status, [(f, v) for f, _, v in conds]) for code, status, conds in first["A"]]
    assert strip == [
        (code, status, [(f, v) for f, _, v in conds]) for code, status, conds in first["B"]
    ]
    for lesion in ("A", "B"):
        fields = [p for _, _, conds in first[lesion] for _, paths, _ in conds for p in paths]
        assert fields and all(p.startswith(f"lesions[{lesion}].") for p in fields)
    # C differs in facts the rules read, and gets its own verdicts.
    assert [code for code, _, _ in first["C"]] != [code for code, _, _ in first["A"]]


def test_the_guard_index_rules_out_exactly_what_each_rules_guards_do() -> None:
    """Each distinct guard is tested once per scope; a rule's bits are its own guards, so a
    rule is skipped exactly when one of its own guards fails on a known value."""
    index = KB.guard_index
    assert len(index.guards) == len({(g.fact, g.op, repr(g.operand)) for g in index.guards})
    pairs = [
        *zip(KB.case_rules, index.case_masks, strict=True),
        *zip(KB.lesion_rules, index.lesion_masks, strict=True),
    ]
    rng = random.Random(7)
    for rule, mask in pairs:
        own = {(g.fact, g.op, repr(g.operand)) for g in rule.condition.guards}
        bits = {
            (g.fact, g.op, repr(g.operand)) for n, g in enumerate(index.guards) if mask >> n & 1
        }
        assert bits == own, rule.rule.id
    numbers = [*index.case_guards, *index.lesion_guards]
    assert sorted(numbers) == list(range(len(index.guards)))
    for _ in range(200):
        values: dict[str, Any] = {
            g.fact: (None if rng.random() < 0.2 else _value(CATALOGUE[g.fact], rng))
            for g in index.guards
        }
        failing = index.failing(numbers, values)
        for rule, mask in pairs:
            expected = any(
                values[g.fact] is not None and g.fails(values[g.fact])
                for g in rule.condition.guards
            )
            assert bool(mask & failing) == expected, rule.rule.id

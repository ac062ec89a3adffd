"""Every rule of the knowledge base fires on a case built for it and not on a near miss.

The cases live in ``rule_cases.yaml``: a few complete base cases and, per rule, a patch that
makes the rule fire and a patch for the smallest clinically decisive change that must stop it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from osteoboard.case import Case
from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate, trace
from osteoboard.guideline import load_knowledge_base
from osteoboard.scores import compute_all

CASES_FILE = Path(__file__).with_name("rule_cases.yaml")
DATA: dict[str, Any] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
BASES: dict[str, dict[str, Any]] = DATA["bases"]
ENTRIES: list[dict[str, Any]] = DATA["rules"]
KNOWN_ISSUES: list[dict[str, Any]] = DATA.get("known_issues") or []

KB = load_knowledge_base()
RULES = {r.rule.id: r for r in KB.rules}

ENTRY_KEYS = {"rule", "label", "lesion", "fires", "near_miss", "why", "status"}
SIDE_KEYS = {"base", "patch", "expect", "operated"}


def deep_merge(base: Any, patch: Any) -> Any:
    """Mappings merge key by key; anything else (lists, scalars, null) replaces."""
    if isinstance(base, Mapping) and isinstance(patch, Mapping):
        out = dict(base)
        for key, value in patch.items():
            out[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(patch)


def document(side: Mapping[str, Any]) -> dict[str, Any]:
    base = copy.deepcopy(BASES[side["base"]])
    merged: dict[str, Any] = deep_merge(base, side.get("patch") or {})
    operated: Mapping[str, Any] = side.get("operated") or {}
    lesions = {lesion["id"]: lesion for lesion in merged.get("lesions") or []}
    assert set(operated) <= set(lesions), f"operated: no lesion {set(operated) - set(lesions)}"
    for lesion_id, operation in operated.items():
        lesions[lesion_id]["operation"] = operation
    return merged


def build(side: Mapping[str, Any]) -> Case:
    return parse_case(document(side))


def entry_id(entry: Mapping[str, Any]) -> str:
    label = entry.get("label")
    return f"{entry['rule']}-{label}" if label else str(entry["rule"])


WITH_NEAR_MISS = [e for e in ENTRIES if "near_miss" in e]
UNCONDITIONAL = [e for e in ENTRIES if "near_miss" not in e]


def fired_for(
    case: Case, rule: str, lesion: str | None, status: str | None = None
) -> tuple[bool, list[str]]:
    """Whether the rule fired for the lesion; with ``status`` (conditional, suspected): whether
    its open outcome made an item of that status."""
    hits = trace(case, KB, open_items=status is not None)
    found = any(
        h.rule == rule and h.lesion == lesion and (status is None or h.status == status)
        for h in hits
    )
    return found, [f"{h.rule}[{h.lesion}]" if h.lesion else h.rule for h in hits]


def check_expectations(case: Case, side: Mapping[str, Any], lesion: str | None) -> None:
    """The boundary values the case was built for (score totals) are really reached."""
    expect = side.get("expect") or {}
    if not expect:
        return
    scores = compute_all(case)
    for name, wanted in expect.items():
        matches = [s for s in scores if s.name == name and s.lesion in (None, lesion)]
        assert matches, f"score {name} not computed"
        total = matches[0].total
        assert total is not None, f"score {name} is not decided ({matches[0].missing})"
        assert total == pytest.approx(wanted), f"{name}: got {total}, expected {wanted}"


# ---------------------------------------------------------------------------------------------
# the file itself


def test_entries_are_well_formed() -> None:
    for entry in ENTRIES:
        where = entry_id(entry)
        assert set(entry) <= ENTRY_KEYS, f"{where}: unknown keys {set(entry) - ENTRY_KEYS}"
        assert {"rule", "fires", "why"} <= set(entry), f"{where}: needs rule, fires and why"
        for key in ("fires", "near_miss"):
            if key in entry:
                side = entry[key]
                assert set(side) <= SIDE_KEYS, f"{where}.{key}: unknown keys"
                assert side["base"] in BASES, f"{where}.{key}: unknown base {side['base']!r}"
    ids = [entry_id(e) for e in ENTRIES]
    assert len(ids) == len(set(ids)), "two entries for one rule need distinct labels"


@pytest.mark.parametrize("name", sorted(BASES))
def test_base_cases_are_complete(name: str) -> None:
    """A base case is valid, pseudonymous and leaves nothing unknown for rules or scores."""
    case = parse_case(copy.deepcopy(BASES[name]))
    assert case.id.startswith("rule-base-")
    assert evaluate(case, KB).missing_data == []


def test_every_rule_is_covered_or_listed_as_known_issue() -> None:
    covered = {e["rule"] for e in ENTRIES}
    known = {k["rule"] for k in KNOWN_ISSUES}
    assert not covered - set(RULES), f"entries for unknown rules: {sorted(covered - set(RULES))}"
    assert not known - set(RULES), f"known issues name unknown rules: {sorted(known - set(RULES))}"
    assert not covered & known, f"both covered and a known issue: {sorted(covered & known)}"
    uncovered = set(RULES) - covered - known
    assert not uncovered, f"rules without a case and not a known issue: {sorted(uncovered)}"


def test_known_issues_are_explained() -> None:
    for issue in KNOWN_ISSUES:
        assert issue.get("why"), f"{issue['rule']}: say why"
        assert issue.get("tried"), f"{issue['rule']}: give the case that was tried"


@pytest.mark.parametrize("entry", ENTRIES, ids=entry_id)
def test_lesion_given_exactly_for_lesion_rules(entry: dict[str, Any]) -> None:
    per = RULES[entry["rule"]].rule.per
    if per == "lesion":
        assert entry.get("lesion"), "a per: lesion rule needs the lesion it fires for"
    else:
        assert "lesion" not in entry, "a per: case rule has no lesion"


# ---------------------------------------------------------------------------------------------
# fires / near miss


@pytest.mark.parametrize("entry", ENTRIES, ids=entry_id)
def test_rule_fires(entry: dict[str, Any]) -> None:
    case = build(entry["fires"])
    lesion = entry.get("lesion")
    check_expectations(case, entry["fires"], lesion)
    found, hits = fired_for(case, entry["rule"], lesion, entry.get("status"))
    assert found, f"{entry_id(entry)} did not fire; fired: {hits}"


@pytest.mark.parametrize("entry", WITH_NEAR_MISS, ids=entry_id)
def test_rule_silent_on_near_miss(entry: dict[str, Any]) -> None:
    case = build(entry["near_miss"])
    lesion = entry.get("lesion")
    check_expectations(case, entry["near_miss"], lesion)
    found, _ = fired_for(case, entry["rule"], lesion, entry.get("status"))
    assert not found, f"{entry_id(entry)} fired on the near miss ({entry['why']})"
    # Silent because the condition is false, not because an unknown fact left it open.
    label = f"{entry['rule']}[{lesion}]" if lesion else entry["rule"]
    open_for = [m.field for m in evaluate(case, KB).missing_data if label in m.needed_for]
    assert not open_for, f"{label} is undetermined on the near miss (unknown: {open_for})"


@pytest.mark.parametrize("entry", WITH_NEAR_MISS, ids=entry_id)
def test_near_miss_is_a_valid_case_that_differs(entry: dict[str, Any]) -> None:
    near = document(entry["near_miss"])
    assert isinstance(parse_case(copy.deepcopy(near)), Case)
    assert near != document(entry["fires"]), "the near miss must change something"
    if entry.get("lesion"):
        ids = [lesion["id"] for lesion in near.get("lesions", [])]
        assert entry["lesion"] in ids, "the near miss must still list the lesion"


@pytest.mark.parametrize("entry", UNCONDITIONAL, ids=entry_id)
def test_only_unconditional_rules_lack_a_near_miss(entry: dict[str, Any]) -> None:
    assert RULES[entry["rule"]].rule.when.strip() == "true", "give a near miss"
    for name in sorted(BASES):
        found, _ = fired_for(build({"base": name}), entry["rule"], None)
        assert found, f"{entry['rule']} did not fire on base {name}"

"""Every condition of a treatment itself (kb.yaml ``treatment_conditions``) holds for every rule
that proposes the treatment, whatever its indication.

The cases are the rules' own entries in ``rule_cases.yaml``: each entry whose rule proposes one
of a condition's actions is run again on its ``fires`` case with ``stops`` (the rule must be
silent, and decided so), and where given with ``holds`` (it fires again) and ``opens`` (its
item is conditional on the open condition). A case of a man first gets the condition's
``control`` patch (a woman, for a pregnancy), under which it must still fire. A condition that
no case documents as unmet (a tissue diagnosis not yet made is open: the biopsy decides) has no
``stops``; its ``opens`` makes every such item conditional, never firm.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from tests.kb_copies import edited_copy, load_error
from tests.rules.test_rules import (
    DATA,
    ENTRIES,
    KB,
    RULES,
    deep_merge,
    document,
    entry_id,
    fired_for,
)

CONDITIONS: dict[str, dict[str, Any]] = DATA["treatment_conditions"]
SIDE_KEYS = {"control", "stops", "holds", "opens", "why", "implied_by", "solitary", "exempt"}


def _implied(name: str) -> set[str]:
    """Rules that require the condition's fact themselves (``implied_by``)."""
    return set((CONDITIONS.get(name, {}).get("implied_by") or {}).get("rules", ()))


def _exempt(name: str) -> set[str]:
    """Rules whose own premise lies outside the condition (``exempt``: the last phase of
    life, where no biopsy is taken): they keep their item firm when the condition is open."""
    return set((CONDITIONS.get(name, {}).get("exempt") or {}).get("rules", ()))


#: Primary sites that are no solid tumour: a condition about a solitary metastasis of a solid
#: tumour (``solitary: true``) does not concern their cases.
NOT_SOLID = {"myeloma", "lymphoma"}


def _concerns(name: str, entry: Mapping[str, Any]) -> bool:
    if not CONDITIONS.get(name, {}).get("solitary"):
        return True
    return (document(entry["fires"]).get("primary") or {}).get("site") not in NOT_SOLID


def _cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for tc in KB.treatment_conditions:
        actions = set(tc.treatment.actions)
        implied = _implied(tc.treatment.id)
        for entry in ENTRIES:
            if (
                RULES[entry["rule"]].rule.action in actions
                and entry["rule"] not in implied
                and entry["rule"] not in _exempt(tc.treatment.id)
                and _concerns(tc.treatment.id, entry)
            ):
                out.append((tc.treatment.id, entry))
    return out


CASES = _cases()


def _fires_doc(entry: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The entry's ``fires`` case, with the control patch when it is a man's."""
    doc = document(entry["fires"])
    if (doc.get("patient") or {}).get("sex") == "male":
        doc = deep_merge(doc, CONDITIONS[name]["control"])
    return doc


def _solitary(doc: dict[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """The case with the entry's lesion (or the first one) as the only metastasis, documented
    as such, the first one and not biopsied (a condition's ``solitary: true``)."""
    lesions = doc.get("lesions") or []
    kept = [les for les in lesions if les["id"] == entry.get("lesion")] or lesions[:1]
    (lesion,) = kept
    spinal = lesion.get("region") == "spine"
    return deep_merge(
        doc,
        {
            "lesions": [{**lesion, "histology_confirmed": False}],
            # A diffuse marrow involvement is never a solitary metastasis.
            "bone_metastases": {
                "vertebral_count": int(spinal),
                "extraspinal_count": int(not spinal),
                "extensive_marrow_involvement": False,
            },
            # The lesion as the first metastasis (not one beside metastases known before).
            "primary": {"first_metastatic_presentation": True},
            "visceral_metastases": {
                "present": False,
                "count": 0,
                "pattern": None,
                "removable": None,
                "treatable": None,
            },
        },
    )


def _opened(entry: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The entry's case with the condition open (``opens``, or made solitary)."""
    sides = CONDITIONS[name]
    doc = _fires_doc(entry, name)
    if sides.get("solitary"):
        return _solitary(doc, entry)
    return deep_merge(doc, sides["opens"])


def _run(entry: Mapping[str, Any], name: str, patch: Mapping[str, Any], status: str | None) -> bool:
    case = parse_case(deep_merge(_fires_doc(entry, name), patch))
    return fired_for(case, entry["rule"], entry.get("lesion"), status)[0]


def test_every_treatment_condition_has_its_patches() -> None:
    ids = {tc.treatment.id for tc in KB.treatment_conditions}
    assert set(CONDITIONS) == ids
    for name, sides in CONDITIONS.items():
        assert set(sides) <= SIDE_KEYS, f"{name}: unknown keys {set(sides) - SIDE_KEYS}"
        assert {"control", "why"} <= set(sides), name
        assert {"stops", "opens", "solitary"} & set(sides), f"{name}: neither stops nor opens"


@pytest.mark.parametrize("name", sorted(n for n in CONDITIONS if _implied(n)))
def test_a_rule_left_out_of_a_condition_requires_its_fact(name: str) -> None:
    """A rule left out of a condition's cases reads the fact that implies the condition (a
    biopsied lesion is a tissue diagnosis), outside any negation, as a required part."""
    fact = CONDITIONS[name]["implied_by"]["fact"]
    for rule_id in _implied(name):
        condition = RULES[rule_id].condition
        assert fact in condition.positive, rule_id
        assert any(g.fact == fact for g in condition.guards), rule_id


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_every_action_of_a_condition_is_shown_by_an_entry(name: str) -> None:
    """Each action of the condition has a rule entry, so that the condition is seen to stop
    it."""
    tc = next(t for t in KB.treatment_conditions if t.treatment.id == name)
    shown = {RULES[entry["rule"]].rule.action for tc_id, entry in CASES if tc_id == name}
    # An action only rules that require the condition's fact propose is shown by them.
    shown |= {RULES[rule].rule.action for rule in _implied(name)}
    assert set(tc.treatment.actions) <= shown, sorted(set(tc.treatment.actions) - shown)


@pytest.mark.parametrize(("name", "entry"), CASES, ids=[f"{n}-{entry_id(e)}" for n, e in CASES])
def test_condition_stops_the_rule(name: str, entry: dict[str, Any]) -> None:
    sides = CONDITIONS[name]
    status = entry.get("status")
    assert _run(entry, name, {}, status), "the case (with the control patch) must fire"
    lesion = entry.get("lesion")
    if "stops" not in sides:
        case = parse_case(_opened(entry, name))
        assert not fired_for(case, entry["rule"], lesion, "firm")[0], sides["why"]
        if RULES[entry["rule"]].rule.conditional == "never":
            # A rule that only ever gives a firm item waits, silent, for the answer.
            assert not fired_for(case, entry["rule"], lesion, "conditional")[0]
            return
        assert fired_for(case, entry["rule"], lesion, "conditional")[0], "the condition open"
        return
    case = parse_case(deep_merge(_fires_doc(entry, name), sides["stops"]))
    assert not fired_for(case, entry["rule"], lesion, status)[0], sides["why"]
    assert not fired_for(case, entry["rule"], lesion, "conditional")[0], "still conditional"
    label = f"{entry['rule']}[{lesion}]" if lesion else entry["rule"]
    open_for = [m.field for m in evaluate(case, KB).missing_data if label in m.needed_for]
    assert not open_for, f"{label} is undetermined (unknown: {open_for})"
    if "holds" in sides:
        assert _run(entry, name, sides["holds"], status), "the condition met: it fires again"
    if "opens" in sides:
        if RULES[entry["rule"]].rule.conditional == "never":
            assert not _run(entry, name, sides["opens"], None), "silent while it is open"
            return
        assert _run(entry, name, sides["opens"], "conditional"), "the condition open"


def _condition(name: str) -> Any:
    return next(t.treatment for t in KB.treatment_conditions if t.treatment.id == name)


@pytest.mark.parametrize(
    ("name", "discipline"),
    [
        ("radiotherapy_fetal_dose", "radiotherapy"),
        ("radionuclides_not_in_pregnancy", "nuclear_medicine"),
        ("radiotherapy_not_declined", "radiotherapy"),
        ("systemic_therapy_not_declined", "systemic"),
    ],
)
def test_a_whole_discipline_is_covered(name: str, discipline: str) -> None:
    """Every radiotherapy action waits for the fetal dose, every radionuclide therapy is kept
    out of a pregnancy: a new action of the discipline must be listed too."""
    codes = {code for code, a in KB.actions.items() if a.discipline == discipline}
    assert codes <= set(_condition(name).actions), sorted(codes - set(_condition(name).actions))


#: Surgical actions that are not operations: a consultation (the surgeon judges the risk,
#: advises on off-loading or a brace and explains what a refusal of surgery means) and the
#: care of a jaw osteonecrosis, which is mostly not an operation.
NOT_AN_OPERATION = {"SURG.SPINE_CONSULT", "SURG.ORTHO_CONSULT", "SURG.ONJ_ORAL_SURGERY"}


def test_every_operation_waits_for_consent() -> None:
    """A declined operation is never proposed: every action of the surgery discipline is
    either kept out by surgery_not_declined or named here as no operation, so a new surgical
    action has to be placed on one side."""
    surgical = {code for code, a in KB.actions.items() if a.discipline == "surgery"}
    kept_out = set(_condition("surgery_not_declined").actions)
    assert surgical - NOT_AN_OPERATION <= kept_out, sorted(surgical - NOT_AN_OPERATION - kept_out)
    assert not NOT_AN_OPERATION & kept_out
    # The operations of other disciplines, and the embolisation that only prepares one.
    assert {"STS.METASTASECTOMY", "IR.EMBOLIZATION_PREOP"} <= kept_out


def test_every_bone_modifying_agent_waits_for_consent() -> None:
    """Every action that gives an agent is kept out when agents are declined; what remains of
    the discipline gives none (a calcium supplement, a decision, a withheld agent)."""
    gives_none = {
        "BMA.CALCIUM_VITAMIN_D",
        "BMA.NO_HIGH_DOSE",
        "BMA.WITHHOLD",
        "BMA.ONJ_PAUSE_DECISION",
    }
    codes = {code for code, a in KB.actions.items() if a.discipline == "bone_modifying_agents"}
    kept_out = set(_condition("bone_modifying_agents_not_declined").actions)
    assert codes - gives_none == kept_out


def test_the_condition_is_part_of_the_rule() -> None:
    rule = RULES["nuclear_medicine.radioiodine"]
    assert rule.rule.when == (
        'primary.site == "thyroid" && primary.rai_avid && !primary.thyroid_no_iodine_uptake'
    )
    assert "patient.pregnant" in rule.condition.facts
    assert "patient.pregnant" in {g.fact for g in rule.condition.guards}
    # A rule of another action does not read it.
    assert "patient.pregnant" not in RULES["supportive.nutrition"].condition.facts


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda tc: tc["actions"].append("NUC.NONESUCH"),
            "kb.yaml: treatment condition radionuclides_not_in_pregnancy: unknown action code "
            "NUC.NONESUCH",
        ),
        (
            lambda tc: tc.update(when="!lesion.painful"),
            "lesion fact 'lesion.painful' in a rule with per: case",
        ),
        (lambda tc: tc.update(sources=["nonesuch2000"]), "nonesuch2000"),
    ],
    ids=["action", "lesion-fact", "source"],
)
def test_lint_of_a_treatment_condition(tmp_path: Path, change: Any, expected: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        change(
            next(
                t
                for t in data["treatment_conditions"]
                if t["id"] == "radionuclides_not_in_pregnancy"
            )
        )

    assert expected in load_error(edited_copy(tmp_path, "kb.yaml", edit))


_EXEMPT = [
    (name, entry) for name in CONDITIONS for entry in ENTRIES if entry["rule"] in _exempt(name)
]


@pytest.mark.parametrize(("name", "entry"), _EXEMPT, ids=[f"{n}-{entry_id(e)}" for n, e in _EXEMPT])
def test_an_exempt_rule_stays_firm_where_the_condition_is_open(
    name: str, entry: dict[str, Any]
) -> None:
    case = parse_case(_opened(entry, name))
    assert fired_for(case, entry["rule"], entry.get("lesion"), "firm")[0], CONDITIONS[name][
        "exempt"
    ]

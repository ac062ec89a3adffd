"""Loading and linting the knowledge base (``osteoboard/knowledge/``).

The knowledge base is data: rules in YAML with conditions in CEL, action codes with their
texts and evidence status, the bibliography (CSL-JSON), and the therapies the evidence guard
knows. Loading compiles every condition once and fails with a message naming the file and the
rule on anything a reviewer would have to catch by eye: an unknown fact, action code or source,
a CEL syntax or type error, a missing German or English text, a duplicate rule id, or an
investigational, preclinical or obsolete action used as a recommendation.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from osteoboard import _cel as cel
from osteoboard import kbcache
from osteoboard._cel import CelProgram
from osteoboard.case import (
    SPINE_LEVELS,
    BoneModifyingAgent,
    BoneModifyingAgentDose,
    EsccGrade,
    Joint,
    MyelomaDrug,
    Operation,
    PrimarySite,
    Region,
    SarcomaAgent,
    SarcomaSubtype,
)
from osteoboard.celpy import Compiled, Unsupported, compile_condition
from osteoboard.factbook import (
    FactInfo,
    collect_thresholds,
    lint_fact_info,
    parse_fact_infos,
    straddles,
    test_points,
)
from osteoboard.facts import CATALOGUE, DERIVATION_CONSTANTS, DrugClass, Fact, catalogue_by_name
from osteoboard.knowledge_files import (
    KnowledgeError,
    check_sources,
    default_kb_dir,
    read_yaml,
    validate,
)
from osteoboard.labels import (
    Labels,
    case_fields,
    parse_labels,
    score_vocabularies,
    vocabularies,
)
from osteoboard.patient_texts import (
    Block,
    LetterTexts,
    TextsError,
    load_glossary,
    load_letter_texts,
    load_texts,
)
from osteoboard.prognosis import PrognosisMapping, read_prognosis_mapping
from osteoboard.proposal import Priority
from osteoboard.quality import Indicator, load_quality
from osteoboard.sites import SiteTable, read_site_table
from osteoboard.text import Text

__all__ = [
    "Action",
    "CompiledDefinition",
    "CompiledRule",
    "CompiledTreatmentCondition",
    "Condition",
    "Guard",
    "KnowledgeBase",
    "KnowledgeError",
    "Rule",
    "Status",
    "TreatmentCondition",
    "default_kb_dir",
    "flat_name",
    "load_knowledge_base",
]


class Status(StrEnum):
    guideline = "guideline"
    approved = "approved"
    investigational = "investigational"
    preclinical = "preclinical"
    obsolete = "obsolete"


RECOMMENDABLE = {Status.guideline, Status.approved}

Discipline = Literal[
    "emergency",
    "diagnostics",
    "surgery",
    "radiotherapy",
    "interventional_radiology",
    "bone_modifying_agents",
    "nuclear_medicine",
    "systemic",
    "supportive",
    "board",
    "myeloma",
    "sarcoma",
    "warning",
]
#: The disciplines in the order a proposal lists them.
DISCIPLINES: tuple[str, ...] = get_args(Discipline)

_CODE = r"^[A-Z]+\.[A-Z0-9_]+$"


class _KbModel(BaseModel):
    # defer_build: validated only when a knowledge base is read from its files, not when it
    # comes from the cache (most runs); the validator is built on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Action(_KbModel):
    code: Annotated[str, Field(pattern=_CODE)]
    discipline: Discipline
    status: Status
    label: Text
    text: Text
    harm: Literal["preventing", "carrying"] = Field(
        default="carrying",
        description="preventing: a step that averts harm (consult, imaging, dexamethasone, "
        "calcium/vitamin D, advice) and may be firm when any plausible completion of the open "
        "facts needs it; carrying: firm only with documented eligibility (SPEC §4.1).",
    )
    alternatives_text: Text | None = Field(
        default=None,
        description="The text of a conditional item whose branches come from rules with "
        "different texts (each naming its own reason): it states none, the conditions say "
        "when each branch applies.",
    )
    joins_texts: bool = Field(
        default=False,
        description="A request list (laboratory values): when several rules give the item, "
        "its text is each of their texts in turn, most urgent first, so that no request is "
        "dropped; otherwise the most urgent rule's text stands for all.",
    )
    bone_agent: bool = Field(
        default=False,
        description="Gives a bone-modifying agent itself (not calcium and vitamin D, not a "
        "course's length, not withholding one): the patient letter tells what the agents "
        "bring and cost only beside such an item or an agent already given.",
    )


class Therapy(_KbModel):
    name: Annotated[str, Field(pattern=r"^[a-z0-9_\-]+$")]
    aliases: list[str] = Field(default_factory=list)
    drug_class: DrugClass | None = Field(
        default=None,
        description="The class of a drug that changes a procedure (facts "
        "medication.<class>): bleeding before a procedure, wound healing after surgery, "
        "radiosensitisation around radiotherapy; nsaid: a current NSAID "
        "(prior.nsaid_current); myeloma_drug: a myeloma therapy running "
        "(prior.myeloma_therapy_current) and its renal dosing; cdk46_inhibitor: a "
        "neutropenia it explains (def.cdk46_neutropenia); mtor_inhibitor: wound healing "
        "after surgery; oral_bisphosphonate: an osteoporosis agent the dose for bone "
        "metastases replaces; corticosteroid: a dose already given that the dexamethasone of "
        "a cord compression raises rather than doubles, and does not taper below.",
    )
    #: A bone-modifying agent's product and the dose it comes at (XGEVA: denosumab at the
    #: bone-metastasis dose; Prolia: at the osteoporosis dose): named on the current
    #: medication, it stands for the agent and dose fields the case leaves empty.
    bone_modifying_agent: BoneModifyingAgent | None = None
    bone_modifying_agent_dose: BoneModifyingAgentDose | None = None
    status: Status
    note: Text
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _agent_and_dose(self) -> Therapy:
        if self.bone_modifying_agent is None and self.bone_modifying_agent_dose is not None:
            raise ValueError("bone_modifying_agent_dose needs a bone_modifying_agent")
        return self


class Rule(_KbModel):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")]
    per: Literal["case", "lesion"] = "case"
    when: Annotated[str, Field(min_length=1)]
    action: Annotated[str, Field(pattern=_CODE)]
    priority: Priority = Priority.routine
    strength: Literal["strong", "conditional", "option"] = "strong"
    text: Text | None = None
    sources: Annotated[list[str], Field(min_length=1)]
    because: list[str] | None = None
    status: Literal["suspected"] | None = Field(
        default=None,
        description="suspected: an emergency raised by a finding that imaging or a "
        "measurement has not confirmed yet (emergency actions only).",
    )
    conditional: Literal["auto", "supported", "never", "always"] = Field(
        default="auto",
        description="What an open outcome (some completion of the unknown facts makes the rule "
        "true) gives: auto follows the action's harm class, supported does too but only when "
        "a documented finding supports the rule (as for an emergency: one open fact alone "
        "gives no item), never keeps the rule silent, always makes the item conditional even "
        "for a harm-preventing step.",
    )
    alternative_to: list[Annotated[str, Field(pattern=_CODE)]] = Field(
        default_factory=list,
        description="Radiotherapy schedules this rule's schedule is offered beside as an "
        "alternative, when one of them is the lesion's proposed schedule "
        "(kb.yaml radiotherapy_schedules).",
    )
    covers: list[Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")]] = Field(
        default_factory=list,
        description="Rules of the same request-list action (joins_texts) whose requests this "
        "rule's text already makes: beside it their texts are left out of the item.",
    )
    retests_markers: bool = Field(
        default=False,
        description="A biopsy of a metastasis whose nature is not in doubt (the first "
        "metastasis of a known cancer, to retest the markers that choose the therapy): while "
        "it is conditional the patient letter does not call the lesions unconfirmed "
        "(DX.BIOPSY rules only).",
    )
    note: str | None = Field(default=None, description="Reviewer's note; not shown to users.")


class RuleFile(_KbModel):
    discipline: str
    description: str | None = None
    rules: list[Rule]


class Definition(_KbModel):
    """A named condition that rules can use as ``def.<id>`` (evaluated once per case)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    meaning: str
    when: Annotated[str, Field(min_length=1)]
    sources: list[str] = Field(default_factory=list)


class TreatmentCondition(_KbModel):
    """A condition of a treatment itself, whatever its indication (``kb.yaml``
    ``treatment_conditions``): every rule that proposes one of the actions is read with it
    (``when && condition``), so that no indication, present or added later, can leave it out."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    actions: Annotated[list[Annotated[str, Field(pattern=_CODE)]], Field(min_length=1)]
    when: Annotated[str, Field(min_length=1)]
    meaning: str
    sources: Annotated[list[str], Field(min_length=1)]


#: The vocabularies a list constant can be checked against (``of:``).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "primary_site": tuple(PrimarySite),
    "spine_level": SPINE_LEVELS,
    "joint": tuple(Joint),
    "region": tuple(Region),
    "escc_grade": tuple(EsccGrade),
    "sarcoma_subtype": tuple(SarcomaSubtype),
    "sarcoma_agent": tuple(SarcomaAgent),
    "bone_modifying_agent": tuple(BoneModifyingAgent),
    "operation": tuple(Operation),
    "myeloma_drug": tuple(MyelomaDrug),
}


class Constant(_KbModel):
    """A named clinical constant (a number or a list) with its meaning and sources."""

    value: int | float | list[str]
    of: str | None = Field(
        default=None, description="The vocabulary every member of a list must belong to."
    )
    meaning: str
    sources: Annotated[list[str], Field(min_length=1)]


class KbMeta(_KbModel):
    name: str
    version: Annotated[str, Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")]
    description: str | None = None
    definitions: list[Definition] = Field(default_factory=list)
    constants: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], Constant] = Field(
        default_factory=dict, description="Named constants, usable in rules as kb.<name>."
    )
    disciplines: dict[Discipline, Text]
    rule_files: list[str]
    radiotherapy_schedules: ScheduleOrder | None = None
    treatment_conditions: list[TreatmentCondition] = Field(
        default_factory=list,
        description="Conditions of a treatment itself, added to every rule proposing it.",
    )


class ScheduleOrder(_KbModel):
    """Radiotherapy schedules in the order one of them is chosen for a lesion."""

    order: Annotated[list[Annotated[str, Field(pattern=_CODE)]], Field(min_length=2)]
    sources: Annotated[list[str], Field(min_length=1)]


@dataclass(frozen=True)
class Condition:
    """A compiled CEL condition with the facts it reads (and their flat variable names)."""

    source: str
    #: Compiled with the knowledge constants it reads written in as literals, so that
    #: running it needs only the facts (converting the lists for every run cost more than
    #: deciding most rules).
    program: Any
    facts: tuple[str, ...]
    flat: tuple[str, ...]
    #: The knowledge constants it reads, under their CEL names (for review; already in the
    #: program).
    constants: dict[str, Any]
    #: Facts read at least once outside a negation (not under ``!`` or ``!=``): only these
    #: can be the documented finding that raises an open rule.
    positive: frozenset[str] = frozenset()
    #: Tests of single facts that the condition requires as a whole (its top-level ``&&``
    #: parts such as ``mm.present`` or ``lesion.region == "spine"``): one that a known value
    #: fails makes the condition false without running it.
    guards: tuple[Guard, ...] = ()
    #: The same program as a Python function (:mod:`osteoboard.celpy`), which the engine runs
    #: unless told to run CEL's; None for a condition using a part of CEL not compiled there.
    python: Compiled | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Guard:
    """A part of a condition that tests one fact against literals."""

    fact: str
    #: ``is`` (a yes/no fact), ``==``, ``!=``, ``in``, ``<``, ``<=``, ``>``, ``>=``.
    op: str
    operand: Any
    #: Whether a known value makes this part false (never for a value of another type than
    #: the literal: that is left to CEL).
    fails: Callable[[Any], bool] = field(compare=False, repr=False)

    @classmethod
    def make(cls, fact: str, op: str, operand: Any) -> Guard:
        return cls(fact, op, operand, _guard_test(op, operand))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Guard.make, (self.fact, self.op, self.operand))


_NUMBERS = (int, float)


def _guard_test(op: str, operand: Any) -> Callable[[Any], bool]:
    if op == "is":
        opposite = not operand
        return lambda value: value is opposite
    if op == "==":
        return lambda value: value.__class__ is str and value != operand
    if op == "!=":
        return lambda value: value.__class__ is str and value == operand
    if op == "in":
        return lambda value: value.__class__ is str and value not in operand
    if op == "<":
        return lambda value: value.__class__ in _NUMBERS and not value < operand
    if op == "<=":
        return lambda value: value.__class__ in _NUMBERS and not value <= operand
    if op == ">":
        return lambda value: value.__class__ in _NUMBERS and not value > operand
    return lambda value: value.__class__ in _NUMBERS and not value >= operand


@dataclass(frozen=True)
class CompiledDefinition:
    definition: Definition
    condition: Condition

    @property
    def name(self) -> str:
        return f"def.{self.definition.id}"


@dataclass(frozen=True)
class CompiledTreatmentCondition:
    treatment: TreatmentCondition
    #: The condition with its definitions expanded (as it is added to the rules).
    condition: Condition


@dataclass(frozen=True)
class GuardIndex:
    """The distinct guards of the rules, numbered, and per rule the bits of its own: a rule
    is ruled out on a scope when a known value fails one of them (``failing & mask``)."""

    guards: tuple[Guard, ...]
    #: Numbers of the guards on case facts (the same in every scope of a case) and on lesion
    #: facts.
    case_guards: tuple[int, ...]
    lesion_guards: tuple[int, ...]
    case_masks: tuple[int, ...]
    lesion_masks: tuple[int, ...]
    #: Per tuple of guard numbers asked for, the guards by fact (built on first use).
    _groups: dict[tuple[int, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(
        cls, case_rules: Sequence[CompiledRule], lesion_rules: Sequence[CompiledRule]
    ) -> GuardIndex:
        numbers: dict[tuple[str, str, str], int] = {}
        guards: list[Guard] = []

        def mask(rule: CompiledRule) -> int:
            bits = 0
            for guard in rule.condition.guards:
                key = (guard.fact, guard.op, repr(guard.operand))
                number = numbers.get(key)
                if number is None:
                    number = numbers[key] = len(guards)
                    guards.append(guard)
                bits |= 1 << number
            return bits

        case_masks = tuple(mask(r) for r in case_rules)
        lesion_masks = tuple(mask(r) for r in lesion_rules)
        return cls(
            guards=tuple(guards),
            case_guards=tuple(i for i, g in enumerate(guards) if not g.fact.startswith("lesion.")),
            lesion_guards=tuple(i for i, g in enumerate(guards) if g.fact.startswith("lesion.")),
            case_masks=case_masks,
            lesion_masks=lesion_masks,
        )

    def failing(self, numbers: Sequence[int], values: Mapping[str, Any]) -> int:
        """The bits of the guards among ``numbers`` that a known value fails.

        The guards are taken fact by fact, and for a yes/no value the bits are known
        beforehand (most guards test a yes/no fact): one lookup per fact instead of a test
        per guard."""
        key = numbers if isinstance(numbers, tuple) else tuple(numbers)
        groups = self._groups.get(key)
        if groups is None:
            groups = self._groups[key] = self._grouped(key)
        guards = self.guards
        bits = 0
        for fact, if_true, if_false, own in groups:
            value = values[fact]
            if value is None:
                continue
            if value is True:
                bits |= if_true
            elif value is False:
                bits |= if_false
            else:
                for number in own:
                    if guards[number].fails(value):
                        bits |= 1 << number
        return bits

    def _grouped(
        self, numbers: tuple[int, ...]
    ) -> tuple[tuple[str, int, int, tuple[int, ...]], ...]:
        """Per fact (in the order first met): the bits failing on true, on false, and the
        numbers of its guards."""
        by_fact: dict[str, list[int]] = {}
        for number in numbers:
            by_fact.setdefault(self.guards[number].fact, []).append(number)
        out = []
        for fact, own in by_fact.items():
            if_true = if_false = 0
            for number in own:
                if self.guards[number].fails(True):
                    if_true |= 1 << number
                if self.guards[number].fails(False):
                    if_false |= 1 << number
            out.append((fact, if_true, if_false, tuple(own)))
        return tuple(out)


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    file: str
    order: int
    condition: Condition
    because: tuple[str, ...]
    placeholders: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    version: str
    sha256: str
    directory: Path
    actions: dict[str, Action]
    rules: tuple[CompiledRule, ...]
    sources: dict[str, dict[str, Any]]
    therapies: dict[str, Therapy]
    #: The prognosis mapping (prognosis.yaml): bands, score categories, which estimate wins.
    prognosis: PrognosisMapping
    #: The primary-site table (sites.yaml).
    sites: SiteTable
    definitions: tuple[CompiledDefinition, ...] = ()
    #: Conditions of a treatment itself, already added to the rules that propose it.
    treatment_conditions: tuple[CompiledTreatmentCondition, ...] = ()
    constants: dict[str, Any] = field(default_factory=dict)
    disciplines: dict[str, Text] = field(default_factory=dict)
    texts: tuple[Block, ...] = ()
    glossary: dict[str, str] = field(default_factory=dict)
    #: The wording of the patient letter's personal part (texts/de/letter.yaml).
    letter: LetterTexts | None = None
    facts: dict[str, FactInfo] = field(default_factory=dict)
    #: The vocabulary of every output (labels.yaml).
    labels: Labels = field(default_factory=Labels)
    #: Per numeric fact, every literal a rule compares it against (sorted).
    thresholds: dict[str, tuple[float, ...]] = field(default_factory=dict)
    #: Radiotherapy schedules, the one proposed for a lesion first (kb.yaml).
    schedules: tuple[str, ...] = ()
    #: The quality indicators (quality.yaml).
    quality: tuple[Indicator, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        """What a cached copy keeps: the loaded fields, not what is derived from them (the
        engine's shared verdicts above all)."""
        cached = {
            name
            for name, member in vars(type(self)).items()
            if isinstance(member, functools.cached_property)
        }
        return {k: v for k, v in self.__dict__.items() if k not in cached}

    @functools.cached_property
    def rules_by_id(self) -> dict[str, CompiledRule]:
        return {r.rule.id: r for r in self.rules}

    @functools.cached_property
    def therapy_names(self) -> dict[str, tuple[str, ...]]:
        """Per therapy, its name and aliases (as the case's medication may spell it)."""
        return {t.name: (t.name, *t.aliases) for t in self.therapies.values()}

    @functools.cached_property
    def bma_products(
        self,
    ) -> dict[str, tuple[BoneModifyingAgent, BoneModifyingAgentDose | None]]:
        """Per therapy that names a bone-modifying agent, its agent and (for a product sold at
        one dose) its dose."""
        return {
            t.name: (t.bone_modifying_agent, t.bone_modifying_agent_dose)
            for t in self.therapies.values()
            if t.bone_modifying_agent is not None
        }

    @functools.cached_property
    def drug_classes(self) -> dict[str, str]:
        """Per therapy that has one, its drug class."""
        return {t.name: t.drug_class for t in self.therapies.values() if t.drug_class is not None}

    @functools.cached_property
    def constant_sets(self) -> dict[str, frozenset[Any]]:
        """The knowledge constants that are lists, as sets."""
        return {k: frozenset(v) for k, v in self.constants.items() if isinstance(v, list)}

    @functools.cached_property
    def case_rules(self) -> tuple[CompiledRule, ...]:
        return tuple(r for r in self.rules if r.rule.per == "case")

    @functools.cached_property
    def lesion_rules(self) -> tuple[CompiledRule, ...]:
        return tuple(r for r in self.rules if r.rule.per == "lesion")

    @functools.cached_property
    def case_facts_read(self) -> frozenset[str]:
        """Every fact and definition the case rules read."""
        return frozenset(f for r in self.case_rules for f in r.condition.facts)

    @functools.cached_property
    def lesion_facts_read(self) -> frozenset[str]:
        """Every fact and definition the lesion rules read."""
        return frozenset(f for r in self.lesion_rules for f in r.condition.facts)

    @functools.cached_property
    def lesion_facts_by_rule(self) -> tuple[tuple[str, ...], ...]:
        """Per lesion rule (in order), the lesion facts its condition reads: all that can
        differ between two lesions of one case."""
        return tuple(
            tuple(f for f in r.condition.facts if f.startswith("lesion."))
            for r in self.lesion_rules
        )

    @functools.cached_property
    def case_facts_by_rule(self) -> tuple[tuple[str, ...], ...]:
        """Per lesion rule (in order), the case facts its condition reads: the same for
        every lesion of one case."""
        return tuple(
            tuple(f for f in r.condition.facts if not f.startswith("lesion."))
            for r in self.lesion_rules
        )

    @functools.cached_property
    def guard_index(self) -> GuardIndex:
        """The guards of every rule, each distinct test once (rules share most of them)."""
        return GuardIndex.of(self.case_rules, self.lesion_rules)

    @functools.cached_property
    def verdicts(self) -> dict[Any, Any]:
        """What the engine found a rule to give on given values of the facts it reads (a
        pure function of both, so shared between cases); the engine bounds its size."""
        return {}

    @functools.cached_property
    def asked_together(self) -> frozenset[str]:
        """Facts whose question asks for others too (``asked_with`` names them)."""
        return frozenset(i.asked_with for i in self.facts.values() if i.asked_with is not None)

    @functools.cached_property
    def case_facts_in_order(self) -> tuple[str, ...]:
        """:attr:`case_facts_read` sorted: the order of a case's key of them."""
        return tuple(sorted(self.case_facts_read))

    @functools.cached_property
    def lesion_rule_case_facts(self) -> tuple[str, ...]:
        """The case facts the lesion rules read, sorted: the order of a case's key of them."""
        return tuple(sorted({f for facts in self.case_facts_by_rule for f in facts}))

    @functools.cached_property
    def lesion_verdict_lists(self) -> dict[Any, Any]:
        """The verdicts of all lesion rules on one lesion, by the keys of every fact they
        read (see :attr:`case_verdict_lists`); the engine bounds its size."""
        return {}

    @functools.cached_property
    def case_verdict_lists(self) -> dict[Any, Any]:
        """The verdicts of all case rules on one case, by the keys of every fact they read (a
        pure function of these, so shared between cases that agree on all of them); the
        engine bounds its size."""
        return {}

    @functools.cached_property
    def verdict_values(self) -> dict[Any, Any]:
        """Distinct verdicts of the memo above (one object for equal ones); the engine bounds
        its size."""
        return {}

    @functools.cached_property
    def wanted(self) -> dict[Any, Any]:
        """Conditions of open items in words, by fact, the values that satisfy it and those
        it can take (a pure function of these, so one object for every verdict that names
        it); the engine bounds its size."""
        return {}

    @functools.cached_property
    def item_texts(self) -> dict[Any, Any]:
        """Item texts the engine filled in, by rule and the values it names (a pure function
        of both, so shared between cases); the engine bounds its size."""
        return {}

    @functools.cached_property
    def lesion_fact_sets(self) -> dict[Any, Any]:
        """The facts the engine derived for lesions, by lesion (a function of the lesion and
        this knowledge base, so shared between cases); the engine bounds its size."""
        return {}

    @functools.cached_property
    def fact_inputs(self) -> dict[str, frozenset[str]]:
        """Per fact, the case fields it is derived from (the engine fills it once: a function
        of this knowledge base, so verdicts that rely on it are shared between cases)."""
        return {}

    @functools.cached_property
    def read_at_worst(self) -> tuple[tuple[str, float | None, str | None], ...]:
        """(fact, lower end from which a range of it is read at its upper end, yes/no fact
        whose documented yes reads it so too): facts.yaml ``worst_from`` and ``worst_if``."""
        return tuple(
            (n, i.worst_from, i.worst_if)
            for n, i in self.facts.items()
            if i.worst_from is not None or i.worst_if is not None
        )

    @functools.cached_property
    def implications(self) -> tuple[tuple[str, str], ...]:
        """(fact, fact it makes true): facts.yaml ``implied_by``, both yes/no facts."""
        return tuple((a, n) for n, i in self.facts.items() for a in i.implied_by)

    @functools.cached_property
    def shown_if(self) -> dict[str, str]:
        """Fact -> the yes/no fact that must be "yes" for it to be named as a reason
        (facts.yaml ``shown_if``)."""
        return {n: i.shown_if for n, i in self.facts.items() if i.shown_if is not None}

    @functools.cached_property
    def absent_unless_documented(self) -> tuple[str, ...]:
        """Facts that are read as absent when not documented (their knowledge-base policy)."""
        return tuple(n for n, i in self.facts.items() if i.policy == "absent_unless_documented")

    @functools.cached_property
    def in_text_citations(self) -> dict[tuple[str, ...], dict[str, str]]:
        """Short citations by source key, per list of keys they were numbered within (year
        suffixes are assigned over the list): a function of the list and this knowledge
        base, so shared between documents and cards; the renderers bound its size."""
        return {}

    @functools.cached_property
    def assumable(self) -> dict[str, tuple[str, ...]]:
        """Per condition (by its source), the facts it reads whose assumption an item can
        name: read as absent when not documented, and not quiet (filled by the engine on first
        use of each condition)."""
        return {}

    @functools.cached_property
    def missing_priority(self) -> dict[str, str]:
        """Per rule id, the priority its missing data gets: urgent for an emergency."""
        return {
            r.rule.id: (
                "urgent"
                if self.actions[r.rule.action].discipline == "emergency"
                else r.rule.priority.value
            )
            for r in self.rules
        }

    def rules_for(self, per: str) -> Iterator[CompiledRule]:
        return (r for r in self.rules if r.rule.per == per)


def kb_hash(directory: Path) -> str:
    """sha256 over every knowledge file (relative path and bytes), in sorted order."""
    h = hashlib.sha256()
    for parts in kbcache.files_below(directory, (".yaml", ".md")):
        h.update("/".join(parts).encode())
        h.update(b"\0")
        with open(os.path.join(directory, *parts), "rb") as handle:
            h.update(handle.read())
        h.update(b"\0")
    return h.hexdigest()


# -- fact references in CEL --------------------------------------------------------------------

_NAMESPACES = {f.name.split(".", 1)[0] for f in CATALOGUE} | {"kb"}
_REF = re.compile(r"\b([a-z_]+)\.([a-z_][a-z0-9_]*)\b")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_MACRO_VAR = re.compile(r"\.\s*(?:exists|all|exists_one|map|filter)\s*\(\s*([a-z_][a-z0-9_]*)\s*,")
_PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_][a-z0-9_]*)\}")


_DEF_REF = re.compile(r"\bdef\.([a-z][a-z0-9_]*)\b")


def expand_definitions(expr: str, expanded: Mapping[str, str], where: str) -> str:
    """Replace every ``def.<id>`` outside string literals by its (expanded) condition.

    Definitions are macros: a rule that uses ``def.mscc`` is evaluated on the facts behind
    it, so its explanation and its missing data name those facts, and no separate pass is
    needed.
    """

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in expanded:
            raise KnowledgeError(f"{where}: unknown definition 'def.{name}' (define it first)")
        return f"({expanded[name]})"

    return _outside_strings(expr, lambda code: _DEF_REF.sub(sub, code))


def _outside_strings(expr: str, rewrite: Callable[[str], str]) -> str:
    """``expr`` with ``rewrite`` applied to each stretch outside its string literals."""
    out: list[str] = []
    pos = 0
    for match in _STRING.finditer(expr):
        out.append(rewrite(expr[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(rewrite(expr[pos:]))
    return "".join(out)


def flat_name(fact: str) -> str:
    """CEL variable name of a fact: ``patient.ecog`` → ``patient__ecog``.

    Facts are flat CEL variables so that the engine can change one fact (a lesion's, or an
    unknown one during completion) without rebuilding a whole namespace.
    """
    return fact.replace(".", "__", 1)


def flatten_expression(expr: str) -> str:
    """Rewrite fact references outside string literals to their flat variable names."""
    return _outside_strings(expr, _flatten_code)


def inline_constants(flat_expr: str, constants: Mapping[str, Any]) -> str:
    """Write each knowledge constant (``kb__<name>`` in a flattened expression) as a CEL
    literal (a JSON number, string, list or map is one), outside string literals."""
    if not constants:
        return flat_expr

    def literal(m: re.Match[str]) -> str:
        if m.group(1) not in constants:
            return m.group(0)
        return json.dumps(constants[m.group(1)], ensure_ascii=False, allow_nan=False)

    return _outside_strings(flat_expr, lambda code: _CONSTANT.sub(literal, code))


_CONSTANT = re.compile(r"\bkb__([a-z][a-z0-9_]*)\b")


def _flatten_code(code: str) -> str:
    return _REF.sub(
        lambda m: f"{m.group(1)}__{m.group(2)}" if m.group(1) in _NAMESPACES else m.group(0),
        code,
    )


def referenced_facts(expr: str) -> tuple[list[str], list[str]]:
    """(fact names referenced, identifiers that are neither facts nor macro variables)."""
    bare = _STRING.sub('""', expr)
    facts = list(dict.fromkeys(f"{a}.{b}" for a, b in _REF.findall(bare) if a in _NAMESPACES))
    bound = set(_MACRO_VAR.findall(bare))
    program = cel.compile(flatten_expression(expr))
    # Every other variable is a fact's (or constant's) flat name: one written flat, or of no
    # fact, would read as undefined.
    flats = {flat_name(f) for f in facts}
    stray = [v for v in program.variables() if v not in bound and v not in flats]
    return facts, stray


_POLARITY_TOKEN = re.compile(r"!=|!|\(|\)|\b[a-z_]+\.[a-z_][a-z0-9_]*\b")


_FACT = r"([a-z_]+\.[a-z_][a-z0-9_]*)"
_TEXT = r"(?:\"([^\"\\]*)\"|'([^'\\]*)')"
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_GUARD_BOOL = re.compile(rf"(!?)\s*{_FACT}")
_GUARD_TEXT = re.compile(rf"{_FACT}\s*(==|!=)\s*{_TEXT}")
_GUARD_IN = re.compile(rf"{_FACT}\s+in\s+(?:\[([^\[\]]*)\]|kb\.([a-z][a-z0-9_]*))")
_GUARD_NUMBER = re.compile(rf"{_FACT}\s*(<=|>=|<|>)\s*{_NUMBER}")
_LIST_ITEM = re.compile(rf"\s*{_TEXT}\s*(?:,|$)")


def _top_level_parts(expr: str) -> list[str] | None:
    """The operands of a top-level ``&&`` chain, or None when the expression is not one
    (a top-level ``||`` or ``?``), with parts in parentheses opened up."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    bare = _STRING.sub(lambda m: "_" * len(m.group(0)), expr)
    while i < len(bare):
        ch = bare[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and bare.startswith("&&", i):
            parts.append(expr[start:i])
            start = i + 2
            i += 1
        elif depth == 0 and (bare.startswith("||", i) or ch == "?"):
            return None
        i += 1
    parts.append(expr[start:])
    out: list[str] = []
    for part in (p.strip() for p in parts):
        inner = _enclosed(part)
        if inner is not None:
            out.extend(_top_level_parts(inner) or [part])
        else:
            out.append(part)
    return out


def _enclosed(part: str) -> str | None:
    """The inside of ``( … )`` when the parentheses enclose the whole part."""
    if not (part.startswith("(") and part.endswith(")")):
        return None
    bare = _STRING.sub(lambda m: "_" * len(m.group(0)), part)
    depth = 0
    for i, ch in enumerate(bare):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(bare) - 1:
            return None
    return part[1:-1]


def _texts(items: str) -> tuple[str, ...] | None:
    out = []
    pos = 0
    while pos < len(items):
        m = _LIST_ITEM.match(items, pos)
        if m is None or m.end() == pos:
            return None
        out.append(m.group(1) if m.group(1) is not None else m.group(2))
        pos = m.end()
    return tuple(out)


def guards(expr: str, constants: Mapping[str, Any]) -> tuple[Guard, ...]:
    """The single-fact tests a condition requires as a whole (see :attr:`Condition.guards`)."""
    out: list[Guard] = []
    for part in _top_level_parts(expr) or []:
        if m := _GUARD_BOOL.fullmatch(part):
            out.append(Guard.make(m.group(2), "is", not m.group(1)))
        elif m := _GUARD_TEXT.fullmatch(part):
            text = m.group(3) if m.group(3) is not None else m.group(4)
            out.append(Guard.make(m.group(1), m.group(2), text))
        elif m := _GUARD_IN.fullmatch(part):
            items = _texts(m.group(2)) if m.group(2) is not None else None
            listed = constants.get(m.group(3)) if m.group(3) is not None else None
            if isinstance(listed, list) and all(isinstance(v, str) for v in listed):
                items = tuple(listed)
            if items is not None:
                out.append(Guard.make(m.group(1), "in", frozenset(items)))
        elif m := _GUARD_NUMBER.fullmatch(part):
            number = m.group(3)
            value = float(number) if "." in number else int(number)
            out.append(Guard.make(m.group(1), m.group(2), value))
    return tuple(g for g in out if not g.fact.startswith("kb."))


def positive_facts(expr: str) -> frozenset[str]:
    """Facts that occur at least once with positive polarity: not under an odd number of
    negations (``!x``, ``!(… x …)``) and not compared with ``!=``."""
    bare = _STRING.sub('""', expr)
    levels = [False]  # negation parity per parenthesis level
    pending = False
    occurrences: list[list[Any]] = []
    for match in _POLARITY_TOKEN.finditer(bare):
        token = match.group(0)
        if token == "!":
            pending = not pending
        elif token == "(":
            levels.append(levels[-1] ^ pending)
            pending = False
        elif token == ")":
            if len(levels) > 1:
                levels.pop()
        elif token == "!=":
            if occurrences:
                occurrences[-1][1] = not occurrences[-1][1]
        else:
            occurrences.append([token, levels[-1] ^ pending])
            pending = False
    return frozenset(name for name, negated in occurrences if not negated)


def _probe_value(fact: Fact, flag: bool) -> Any:
    if fact.type == "bool":
        return flag
    if fact.type == "int":
        return 1
    if fact.type == "float":
        return 1.5
    if fact.type == "enum":
        return fact.values[0]
    if fact.type == "list":
        return []
    return "x"


def _probe_contexts(constants: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Two contexts with a value of the declared type for every fact: booleans all false, then
    all true, so that both sides of && and || are type-checked."""
    out = []
    for flag in (False, True):
        ctx: dict[str, Any] = {flat_name(f.name): _probe_value(f, flag) for f in CATALOGUE}
        ctx.update({flat_name(f"kb.{k}"): v for k, v in constants.items()})
        out.append(ctx)
    return out


def _compile_condition(
    expr: str,
    where: str,
    per: str,
    constants: Mapping[str, Any],
    probes: list[Any],
) -> Condition:
    """Compile and check one CEL condition."""
    catalogue = catalogue_by_name()
    try:
        program = cel.compile(flatten_expression(expr))
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise KnowledgeError(f"{where}: CEL syntax error in 'when': {first}") from None
    facts, stray = referenced_facts(expr)
    if stray:
        raise KnowledgeError(f"{where}: unknown name {stray[0]!r} in 'when'")
    for name in facts:
        ns, key = name.split(".", 1)
        if ns == "kb":
            if key not in constants:
                raise KnowledgeError(f"{where}: unknown knowledge constant {name!r}")
            continue
        if name not in catalogue:
            raise KnowledgeError(f"{where}: unknown fact {name!r}")
        if ns == "lesion" and per != "lesion":
            raise KnowledgeError(f"{where}: lesion fact {name!r} in a rule with per: case")
    read = tuple(f for f in facts if not f.startswith("kb."))
    used = {f[3:]: constants[f[3:]] for f in facts if f.startswith("kb.")}
    flat_source = inline_constants(flatten_expression(expr), used)
    try:
        inlined = cel.compile(flat_source) if used else program
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise KnowledgeError(
            f"{where}: a knowledge constant cannot be written in: {first}"
        ) from None
    # Type check: evaluate where every fact has a value of its declared type (and the
    # program with the constants written in must agree with the one reading them).
    for probe in probes:
        try:
            result = program.execute(probe)
            same = inlined is program or inlined.execute(probe) == result
        except (TypeError, KeyError, ValueError) as exc:
            raise KnowledgeError(f"{where}: CEL type error in 'when': {exc}") from None
        if not isinstance(result, bool):
            raise KnowledgeError(
                f"{where}: 'when' must be a boolean expression (got {type(result).__name__})"
            )
        if not same:
            raise KnowledgeError(f"{where}: a knowledge constant cannot be written into 'when'")
    return Condition(
        source=expr,
        program=CelProgram(flat_source if used else flatten_expression(expr), inlined),
        facts=read,
        flat=tuple(flat_name(f) for f in read),
        constants={flat_name(f): constants[f[3:]] for f in facts if f.startswith("kb.")},
        positive=positive_facts(expr),
        guards=guards(expr, used),
        python=_python(flat_source),
    )


def _python(flat_source: str) -> Compiled | None:
    try:
        return compile_condition(flat_source)
    except Unsupported:
        return None


def _compile_rule(
    rule: Rule,
    where: str,
    order: int,
    actions: Mapping[str, Action],
    sources: Mapping[str, Any],
    constants: Mapping[str, Any],
    expanded: Mapping[str, str],
    probes: list[Any],
    treatment: Mapping[str, Sequence[str]] | None = None,
) -> CompiledRule:
    """``treatment``: per action code, the (expanded) conditions of the treatment itself that
    every rule proposing it must also meet."""
    catalogue = catalogue_by_name()
    if rule.action not in actions:
        raise KnowledgeError(f"{where}: unknown action code {rule.action}")
    action = actions[rule.action]
    if action.status not in RECOMMENDABLE:
        raise KnowledgeError(
            f"{where}: action {rule.action} has status {action.status.value}; only guideline "
            "and approved actions may be recommended"
        )
    check_sources(rule.sources, sources, where)
    when = expand_definitions(rule.when, expanded, where)
    for extra in (treatment or {}).get(rule.action, ()):
        # Read after the rule's own condition, which decides most cases on its own.
        when = f"({when}) && ({extra})"
    condition = _compile_condition(when, where, rule.per, constants, probes)
    because = tuple(rule.because) if rule.because is not None else condition.facts
    for name in because:
        if name not in catalogue:
            raise KnowledgeError(f"{where}: unknown fact {name!r} in 'because'")
    texts = [rule.text.de, rule.text.en] if rule.text else []
    placeholders = tuple(dict.fromkeys(p for t in texts for p in _PLACEHOLDER.findall(t)))
    for name in placeholders:
        if name not in catalogue:
            raise KnowledgeError(f"{where}: unknown fact {{{name}}} in text")
        if name.startswith("lesion.") and rule.per != "lesion":
            raise KnowledgeError(f"{where}: lesion fact {{{name}}} in a rule with per: case")
    return CompiledRule(
        rule=rule,
        file=where.split(":", 1)[0],
        order=order,
        condition=condition,
        because=because,
        placeholders=placeholders,
    )


def _check_constant(constant: Constant, where: str, sources: Mapping[str, Any]) -> Any:
    check_sources(constant.sources, sources, where)
    value = constant.value
    if constant.of is None:
        return list(value) if isinstance(value, list) else value
    vocabulary = VOCABULARIES.get(constant.of)
    if vocabulary is None:
        raise KnowledgeError(
            f"{where}.of: unknown vocabulary {constant.of!r} (known: {', '.join(VOCABULARIES)})"
        )
    if not isinstance(value, list):
        raise KnowledgeError(f"{where}: a constant with `of:` must be a list")
    for member in value:
        if member not in vocabulary:
            raise KnowledgeError(
                f"{where}: {member!r} is not a {constant.of.replace('_', ' ')} "
                f"({', '.join(vocabulary[:8])}{' …' if len(vocabulary) > 8 else ''})"
            )
        if value.count(member) > 1:
            raise KnowledgeError(f"{where}: {member!r} is listed twice")
    return list(value)


def _constants(therapies: Mapping[str, Therapy]) -> dict[str, Any]:
    """``kb.not_approved_therapies`` (every name of a therapy that is not recommendable) and,
    per therapy, ``kb.therapy_<name>`` (its names, lower case: what a planned therapy is
    compared with)."""
    names: list[str] = []
    out: dict[str, Any] = {}
    for t in therapies.values():
        own = sorted({t.name, *(a.lower() for a in t.aliases)})
        out["therapy_" + t.name.replace("-", "_")] = own
        if t.status not in RECOMMENDABLE:
            names.extend(own)
    out["not_approved_therapies"] = sorted(set(names))
    return out


def load_knowledge_base(directory: Path | None = None) -> KnowledgeBase:
    """Load, validate and compile the knowledge base (cached per directory in the process,
    and on disk by its sha256: see :mod:`osteoboard.kbcache`).

    ``load_knowledge_base()``, ``load_knowledge_base(None)`` and any path naming the packaged
    directory give the same object: a process never holds two copies of one knowledge base
    because its callers spelled the directory differently."""
    if directory is None:
        return _load_knowledge_base(_default_dir())
    return _load_knowledge_base(Path(directory).resolve())


@functools.cache
def _default_dir() -> Path:
    return default_kb_dir().resolve()  # the packaged folder may be a link


@functools.lru_cache(maxsize=4)
def _load_knowledge_base(kb_dir: Path) -> KnowledgeBase:
    sha256 = kb_hash(kb_dir)
    cached = kbcache.read(sha256, KnowledgeBase)
    if cached is not None:
        object.__setattr__(cached, "directory", kb_dir)
        return cached
    kb = _build_knowledge_base(kb_dir, sha256)
    kbcache.write(sha256, kb)
    return kb


#: Forgets the knowledge bases loaded in this process (for tests that change the files).
load_knowledge_base.cache_clear = _load_knowledge_base.cache_clear  # type: ignore[attr-defined]


def lint_knowledge_base(directory: Path | None = None) -> KnowledgeBase:
    """Read, lint and compile every knowledge file, never from the cache (``kb lint``); the
    result replaces the cached copy."""
    kb_dir = directory or default_kb_dir()
    sha256 = kb_hash(kb_dir)
    kb = _build_knowledge_base(kb_dir, sha256)
    kbcache.write(sha256, kb)
    return kb


def _build_knowledge_base(kb_dir: Path, sha256: str) -> KnowledgeBase:
    """Read, lint and compile every knowledge file."""
    meta = validate(KbMeta, read_yaml(kb_dir / "kb.yaml"), "kb.yaml")

    raw_actions = read_yaml(kb_dir / "actions.yaml")
    if not isinstance(raw_actions, list):
        raise KnowledgeError("actions.yaml: must be a list of actions")
    actions: dict[str, Action] = {}
    for i, item in enumerate(raw_actions):
        action = validate(Action, item, f"actions.yaml[{i}]")
        if action.code in actions:
            raise KnowledgeError(f"actions.yaml: duplicate action code {action.code}")
        actions[action.code] = action

    raw_sources = read_yaml(kb_dir / "sources.yaml")
    if not isinstance(raw_sources, list):
        raise KnowledgeError("sources.yaml: must be a list of CSL-JSON items")
    sources: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(raw_sources):
        if not isinstance(item, dict) or "id" not in item or "title" not in item:
            raise KnowledgeError(f"sources.yaml[{i}]: a CSL-JSON item needs id and title")
        if item["id"] in sources:
            raise KnowledgeError(f"sources.yaml: duplicate source key {item['id']}")
        sources[str(item["id"])] = item

    raw_therapies = read_yaml(kb_dir / "therapies.yaml")
    therapies: dict[str, Therapy] = {}
    for i, item in enumerate(raw_therapies or []):
        therapy = validate(Therapy, item, f"therapies.yaml[{i}]")
        check_sources(therapy.sources, sources, f"therapies.yaml[{i}]")
        therapies[therapy.name] = therapy
    sites = read_site_table(kb_dir)
    for prop, keys in sites.sources.items():
        check_sources(keys, sources, f"sites.yaml: properties.{prop}")
    constants = _constants(therapies)
    for name, site_list in sites.constants.items():
        if name in constants:
            raise KnowledgeError(f"sites.yaml: constant {name!r} is reserved")
        constants[name] = site_list
    for name, constant in meta.constants.items():
        if name in constants:
            raise KnowledgeError(f"kb.yaml: constant {name!r} is reserved or defined twice")
        constants[name] = _check_constant(constant, f"kb.yaml: constants.{name}", sources)
    for name, kind in DERIVATION_CONSTANTS.items():
        value = constants.get(name)
        if value is None:
            raise KnowledgeError(f"kb.yaml: constants.{name} is missing (the facts read it)")
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise KnowledgeError(f"kb.yaml: constants.{name}: must be a whole number")
        if kind != "int" and meta.constants[name].of != kind:
            raise KnowledgeError(f"kb.yaml: constants.{name}: must be a list of: {kind}")

    probes = _probe_contexts(constants)
    defs: dict[str, Definition] = {}
    expanded: dict[str, str] = {}
    compiled_defs: list[CompiledDefinition] = []
    for definition in meta.definitions:
        where = f"kb.yaml: definition {definition.id}"
        if definition.id in defs:
            raise KnowledgeError(f"{where}: duplicate definition id")
        check_sources(definition.sources, sources, where)
        when = expand_definitions(definition.when, expanded, where)
        condition = _compile_condition(when, where, "case", constants, probes)
        defs[definition.id] = definition
        expanded[definition.id] = when
        compiled_defs.append(CompiledDefinition(definition, condition))

    treatment: dict[str, list[str]] = {}
    compiled_treatment: list[CompiledTreatmentCondition] = []
    for tc in meta.treatment_conditions:
        where = f"kb.yaml: treatment condition {tc.id}"
        if any(c.treatment.id == tc.id for c in compiled_treatment):
            raise KnowledgeError(f"{where}: duplicate id")
        check_sources(tc.sources, sources, where)
        when = expand_definitions(tc.when, expanded, where)
        # Case facts only: it is added to rules run per case and per lesion alike.
        condition = _compile_condition(when, where, "case", constants, probes)
        for code in tc.actions:
            if code not in actions:
                raise KnowledgeError(f"{where}: unknown action code {code}")
            if tc.actions.count(code) > 1:
                raise KnowledgeError(f"{where}: {code} is listed twice")
            treatment.setdefault(code, []).append(when)
        compiled_treatment.append(CompiledTreatmentCondition(tc, condition))

    # Every rule is type-checked on the same two probes: convert them for CEL once.
    probe_contexts: list[Any] = [cel.Context(p) for p in probes]

    compiled: list[CompiledRule] = []
    seen: dict[str, str] = {}
    order = 0
    for rel in meta.rule_files:
        path = kb_dir / "rules" / rel
        data = validate(RuleFile, read_yaml(path), f"rules/{rel}")
        for rule in data.rules:
            where = f"rules/{rel}: rule {rule.id}"
            if rule.id in seen:
                raise KnowledgeError(f"{where}: duplicate rule id (also in {seen[rule.id]})")
            seen[rule.id] = f"rules/{rel}"
            compiled.append(
                _compile_rule(
                    rule,
                    where,
                    order,
                    actions,
                    sources,
                    constants,
                    expanded,
                    probe_contexts,
                    treatment,
                )
            )
            order += 1
    if list(meta.disciplines) != list(DISCIPLINES):
        raise KnowledgeError(
            "kb.yaml: disciplines must list every discipline once, in this order: "
            + ", ".join(DISCIPLINES)
        )
    listed = set(meta.rule_files)
    for path in sorted((kb_dir / "rules").glob("*.yaml")):
        if path.name not in listed:
            raise KnowledgeError(f"rules/{path.name}: not listed in kb.yaml rule_files")

    labels = _load_labels(kb_dir)
    facts = _load_fact_infos(kb_dir, sources, labels)
    prognosis = read_prognosis_mapping(kb_dir)
    check_sources(prognosis.sources, sources, "prognosis.yaml")
    if (kb_dir / "fhir_codes.yaml").exists():
        from osteoboard.fhir.codes import read_fhir_codes

        read_fhir_codes(kb_dir, sources)  # the FHIR code tables: linted with the rest
    _check_covers(compiled, actions)
    _check_letter_properties(compiled, actions)
    thresholds = _check_thresholds(compiled, compiled_defs, facts)
    schedules = _check_schedules(meta.radiotherapy_schedules, compiled, actions, sources)
    quality = load_quality(kb_dir, actions=actions, sources=sources)

    try:
        glossary = load_glossary(kb_dir)
        texts = (
            load_texts(kb_dir, action_codes=actions, sources=sources, glossary=glossary)
            if (kb_dir / "glossary.de.yaml").exists()
            else ()
        )
        letter = load_letter_texts(
            kb_dir, action_codes=actions, sources=sources, glossary=glossary, facts=facts
        )
    except TextsError as exc:
        raise KnowledgeError(str(exc)) from None

    return KnowledgeBase(
        version=meta.version,
        sha256=sha256,
        directory=kb_dir,
        actions=actions,
        rules=tuple(compiled),
        sources=sources,
        therapies=therapies,
        definitions=tuple(compiled_defs),
        treatment_conditions=tuple(compiled_treatment),
        constants=constants,
        disciplines={str(k): v for k, v in meta.disciplines.items()},
        texts=texts,
        glossary=glossary,
        letter=letter,
        facts=facts,
        labels=labels,
        thresholds=thresholds,
        schedules=schedules,
        quality=quality,
        prognosis=prognosis,
        sites=sites,
    )


def _check_covers(rules: Sequence[CompiledRule], actions: Mapping[str, Action]) -> None:
    """Every rule a rule ``covers`` exists, is another rule and gives the same action, one
    whose texts are joined."""
    by_id = {compiled.rule.id: compiled.rule for compiled in rules}
    for compiled in rules:
        rule = compiled.rule
        for other in rule.covers:
            at = f"{compiled.file}: rule {rule.id}: covers {other}"
            if not actions[rule.action].joins_texts:
                raise KnowledgeError(f"{at}: {rule.action} does not join texts (actions.yaml)")
            if other not in by_id or other == rule.id:
                raise KnowledgeError(f"{at}: not another rule of the knowledge base")
            if by_id[other].action != rule.action:
                raise KnowledgeError(f"{at}: gives {by_id[other].action}, not {rule.action}")


def _check_letter_properties(rules: Sequence[CompiledRule], actions: Mapping[str, Action]) -> None:
    """``bone_agent`` only on bone-modifying-agent actions, ``retests_markers`` only on
    biopsy rules."""
    for code, action in actions.items():
        if action.bone_agent and action.discipline != "bone_modifying_agents":
            raise KnowledgeError(
                f"actions.yaml: {code}: bone_agent on an action of {action.discipline}, "
                "allowed only for bone_modifying_agents"
            )
    for compiled in rules:
        rule = compiled.rule
        if rule.retests_markers and rule.action != "DX.BIOPSY":
            raise KnowledgeError(
                f"{compiled.file}: rule {rule.id}: retests_markers on {rule.action}, "
                "allowed only for DX.BIOPSY"
            )


def _check_schedules(
    schedules: ScheduleOrder | None,
    rules: Sequence[CompiledRule],
    actions: Mapping[str, Action],
    sources: Mapping[str, Any],
) -> tuple[str, ...]:
    """The schedule order, each code a radiotherapy or emergency action listed once, and every
    rule's ``alternative_to`` naming schedules ranked above its own."""
    where = "kb.yaml: radiotherapy_schedules"
    order: list[str] = list(schedules.order) if schedules else []
    for code in order:
        if code not in actions:
            raise KnowledgeError(f"{where}: unknown action code {code}")
        if order.count(code) > 1:
            raise KnowledgeError(f"{where}: {code} is listed twice")
    for key in schedules.sources if schedules else ():
        if key not in sources:
            raise KnowledgeError(f"{where}: unknown source key {key!r}")
    for compiled in rules:
        rule = compiled.rule
        if not rule.alternative_to:
            continue
        at = f"{compiled.file}: rule {rule.id}: alternative_to"
        if rule.action not in order:
            raise KnowledgeError(f"{at}: {rule.action} is not a schedule of {where}")
        for code in rule.alternative_to:
            if code not in order:
                raise KnowledgeError(f"{at}: {code} is not a schedule of {where}")
            if order.index(code) >= order.index(rule.action):
                raise KnowledgeError(f"{at}: {code} does not rank above {rule.action} in {where}")
    return tuple(order)


def _load_labels(kb_dir: Path) -> Labels:
    """``labels.yaml``, checked against the enumerations, scores and fields of the code."""
    from osteoboard.scores import REGISTRY

    return parse_labels(
        read_yaml(kb_dir / "labels.yaml"),
        enums=vocabularies(),
        scores=score_vocabularies(),
        fields=case_fields(),
        score_names=tuple(REGISTRY),
    )


def _with_vocabulary(info: FactInfo, labels: Labels, where: str) -> FactInfo:
    """A fact's value names from its vocabulary in ``labels.yaml`` (plus its own extras)."""
    if info.vocabulary is None:
        return info
    named = labels.vocabularies.get(info.vocabulary, labels.score_categories.get(info.vocabulary))
    if named is None:
        raise KnowledgeError(f"{where}: unknown vocabulary {info.vocabulary!r} (labels.yaml)")
    doubled = [v for v in info.values if v in named]
    if doubled:
        raise KnowledgeError(
            f"{where}: {', '.join(map(repr, doubled))} named here and in labels.yaml "
            f"vocabulary {info.vocabulary!r}"
        )
    values = {k: label.text for k, label in named.items()} | dict(info.values)
    return info.model_copy(update={"values": values})


def _load_fact_infos(
    kb_dir: Path, sources: Mapping[str, Any], labels: Labels
) -> dict[str, FactInfo]:
    """``facts.yaml``: an entry for every catalogue fact, fitting its type."""
    path = kb_dir / "facts.yaml"
    if not path.exists():
        return {}
    try:
        raw = parse_fact_infos(read_yaml(path))
    except ValueError as exc:
        raise KnowledgeError(f"facts.yaml: {exc}") from None
    catalogue = catalogue_by_name()
    infos: dict[str, FactInfo] = {}
    for name, item in raw.items():
        where = f"facts.yaml: {name}"
        if name not in catalogue:
            raise KnowledgeError(f"{where}: not a fact of the catalogue")
        info = _with_vocabulary(validate(FactInfo, item, where), labels, where)
        problem = lint_fact_info(catalogue[name], info) or next(
            (
                f"inputs: {path!r} is not a case field with a label (labels.yaml fields)"
                for path in info.inputs
                if path not in labels.fields
            ),
            None,
        )
        if problem:
            raise KnowledgeError(f"{where}: {problem}")
        check_sources(info.sources, sources, where)
        infos[name] = info
    missing = [f.name for f in CATALOGUE if f.name not in infos]
    if missing:
        raise KnowledgeError(f"facts.yaml: no entry for {', '.join(missing[:5])}")
    for name, info in infos.items():
        if info.asked_if is not None and (
            info.asked_if not in catalogue or catalogue[info.asked_if].type != "bool"
        ):
            raise KnowledgeError(
                f"facts.yaml: facts.{name}: asked_if {info.asked_if!r} must name a yes/no fact"
            )
        scope = name.split(".", 1)[0] == "lesion"
        gate = info.shown_if
        if gate is not None and (
            gate not in catalogue
            or catalogue[gate].type != "bool"
            or (not scope and gate.split(".", 1)[0] == "lesion")
        ):
            raise KnowledgeError(
                f"facts.yaml: facts.{name}: shown_if {gate!r} must name a yes/no fact of the "
                "same scope (or of the case)"
            )
        for implier in info.implied_by:
            if (
                catalogue[name].type != "bool"
                or implier not in catalogue
                or catalogue[implier].type != "bool"
                or (scope and implier.split(".", 1)[0] != "lesion")
            ):
                raise KnowledgeError(
                    f"facts.yaml: facts.{name}: implied_by {implier!r} must name a yes/no fact "
                    "of the same scope or of a lesion, and the fact itself be yes/no"
                )
        if info.worst_if is not None and (
            info.worst_if not in catalogue
            or catalogue[info.worst_if].type != "bool"
            or (info.worst_if.split(".", 1)[0] == "lesion") != scope
        ):
            raise KnowledgeError(
                f"facts.yaml: facts.{name}: worst_if {info.worst_if!r} must name a yes/no fact "
                "of the same scope"
            )
        target = infos.get(info.asked_with) if info.asked_with is not None else None
        if info.asked_with is not None and (
            target is None or target.question is None or target.asked_with is not None
        ):
            raise KnowledgeError(
                f"facts.yaml: facts.{name}: asked_with {info.asked_with!r} must name a fact "
                "with a question of its own"
            )
    return infos


def _check_thresholds(
    rules: Sequence[CompiledRule],
    definitions: Sequence[CompiledDefinition],
    facts: Mapping[str, FactInfo],
) -> dict[str, tuple[float, ...]]:
    """Collect every (number fact, operator, literal) of every condition, and fail on one the
    fact's plausible range cannot straddle or on a number used other than in a comparison with
    a literal: such a comparison would never be tried when the number is unknown."""
    catalogue = catalogue_by_name()
    numeric = {flat_name(f.name): f.name for f in CATALOGUE if f.type in ("int", "float")}
    comparisons: list[tuple[str, str, str, float]] = []
    for where, condition in [
        *((f"rules/{r.file}: rule {r.rule.id}", r.condition) for r in rules),
        *((f"kb.yaml: definition {d.definition.id}", d.condition) for d in definitions),
    ]:
        # A number constant (kb.<name>) is a literal here: it is written into the program.
        constants = {k.removeprefix("kb__"): v for k, v in condition.constants.items()}
        flat = inline_constants(flatten_expression(condition.source), constants)
        found, stray = collect_thresholds(flat, numeric)
        if stray:
            raise KnowledgeError(
                f"{where}: number fact {stray[0]!r} must be compared with a literal "
                "(fact >= 3.0), so that its unknown values can be tried"
            )
        comparisons.extend((where, fact, op, lit) for fact, op, lit in found)
    by_fact: dict[str, set[float]] = {}
    for _, fact, _, lit in comparisons:
        by_fact.setdefault(fact, set()).add(lit)
    out = {fact: tuple(sorted(lits)) for fact, lits in by_fact.items()}
    if not facts:
        return out
    for where, fact, op, lit in comparisons:
        low, high = facts[fact].range or (0.0, 0.0)
        points = test_points(low, high, out[fact], catalogue[fact].type == "int")
        if not straddles(op, lit, [float(p) for p in points]):
            raise KnowledgeError(
                f"{where}: '{fact} {op} {lit:g}' cannot be decided within the fact's plausible "
                f"range [{low:g}, {high:g}] (facts.yaml): widen the range or fix the threshold"
            )
    return out

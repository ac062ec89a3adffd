"""Checks of a drafted bone-modifying agent (``order-select``, ``order-sign``).

The mechanism only: which agent a draft MedicationRequest orders (the importer's medication
code table), the case evaluated with that agent as the current one, the items the knowledge
base lists for it (``knowledge/cds_orders.yaml``), and the dose of the dosing rule that fired
compared with the draft's. Every clinical number comes from the knowledge base.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from osteoboard.case import BoneModifyingAgent, Case
from osteoboard.engine import evaluate
from osteoboard.guideline import KnowledgeBase
from osteoboard.knowledge_files import (
    KnowledgeError,
    check_sources,
    read_yaml,
    validate,
)
from osteoboard.proposal import ItemStatus, Proposal, Recommendation, Warning
from osteoboard.text import Text

__all__ = [
    "DoseAdvice",
    "OrderCheck",
    "OrderRules",
    "check_order",
    "draft_medication_requests",
    "load_order_rules",
]

FILE = "cds_orders.yaml"
Route = Literal["intravenous", "subcutaneous"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Coding(_Model):
    system: str
    code: str
    display: str


class DoseRule(_Model):
    rule: str
    agent: BoneModifyingAgent
    dose_mg: float = Field(gt=0, le=1000)
    route: Route
    sources: list[str] = Field(min_length=1)


class OverrideReason(_Model):
    code: str = Field(pattern=r"^[a-z0-9\-]+$")
    display: Text


class OrderRules(_Model):
    """``knowledge/cds_orders.yaml``."""

    report: dict[BoneModifyingAgent, list[str]]
    doses: list[DoseRule]
    agents: dict[BoneModifyingAgent, list[Coding]]
    routes: dict[Route, Coding]
    override_reasons: list[OverrideReason] = Field(min_length=1)

    def dose_of(self, rule: str) -> DoseRule | None:
        return next((dose for dose in self.doses if dose.rule == rule), None)


_LOADED: dict[tuple[str, Path], OrderRules] = {}


def load_order_rules(kb: KnowledgeBase) -> OrderRules:
    """``cds_orders.yaml`` of the knowledge base, checked against its rules, actions and
    sources (loaded once per knowledge base)."""
    key = (kb.sha256, kb.directory)
    if key not in _LOADED:
        _LOADED[key] = _load(kb)
    return _LOADED[key]


def _load(kb: KnowledgeBase) -> OrderRules:
    path = kb.directory / FILE
    rules = validate(OrderRules, read_yaml(path), FILE)
    rule_ids = {compiled.rule.id for compiled in kb.rules}
    for agent, codes in rules.report.items():
        for code in codes:
            if code not in kb.actions:
                raise KnowledgeError(f"{FILE}: report.{agent.value}: unknown action {code}")
    for i, dose in enumerate(rules.doses):
        if dose.rule not in rule_ids:
            raise KnowledgeError(f"{FILE}: doses[{i}]: unknown rule {dose.rule}")
        if dose.agent not in rules.agents:
            raise KnowledgeError(f"{FILE}: doses[{i}]: agent {dose.agent.value} has no codes")
        check_sources(dose.sources, kb.sources, f"{FILE}: doses[{i}]")
    return rules


@dataclass(frozen=True)
class DoseAdvice:
    """The dose a firing dosing rule gives, and whether the draft already carries it."""

    dose: DoseRule
    item: Recommendation
    draft_agent: BoneModifyingAgent
    draft_dose_mg: float | None

    @property
    def matches(self) -> bool:
        return (
            self.dose.agent == self.draft_agent
            and self.draft_dose_mg is not None
            and abs(self.draft_dose_mg - self.dose.dose_mg) < 1e-6
        )


@dataclass(frozen=True)
class OrderCheck:
    """One drafted order of a bone-modifying agent, checked."""

    draft: dict[str, Any]
    agent: BoneModifyingAgent
    proposal: Proposal
    items: list[Recommendation | Warning]
    dose: DoseAdvice | None


def draft_medication_requests(
    draft_orders: Any, selections: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The MedicationRequests of ``context.draftOrders`` (a Bundle); with ``selections``
    (order-select), only those named there (``MedicationRequest/{id}``)."""
    if not isinstance(draft_orders, Mapping):
        return []
    chosen = set(selections) if selections is not None else None
    found = []
    for entry in draft_orders.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "MedicationRequest":
            continue
        if chosen is not None and f"MedicationRequest/{resource.get('id')}" not in chosen:
            continue
        found.append(resource)
    return found


def draft_dose_mg(request: Mapping[str, Any]) -> float | None:
    """The dose in mg of the draft's first dosage instruction, if it gives one in mg."""
    for dosage in request.get("dosageInstruction") or []:
        for rate in (dosage.get("doseAndRate") or []) if isinstance(dosage, Mapping) else []:
            quantity = rate.get("doseQuantity") if isinstance(rate, Mapping) else None
            if not isinstance(quantity, Mapping):
                continue
            value = quantity.get("value")
            unit = quantity.get("code") or quantity.get("unit")
            if isinstance(value, int | float) and not isinstance(value, bool) and unit == "mg":
                return float(value)
            return None
    return None


def check_order(
    case: Case,
    draft: dict[str, Any],
    agent: BoneModifyingAgent,
    kb: KnowledgeBase,
    rules: OrderRules,
) -> OrderCheck:
    """Evaluate ``case`` with ``agent`` as the current bone-modifying agent and pick out what
    the knowledge base reports for it."""
    prior = case.prior_therapy.model_copy(update={"bone_modifying_agent": agent})
    proposal = evaluate(case.model_copy(update={"prior_therapy": prior}), kb)
    wanted = set(rules.report.get(agent, []))
    candidates: list[Recommendation | Warning] = [
        *proposal.emergencies,
        *proposal.warnings,
        *proposal.recommendations,
    ]
    items = [item for item in candidates if item.code in wanted]
    advice = None
    for item in proposal.recommendations:
        dose = rules.dose_of(item.rule)
        if dose is not None and item.status is ItemStatus.firm:
            advice = DoseAdvice(dose, item, agent, draft_dose_mg(draft))
            break
    return OrderCheck(draft=draft, agent=agent, proposal=proposal, items=items, dose=advice)


def replaced_draft(check: OrderCheck, rules: OrderRules) -> dict[str, Any]:
    """The draft with the advised agent, dose and route (everything else kept)."""
    assert check.dose is not None
    dose = check.dose.dose
    updated = copy.deepcopy(check.draft)
    updated.pop("medicationReference", None)
    updated["medicationCodeableConcept"] = {
        "coding": [coding.model_dump() for coding in rules.agents[dose.agent]],
        "text": rules.agents[dose.agent][0].display,
    }
    dosages = updated.get("dosageInstruction")
    first: dict[str, Any] = dosages[0] if isinstance(dosages, list) and dosages else {}
    first = dict(first) if isinstance(first, Mapping) else {}
    first["doseAndRate"] = [
        {
            "doseQuantity": {
                "value": dose.dose_mg,
                "unit": "mg",
                "system": "http://unitsofmeasure.org",
                "code": "mg",
            }
        }
    ]
    first["route"] = {"coding": [rules.routes[dose.route].model_dump()]}
    updated["dosageInstruction"] = [first, *(dosages[1:] if isinstance(dosages, list) else [])]
    return updated

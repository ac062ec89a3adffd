"""The proposal as FHIR R4 resources: a Bundle (collection) with a RequestGroup of the
proposed actions, a DetectedIssue per warning, an Observation per score and, when given,
the board protocol PDF as a DocumentReference. Every resource validates with the R4B classes
of fhir.resources.

The actions carry their codes as codings of osteoboard's action CodeSystem, generated from
``knowledge/actions.yaml`` by :func:`action_codesystem`. Renderers decide nothing clinical:
this one says in FHIR what the proposal says in JSON.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from osteoboard.guideline import KnowledgeBase
from osteoboard.proposal import Proposal, Recommendation
from osteoboard.render.view import Speaker

__all__ = [
    "ACTION_SYSTEM",
    "SCORE_SYSTEM",
    "action_codesystem",
    "render_fhir",
]

#: The canonical URL of osteoboard's action CodeSystem (and its ValueSet of all codes).
ACTION_SYSTEM = "urn:osteoboard:codesystem:action"
#: Scores (name → Observation.code).
SCORE_SYSTEM = "urn:osteoboard:codesystem:score"
_PRIORITY = {"urgent": "urgent", "soon": "asap", "routine": "routine"}


def action_codesystem(kb: KnowledgeBase) -> dict[str, Any]:
    """The CodeSystem of every action code of the knowledge base (German display, English
    designation, discipline and evidence status as properties)."""
    return {
        "resourceType": "CodeSystem",
        "id": "osteoboard-action",
        "url": ACTION_SYSTEM,
        "version": kb.version,
        "name": "OsteoboardAction",
        "title": "osteoboard: Maßnahmen / actions",
        "status": "active",
        "experimental": False,
        "publisher": "osteoboard",
        "description": "Die Maßnahmen, die osteoboard vorschlägt (Wissensbasis "
        f"{kb.version}). / The actions osteoboard proposes (knowledge base {kb.version}).",
        "caseSensitive": True,
        "content": "complete",
        "count": len(kb.actions),
        "property": [
            {"code": "discipline", "type": "code", "description": "Disziplin / discipline"},
            {"code": "evidence", "type": "code", "description": "Evidenzstatus / evidence"},
        ],
        "concept": [
            {
                "code": a.code,
                "display": a.label.de,
                "definition": a.text.de,
                "designation": [{"language": "en", "value": a.label.en}],
                "property": [
                    {"code": "discipline", "valueCode": a.discipline},
                    {"code": "evidence", "valueCode": a.status.value},
                ],
            }
            for a in kb.actions.values()
        ],
    }


def _action(item: Recommendation, kb: KnowledgeBase, n: int) -> dict[str, Any]:
    action = kb.actions.get(item.code)
    coding: dict[str, Any] = {"system": ACTION_SYSTEM, "code": item.code}
    if action is not None:
        coding["display"] = action.label.de
    out: dict[str, Any] = {
        "id": f"item-{n}",
        "title": item.text.de,
        "description": item.text.en,
        "priority": _PRIORITY[item.priority.value],
        "code": [{"coding": [coding], "text": item.discipline}],
        "documentation": [{"type": "citation", "label": key} for key in item.sources],
    }
    if item.lesion:
        out["textEquivalent"] = f"Läsion {item.lesion}"
    if item.status.value != "firm":
        out["condition"] = [
            {
                "kind": "applicability",
                "expression": {
                    "language": "text/cel",
                    "description": Speaker(kb, "de").conditions(item.conditions)
                    or item.status.value,
                    "expression": _expression(item) or item.rule,
                },
            }
        ]
    return out


def render_fhir(
    proposal: Proposal, kb: KnowledgeBase, *, protocol_pdf: bytes | None = None
) -> dict[str, Any]:
    """The proposal as a FHIR R4 Bundle (collection), as a JSON-ready dict."""
    pid = proposal.case_id
    subject = {"reference": f"Patient/{pid}"}
    entries: list[dict[str, Any]] = []
    kb_info = proposal.knowledge_base
    version = kb_info.version if kb_info else kb.version
    items = [*proposal.emergencies, *proposal.recommendations]
    request_group = {
        "resourceType": "RequestGroup",
        "id": f"{pid}-proposal",
        "status": "draft",
        "intent": "proposal",
        "priority": "urgent" if proposal.emergencies else "routine",
        "subject": subject,
        "instantiatesUri": [f"urn:osteoboard:knowledge-base:{version}"],
        "note": [
            {
                "text": "Vorschlag zur Entscheidung durch die Tumorkonferenz, kein Ersatz für "
                "sie. / A proposal for the tumour board to decide, never a replacement for it."
            }
        ],
        "action": [_action(item, kb, n) for n, item in enumerate(items, start=1)],
    }
    if not request_group["action"]:
        del request_group["action"]
    entries.append(request_group)
    for n, warning in enumerate(proposal.warnings, start=1):
        entries.append(
            {
                "resourceType": "DetectedIssue",
                "id": f"{pid}-warning-{n}",
                "status": "preliminary",
                "code": {"coding": [{"system": ACTION_SYSTEM, "code": warning.code}]},
                "severity": "high" if warning.status.value == "firm" else "moderate",
                "patient": subject,
                "detail": warning.text.de,
                "reference": warning.rule,
            }
        )
    for n, score in enumerate(proposal.scores, start=1):
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"{pid}-score-{n}",
            "status": "final" if score.total is not None else "preliminary",
            "code": {"coding": [{"system": SCORE_SYSTEM, "code": score.name}]},
            "subject": subject,
        }
        if score.lesion:
            obs["focus"] = [{"reference": f"Condition/{score.lesion}"}]
        if score.total is not None:
            obs["valueQuantity"] = {"value": score.total}
        elif score.range is not None:
            low, high = score.range
            obs["valueRange"] = {"low": {"value": low}, "high": {"value": high}}
        else:
            obs["dataAbsentReason"] = {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                        "code": "unknown",
                    }
                ]
            }
        if score.category is not None:
            obs["interpretation"] = [{"text": score.category}]
        if score.interpretation is not None:
            obs["note"] = [{"text": score.interpretation.de}]
        entries.append(obs)
    if protocol_pdf is not None:
        entries.append(
            {
                "resourceType": "DocumentReference",
                "id": f"{pid}-protocol",
                "status": "current",
                "docStatus": "preliminary",
                "type": {"text": "Tumorkonferenz-Protokoll / tumour board protocol"},
                "subject": subject,
                "description": f"osteoboard, Wissensbasis {version}",
                "content": [
                    {
                        "attachment": {
                            "contentType": "application/pdf",
                            "language": "de",
                            "data": base64.b64encode(protocol_pdf).decode("ascii"),
                            "hash": base64.b64encode(hashlib.sha1(protocol_pdf).digest()).decode(
                                "ascii"
                            ),
                            "size": len(protocol_pdf),
                            "title": f"{pid}.board.pdf",
                        }
                    }
                ],
            }
        )
    return {
        "resourceType": "Bundle",
        "id": f"{pid}-osteoboard",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:osteoboard:{r['resourceType']}/{r['id']}", "resource": r}
            for r in entries
        ],
    }


def _expression(item: Recommendation) -> str:
    """The facts of an item's conditions as an expression: ``a && b`` within an alternative
    (ItemCondition.group), ``(a && b) || (c)`` between them."""
    groups: dict[int, list[str]] = {}
    for c in item.conditions:
        if c.fact not in groups.setdefault(c.group, []):
            groups[c.group].append(c.fact)
    joined = [" && ".join(g) for _, g in sorted(groups.items())]
    return joined[0] if len(joined) == 1 else " || ".join(f"({g})" for g in joined)

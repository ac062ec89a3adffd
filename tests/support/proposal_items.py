"""Evaluate a case given as a mapping, and pick items of the proposal by code and lesion."""

from __future__ import annotations

import copy
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import KnowledgeBase
from osteoboard.proposal import Proposal, Recommendation, Warning


def evaluate_doc(doc: dict[str, Any], kb: KnowledgeBase) -> Proposal:
    """The proposal for a case mapping (copied first, so the caller's stays as it is)."""
    return evaluate(parse_case(copy.deepcopy(doc)), kb)


def items(p: Proposal, code: str, lesion: str | None = None) -> list[Recommendation | Warning]:
    """Emergencies, recommendations and warnings with the code (at the lesion, if given)."""
    return [
        i
        for i in (*p.emergencies, *p.recommendations, *p.warnings)
        if i.code == code and (lesion is None or i.lesion == lesion)
    ]

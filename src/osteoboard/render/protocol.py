"""The board protocol as PDF (Typst, PDF/UA-1); the HTML version is in html.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from osteoboard.case import Case
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.proposal import Proposal
from osteoboard.render.pdf import compile_pdf
from osteoboard.render.view import protocol_view

__all__ = ["render_protocol_pdf"]


def render_protocol_pdf(
    proposal: Proposal,
    case: Case,
    kb: KnowledgeBase | None = None,
    *,
    decision: Mapping[str, Any] | None = None,
) -> bytes:
    view = protocol_view(proposal, case, kb or load_knowledge_base(), decision=decision)
    return compile_pdf("protocol.typ", view)

"""CDS Hooks cards rendered from a proposal (a renderer: it decides nothing clinical).

``patient-view``: each emergency a ``critical`` card, each drug-safety warning a ``warning``
card, the rest of the proposal one ``info`` card; every card links to the full proposal.
Order checks: the dose card (``warning`` with a suggestion that replaces the draft, or
``info`` when the draft already fits), each reported warning a ``warning`` card, each other
reported item an ``info`` card. Summaries are one line under 140 characters; German unless
English is asked for.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from osteoboard.case import BoneModifyingAgent
from osteoboard.cds.orders import OrderCheck, OrderRules, replaced_draft
from osteoboard.guideline import KnowledgeBase
from osteoboard.proposal import ItemStatus, Proposal, Recommendation, Warning
from osteoboard.render.format import number
from osteoboard.render.view import Speaker

__all__ = ["MAX_SUMMARY", "order_cards", "patient_view_cards"]

#: A card's summary is shorter than this (CDS Hooks: "<140-character").
MAX_SUMMARY = 140
OVERRIDE_SYSTEM = "urn:osteoboard:cds-hooks:override-reason"

_WORDS = {
    "emergency": ("Notfall", "Emergency"),
    "suspected": ("Verdacht auf Notfall", "Suspected emergency"),
    "warning": ("Arzneimittelsicherheit", "Drug safety"),
    "proposal": ("Vorschlag für das Tumorboard", "Proposal for the tumour board"),
    "items": ("{n} Empfehlung(en) in {d} Fachgebiet(en)", "{n} recommendation(s) in {d} field(s)"),
    "none": ("keine Empfehlungen", "no recommendations"),
    "link": ("Vollständiger Vorschlag in osteoboard", "Full proposal in osteoboard"),
    "source": ("osteoboard, Wissensbasis {v}", "osteoboard, knowledge base {v}"),
    "because": ("Begründung", "Because"),
    "conditions": ("Gilt, wenn", "Applies if"),
    "sources": ("Quellen", "Sources"),
    "conditional": ("bedingt", "conditional"),
    "change": ("Bestellung ändern: {new} statt {old}", "Change the order: {new} instead of {old}"),
    "fits": ("Dosis passt: {new}", "Dose fits: {new}"),
    "set": ("Auf {new} ändern", "Change to {new}"),
    "replace": (
        "Entwurf durch {new} ersetzen",
        "Replace the draft by {new}",
    ),
    "no_dose": ("ohne Dosis in mg", "without a dose in mg"),
    "disclaimer": (
        "Entscheidungsunterstützung für das Tumorboard, kein Ersatz für seine Entscheidung.",
        "Decision support for the tumour board, never a replacement for its decision.",
    ),
}


def _say(key: str, lang: str, **params: Any) -> str:
    de, en = _WORDS[key]
    return (de if lang == "de" else en).format(**params)


def one_line(text: str, limit: int = MAX_SUMMARY - 1) -> str:
    """``text`` on one line, cut at a word with an ellipsis to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:–-")
    return cut + "…"


def _source(kb: KnowledgeBase, lang: str) -> dict[str, Any]:
    return {"label": _say("source", lang, v=kb.version)}


def _link(url: str, lang: str) -> dict[str, Any]:
    return {"label": _say("link", lang), "url": url, "type": "absolute"}


def _label(kb: KnowledgeBase, item: Recommendation | Warning, lang: str) -> str:
    action = kb.actions.get(item.code)
    name = getattr(action.label, lang) if action is not None else item.code
    if item.lesion:
        name += f" ({kb.labels.lesion(item.lesion, None, lang)})"
    return str(name)


def _detail(kb: KnowledgeBase, item: Recommendation | Warning, lang: str) -> str:
    lines = [str(getattr(item.text, lang))]
    # Facts, conditions and works in the protocol's words: "neue neurologische Ausfälle",
    # "(a und b) oder (c)", "NICE, 2023".
    speak = Speaker(kb, lang)
    if item.status is ItemStatus.conditional and item.conditions:
        lines.append(f"**{_say('conditions', lang)}:** {speak.conditions(item.conditions)}")
    facts = "; ".join(
        dict.fromkeys(speak.because([b for b in item.because if b.value is not None]))
    )
    if facts:
        lines.append(f"**{_say('because', lang)}:** {facts}")
    if item.sources:
        lines.append(f"**{_say('sources', lang)}:** {speak.cite(item.sources, item.sources)}")
    return "\n\n".join(lines)


def _card(
    summary: str,
    indicator: str,
    detail: str,
    kb: KnowledgeBase,
    lang: str,
    link: str,
    **more: Any,
) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "summary": one_line(summary),
        "indicator": indicator,
        "detail": detail,
        "source": _source(kb, lang),
        "links": [_link(link, lang)],
        **more,
    }


def _override_reasons(rules: OrderRules, lang: str) -> list[dict[str, str]]:
    return [
        {"system": OVERRIDE_SYSTEM, "code": r.code, "display": str(getattr(r.display, lang))}
        for r in rules.override_reasons
    ]


def _item_card(
    kb: KnowledgeBase,
    item: Recommendation | Warning,
    lang: str,
    link: str,
    rules: OrderRules | None,
) -> dict[str, Any]:
    if isinstance(item, Warning):
        indicator, prefix = "warning", _say("warning", lang)
    elif item.discipline == "emergency":
        indicator = "critical"
        suspected = item.status is ItemStatus.suspected
        prefix = _say("suspected" if suspected else "emergency", lang)
    else:
        indicator, prefix = "info", ""
    label = _label(kb, item, lang)
    if item.status is ItemStatus.conditional:
        label += f" ({_say('conditional', lang)})"
    summary = f"{prefix}: {label}" if prefix else label
    more: dict[str, Any] = {}
    if rules is not None and indicator != "info":
        more["overrideReasons"] = _override_reasons(rules, lang)
    return _card(summary, indicator, _detail(kb, item, lang), kb, lang, link, **more)


def _proposal_card(
    kb: KnowledgeBase, items: Iterable[Recommendation], lang: str, link: str
) -> dict[str, Any]:
    listed = list(items)
    disciplines = sorted({item.discipline for item in listed})
    if listed:
        counted = _say("items", lang, n=len(listed), d=len(disciplines))
    else:
        counted = _say("none", lang)
    lines = []
    for item in listed:
        line = f"- {_label(kb, item, lang)}: {getattr(item.text, lang)}"
        if item.status is ItemStatus.conditional:
            line += f" ({_say('conditional', lang)})"
        lines.append(line)
    lines.append("")
    lines.append(f"_{_say('disclaimer', lang)}_")
    summary = f"{_say('proposal', lang)}: {counted}"
    return _card(summary, "info", "\n".join(lines), kb, lang, link)


def patient_view_cards(
    proposal: Proposal, kb: KnowledgeBase, lang: str, link: str
) -> list[dict[str, Any]]:
    """Emergencies (critical), warnings (warning), then the proposal (info)."""
    cards = [_item_card(kb, item, lang, link, None) for item in proposal.emergencies]
    cards += [_item_card(kb, item, lang, link, None) for item in proposal.warnings]
    cards.append(_proposal_card(kb, proposal.recommendations, lang, link))
    return cards


def _dose_words(
    kb: KnowledgeBase, agent: BoneModifyingAgent, dose_mg: float | None, lang: str
) -> str:
    name = kb.labels.say("bone_modifying_agent", agent.value, lang)
    amount = f"{number(dose_mg, lang)} mg" if dose_mg is not None else _say("no_dose", lang)
    return f"{name} {amount}"


def order_cards(
    check: OrderCheck, kb: KnowledgeBase, rules: OrderRules, lang: str, link: str
) -> list[dict[str, Any]]:
    """The cards of one checked draft order: the dose first, then what else is reported."""
    cards: list[dict[str, Any]] = []
    advice = check.dose
    if advice is not None:
        new = _dose_words(kb, advice.dose.agent, advice.dose.dose_mg, lang)
        detail = _detail(kb, advice.item, lang)
        if advice.matches:
            cards.append(_card(_say("fits", lang, new=new), "info", detail, kb, lang, link))
        else:
            old = _dose_words(kb, advice.draft_agent, advice.draft_dose_mg, lang)
            request = replaced_draft(check, rules)
            suggestion = {
                "label": _say("set", lang, new=new),
                "uuid": str(uuid.uuid4()),
                "isRecommended": True,
                "actions": [
                    {
                        "type": "update",
                        "description": _say("replace", lang, new=new),
                        "resource": request,
                    }
                ],
            }
            cards.append(
                _card(
                    _say("change", lang, new=new, old=old),
                    "warning",
                    detail,
                    kb,
                    lang,
                    link,
                    suggestions=[suggestion],
                    selectionBehavior="at-most-one",
                    overrideReasons=_override_reasons(rules, lang),
                )
            )
    for item in check.items:
        if advice is not None and item is advice.item:
            continue
        cards.append(_item_card(kb, item, lang, link, rules))
    return cards

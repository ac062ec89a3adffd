"""What the case page shows of a proposal, in German or English.

Like the protocol's view model (:mod:`osteoboard.render.view`), whose Speaker, skeleton map
and course figures it reuses, it decides nothing clinical: words come from the knowledge base
(labels, facts, actions, bibliography) in the page's language, numbers and dates from
:mod:`osteoboard.render.format`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from osteoboard.case import Case
from osteoboard.guideline import KnowledgeBase
from osteoboard.proposal import Proposal, Question, Recommendation, Warning
from osteoboard.render import format as fmt
from osteoboard.render.bodymap import body_map_svg
from osteoboard.render.citations import bibliography
from osteoboard.render.view import Speaker, changes, course_figures, declined_line
from osteoboard.scores import REGISTRY
from osteoboard.scores.base import ScoreResult
from osteoboard.web.caseform import FormField, spec_for_path
from osteoboard.web.texts import Lang

__all__ = ["CaseView", "Item", "QuestionView", "case_view", "item_key"]


def item_key(code: str, lesion: str | None) -> str:
    """The key the store decides items by: ``CODE`` or ``CODE[lesion]``."""
    return code if lesion is None else f"{code}[{lesion}]"


@dataclass(frozen=True)
class Item:
    """One emergency, recommendation or warning, as the page shows it."""

    key: str
    code: str
    label: str
    lesion: str | None
    text: str
    status: str
    status_label: str
    priority: str | None
    priority_label: str
    strength_label: str
    because: list[str]
    conditions: str
    assumed: list[str]
    alternative_to: str
    rule: str
    sources: list[str]  # the works behind it, in full (HTML from the bibliography)
    decidable: bool  # emergencies and recommendations; warnings are not decided


@dataclass(frozen=True)
class QuestionView:
    text: str
    priority_label: str
    decides: str
    fields: list[tuple[str, FormField]]  # (case path, its input); empty: answer in the form
    number: int


@dataclass
class CaseView:
    title: str
    primary: str
    board_date: str
    #: The treatments the patient has declined after being informed (empty: none).
    declined: str
    kb_version: str
    engine_version: str
    emergencies: list[Item] = field(default_factory=list)
    groups: list[tuple[str, list[Item]]] = field(default_factory=list)
    warnings: list[Item] = field(default_factory=list)
    questions: list[QuestionView] = field(default_factory=list)
    prognosis: dict[str, Any] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    lesions: list[tuple[str, str]] = field(default_factory=list)
    bodymap: str = ""
    bodymap_caption: str = ""
    figures: list[dict[str, str]] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)

    @property
    def items(self) -> list[Item]:
        return [*self.emergencies, *(i for _, group in self.groups for i in group)]


def _says(text: Any, lang: str) -> str:
    return fmt.text(str(getattr(text, lang)), lang)


def _item(
    r: Recommendation | Warning, speak: Speaker, refs: dict[str, str], *, decidable: bool
) -> Item:
    labels, lang = speak.kb.labels, speak.lang
    label = speak.action(r.code)
    text = _says(r.text, lang)
    if text.startswith(label) and len(text) > len(label):
        text = text[len(label) :].lstrip(" :–-")
        text = text[:1].upper() + text[1:] if text[:1] != "(" else text
    priority = r.priority.value if isinstance(r, Recommendation) else None
    return Item(
        key=item_key(r.code, r.lesion),
        code=r.code,
        label=label,
        lesion=r.lesion,
        text=text,
        status=r.status.value,
        status_label=labels.say("item_status", r.status.value, lang),
        priority=priority,
        priority_label=labels.say("priority", priority, lang) if priority else "",
        strength_label=(
            labels.say("strength", r.strength, lang) if isinstance(r, Recommendation) else ""
        ),
        because=speak.because(r.because),
        conditions=speak.conditions(r.conditions) if r.conditions else "",
        assumed=speak.assumed(r.assumed),
        alternative_to=(
            speak.action(r.alternative_to)
            if isinstance(r, Recommendation) and r.alternative_to
            else ""
        ),
        rule=r.rule,
        sources=[refs[k] for k in r.sources if k in refs],
        decidable=decidable,
    )


def _score(s: ScoreResult, speak: Speaker, refs: dict[str, str]) -> dict[str, Any]:
    lang = speak.lang
    spec = REGISTRY.get(s.name)
    title = str(getattr(spec.title, lang)) if spec is not None else s.name
    if not s.assessable and s.missing:
        lead = "Nicht berechenbar; es fehlen: " if lang == "de" else "Not assessable; missing: "
        interpretation = lead + "; ".join(speak.field(m) for m in s.missing)
    elif s.category is None and s.assessable and s.possible_categories:
        interpretation = (
            f"{'Nicht eindeutig' if lang == 'de' else 'Undecided'}: {speak.score_value(s)} "
            f"({speak.category(s.name, None, s.possible_categories)})"
        )
    else:
        interpretation = _says(s.interpretation, lang) if s.interpretation else ""
    return {
        "title": title,
        "lesion": s.lesion or "",
        "value": speak.score_value(s),
        "category": speak.category(s.name, s.category, s.possible_categories),
        "interpretation": interpretation,
        "entries": [
            {
                "label": str(getattr(it.label, lang)),
                "value": (
                    _says(it.note, lang)
                    if it.note is not None
                    else speak.item_value(s.name, it.name, it.value)
                ),
                "points": (
                    fmt.number(it.points, lang)
                    if it.points is not None
                    else (fmt.span(min(it.possible), max(it.possible)) if it.possible else "")
                ),
            }
            for it in s.items
        ],
        "missing": [speak.field(m) for m in s.missing],
        "notes": [_says(n, lang) for n in s.notes],
        "source": refs.get(s.source, s.source),
    }


def _question(q: Question, speak: Speaker, number: int) -> QuestionView:
    inputs: list[tuple[str, FormField]] = []
    for path in q.fields:
        spec = spec_for_path(path)
        if isinstance(spec, FormField) and spec.kind not in ("enum_list", "text_list"):
            inputs.append((path, spec))
    return QuestionView(
        text=_says(q.text, speak.lang),
        priority_label=speak.kb.labels.say("priority", q.priority, speak.lang),
        decides=changes(q.decides, speak, shown=6),
        fields=inputs,
        number=number,
    )


def _source_keys(proposal: Proposal) -> list[str]:
    keys: dict[str, None] = {}
    items: list[Recommendation | Warning] = [
        *proposal.emergencies,
        *proposal.recommendations,
        *proposal.warnings,
    ]
    for r in items:
        keys.update(dict.fromkeys(r.sources))
    for s in proposal.scores:
        keys.setdefault(s.source, None)
    return list(keys)


def case_view(proposal: Proposal, case: Case, kb: KnowledgeBase, lang: Lang) -> CaseView:
    """Everything the case page shows of one evaluation."""
    keys = [k for k in _source_keys(proposal) if k in kb.sources]
    references = bibliography(keys, kb.sources)
    speak = Speaker(kb, lang=lang, citations={r.key: r.in_text[1:-1] for r in references})
    refs = {r.key: r.html for r in references}
    view = CaseView(
        title=proposal.case_id,
        primary=_primary(case, kb, lang),
        board_date=fmt.date(case.board_date, lang),
        declined=declined_line(case, kb, lang),
        kb_version=proposal.knowledge_base.version if proposal.knowledge_base else "",
        engine_version=proposal.engine_version,
    )
    view.emergencies = [_item(e, speak, refs, decidable=True) for e in proposal.emergencies]
    for rec in proposal.recommendations:
        title = str(getattr(kb.disciplines[rec.discipline], lang))
        if not view.groups or view.groups[-1][0] != title:
            view.groups.append((title, []))
        view.groups[-1][1].append(_item(rec, speak, refs, decidable=True))
    view.warnings = [_item(w, speak, refs, decidable=False) for w in proposal.warnings]
    view.questions = [_question(q, speak, i) for i, q in enumerate(proposal.questions, start=1)]
    p = proposal.prognosis
    band = kb.prognosis.band_label(p.band) if p.band else None
    basis = kb.prognosis.name(p.basis) if p.basis else None
    unknown = "offen" if lang == "de" else "open"
    view.prognosis = {
        "band": str(getattr(band, lang)) if band else unknown,
        "basis": str(getattr(basis, lang)) if basis else unknown,
        "ge_6_months": {True: speak.value(True), False: speak.value(False), None: unknown}[
            p.ge_6_months
        ],
        "estimates": [_says(e.statement, lang) for e in p.estimates],
    }
    view.scores = [_score(s, speak, refs) for s in proposal.scores]
    view.lesions = [(les.id, speak.lesion(les)) for les in case.lesions]
    if case.lesions:
        view.bodymap = body_map_svg(case.lesions, proposal.scores, labels=kb.labels)
    view.bodymap_caption = ", ".join(f"{i} ({label})" for i, label in view.lesions)
    view.figures = course_figures(case)
    view.missing = [
        {
            "field": speak.field(m.field),
            "priority": kb.labels.say("missing_priority", m.priority, lang),
            "changes": changes(m.needed_for, speak),
        }
        for m in proposal.missing_data
    ]
    return view


def _primary(case: Case, kb: KnowledgeBase, lang: Lang) -> str:
    site = case.primary.site
    if site is None:
        return "Primärtumor nicht angegeben" if lang == "de" else "primary not stated"
    label = kb.labels.say("primary_site", site, lang)
    return f"{label} ({case.primary.histology})" if case.primary.histology else label

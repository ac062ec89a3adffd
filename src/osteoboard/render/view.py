"""The display model of a board protocol: plain data shared by the HTML and PDF templates.

Everything here is presentation (words, formatting, grouping in the proposal's own order);
nothing clinical is decided. Words come from the knowledge base (``labels.yaml`` for values
and fields, ``facts.yaml`` for facts, ``actions.yaml`` for items, the bibliography for
citations) and numbers, units and dates from :mod:`osteoboard.render.format`, so the HTML, the
PDF (which renders this view as JSON through Typst) and the console say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from osteoboard.case import Case, Lesion, Region
from osteoboard.facts import catalogue_by_name
from osteoboard.guideline import KnowledgeBase
from osteoboard.prognosis import Prognosis
from osteoboard.proposal import (
    Assumption,
    Because,
    ItemCondition,
    ItemStatus,
    MissingData,
    Proposal,
    Question,
    Recommendation,
    Warning,
)
from osteoboard.render import format as fmt
from osteoboard.render.bodymap import body_map_svg
from osteoboard.render.citations import bibliography
from osteoboard.scores import REGISTRY
from osteoboard.scores.base import ScoreResult
from osteoboard.text import join

__all__ = [
    "NEEDED_FOR_SHOWN",
    "Speaker",
    "band_de",
    "basis_de",
    "course_figures",
    "declined_line",
    "medication_line",
    "protocol_view",
    "signature_rows",
]

#: Most items named for one missing input (a case with many lesions names hundreds).
NEEDED_FOR_SHOWN = 8

#: The disciplines that sign every protocol, in the order of the signature table.
SIGNATURES = (
    "Chirurgie / Orthopädie",
    "Strahlentherapie",
    "Interventionelle Radiologie",
    "Internistische Onkologie",
    "Nuklearmedizin",
    "Supportivtherapie / Palliativmedizin",
)
#: Disciplines whose items a module's cases carry: they sign as well.
_MODULE_SIGNATURES = {"myeloma": "Hämatologie"}


def band_de(kb: KnowledgeBase, p: Prognosis) -> str:
    """The prognosis band with its months, in German (``offen`` when undecided)."""
    return kb.prognosis.band_label(p.band).de if p.band else "offen"


def basis_de(kb: KnowledgeBase, p: Prognosis) -> str:
    """What decided the band, in German."""
    name = kb.prognosis.name(p.basis) if p.basis else None
    return name.de if name is not None else "keine entschiedene Schätzung"


#: Lists of source keys whose short citations are kept per knowledge base (a few hundred
#: occur: the rules' source lists); the store starts afresh when full.
MAX_CITATION_LISTS = 4096


@dataclass(frozen=True)
class Speaker:
    """Says the proposal's values in one language with the knowledge base's words."""

    kb: KnowledgeBase
    lang: str = "de"
    #: Each work's in-text citation (without parentheses) in the document's reference list.
    citations: Mapping[str, str] = field(default_factory=dict)

    # -- values ----------------------------------------------------------------------------

    def fact(self, name: str, value: Any) -> str:
        """A fact and its value as a phrase from facts.yaml: ``nicht operationsfähig``,
        ``Bilsky-Grad (ESCC): Bilsky 2 (…)``, ``Alter: 64``."""
        lang = self.lang
        info = self.kb.facts.get(name)
        if info is None:
            return f"{name}: {self.value(value)}"
        label = str(getattr(info.label, lang))
        if isinstance(value, bool):
            said = info.if_true if value else info.if_false
            if said is not None:
                return str(getattr(said, lang))
        if value is None:
            return f"{label}: {'unbekannt' if lang == 'de' else 'unknown'}"
        if isinstance(value, list):
            shown = [self._value_of(info.values, v) for v in value]
            none = "keine" if lang == "de" else "none"
            return f"{label}: {', '.join(shown) or none}"
        if isinstance(value, str) and name == "lesion.level":
            return f"{label}: {self.kb.labels.level(value, lang)}"
        if isinstance(value, int | float):
            unit = catalogue_by_name()[name].unit if name in catalogue_by_name() else None
            shown_unit = None if unit and fmt.unit(unit, lang) in label else unit
            return f"{label}: {fmt.quantity(value, _unit(shown_unit), lang)}"
        return f"{label}: {self._value_of(info.values, value)}"

    def _value_of(self, values: dict[str, Any], value: Any) -> str:
        text = values.get(str(value))
        return str(getattr(text, self.lang)) if text is not None else self.value(value)

    def value(self, value: Any) -> str:
        """A bare value: yes/no, a number with the decimal comma, a date, text as written."""
        if value is None:
            return "unbekannt" if self.lang == "de" else "unknown"
        if isinstance(value, bool):
            return ("ja" if value else "nein") if self.lang == "de" else ("yes" if value else "no")
        if isinstance(value, int | float):
            return fmt.number(value, self.lang)
        if isinstance(value, tuple):
            return fmt.span(value[0], value[1], None, self.lang)
        return fmt.text(str(value), self.lang)

    def because(self, items: Sequence[Because]) -> list[str]:
        return [self.fact(b.fact, b.value) for b in items]

    def conditions(self, conditions: Sequence[ItemCondition]) -> str:
        """``operationsfähig und SINS instabil`` (one group) or ``(a und b) oder (c)``."""
        groups: dict[int, list[str]] = {}
        for c in conditions:
            shown = fmt.text(str(getattr(c.text, self.lang)), self.lang)
            if shown not in groups.setdefault(c.group, []):
                groups[c.group].append(shown)
        said = [join(g, self.lang) for _, g in sorted(groups.items())]
        if len(said) == 1:
            return said[0]
        word = " oder " if self.lang == "de" else " or "
        return word.join(f"({s})" for s in said)

    def assumed(self, items: Sequence[Assumption]) -> list[str]:
        """Facts read as absent because they were not documented, as the phrase they mean."""
        return list(dict.fromkeys(self.fact(a.fact, a.value) for a in items))

    def action(self, code: str) -> str:
        action = self.kb.actions.get(code)
        return str(getattr(action.label, self.lang)) if action is not None else code

    def item_ref(self, ref: str) -> str:
        """``RT.SBRT[L1]`` (an item) or ``spine.pain_mri[L1]`` (a rule) or ``sins[L1]`` (a
        score) in words: ``Stereotaktische Bestrahlung (L1)``."""
        name, _, lesion = ref.partition("[")
        lesion = lesion.rstrip("]")
        if name in self.kb.actions:
            words = self.action(name)
        elif name in self.kb.rules_by_id:
            words = self.action(self.kb.rules_by_id[name].rule.action)
        elif name in REGISTRY:
            words = str(getattr(REGISTRY[name].title, self.lang))
        else:
            words = name
        return f"{words} ({lesion})" if lesion else words

    def field(self, path: str) -> str:
        return self.kb.labels.field(path, self.lang)

    def category(self, score: str, category: str | None, possible: Sequence[str] = ()) -> str:
        if category is not None:
            return self.kb.labels.category(score, category, self.lang)
        return " / ".join(self.kb.labels.category(score, c, self.lang) for c in possible) or "–"

    def score_value(self, s: ScoreResult) -> str:
        """``10``, ``8–18`` or ``nicht beurteilbar``; with its unit, German decimals."""
        unit = _unit(s.unit)
        if s.total is not None:
            return fmt.quantity(s.total, unit, self.lang)
        if s.range is not None and s.assessable:
            return fmt.span(s.range[0], s.range[1], unit, self.lang)
        if s.category is not None:  # a categorical result without points (IMWG response)
            return "–"
        return "nicht beurteilbar" if self.lang == "de" else "not assessable"

    def item_value(self, score: str, item: str, value: Any) -> str:
        if isinstance(value, str):
            named = self.kb.labels.score_value(score, item, value, self.lang)
            if named is not None:
                return named
        return self.value(value)

    def lesion(self, lesion: Lesion) -> str:
        """``Wirbelsäule LWK 2, osteolytisch`` or ``Femur pertrochantär, rechts, Hüftgelenk``."""
        labels, lang = self.kb.labels, self.lang
        if lesion.region is Region.spine:
            head = labels.say("region", "spine", lang)
            if lesion.level:
                head += " " + labels.level(lesion.level, lang)
        elif lesion.bone:
            head = labels.say("long_bone", lesion.bone, lang)
        elif lesion.other_bone:
            head = labels.say("other_bone", lesion.other_bone, lang)
        elif lesion.region is None:
            head = "Lokalisation nicht angegeben" if lang == "de" else "site not stated"
        else:
            head = labels.say("region", lesion.region, lang)
        parts = [head]
        if lesion.segment:
            parts[0] += " " + labels.say("segment", lesion.segment, lang, short=True)
        if lesion.side:
            parts.append(labels.say("side", lesion.side, lang))
        elif lesion.region not in (None, Region.spine, Region.skull, Region.sternum):
            parts.append("Seite unbekannt" if lang == "de" else "side unknown")
        if lesion.joint:
            parts.append(labels.say("joint", lesion.joint, lang))
        if lesion.type:
            parts.append(labels.say("lesion_type", lesion.type, lang, short=True))
        if lesion.escc_grade:
            parts.append(labels.say("escc_grade", lesion.escc_grade, lang, short=True))
        if lesion.pathologic_fracture:
            parts.append("pathologische Fraktur" if lang == "de" else "pathological fracture")
        if lesion.operation:
            # The findings before it are the lesion's as referred; the operation is history.
            done = labels.say("operation", lesion.operation, lang, short=True)
            if lesion.operation_date:
                done += f" ({fmt.date(lesion.operation_date, lang)})"
            parts.append(("operiert: " if lang == "de" else "operated: ") + done)
        return ", ".join(parts)

    def cite(self, keys: Iterable[str], within: Sequence[str]) -> str:
        """Short Harvard citations of the works behind one statement: ``Rich u. a., 2018``
        (year suffixes assigned over ``within``, the protocol's whole reference list)."""
        cited = self.citations
        wanted = list(dict.fromkeys(keys))
        if any(k not in cited for k in wanted):
            known = tuple(k for k in dict.fromkeys([*within, *wanted]) if k in self.kb.sources)
            shared = self.kb.in_text_citations
            found = shared.get(known)
            if found is None:
                if len(shared) >= MAX_CITATION_LISTS:
                    shared.clear()
                found = shared[known] = {
                    r.key: r.in_text[1:-1] for r in bibliography(known, self.kb.sources)
                }
            cited = found
        return "; ".join(cited[k] for k in wanted if k in cited)


def _unit(unit: str | None) -> str | None:
    return None if unit in (None, "", "points", "Punkte") else unit


def signature_rows(case: Case, proposal: Proposal) -> list[str]:
    """The disciplines that sign: the fixed list, plus a module's own (haematology for a
    myeloma case)."""
    rows = list(SIGNATURES)
    disciplines = {r.discipline for r in proposal.recommendations}
    for discipline, name in _MODULE_SIGNATURES.items():
        is_case = discipline == "myeloma" and case.myeloma is not None
        if (discipline in disciplines or is_case) and name not in rows:
            rows.insert(rows.index("Internistische Onkologie") + 1, name)
    return rows


def conditions_lead(status: ItemStatus) -> str:
    """The words before an item's conditions: "wenn" where they decide whether it applies; a
    firm step (harm-preventing, needed on every plausible completion) names them as the case
    it prepares for, never as if it were still open."""
    return "vorsorglich, für den Fall" if status is ItemStatus.firm else "wenn"


def _status(r: Recommendation | Warning, speak: Speaker) -> dict[str, Any]:
    status = r.status
    out: dict[str, Any] = {
        "status": status.value,
        "status_de": speak.kb.labels.say("item_status", status.value, speak.lang),
        "suspected": status is ItemStatus.suspected,
        "conditional": status is ItemStatus.conditional,
        "conditions": speak.conditions(r.conditions) if r.conditions else "",
        "conditions_lead": conditions_lead(status),
        "assumed": speak.assumed(r.assumed),
        "alternative_to": "",
    }
    if isinstance(r, Recommendation) and r.alternative_to:
        out["alternative_to"] = speak.action(r.alternative_to)
    return out


def _item(r: Recommendation | Warning, speak: Speaker, keys: Sequence[str]) -> dict[str, Any]:
    labels = speak.kb.labels
    label = speak.action(r.code)
    text = fmt.text(r.text.de, "de")
    if text.startswith(label) and len(text) > len(label):
        # The title is printed before the text: do not say it twice ("NSAR …: NSAR …").
        text = text[len(label) :].lstrip(" :–-")
        text = text[:1].upper() + text[1:] if text[:1] != "(" else text
    out: dict[str, Any] = {
        "code": r.code,
        "label": label,
        "lesion": r.lesion,
        "text": text,
        "because": speak.because(r.because),
        "sources": speak.cite(r.sources, keys),
        "rule": r.rule,
        **_status(r, speak),
    }
    if isinstance(r, Recommendation):
        out["priority"] = r.priority.value
        out["priority_de"] = labels.say("priority", r.priority.value)
        out["strength_de"] = labels.say("strength", r.strength)
    return out


def _score(s: ScoreResult, speak: Speaker, keys: Sequence[str]) -> dict[str, Any]:
    title = REGISTRY[s.name].title.de if s.name in REGISTRY else s.name
    if not s.assessable and s.missing:
        interpretation = (
            "Nicht berechenbar; es fehlen: " + "; ".join(speak.field(m) for m in s.missing) + "."
        )
    elif s.category is None and s.assessable and s.possible_categories:
        interpretation = (
            f"Nicht eindeutig: {speak.score_value(s)} "
            f"({speak.category(s.name, None, s.possible_categories)}). "
            "Die fehlenden Angaben entscheiden über die Kategorie."
        )
    else:
        interpretation = fmt.text(s.interpretation.de, "de") if s.interpretation else ""
    return {
        "name": s.name,
        "title": title,
        "lesion": s.lesion,
        "value": speak.score_value(s),
        "category": speak.category(s.name, s.category, s.possible_categories),
        "decided": s.category is not None,
        "interpretation": interpretation,
        "entries": [
            {
                "label": it.label.de,
                "value": (
                    fmt.text(it.note.de, "de")
                    if it.note is not None
                    else speak.item_value(s.name, it.name, it.value)
                ),
                "points": (
                    fmt.number(it.points)
                    if it.points is not None
                    else (fmt.span(min(it.possible), max(it.possible)) if it.possible else "")
                ),
            }
            for it in s.items
        ],
        "missing": [speak.field(m) for m in s.missing],
        "notes": [fmt.text(n.de, "de") for n in s.notes],
        "source": speak.cite([s.source], keys) or s.source,
    }


def _source_keys(proposal: Proposal) -> list[str]:
    keys: dict[str, None] = {}
    items: list[Recommendation | Warning] = [
        *proposal.emergencies,
        *proposal.recommendations,
        *proposal.warnings,
    ]
    for r in items:
        for k in r.sources:
            keys.setdefault(k, None)
    for s in proposal.scores:
        keys.setdefault(s.source, None)
    for e in proposal.prognosis.estimates:
        if e.source:
            keys.setdefault(e.source, None)
    return list(keys)


def course_figures(case: Case) -> list[dict[str, str]]:
    """Figures of a case's course: the M-protein plot for myeloma with assessments."""
    if case.myeloma is None or not case.myeloma.series:
        return []
    from osteoboard.myeloma import analyse
    from osteoboard.render.mprotein import mprotein_svg

    return [
        {
            "svg": mprotein_svg(analyse(case.myeloma)),
            "caption": "M-Protein im Verlauf mit Ausgangswert, Nadir und Progressionsschwelle",
        }
    ]


def changes(refs: Sequence[str], speak: Speaker, shown: int = NEEDED_FOR_SHOWN) -> str:
    """What a missing input could change, in words: each item once with its lesions
    (``Zoledronsäure; Stereotaktische Bestrahlung (L1, L2 … 200 Läsionen)``), at most ``shown``
    items, then a count of the rest."""
    by_item: dict[str, list[str]] = {}
    for ref in refs:
        name, _, lesion = ref.partition("[")
        words = speak.item_ref(name)
        lesions = by_item.setdefault(words, [])
        if lesion and lesion.rstrip("]") not in lesions:
            lesions.append(lesion.rstrip("]"))
    parts = []
    for words, lesions in by_item.items():
        if len(lesions) > 3:
            parts.append(f"{words} ({', '.join(lesions[:3])} … {len(lesions)} Läsionen)")
        else:
            parts.append(f"{words} ({', '.join(lesions)})" if lesions else words)
    if len(parts) > shown:
        rest = len(parts) - shown
        parts = [*parts[:shown], f"{rest} weitere{'' if rest > 1 else 's'}"]
    return "; ".join(parts)


def _question(q: Question, speak: Speaker) -> dict[str, Any]:
    return {
        "text": q.text.de,
        "priority_de": speak.kb.labels.say("priority", q.priority),
        "decides": changes(q.decides, speak, shown=6),
    }


def _missing(items: Sequence[MissingData], speak: Speaker) -> list[dict[str, str]]:
    return [
        {
            "field": speak.field(m.field),
            "priority_de": speak.kb.labels.say("missing_priority", m.priority),
            "changes": changes(m.needed_for, speak),
        }
        for m in items
    ]


def _board_notes(p: Prognosis) -> list[str]:
    notes = []
    if p.scores_disagree:
        notes.append(
            "Die Prognoseschätzungen weisen auf unterschiedliche Prognosegruppen hin; die "
            "Einschätzung des Behandlungsteams sollte ergänzt werden."
        )
    return notes


def protocol_view(
    proposal: Proposal,
    case: Case,
    kb: KnowledgeBase,
    *,
    extra_figures: Sequence[Any] = (),
    decision: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the protocol shows, as plain data (JSON-serialisable). ``decision``: the
    board's recorded decision, printed in the decision box (a face that stores decisions
    passes it in words: ``meeting``, ``items`` with ``label``, ``lesion``, ``outcome``,
    ``reason``, ``text``, then ``overall``, ``conform`` and ``signed``); without it the box
    is left empty for handwriting."""
    keys = [k for k in _source_keys(proposal) if k in kb.sources]
    refs = bibliography(keys, kb.sources)
    speak = Speaker(kb, citations={r.key: r.in_text[1:-1] for r in refs})

    groups: list[dict[str, Any]] = []
    for rec in proposal.recommendations:
        if not groups or groups[-1]["discipline"] != rec.discipline:
            groups.append(
                {
                    "discipline": rec.discipline,
                    "title": kb.disciplines[rec.discipline].de,
                    "entries": [],
                }
            )
        groups[-1]["entries"].append(_item(rec, speak, keys))

    p = proposal.prognosis
    lesions = [{"id": les.id, "label": speak.lesion(les)} for les in case.lesions]
    # Headings name a lesion as the item texts do: "Läsion L1 (LWK 2)", never a bare "L1".
    names = {
        les.id: kb.labels.lesion(les.id, les.level if les.region is Region.spine else None)
        for les in case.lesions
    }
    emergencies = [_item(e, speak, keys) for e in proposal.emergencies]
    urgent = [
        _item(r, speak, keys) for r in proposal.recommendations if r.priority.value == "urgent"
    ]
    warnings = [_item(w, speak, keys) for w in proposal.warnings]
    for item in [*emergencies, *urgent, *warnings]:
        lesion = item["lesion"]
        item["lesion_name"] = names.get(lesion, f"Läsion {lesion}") if lesion else None
    unknown_side = [
        les.id
        for les in case.lesions
        # A lesion without a region is not drawn at all (listed beside the figure).
        if les.side is None and les.region not in (None, Region.spine, Region.skull, Region.sternum)
    ]
    return {
        "title": f"Tumorkonferenz Knochenmetastasen – {proposal.case_id}",
        "case_id": proposal.case_id,
        "board_date": fmt.date(case.board_date),
        "engine_version": proposal.engine_version,
        "kb_version": proposal.knowledge_base.version if proposal.knowledge_base else "",
        "kb_sha": proposal.knowledge_base.sha256[:12] if proposal.knowledge_base else "",
        "primary": _primary_label(case, kb),
        "declined": declined_line(case, kb),
        "medication": medication_line(case),
        "lesions": lesions,
        "emergencies": emergencies,
        # Urgent items of every discipline, shown right after the emergencies as well.
        "urgent": urgent,
        "questions": [_question(q, speak) for q in proposal.questions],
        "prognosis": {
            "band": band_de(kb, p),
            "basis": basis_de(kb, p),
            "ge_6_months": {True: "ja", False: "nein", None: "offen"}[p.ge_6_months],
            "estimates": [fmt.text(e.statement.de) for e in p.estimates],
        },
        "board_notes": _board_notes(p),
        "scores": [_score(s, speak, keys) for s in proposal.scores],
        "groups": groups,
        "warnings": warnings,
        "missing": _missing(proposal.missing_data, speak),
        "bodymap": body_map_svg(case.lesions, proposal.scores, labels=kb.labels)
        if case.lesions
        else "",
        "bodymap_alt": "Skelettschema mit "
        + (", ".join(f"{x['id']} ({x['label']})" for x in lesions) or "keinen Läsionen"),
        "unknown_side": (
            "Seite unbekannt (im Skelettschema rechts eingezeichnet): " + ", ".join(unknown_side)
            if unknown_side
            else ""
        ),
        "figures": [*course_figures(case), *extra_figures],
        "signatures": signature_rows(case, proposal),
        "decision": dict(decision) if decision is not None else None,
        "references": [{"key": r.key, "text": r.text, "html": r.html} for r in refs],
        "disclaimer": (
            "Entscheidungsunterstützung für die interdisziplinäre Tumorkonferenz. Die Vorschläge "
            "ersetzen nicht die ärztliche Beurteilung; die Konferenz entscheidet."
        ),
    }


def declined_line(case: Case, kb: KnowledgeBase, lang: str = "de") -> str:
    """The treatments the patient has declined after being informed, as one line of the case
    facts (empty when none is documented)."""
    names = [kb.labels.say("treatment", t, lang) for t in case.patient.declines or ()]
    if not names:
        return ""
    lead = "Nach Aufklärung abgelehnt: " if lang == "de" else "Declined after being informed: "
    return lead + join(names, lang)


def medication_line(case: Case, lang: str = "de") -> str:
    """The current medication as entered - names the knowledge base does not know included -
    as one line of the case facts; empty when it is not documented (the questions ask)."""
    drugs = case.prior_therapy.current_medication
    if drugs is None:
        return ""
    lead = "Aktuelle Medikation: " if lang == "de" else "Current medication: "
    return lead + ("; ".join(drugs) if drugs else ("keine" if lang == "de" else "none"))


def _primary_label(case: Case, kb: KnowledgeBase) -> str:
    pr = case.primary
    if pr.site is None:
        return "Primärtumor nicht angegeben"
    label = kb.labels.say("primary_site", pr.site)
    return f"{label} ({pr.histology})" if pr.histology else label

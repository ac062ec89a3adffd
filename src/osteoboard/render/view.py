"""The display model of a board protocol: plain data shared by the HTML and PDF templates.

Everything here is presentation (labels, formatting, grouping in the proposal's own order);
nothing clinical is decided. The same view is rendered by Jinja2 (HTML) and, as JSON, by the
Typst template (PDF), so both outputs always show the same content.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from osteoboard.case import Case, Lesion, Region
from osteoboard.engine import format_fact
from osteoboard.guideline import KnowledgeBase
from osteoboard.prognosis import Prognosis
from osteoboard.proposal import Proposal, Recommendation, Warning
from osteoboard.render.bodymap import body_map_svg
from osteoboard.render.citations import bibliography
from osteoboard.scores import REGISTRY
from osteoboard.scores.base import ScoreResult

__all__ = [
    "MISSING_PRIORITY_DE",
    "PRIORITY_DE",
    "STRENGTH_DE",
    "band_de",
    "basis_de",
    "category_de",
    "course_figures",
    "needed_for_text",
    "protocol_view",
    "score_value",
]

PRIORITY_DE = {"urgent": "dringend", "soon": "zeitnah", "routine": "regulär"}
MISSING_PRIORITY_DE = {**PRIORITY_DE, "score": "nur Score"}
STRENGTH_DE = {"strong": "Empfehlung", "conditional": "bedingte Empfehlung", "option": "Option"}
REGION_DE = {
    "spine": "Wirbelsäule",
    "long_bone": "langer Röhrenknochen",
    "pelvis": "Becken",
    "rib": "Rippe",
    "skull": "Schädel",
    "sternum": "Sternum",
    "other": "andere",
}
BONE_DE = {
    "femur": "Femur",
    "tibia": "Tibia",
    "humerus": "Humerus",
    "radius": "Radius",
    "ulna": "Ulna",
    "fibula": "Fibula",
    "other": "anderer Knochen",
}
SIDE_DE = {"left": "links", "right": "rechts", "midline": "Mitte"}
TYPE_DE = {"lytic": "osteolytisch", "mixed": "gemischt", "blastic": "osteoblastisch"}
SEGMENT_DE = {
    "peritrochanteric": "pertrochantär",
    "epiphyseal": "epiphysär",
    "metaphyseal": "metaphysär",
    "diaphyseal": "diaphysär",
}
CATEGORY_DE = {
    "stable": "stabil",
    "indeterminate": "potenziell instabil",
    "unstable": "instabil",
    "low": "niedrig",
    "borderline": "grenzwertig",
    "high": "hoch",
    "lt_6_months": "< 6 Monate",
    "ge_6_months": "≥ 6 Monate",
    "ge_12_months": "≥ 12 Monate",
    "wide_or_marginal": "weite/marginale Exzision",
    "marginal_or_intralesional": "marginale/intraläsionale Exzision",
    "palliative_surgery": "palliative Operation",
    "supportive_care": "supportive Therapie",
    "poor": "ungünstig",
    "intermediate": "intermediär",
    "good": "günstig",
    "hypocalcemia": "Hypokalzämie",
    "normal": "normal",
    "mild": "leicht erhöht",
    "moderate": "mittelschwer erhöht",
    "severe": "schwer erhöht",
    "i": "I",
    "ii": "II",
    "iii": "III",
    "iv": "IV",
    "scr": "sCR",
    "cr": "CR",
    "vgpr": "VGPR",
    "pr": "PR",
    "mr": "MR",
    "sd": "SD",
    "pd": "PD",
    "not_assessable": "nicht beurteilbar",
    "g1": "G1",
    "g2": "G2",
    "g3a": "G3a",
    "g3b": "G3b",
    "g4": "G4",
    "g5": "G5",
}


def band_de(kb: KnowledgeBase, p: Prognosis) -> str:
    """The prognosis band with its months, in German (``offen`` when undecided)."""
    return kb.prognosis.band_label(p.band).de if p.band else "offen"


def basis_de(kb: KnowledgeBase, p: Prognosis) -> str:
    """What decided the band, in German."""
    name = kb.prognosis.name(p.basis) if p.basis else None
    return name.de if name is not None else "keine entschiedene Schätzung"


def category_de(category: str) -> str:
    return CATEGORY_DE.get(category, category)


def score_value(s: ScoreResult) -> str:
    """'10', '8–10' or 'nicht beurteilbar'; values with their unit, German decimals."""
    unit = f" {s.unit}" if s.unit else ""
    if s.total is not None:
        return _num(s.total) + unit
    if s.range is not None and s.assessable:
        return f"{_num(s.range[0])}–{_num(s.range[1])}{unit}"
    return "nicht beurteilbar"


def _num(x: float) -> str:
    return str(x).replace(".", ",")


def lesion_label(lesion: Lesion) -> str:
    """'Wirbelsäule T6, osteolytisch' or 'Femur pertrochantär rechts, osteolytisch'."""
    if lesion.region is Region.spine:
        head = "Wirbelsäule" + (f" {lesion.level}" if lesion.level else "")
    elif lesion.bone:
        head = BONE_DE[lesion.bone.value]
    else:
        head = REGION_DE[lesion.region.value]
    if lesion.segment:
        head += " " + SEGMENT_DE[lesion.segment.value]
    if lesion.joint and lesion.joint.value != "none":
        head += f" (Gelenk: {lesion.joint.value})"
    if lesion.side:
        head += " " + SIDE_DE[lesion.side.value]
    parts = [head]
    if lesion.type:
        parts.append(TYPE_DE[lesion.type.value])
    if lesion.pathologic_fracture:
        parts.append("pathologische Fraktur")
    return ", ".join(parts)


def _item(r: Recommendation | Warning, kb: KnowledgeBase, cite: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": r.code,
        "label": kb.actions[r.code].label.de,
        "lesion": r.lesion,
        "text": r.text.de,
        "because": [f"{b.fact} = {format_fact(b.value, 'de')}" for b in r.because],
        "sources": [cite[k] for k in r.sources],
        "rule": r.rule,
    }
    if isinstance(r, Recommendation):
        out["priority"] = r.priority.value
        out["priority_de"] = PRIORITY_DE[r.priority.value]
        out["strength_de"] = STRENGTH_DE[r.strength]
    return out


def _score(s: ScoreResult) -> dict[str, Any]:
    title = REGISTRY[s.name].title.de if s.name in REGISTRY else s.name
    return {
        "name": s.name,
        "title": title,
        "lesion": s.lesion,
        "value": score_value(s),
        "category": category_de(s.category)
        if s.category
        else (" / ".join(category_de(c) for c in s.possible_categories) or "–"),
        "decided": s.category is not None,
        "interpretation": s.interpretation.de if s.interpretation else "",
        "entries": [
            {
                "label": it.label.de,
                "value": "unbekannt" if it.value is None else format_fact(it.value, "de"),
                "points": (
                    _num(it.points)
                    if it.points is not None
                    else (
                        f"{_num(min(it.possible))}–{_num(max(it.possible))}" if it.possible else ""
                    )
                ),
            }
            for it in s.items
        ],
        "missing": list(s.missing),
        "notes": [n.de for n in s.notes],
        "source": s.source,
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


#: Most rules named for one missing input (a case with many lesions names hundreds).
NEEDED_FOR_SHOWN = 12


def needed_for_text(labels: Sequence[str]) -> str:
    """The rules a missing input could change, each once with its lesions: ``rule[L1, L2]``;
    at most NEEDED_FOR_SHOWN rules and three lesions per rule, then a count of the rest."""
    by_rule: dict[str, list[str]] = {}
    for label in labels:
        rule, _, lesion = label.partition("[")
        lesions = by_rule.setdefault(rule, [])
        if lesion:
            lesions.append(lesion.rstrip("]"))
    parts = []
    for rule, lesions in by_rule.items():
        if len(lesions) > 3:
            parts.append(f"{rule}[{', '.join(lesions[:3])} … {len(lesions)} Läsionen]")
        else:
            parts.append(f"{rule}[{', '.join(lesions)}]" if lesions else rule)
    if len(parts) > NEEDED_FOR_SHOWN:
        rest = len(parts) - NEEDED_FOR_SHOWN
        parts = [*parts[:NEEDED_FOR_SHOWN], f"… {rest} weitere Regel{'n' if rest > 1 else ''}"]
    return ", ".join(parts)


def protocol_view(
    proposal: Proposal, case: Case, kb: KnowledgeBase, *, extra_figures: Sequence[Any] = ()
) -> dict[str, Any]:
    """Everything the protocol shows, as plain data (JSON-serialisable)."""
    keys = [k for k in _source_keys(proposal) if k in kb.sources]
    refs = bibliography(keys, kb.sources)
    cite = {r.key: r.in_text for r in refs}
    for k in _source_keys(proposal):
        cite.setdefault(k, k)

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
        groups[-1]["entries"].append(_item(rec, kb, cite))

    p = proposal.prognosis
    lesions = [{"id": les.id, "label": lesion_label(les)} for les in case.lesions]
    return {
        "title": f"Tumorkonferenz Knochenmetastasen – {proposal.case_id}",
        "case_id": proposal.case_id,
        "board_date": case.board_date.isoformat() if case.board_date else "ohne Datum",
        "engine_version": proposal.engine_version,
        "kb_version": proposal.knowledge_base.version if proposal.knowledge_base else "",
        "kb_sha": proposal.knowledge_base.sha256[:12] if proposal.knowledge_base else "",
        "primary": _primary_label(case, kb),
        "lesions": lesions,
        "emergencies": [_item(e, kb, cite) for e in proposal.emergencies],
        # Urgent items of every discipline, shown right after the emergencies as well.
        "urgent": [
            _item(r, kb, cite) for r in proposal.recommendations if r.priority.value == "urgent"
        ],
        "prognosis": {
            "band": band_de(kb, p),
            "basis": basis_de(kb, p),
            "ge_6_months": {True: "ja", False: "nein", None: "offen"}[p.ge_6_months],
            "estimates": [e.statement.de for e in p.estimates],
            "disagree": p.scores_disagree,
        },
        "scores": [_score(s) for s in proposal.scores],
        "groups": groups,
        "warnings": [_item(w, kb, cite) for w in proposal.warnings],
        "missing": [
            {
                "field": m.field,
                "needed_for": needed_for_text(m.needed_for),
                "priority_de": MISSING_PRIORITY_DE[m.priority],
            }
            for m in proposal.missing_data
        ],
        "bodymap": body_map_svg(case.lesions, proposal.scores) if case.lesions else "",
        "bodymap_alt": "Skelettschema mit "
        + (", ".join(f"{x['id']} ({x['label']})" for x in lesions) or "keinen Läsionen"),
        "figures": [*course_figures(case), *extra_figures],
        "references": [{"key": r.key, "text": r.text, "html": r.html} for r in refs],
        "disclaimer": (
            "Entscheidungsunterstützung für die interdisziplinäre Tumorkonferenz. Die Vorschläge "
            "ersetzen nicht die ärztliche Beurteilung; die Konferenz entscheidet."
        ),
    }


def _primary_label(case: Case, kb: KnowledgeBase) -> str:
    pr = case.primary
    if pr.site is None:
        return "Primärtumor nicht angegeben"
    label = kb.facts["primary.site"].values[pr.site.value].de
    return f"{label} ({pr.histology})" if pr.histology else label

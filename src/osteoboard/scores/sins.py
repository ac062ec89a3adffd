"""Spinal Instability Neoplastic Score, SINS (Fisher et al., Spine 2010;35:E1221–E1229).

Six items, total 0–18: 0–6 stable, 7–12 indeterminate (possibly impending) instability,
13–18 unstable. Surgical consultation is recommended from 7 points.
"""

from __future__ import annotations

from pydantic import field_validator

from osteoboard.case import (
    Alignment,
    Collapse,
    LesionType,
    Posterolateral,
    SpinalPain,
    normalise_spine_level,
)
from osteoboard.scores.base import Points, ScoreInput, ScoreItem, ScoreResult, item, summarise
from osteoboard.scores.registry import ScoreSpec, lesion_adapter
from osteoboard.text import Text

__all__ = ["SOURCE", "SPEC", "SinsInput", "location_class", "sins"]

SOURCE = "fisher2010"


class SinsInput(ScoreInput):
    level: str | None = None
    pain: SpinalPain | None = None
    type: LesionType | None = None
    alignment: Alignment | None = None
    collapse: Collapse | None = None
    posterolateral: Posterolateral | None = None
    #: A documented pathologic fracture of the vertebra: its body has collapsed, so an
    #: unreported collapse item is under or over 50 %, not "none".
    pathologic_fracture: bool | None = None

    @field_validator("level")
    @classmethod
    def _level(cls, v: str | None) -> str | None:
        return None if v is None else normalise_spine_level(v)


_JUNCTIONAL = {"C1", "C2", "C7", "T1", "T2", "T11", "T12", "L1", "L5", "S1"}
_MOBILE = {"C3", "C4", "C5", "C6", "L2", "L3", "L4"}
_SEMI_RIGID = {f"T{i}" for i in range(3, 11)}
_RIGID = {"S2", "S3", "S4", "S5"}

LOCATION_POINTS = {"junctional": 3, "mobile": 2, "semi_rigid": 1, "rigid": 0}


def location_class(level: str) -> str:
    """junctional · mobile · semi_rigid · rigid, as defined by Fisher 2010."""
    for name, levels in (
        ("junctional", _JUNCTIONAL),
        ("mobile", _MOBILE),
        ("semi_rigid", _SEMI_RIGID),
        ("rigid", _RIGID),
    ):
        if level in levels:
            return name
    raise ValueError(f"unknown vertebral level {level!r}")


PAIN_POINTS = {SpinalPain.mechanical: 3, SpinalPain.non_mechanical: 1, SpinalPain.none: 0}
TYPE_POINTS = {LesionType.lytic: 2, LesionType.mixed: 1, LesionType.blastic: 0}
ALIGNMENT_POINTS = {
    Alignment.subluxation_translation: 4,
    Alignment.de_novo_deformity: 2,
    Alignment.normal: 0,
}
COLLAPSE_POINTS = {
    Collapse.gt_50: 3,
    Collapse.lt_50: 2,
    Collapse.body_involved_gt_50: 1,
    Collapse.none: 0,
}
#: The collapse item of a fractured vertebra whose collapse is not reported.
FRACTURE_COLLAPSE_POINTS = {Collapse.gt_50: 3, Collapse.lt_50: 2}
_FRACTURE_NOTE = Text(
    de="pathologische Fraktur dokumentiert: der Wirbelkörper ist eingebrochen (Ausmaß offen)",
    en="pathologic fracture documented: the vertebral body has collapsed (extent open)",
)
POSTEROLATERAL_POINTS = {
    Posterolateral.bilateral: 3,
    Posterolateral.unilateral: 1,
    Posterolateral.none: 0,
}

CATEGORIES = {
    "stable": Text(
        de="Stabil (0–6 Punkte).",
        en="Stable (0–6 points).",
    ),
    "indeterminate": Text(
        de="Potenziell instabil (7–12 Punkte): wirbelsäulenchirurgische Vorstellung empfohlen.",
        en="Indeterminate, possibly impending instability (7–12 points): surgical "
        "consultation recommended.",
    ),
    "unstable": Text(
        de="Instabil (13–18 Punkte): wirbelsäulenchirurgische Vorstellung dringend.",
        en="Unstable (13–18 points): urgent surgical consultation.",
    ),
}


def categorise(total: Points) -> str:
    if total <= 6:
        return "stable"
    if total <= 12:
        return "indeterminate"
    return "unstable"


_L = {
    "location": Text(de="Lokalisation", en="Location"),
    "pain": Text(de="Schmerz", en="Pain"),
    "type": Text(de="Knochenläsion", en="Bone lesion"),
    "alignment": Text(de="Alignment", en="Radiographic spinal alignment"),
    "collapse": Text(de="Wirbelkörperkollaps", en="Vertebral body collapse"),
    "posterolateral": Text(
        de="Posterolaterale Beteiligung", en="Posterolateral involvement of spinal elements"
    ),
}


INPUT_FIELDS = ("level", "pain", "type", "alignment", "collapse", "posterolateral")


def sins(inp: SinsInput, lesion: str | None = None) -> ScoreResult:
    loc = location_class(inp.level) if inp.level else None
    items = [
        item("location", _L["location"], loc, LOCATION_POINTS),
        item("pain", _L["pain"], inp.pain, PAIN_POINTS),
        item("type", _L["type"], inp.type, TYPE_POINTS),
        item("alignment", _L["alignment"], inp.alignment, ALIGNMENT_POINTS),
        fractured
        if (fractured := _fractured_collapse(inp)) is not None
        else item("collapse", _L["collapse"], inp.collapse, COLLAPSE_POINTS),
        item("posterolateral", _L["posterolateral"], inp.posterolateral, POSTEROLATERAL_POINTS),
    ]
    missing = [name for name in INPUT_FIELDS if getattr(inp, name) is None]
    return summarise(
        name="sins",
        items=items,
        categorise=categorise,
        categories=CATEGORIES,
        source=SOURCE,
        missing=missing,
        lesion=lesion,
    )


def _fractured_collapse(inp: SinsInput) -> ScoreItem | None:
    """The collapse item of a fractured vertebra whose collapse is not reported (2 or 3
    points), else None."""
    if inp.collapse is not None or inp.pathologic_fracture is not True:
        return None
    return item("collapse", _L["collapse"], None, FRACTURE_COLLAPSE_POINTS, _FRACTURE_NOTE)


SPEC = ScoreSpec(
    name="sins",
    title=Text(
        de="SINS (Spinal Instability Neoplastic Score)",
        en="Spinal Instability Neoplastic Score (SINS)",
    ),
    per="spinal_lesion",
    input_model=SinsInput,
    compute=sins,
    from_case=lesion_adapter(SinsInput, (*INPUT_FIELDS, "pathologic_fracture")),
    source=SOURCE,
    categories=tuple(CATEGORIES),
)

"""Mirels score for impending pathologic fracture (Mirels, Clin Orthop 1989;249:256–264).

Four items, 1–3 points each, total 4–12: ≤ 7 low fracture risk (radiotherapy, observation),
8 borderline (clinical judgement), ≥ 9 high risk (prophylactic fixation before radiotherapy).
Reported fracture risk: ≤ 7 about 4 %, 8 about 15 %, ≥ 9 33 % or more.

Site: upper limb (humerus, radius, ulna) 1 · lower limb (femur, tibia, fibula) 2 ·
peritrochanteric femur 3. When the bone or the femoral segment is not known, the site item
keeps every value it can still take and says why.

Size: the case form asks for the share of the bone's cortical circumference destroyed
(``cortical_involvement``). Secondary sources disagree on the reference (share of the bone
diameter, of the cortex, or of the cortical thickness); the note in every result says so.
"""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from osteoboard.case import (
    CorticalInvolvement,
    LesionType,
    LongBone,
    MirelsPain,
    Segment,
)
from osteoboard.scores.base import (
    Points,
    ScoreInput,
    ScoreItem,
    ScoreResult,
    item,
    summarise,
    unknown_item,
)
from osteoboard.scores.registry import ScoreSpec, lesion_adapter
from osteoboard.text import Text

__all__ = [
    "CATEGORIES",
    "SOURCE",
    "SPEC",
    "MirelsInput",
    "categorise",
    "mirels",
    "site_points",
]

SOURCE = "mirels1989"

FIELDS = ("bone", "segment", "mirels_pain", "type", "cortical_involvement")


class MirelsInput(ScoreInput):
    bone: LongBone | None = None
    segment: Segment | None = None
    mirels_pain: MirelsPain | None = None
    type: LesionType | None = None
    cortical_involvement: CorticalInvolvement | None = None

    @model_validator(mode="after")
    def _peritrochanteric_is_femur(self) -> Self:
        if self.segment is Segment.peritrochanteric and self.bone not in (None, LongBone.femur):
            raise ValueError("segment peritrochanteric applies only to bone femur")
        return self


SITE_POINTS: dict[str, Points] = {"upper_limb": 1, "lower_limb": 2, "peritrochanteric": 3}
PAIN_POINTS = {MirelsPain.mild: 1, MirelsPain.moderate: 2, MirelsPain.functional: 3}
TYPE_POINTS = {LesionType.blastic: 1, LesionType.mixed: 2, LesionType.lytic: 3}
SIZE_POINTS = {
    CorticalInvolvement.lt_one_third: 1,
    CorticalInvolvement.one_to_two_thirds: 2,
    CorticalInvolvement.gt_two_thirds: 3,
}

_UPPER = {LongBone.humerus, LongBone.radius, LongBone.ulna}
_LOWER = {LongBone.femur, LongBone.tibia, LongBone.fibula}

CATEGORIES = {
    "low": Text(
        de="Geringes Frakturrisiko (≤ 7 Punkte; berichtetes Risiko etwa 4 %): Bestrahlung und "
        "Beobachtung.",
        en="Low fracture risk (≤ 7 points; reported risk about 4 %): radiotherapy and observation.",
    ),
    "borderline": Text(
        de="Grenzbereich (8 Punkte; berichtetes Risiko etwa 15 %): Entscheidung nach klinischer "
        "Einschätzung, orthopädische Vorstellung. Die Zusammenfassung der Originalarbeit rät "
        "schon ab 8 Punkten zur prophylaktischen Stabilisierung.",
        en="Borderline (8 points; reported risk about 15 %): decide by clinical judgement, "
        "orthopaedic consultation. The abstract of the original paper already advises "
        "prophylactic fixation from 8 points.",
    ),
    "high": Text(
        de="Hohes Frakturrisiko (≥ 9 Punkte; berichtetes Risiko 33 % oder mehr): prophylaktische "
        "Stabilisierung vor der Bestrahlung.",
        en="High fracture risk (≥ 9 points; reported risk 33 % or more): prophylactic fixation "
        "before radiotherapy.",
    ),
}


def categorise(total: Points) -> str:
    if total <= 7:
        return "low"
    if total < 9:
        return "borderline"
    return "high"


_L = {
    "site": Text(de="Lokalisation", en="Site"),
    "mirels_pain": Text(de="Schmerz", en="Pain"),
    "type": Text(de="Läsionsart", en="Lesion type"),
    "cortical_involvement": Text(de="Größe (Kortikalisbeteiligung)", en="Size (cortical share)"),
}

SIZE_NOTE = Text(
    de="Größe: Das Formular erfragt den Anteil des zerstörten Kortikalisumfangs. Die Quellen "
    "beziehen die Drittel unterschiedlich auf den Knochendurchmesser, die Kortikalis oder die "
    "Kortikalisdicke; bei Abweichung bitte angeben, welche Messung gewertet wurde.",
    en="Size: the form asks for the share of the cortical circumference destroyed. Sources "
    "relate the thirds variously to the bone diameter, the cortex or the cortical thickness; "
    "where this matters, state which measurement was scored.",
)


def site_points(bone: LongBone | None, segment: Segment | None) -> tuple[str | None, list[Points]]:
    """The site class (None when undetermined) and the points the site item can still take."""
    if segment is Segment.peritrochanteric:
        return "peritrochanteric", [3]
    if bone in _UPPER:
        return "upper_limb", [1]
    if bone is LongBone.femur:
        return ("lower_limb", [2]) if segment is not None else (None, [2, 3])
    if bone in _LOWER:
        return "lower_limb", [2]
    if bone is LongBone.other or segment is not None:
        # Not the peritrochanteric femur, but upper or lower limb is not known.
        return None, [1, 2]
    return None, [1, 2, 3]


def _site_item(bone: LongBone | None, segment: Segment | None) -> ScoreItem:
    site, possible = site_points(bone, segment)
    if site is not None:
        return item("site", _L["site"], site, SITE_POINTS)
    if bone is LongBone.femur:
        note = Text(
            de="Femur ohne Angabe des Abschnitts: peritrochantär 3 Punkte, sonst 2.",
            en="Femur without segment: 3 points if peritrochanteric, otherwise 2.",
        )
    elif bone is LongBone.other:
        note = Text(
            de="Knochen »anderer«: obere (1) oder untere Extremität (2) nicht bekannt.",
            en="Bone 'other': upper (1) or lower limb (2) is not known.",
        )
    elif segment is not None:
        note = Text(
            de="Knochen unbekannt: obere (1) oder untere Extremität (2).",
            en="Bone unknown: upper (1) or lower limb (2).",
        )
    else:
        note = Text(
            de="Knochen und Abschnitt unbekannt: 1, 2 oder 3 Punkte möglich.",
            en="Bone and segment unknown: 1, 2 or 3 points possible.",
        )
    return unknown_item("site", _L["site"], possible, note)


def _site_missing(bone: LongBone | None, segment: Segment | None) -> list[str]:
    site, _ = site_points(bone, segment)
    if site is not None:
        return []
    out = []
    if bone is None:
        out.append("bone")
    if segment is None and bone in (None, LongBone.femur):
        out.append("segment")
    return out


def mirels(inp: MirelsInput, lesion: str | None = None) -> ScoreResult:
    items = [
        _site_item(inp.bone, inp.segment),
        item("mirels_pain", _L["mirels_pain"], inp.mirels_pain, PAIN_POINTS),
        item("type", _L["type"], inp.type, TYPE_POINTS),
        item(
            "cortical_involvement",
            _L["cortical_involvement"],
            inp.cortical_involvement,
            SIZE_POINTS,
        ),
    ]
    missing = _site_missing(inp.bone, inp.segment) + [
        name
        for name in ("mirels_pain", "type", "cortical_involvement")
        if getattr(inp, name) is None
    ]
    return summarise(
        name="mirels",
        items=items,
        categorise=categorise,
        categories=CATEGORIES,
        source=SOURCE,
        missing=missing,
        lesion=lesion,
        notes=[SIZE_NOTE],
    )


SPEC = ScoreSpec(
    name="mirels",
    title=Text(
        de="Mirels-Score (Frakturrisiko langer Röhrenknochen)",
        en="Mirels score (long-bone fracture risk)",
    ),
    per="long_bone_lesion",
    input_model=MirelsInput,
    compute=mirels,
    from_case=lesion_adapter(MirelsInput, FIELDS),
    source=SOURCE,
    categories=tuple(CATEGORIES),
)

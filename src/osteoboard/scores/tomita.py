"""Tomita score (Tomita et al., Spine 2001;26:298–306).

Three items: growth of the primary tumour (slow 1, moderate 2, rapid 4), visceral metastases
(none 0, treatable 2, untreatable 4) and bone metastases including the spine (solitary or
isolated 1, multiple 2). Total 2–10: 2–3 wide or marginal excision aiming at long-term local
control, 4–5 marginal or intralesional excision, 6–7 palliative surgery, 8–10 non-operative
supportive care.

The growth class comes from the primary-site table (:mod:`osteoboard.sites`); where Tomita did
not classify a site the table's assumption is repeated in ``notes``, and ``primary.growth``
overrides the table. This module also holds the case helpers shared by the Bauer and Katagiri
scores (solitary vs. multiple bone metastases, presence of visceral metastases).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import model_validator

from osteoboard.case import Case, Growth, Lesion, PrimarySite
from osteoboard.scores.base import (
    Points,
    ScoreInput,
    ScoreItem,
    ScoreResult,
    item,
    known_item,
    summarise,
    unknown_item,
)
from osteoboard.scores.registry import ScoreSpec, bone_disease
from osteoboard.sites import site_info
from osteoboard.text import Text

__all__ = [
    "CATEGORIES",
    "SOURCE",
    "SPEC",
    "BoneSpread",
    "TomitaInput",
    "bone_spread_from_case",
    "categorise",
    "tomita",
]

SOURCE = "tomita2001"


class BoneSpread(StrEnum):
    """Skeletal metastases counted over the whole skeleton, spine included."""

    solitary = "solitary"
    multiple = "multiple"


class TomitaInput(ScoreInput):
    growth: Growth | None = None
    primary_site: PrimarySite | None = None
    visceral_metastases: bool | None = None
    visceral_treatable: bool | None = None
    bone_metastases: BoneSpread | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TomitaInput:
        if self.visceral_metastases is False and self.visceral_treatable is not None:
            raise ValueError("visceral_treatable must be empty when visceral_metastases is false")
        return self


GROWTH_POINTS = {Growth.slow: 1, Growth.moderate: 2, Growth.rapid: 4}
VISCERAL_NONE, VISCERAL_TREATABLE, VISCERAL_UNTREATABLE = 0, 2, 4
BONE_POINTS = {BoneSpread.solitary: 1, BoneSpread.multiple: 2}

CATEGORIES = {
    "wide_or_marginal": Text(
        de="2–3 Punkte: weite oder marginale Exzision mit dem Ziel langfristiger lokaler "
        "Tumorkontrolle.",
        en="2–3 points: wide or marginal excision aiming at long-term local control.",
    ),
    "marginal_or_intralesional": Text(
        de="4–5 Punkte: marginale oder intraläsionale Exzision für mittelfristige lokale "
        "Kontrolle.",
        en="4–5 points: marginal or intralesional excision for middle-term local control.",
    ),
    "palliative_surgery": Text(
        de="6–7 Punkte: palliative Operation (kurzfristige Linderung).",
        en="6–7 points: palliative surgery for short-term palliation.",
    ),
    "supportive_care": Text(
        de="8–10 Punkte: keine Operation, supportive Behandlung.",
        en="8–10 points: non-operative, supportive care.",
    ),
}


def categorise(total: Points) -> str:
    if total <= 3:
        return "wide_or_marginal"
    if total <= 5:
        return "marginal_or_intralesional"
    if total <= 7:
        return "palliative_surgery"
    return "supportive_care"


_L = {
    "growth": Text(de="Wachstum des Primärtumors", en="Growth of the primary tumour"),
    "visceral": Text(de="Viszerale Metastasen", en="Visceral metastases"),
    "bone": Text(
        de="Knochenmetastasen (einschließlich Wirbelsäule)",
        en="Bone metastases (spine included)",
    ),
}

_OVERRIDE = Text(
    de="Wachstumsklasse aus primary.growth übernommen; sie ersetzt die Tabelle der Primärtumoren.",
    en="Growth class taken from primary.growth; it overrides the primary-site table.",
)


def _growth_item(inp: TomitaInput, notes: list[Text], missing: list[str]) -> ScoreItem:
    if inp.growth is not None:
        notes.append(_OVERRIDE)
        return item("growth", _L["growth"], inp.growth, GROWTH_POINTS)
    if inp.primary_site is None:
        missing.append("primary_site")
        return unknown_item("growth", _L["growth"], GROWTH_POINTS.values())
    info = site_info(inp.primary_site)
    if "tomita" in info.notes:
        notes.append(info.notes["tomita"])
    return item("growth", _L["growth"], info.tomita_growth, GROWTH_POINTS)


def _visceral_item(inp: TomitaInput, missing: list[str]) -> ScoreItem:
    label = _L["visceral"]
    if inp.visceral_metastases is False:
        return known_item("visceral", label, "none", VISCERAL_NONE)
    if inp.visceral_treatable is not None:
        # A treatability verdict implies that visceral metastases are present.
        if inp.visceral_treatable:
            return known_item("visceral", label, "treatable", VISCERAL_TREATABLE)
        return known_item("visceral", label, "untreatable", VISCERAL_UNTREATABLE)
    if inp.visceral_metastases is None:
        missing.append("visceral_metastases")
        missing.append("visceral_treatable")
        return unknown_item(
            "visceral", label, (VISCERAL_NONE, VISCERAL_TREATABLE, VISCERAL_UNTREATABLE)
        )
    missing.append("visceral_treatable")
    return unknown_item("visceral", label, (VISCERAL_TREATABLE, VISCERAL_UNTREATABLE))


def tomita(inp: TomitaInput, lesion: str | None = None) -> ScoreResult:
    notes: list[Text] = []
    missing: list[str] = []
    items = [
        _growth_item(inp, notes, missing),
        _visceral_item(inp, missing),
        item("bone_metastases", _L["bone"], inp.bone_metastases, BONE_POINTS),
    ]
    if inp.bone_metastases is None:
        missing.append("bone_metastases")
    return summarise(
        name="tomita",
        items=items,
        categorise=categorise,
        categories=CATEGORIES,
        source=SOURCE,
        missing=missing,
        lesion=lesion,
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Case helpers (shared with the Bauer and Katagiri scores)


def bone_spread_from_case(case: Case) -> tuple[BoneSpread | None, str]:
    """Solitary or multiple skeletal metastases from the count bounds, and the case path to ask.

    At least two known lesions make it ``multiple`` even when the total is open; ``solitary``
    needs both counts to be closed and to add up to one. A closed total of zero (no bone
    metastasis recorded) leaves the item unknown: these scores presuppose skeletal disease.
    """
    _, vhi = case.vertebral_count_bounds()
    _, ehi = case.extraspinal_count_bounds()
    if vhi is None and ehi is None:
        path = "bone_metastases"
    elif vhi is None:
        path = "bone_metastases.vertebral_count"
    elif ehi is None:
        path = "bone_metastases.extraspinal_count"
    elif case.unplaced_lesions and case.solitary_bone_metastasis is None:
        # Both counts given; a lesion of unknown region may add to either.
        path = f"lesions[{case.unplaced_lesions[0].id}].region"
    else:
        path = "bone_metastases"
    if case.multiple_bone_metastases:
        return BoneSpread.multiple, path
    if case.solitary_bone_metastasis:
        return BoneSpread.solitary, path
    return None, path


def _from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    spread, bone_path = bone_spread_from_case(case)
    present = case.visceral_present
    treatable = case.visceral_metastases.treatable if present is not False else None
    inp = dict(
        growth=case.primary.growth,
        primary_site=case.primary.site,
        visceral_metastases=present,
        visceral_treatable=treatable,
        bone_metastases=spread,
    )
    return inp, {
        "growth": "primary.growth",
        "primary_site": "primary.site",
        "visceral_metastases": "visceral_metastases.present",
        "visceral_treatable": "visceral_metastases.treatable",
        "bone_metastases": bone_path,
    }


SPEC = ScoreSpec(
    name="tomita",
    title=Text(de="Tomita-Score", en="Tomita score"),
    per="case",
    input_model=TomitaInput,
    compute=tomita,
    from_case=_from_case,
    source=SOURCE,
    applies=bone_disease,
    categories=tuple(CATEGORIES),
)

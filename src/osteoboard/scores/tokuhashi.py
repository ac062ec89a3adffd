"""Revised Tokuhashi score (Tokuhashi et al., Spine 2005;30:2186–2191).

Six items, 0–2 points each except the primary site (0–5): general condition (Karnofsky
10–40 % 0, 50–70 % 1, 80–100 % 2), number of extraspinal bone metastases (≥ 3 0, 1–2 1,
none 2), number of vertebral body metastases (≥ 3 0, 2 1, one 2), metastases to major
internal organs (unremovable 0, removable 1, none 2), primary site (table in
:mod:`osteoboard.sites`) and palsy (Frankel A–B 0, C–D 1, E 2). Total 0–15: 0–8 expected
survival under 6 months, 9–11 six months or more, 12–15 one year or more.

Karnofsky is the scale of the paper. When only ECOG is known the Karnofsky range of that grade
(:mod:`osteoboard.performance`) decides the possible points, and the conversion is named in
``notes``. Counts come from the case's count bounds: an open upper bound leaves every point
value that a larger count could give.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from pydantic import Field, model_validator

from osteoboard import performance
from osteoboard.case import Case, Frankel, Lesion, PrimarySite, Region
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
from osteoboard.scores.registry import ScoreSpec
from osteoboard.sites import SITES, site_info
from osteoboard.text import Text

__all__ = [
    "CATEGORIES",
    "SOURCE",
    "SPEC",
    "TokuhashiInput",
    "applies",
    "categorise",
    "extraspinal_points",
    "karnofsky_points",
    "tokuhashi_revised",
    "vertebral_points",
]

SOURCE = "tokuhashi2005"

Count = Annotated[int, Field(ge=0, le=500)]
VertebralCount = Annotated[int, Field(ge=1, le=100)]


class TokuhashiInput(ScoreInput):
    karnofsky: Annotated[int, Field(ge=0, le=100, multiple_of=10)] | None = None
    ecog: Annotated[int, Field(ge=0, le=4)] | None = None
    extraspinal_count: Count | None = None
    extraspinal_count_min: Count | None = Field(
        default=None, description="Lower bound when the exact count is unknown."
    )
    vertebral_count: VertebralCount | None = None
    vertebral_count_min: VertebralCount | None = Field(
        default=None, description="Lower bound when the exact count is unknown."
    )
    visceral_metastases: bool | None = Field(
        default=None, description="Metastases to major internal organs (brain included)."
    )
    visceral_removable: bool | None = None
    primary_site: PrimarySite | None = None
    frankel: Frankel | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TokuhashiInput:
        if self.visceral_metastases is False and self.visceral_removable is not None:
            raise ValueError("visceral_removable must be empty when visceral_metastases is false")
        for name in ("extraspinal_count", "vertebral_count"):
            exact, least = getattr(self, name), getattr(self, f"{name}_min")
            if exact is not None and least is not None and exact < least:
                raise ValueError(f"{name} is below {name}_min")
        return self


def karnofsky_points(karnofsky: int) -> int:
    """10–40 % → 0, 50–70 % → 1, 80–100 % → 2 (KPS 0 counts with the poorest band)."""
    if karnofsky <= 40:
        return 0
    if karnofsky <= 70:
        return 1
    return 2


def extraspinal_points(count: int) -> int:
    """No extraspinal bone metastasis → 2, one or two → 1, three or more → 0."""
    if count == 0:
        return 2
    if count <= 2:
        return 1
    return 0


def vertebral_points(count: int) -> int:
    """One vertebral body metastasis → 2, two → 1, three or more → 0."""
    if count <= 1:
        return 2
    if count == 2:
        return 1
    return 0


VISCERAL_UNREMOVABLE, VISCERAL_REMOVABLE, VISCERAL_NONE = 0, 1, 2
FRANKEL_POINTS = {
    Frankel.A: 0,
    Frankel.B: 0,
    Frankel.C: 1,
    Frankel.D: 1,
    Frankel.E: 2,
}
PRIMARY_POINTS = {site: info.tokuhashi_points for site, info in SITES.items()}

CATEGORIES = {
    "lt_6_months": Text(
        de="0–8 Punkte: erwartete Überlebenszeit unter 6 Monaten; konservative oder palliative "
        "Behandlung.",
        en="0–8 points: expected survival under 6 months; conservative or palliative treatment.",
    ),
    "ge_6_months": Text(
        de="9–11 Punkte: erwartete Überlebenszeit 6 Monate oder länger; palliative Operation, "
        "bei einer einzelnen Läsion ohne Organmetastasen auch exzisional.",
        en="9–11 points: expected survival 6 months or longer; palliative surgery, excisional "
        "surgery for a single lesion without metastases to major internal organs.",
    ),
    "ge_12_months": Text(
        de="12–15 Punkte: erwartete Überlebenszeit 1 Jahr oder länger; exzisionale Operation.",
        en="12–15 points: expected survival 1 year or longer; excisional surgery.",
    ),
}


def categorise(total: Points) -> str:
    if total <= 8:
        return "lt_6_months"
    if total <= 11:
        return "ge_6_months"
    return "ge_12_months"


_L = {
    "general_condition": Text(
        de="Allgemeinzustand (Karnofsky)", en="General condition (Karnofsky)"
    ),
    "extraspinal": Text(
        de="Extraspinale Knochenmetastasen (Anzahl)",
        en="Extraspinal bone metastases (number)",
    ),
    "vertebral": Text(de="Wirbelkörpermetastasen (Anzahl)", en="Vertebral body metastases"),
    "visceral": Text(
        de="Metastasen in großen inneren Organen", en="Metastases to major internal organs"
    ),
    "primary_site": Text(de="Primärtumor", en="Primary site"),
    "palsy": Text(de="Lähmung (Frankel)", en="Palsy (Frankel)"),
}

#: counts at or above this value all score the same, so enumeration can stop there.
_COUNT_CAP = 3


def _count_item(
    name: str,
    label: Text,
    exact: int | None,
    least: int | None,
    points: Callable[[int], int],
    missing: list[str],
    field: str,
) -> ScoreItem:
    if exact is not None:
        return known_item(name, label, exact, points(exact))
    low = least or 0
    possible = {points(n) for n in range(low, max(low, _COUNT_CAP) + 1)}
    if len(possible) > 1:
        missing.append(field)
    # A lower bound counts as knowledge (and is shown) only when it rules out some points.
    every = {points(n) for n in range(_COUNT_CAP + 1)}
    value = f"≥{least}" if least and possible != every else None
    it = unknown_item(name, label, possible)
    return replace(it, value=value)


def _general_condition(inp: TokuhashiInput, notes: list[Text], missing: list[str]) -> ScoreItem:
    label = _L["general_condition"]
    if inp.karnofsky is not None:
        return known_item(
            "general_condition", label, inp.karnofsky, karnofsky_points(inp.karnofsky)
        )
    if inp.ecog is not None:
        notes.append(performance.CONVERSION_NOTE)
        kps = performance.karnofsky_range_from_ecog(inp.ecog)
        possible = {karnofsky_points(k) for k in kps}
        if len(possible) > 1:
            missing.append("karnofsky")
        it = unknown_item("general_condition", label, possible)
        return replace(it, value=f"ECOG {inp.ecog} (KPS {kps[0]}–{kps[-1]})")
    missing.append("karnofsky")
    return unknown_item("general_condition", label, (0, 1, 2))


def _visceral(inp: TokuhashiInput, missing: list[str]) -> ScoreItem:
    label = _L["visceral"]
    if inp.visceral_metastases is False:
        return known_item("visceral", label, "none", VISCERAL_NONE)
    if inp.visceral_removable is not None:
        # A removability verdict implies that organ metastases are present.
        if inp.visceral_removable:
            return known_item("visceral", label, "removable", VISCERAL_REMOVABLE)
        return known_item("visceral", label, "unremovable", VISCERAL_UNREMOVABLE)
    if inp.visceral_metastases is None:
        missing.extend(("visceral_metastases", "visceral_removable"))
        return unknown_item(
            "visceral", label, (VISCERAL_UNREMOVABLE, VISCERAL_REMOVABLE, VISCERAL_NONE)
        )
    missing.append("visceral_removable")
    return unknown_item("visceral", label, (VISCERAL_UNREMOVABLE, VISCERAL_REMOVABLE))


def tokuhashi_revised(inp: TokuhashiInput, lesion: str | None = None) -> ScoreResult:
    notes: list[Text] = []
    missing: list[str] = []
    general = _general_condition(inp, notes, missing)
    extraspinal = _count_item(
        "extraspinal",
        _L["extraspinal"],
        inp.extraspinal_count,
        inp.extraspinal_count_min,
        extraspinal_points,
        missing,
        "extraspinal_count",
    )
    vertebral = _count_item(
        "vertebral",
        _L["vertebral"],
        inp.vertebral_count,
        inp.vertebral_count_min,
        vertebral_points,
        missing,
        "vertebral_count",
    )
    visceral = _visceral(inp, missing)
    primary = item("primary_site", _L["primary_site"], inp.primary_site, PRIMARY_POINTS)
    if inp.primary_site is None:
        missing.append("primary_site")
    else:
        site_note = site_info(inp.primary_site).notes.get("tokuhashi")
        if site_note is not None:
            notes.append(site_note)
    palsy = item("palsy", _L["palsy"], inp.frankel, FRANKEL_POINTS)
    if inp.frankel is None:
        missing.append("frankel")
    return summarise(
        name="tokuhashi_revised",
        items=[general, extraspinal, vertebral, visceral, primary, palsy],
        categorise=categorise,
        categories=CATEGORIES,
        source=SOURCE,
        missing=missing,
        lesion=lesion,
        notes=notes,
    )


def applies(case: Case) -> bool:
    """Spinal involvement: a listed spinal lesion or a vertebral count above zero."""
    if any(lesion.region is Region.spine for lesion in case.lesions):
        return True
    return bool(case.bone_metastases.vertebral_count)


def _from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    vlo, vhi = case.vertebral_count_bounds()
    elo, ehi = case.extraspinal_count_bounds()
    present = case.visceral_present
    removable = case.visceral_metastases.removable if present is not False else None
    inp = dict(
        karnofsky=case.patient.karnofsky,
        ecog=case.patient.ecog,
        # A count is exact when its bounds meet; a lesion of unknown region can keep them
        # apart, and then only the lower bound is used.
        extraspinal_count=ehi if ehi == elo else None,
        extraspinal_count_min=elo if ehi != elo and elo > 0 else None,
        # A closed count of zero vertebrae means the score does not apply (see ``applies``);
        # it is then left unknown rather than invented.
        vertebral_count=vhi if vhi and vhi == vlo else None,
        vertebral_count_min=vlo if vhi != vlo and vlo > 0 else None,
        visceral_metastases=present,
        visceral_removable=removable,
        primary_site=case.primary.site,
        frankel=case.neurology.frankel,
    )
    return inp, {
        "karnofsky": "patient.karnofsky",
        "ecog": "patient.ecog",
        "extraspinal_count": "bone_metastases.extraspinal_count",
        "vertebral_count": "bone_metastases.vertebral_count",
        "visceral_metastases": "visceral_metastases.present",
        "visceral_removable": "visceral_metastases.removable",
        "primary_site": "primary.site",
        "frankel": "neurology.frankel",
    }


SPEC = ScoreSpec(
    name="tokuhashi_revised",
    title=Text(de="Revidierter Tokuhashi-Score", en="Revised Tokuhashi score"),
    per="case",
    input_model=TokuhashiInput,
    compute=tokuhashi_revised,
    from_case=_from_case,
    source=SOURCE,
    applies=applies,
    categories=tuple(CATEGORIES),
)

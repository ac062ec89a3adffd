"""Bauer score, original (Bauer & Wedin 1995) and modified (Leithner et al. 2008).

One point for each favourable factor; a higher total means a better prognosis.

Modified Bauer score (Leithner A et al., Eur Spine J 2008;17:1488–1495), four items: no visceral
metastases · primary is not lung cancer · primary is breast, kidney, lymphoma or multiple
myeloma · solitary skeletal metastasis. Total 0–1 poor (median survival about 4.8 months),
2 intermediate (about 18.7 months), 3–4 good (about 28.4 months); figures as given in the
clinical specification (§2.5, §3), from Leithner 2008.

Original Bauer score (Bauer HC, Wedin R, Acta Orthop Scand 1995;66:143–146), the same four
items plus "no pathologic fracture". Bands used here: 0–1 poor, 2–3 intermediate, 4–5 good.
What was verified and what was not:

- The abstract of Bauer & Wedin 1995 (PubMed 7740944) names the items (pathologic fracture,
  visceral or brain metastases and lung cancer negative; solitary skeletal metastasis, breast
  and kidney cancer, myeloma and lymphoma positive) and says that the model "stratified the
  patients into 3 groups with a 1-year survival ranging from 0.5 to 0.0".
- The cut-points 0–1 / 2–3 / 4–5 are those under which Leithner 2008 compared the original
  score with its modification (the modification keeps the lowest band 0–1 and shifts the upper
  two to 2 and 3–4); the full text of Bauer & Wedin was not available to check them against
  the original table. They are reproduced identically by public calculators citing both papers.
  Survival per band is therefore given only where verified: about 50 % at one year in the best
  group and about 0 % in the poorest.

Visceral metastases include brain metastases (Bauer & Wedin: "visceral or brain").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import Field

from osteoboard.case import Case, Lesion, PrimarySite
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
from osteoboard.scores.registry import ScoreSpec, bone_disease, lesion_path
from osteoboard.scores.tomita import BoneSpread, bone_spread_from_case
from osteoboard.sites import site_info
from osteoboard.text import Text

__all__ = [
    "CATEGORIES_MODIFIED",
    "CATEGORIES_ORIGINAL",
    "SOURCE_MODIFIED",
    "SOURCE_ORIGINAL",
    "SPEC_MODIFIED",
    "SPEC_ORIGINAL",
    "BauerModifiedInput",
    "BauerOriginalInput",
    "bauer_modified",
    "bauer_original",
    "categorise_modified",
    "categorise_original",
    "pathologic_fracture_from_case",
]

SOURCE_MODIFIED = "leithner2008"
SOURCE_ORIGINAL = "bauer1995"


class BauerModifiedInput(ScoreInput):
    visceral_metastases: bool | None = Field(
        default=None, description="Visceral or brain metastases present."
    )
    primary_site: PrimarySite | None = None
    bone_metastases: BoneSpread | None = None


class BauerOriginalInput(BauerModifiedInput):
    pathologic_fracture: bool | None = None


CATEGORIES_MODIFIED = {
    "poor": Text(
        de="0–1 Punkte: ungünstige Prognose, medianes Überleben etwa 4,8 Monate; supportive "
        "Behandlung, keine Operation.",
        en="0–1 points: poor prognosis, median survival about 4.8 months; supportive care, "
        "no surgery.",
    ),
    "intermediate": Text(
        de="2 Punkte: mittlere Prognose, medianes Überleben etwa 18,7 Monate; kurzfristig "
        "palliative Stabilisierung.",
        en="2 points: intermediate prognosis, median survival about 18.7 months; short-term "
        "palliative stabilisation.",
    ),
    "good": Text(
        de="3–4 Punkte: günstige Prognose, medianes Überleben etwa 28,4 Monate; Operation mit "
        "dem Ziel mittelfristiger lokaler Kontrolle.",
        en="3–4 points: good prognosis, median survival about 28.4 months; surgery aiming at "
        "middle-term local control.",
    ),
}

CATEGORIES_ORIGINAL = {
    "poor": Text(
        de="0–1 Punkte: ungünstige Prognose; in der Originalserie überlebte kaum jemand ein Jahr.",
        en="0–1 points: poor prognosis; in the original series almost no patient survived "
        "one year.",
    ),
    "intermediate": Text(
        de="2–3 Punkte: mittlere Prognose.",
        en="2–3 points: intermediate prognosis.",
    ),
    "good": Text(
        de="4–5 Punkte: günstige Prognose; Ein-Jahres-Überleben in der Originalserie etwa 50 %.",
        en="4–5 points: good prognosis; one-year survival about 50 % in the original series.",
    ),
}


def categorise_modified(total: Points) -> str:
    if total <= 1:
        return "poor"
    if total <= 2:
        return "intermediate"
    return "good"


def categorise_original(total: Points) -> str:
    if total <= 1:
        return "poor"
    if total <= 3:
        return "intermediate"
    return "good"


_L = {
    "no_visceral": Text(
        de="Keine viszeralen (oder Hirn-)Metastasen", en="No visceral (or brain) metastases"
    ),
    "not_lung": Text(de="Primärtumor kein Lungenkarzinom", en="Primary is not lung cancer"),
    "favourable_primary": Text(
        de="Primärtumor Mamma, Niere, Lymphom oder Myelom",
        en="Primary is breast, kidney, lymphoma or myeloma",
    ),
    "solitary": Text(de="Solitäre Skelettmetastase", en="Solitary skeletal metastasis"),
    "no_pathologic_fracture": Text(de="Keine pathologische Fraktur", en="No pathologic fracture"),
}

_NO_YES = {False: 0, True: 1}


def _common_items(inp: BauerModifiedInput, missing: list[str]) -> list[ScoreItem]:
    no_visceral = None if inp.visceral_metastases is None else not inp.visceral_metastases
    if no_visceral is None:
        missing.append("visceral_metastases")
    if inp.primary_site is None:
        missing.append("primary_site")
        not_lung = unknown_item("not_lung", _L["not_lung"], (0, 1))
        favourable = unknown_item("favourable_primary", _L["favourable_primary"], (0, 1))
    else:
        info = site_info(inp.primary_site)
        site = inp.primary_site.value
        not_lung = known_item("not_lung", _L["not_lung"], site, 0 if info.lung else 1)
        favourable = known_item(
            "favourable_primary",
            _L["favourable_primary"],
            site,
            1 if info.bauer_favourable else 0,
        )
    if inp.bone_metastases is None:
        missing.append("bone_metastases")
    solitary = None if inp.bone_metastases is None else inp.bone_metastases is BoneSpread.solitary
    return [
        item("no_visceral", _L["no_visceral"], no_visceral, _NO_YES),
        not_lung,
        favourable,
        item("solitary", _L["solitary"], solitary, _NO_YES),
    ]


def bauer_modified(inp: BauerModifiedInput, lesion: str | None = None) -> ScoreResult:
    missing: list[str] = []
    items = _common_items(inp, missing)
    return summarise(
        name="bauer_modified",
        items=items,
        categorise=categorise_modified,
        categories=CATEGORIES_MODIFIED,
        source=SOURCE_MODIFIED,
        missing=missing,
        lesion=lesion,
    )


_BANDS_DIFFER = Text(
    de="Originaler und modifizierter Bauer-Score fallen in verschiedene Prognosegruppen; "
    "beide werden gezeigt.",
    en="The original and the modified Bauer score fall into different prognostic groups; "
    "both are shown.",
)


def bauer_original(inp: BauerOriginalInput, lesion: str | None = None) -> ScoreResult:
    missing: list[str] = []
    items = _common_items(inp, missing)
    no_fracture = None if inp.pathologic_fracture is None else not inp.pathologic_fracture
    if no_fracture is None:
        missing.append("pathologic_fracture")
    items.append(item("no_pathologic_fracture", _L["no_pathologic_fracture"], no_fracture, _NO_YES))
    modified = bauer_modified(BauerModifiedInput(**inp.model_dump(exclude={"pathologic_fracture"})))
    result = summarise(
        name="bauer_original",
        items=items,
        categorise=categorise_original,
        categories=CATEGORIES_ORIGINAL,
        source=SOURCE_ORIGINAL,
        missing=missing,
        lesion=lesion,
    )
    if (
        result.category is not None
        and modified.category is not None
        and result.category != modified.category
    ):
        return replace(result, notes=[*result.notes, _BANDS_DIFFER])
    return result


# --------------------------------------------------------------------------------------------
# Case adapters


def pathologic_fracture_from_case(case: Case) -> tuple[bool | None, str]:
    """Any listed lesion with a pathologic fracture → True; every listed lesion without → False.

    Only listed lesions are considered; with no lesion listed, or one left blank, the item is
    unknown and the path names the first lesion to complete.
    """
    if any(lesion.pathologic_fracture for lesion in case.lesions):
        return True, "lesions"
    for lesion in case.lesions:
        if lesion.pathologic_fracture is None:
            return None, lesion_path(lesion, "pathologic_fracture")
    if case.lesions:
        return False, "lesions"
    return None, "lesions"


def _modified_from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    spread, bone_path = bone_spread_from_case(case)
    inp = dict(
        visceral_metastases=case.visceral_present,
        primary_site=case.primary.site,
        bone_metastases=spread,
    )
    return inp, {
        "visceral_metastases": "visceral_metastases.present",
        "primary_site": "primary.site",
        "bone_metastases": bone_path,
    }


def _original_from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    base, paths = _modified_from_case(case, lesion)
    fracture, fracture_path = pathologic_fracture_from_case(case)
    inp = {**base, "pathologic_fracture": fracture}
    return inp, {**paths, "pathologic_fracture": fracture_path}


SPEC_MODIFIED = ScoreSpec(
    name="bauer_modified",
    title=Text(de="Modifizierter Bauer-Score", en="Modified Bauer score"),
    per="case",
    input_model=BauerModifiedInput,
    compute=bauer_modified,
    from_case=_modified_from_case,
    source=SOURCE_MODIFIED,
    applies=bone_disease,
    categories=tuple(CATEGORIES_MODIFIED),
)

SPEC_ORIGINAL = ScoreSpec(
    name="bauer_original",
    title=Text(de="Bauer-Score (Original)", en="Bauer score (original)"),
    per="case",
    input_model=BauerOriginalInput,
    compute=bauer_original,
    from_case=_original_from_case,
    source=SOURCE_ORIGINAL,
    applies=bone_disease,
    categories=tuple(CATEGORIES_ORIGINAL),
)

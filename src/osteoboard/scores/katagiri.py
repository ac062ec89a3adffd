"""New Katagiri score (Katagiri H et al., Cancer Med 2014;3:1359–1367).

Six factors: primary-tumour growth (slow 0, moderate 2, rapid 3) · visceral metastases
(nodular visceral or cerebral 1, disseminated: pleural, peritoneal or leptomeningeal 2) ·
laboratory data (abnormal 1, critical 2) · ECOG performance status 3–4 (1) · previous
chemotherapy (1) · multiple skeletal metastases (1). Total 0–10: 0–3 low, 4–6 intermediate,
7–10 high risk. Survival low / intermediate / high: 6 months 98.1 / 74.0 / 26.9 %, 1 year
91.4 / 49.3 / 6.0 %, 2 years 77.8 / 27.6 / 2.1 %.

Laboratory data, thresholds of the paper and their SI equivalents as used on the case's SI
values (:mod:`osteoboard.units`):

- abnormal: CRP ≥ 0.4 mg/dL (= 4 mg/L), LDH ≥ 250 IU/L (= U/L), albumin < 3.7 g/dL (= 37 g/L);
- critical: platelets < 100 000/µL (= 100 × 10⁹/L), calcium ≥ 10.3 mg/dL (≈ 2.570 mmol/L),
  total bilirubin ≥ 1.4 mg/dL (≈ 23.95 µmol/L).

Calcium is taken albumin-corrected (Payne: Ca + 0.02 × (40 − albumin g/L)). Without albumin the
correction is unknown; the case model accepts albumin between 5 and 70 g/L, so the correction
lies between −0.6 and +0.7 mmol/L. The raw calcium decides the calcium criterion only when it
holds for every albumin in that range (raw calcium ≥ threshold + 0.6 is always critical, raw
calcium < threshold − 0.7 never is); otherwise both outcomes stay possible. Because a low
albumin both makes the laboratory data abnormal and raises corrected calcium, the two are
enumerated together, so the possible points are exactly those some albumin value can give.
A corrected calcium the laboratory reports decides the calcium criterion when total calcium
and albumin are not both given (a hospital bundle often carries only the corrected value);
albumin then counts only as an abnormal value. An ionised calcium is not used: the paper's
threshold is on total calcium and has no exact ionised equivalent.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Annotated, Any

from pydantic import Field, model_validator

from osteoboard import performance, units
from osteoboard.case import (
    Case,
    CastrationStatus,
    Growth,
    Lesion,
    PositiveNegative,
    PrimarySite,
    VisceralPattern,
)
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
from osteoboard.scores.calcium import corrected_calcium_mmol_l
from osteoboard.scores.registry import ScoreSpec, bone_disease
from osteoboard.scores.tomita import BoneSpread, bone_spread_from_case
from osteoboard.sites import KatagiriGrowth, site_info
from osteoboard.text import Text

__all__ = [
    "ALBUMIN_ABNORMAL_BELOW_G_L",
    "BILIRUBIN_CRITICAL_FROM_UMOL_L",
    "CALCIUM_CRITICAL_FROM_MMOL_L",
    "CATEGORIES",
    "CRP_ABNORMAL_FROM_MG_L",
    "LDH_ABNORMAL_FROM_U_L",
    "PLATELETS_CRITICAL_BELOW_10E9_L",
    "SOURCE",
    "SPEC",
    "KatagiriInput",
    "categorise",
    "growth_classes",
    "katagiri_new",
    "lab_points",
]

SOURCE = "katagiri2014"

# Thresholds in the case's SI units, derived from the paper's conventional units.
CRP_ABNORMAL_FROM_MG_L = units.crp_mg_dl_to_mg_l(0.4)  # 4 mg/L
LDH_ABNORMAL_FROM_U_L = 250.0  # IU/L = U/L
ALBUMIN_ABNORMAL_BELOW_G_L = units.albumin_g_dl_to_g_l(3.7)  # 37 g/L
PLATELETS_CRITICAL_BELOW_10E9_L = 100.0  # 100 000/µL
CALCIUM_CRITICAL_FROM_MMOL_L = units.calcium_mg_dl_to_mmol_l(10.3)  # ≈ 2.570 mmol/L
BILIRUBIN_CRITICAL_FROM_UMOL_L = units.bilirubin_mg_dl_to_umol_l(1.4)  # ≈ 23.95 µmol/L

#: Floating-point slack for comparisons at a threshold (converted values carry rounding noise).
_EPS = 1e-9

#: Albumin range the case model accepts (exclusive bounds); used when albumin is unknown.
ALBUMIN_MIN_G_L = 5.0
ALBUMIN_MAX_G_L = 70.0


class KatagiriInput(ScoreInput):
    growth: Growth | None = None
    primary_site: PrimarySite | None = None
    hormone_receptor: PositiveNegative | None = None
    castration_status: CastrationStatus | None = None
    targetable_driver: bool | None = None
    visceral_metastases: bool | None = None
    visceral_pattern: VisceralPattern | None = None
    brain_metastases: bool | None = None
    crp_mg_l: Annotated[float, Field(ge=0, lt=1000)] | None = None
    ldh_u_l: Annotated[float, Field(gt=0, lt=20000)] | None = None
    albumin_g_l: Annotated[float, Field(gt=ALBUMIN_MIN_G_L, lt=ALBUMIN_MAX_G_L)] | None = None
    platelets_10e9_l: Annotated[float, Field(ge=0, lt=3000)] | None = None
    calcium_mmol_l: Annotated[float, Field(gt=0.5, lt=6.0)] | None = None
    #: A corrected calcium the laboratory reports: it decides the calcium criterion unless
    #: total calcium and albumin are both given (then Payne's correction of those does).
    calcium_corrected_mmol_l: Annotated[float, Field(gt=0.5, lt=6.0)] | None = None
    bilirubin_umol_l: Annotated[float, Field(ge=0, lt=1000)] | None = None
    ecog: Annotated[int, Field(ge=0, le=4)] | None = None
    karnofsky: Annotated[int, Field(ge=0, le=100, multiple_of=10)] | None = None
    previous_chemotherapy: bool | None = None
    bone_metastases: BoneSpread | None = None

    @model_validator(mode="after")
    def _consistent(self) -> KatagiriInput:
        if self.visceral_metastases is False and (
            self.visceral_pattern is not None or self.brain_metastases
        ):
            raise ValueError(
                "visceral_pattern and brain_metastases must be empty when visceral_metastases "
                "is false"
            )
        return self


GROWTH_POINTS = {Growth.slow: 0, Growth.moderate: 2, Growth.rapid: 3}
VISCERAL_NONE, VISCERAL_NODULAR, VISCERAL_DISSEMINATED = 0, 1, 2
LAB_NORMAL, LAB_ABNORMAL, LAB_CRITICAL = 0, 1, 2
_NO_YES = {False: 0, True: 1}

CATEGORIES = {
    "low": Text(
        de="0–3 Punkte, niedriges Risiko: Überleben nach 6 Monaten 98,1 %, nach 1 Jahr 91,4 %, "
        "nach 2 Jahren 77,8 %.",
        en="0–3 points, low risk: survival 98.1 % at 6 months, 91.4 % at 1 year, 77.8 % at "
        "2 years.",
    ),
    "intermediate": Text(
        de="4–6 Punkte, mittleres Risiko: Überleben nach 6 Monaten 74,0 %, nach 1 Jahr 49,3 %, "
        "nach 2 Jahren 27,6 %.",
        en="4–6 points, intermediate risk: survival 74.0 % at 6 months, 49.3 % at 1 year, "
        "27.6 % at 2 years.",
    ),
    "high": Text(
        de="7–10 Punkte, hohes Risiko: Überleben nach 6 Monaten 26,9 %, nach 1 Jahr 6,0 %, "
        "nach 2 Jahren 2,1 %.",
        en="7–10 points, high risk: survival 26.9 % at 6 months, 6.0 % at 1 year, 2.1 % at "
        "2 years.",
    ),
}


def categorise(total: Points) -> str:
    if total <= 3:
        return "low"
    if total <= 6:
        return "intermediate"
    return "high"


_L = {
    "growth": Text(de="Wachstum des Primärtumors", en="Growth of the primary tumour"),
    "visceral": Text(
        de="Viszerale oder zerebrale Metastasen", en="Visceral or cerebral metastases"
    ),
    "laboratory": Text(de="Laborwerte", en="Laboratory data"),
    "performance": Text(de="ECOG-Leistungsstatus 3–4", en="ECOG performance status 3–4"),
    "chemotherapy": Text(de="Vorherige Chemotherapie", en="Previous chemotherapy"),
    "multiple": Text(de="Multiple Skelettmetastasen", en="Multiple skeletal metastases"),
}

_OVERRIDE = Text(
    de="Wachstumsklasse aus primary.growth übernommen; sie ersetzt die Tabelle der Primärtumoren.",
    en="Growth class taken from primary.growth; it overrides the primary-site table.",
)
_CALCIUM_NOTE = Text(
    de="Das Kalzium-Kriterium (≥ 10,3 mg/dl ≈ 2,57 mmol/l) wird am albuminkorrigierten "
    "Kalzium geprüft (Payne).",
    en="The calcium criterion (≥ 10.3 mg/dL ≈ 2.57 mmol/L) is checked on albumin-corrected "
    "calcium (Payne).",
)
_CALCIUM_REPORTED = Text(
    de="Das Kalzium-Kriterium (≥ 10,3 mg/dl ≈ 2,57 mmol/l) wird am vom Labor berichteten "
    "korrigierten Kalzium geprüft (Gesamtkalzium und Albumin sind nicht beide angegeben).",
    en="The calcium criterion (≥ 10.3 mg/dL ≈ 2.57 mmol/L) is checked on the corrected "
    "calcium the laboratory reports (total calcium and albumin are not both given).",
)
_CALCIUM_NO_ALBUMIN = Text(
    de="Albumin fehlt: das korrigierte Kalzium ist unbekannt; das Gesamtkalzium entscheidet "
    "das Kriterium nur, wenn es bei jedem möglichen Albumin gleich ausfällt.",
    en="Albumin is missing, so corrected calcium is unknown; total calcium decides the "
    "criterion only when every possible albumin gives the same answer.",
)


# --------------------------------------------------------------------------------------------
# Growth


def growth_classes(inp: KatagiriInput) -> tuple[set[Growth], list[str]]:
    """Growth classes still possible, and the inputs that would narrow them."""
    if inp.growth is not None:
        return {inp.growth}, []
    if inp.primary_site is None:
        return set(Growth), ["primary_site"]
    kg = site_info(inp.primary_site).katagiri_growth
    if kg is KatagiriGrowth.breast:
        return _conditional(inp.hormone_receptor, PositiveNegative.positive, "hormone_receptor")
    if kg is KatagiriGrowth.prostate:
        return _conditional(inp.castration_status, CastrationStatus.sensitive, "castration_status")
    if kg is KatagiriGrowth.lung:
        # Lung: targeted therapy → moderate, otherwise rapid.
        if inp.targetable_driver is None:
            return {Growth.moderate, Growth.rapid}, ["targetable_driver"]
        return {Growth.moderate if inp.targetable_driver else Growth.rapid}, []
    return {Growth(kg.value)}, []


def _conditional(value: object, favourable: object, field: str) -> tuple[set[Growth], list[str]]:
    """Breast/prostate: hormone-dependent → slow, otherwise moderate."""
    if value is None:
        return {Growth.slow, Growth.moderate}, [field]
    return {Growth.slow if value == favourable else Growth.moderate}, []


def _growth_item(inp: KatagiriInput, notes: list[Text], missing: list[str]) -> ScoreItem:
    classes, wanted = growth_classes(inp)
    missing.extend(wanted)
    if inp.growth is not None:
        notes.append(_OVERRIDE)
    elif inp.primary_site is not None:
        site_note = site_info(inp.primary_site).notes.get("katagiri")
        if site_note is not None:
            notes.append(site_note)
    if len(classes) == 1:
        (growth,) = classes
        return known_item("growth", _L["growth"], growth.value, GROWTH_POINTS[growth])
    return unknown_item("growth", _L["growth"], (GROWTH_POINTS[g] for g in classes))


# --------------------------------------------------------------------------------------------
# Visceral


def _visceral_item(inp: KatagiriInput, missing: list[str]) -> ScoreItem:
    label = _L["visceral"]
    if inp.visceral_pattern is VisceralPattern.disseminated:
        return known_item("visceral", label, "disseminated", VISCERAL_DISSEMINATED)
    if inp.visceral_metastases is False:
        return known_item("visceral", label, "none", VISCERAL_NONE)
    if inp.visceral_pattern is VisceralPattern.nodular:
        return known_item("visceral", label, "nodular", VISCERAL_NODULAR)
    if inp.visceral_metastases or inp.brain_metastases:
        missing.append("visceral_pattern")
        return unknown_item("visceral", label, (VISCERAL_NODULAR, VISCERAL_DISSEMINATED))
    missing.extend(("visceral_metastases", "visceral_pattern"))
    return unknown_item("visceral", label, (VISCERAL_NONE, VISCERAL_NODULAR, VISCERAL_DISSEMINATED))


# --------------------------------------------------------------------------------------------
# Laboratory data


def _flag(value: float | None, test: bool | None) -> tuple[bool, ...]:
    if value is None:
        return (False, True)
    return (bool(test),)


def _reported_decides(inp: KatagiriInput) -> bool:
    """Whether the laboratory's corrected calcium decides the calcium criterion: it is given,
    and total calcium and albumin are not both (their correction would)."""
    return inp.calcium_corrected_mmol_l is not None and (
        inp.calcium_mmol_l is None or inp.albumin_g_l is None
    )


def _calcium_flags(
    calcium: float | None, albumin: float | None, reported: float | None = None
) -> set[tuple[bool, bool]]:
    """Possible (albumin abnormal, corrected calcium critical) pairs; ``reported``: the
    laboratory's corrected calcium, used unless total calcium and albumin are both given."""
    thr = CALCIUM_CRITICAL_FROM_MMOL_L - _EPS
    alb_thr = ALBUMIN_ABNORMAL_BELOW_G_L - _EPS
    if reported is not None and (calcium is None or albumin is None):
        lows = (False, True) if albumin is None else (albumin < alb_thr,)
        return {(low, reported >= thr) for low in lows}
    if albumin is not None:
        low_albumin = albumin < alb_thr
        if calcium is None:
            return {(low_albumin, False), (low_albumin, True)}
        return {(low_albumin, corrected_calcium_mmol_l(calcium, albumin) >= thr)}
    if calcium is None:
        return {(a, c) for a in (False, True) for c in (False, True)}
    pairs: set[tuple[bool, bool]] = set()
    # Albumin in (5, 37): abnormal; correction in (+0.06, +0.7) mmol/L, open at both ends
    # except that values at 37 g/L belong to the normal branch.
    lo = corrected_calcium_mmol_l(calcium, ALBUMIN_ABNORMAL_BELOW_G_L)
    hi = corrected_calcium_mmol_l(calcium, ALBUMIN_MIN_G_L)
    if hi > thr:
        pairs.add((True, True))
    if lo < thr:
        pairs.add((True, False))
    # Albumin in [37, 70): normal; correction in (−0.6, +0.06] mmol/L.
    lo = corrected_calcium_mmol_l(calcium, ALBUMIN_MAX_G_L)
    hi = corrected_calcium_mmol_l(calcium, ALBUMIN_ABNORMAL_BELOW_G_L)
    if hi >= thr:
        pairs.add((False, True))
    if lo < thr:
        pairs.add((False, False))
    return pairs


def lab_points(inp: KatagiriInput) -> set[int]:
    """Every laboratory item score still possible given the known values."""
    crp = _flag(
        inp.crp_mg_l, inp.crp_mg_l is not None and inp.crp_mg_l >= CRP_ABNORMAL_FROM_MG_L - _EPS
    )
    ldh = _flag(
        inp.ldh_u_l, inp.ldh_u_l is not None and inp.ldh_u_l >= LDH_ABNORMAL_FROM_U_L - _EPS
    )
    plt = _flag(
        inp.platelets_10e9_l,
        inp.platelets_10e9_l is not None
        and inp.platelets_10e9_l < PLATELETS_CRITICAL_BELOW_10E9_L - _EPS,
    )
    bili = _flag(
        inp.bilirubin_umol_l,
        inp.bilirubin_umol_l is not None
        and inp.bilirubin_umol_l >= BILIRUBIN_CRITICAL_FROM_UMOL_L - _EPS,
    )
    out: set[int] = set()
    for c, lh, p, b, (alb, ca) in itertools.product(
        crp,
        ldh,
        plt,
        bili,
        _calcium_flags(inp.calcium_mmol_l, inp.albumin_g_l, inp.calcium_corrected_mmol_l),
    ):
        if p or b or ca:
            out.add(LAB_CRITICAL)
        elif c or lh or alb:
            out.add(LAB_ABNORMAL)
        else:
            out.add(LAB_NORMAL)
    return out


_LAB_FIELDS = (
    "crp_mg_l",
    "ldh_u_l",
    "albumin_g_l",
    "platelets_10e9_l",
    "calcium_mmol_l",
    "bilirubin_umol_l",
)
_LAB_SHOWN = {
    "crp_mg_l": "CRP {} mg/L",
    "ldh_u_l": "LDH {} U/L",
    "albumin_g_l": "albumin {} g/L",
    "platelets_10e9_l": "platelets {} ×10⁹/L",
    "calcium_mmol_l": "Ca {} mmol/L",
    "calcium_corrected_mmol_l": "corrected Ca (laboratory) {} mmol/L",
    "bilirubin_umol_l": "bilirubin {} µmol/L",
}
_LAB_CLASS = {LAB_NORMAL: "normal", LAB_ABNORMAL: "abnormal", LAB_CRITICAL: "critical"}
#: The same in words for the outputs (the item's note): German first, with its units.
_LAB_WORDS = {
    "crp_mg_l": Text(de="CRP {} mg/l", en="CRP {} mg/L"),
    "ldh_u_l": Text(de="LDH {} U/l", en="LDH {} U/L"),
    "albumin_g_l": Text(de="Albumin {} g/l", en="albumin {} g/L"),
    "platelets_10e9_l": Text(de="Thrombozyten {} × 10⁹/l", en="platelets {} × 10⁹/L"),
    "calcium_mmol_l": Text(de="Kalzium {} mmol/l", en="calcium {} mmol/L"),
    "calcium_corrected_mmol_l": Text(
        de="korrigiertes Kalzium (Labor) {} mmol/l", en="corrected calcium (laboratory) {} mmol/L"
    ),
    "bilirubin_umol_l": Text(de="Bilirubin {} µmol/l", en="bilirubin {} µmol/L"),
}
_LAB_CLASS_WORDS = {
    LAB_NORMAL: Text(de="normal", en="normal"),
    LAB_ABNORMAL: Text(de="auffällig", en="abnormal"),
    LAB_CRITICAL: Text(de="kritisch", en="critical"),
}


def _shown_fields(inp: KatagiriInput) -> tuple[str, ...]:
    """The laboratory values the item names: the laboratory's corrected calcium only where it
    decides the calcium criterion."""
    if _reported_decides(inp):
        return (*_LAB_FIELDS, "calcium_corrected_mmol_l")
    return _LAB_FIELDS


def _lab_words(inp: KatagiriInput, points: int | None) -> Text | None:
    """The laboratory item's value in words: ``auffällig (Albumin 33 g/l, …)``; the known
    values alone while the class is open; None when no value is known."""
    out = {}
    for lang in ("de", "en"):
        shown = [
            getattr(_LAB_WORDS[f], lang).format(
                _shown_number(getattr(inp, f)).replace(".", "," if lang == "de" else ".")
            )
            for f in _shown_fields(inp)
            if getattr(inp, f) is not None
        ]
        if points is None:
            out[lang] = ", ".join(shown)
        else:
            word = getattr(_LAB_CLASS_WORDS[points], lang)
            out[lang] = f"{word} ({', '.join(shown)})" if shown else word
    return Text(de=out["de"], en=out["en"]) if out["de"] else None


def _shown_number(x: float) -> str:
    """Up to two decimals, no trailing zeros (values converted from mg/dL carry more)."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _lab_item(inp: KatagiriInput, notes: list[Text], missing: list[str]) -> ScoreItem:
    possible = lab_points(inp)
    reported = _reported_decides(inp)
    if reported:
        notes.append(_CALCIUM_REPORTED)
    elif inp.calcium_mmol_l is not None:
        notes.append(_CALCIUM_NOTE)
        if inp.albumin_g_l is None:
            notes.append(_CALCIUM_NO_ALBUMIN)
    given = [
        _LAB_SHOWN[f].format(_shown_number(getattr(inp, f)))
        for f in _shown_fields(inp)
        if getattr(inp, f) is not None
    ]
    if len(possible) == 1:
        (points,) = possible
        return known_item(
            "laboratory",
            _L["laboratory"],
            f"{_LAB_CLASS[points]} ({', '.join(given)})",
            points,
            note=_lab_words(inp, points),
        )
    # Undecided: name the unknown values that could still change the outcome.
    unknown = {f for f in _LAB_FIELDS if getattr(inp, f) is None}
    # Critical values and albumin (through corrected calcium) can always still matter; the
    # abnormal-only values matter only while a normal result is possible.
    # A corrected calcium the laboratory reports decides the calcium criterion: total calcium
    # is not needed, and albumin only as an abnormal value.
    relevant = {"platelets_10e9_l", "bilirubin_umol_l"}
    if not reported:
        relevant |= {"calcium_mmol_l", "albumin_g_l"}
    if LAB_NORMAL in possible:
        relevant |= {"crp_mg_l", "ldh_u_l", "albumin_g_l"}
    missing.extend(f for f in _LAB_FIELDS if f in unknown and f in relevant)
    it = unknown_item("laboratory", _L["laboratory"], possible, note=_lab_words(inp, None))
    return replace(it, value=", ".join(given) if given else None)


# --------------------------------------------------------------------------------------------
# Performance status


def _performance_item(inp: KatagiriInput, notes: list[Text], missing: list[str]) -> ScoreItem:
    label = _L["performance"]
    if inp.ecog is not None:
        return known_item("performance", label, inp.ecog, 1 if inp.ecog >= 3 else 0)
    if inp.karnofsky is not None:
        notes.append(performance.CONVERSION_NOTE)
        ecogs = performance.ecog_range_from_karnofsky(inp.karnofsky)
        # Karnofsky 0 (death) has no ECOG 0–4 grade; it is below every grade, hence poor.
        possible = {1 if e >= 3 else 0 for e in ecogs} if ecogs else {1}
        if len(possible) > 1:
            missing.append("ecog")
        it = unknown_item("performance", label, possible)
        shown = "–".join(str(e) for e in ecogs) if ecogs else "–"
        return replace(it, value=f"KPS {inp.karnofsky} (ECOG {shown})")
    missing.append("ecog")
    return unknown_item("performance", label, (0, 1))


def _yes_no_item(
    name: str, label: Text, value: bool | None, field: str, missing: list[str]
) -> ScoreItem:
    if value is None:
        missing.append(field)
    return item(name, label, value, _NO_YES)


def katagiri_new(inp: KatagiriInput, lesion: str | None = None) -> ScoreResult:
    notes: list[Text] = []
    missing: list[str] = []
    multiple = None if inp.bone_metastases is None else inp.bone_metastases is BoneSpread.multiple
    items = [
        _growth_item(inp, notes, missing),
        _visceral_item(inp, missing),
        _lab_item(inp, notes, missing),
        _performance_item(inp, notes, missing),
        _yes_no_item(
            "chemotherapy",
            _L["chemotherapy"],
            inp.previous_chemotherapy,
            "previous_chemotherapy",
            missing,
        ),
        _yes_no_item("multiple", _L["multiple"], multiple, "bone_metastases", missing),
    ]
    return summarise(
        name="katagiri_new",
        items=items,
        categorise=categorise,
        categories=CATEGORIES,
        source=SOURCE,
        missing=missing,
        lesion=lesion,
        notes=notes,
    )


def _from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    spread, bone_path = bone_spread_from_case(case)
    present = case.visceral_present
    v = case.visceral_metastases
    labs = case.labs
    inp = dict(
        growth=case.primary.growth,
        primary_site=case.primary.site,
        hormone_receptor=case.primary.hormone_receptor,
        castration_status=case.primary.castration_status,
        targetable_driver=case.primary.targetable_driver,
        visceral_metastases=present,
        visceral_pattern=v.pattern if present is not False else None,
        brain_metastases=v.brain if present is not False else None,
        crp_mg_l=labs.crp_mg_l,
        ldh_u_l=labs.ldh_u_l,
        albumin_g_l=labs.albumin_g_l,
        platelets_10e9_l=labs.platelets_10e9_l,
        calcium_mmol_l=labs.calcium_mmol_l,
        calcium_corrected_mmol_l=labs.calcium_corrected_mmol_l,
        bilirubin_umol_l=labs.bilirubin_umol_l,
        ecog=case.patient.ecog,
        karnofsky=case.patient.karnofsky,
        previous_chemotherapy=case.prior_therapy.chemotherapy,
        bone_metastases=spread,
    )
    paths = {
        "growth": "primary.growth",
        "primary_site": "primary.site",
        "hormone_receptor": "primary.hormone_receptor",
        "castration_status": "primary.castration_status",
        "targetable_driver": "primary.targetable_driver",
        "visceral_metastases": "visceral_metastases.present",
        "visceral_pattern": "visceral_metastases.pattern",
        "brain_metastases": "visceral_metastases.brain",
        "ecog": "patient.ecog",
        "karnofsky": "patient.karnofsky",
        "previous_chemotherapy": "prior_therapy.chemotherapy",
        "bone_metastases": bone_path,
    }
    paths.update({f: f"labs.{f}" for f in (*_LAB_FIELDS, "calcium_corrected_mmol_l")})
    return inp, paths


SPEC = ScoreSpec(
    name="katagiri_new",
    title=Text(de="Neuer Katagiri-Score", en="New Katagiri score"),
    per="case",
    input_model=KatagiriInput,
    compute=katagiri_new,
    from_case=_from_case,
    source=SOURCE,
    applies=bone_disease,
    categories=tuple(CATEGORIES),
)

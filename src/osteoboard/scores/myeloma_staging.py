"""Myeloma staging: ISS, R-ISS and R2-ISS.

- ISS (Greipp et al., J Clin Oncol 2005;23:3412–3420): I β2-microglobulin < 3.5 mg/L and
  albumin ≥ 35 g/L (3.5 g/dL); III β2-microglobulin ≥ 5.5 mg/L; II neither.
- R-ISS (Palumbo et al., J Clin Oncol 2015;33:2863–2869): I ISS I, no high-risk chromosomal
  abnormality [del(17p), t(4;14), t(14;16)] and normal LDH; III ISS III and a high-risk
  abnormality or high LDH; II all others.
- R2-ISS (D'Agostino et al., J Clin Oncol 2022;40:3406–3418): ISS II 1, ISS III 1.5,
  del(17p) 1, high LDH 1, t(4;14) 1, 1q gain/amplification 0.5; I 0 · II 0.5–1 · III 1.5–2.5 ·
  IV 3–5 points.

Unknown inputs are enumerated: every completion is evaluated and the result keeps the stages
(or points) that are still reachable. ISS and R-ISS report the stage number (1–3) as total and
range; R2-ISS reports its points.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field

from osteoboard.case import Case, Lesion, PrimarySite
from osteoboard.scores.base import Points, ScoreInput, ScoreItem, ScoreResult, item
from osteoboard.scores.registry import ScoreSpec
from osteoboard.text import Text

__all__ = [
    "ISS_CATEGORIES",
    "ISS_SPEC",
    "R2_ISS_CATEGORIES",
    "R2_ISS_FACTOR_POINTS",
    "R2_ISS_SPEC",
    "R2_ISS_STAGE_POINTS",
    "R_ISS_CATEGORIES",
    "R_ISS_SPEC",
    "SPECS",
    "IssInput",
    "R2IssInput",
    "RIssInput",
    "iss",
    "iss_stage",
    "possible_iss_stages",
    "r2_iss",
    "r2_iss_category",
    "r_iss",
    "r_iss_stage",
]

ISS_SOURCE = "greipp2005"
R_ISS_SOURCE = "palumbo2015"
R2_ISS_SOURCE = "dagostino2022"

#: β2-microglobulin (mg/L) below which ISS I is possible, and from which ISS III holds.
B2M_LOW_BELOW = 3.5
B2M_HIGH_FROM = 5.5
#: albumin (g/L) from which ISS I is possible.
ALBUMIN_FROM = 35.0

Beta2 = Annotated[float, Field(gt=0, lt=100)]
Albumin = Annotated[float, Field(gt=5, lt=70)]


class IssInput(ScoreInput):
    beta2_microglobulin_mg_l: Beta2 | None = None
    albumin_g_l: Albumin | None = None


class RIssInput(IssInput):
    ldh_high: bool | None = None
    del17p: bool | None = None
    t4_14: bool | None = None
    t14_16: bool | None = None


class R2IssInput(IssInput):
    ldh_high: bool | None = None
    del17p: bool | None = None
    t4_14: bool | None = None
    gain_1q: bool | None = None


# --------------------------------------------------------------------------------------------
# Stage functions on complete inputs


def iss_stage(beta2_microglobulin_mg_l: float, albumin_g_l: float) -> int:
    if beta2_microglobulin_mg_l >= B2M_HIGH_FROM:
        return 3
    if beta2_microglobulin_mg_l < B2M_LOW_BELOW and albumin_g_l >= ALBUMIN_FROM:
        return 1
    return 2


def r_iss_stage(iss: int, high_risk_ca: bool, ldh_high: bool) -> int:
    if iss == 1 and not high_risk_ca and not ldh_high:
        return 1
    if iss == 3 and (high_risk_ca or ldh_high):
        return 3
    return 2


#: R2-ISS points of the ISS stage and of each further risk factor (D'Agostino 2022).
R2_ISS_STAGE_POINTS: dict[int, Points] = {1: 0, 2: 1, 3: 1.5}
R2_ISS_FACTOR_POINTS: dict[str, Points] = {"del17p": 1, "ldh_high": 1, "t4_14": 1, "gain_1q": 0.5}


def r2_iss_category(points: Points) -> str:
    if points <= 0:
        return "i"
    if points <= 1:
        return "ii"
    if points <= 2.5:
        return "iii"
    return "iv"


# --------------------------------------------------------------------------------------------
# Enumeration of unknown inputs

# Representative values of the β2-microglobulin and albumin bands; every value in a band gives
# the same ISS stage.
_B2M_BANDS = (B2M_LOW_BELOW - 1.0, (B2M_LOW_BELOW + B2M_HIGH_FROM) / 2, B2M_HIGH_FROM + 1.0)
_ALBUMIN_BANDS = (ALBUMIN_FROM - 5.0, ALBUMIN_FROM + 5.0)


def possible_iss_stages(
    beta2_microglobulin_mg_l: float | None, albumin_g_l: float | None
) -> set[int]:
    b2ms = _B2M_BANDS if beta2_microglobulin_mg_l is None else (beta2_microglobulin_mg_l,)
    albs = _ALBUMIN_BANDS if albumin_g_l is None else (albumin_g_l,)
    return {iss_stage(b, a) for b in b2ms for a in albs}


def _options(value: bool | None) -> tuple[bool, ...]:
    return (False, True) if value is None else (value,)


def _roman(stage: int | str) -> str:
    return {1: "I", 2: "II", 3: "III", 4: "IV"}[stage] if isinstance(stage, int) else stage.upper()


# --------------------------------------------------------------------------------------------
# Result assembly


def _info(name: str, label: Text, value: str | float | bool | None) -> ScoreItem:
    return ScoreItem(name=name, label=label, value=value, points=None, possible=[])


_LABELS = {
    "beta2_microglobulin_mg_l": Text(de="β2-Mikroglobulin (mg/l)", en="β2-microglobulin (mg/L)"),
    "albumin_g_l": Text(de="Albumin (g/l)", en="Albumin (g/L)"),
    "ldh_high": Text(de="LDH erhöht", en="High LDH"),
    "del17p": Text(de="del(17p)", en="del(17p)"),
    "t4_14": Text(de="t(4;14)", en="t(4;14)"),
    "t14_16": Text(de="t(14;16)", en="t(14;16)"),
    "gain_1q": Text(de="1q-Zugewinn/-Amplifikation", en="1q gain/amplification"),
    "iss": Text(de="ISS-Stadium", en="ISS stage"),
    "high_risk_ca": Text(
        de="Hochrisiko-Zytogenetik [del(17p), t(4;14), t(14;16)]",
        en="High-risk cytogenetics [del(17p), t(4;14), t(14;16)]",
    ),
}


def _result(
    *,
    name: str,
    outcomes: Iterable[Points],
    categorise: Callable[[Points], str],
    categories: Mapping[str, Text],
    items: Sequence[ScoreItem],
    missing: Sequence[str],
    assessable: bool,
    source: str,
    describe: Callable[[Points, Points], tuple[str, str]],
    lesion: str | None = None,
) -> ScoreResult:
    """Total, range and category from the outcomes of every completion of the inputs."""
    values = sorted(set(outcomes))
    lo, hi = values[0], values[-1]
    order = list(categories)
    cats = sorted({categorise(v) for v in values}, key=order.index)
    category = cats[0] if len(cats) == 1 and assessable else None
    interpretation: Text
    if not assessable:
        interpretation = Text(
            de="Nicht beurteilbar: keine der nötigen Angaben liegt vor.",
            en="Not assessable: none of the required inputs is known.",
        )
    elif category is not None:
        interpretation = categories[category]
    else:
        de, en = describe(lo, hi)
        shown = " / ".join(_roman(c) for c in cats)
        interpretation = Text(
            de=f"Nicht eindeutig: {de} ({shown}). Die fehlenden Angaben entscheiden.",
            en=f"Not decided: {en} ({shown}). The missing inputs decide.",
        )
    return ScoreResult(
        name=name,
        lesion=lesion,
        assessable=assessable,
        total=values[0] if len(values) == 1 and assessable else None,
        range=(lo, hi),
        category=category,
        possible_categories=cats,
        interpretation=interpretation,
        items=list(items),
        missing=list(missing),
        source=source,
    )


def _stage_span(lo: Points, hi: Points) -> tuple[str, str]:
    span = f"{_roman(int(lo))}–{_roman(int(hi))}"
    return f"Stadium {span}", f"stage {span}"


def _points_span(lo: Points, hi: Points) -> tuple[str, str]:
    de = f"{lo}–{hi} Punkte".replace(".", ",")
    return de, f"{lo}–{hi} points"


def _stage_category(stage: Points) -> str:
    return {1: "i", 2: "ii", 3: "iii"}[int(stage)]


def _missing(inp: ScoreInput, fields: Sequence[str]) -> list[str]:
    return [f for f in fields if getattr(inp, f) is None]


def _known(inp: ScoreInput, fields: Sequence[str]) -> bool:
    return any(getattr(inp, f) is not None for f in fields)


def _iss_item(stages: set[int]) -> ScoreItem:
    value = _roman(next(iter(stages))) if len(stages) == 1 else None
    return _info("iss", _LABELS["iss"], value)


# --------------------------------------------------------------------------------------------
# ISS

_ISS_FIELDS = ("beta2_microglobulin_mg_l", "albumin_g_l")

ISS_CATEGORIES = {
    "i": Text(
        de="ISS I: β2-Mikroglobulin < 3,5 mg/l und Albumin ≥ 35 g/l.",
        en="ISS I: β2-microglobulin < 3.5 mg/L and albumin ≥ 35 g/L.",
    ),
    "ii": Text(de="ISS II: weder Stadium I noch III.", en="ISS II: neither stage I nor III."),
    "iii": Text(
        de="ISS III: β2-Mikroglobulin ≥ 5,5 mg/l.", en="ISS III: β2-microglobulin ≥ 5.5 mg/L."
    ),
}


def iss(inp: IssInput, lesion: str | None = None) -> ScoreResult:
    stages = possible_iss_stages(inp.beta2_microglobulin_mg_l, inp.albumin_g_l)
    items = [_info(f, _LABELS[f], getattr(inp, f)) for f in _ISS_FIELDS]
    return _result(
        name="iss",
        outcomes=stages,
        categorise=_stage_category,
        categories=ISS_CATEGORIES,
        items=items,
        missing=_missing(inp, _ISS_FIELDS),
        assessable=_known(inp, _ISS_FIELDS),
        source=ISS_SOURCE,
        describe=_stage_span,
        lesion=lesion,
    )


# --------------------------------------------------------------------------------------------
# R-ISS

_R_ISS_FIELDS = (*_ISS_FIELDS, "ldh_high", "del17p", "t4_14", "t14_16")

R_ISS_CATEGORIES = {
    "i": Text(
        de="R-ISS I: ISS I, keine Hochrisiko-Zytogenetik, LDH normal.",
        en="R-ISS I: ISS I, no high-risk cytogenetics, normal LDH.",
    ),
    "ii": Text(de="R-ISS II: weder Stadium I noch III.", en="R-ISS II: neither stage I nor III."),
    "iii": Text(
        de="R-ISS III: ISS III mit Hochrisiko-Zytogenetik oder erhöhter LDH.",
        en="R-ISS III: ISS III with high-risk cytogenetics or high LDH.",
    ),
}


def _high_risk_ca(inp: RIssInput) -> bool | None:
    flags = (inp.del17p, inp.t4_14, inp.t14_16)
    if any(f is True for f in flags):
        return True
    if all(f is False for f in flags):
        return False
    return None


def r_iss(inp: RIssInput, lesion: str | None = None) -> ScoreResult:
    stages = possible_iss_stages(inp.beta2_microglobulin_mg_l, inp.albumin_g_l)
    outcomes = {
        r_iss_stage(s, any((d, t, u)), ldh)
        for s in stages
        for d, t, u, ldh in itertools.product(
            _options(inp.del17p), _options(inp.t4_14), _options(inp.t14_16), _options(inp.ldh_high)
        )
    }
    items = [
        *(_info(f, _LABELS[f], getattr(inp, f)) for f in _R_ISS_FIELDS),
        _iss_item(stages),
        _info("high_risk_ca", _LABELS["high_risk_ca"], _high_risk_ca(inp)),
    ]
    return _result(
        name="r_iss",
        outcomes=outcomes,
        categorise=_stage_category,
        categories=R_ISS_CATEGORIES,
        items=items,
        missing=_missing(inp, _R_ISS_FIELDS),
        assessable=_known(inp, _R_ISS_FIELDS),
        source=R_ISS_SOURCE,
        describe=_stage_span,
        lesion=lesion,
    )


# --------------------------------------------------------------------------------------------
# R2-ISS

_R2_ISS_FIELDS = (*_ISS_FIELDS, "ldh_high", "del17p", "t4_14", "gain_1q")

R2_ISS_CATEGORIES = {
    "i": Text(de="R2-ISS I, niedriges Risiko (0 Punkte).", en="R2-ISS I, low risk (0 points)."),
    "ii": Text(
        de="R2-ISS II, niedrig-intermediäres Risiko (0,5–1 Punkte).",
        en="R2-ISS II, low-intermediate risk (0.5–1 points).",
    ),
    "iii": Text(
        de="R2-ISS III, intermediär-hohes Risiko (1,5–2,5 Punkte).",
        en="R2-ISS III, intermediate-high risk (1.5–2.5 points).",
    ),
    "iv": Text(de="R2-ISS IV, hohes Risiko (3–5 Punkte).", en="R2-ISS IV, high risk (3–5 points)."),
}


def r2_iss(inp: R2IssInput, lesion: str | None = None) -> ScoreResult:
    stages = possible_iss_stages(inp.beta2_microglobulin_mg_l, inp.albumin_g_l)
    stage = next(iter(stages)) if len(stages) == 1 else None
    scored = [
        ScoreItem(
            name="iss",
            label=_LABELS["iss"],
            value=_roman(stage) if stage else None,
            points=R2_ISS_STAGE_POINTS[stage] if stage else None,
            possible=sorted({R2_ISS_STAGE_POINTS[s] for s in stages}),
        ),
        *(
            item(f, _LABELS[f], getattr(inp, f), {True: p, False: 0})
            for f, p in R2_ISS_FACTOR_POINTS.items()
        ),
    ]
    sums: set[Points] = {0}
    for it in scored:
        sums = {round(s + p, 6) for s in sums for p in it.possible}
    outcomes = {_tidy(s) for s in sums}
    items = [*(_info(f, _LABELS[f], getattr(inp, f)) for f in _ISS_FIELDS), *scored]
    return _result(
        name="r2_iss",
        outcomes=outcomes,
        categorise=r2_iss_category,
        categories=R2_ISS_CATEGORIES,
        items=items,
        missing=_missing(inp, _R2_ISS_FIELDS),
        assessable=_known(inp, _R2_ISS_FIELDS),
        source=R2_ISS_SOURCE,
        describe=_points_span,
        lesion=lesion,
    )


def _tidy(x: Points) -> Points:
    return int(x) if isinstance(x, float) and x.is_integer() else x


# --------------------------------------------------------------------------------------------
# Adapters and specs


def _applies(case: Case) -> bool:
    return case.myeloma is not None or case.primary.site is PrimarySite.myeloma


def _adapter(
    model: type[IssInput], fields: Sequence[str]
) -> Callable[[Case, Lesion | None], tuple[dict[str, Any], dict[str, str]]]:
    def from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
        staging = case.myeloma.staging if case.myeloma is not None else None
        values = {f: getattr(staging, f) if staging is not None else None for f in fields}
        return values, {f: f"myeloma.staging.{f}" for f in fields}

    return from_case


ISS_SPEC = ScoreSpec(
    name="iss",
    title=Text(de="ISS (Internationales Staging-System)", en="International Staging System (ISS)"),
    per="case",
    input_model=IssInput,
    compute=iss,
    from_case=_adapter(IssInput, _ISS_FIELDS),
    source=ISS_SOURCE,
    applies=_applies,
    categories=tuple(ISS_CATEGORIES),
)

R_ISS_SPEC = ScoreSpec(
    name="r_iss",
    title=Text(de="R-ISS (revidiertes ISS)", en="Revised ISS (R-ISS)"),
    per="case",
    input_model=RIssInput,
    compute=r_iss,
    from_case=_adapter(RIssInput, _R_ISS_FIELDS),
    source=R_ISS_SOURCE,
    applies=_applies,
    categories=tuple(R_ISS_CATEGORIES),
)

R2_ISS_SPEC = ScoreSpec(
    name="r2_iss",
    title=Text(de="R2-ISS (zweite Revision des ISS)", en="Second revision of the ISS (R2-ISS)"),
    per="case",
    input_model=R2IssInput,
    compute=r2_iss,
    from_case=_adapter(R2IssInput, _R2_ISS_FIELDS),
    source=R2_ISS_SOURCE,
    applies=_applies,
    categories=tuple(R2_ISS_CATEGORIES),
)

SPECS = (ISS_SPEC, R_ISS_SPEC, R2_ISS_SPEC)

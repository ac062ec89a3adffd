"""Course of a multiple myeloma: IMWG response, progression and the paraprotein's rise.

Pure functions, no I/O. :func:`analyse` reads the ``myeloma`` block of a case (baseline values
and the series of assessments, oldest first) and returns a :class:`MyelomaCourse`.

Sources and what was checked
----------------------------
kumar2016-imwg — Kumar S et al. IMWG consensus criteria for response and minimal residual
disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328–e346. The paper itself is
behind a paywall; its response panel was checked through reproductions of it (Curr Oncol
2023;30:2322, table 1, "adapted from Kumar et al."; the IMWG 2006 uniform criteria table
in Leukemia 2006/Blood 2011 from which the 2016 panel is derived; secondary summaries quoting
the 2016 panel). Thresholds as implemented:

- Measurable disease: serum M ≥ 1 g/dL, or urine M ≥ 200 mg/24 h, or involved FLC ≥ 10 mg/dL
  (100 mg/L) with an abnormal κ/λ ratio. The FLC path is used only when neither serum nor
  urine M is measurable (light-chain-only disease).
- sCR: CR plus a normal FLC ratio and absence of clonal plasma cells in the marrow.
- CR: negative immunofixation of serum and urine, disappearance of soft-tissue
  plasmacytomas, < 5 % plasma cells in the marrow; when FLC is the only measurable parameter,
  also a normal FLC ratio.
- VGPR: serum and urine M detectable by immunofixation but not by electrophoresis, or ≥ 90 %
  reduction of serum M with urine M < 100 mg/24 h; FLC path: > 90 % decrease of the
  involved–uninvolved difference (dFLC).
- PR: ≥ 50 % reduction of serum M and urine M reduced by ≥ 90 % or to < 200 mg/24 h; FLC
  path: ≥ 50 % decrease of dFLC.
- MR: 25–49 % reduction of serum M and 50–89 % reduction of urine M.
- SD: none of the above and no PD (the paper discourages SD as a response indicator).
- PD: increase of ≥ 25 % from the lowest response value in serum M (absolute increase
  ≥ 0.5 g/dL; an increase of ≥ 1 g/dL suffices when the lowest value was ≥ 5 g/dL), urine M
  (absolute ≥ 200 mg/24 h), dFLC only without measurable serum and urine M (absolute
  > 10 mg/dL = 100 mg/L), marrow plasma cells only when nothing else is measurable (absolute
  increase ≥ 10 percentage points); or new bone / soft-tissue lesions or definite growth.
- Every category needs two consecutive assessments to be confirmed; patients in CR must meet
  the PD criteria above to be called PD (CR never overrides PD).

What the course means for treatment (the relapse tiers of seed 004 and SPEC §6: monitor, close
monitoring, start or switch therapy; clinical relapse; significant paraprotein relapse) is
decided by the knowledge base, not here. This module measures what those rules compare with
their cut-offs (:class:`ParaproteinRise`): how far the paraprotein rose above its nadir in two
consecutive measurements, and whether and how fast it doubled.

Conventions (stated because the case model leaves them open):

- The nadir is the lowest value so far, baseline included; progression at an assessment is
  judged against the nadir of everything before it.
- A measurable parameter missing at one assessment is left out of that assessment (listed in
  ``AssessmentResult.not_measured``); an assessment with none of its measurable parameters
  and no immunofixation result is ``not_assessable`` unless progression is shown otherwise.
- ``immunofixation_negative`` is read as covering serum and urine.
- The case-level ``bm_plasma_cells_pct`` is read as the latest marrow result; it is used for the
  latest assessment only, when that assessment carries no marrow value of its own.
- Marrow results need no confirmation (IMWG): an assessment without a marrow result is read
  with the latest one before it, so a CR is confirmed by a second negative immunofixation.
- The case model does not say which light chain is involved: an involved/uninvolved ratio
  > 3.85 (κ/λ < 0.26 or > 1.65 for either chain) is abnormal, 0.61–1.65 normal for either chain,
  anything between is undetermined (and then not used as "abnormal").
- "Two consecutive measurements" are two consecutive assessments of the series that both
  carry the value; the rise of both is counted from the nadir before the first of them.
- Months between two assessments are calendar months (1 March to 1 May is 2.0), the rest of a
  month as its share of that month's days.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from osteoboard.case import (
    MYELOMA_PRECURSOR_STAGES,
    Myeloma,
    MyelomaAssessment,
    MyelomaBaseline,
    MyelomaStage,
)

__all__ = [
    "FLC_MEASURABLE_MG_L",
    "RESPONSE_ORDER",
    "SERUM_MEASURABLE_G_DL",
    "URINE_MEASURABLE_MG_24H",
    "AssessmentResult",
    "Measurability",
    "MyelomaCourse",
    "Nadir",
    "ParaproteinRise",
    "Response",
    "analyse",
    "calendar_months",
    "flc_ratio_normal",
    "serum_progression_threshold",
    "urine_progression_threshold",
]

# --------------------------------------------------------------------------------------------
# Thresholds (kumar2016-imwg; see the module docstring)

SERUM_MEASURABLE_G_DL = 1.0
URINE_MEASURABLE_MG_24H = 200.0
FLC_MEASURABLE_MG_L = 100.0

PD_RELATIVE = 0.25
PD_SERUM_ABS_G_DL = 0.5
PD_SERUM_HIGH_NADIR_G_DL = 5.0
PD_SERUM_HIGH_NADIR_ABS_G_DL = 1.0
PD_URINE_ABS_MG_24H = 200.0
PD_DFLC_ABS_MG_L = 100.0  # strictly greater than
PD_MARROW_ABS_PCT = 10.0

VGPR_SERUM_REDUCTION = 0.90
VGPR_URINE_BELOW_MG_24H = 100.0
VGPR_DFLC_REDUCTION = 0.90  # strictly greater than
PR_REDUCTION = 0.50
PR_URINE_REDUCTION = 0.90
PR_URINE_BELOW_MG_24H = 200.0
MR_SERUM_REDUCTION = 0.25
MR_URINE_REDUCTION = 0.50
CR_MARROW_BELOW_PCT = 5.0

#: κ/λ reference interval; with an unknown involved chain, see :func:`flc_ratio_normal`.
FLC_RATIO_LOW = 0.26
FLC_RATIO_HIGH = 1.65

_EPS = 1e-9


class Response(StrEnum):
    scr = "scr"
    cr = "cr"
    vgpr = "vgpr"
    pr = "pr"
    mr = "mr"
    sd = "sd"
    pd = "pd"
    not_assessable = "not_assessable"


#: Depth of response, best first (PD and not_assessable are not response levels).
RESPONSE_ORDER: tuple[Response, ...] = (
    Response.scr,
    Response.cr,
    Response.vgpr,
    Response.pr,
    Response.mr,
    Response.sd,
)
_RANK = {r: len(RESPONSE_ORDER) - i for i, r in enumerate(RESPONSE_ORDER)}


# --------------------------------------------------------------------------------------------
# Result types


@dataclass(frozen=True, slots=True)
class Nadir:
    """Lowest value of one parameter; ``date`` None means the baseline value."""

    value: float
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class Measurability:
    serum: bool
    urine: bool
    flc: bool
    #: True when neither serum nor urine M is measurable but the involved FLC is.
    flc_only: bool

    @property
    def any(self) -> bool:
        return self.serum or self.urine or self.flc_only


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    date: dt.date
    category: Response
    #: Response level before progression is applied (CR stays visible beside a PD).
    response: Response
    progression: bool
    progression_reasons: tuple[str, ...]
    serum_reduction_pct: float | None
    urine_reduction_pct: float | None
    dflc_reduction_pct: float | None
    dflc_mg_l: float | None
    #: Measurable parameters that this assessment lacks.
    not_measured: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParaproteinRise:
    """How far the paraprotein rose over the series, measured without judging it: the
    knowledge base compares these values with the IMWG cut-offs of a significant paraprotein
    relapse. Every rise is 0 when no two consecutive measurements show one."""

    #: The largest rise of serum M above the nadir (g/dL) that two consecutive measurements
    #: both reach.
    serum_sustained_rise_g_dl: float
    #: The same for urine M (mg/24 h).
    urine_sustained_rise_mg_24h: float
    #: The same for the involved free light chain (mg/L), counting only pairs with an abnormal
    #: κ/λ ratio at both; of several such pairs, the one with the largest rise.
    involved_flc_sustained_rise_mg_l: float
    #: That pair's rise as a share of its nadir (%).
    involved_flc_sustained_rise_pct: float
    #: Of the consecutive measurements in which serum M at least doubled, the pair with the
    #: largest first value (ties: the shorter interval): that first value (g/dL) ...
    serum_doubling_reference_g_dl: float
    #: ... and the calendar months between the two measurements.
    serum_doubling_months: float


@dataclass(frozen=True)
class MyelomaCourse:
    stage: MyelomaStage | None
    baseline: MyelomaBaseline | None
    series: tuple[MyelomaAssessment, ...]
    assessments: tuple[AssessmentResult, ...]
    measurable: Measurability
    #: The parameter that carries the response: "serum", "urine", "flc" or None.
    parameter: str | None
    status: Response
    best_response: Response
    best_response_date: dt.date | None
    best_response_confirmed: bool
    #: Best category reached on two consecutive assessments (None when none).
    best_confirmed_response: Response | None
    #: For each category: reached on two consecutive assessments.
    confirmed: Mapping[Response, bool]
    nadir_serum: Nadir | None
    nadir_urine: Nadir | None
    nadir_involved_flc: Nadir | None
    nadir_dflc: Nadir | None
    progression_threshold_serum_g_dl: float | None
    progression_threshold_urine_mg_24h: float | None
    progression_threshold_dflc_mg_l: float | None
    #: PD criteria met at the latest assessment, or confirmed earlier.
    progression_met: bool
    progression_confirmed: bool
    progression_reasons: tuple[str, ...]
    progression_date: dt.date | None
    mrd_negative: bool | None
    #: The paraprotein's rise over the series; None without any assessment.
    paraprotein: ParaproteinRise | None
    #: An assessment of the series reports new bone or soft-tissue lesions (or growth).
    new_lesions_reported: bool
    notes: tuple[str, ...] = field(default=())
    #: The date of the assessment marked as the start of the current line (its values are
    #: the baseline); None when the series marks none.
    line_start: dt.date | None = None

    @property
    def latest(self) -> AssessmentResult | None:
        return self.assessments[-1] if self.assessments else None

    @property
    def precursor(self) -> bool:
        return self.stage in MYELOMA_PRECURSOR_STAGES


# --------------------------------------------------------------------------------------------
# Small helpers


def _ge(a: float, b: float) -> bool:
    return a >= b - _EPS


def _gt(a: float, b: float) -> bool:
    return a > b + _EPS


def _add_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def calendar_months(start: dt.date, end: dt.date) -> float:
    """Calendar months from ``start`` to ``end`` (not before it): the whole months, then the
    rest as a share of the following month (1 March to 1 May is 2.0)."""
    n = (end.year - start.year) * 12 + end.month - start.month
    while n > 0 and _add_months(start, n) > end:
        n -= 1
    base, following = _add_months(start, n), _add_months(start, n + 1)
    return round(n + (end - base).days / (following - base).days, 6)


def _reduction(base: float | None, now: float | None) -> float | None:
    if base is None or now is None or base <= 0:
        return None
    return (base - now) / base


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 1)


def flc_ratio_normal(involved_mg_l: float | None, uninvolved_mg_l: float | None) -> bool | None:
    """Whether the κ/λ ratio is normal, from involved/uninvolved values (chain unknown).

    True when the ratio is normal for either chain, False when abnormal for either, None when
    it depends on which chain is involved (or a value is missing).
    """
    if involved_mg_l is None or uninvolved_mg_l is None:
        return None
    if uninvolved_mg_l <= 0:
        return None if involved_mg_l <= 0 else False
    r = involved_mg_l / uninvolved_mg_l
    if r > 1 / FLC_RATIO_LOW + _EPS or r < FLC_RATIO_LOW - _EPS:
        return False
    if 1 / FLC_RATIO_HIGH - _EPS <= r <= FLC_RATIO_HIGH + _EPS:
        return True
    return None


def _ratio_normal(a: MyelomaAssessment) -> bool | None:
    if a.flc_ratio_normal is not None:
        return a.flc_ratio_normal
    return flc_ratio_normal(a.involved_flc_mg_l, a.uninvolved_flc_mg_l)


def _dflc(inv: float | None, uninv: float | None) -> float | None:
    if inv is None or uninv is None:
        return None
    return inv - uninv


def serum_progression_threshold(nadir_g_dl: float) -> float:
    """Lowest serum M (g/dL) that meets progression from this nadir."""
    if _ge(nadir_g_dl, PD_SERUM_HIGH_NADIR_G_DL):
        return round(nadir_g_dl + PD_SERUM_HIGH_NADIR_ABS_G_DL, 6)
    return round(nadir_g_dl + max(PD_RELATIVE * nadir_g_dl, PD_SERUM_ABS_G_DL), 6)


def urine_progression_threshold(nadir_mg_24h: float) -> float:
    """Lowest urine M (mg/24 h) that meets progression from this nadir."""
    return round(nadir_mg_24h + max(PD_RELATIVE * nadir_mg_24h, PD_URINE_ABS_MG_24H), 6)


def _dflc_progression_threshold(nadir_mg_l: float) -> float:
    """dFLC (mg/L) above which progression is met (the absolute part is strict)."""
    return round(nadir_mg_l + max(PD_RELATIVE * max(nadir_mg_l, 0.0), PD_DFLC_ABS_MG_L), 6)


def _serum_pd(now: float, nadir: float) -> bool:
    inc = now - nadir
    if _ge(nadir, PD_SERUM_HIGH_NADIR_G_DL) and _ge(inc, PD_SERUM_HIGH_NADIR_ABS_G_DL):
        return True
    return _ge(inc, PD_SERUM_ABS_G_DL) and _ge(inc, PD_RELATIVE * nadir)


def _urine_pd(now: float, nadir: float) -> bool:
    inc = now - nadir
    return _ge(inc, PD_URINE_ABS_MG_24H) and _ge(inc, PD_RELATIVE * nadir)


def _dflc_pd(now: float, nadir: float) -> bool:
    inc = now - nadir
    return _gt(inc, PD_DFLC_ABS_MG_L) and _ge(inc, PD_RELATIVE * max(nadir, 0.0))


def _marrow_pd(now: float, nadir: float) -> bool:
    inc = now - nadir
    return _ge(inc, PD_MARROW_ABS_PCT) and _ge(inc, PD_RELATIVE * nadir)


# --------------------------------------------------------------------------------------------
# Measurability


def _measurability(baseline: MyelomaBaseline | None) -> Measurability:
    if baseline is None:
        return Measurability(serum=False, urine=False, flc=False, flc_only=False)
    serum = baseline.serum_m_g_dl is not None and _ge(baseline.serum_m_g_dl, SERUM_MEASURABLE_G_DL)
    urine = baseline.urine_m_mg_24h is not None and _ge(
        baseline.urine_m_mg_24h, URINE_MEASURABLE_MG_24H
    )
    flc = (
        baseline.involved_flc_mg_l is not None
        and _ge(baseline.involved_flc_mg_l, FLC_MEASURABLE_MG_L)
        and flc_ratio_normal(baseline.involved_flc_mg_l, baseline.uninvolved_flc_mg_l) is False
    )
    return Measurability(
        serum=serum, urine=urine, flc=flc, flc_only=flc and not serum and not urine
    )


# --------------------------------------------------------------------------------------------
# Response at one assessment (depth only; progression is applied separately)


def _level_at_least(a: Response, b: Response) -> bool:
    return _RANK.get(a, 0) >= _RANK.get(b, 0) and a in _RANK


def _min_level(levels: Sequence[Response]) -> Response:
    return min(levels, key=lambda r: _RANK[r])


def _serum_level(red: float) -> Response:
    if _ge(red, VGPR_SERUM_REDUCTION):
        return Response.vgpr
    if _ge(red, PR_REDUCTION):
        return Response.pr
    if _ge(red, MR_SERUM_REDUCTION):
        return Response.mr
    return Response.sd


def _urine_level(red: float | None, now: float, measurable: bool) -> Response:
    if now < VGPR_URINE_BELOW_MG_24H - _EPS:
        return Response.vgpr
    if not measurable:
        # Too little urine M at baseline for reductions; VGPR still needs < 100 mg/24 h.
        return Response.pr
    if now < PR_URINE_BELOW_MG_24H - _EPS or (red is not None and _ge(red, PR_URINE_REDUCTION)):
        return Response.pr
    if red is not None and _ge(red, MR_URINE_REDUCTION):
        return Response.mr
    return Response.sd


def _response(
    a: MyelomaAssessment,
    baseline: MyelomaBaseline | None,
    m: Measurability,
    marrow_pct: float | None,
) -> tuple[Response, tuple[str, ...]]:
    """Depth of response at one assessment and the measurable parameters it lacks."""
    if baseline is None or not m.any:
        return Response.not_assessable, ()
    not_measured: list[str] = []
    levels: list[Response] = []
    if m.flc_only:
        d_base = _dflc(baseline.involved_flc_mg_l, baseline.uninvolved_flc_mg_l)
        d_now = _dflc(a.involved_flc_mg_l, a.uninvolved_flc_mg_l)
        red = _reduction(d_base, d_now)
        if red is None:
            not_measured.append("flc")
        elif _gt(red, VGPR_DFLC_REDUCTION):
            levels.append(Response.vgpr)
        elif _ge(red, PR_REDUCTION):
            levels.append(Response.pr)
        else:
            levels.append(Response.sd)
    else:
        if m.serum:
            if a.serum_m_g_dl is None:
                not_measured.append("serum")
            else:
                red = _reduction(baseline.serum_m_g_dl, a.serum_m_g_dl)
                assert red is not None
                levels.append(_serum_level(red))
        if a.urine_m_mg_24h is not None:
            red_u = _reduction(baseline.urine_m_mg_24h, a.urine_m_mg_24h)
            levels.append(_urine_level(red_u, a.urine_m_mg_24h, m.urine))
        elif m.urine:
            not_measured.append("urine")
        # VGPR also when M-protein is seen only by immunofixation (electrophoresis zero).
        if (
            a.immunofixation_negative is False
            and (a.serum_m_g_dl is not None or a.urine_m_mg_24h is not None)
            and (a.serum_m_g_dl is None or a.serum_m_g_dl <= _EPS)
            and (a.urine_m_mg_24h is None or a.urine_m_mg_24h <= _EPS)
            and levels
        ):
            levels = [Response.vgpr]
    if a.immunofixation_negative is True:
        # Negative immunofixation: nothing is detectable by electrophoresis either.
        cr_possible = (
            marrow_pct is not None
            and marrow_pct < CR_MARROW_BELOW_PCT - _EPS
            and a.soft_tissue_plasmacytoma_gone is not False
            and (not m.flc_only or _ratio_normal(a) is True)
        )
        if cr_possible:
            if _ratio_normal(a) is True and a.clonal_plasma_cells_absent is True:
                return Response.scr, tuple(not_measured)
            return Response.cr, tuple(not_measured)
        if not m.flc_only:
            levels = [Response.vgpr]
    if not levels:
        return Response.not_assessable, tuple(not_measured)
    return _min_level(levels), tuple(not_measured)


# --------------------------------------------------------------------------------------------
# Running nadirs


@dataclass
class _Running:
    serum: Nadir | None = None
    urine: Nadir | None = None
    iflc: Nadir | None = None
    dflc: Nadir | None = None
    marrow: Nadir | None = None

    def update(self, date: dt.date | None, a: MyelomaAssessment | MyelomaBaseline) -> None:
        self.serum = _lower(self.serum, a.serum_m_g_dl, date)
        self.urine = _lower(self.urine, a.urine_m_mg_24h, date)
        self.iflc = _lower(self.iflc, a.involved_flc_mg_l, date)
        self.dflc = _lower(self.dflc, _dflc(a.involved_flc_mg_l, a.uninvolved_flc_mg_l), date)
        if isinstance(a, MyelomaAssessment):
            self.marrow = _lower(self.marrow, a.bm_plasma_cells_pct, date)

    def copy(self) -> _Running:
        return _Running(self.serum, self.urine, self.iflc, self.dflc, self.marrow)


def _lower(cur: Nadir | None, value: float | None, date: dt.date | None) -> Nadir | None:
    if value is None:
        return cur
    if cur is None or value < cur.value - _EPS:
        return Nadir(value, date)
    return cur


def _progression(a: MyelomaAssessment, before: _Running, m: Measurability) -> tuple[str, ...]:
    reasons: list[str] = []
    s, u = a.serum_m_g_dl, a.urine_m_mg_24h
    if s is not None and before.serum is not None and _serum_pd(s, before.serum.value):
        reasons.append("serum")
    if u is not None and before.urine is not None and _urine_pd(u, before.urine.value):
        reasons.append("urine")
    if not m.serum and not m.urine:
        d = _dflc(a.involved_flc_mg_l, a.uninvolved_flc_mg_l)
        if d is not None and before.dflc is not None and _dflc_pd(d, before.dflc.value):
            reasons.append("flc")
        bm = a.bm_plasma_cells_pct
        if (
            not m.flc
            and bm is not None
            and before.marrow is not None
            and _marrow_pd(bm, before.marrow.value)
        ):
            reasons.append("marrow")
    if a.new_lesions:
        reasons.append("new_lesions")
    return tuple(reasons)


# --------------------------------------------------------------------------------------------
# The paraprotein's rise (what the significant-paraprotein-relapse rules compare)


def _sustained(a: float | None, b: float | None, nadir: Nadir | None) -> float | None:
    """The rise above the nadir that both of two consecutive measurements reach."""
    if a is None or b is None or nadir is None:
        return None
    return min(a, b) - nadir.value


def _paraprotein_rise(
    series: Sequence[MyelomaAssessment], nadirs_before: Sequence[_Running]
) -> ParaproteinRise:
    serum = urine = 0.0
    flc: tuple[float, float] = (0.0, 0.0)
    doubling: tuple[float, float] | None = None  # (first value, -months): the largest wins
    for i in range(len(series) - 1):
        a, b = series[i], series[i + 1]
        ref = nadirs_before[i]
        rise = _sustained(a.serum_m_g_dl, b.serum_m_g_dl, ref.serum)
        if rise is not None:
            serum = max(serum, rise)
        rise = _sustained(a.urine_m_mg_24h, b.urine_m_mg_24h, ref.urine)
        if rise is not None:
            urine = max(urine, rise)
        rise = _sustained(a.involved_flc_mg_l, b.involved_flc_mg_l, ref.iflc)
        if (
            rise is not None
            and ref.iflc is not None
            and ref.iflc.value > 0
            and _ratio_normal(a) is False
            and _ratio_normal(b) is False
        ):
            flc = max(flc, (rise, 100 * rise / ref.iflc.value))
        s_a, s_b = a.serum_m_g_dl, b.serum_m_g_dl
        if s_a is not None and s_b is not None and s_a > 0 and _ge(s_b, 2 * s_a):
            candidate = (s_a, -calendar_months(a.date, b.date))
            doubling = candidate if doubling is None else max(doubling, candidate)
    return ParaproteinRise(
        serum_sustained_rise_g_dl=round(serum, 6),
        urine_sustained_rise_mg_24h=round(urine, 6),
        involved_flc_sustained_rise_mg_l=round(max(flc[0], 0.0), 6),
        involved_flc_sustained_rise_pct=round(max(flc[1], 0.0), 6),
        serum_doubling_reference_g_dl=round(doubling[0], 6) if doubling else 0.0,
        serum_doubling_months=round(-doubling[1], 6) if doubling else 0.0,
    )


# --------------------------------------------------------------------------------------------
# The analysis


def _confirmed(categories: Sequence[Response]) -> dict[Response, bool]:
    out: dict[Response, bool] = {}
    pairs = list(itertools.pairwise(categories))
    for level in RESPONSE_ORDER:
        out[level] = any(_level_at_least(x, level) and _level_at_least(y, level) for x, y in pairs)
    out[Response.pd] = any(x is Response.pd and y is Response.pd for x, y in pairs)
    out[Response.not_assessable] = False
    return out


def _parameter(m: Measurability, series: Sequence[MyelomaAssessment]) -> str | None:
    if m.serum:
        return "serum"
    if m.urine:
        return "urine"
    if m.flc_only:
        return "flc"
    if any(a.serum_m_g_dl is not None for a in series):
        return "serum"
    if any(a.urine_m_mg_24h is not None for a in series):
        return "urine"
    if any(_dflc(a.involved_flc_mg_l, a.uninvolved_flc_mg_l) is not None for a in series):
        return "flc"
    return None


def current_line(myeloma: Myeloma) -> tuple[Myeloma, dt.date | None]:
    """The myeloma block as of its current line of therapy, and the date that line started:
    from the latest assessment marked ``line_start`` on, with that assessment's values as the
    baseline (IMWG: response and progression of a line are judged from the values before
    it). Unchanged, and no date, without one."""
    starts = [i for i, a in enumerate(myeloma.series) if a.line_start]
    if not starts:
        return myeloma, None
    start = myeloma.series[starts[-1]]
    baseline = MyelomaBaseline(
        serum_m_g_dl=start.serum_m_g_dl,
        urine_m_mg_24h=start.urine_m_mg_24h,
        involved_flc_mg_l=start.involved_flc_mg_l,
        uninvolved_flc_mg_l=start.uninvolved_flc_mg_l,
    )
    current = myeloma.model_copy(
        update={"baseline": baseline, "series": myeloma.series[starts[-1] + 1 :]}
    )
    return current, start.date


def analyse(myeloma: Myeloma) -> MyelomaCourse:
    """Analyse baseline and series of a myeloma block (see the module docstring), from the
    start of the current line of therapy when the series marks one."""
    myeloma, line_start = current_line(myeloma)
    baseline = myeloma.baseline
    series = tuple(myeloma.series)
    m = _measurability(baseline)

    running = _Running()
    if baseline is not None:
        running.update(None, baseline)
    before: list[_Running] = []
    results: list[AssessmentResult] = []
    last_marrow: float | None = None
    for i, a in enumerate(series):
        before.append(running.copy())
        marrow = a.bm_plasma_cells_pct
        if marrow is None and i == len(series) - 1:
            marrow = myeloma.bm_plasma_cells_pct
        # A marrow result needs no confirmation (IMWG): an assessment without one is read
        # with the latest marrow before it (a CR is confirmed by a second negative
        # immunofixation, not by a second marrow).
        if marrow is None:
            marrow = last_marrow
        else:
            last_marrow = marrow
        response, not_measured = _response(a, baseline, m, marrow)
        reasons = _progression(a, before[-1], m)
        if reasons:
            last_marrow = None  # a marrow before a relapse says nothing about the one after
        d_now = _dflc(a.involved_flc_mg_l, a.uninvolved_flc_mg_l)
        d_base = (
            _dflc(baseline.involved_flc_mg_l, baseline.uninvolved_flc_mg_l) if baseline else None
        )
        results.append(
            AssessmentResult(
                date=a.date,
                category=Response.pd if reasons else response,
                response=response,
                progression=bool(reasons),
                progression_reasons=reasons,
                serum_reduction_pct=_pct(
                    _reduction(baseline.serum_m_g_dl if baseline else None, a.serum_m_g_dl)
                ),
                urine_reduction_pct=_pct(
                    _reduction(baseline.urine_m_mg_24h if baseline else None, a.urine_m_mg_24h)
                ),
                dflc_reduction_pct=_pct(_reduction(d_base, d_now)),
                dflc_mg_l=d_now,
                not_measured=not_measured,
            )
        )
        running.update(a.date, a)

    categories = [r.category for r in results]
    confirmed = _confirmed(categories)
    progression_confirmed = confirmed[Response.pd]
    latest = results[-1] if results else None

    if latest is None:
        status = Response.not_assessable
    elif latest.category is Response.pd or progression_confirmed:
        status = Response.pd
    else:
        status = latest.category
    progression_met = status is Response.pd

    levels = [r for r in results if r.category in _RANK]
    if levels:
        best = max(levels, key=lambda r: (_RANK[r.category], -r.date.toordinal()))
        best_response, best_date = best.category, best.date
    elif any(r.category is Response.pd for r in results):
        first_pd = next(r for r in results if r.category is Response.pd)
        best_response, best_date = Response.pd, first_pd.date
    else:
        best_response, best_date = Response.not_assessable, None
    best_confirmed = next((lvl for lvl in RESPONSE_ORDER if confirmed[lvl]), None)

    prog_reasons: tuple[str, ...] = ()
    prog_date: dt.date | None = None
    if progression_met:
        # The run of PD assessments that ends at the latest one, or the first confirmed pair.
        pd_runs = [r for r in results if r.progression]
        if latest is not None and latest.progression:
            j = len(results) - 1
            while j > 0 and results[j - 1].progression:
                j -= 1
            prog_date = results[j].date
            prog_reasons = tuple(
                dict.fromkeys(x for r in results[j:] for x in r.progression_reasons)
            )
        elif pd_runs:
            prog_date = pd_runs[0].date
            prog_reasons = tuple(dict.fromkeys(x for r in pd_runs for x in r.progression_reasons))

    precursor = myeloma.stage in MYELOMA_PRECURSOR_STAGES
    notes: list[str] = []
    if precursor:
        notes.append("precursor_stage")
    if not series:
        notes.append("empty_series")
    if baseline is None:
        notes.append("no_baseline")
    elif not m.any:
        notes.append("no_measurable_parameter")

    return MyelomaCourse(
        stage=myeloma.stage,
        baseline=baseline,
        series=series,
        assessments=tuple(results),
        measurable=m,
        parameter=_parameter(m, series),
        status=status,
        best_response=best_response,
        best_response_date=best_date,
        best_response_confirmed=confirmed.get(best_response, False),
        best_confirmed_response=best_confirmed,
        confirmed=confirmed,
        nadir_serum=running.serum,
        nadir_urine=running.urine,
        nadir_involved_flc=running.iflc,
        nadir_dflc=running.dflc,
        progression_threshold_serum_g_dl=(
            serum_progression_threshold(running.serum.value) if running.serum else None
        ),
        progression_threshold_urine_mg_24h=(
            urine_progression_threshold(running.urine.value) if running.urine else None
        ),
        progression_threshold_dflc_mg_l=(
            _dflc_progression_threshold(running.dflc.value)
            if running.dflc is not None and m.flc_only
            else None
        ),
        progression_met=progression_met,
        progression_confirmed=progression_confirmed,
        progression_reasons=prog_reasons,
        progression_date=prog_date,
        mrd_negative=myeloma.mrd_negative,
        paraprotein=_paraprotein_rise(series, before) if series else None,
        new_lesions_reported=any(a.new_lesions is True for a in series),
        notes=tuple(notes),
        line_start=line_start,
    )

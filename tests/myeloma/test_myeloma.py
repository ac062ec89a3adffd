"""IMWG response and progression, and the measured rise of the paraprotein that the relapse
rules of the knowledge base compare with their cut-offs (Kumar et al. 2016; SPEC §6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osteoboard.case import Myeloma
from osteoboard.caseio import load_case
from osteoboard.myeloma import (
    ParaproteinRise,
    Response,
    analyse,
    calendar_months,
    flc_ratio_normal,
    serum_progression_threshold,
    urine_progression_threshold,
)

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def mm(series: list[dict[str, Any]], **kw: Any) -> Myeloma:
    data: dict[str, Any] = {"stage": "active", "series": series}
    data.setdefault("baseline", {"serum_m_g_dl": 4.0, "urine_m_mg_24h": 50})
    data.update(kw)
    return Myeloma.model_validate(data)


def s(date: str, serum: float, **kw: Any) -> dict[str, Any]:
    return {"date": date, "serum_m_g_dl": serum, **kw}


# -------------------------------------------------------------------------------- thresholds


def test_progression_threshold_low_nadir_needs_half_gram() -> None:
    assert serum_progression_threshold(0.2) == pytest.approx(0.7)  # 0.5 g/dL dominates
    assert serum_progression_threshold(0.0) == pytest.approx(0.5)
    assert serum_progression_threshold(3.0) == pytest.approx(3.75)  # 25 % dominates


def test_progression_threshold_high_nadir_one_gram_suffices() -> None:
    # Nadir ≥ 5 g/dL: a rise of 1 g/dL is sufficient (IMWG), below 25 % of the nadir.
    assert serum_progression_threshold(5.0) == pytest.approx(6.0)
    assert serum_progression_threshold(6.0) == pytest.approx(7.0)
    assert serum_progression_threshold(4.9) == pytest.approx(6.125)


def test_urine_threshold() -> None:
    assert urine_progression_threshold(0) == 200
    assert urine_progression_threshold(1000) == 1250


def test_flc_ratio_with_unknown_chain() -> None:
    assert flc_ratio_normal(210, 12) is False
    assert flc_ratio_normal(12, 10) is True
    assert flc_ratio_normal(30, 10) is None  # abnormal for κ, normal for λ
    assert flc_ratio_normal(None, 10) is None


# -------------------------------------------------------------------------------- responses


@pytest.mark.parametrize(
    ("serum", "urine", "expected"),
    [
        (0.3, 50, Response.vgpr),  # 92.5 % and urine < 100
        (0.4, 50, Response.vgpr),  # exactly 90 %
        (0.3, 150, Response.pr),  # ≥ 90 % serum but urine ≥ 100
        (2.0, 50, Response.pr),  # exactly 50 %
        (2.1, 50, Response.mr),  # 47.5 %
        (3.0, 50, Response.mr),  # exactly 25 %
        (3.1, 50, Response.sd),  # 22.5 %
    ],
)
def test_serum_response_bands(serum: float, urine: float, expected: Response) -> None:
    c = analyse(mm([s("2025-01-01", serum, urine_m_mg_24h=urine)]))
    assert c.assessments[0].category is expected
    assert c.status is expected


def test_urine_measurable_pr_needs_90_percent_or_below_200() -> None:
    base = {"serum_m_g_dl": 4.0, "urine_m_mg_24h": 1000}
    pr = analyse(mm([s("2025-01-01", 1.6, urine_m_mg_24h=190)], baseline=base))
    assert pr.status is Response.pr
    mr = analyse(mm([s("2025-01-01", 1.6, urine_m_mg_24h=400)], baseline=base))
    assert mr.status is Response.mr  # urine 60 % reduction: MR level for urine
    sd = analyse(mm([s("2025-01-01", 1.6, urine_m_mg_24h=600)], baseline=base))
    assert sd.status is Response.sd  # urine only 40 % down


def test_urine_only_disease() -> None:
    base = {"serum_m_g_dl": 0.4, "urine_m_mg_24h": 800}
    c = analyse(
        mm(
            [
                {"date": "2025-01-01", "urine_m_mg_24h": 150},
                {"date": "2025-03-01", "urine_m_mg_24h": 60},
                {"date": "2025-05-01", "urine_m_mg_24h": 60},
            ],
            baseline=base,
        )
    )
    assert c.measurable.urine and not c.measurable.serum
    assert c.parameter == "urine"
    assert [a.category for a in c.assessments] == [Response.pr, Response.vgpr, Response.vgpr]
    assert c.best_response is Response.vgpr and c.best_response_confirmed


def test_urine_progression_needs_200_mg_absolute() -> None:
    base = {"urine_m_mg_24h": 800}
    near = analyse(
        mm(
            [
                {"date": "2025-01-01", "urine_m_mg_24h": 100},
                {"date": "2025-02-01", "urine_m_mg_24h": 299},
            ],
            baseline=base,
        )
    )
    assert not near.assessments[1].progression  # +199 mg, though +199 %
    met = analyse(
        mm(
            [
                {"date": "2025-01-01", "urine_m_mg_24h": 100},
                {"date": "2025-02-01", "urine_m_mg_24h": 300},
            ],
            baseline=base,
        )
    )
    assert met.assessments[1].progression_reasons == ("urine",)
    assert met.status is Response.pd
    assert met.progression_threshold_urine_mg_24h == 300


def test_vgpr_by_immunofixation_only() -> None:
    # Electrophoresis zero but immunofixation positive: VGPR, never CR, even with a clean marrow.
    c = analyse(
        mm(
            [
                s(
                    "2025-01-01",
                    0.0,
                    urine_m_mg_24h=0,
                    immunofixation_negative=False,
                    bm_plasma_cells_pct=1,
                )
            ]
        )
    )
    assert c.status is Response.vgpr
    cr = analyse(
        mm(
            [
                s(
                    "2025-01-01",
                    0.0,
                    urine_m_mg_24h=0,
                    immunofixation_negative=True,
                    bm_plasma_cells_pct=1,
                )
            ]
        )
    )
    assert cr.status is Response.cr


def test_cr_needs_marrow_and_scr_needs_ratio_and_clonality() -> None:
    neg = {"urine_m_mg_24h": 0, "immunofixation_negative": True}
    no_marrow = analyse(mm([s("2025-01-01", 0.0, **neg)]))
    assert no_marrow.status is Response.vgpr  # CR needs the marrow (< 5 %)
    marrow_high = analyse(mm([s("2025-01-01", 0.0, bm_plasma_cells_pct=6, **neg)]))
    assert marrow_high.status is Response.vgpr
    cr = analyse(mm([s("2025-01-01", 0.0, bm_plasma_cells_pct=4, **neg)]))
    assert cr.status is Response.cr
    scr = analyse(
        mm(
            [
                s(
                    "2025-01-01",
                    0.0,
                    bm_plasma_cells_pct=2,
                    flc_ratio_normal=True,
                    clonal_plasma_cells_absent=True,
                    **neg,
                )
            ]
        )
    )
    assert scr.status is Response.scr
    # Case-level marrow value counts for the latest assessment.
    latest = analyse(mm([s("2025-01-01", 0.0, **neg)], bm_plasma_cells_pct=3))
    assert latest.status is Response.cr


def test_cr_never_overrides_progression() -> None:
    # Immunofixation negative and a clean marrow, but new lesions: PD.
    c = analyse(
        mm(
            [
                s(
                    "2025-01-01",
                    0.0,
                    urine_m_mg_24h=0,
                    immunofixation_negative=True,
                    bm_plasma_cells_pct=2,
                    new_lesions=True,
                )
            ]
        )
    )
    a = c.assessments[0]
    assert a.response is Response.cr
    assert a.category is Response.pd
    assert c.status is Response.pd
    assert c.progression_reasons == ("new_lesions",)
    assert c.new_lesions_reported


def test_empty_series_is_not_assessable_never_sd() -> None:
    c = analyse(mm([]))
    assert c.status is Response.not_assessable
    assert c.best_response is Response.not_assessable
    assert c.assessments == ()
    assert not c.progression_met
    assert c.paraprotein is None  # nothing measured: no rise can be told
    assert c.progression_threshold_serum_g_dl == pytest.approx(5.0)  # from baseline 4.0


def test_no_baseline_responses_not_assessable_but_progression_counts() -> None:
    c = analyse(mm([s("2025-01-01", 1.0), s("2025-02-01", 1.2)], baseline=None))
    assert [a.category for a in c.assessments] == [Response.not_assessable] * 2
    assert c.status is Response.not_assessable
    later = analyse(mm([s("2025-01-01", 1.0), s("2025-02-01", 1.5)], baseline=None))
    assert later.status is Response.pd


# -------------------------------------------------------------------------------- light chains


LC_BASE = {
    "serum_m_g_dl": 0,
    "urine_m_mg_24h": 0,
    "involved_flc_mg_l": 850,
    "uninvolved_flc_mg_l": 10,
}


def flc(date: str, inv: float, uninv: float = 10, **kw: Any) -> dict[str, Any]:
    return {"date": date, "involved_flc_mg_l": inv, "uninvolved_flc_mg_l": uninv, **kw}


def test_light_chain_only_disease_uses_flc() -> None:
    # dFLC baseline 840 mg/L.
    c = analyse(
        mm(
            [
                flc("2025-01-01", 430),
                flc("2025-02-01", 90),
                flc("2025-03-01", 93),
                flc("2025-04-01", 500),
            ],
            baseline=LC_BASE,
        )
    )
    assert c.measurable.flc_only and c.parameter == "flc"
    # 420/840 = 50 % → PR; 80/840 → 90.5 % > 90 % → VGPR; 83 → 90.1 % → VGPR
    assert [a.category for a in c.assessments][:3] == [Response.pr, Response.vgpr, Response.vgpr]
    # Nadir dFLC 80; 490 − 80 = 410 > 100 mg/L and ≥ 25 % → PD by FLC.
    assert c.assessments[3].progression_reasons == ("flc",)
    assert c.status is Response.pd
    assert c.nadir_dflc is not None and c.nadir_dflc.value == 80
    assert c.best_response is Response.vgpr and c.best_response_confirmed


def test_flc_vgpr_needs_more_than_90_percent() -> None:
    c = analyse(mm([flc("2025-01-01", 94)], baseline=LC_BASE))  # dFLC 84: exactly 90 %
    assert c.status is Response.pr


def test_flc_progression_needs_more_than_100_mg_l() -> None:
    near = analyse(mm([flc("2025-01-01", 60), flc("2025-02-01", 160)], baseline=LC_BASE))
    assert not near.assessments[1].progression  # dFLC 50 → 150: +100, not > 100
    met = analyse(mm([flc("2025-01-01", 60), flc("2025-02-01", 161)], baseline=LC_BASE))
    assert met.assessments[1].progression


def test_flc_path_not_used_when_serum_measurable() -> None:
    base = {"serum_m_g_dl": 3.0, "involved_flc_mg_l": 850, "uninvolved_flc_mg_l": 10}
    c = analyse(
        mm(
            [
                s("2025-01-01", 1.0, involved_flc_mg_l=50, uninvolved_flc_mg_l=10),
                s("2025-02-01", 1.0, involved_flc_mg_l=400, uninvolved_flc_mg_l=10),
            ],
            baseline=base,
        )
    )
    assert not c.measurable.flc_only
    assert not c.assessments[1].progression


def test_flc_ratio_normal_needed_for_cr_in_light_chain_disease() -> None:
    neg = {"immunofixation_negative": True, "bm_plasma_cells_pct": 2}
    abn = analyse(mm([flc("2025-01-01", 30, 8, flc_ratio_normal=False, **neg)], baseline=LC_BASE))
    assert abn.status is Response.vgpr  # dFLC 22 → 97 % down, ratio abnormal: no CR
    ok = analyse(mm([flc("2025-01-01", 12, 10, **neg)], baseline=LC_BASE))
    assert ok.status is Response.cr


# -------------------------------------------------------------------------------- progression


def test_serum_progression_needs_25_percent_and_half_gram() -> None:
    near = analyse(mm([s("2025-01-01", 0.2), s("2025-02-01", 0.69)]))
    assert not near.progression_met and near.status is not Response.pd
    met = analyse(mm([s("2025-01-01", 0.2), s("2025-02-01", 0.7)]))
    assert met.progression_met and met.progression_reasons == ("serum",)
    # 25 % rule at a higher nadir: 3.0 → 3.7 is +0.7 but only 23 %.
    base = {"serum_m_g_dl": 8.0}
    rel = analyse(mm([s("2025-01-01", 3.0), s("2025-02-01", 3.7)], baseline=base))
    assert not rel.progression_met
    rel2 = analyse(mm([s("2025-01-01", 3.0), s("2025-02-01", 3.75)], baseline=base))
    assert rel2.progression_met


def test_high_nadir_one_gram_rule() -> None:
    base = {"serum_m_g_dl": 7.5}
    near = analyse(mm([s("2025-01-01", 5.2), s("2025-02-01", 6.1)], baseline=base))
    assert not near.progression_met  # +0.9 g/dL
    met = analyse(mm([s("2025-01-01", 5.2), s("2025-02-01", 6.2)], baseline=base))
    assert met.progression_met  # +1.0 g/dL = 19 %: enough from a nadir ≥ 5 g/dL
    assert met.nadir_serum is not None and met.nadir_serum.value == 5.2
    assert near.progression_threshold_serum_g_dl == pytest.approx(6.2)


def test_progression_unconfirmed_then_confirmed() -> None:
    one = analyse(mm([s("2025-01-01", 0.2), s("2025-03-01", 0.9)]))
    assert one.status is Response.pd
    assert one.progression_met and not one.progression_confirmed
    two = analyse(mm([s("2025-01-01", 0.2), s("2025-03-01", 0.9), s("2025-04-01", 1.0)]))
    assert two.progression_met and two.progression_confirmed
    assert two.progression_date is not None and two.progression_date.isoformat() == "2025-03-01"
    # A single spike followed by a value below the threshold is not progression.
    spike = analyse(mm([s("2025-01-01", 0.2), s("2025-03-01", 0.9), s("2025-04-01", 0.3)]))
    assert not spike.progression_met and spike.status is Response.vgpr
    # Once confirmed, pd stays even if a later value falls.
    after = analyse(
        mm([s("2025-01-01", 0.2), s("2025-03-01", 0.9), s("2025-04-01", 1.0), s("2025-06-01", 0.3)])
    )
    assert after.status is Response.pd


def test_marrow_progression_only_without_measurable_parameter() -> None:
    base = {"serum_m_g_dl": 0.3, "urine_m_mg_24h": 50}
    series = [
        {"date": "2025-01-01", "bm_plasma_cells_pct": 5},
        {"date": "2025-04-01", "bm_plasma_cells_pct": 15},
    ]
    c = analyse(mm(series, baseline=base))
    assert c.assessments[1].progression_reasons == ("marrow",)
    near = analyse(
        mm([series[0], {"date": "2025-04-01", "bm_plasma_cells_pct": 14}], baseline=base)
    )
    assert not near.assessments[1].progression
    measurable = analyse(
        mm(
            [
                s("2025-01-01", 1.0, bm_plasma_cells_pct=5),
                s("2025-04-01", 1.0, bm_plasma_cells_pct=20),
            ]
        )
    )
    assert not measurable.assessments[1].progression


def test_confirmation_flags_and_best_response() -> None:
    c = analyse(mm([s("2025-01-01", 1.5), s("2025-02-01", 0.3), s("2025-03-01", 1.2)]))
    # PR (62.5 %), VGPR (92.5 %), PR (70 %): PR confirmed, VGPR not.
    assert c.best_response is Response.vgpr
    assert not c.best_response_confirmed
    assert c.best_confirmed_response is Response.pr
    assert c.confirmed[Response.pr] and not c.confirmed[Response.vgpr]
    assert c.nadir_serum is not None and c.nadir_serum.date is not None
    assert c.nadir_serum.date.isoformat() == "2025-02-01"
    # 0.3 → 1.2: +0.9 g/dL and 300 %: PD at the third assessment.
    assert c.status is Response.pd


def test_mrd_reported_separately() -> None:
    c = analyse(mm([s("2025-01-01", 0.3)], mrd_negative=True))
    assert c.mrd_negative is True
    assert c.status is Response.vgpr


# ---------------------------------------------------------- the paraprotein's rise (measured only)


def rise(series: list[dict[str, Any]], **kw: Any) -> ParaproteinRise:
    r = analyse(mm(series, **kw)).paraprotein
    assert r is not None
    return r


def test_calendar_months() -> None:
    d = __import__("datetime").date
    assert calendar_months(d(2025, 3, 1), d(2025, 5, 1)) == 2.0
    assert calendar_months(d(2025, 1, 1), d(2025, 3, 1)) == 2.0  # 59 days, still 2 months
    assert calendar_months(d(2025, 1, 31), d(2025, 3, 31)) == 2.0
    assert 1.9 < calendar_months(d(2025, 1, 31), d(2025, 3, 30)) < 2.0
    assert 2.0 < calendar_months(d(2025, 3, 1), d(2025, 5, 2)) < 2.1
    assert calendar_months(d(2025, 3, 1), d(2025, 3, 1)) == 0.0


def test_stable_values_show_no_rise() -> None:
    r = rise([s("2025-01-01", 0.2), s("2025-03-01", 0.6), s("2025-04-01", 0.65)])
    # (0.6, 0.65) both above the nadir 0.2: the smaller rise, 0.4 g/dL, is sustained.
    assert r.serum_sustained_rise_g_dl == pytest.approx(0.4)
    assert r.urine_sustained_rise_mg_24h == 0.0 and r.involved_flc_sustained_rise_mg_l == 0.0
    # 0.2 -> 0.6 tripled, but from below 0.5 g/dL (the rules decide what counts).
    assert r.serum_doubling_reference_g_dl == pytest.approx(0.2)
    assert r.serum_doubling_months == 2.0


def test_sustained_rise_counts_the_smaller_of_two_consecutive_values() -> None:
    twice = rise([s("2025-01-01", 0.2), s("2025-05-01", 1.2), s("2025-09-01", 1.3)])
    assert twice.serum_sustained_rise_g_dl == pytest.approx(1.0)  # 1.2 − 0.2, exact
    once = rise([s("2025-01-01", 0.2), s("2025-05-01", 1.1), s("2025-09-01", 1.2)])
    assert once.serum_sustained_rise_g_dl == pytest.approx(0.9)
    # A rise long ago still counts: any two consecutive measurements (IMWG).
    later_fall = rise(
        [s("2025-01-01", 0.2), s("2025-05-01", 1.4), s("2025-09-01", 1.3), s("2026-01-01", 0.3)]
    )
    assert later_fall.serum_sustained_rise_g_dl == pytest.approx(1.1)


def test_doubling_reference_and_interval() -> None:
    fast = rise([s("2025-01-01", 0.3), s("2025-03-01", 0.6), s("2025-05-01", 1.2)])
    # Two doublings (0.3 -> 0.6, 0.6 -> 1.2): the one from the larger value is reported.
    assert (fast.serum_doubling_reference_g_dl, fast.serum_doubling_months) == (0.6, 2.0)
    slow = rise([s("2025-01-01", 0.3), s("2025-03-01", 0.6), s("2025-06-01", 1.2)])
    assert (slow.serum_doubling_reference_g_dl, slow.serum_doubling_months) == (0.6, 3.0)
    none = rise([s("2025-01-01", 0.3), s("2025-03-01", 0.5), s("2025-05-01", 0.9)])
    assert (none.serum_doubling_reference_g_dl, none.serum_doubling_months) == (0.0, 0.0)
    # Equal starting values: the shorter interval is reported.
    tie = rise(
        [s("2025-01-01", 0.6), s("2025-04-01", 1.2), s("2025-05-01", 0.6), s("2025-06-01", 1.2)]
    )
    assert (tie.serum_doubling_reference_g_dl, tie.serum_doubling_months) == (0.6, 1.0)


def test_urine_and_flc_rise() -> None:
    base = {"urine_m_mg_24h": 2000}
    u = [
        {"date": "2025-01-01", "urine_m_mg_24h": 100},
        {"date": "2025-04-01", "urine_m_mg_24h": 600},
        {"date": "2025-07-01", "urine_m_mg_24h": 650},
    ]
    assert rise(u, baseline=base).urine_sustained_rise_mg_24h == pytest.approx(500)
    f = [flc("2025-01-01", 40), flc("2025-04-01", 240), flc("2025-07-01", 260)]
    r = rise(f, baseline=LC_BASE)
    assert r.involved_flc_sustained_rise_mg_l == pytest.approx(200)
    assert r.involved_flc_sustained_rise_pct == pytest.approx(500)
    # A normal ratio at either measurement does not count (ratio 1.0 at 240/240).
    normal = [flc("2025-01-01", 40), flc("2025-04-01", 240, 240), flc("2025-07-01", 260)]
    assert rise(normal, baseline=LC_BASE).involved_flc_sustained_rise_mg_l == 0.0
    # Of two pairs over the nadir 40 (100/260: 60 mg/L, 260/280: 220 mg/L) the larger is
    # reported, with its share of the nadir.
    two = [
        flc("2025-01-01", 40),
        flc("2025-04-01", 100),
        flc("2025-07-01", 260),
        flc("2025-10-01", 280),
    ]
    r2 = rise(two, baseline=LC_BASE)
    assert r2.involved_flc_sustained_rise_mg_l == pytest.approx(220)
    assert r2.involved_flc_sustained_rise_pct == pytest.approx(550)


def test_new_lesions_reported_from_any_assessment() -> None:
    c = analyse(mm([s("2025-01-01", 0.3, new_lesions=True), s("2025-03-01", 0.3)]))
    assert c.new_lesions_reported
    assert not analyse(mm([s("2025-01-01", 0.3, new_lesions=False)])).new_lesions_reported


# -------------------------------------------------------------------------------- demo case


def test_example_09_by_hand() -> None:
    """Baseline serum 3.2 g/dL, urine 400 mg/24 h (both measurable), FLC 210/12.

    2025-06-01: serum 0.2 (−93.75 %), urine 0 (< 100) → VGPR; immunofixation positive → no CR.
    2026-06-01: serum 0.5 (−84.4 %), urine not measured → PR; +0.3 from the nadir 0.2 → no PD.
    2026-09-01: serum 0.8: +0.6 g/dL (≥ 0.5) and +300 % (≥ 25 %) from the nadir → PD.
    PD once, so unconfirmed; best response VGPR (once: unconfirmed), PR confirmed
    (2025-06-01 VGPR ≥ PR and 2026-06-01 PR). Threshold from nadir 0.2: 0.2 + 0.5 = 0.7 g/dL.
    The only doubling (0.2 → 0.5) starts below 0.5 g/dL and took 12 months; the sustained rise
    is 0.3 g/dL (0.5 and 0.8 over the nadir 0.2). What that means for treatment is decided by
    the knowledge base (tests/myeloma/test_relapse_rules.py: close monitoring).
    """
    case = load_case(EXAMPLES / "09-myeloma-relapse.yaml")
    assert case.myeloma is not None
    c = analyse(case.myeloma)
    assert [a.category for a in c.assessments] == [Response.vgpr, Response.pr, Response.pd]
    assert c.assessments[0].serum_reduction_pct == pytest.approx(93.8)
    assert c.assessments[1].not_measured == ("urine",)
    assert c.status is Response.pd
    assert c.best_response is Response.vgpr and not c.best_response_confirmed
    assert c.best_confirmed_response is Response.pr
    assert c.nadir_serum is not None and c.nadir_serum.value == 0.2
    assert c.nadir_serum.date is not None and c.nadir_serum.date.isoformat() == "2025-06-01"
    assert c.nadir_urine is not None and c.nadir_urine.value == 0
    assert c.progression_threshold_serum_g_dl == pytest.approx(0.7)
    assert c.progression_met and not c.progression_confirmed
    assert c.progression_reasons == ("serum",)
    # No doubling from 0.5 g/dL or more, no rise of 1 g/dL: the rules call it close monitoring.
    assert c.paraprotein == ParaproteinRise(0.3, 0.0, 0.0, 0.0, 0.2, 12.0)
    assert not c.new_lesions_reported
    assert c.mrd_negative is None


def test_a_cr_is_confirmed_by_a_second_negative_immunofixation_without_a_second_marrow() -> None:
    """IMWG: bone-marrow assessments need not be confirmed; the marrow of the first CR
    assessment stands for the second."""
    negative = {"urine_m_mg_24h": 0, "immunofixation_negative": True}
    course = analyse(
        mm(
            [
                s("2025-01-01", 0.0, bm_plasma_cells_pct=1, **negative),
                s("2025-04-01", 0.0, **negative),
            ]
        )
    )
    assert [a.category for a in course.assessments] == [Response.cr, Response.cr]
    assert course.best_response is Response.cr and course.best_response_confirmed
    # without any marrow result there is no CR (the VGPR stands)
    no_marrow = analyse(mm([s("2025-01-01", 0.0, **negative), s("2025-04-01", 0.0, **negative)]))
    assert no_marrow.best_response is Response.vgpr
    # a later marrow of 10 % ends the CR (it replaces the earlier one)
    later = analyse(
        mm(
            [
                s("2025-01-01", 0.0, bm_plasma_cells_pct=1, **negative),
                s("2025-04-01", 0.0, bm_plasma_cells_pct=10, **negative),
            ]
        )
    )
    assert later.assessments[1].category is not Response.cr


def test_a_marrow_before_a_relapse_is_not_carried_past_it() -> None:
    negative = {"urine_m_mg_24h": 0, "immunofixation_negative": True}
    course = analyse(
        mm(
            [
                s("2019-01-01", 0.0, bm_plasma_cells_pct=2, **negative),
                s("2021-01-01", 1.5),  # relapse
                s("2025-01-01", 0.0, **negative),
                s("2025-04-01", 0.0, **negative),
            ]
        )
    )
    assert course.assessments[1].category is Response.pd
    assert [a.category for a in course.assessments[2:]] == [Response.vgpr, Response.vgpr]

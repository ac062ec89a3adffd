"""Cockcroft–Gault creatinine clearance and CKD-EPI 2021 eGFR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from osteoboard.case import Case, Sex
from osteoboard.scores.base import ScoreItem, corner_bounds, plausible_range, value_result
from osteoboard.scores.renal import (
    CRCL_SPEC,
    EGFR_SPEC,
    CockcroftGaultInput,
    EgfrInput,
    crcl_cockcroft_gault,
    egfr_category,
    egfr_ckd_epi_2021,
)

_VEC = Path(__file__).parent.parent / "vectors"
CG_VECTORS = yaml.safe_load((_VEC / "crcl_cockcroft_gault.yaml").read_text())
EGFR_VECTORS = yaml.safe_load((_VEC / "egfr_ckd_epi_2021.yaml").read_text())


@pytest.mark.parametrize("vector", CG_VECTORS["vectors"], ids=lambda v: v["id"])
def test_cg_vectors(vector: dict[str, Any]) -> None:
    r = crcl_cockcroft_gault(CockcroftGaultInput(**vector["input"]))
    for key, want in vector["expect"].items():
        got = list(r.range) if key == "range" and r.range else getattr(r, key)
        assert got == want, key
    assert r.unit == "mL/min"
    assert r.source == "cockcroft1976"


@pytest.mark.parametrize("vector", EGFR_VECTORS["vectors"], ids=lambda v: v["id"])
def test_egfr_vectors(vector: dict[str, Any]) -> None:
    r = egfr_ckd_epi_2021(EgfrInput(**vector["input"]))
    assert r.total == pytest.approx(vector["expect"]["total"], abs=vector["tolerance"])
    assert r.category == vector["expect"]["category"]
    assert r.unit == "mL/min/1.73 m²"


def test_cg_notes_actual_body_weight_and_conversion() -> None:
    r = crcl_cockcroft_gault(
        CockcroftGaultInput(age=60, sex="male", weight_kg=70, creatinine_umol_l=88.42)
    )
    assert any("actual body weight" in n.en for n in r.notes)
    assert any("1.0 mg/dL" in n.en and "88.42" in n.en for n in r.notes)
    # The weight note is there even when nothing can be calculated.
    assert any(
        "actual body weight" in n.en for n in crcl_cockcroft_gault(CockcroftGaultInput()).notes
    )


def test_cg_female_is_85_percent() -> None:
    kw: dict[str, Any] = {"age": 50, "weight_kg": 72, "creatinine_umol_l": 150}
    m = crcl_cockcroft_gault(CockcroftGaultInput(sex="male", **kw)).total
    f = crcl_cockcroft_gault(CockcroftGaultInput(sex="female", **kw)).total
    assert isinstance(m, float | int) and isinstance(f, float | int)
    assert f == pytest.approx(m * 0.85, abs=0.1)


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (120, "g1"),
        (90, "g1"),
        (89.9, "g2"),
        (60, "g2"),
        (59.9, "g3a"),
        (45, "g3a"),
        (44.9, "g3b"),
        (30, "g3b"),
        (29.9, "g4"),
        (15, "g4"),
        (14.9, "g5"),
        (3, "g5"),
    ],
)
def test_kdigo_boundaries(value: float, category: str) -> None:
    assert egfr_category(value) == category


def test_sex_unknown_gives_range_of_both_sexes() -> None:
    for age, creat in [(55, 106.1), (30, 50.0), (80, 300.0)]:
        r = egfr_ckd_epi_2021(EgfrInput(age=age, creatinine_umol_l=creat))
        by_sex = [
            egfr_ckd_epi_2021(EgfrInput(age=age, sex=s, creatinine_umol_l=creat)).total for s in Sex
        ]
        assert r.total is None
        assert r.assessable is True
        assert r.range == (min(by_sex), max(by_sex))  # type: ignore[type-var]
        assert r.missing == ["sex"]
        cats = {egfr_category(v) for v in by_sex}  # type: ignore[arg-type]
        assert (r.category is not None) == (len(cats) == 1)
        assert set(r.possible_categories) == cats


def test_sex_unknown_category_kept_when_both_agree() -> None:
    r = egfr_ckd_epi_2021(EgfrInput(age=30, creatinine_umol_l=50))
    assert r.category == "g1"
    assert r.interpretation is not None


def test_sex_unknown_category_null_when_they_differ() -> None:
    r = egfr_ckd_epi_2021(EgfrInput(age=55, creatinine_umol_l=106.104))
    assert r.range == (53.5, 71.4)
    assert r.category is None
    assert r.possible_categories == ["g2", "g3a"]


def test_cg_sex_unknown_range() -> None:
    r = crcl_cockcroft_gault(CockcroftGaultInput(age=60, weight_kg=70, creatinine_umol_l=88.42))
    assert r.range == (66.1, 77.8)
    assert r.total is None and r.category is None


@pytest.mark.parametrize(
    ("inp", "missing"),
    [
        ({}, ["age", "sex", "weight_kg", "creatinine_umol_l"]),
        ({"age": 60, "sex": "male", "weight_kg": 70}, ["creatinine_umol_l"]),
        ({"sex": "female", "creatinine_umol_l": 80}, ["age", "weight_kg"]),
        ({"sex": "female", "weight_kg": 70, "creatinine_umol_l": 80}, ["age"]),
    ],
)
def test_cg_other_missing_not_assessable(inp: dict[str, Any], missing: list[str]) -> None:
    r = crcl_cockcroft_gault(CockcroftGaultInput(**inp))
    assert r.assessable is False
    assert r.total is None and r.range is None
    assert r.missing == missing
    assert r.interpretation is not None
    assert all(m in r.interpretation.en for m in missing)


def test_cg_weight_unknown_is_the_range_over_the_plausible_weights() -> None:
    # The interval comes from the knowledge base, like albumin for corrected calcium.
    assert plausible_range("patient.weight_kg") == (40, 150)
    inp = {"age": 70, "sex": "male", "creatinine_umol_l": 565.888}  # 6.4 mg/dL
    r = crcl_cockcroft_gault(CockcroftGaultInput(**inp))
    at = [crcl_cockcroft_gault(CockcroftGaultInput(**inp, weight_kg=w)).total for w in (40, 150)]
    assert r.assessable and r.total is None
    assert r.range == tuple(at) == (6.1, 22.8)
    assert r.missing == ["weight_kg"]
    assert r.interpretation is not None and "40–150 kg" in r.interpretation.en
    assert any("Gewicht fehlt" in n.de for n in r.notes)
    # Heavier means a higher clearance: a known weight lies inside the range.
    mid = crcl_cockcroft_gault(CockcroftGaultInput(**inp, weight_kg=90)).total
    assert isinstance(mid, float) and 6.1 < mid < 22.8


def test_cg_weight_and_sex_unknown_span_both_corners() -> None:
    r = crcl_cockcroft_gault(CockcroftGaultInput(age=60, creatinine_umol_l=88.42))
    woman_40 = crcl_cockcroft_gault(
        CockcroftGaultInput(age=60, sex="female", weight_kg=40, creatinine_umol_l=88.42)
    ).total
    man_150 = crcl_cockcroft_gault(
        CockcroftGaultInput(age=60, sex="male", weight_kg=150, creatinine_umol_l=88.42)
    ).total
    assert r.range == (woman_40, man_150)
    assert r.missing == ["sex", "weight_kg"]
    assert r.interpretation is not None and "female to male" in r.interpretation.en


def test_corner_bounds_takes_every_combination() -> None:
    lo, hi = corner_bounds(lambda a, b: a - b, a=[1, 5], b=[0, 3])
    assert (lo, hi) == (-2, 5)
    assert corner_bounds(lambda a: a * 2, a=[4]) == (8, 8)


@pytest.mark.parametrize(
    ("inp", "missing"),
    [
        ({}, ["age", "sex", "creatinine_umol_l"]),
        ({"sex": "male", "age": 40}, ["creatinine_umol_l"]),
    ],
)
def test_egfr_other_missing_not_assessable(inp: dict[str, Any], missing: list[str]) -> None:
    r = egfr_ckd_epi_2021(EgfrInput(**inp))
    assert r.assessable is False
    assert r.missing == missing


def test_from_case_paths_and_conventional_creatinine() -> None:
    case = Case.model_validate(
        {
            "id": "r1",
            "patient": {"age": 70, "sex": "male", "weight_kg": 80},
            "labs": {"creatinine_mg_dl": 0.8},
        }
    )
    (egfr,) = EGFR_SPEC.run(case)
    assert egfr.total == pytest.approx(95.2, abs=0.05)
    (cg,) = CRCL_SPEC.run(case)
    # (140 - 70) x 80 / (72 x 0.8) = 97.2
    assert cg.total == pytest.approx(97.2, abs=0.05)
    (partial,) = CRCL_SPEC.run(Case.model_validate({"id": "r2", "patient": {"age": 70}}))
    assert partial.missing == ["patient.sex", "patient.weight_kg", "labs.creatinine_umol_l"]
    (sexless,) = EGFR_SPEC.run(
        Case.model_validate({"id": "r3", "patient": {"age": 70}, "labs": {"creatinine_umol_l": 80}})
    )
    assert sexless.missing == ["patient.sex"]
    assert sexless.range is not None and sexless.total is None


@pytest.mark.parametrize(
    "bad",
    [
        {"age": 10},
        {"age": 130},
        {"weight_kg": 5},
        {"creatinine_umol_l": 0},
        {"sex": "x"},
        {"bmi": 2},
    ],
)
def test_invalid_values_raise(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CockcroftGaultInput(**bad)


def test_value_result_bounds_is_backwards_compatible() -> None:
    items = [ScoreItem(name="x", label={"de": "x", "en": "x"}, value=1, points=None, possible=[])]  # type: ignore[arg-type]
    plain = value_result(name="v", value=1.23, unit="u", items=items, source="s", missing=[])
    assert plain.total == 1.2 and plain.range == (1.2, 1.2)
    ranged = value_result(
        name="v", value=None, unit="u", items=items, source="s", missing=["sex"], bounds=(5.04, 2.0)
    )
    assert ranged.total is None and ranged.range == (2, 5) and ranged.assessable
    assert ranged.interpretation is not None and "sex" in ranged.interpretation.en
    with pytest.raises(ValueError):
        value_result(
            name="v", value=1.0, unit="u", items=items, source="s", missing=[], bounds=(1, 2)
        )


# -- hypothesis -------------------------------------------------------------------------------

ages = st.integers(min_value=18, max_value=120)
creatinine = st.floats(min_value=18, max_value=2999, allow_nan=False)
weights = st.floats(min_value=20.5, max_value=350, allow_nan=False)
sexes = st.sampled_from(list(Sex))


@settings(max_examples=200, deadline=None)
@given(ages, sexes, weights, creatinine, creatinine)
def test_monotone_in_creatinine(age: int, sex: Sex, weight: float, c1: float, c2: float) -> None:
    lo, hi = sorted((c1, c2))
    cg = [
        crcl_cockcroft_gault(
            CockcroftGaultInput(age=age, sex=sex, weight_kg=weight, creatinine_umol_l=c)
        ).total
        for c in (lo, hi)
    ]
    eg = [
        egfr_ckd_epi_2021(EgfrInput(age=age, sex=sex, creatinine_umol_l=c)).total for c in (lo, hi)
    ]
    assert cg[0] >= cg[1]  # type: ignore[operator]
    assert eg[0] >= eg[1]  # type: ignore[operator]
    assert eg[1] > 0 and cg[1] >= 0  # type: ignore[operator]

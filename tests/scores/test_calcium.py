"""Albumin-corrected calcium (Payne 1973): formula vectors, category limits, adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from osteoboard.case import Case
from osteoboard.scores.base import plausible_range
from osteoboard.scores.calcium import (
    SPEC,
    CorrectedCalciumInput,
    calcium_category,
    corrected_calcium,
    corrected_calcium_mmol_l,
)

VECTORS = yaml.safe_load(
    (Path(__file__).parent.parent / "vectors" / "corrected_calcium.yaml").read_text()
)


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["id"])
def test_vectors(vector: dict[str, Any]) -> None:
    r = corrected_calcium(CorrectedCalciumInput(**vector["input"]))
    assert r.total == pytest.approx(vector["expect"]["total"], abs=1e-9)
    assert r.category == vector["expect"]["category"]
    assert r.range == (r.total, r.total)
    assert r.unit == "mmol/L"


def test_formula() -> None:
    assert corrected_calcium_mmol_l(2.2, 40) == pytest.approx(2.2)
    assert corrected_calcium_mmol_l(2.2, 30) == pytest.approx(2.4)
    assert corrected_calcium_mmol_l(2.2, 50) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (2.09, "hypocalcemia"),
        (2.10, "normal"),
        (2.60, "normal"),
        (2.61, "mild"),
        (2.99, "mild"),
        (3.0, "moderate"),
        (3.49, "moderate"),
        (3.5, "severe"),
    ],
)
def test_category_boundaries(value: float, category: str) -> None:
    assert calcium_category(value) == category


@pytest.mark.parametrize(
    ("inp", "missing"),
    [
        ({}, ["calcium_mmol_l", "albumin_g_l"]),
        ({"albumin_g_l": 30}, ["calcium_mmol_l"]),
    ],
)
def test_missing_is_not_assessable(inp: dict[str, float], missing: list[str]) -> None:
    r = corrected_calcium(CorrectedCalciumInput(**inp))
    assert r.assessable is False
    assert r.total is None and r.range is None and r.category is None
    assert r.missing == missing


@pytest.mark.parametrize(
    ("total", "low", "high", "categories"),
    [
        (3.45, 3.15, 3.95, ["moderate", "severe"]),  # an emergency for every plausible albumin
        (2.9, 2.6, 3.4, ["normal", "mild", "moderate"]),
        (2.2, 1.9, 2.7, ["hypocalcemia", "normal", "mild"]),
    ],
)
def test_total_calcium_without_albumin_bounds_the_corrected_value(
    total: float, low: float, high: float, categories: list[str]
) -> None:
    # Albumin 55 g/L lowers the total by 0.3 mmol/L, albumin 15 g/L raises it by 0.5 (the
    # plausible albumin interval of the knowledge base).
    assert plausible_range("labs.albumin_g_l") == (15, 55)
    r = corrected_calcium(CorrectedCalciumInput(calcium_mmol_l=total))
    assert r.assessable and r.total is None
    assert r.range == pytest.approx((low, high))
    assert r.possible_categories == categories
    assert r.category is None and r.missing == ["albumin_g_l"]


def test_from_case_with_conventional_units() -> None:
    case = Case.model_validate({"id": "c1", "labs": {"calcium_mg_dl": 12.0, "albumin_g_dl": 3.0}})
    (r,) = SPEC.run(case)
    # 12.0 mg/dL / 4.008 = 2.994 mmol/L; + 0.02 x (40 - 30) = 3.19 mmol/L
    assert r.total == pytest.approx(3.19)
    assert r.category == "moderate"


def test_from_case_missing_paths() -> None:
    (r,) = SPEC.run(Case.model_validate({"id": "c2", "labs": {"calcium_mmol_l": 2.5}}))
    assert r.missing == ["labs.albumin_g_l"]


@pytest.mark.parametrize("bad", [{"calcium_mmol_l": 0.2}, {"albumin_g_l": 90}, {"x": 1}])
def test_invalid_values_raise(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        CorrectedCalciumInput(**bad)


@pytest.mark.parametrize(
    ("ionized", "low", "high", "categories"),
    [
        # Above 1.30 mmol/L a hypercalcaemia whose severity the ionised value does not give.
        (1.45, 2.61, 5.0, ["mild", "moderate", "severe"]),
        (1.31, 2.61, 5.0, ["mild", "moderate", "severe"]),
        (1.30, 2.10, 2.60, ["normal"]),
        (1.15, 2.10, 2.60, ["normal"]),
        (1.14, 1.0, 2.09, ["hypocalcemia"]),
    ],
)
def test_an_ionised_calcium_gives_the_category_of_the_corrected_one(
    ionized: float, low: float, high: float, categories: list[str]
) -> None:
    r = corrected_calcium(CorrectedCalciumInput(ionized_mmol_l=ionized))
    assert r.assessable and r.total is None
    assert r.range == pytest.approx((low, high))
    assert r.possible_categories == categories
    assert r.category == (categories[0] if len(categories) == 1 else None)
    assert r.missing == ["calcium_mmol_l", "albumin_g_l"]  # they give the severity


def test_an_ionised_calcium_narrows_a_total_measured_without_albumin() -> None:
    # Total 2.9 without albumin spans normal to moderate; a normal ionised calcium says normal.
    r = corrected_calcium(CorrectedCalciumInput(calcium_mmol_l=2.9, ionized_mmol_l=1.22))
    assert r.range == pytest.approx((2.6, 2.6)) and r.category == "normal"
    # A high ionised calcium: the hypercalcaemic part of the total's range.
    high = corrected_calcium(CorrectedCalciumInput(calcium_mmol_l=2.9, ionized_mmol_l=1.5))
    assert high.range == pytest.approx((2.61, 3.4))
    assert high.possible_categories == ["mild", "moderate"]
    # With albumin the corrected total is calculated (Payne), the ionised value is shown.
    both = corrected_calcium(
        CorrectedCalciumInput(calcium_mmol_l=2.9, albumin_g_l=30, ionized_mmol_l=1.22)
    )
    assert both.total == pytest.approx(3.1) and both.category == "moderate"
    assert [i.name for i in both.items][-1] == "ionized_mmol_l"


def test_a_corrected_calcium_the_laboratory_reports_stands_without_total_and_albumin() -> None:
    r = corrected_calcium(CorrectedCalciumInput(reported_corrected_mmol_l=3.05))
    assert r.total == pytest.approx(3.05) and r.category == "moderate" and r.missing == []
    assert "wie vom Labor berichtet" in r.notes[0].de
    # Total and albumin measured: osteoboard corrects them itself (SPEC 2.8).
    own = corrected_calcium(
        CorrectedCalciumInput(calcium_mmol_l=2.5, albumin_g_l=40, reported_corrected_mmol_l=3.05)
    )
    assert own.total == pytest.approx(2.5) and own.category == "normal"


def test_from_case_reads_ionised_and_reported_values_in_either_unit() -> None:
    case = Case.model_validate({"id": "c3", "labs": {"calcium_ionized_mg_dl": 6.0}})
    (r,) = SPEC.run(case)
    # 6.0 mg/dL / 4.008 = 1.50 mmol/L ionised: hypercalcaemia
    assert case.labs.calcium_ionized_mmol_l == pytest.approx(1.497, abs=1e-3)
    assert r.possible_categories == ["mild", "moderate", "severe"]
    reported = Case.model_validate({"id": "c4", "labs": {"calcium_corrected_mmol_l": 2.4}})
    (r,) = SPEC.run(reported)
    assert r.total == pytest.approx(2.4) and r.category == "normal"

"""ECOG ↔ Karnofsky ranges (Buccheri 1996 common table, SPEC §2.8)."""

from __future__ import annotations

import pytest

from osteoboard import performance
from osteoboard.performance import (
    CONVERSION_NOTE,
    ECOG_TO_KARNOFSKY,
    ecog_range_from_karnofsky,
    karnofsky_range_from_ecog,
)

SPEC_TABLE = {0: (90, 100), 1: (70, 80), 2: (50, 60), 3: (30, 40), 4: (10, 20)}


def test_table_matches_spec() -> None:
    assert ECOG_TO_KARNOFSKY == SPEC_TABLE


@pytest.mark.parametrize(("ecog", "kps"), list(SPEC_TABLE.items()))
def test_karnofsky_from_ecog(ecog: int, kps: tuple[int, int]) -> None:
    assert karnofsky_range_from_ecog(ecog) == kps


@pytest.mark.parametrize("kps", range(10, 101, 10))
def test_ecog_from_karnofsky_is_inverse(kps: int) -> None:
    ecogs = ecog_range_from_karnofsky(kps)
    assert len(ecogs) == 1
    assert kps in karnofsky_range_from_ecog(ecogs[0])


def test_karnofsky_zero_has_no_ecog_grade() -> None:
    assert ecog_range_from_karnofsky(0) == ()


@pytest.mark.parametrize("bad", [-1, 5, 10])
def test_invalid_ecog(bad: int) -> None:
    with pytest.raises(ValueError):
        karnofsky_range_from_ecog(bad)


@pytest.mark.parametrize("bad", [-10, 55, 110, 5])
def test_invalid_karnofsky(bad: int) -> None:
    with pytest.raises(ValueError):
        ecog_range_from_karnofsky(bad)


def test_conversion_is_named() -> None:
    assert "Buccheri" in CONVERSION_NOTE.en and "Buccheri" in CONVERSION_NOTE.de


@pytest.mark.parametrize(
    ("ecog", "karnofsky", "expected"),
    [
        (1, 40, True),  # KPS 40 is ECOG 3
        (1, 60, False),  # one grade apart: a conversion difference
        (0, 70, False),
        (4, 80, True),
        (2, 20, True),
        (3, 0, False),  # KPS 0 reads below every grade (4)
        (None, 40, False),
        (1, None, False),
    ],
)
def test_a_conflict_is_two_grades_apart(
    ecog: int | None, karnofsky: int | None, expected: bool
) -> None:
    from osteoboard.guideline import load_knowledge_base

    grades = int(load_knowledge_base().constants["performance_conflict_grades"])
    assert performance.conflicting(ecog, karnofsky, grades) is expected

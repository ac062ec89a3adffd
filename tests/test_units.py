"""Unit conversions: round trips, conventional-unit lab input, disagreeing spellings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from osteoboard import units
from osteoboard.case import Labs

PAIRS = [
    (units.creatinine_umol_l_to_mg_dl, units.creatinine_mg_dl_to_umol_l),
    (units.calcium_mmol_l_to_mg_dl, units.calcium_mg_dl_to_mmol_l),
]
positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("forward", "back"), PAIRS)
@given(x=positive)
def test_round_trips(forward: Any, back: Any, x: float) -> None:
    assert back(forward(x)) == pytest.approx(x, rel=1e-12)
    assert forward(back(x)) == pytest.approx(x, rel=1e-12)


@pytest.mark.parametrize(("conv_name", "spec"), list(units.CONVENTIONAL_LAB_FIELDS.items()))
@given(x=st.floats(min_value=0.5, max_value=5.0, allow_nan=False))
def test_every_conventional_field_round_trips_through_normalise(
    conv_name: str, spec: tuple[str, Any], x: float
) -> None:
    si_name, convert = spec
    out = units.normalise_labs({conv_name: x})
    assert conv_name not in out
    assert out[si_name] == pytest.approx(convert(x), abs=1e-4)


@pytest.mark.parametrize(
    ("conv", "si", "value", "expected"),
    [
        ("creatinine_mg_dl", "creatinine_umol_l", 1.0, 88.42),
        ("calcium_mg_dl", "calcium_mmol_l", 10.0, 2.495),
        ("albumin_g_dl", "albumin_g_l", 3.5, 35.0),
        ("bilirubin_mg_dl", "bilirubin_umol_l", 1.0, 17.104),
        ("crp_mg_dl", "crp_mg_l", 0.4, 4.0),
    ],
)
def test_known_factors(conv: str, si: str, value: float, expected: float) -> None:
    assert units.normalise_labs({conv: value})[si] == pytest.approx(expected, abs=1e-3)


def test_conventional_lab_input_converts() -> None:
    labs = Labs(calcium_mg_dl=10.4)  # type: ignore[call-arg]
    assert labs.calcium_mmol_l == pytest.approx(10.4 / 4.008, abs=1e-4)
    labs = Labs.model_validate({"creatinine_mg_dl": 1.2, "albumin_g_dl": 3.0})
    assert labs.creatinine_umol_l == pytest.approx(106.104, abs=1e-3)
    assert labs.albumin_g_l == pytest.approx(30.0)


def test_agreeing_spellings_pass() -> None:
    labs = Labs.model_validate({"calcium_mg_dl": 10.0, "calcium_mmol_l": 2.5})
    assert labs.calcium_mmol_l == 2.5


@pytest.mark.parametrize(
    ("conv", "si", "conv_value", "si_value"),
    [
        ("calcium_mg_dl", "calcium_mmol_l", 10.4, 2.0),
        ("creatinine_mg_dl", "creatinine_umol_l", 1.0, 120.0),
        ("albumin_g_dl", "albumin_g_l", 3.0, 40.0),
        ("bilirubin_mg_dl", "bilirubin_umol_l", 2.0, 10.0),
        ("crp_mg_dl", "crp_mg_l", 1.0, 3.0),
    ],
)
def test_disagreeing_spellings_raise_naming_both(
    conv: str, si: str, conv_value: float, si_value: float
) -> None:
    with pytest.raises(ValueError, match=conv) as err:
        units.normalise_labs({conv: conv_value, si: si_value})
    assert si in str(err.value)
    with pytest.raises(ValidationError) as verr:
        Labs.model_validate({conv: conv_value, si: si_value})
    assert conv in str(verr.value) and si in str(verr.value)


@pytest.mark.parametrize("bad", ["10", True, float("nan"), float("inf")])
def test_conventional_value_must_be_a_number(bad: Any) -> None:
    with pytest.raises(ValueError, match="calcium_mg_dl"):
        units.normalise_labs({"calcium_mg_dl": bad})


def test_none_conventional_value_is_ignored() -> None:
    assert units.normalise_labs({"calcium_mg_dl": None}) == {}


def test_unit_spellings_map_to_the_ucum_codes_this_module_knows() -> None:
    """Lower-case and micro-sign spellings of every known code (case-field units included,
    so "ml/min" is the clearance's mL/min), the aliases, and the German "G/l"; an unknown
    unit stays as it is."""
    from osteoboard.units import canonical_ucum

    assert canonical_ucum("ml/min") == "mL/min"
    assert canonical_ucum(" µmol/l ") == "umol/L"
    assert canonical_ucum("MG/DL") == "mg/dL"
    assert canonical_ucum("lbs") == "[lb_av]"
    assert canonical_ucum("G/l") == "10*9/L"
    # German "Tausend pro Mikroliter" (platelets) is 10^3/µL, which is 10^9/L.
    assert canonical_ucum("Tsd/µl") == "10*3/uL"
    assert units.convert_quantity(245, "Tsd/µl", "10*9/L") == 245
    assert canonical_ucum("Bröckchen/µl") == "Bröckchen/ul"  # unknown: kept as it is

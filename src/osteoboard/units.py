"""Unit conversions: the one place where conventional units become SI.

Every factor is named and documented. The case model calls :func:`normalise_labs` before
validation so that downstream code sees SI units only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONVENTIONAL_LAB_FIELDS",
    "CREATININE_UMOL_PER_MG_DL",
    "FIELD_UNIT_SUFFIXES",
    "albumin_g_dl_to_g_l",
    "bilirubin_mg_dl_to_umol_l",
    "calcium_mg_dl_to_mmol_l",
    "calcium_mmol_l_to_mg_dl",
    "creatinine_mg_dl_to_umol_l",
    "creatinine_umol_l_to_mg_dl",
    "crp_mg_dl_to_mg_l",
    "field_unit",
    "normalise_labs",
]

#: µmol/L per mg/dL of creatinine (molar mass 113.12 g/mol); SPEC §2.8 uses 88.42.
CREATININE_UMOL_PER_MG_DL = 88.42
#: mg/dL per mmol/L of calcium (molar mass 40.08 g/mol).
CALCIUM_MG_DL_PER_MMOL_L = 4.008
#: µmol/L per mg/dL of bilirubin (molar mass 584.66 g/mol).
BILIRUBIN_UMOL_PER_MG_DL = 17.104


def creatinine_umol_l_to_mg_dl(value: float) -> float:
    return value / CREATININE_UMOL_PER_MG_DL


def creatinine_mg_dl_to_umol_l(value: float) -> float:
    return value * CREATININE_UMOL_PER_MG_DL


def calcium_mg_dl_to_mmol_l(value: float) -> float:
    return value / CALCIUM_MG_DL_PER_MMOL_L


def calcium_mmol_l_to_mg_dl(value: float) -> float:
    return value * CALCIUM_MG_DL_PER_MMOL_L


def albumin_g_dl_to_g_l(value: float) -> float:
    return value * 10.0


def bilirubin_mg_dl_to_umol_l(value: float) -> float:
    return value * BILIRUBIN_UMOL_PER_MG_DL


def crp_mg_dl_to_mg_l(value: float) -> float:
    return value * 10.0


#: conventional field -> (SI field, converter)
CONVENTIONAL_LAB_FIELDS: dict[str, tuple[str, Any]] = {
    "calcium_mg_dl": ("calcium_mmol_l", calcium_mg_dl_to_mmol_l),
    "creatinine_mg_dl": ("creatinine_umol_l", creatinine_mg_dl_to_umol_l),
    "albumin_g_dl": ("albumin_g_l", albumin_g_dl_to_g_l),
    "bilirubin_mg_dl": ("bilirubin_umol_l", bilirubin_mg_dl_to_umol_l),
    "crp_mg_dl": ("crp_mg_l", crp_mg_dl_to_mg_l),
}

#: Unit suffixes of field names (``calcium_mmol_l``) and the unit as written in text.
FIELD_UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_10e9_l", "10⁹/l"),
    ("_mmol_l", "mmol/l"),
    ("_umol_l", "µmol/l"),
    ("_mg_24h", "mg/24 h"),
    ("_mg_dl", "mg/dl"),
    ("_g_dl", "g/dl"),
    ("_mg_l", "mg/l"),
    ("_g_l", "g/l"),
    ("_u_l", "U/l"),
    ("_ml_min", "ml/min"),
    ("_kg", "kg"),
    ("_cm", "cm"),
    ("_pct", "%"),
    ("_hours", "h"),
    ("_months", "months"),
)


def field_unit(name: str) -> str | None:
    """The unit a field name carries (``creatinine_umol_l`` → ``µmol/l``), or None."""
    for suffix, unit in FIELD_UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return None


# Two spellings of one value agree when they differ by less than this share (rounding on lab
# reports).
_AGREEMENT = 0.02


def _finite(raw: Any) -> float | None:
    """``raw`` as a finite float, or None when it is not a number or too large for a float."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond the float range
        return None
    return value if math.isfinite(value) else None


def _short(raw: Any) -> str:
    """A short rendering of a rejected value (never a huge list or number in a message)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return "a number too large to use" if abs(raw) > 10**30 else repr(raw)
    if isinstance(raw, str):
        return repr(raw[:40]) + ("…" if len(raw) > 40 else "")
    if isinstance(raw, float | bool) or raw is None:
        return repr(raw)
    return f"a {type(raw).__name__}"


def normalise_labs(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a labs mapping with conventional-unit fields converted to SI.

    Raises ValueError naming both fields when a value is given in both units and they disagree,
    or when a conventional value is not a number.
    """
    out = dict(data)
    for conv_name, (si_name, convert) in CONVENTIONAL_LAB_FIELDS.items():
        if conv_name not in out:
            continue
        raw = out.pop(conv_name)
        if raw is None:
            continue
        value = _finite(raw)
        if value is None:
            raise ValueError(f"{conv_name} must be a number, got {_short(raw)}")
        si_value = round(float(convert(value)), 4)
        given = out.get(si_name)
        if given is not None:
            if isinstance(given, bool) or not isinstance(given, int | float):
                continue  # the SI field's own validation reports it
            if abs(given - si_value) > _AGREEMENT * max(abs(given), abs(si_value)):
                raise ValueError(
                    f"{conv_name}={raw} and {si_name}={given} disagree "
                    f"(that is {si_name}={si_value}); give one of them"
                )
            continue
        out[si_name] = si_value
    return out

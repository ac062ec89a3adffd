"""Unit conversions: the one place where conventional units become SI.

Every factor is named and documented. The case model calls :func:`normalise_labs` before
validation so that downstream code sees SI units only.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONVENTIONAL_LAB_FIELDS",
    "CREATININE_UMOL_PER_MG_DL",
    "FIELD_UCUM",
    "FIELD_UNIT_SUFFIXES",
    "albumin_g_dl_to_g_l",
    "bilirubin_mg_dl_to_umol_l",
    "calcium_mg_dl_to_mmol_l",
    "calcium_mmol_l_to_mg_dl",
    "canonical_ucum",
    "convert_quantity",
    "creatinine_mg_dl_to_umol_l",
    "creatinine_umol_l_to_mg_dl",
    "crp_mg_dl_to_mg_l",
    "field_ucum",
    "field_unit",
    "normalise_labs",
    "same_unit",
    "si_to_conventional",
    "vitamin_d_ng_ml_to_nmol_l",
]

#: µmol/L per mg/dL of creatinine (molar mass 113.12 g/mol); SPEC §2.8 uses 88.42.
CREATININE_UMOL_PER_MG_DL = 88.42
#: mg/dL per mmol/L of calcium (molar mass 40.08 g/mol).
CALCIUM_MG_DL_PER_MMOL_L = 4.008
#: µmol/L per mg/dL of bilirubin (molar mass 584.66 g/mol).
BILIRUBIN_UMOL_PER_MG_DL = 17.104
#: nmol/L per ng/mL of 25-hydroxyvitamin D (calcidiol, molar mass 400.6 g/mol; the factor of
#: the Endocrine Society guideline, Holick 2011).
VITAMIN_D_NMOL_PER_NG_ML = 2.496


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


def vitamin_d_ng_ml_to_nmol_l(value: float) -> float:
    return value * VITAMIN_D_NMOL_PER_NG_ML


#: conventional field -> (SI field, converter)
CONVENTIONAL_LAB_FIELDS: dict[str, tuple[str, Any]] = {
    "calcium_mg_dl": ("calcium_mmol_l", calcium_mg_dl_to_mmol_l),
    "calcium_corrected_mg_dl": ("calcium_corrected_mmol_l", calcium_mg_dl_to_mmol_l),
    "calcium_ionized_mg_dl": ("calcium_ionized_mmol_l", calcium_mg_dl_to_mmol_l),
    "creatinine_mg_dl": ("creatinine_umol_l", creatinine_mg_dl_to_umol_l),
    "creatinine_baseline_mg_dl": ("creatinine_baseline_umol_l", creatinine_mg_dl_to_umol_l),
    "albumin_g_dl": ("albumin_g_l", albumin_g_dl_to_g_l),
    "bilirubin_mg_dl": ("bilirubin_umol_l", bilirubin_mg_dl_to_umol_l),
    "crp_mg_dl": ("crp_mg_l", crp_mg_dl_to_mg_l),
    "vitamin_d_25oh_ng_ml": ("vitamin_d_25oh_nmol_l", vitamin_d_ng_ml_to_nmol_l),
}


def si_to_conventional(conventional: str, si_value: float) -> float:
    """``si_value`` in the unit of the conventional field (every conversion above is a
    factor): the bounds of ``calcium_mmol_l`` in mg/dl for ``calcium_mg_dl``."""
    _, convert = CONVENTIONAL_LAB_FIELDS[conventional]
    return si_value / float(convert(1.0))


#: Unit suffixes of field names (``calcium_mmol_l``) and the unit as written in text.
FIELD_UNIT_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_10e9_l", "10⁹/l"),
    ("_mmol_l", "mmol/l"),
    ("_umol_l", "µmol/l"),
    ("_nmol_l", "nmol/l"),
    ("_ng_ml", "ng/ml"),
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
    if isinstance(raw, bool):  # as written in YAML and JSON
        return "true" if raw else "false"
    if isinstance(raw, float) or raw is None:
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


# --------------------------------------------------------------------------------------------
# UCUM quantities (FHIR input): a value in one unit to the unit of a case field.

#: (from, to) -> factor, for conversions that hold for every analyte.
UCUM_FACTORS: dict[tuple[str, str], float] = {
    ("g/dL", "g/L"): 10.0,
    ("g/L", "g/dL"): 0.1,
    ("mg/dL", "g/dL"): 0.001,
    ("mg/dL", "mg/L"): 10.0,
    ("mg/L", "mg/dL"): 0.1,
    ("ug/mL", "mg/L"): 1.0,
    ("ng/mL", "ug/L"): 1.0,
    ("ug/L", "ng/mL"): 1.0,
    ("g", "kg"): 0.001,
    ("g", "mg"): 1000.0,
    ("ug", "mg"): 0.001,
    ("[lb_av]", "kg"): 0.45359237,
    ("10*3/uL", "10*9/L"): 1.0,
    ("10*3/mm3", "10*9/L"): 1.0,
    ("/nL", "10*9/L"): 1.0,
    ("/uL", "10*9/L"): 0.001,
    ("ukat/L", "U/L"): 60.0,
    ("mmol/L", "umol/L"): 1000.0,
    ("umol/L", "mmol/L"): 0.001,
    ("mm", "cm"): 0.1,
    ("d", "h"): 24.0,
}

#: (analyte, from, to) -> converter, for conversions through the molar mass.
UCUM_ANALYTE: dict[tuple[str, str, str], Any] = {
    ("calcium", "mg/dL", "mmol/L"): calcium_mg_dl_to_mmol_l,
    ("calcium", "mEq/L", "mmol/L"): lambda v: v * 0.5,
    ("creatinine", "mg/dL", "umol/L"): creatinine_mg_dl_to_umol_l,
    ("creatinine", "mmol/L", "umol/L"): lambda v: v * 1000.0,
    ("bilirubin", "mg/dL", "umol/L"): bilirubin_mg_dl_to_umol_l,
    ("vitamin_d", "ng/mL", "nmol/L"): vitamin_d_ng_ml_to_nmol_l,
    ("vitamin_d", "ug/L", "nmol/L"): vitamin_d_ng_ml_to_nmol_l,
    # haemoglobin in mmol/L (German labs; per Hb monomer, 16 114.5 g/mol): 1 mmol/L = 1.61145 g/dL
    ("hemoglobin", "mmol/L", "g/dL"): lambda v: v * 1.61145,
}

# Spellings of UCUM units seen on lab reports (micro sign, lower-case litre).
_UNIT_SPELLINGS = {"µ": "u", "μ": "u"}


#: Other spellings of a unit, lower case, and the UCUM code they stand for.
_UCUM_ALIASES = {
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "iu/l": "U/L",
    "x10e9/l": "10*9/L",
    "10^9/l": "10*9/L",
    "gpt/l": "10*9/L",
    # German "Tausend pro Mikroliter" (platelets, leucocytes): 10^3/µL = 10^9/L
    "tsd/ul": "10*3/uL",
    "tsd./ul": "10*3/uL",
    "tsd/mm3": "10*3/mm3",
    "10^3/ul": "10*3/uL",
    "x10e3/ul": "10*3/uL",
    "g/dl": "g/dL",
    "mcg": "ug",
}


@functools.cache
def _ucum_by_lower() -> dict[str, str]:
    """Every UCUM code this module converts, by its lower-case spelling (an alias first)."""
    by_lower: dict[str, str] = {}
    for unit in sorted(_known_ucum()):  # one code per spelling, the same one on every run
        by_lower.setdefault(unit.lower(), unit)
    return {**by_lower, **_UCUM_ALIASES}


@functools.lru_cache(maxsize=1024)
def canonical_ucum(unit: str) -> str:
    """A unit as its UCUM code where it is only spelled differently (``µmol/l`` → ``umol/L``,
    ``lb`` → ``[lb_av]``); otherwise unchanged."""
    text = unit.strip()
    if text in ("G/l", "G/L"):  # German "Giga per litre", not grams (g/l)
        return "10*9/L"
    for a, b in _UNIT_SPELLINGS.items():
        text = text.replace(a, b)
    return _ucum_by_lower().get(text.lower(), text)


def convert_quantity(value: float, unit: str, to: str, analyte: str | None = None) -> float | None:
    """``value`` in ``unit`` converted to ``to`` (UCUM codes); None when the conversion is not
    known (the caller names the unit in its error)."""
    source = canonical_ucum(unit)
    if source == to:
        return value
    if analyte is not None:
        special = UCUM_ANALYTE.get((analyte, source, to))
        if special is not None:
            return float(special(value))
    factor = UCUM_FACTORS.get((source, to))
    if factor is None:
        return None
    return value * factor


# --------------------------------------------------------------------------------------------
# The units of case fields and of FHIR quantities.

#: The UCUM code of each unit suffix of a field name (:data:`FIELD_UNIT_SUFFIXES`).
FIELD_UCUM: dict[str, str] = {
    "_10e9_l": "10*9/L",
    "_mmol_l": "mmol/L",
    "_umol_l": "umol/L",
    "_nmol_l": "nmol/L",
    "_ng_ml": "ng/mL",
    "_mg_24h": "mg/(24.h)",
    "_mg_dl": "mg/dL",
    "_g_dl": "g/dL",
    "_mg_l": "mg/L",
    "_g_l": "g/L",
    "_u_l": "U/L",
    "_ml_min": "mL/min",
    "_kg": "kg",
    "_cm": "cm",
    "_pct": "%",
    "_hours": "h",
    "_months": "mo",
}


def field_ucum(name: str) -> str | None:
    """The UCUM code of the unit a field name carries (``creatinine_umol_l`` → ``umol/L``)."""
    for suffix, _ in FIELD_UNIT_SUFFIXES:
        if name.endswith(suffix):
            return FIELD_UCUM[suffix]
    return None


@functools.cache
def _known_ucum() -> frozenset[str]:
    return frozenset(
        {u for pair in UCUM_FACTORS for u in pair}
        | {u for (_, a, b) in UCUM_ANALYTE for u in (a, b)}
        | set(FIELD_UCUM.values())
    )


def same_unit(a: str, b: str, analyte: str | None = None) -> bool | None:
    """Whether two spellings of a unit (a Quantity's display ``unit`` and its UCUM ``code``)
    name the same unit: True (also ``10*3/uL`` and ``10*9/L``), False (``mg/dL`` and
    ``mmol/L``), None when one of them is not a unit this module knows (a display such as
    "Stück/µl" cannot be checked)."""
    ca, cb = canonical_ucum(a), canonical_ucum(b)
    if ca == cb:
        return True
    known = _known_ucum()
    if ca not in known or cb not in known:
        return None
    factor = _factor(ca, cb, analyte)
    return factor is not None and math.isclose(factor, 1.0, rel_tol=1e-9)


def _factor(a: str, b: str, analyte: str | None) -> float | None:
    """What 1 ``a`` is in ``b``, converting either way or
    through a unit both convert to (``G/l`` and ``10*3/uL`` both to ``10*9/L``); None when
    no conversion joins them."""
    factor = convert_quantity(1.0, a, b, analyte)
    if factor is None:
        back = convert_quantity(1.0, b, a, analyte)
        factor = 1.0 / back if back else None
    if factor is None:
        for via in sorted(_known_ucum()):
            fa = convert_quantity(1.0, a, via, analyte)
            fb = convert_quantity(1.0, b, via, analyte) if fa is not None else None
            if fa is not None and fb:
                factor = fa / fb
                break
    return factor

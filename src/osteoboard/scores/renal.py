"""Renal function: creatinine clearance (Cockcroft–Gault) and eGFR (CKD-EPI 2021).

- Cockcroft & Gault, Nephron 1976;16:31–41:
  CrCl [mL/min] = (140 − age) × weight [kg] / (72 × creatinine [mg/dL]), × 0.85 for women.
  Actual body weight, as used for zoledronic-acid dosing (SPEC §2.8, §5.6).
- Inker et al., N Engl J Med 2021;385:1737–1749, creatinine equation without race:
  eGFR [mL/min/1.73 m²] = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age
  × 1.012 (women); κ 0.7 (women) / 0.9 (men); α −0.241 (women) / −0.302 (men).
  Category: KDIGO GFR stage G1 ≥ 90 · G2 60–89 · G3a 45–59 · G3b 30–44 · G4 15–29 · G5 < 15.

Creatinine is held in µmol/L and converted to mg/dL in :mod:`osteoboard.units` (÷ 88.42).
When sex is unknown, the result is the range between the values for the two sexes; a missing
weight makes Cockcroft–Gault the range over the plausible weight interval of the knowledge base
(``patient.weight_kg`` in ``facts.yaml``), as a missing albumin does for corrected calcium.
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from typing import Annotated, Any

from pydantic import Field

from osteoboard import units
from osteoboard.case import MIN_CREATININE_UMOL_L, Case, Lesion, Sex
from osteoboard.scores.base import (
    ScoreInput,
    ScoreItem,
    ScoreResult,
    corner_bounds,
    plausible_range,
    value_result,
)
from osteoboard.scores.registry import ScoreSpec
from osteoboard.text import Text

__all__ = [
    "CG_SOURCE",
    "CKD_EPI_SOURCE",
    "CRCL_SPEC",
    "EGFR_CATEGORIES",
    "EGFR_SPEC",
    "SPECS",
    "CockcroftGaultInput",
    "EgfrInput",
    "ckd_epi_2021_ml_min_1_73m2",
    "cockcroft_gault_ml_min",
    "crcl_cockcroft_gault",
    "egfr_category",
    "egfr_ckd_epi_2021",
]

CG_SOURCE = "cockcroft1976"
CKD_EPI_SOURCE = "inker2021"

Age = Annotated[int, Field(ge=18, le=120)]
Weight = Annotated[float, Field(gt=20, le=350)]
Creatinine = Annotated[float, Field(ge=MIN_CREATININE_UMOL_L, lt=3000)]  # as in a case


class CockcroftGaultInput(ScoreInput):
    age: Age | None = None
    sex: Sex | None = None
    weight_kg: Weight | None = None
    creatinine_umol_l: Creatinine | None = None


class EgfrInput(ScoreInput):
    age: Age | None = None
    sex: Sex | None = None
    creatinine_umol_l: Creatinine | None = None


# --------------------------------------------------------------------------------------------
# Equations

CG_FEMALE_FACTOR = 0.85


def cockcroft_gault_ml_min(
    age: float, weight_kg: float, creatinine_umol_l: float, sex: Sex
) -> float:
    scr_mg_dl = units.creatinine_umol_l_to_mg_dl(creatinine_umol_l)
    value = (140.0 - age) * weight_kg / (72.0 * scr_mg_dl)
    return value * CG_FEMALE_FACTOR if sex is Sex.female else value


#: (κ, α, sex factor) of the CKD-EPI 2021 creatinine equation.
CKD_EPI_2021 = {Sex.female: (0.7, -0.241, 1.012), Sex.male: (0.9, -0.302, 1.0)}


def ckd_epi_2021_ml_min_1_73m2(age: float, creatinine_umol_l: float, sex: Sex) -> float:
    kappa, alpha, sex_factor = CKD_EPI_2021[sex]
    ratio = units.creatinine_umol_l_to_mg_dl(creatinine_umol_l) / kappa
    return (
        142.0
        * math.pow(min(ratio, 1.0), alpha)
        * math.pow(max(ratio, 1.0), -1.200)
        * math.pow(0.9938, age)
        * sex_factor
    )


EGFR_CATEGORIES = {
    "g1": Text(de="G1: normal oder hoch (≥ 90).", en="G1: normal or high (≥ 90)."),
    "g2": Text(de="G2: leicht vermindert (60–89).", en="G2: mildly decreased (60–89)."),
    "g3a": Text(
        de="G3a: leicht bis mäßig vermindert (45–59).",
        en="G3a: mildly to moderately decreased (45–59).",
    ),
    "g3b": Text(
        de="G3b: mäßig bis stark vermindert (30–44).",
        en="G3b: moderately to severely decreased (30–44).",
    ),
    "g4": Text(de="G4: stark vermindert (15–29).", en="G4: severely decreased (15–29)."),
    "g5": Text(de="G5: Nierenversagen (< 15).", en="G5: kidney failure (< 15)."),
}


def egfr_category(value: float) -> str:
    """KDIGO GFR category of an eGFR in mL/min/1.73 m²."""
    for threshold, name in ((90, "g1"), (60, "g2"), (45, "g3a"), (30, "g3b"), (15, "g4")):
        if value >= threshold:
            return name
    return "g5"


# --------------------------------------------------------------------------------------------
# Shared pieces


def _info(name: str, label: Text, value: str | int | float | None) -> ScoreItem:
    return ScoreItem(name=name, label=label, value=value, points=None, possible=[])


_LABELS = {
    "age": Text(de="Alter (Jahre)", en="Age (years)"),
    "sex": Text(de="Geschlecht", en="Sex"),
    "weight_kg": Text(de="Körpergewicht (kg, tatsächlich)", en="Body weight (kg, actual)"),
    "creatinine_umol_l": Text(de="Kreatinin (µmol/l)", en="Creatinine (µmol/L)"),
}


def _items(inp: ScoreInput, fields: tuple[str, ...]) -> list[ScoreItem]:
    out = []
    for f in fields:
        v = getattr(inp, f)
        out.append(_info(f, _LABELS[f], v.value if isinstance(v, Sex) else v))
    return out


def _de(x: float) -> str:
    """A number in German notation (decimal comma)."""
    return str(x).replace(".", ",")


def _conversion_note(creatinine_umol_l: float | None) -> list[Text]:
    if creatinine_umol_l is None:
        return []
    mg_dl = round(units.creatinine_umol_l_to_mg_dl(creatinine_umol_l), 2)
    factor = units.CREATININE_UMOL_PER_MG_DL
    return [
        Text(
            de=f"Kreatinin {_de(creatinine_umol_l)} µmol/l = {_de(mg_dl)} mg/dl (÷ {_de(factor)}).",
            en=f"Creatinine {creatinine_umol_l} µmol/L = {mg_dl} mg/dL (÷ {factor}).",
        )
    ]


# --------------------------------------------------------------------------------------------
# Cockcroft–Gault

_CG_FIELDS = ("age", "sex", "weight_kg", "creatinine_umol_l")
_CG_UNIT = "mL/min"
_CG_DIGITS = 1

ACTUAL_WEIGHT_NOTE = Text(
    de="Berechnet mit dem tatsächlichen Körpergewicht (wie für die Dosierung von Zoledronsäure).",
    en="Calculated with actual body weight (as for zoledronic-acid dosing).",
)
CG_FORMULA_NOTE = Text(
    de="CrCl = (140 − Alter) × Gewicht / (72 × Kreatinin [mg/dl]), bei Frauen × 0,85.",
    en="CrCl = (140 − age) × weight / (72 × creatinine [mg/dL]), × 0.85 for women.",
)


def _cg_interpretation(value: float) -> Text:
    return Text(
        de=f"Geschätzte Kreatinin-Clearance {_de(value)} ml/min (Cockcroft-Gault); maßgeblich für "
        "die Dosisanpassung renal ausgeschiedener Medikamente wie Zoledronsäure.",
        en=f"Estimated creatinine clearance {value} mL/min (Cockcroft–Gault); used for the "
        "dose adjustment of renally cleared drugs such as zoledronic acid.",
    )


def crcl_cockcroft_gault(inp: CockcroftGaultInput, lesion: str | None = None) -> ScoreResult:
    items = _items(inp, _CG_FIELDS)
    missing = [f for f in _CG_FIELDS if getattr(inp, f) is None]
    notes = [CG_FORMULA_NOTE, ACTUAL_WEIGHT_NOTE, *_conversion_note(inp.creatinine_umol_l)]
    result = functools.partial(
        value_result,
        name="crcl_cockcroft_gault",
        unit=_CG_UNIT,
        items=items,
        source=CG_SOURCE,
        missing=missing,
        digits=_CG_DIGITS,
    )
    if inp.age is None or inp.creatinine_umol_l is None:
        return result(value=None, notes=notes)
    if inp.sex is not None and inp.weight_kg is not None:
        value = round(
            cockcroft_gault_ml_min(inp.age, inp.weight_kg, inp.creatinine_umol_l, inp.sex),
            _CG_DIGITS,
        )
        return result(value=value, interpretation=_cg_interpretation(value), notes=notes)
    # Sex or weight unknown: the range over both sexes and the plausible weight interval.
    weight = plausible_range("patient.weight_kg") if inp.weight_kg is None else None
    lo, hi = (
        round(v, _CG_DIGITS)
        for v in corner_bounds(
            cockcroft_gault_ml_min,
            age=[inp.age],
            weight_kg=[inp.weight_kg] if weight is None else weight,
            creatinine_umol_l=[inp.creatinine_umol_l],
            sex=[inp.sex] if inp.sex is not None else list(Sex),
        )
    )
    if weight is None:
        why = Text(
            de=f"Geschlecht unbekannt: {_de(lo)}–{_de(hi)} ml/min (Frau–Mann).",
            en=f"Sex unknown: {lo}–{hi} mL/min (female–male).",
        )
    else:
        w_de, w_en = f"{weight[0]:g}–{weight[1]:g} kg", f"{weight[0]:g}–{weight[1]:g} kg"
        who_de = "" if inp.sex is not None else ", Frau bis Mann"
        who_en = "" if inp.sex is not None else ", female to male"
        why = Text(
            de=f"Gewicht unbekannt: {_de(lo)}–{_de(hi)} ml/min für ein Körpergewicht von "
            f"{w_de}{who_de}.",
            en=f"Weight unknown: {lo}–{hi} mL/min for a body weight of {w_en}{who_en}.",
        )
        notes.append(
            Text(
                de=f"Gewicht fehlt: Bereich der Clearance für ein Körpergewicht von {w_de}.",
                en=f"Weight missing: range of the clearance for a body weight of {w_en}.",
            )
        )
    return result(value=None, interpretation=why, bounds=(lo, hi), notes=notes)


def _cg_from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    p, labs = case.patient, case.labs
    inp = dict(
        age=p.age, sex=p.sex, weight_kg=p.weight_kg, creatinine_umol_l=labs.creatinine_umol_l
    )
    return inp, {
        "age": "patient.age",
        "sex": "patient.sex",
        "weight_kg": "patient.weight_kg",
        "creatinine_umol_l": "labs.creatinine_umol_l",
    }


CRCL_SPEC = ScoreSpec(
    name="crcl_cockcroft_gault",
    title=Text(
        de="Kreatinin-Clearance (Cockcroft-Gault)", en="Creatinine clearance (Cockcroft–Gault)"
    ),
    per="case",
    input_model=CockcroftGaultInput,
    compute=crcl_cockcroft_gault,
    from_case=_cg_from_case,
    source=CG_SOURCE,
)


# --------------------------------------------------------------------------------------------
# CKD-EPI 2021

_EGFR_FIELDS = ("age", "sex", "creatinine_umol_l")
_EGFR_UNIT = "mL/min/1.73 m²"
_EGFR_DIGITS = 1

EGFR_FORMULA_NOTE = Text(
    de="CKD-EPI 2021 ohne Ethnie-Faktor: 142 × min(Krea/κ, 1)^α × max(Krea/κ, 1)^−1,200 × "
    "0,9938^Alter × 1,012 (Frauen); κ 0,7/0,9 und α −0,241/−0,302 (Frauen/Männer).",
    en="CKD-EPI 2021 without race: 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × "
    "0.9938^age × 1.012 (women); κ 0.7/0.9 and α −0.241/−0.302 (women/men).",
)


def egfr_ckd_epi_2021(inp: EgfrInput, lesion: str | None = None) -> ScoreResult:
    items = _items(inp, _EGFR_FIELDS)
    missing = [f for f in _EGFR_FIELDS if getattr(inp, f) is None]
    notes = [EGFR_FORMULA_NOTE, *_conversion_note(inp.creatinine_umol_l)]

    def result(
        value: float | None,
        category: str | None = None,
        interpretation: Text | None = None,
        bounds: tuple[float, float] | None = None,
    ) -> ScoreResult:
        return value_result(
            name="egfr_ckd_epi_2021",
            value=value,
            unit=_EGFR_UNIT,
            items=items,
            source=CKD_EPI_SOURCE,
            missing=missing,
            category=category,
            categories=EGFR_CATEGORIES,
            interpretation=interpretation,
            notes=notes,
            digits=_EGFR_DIGITS,
            bounds=bounds,
        )

    if inp.age is None or inp.creatinine_umol_l is None:
        return result(None)
    if inp.sex is None:
        by_sex = [
            round(ckd_epi_2021_ml_min_1_73m2(inp.age, inp.creatinine_umol_l, s), _EGFR_DIGITS)
            for s in Sex
        ]
        lo, hi = min(by_sex), max(by_sex)
        order = list(EGFR_CATEGORIES)
        cats = sorted({egfr_category(v) for v in by_sex}, key=order.index)
        shown = " / ".join(c[0].upper() + c[1:] for c in cats)
        out = result(
            None,
            cats[0] if len(cats) == 1 else None,
            Text(
                de=f"Geschlecht unbekannt: {_de(lo)}–{_de(hi)} ml/min/1,73 m² ({shown}).",
                en=f"Sex unknown: {lo}–{hi} mL/min/1.73 m² ({shown}).",
            ),
            bounds=(lo, hi),
        )
        return replace(out, possible_categories=cats)
    value = round(ckd_epi_2021_ml_min_1_73m2(inp.age, inp.creatinine_umol_l, inp.sex), _EGFR_DIGITS)
    return result(value, egfr_category(value))


def _egfr_from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    p, labs = case.patient, case.labs
    inp = dict(age=p.age, sex=p.sex, creatinine_umol_l=labs.creatinine_umol_l)
    return inp, {
        "age": "patient.age",
        "sex": "patient.sex",
        "creatinine_umol_l": "labs.creatinine_umol_l",
    }


EGFR_SPEC = ScoreSpec(
    name="egfr_ckd_epi_2021",
    title=Text(de="eGFR (CKD-EPI 2021)", en="eGFR (CKD-EPI 2021)"),
    per="case",
    input_model=EgfrInput,
    compute=egfr_ckd_epi_2021,
    from_case=_egfr_from_case,
    source=CKD_EPI_SOURCE,
    categories=tuple(EGFR_CATEGORIES),
)

SPECS = (CRCL_SPEC, EGFR_SPEC)

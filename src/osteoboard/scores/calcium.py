"""Albumin-corrected serum calcium (Payne et al., BMJ 1973;4:643–646).

Ca_corr [mmol/L] = Ca [mmol/L] + 0.02 × (40 − albumin [g/L]). Hypercalcaemia above
2.60 mmol/L: mild < 3.0, moderate 3.0–3.5, severe (crisis) ≥ 3.5 mmol/L. Below 2.10 mmol/L
hypocalcaemia (lower limit of the common reference range 2.10–2.60 mmol/L).

With total calcium measured and albumin missing, the corrected value is the range over the
plausible albumin interval of the knowledge base (``labs.albumin_g_l`` in ``facts.yaml``).

Without both, a corrected calcium the laboratory reports is taken as it stands, and an ionised
calcium gives the category its value means - above 1.30 mmol/L hypercalcaemia, 1.15-1.30
normal, below 1.15 hypocalcaemia (the usual reference range; MSD Manual, Lewis 2023) - and so
the interval of corrected values of that category (narrowed by a total calcium measured
without albumin). The severity of a hypercalcaemia is read from the corrected value only.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from pydantic import Field

from osteoboard.case import Case, Lesion
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
    "CATEGORIES",
    "REFERENCE_ALBUMIN_G_L",
    "SPEC",
    "CorrectedCalciumInput",
    "calcium_category",
    "corrected_calcium",
    "corrected_calcium_mmol_l",
]

SOURCE = "payne1973"
HYPOCALCEMIA_BELOW = 2.10
HYPERCALCEMIA_ABOVE = 2.60
MODERATE_FROM = 3.0
SEVERE_FROM = 3.5
#: The albumin the formula corrects to: at this albumin the corrected value is the total.
REFERENCE_ALBUMIN_G_L = 40.0


#: Ionised calcium above this is hypercalcaemia, below IONIZED_LOW hypocalcaemia (mmol/L).
IONIZED_HIGH = 1.30
IONIZED_LOW = 1.15


class CorrectedCalciumInput(ScoreInput):
    calcium_mmol_l: Annotated[float, Field(gt=0.5, lt=6.0)] | None = None
    albumin_g_l: Annotated[float, Field(gt=5, lt=70)] | None = None
    reported_corrected_mmol_l: Annotated[float, Field(gt=0.5, lt=6.0)] | None = None
    ionized_mmol_l: Annotated[float, Field(gt=0.3, lt=3.0)] | None = None


def corrected_calcium_mmol_l(calcium_mmol_l: float, albumin_g_l: float) -> float:
    return calcium_mmol_l + 0.02 * (REFERENCE_ALBUMIN_G_L - albumin_g_l)


CATEGORIES = {
    "hypocalcemia": Text(de="Hypokalzämie (< 2,10 mmol/l).", en="Hypocalcaemia (< 2.10 mmol/L)."),
    "normal": Text(de="Normokalzämie (2,10–2,60 mmol/l).", en="Normal (2.10–2.60 mmol/L)."),
    "mild": Text(
        de="Leichte Hyperkalzämie (> 2,60 bis < 3,0 mmol/l).",
        en="Mild hypercalcaemia (> 2.60 to < 3.0 mmol/L).",
    ),
    "moderate": Text(
        de="Mittelschwere Hyperkalzämie (3,0 bis < 3,5 mmol/l): Notfall.",
        en="Moderate hypercalcaemia (3.0 to < 3.5 mmol/L): emergency.",
    ),
    "severe": Text(
        de="Schwere Hyperkalzämie (≥ 3,5 mmol/l): hyperkalzämische Krise.",
        en="Severe hypercalcaemia (≥ 3.5 mmol/L): hypercalcaemic crisis.",
    ),
}


def calcium_category(value_mmol_l: float) -> str:
    if value_mmol_l < HYPOCALCEMIA_BELOW:
        return "hypocalcemia"
    if value_mmol_l <= HYPERCALCEMIA_ABOVE:
        return "normal"
    if value_mmol_l < MODERATE_FROM:
        return "mild"
    if value_mmol_l < SEVERE_FROM:
        return "moderate"
    return "severe"


def _category_probes(lo: float, hi: float) -> list[float]:
    """lo, hi and every category boundary between them, in order."""
    edges = (HYPOCALCEMIA_BELOW, HYPERCALCEMIA_ABOVE + 0.001, MODERATE_FROM, SEVERE_FROM)
    return [lo, *(e for e in edges if lo < e < hi), hi]


_CA = Text(de="Gesamtkalzium (mmol/l)", en="Total calcium (mmol/L)")
_ALB = Text(de="Albumin (g/l)", en="Albumin (g/L)")
_REPORTED = Text(
    de="Korrigiertes Kalzium laut Labor (mmol/l)", en="Corrected calcium as reported (mmol/L)"
)
_IONIZED = Text(de="Ionisiertes Kalzium (mmol/l)", en="Ionised calcium (mmol/L)")


def _ionized_bounds(ionized: float) -> tuple[float, float]:
    """The corrected calcium of the category an ionised calcium means, within the plausible
    range of the corrected value."""
    low, high = plausible_range("labs.calcium_corrected_mmol_l")
    if ionized > IONIZED_HIGH:
        return HYPERCALCEMIA_ABOVE + 0.01, high
    if ionized < IONIZED_LOW:
        return low, HYPOCALCEMIA_BELOW - 0.01
    return HYPOCALCEMIA_BELOW, HYPERCALCEMIA_ABOVE


def corrected_calcium(inp: CorrectedCalciumInput, lesion: str | None = None) -> ScoreResult:
    items = [
        ScoreItem(
            name="calcium_mmol_l", label=_CA, value=inp.calcium_mmol_l, points=None, possible=[]
        ),
        ScoreItem(name="albumin_g_l", label=_ALB, value=inp.albumin_g_l, points=None, possible=[]),
    ]
    for name, label in (("reported_corrected_mmol_l", _REPORTED), ("ionized_mmol_l", _IONIZED)):
        value = getattr(inp, name)
        if value is not None:
            items.append(ScoreItem(name=name, label=label, value=value, points=None, possible=[]))
    missing = [n for n in ("calcium_mmol_l", "albumin_g_l") if getattr(inp, n) is None]
    result = functools.partial(
        value_result,
        name="corrected_calcium",
        unit="mmol/L",
        items=items,
        source=SOURCE,
        missing=missing,
        categories=CATEGORIES,
        digits=2,
    )
    measured = inp.calcium_mmol_l is not None and inp.albumin_g_l is not None
    if not measured and inp.reported_corrected_mmol_l is not None:
        value = round(inp.reported_corrected_mmol_l, 2)
        return result(
            value=value,
            category=calcium_category(value),
            missing=[],
            notes=[
                Text(
                    de="Korrigiertes Kalzium wie vom Labor berichtet (Gesamtkalzium und "
                    "Albumin nicht dokumentiert; die Formel des Labors kann von Payne abweichen).",
                    en="Corrected calcium as the laboratory reports it (total calcium and "
                    "albumin not documented; the laboratory's formula may differ from Payne's).",
                )
            ],
        )
    bounds: tuple[float, float] | None = None
    notes: list[Text] = []
    if inp.calcium_mmol_l is not None and inp.albumin_g_l is None:
        low_alb, high_alb = plausible_range("labs.albumin_g_l")
        bounds = corner_bounds(
            corrected_calcium_mmol_l,
            calcium_mmol_l=[inp.calcium_mmol_l],
            albumin_g_l=[low_alb, high_alb],
        )
        notes.append(
            Text(
                de="Albumin fehlt: Bereich des korrigierten Kalziums für Albumin "
                f"{low_alb:g}–{high_alb:g} g/l.",
                en="Albumin missing: range of corrected calcium for albumin "
                f"{low_alb:g}–{high_alb:g} g/L.",
            )
        )
    if not measured and inp.ionized_mmol_l is not None:
        lo_ion, hi_ion = _ionized_bounds(inp.ionized_mmol_l)
        if bounds is not None and bounds[0] <= hi_ion and lo_ion <= bounds[1]:
            bounds = (max(bounds[0], lo_ion), min(bounds[1], hi_ion))
        else:
            bounds = (lo_ion, hi_ion)  # the ionised value decides against the total's range
        notes.append(
            Text(
                de=f"Ionisiertes Kalzium {inp.ionized_mmol_l:g} mmol/l (Referenz "
                f"{IONIZED_LOW:g}–{IONIZED_HIGH:g}): der Bereich des korrigierten Kalziums "
                "dieser Kategorie; den Schweregrad zeigen erst Gesamtkalzium und Albumin.",
                en=f"Ionised calcium {inp.ionized_mmol_l:g} mmol/L (reference "
                f"{IONIZED_LOW:g}–{IONIZED_HIGH:g}): the range of corrected calcium of this "
                "category; total calcium and albumin show the severity.",
            )
        )
    if bounds is not None:
        lo, hi = (round(v, 2) for v in bounds)
        spanned = list(dict.fromkeys(calcium_category(v) for v in _category_probes(lo, hi)))
        return result(
            value=None,
            category=spanned[0] if len(spanned) == 1 else None,
            bounds=(lo, hi),
            spanned=spanned,
            notes=notes,
        )
    if inp.calcium_mmol_l is None or inp.albumin_g_l is None:
        return result(value=None)
    value = round(corrected_calcium_mmol_l(inp.calcium_mmol_l, inp.albumin_g_l), 2)
    return result(
        value=value,
        category=calcium_category(value),
        notes=[
            Text(
                de="Ca_korr = Ca + 0,02 × (40 − Albumin [g/l]).",
                en="Ca_corr = Ca + 0.02 × (40 − albumin [g/L]).",
            )
        ],
    )


def _from_case(case: Case, lesion: Lesion | None) -> tuple[dict[str, Any], dict[str, str]]:
    labs = case.labs
    inp = dict(
        calcium_mmol_l=labs.calcium_mmol_l,
        albumin_g_l=labs.albumin_g_l,
        reported_corrected_mmol_l=labs.calcium_corrected_mmol_l,
        ionized_mmol_l=labs.calcium_ionized_mmol_l,
    )
    return inp, {
        "calcium_mmol_l": "labs.calcium_mmol_l",
        "albumin_g_l": "labs.albumin_g_l",
        "reported_corrected_mmol_l": "labs.calcium_corrected_mmol_l",
        "ionized_mmol_l": "labs.calcium_ionized_mmol_l",
    }


SPEC = ScoreSpec(
    name="corrected_calcium",
    title=Text(de="Albumin-korrigiertes Kalzium", en="Albumin-corrected calcium"),
    per="case",
    input_model=CorrectedCalciumInput,
    compute=corrected_calcium,
    from_case=_from_case,
    source=SOURCE,
    categories=tuple(CATEGORIES),
)

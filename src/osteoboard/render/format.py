"""One formatter for every output: numbers, units, dates and ranges (Babel, CLDR data).

German text gets the decimal comma, the lower-case litre (``mmol/l``, ``µmol/l``, ``ml/min``)
and dates as ``20.11.2026``; English text and JSON keep the decimal point, ``mmol/L`` and ISO
dates. Ranges use an en dash. Renderers format through these functions only, so one page never
mixes two spellings.
"""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date
from babel.numbers import format_decimal

__all__ = [
    "LOCALES",
    "date",
    "number",
    "quantity",
    "span",
    "text",
    "unit",
]

#: The CLDR locale of each output language.
LOCALES = {"de": "de_DE", "en": "en_GB"}

# Units as the case model and the knowledge base write them → German spelling.
_UNITS_DE = {
    "mmol/L": "mmol/l",
    "umol/L": "µmol/l",
    "µmol/L": "µmol/l",
    "umol/l": "µmol/l",
    "mL/min": "ml/min",
    "mL/min/1.73 m²": "ml/min/1,73 m²",
    "mL/min/1,73 m²": "ml/min/1,73 m²",
    "mg/L": "mg/l",
    "g/L": "g/l",
    "g/dL": "g/dl",
    "mg/dL": "mg/dl",
    "U/L": "U/l",
    "IU/L": "U/l",
    "×10⁹/L": "×10⁹/l",
    "× 10⁹/L": "× 10⁹/l",
}
# Time units of the fact catalogue, named only where a value carries them.
_TIME_UNITS_DE = {"months": "Monate", "years": "Jahre", "days": "Tage", "weeks": "Wochen"}
_UNITS_EN = {"umol/L": "µmol/L", "umol/l": "µmol/L", "mmol/l": "mmol/L", "ml/min": "mL/min"}
_UNIT_IN_TEXT = re.compile(
    r"(?<![\w/])(" + "|".join(re.escape(u) for u in sorted(_UNITS_DE, key=len, reverse=True)) + r")"
    r"(?![\w/])"
)
# A decimal number written with a point: not part of a date, version or longer dotted run.
_DECIMAL_POINT = re.compile(r"(?<![\d.,])(\d+)\.(\d+)(?![\d.]|\.\d)")


def number(value: float, lang: str = "de", *, digits: int = 2) -> str:
    """``2.52`` → ``2,52`` (German) or ``2.52``; at most ``digits`` decimals, none trailing,
    no thousands separator (lab values are read digit by digit)."""
    pattern = "0." + "#" * digits if digits > 0 else "0"
    return format_decimal(value, format=pattern, locale=LOCALES[lang], group_separator=False)


def unit(name: str, lang: str = "de") -> str:
    """A unit in the language's spelling: ``mmol/L`` → ``mmol/l`` in German."""
    if lang == "de":
        return _UNITS_DE.get(name) or _TIME_UNITS_DE.get(name, name)
    return _UNITS_EN.get(name, name)


def quantity(value: float, unit_name: str | None, lang: str = "de", *, digits: int = 2) -> str:
    """``2.52 mmol/L`` → ``2,52 mmol/l``."""
    shown = number(value, lang, digits=digits)
    return f"{shown} {unit(unit_name, lang)}" if unit_name else shown


def span(low: float, high: float, unit_name: str | None = None, lang: str = "de") -> str:
    """A range with an en dash: ``8–18``, ``2,4–2,6 mmol/l``; one number when both agree."""
    shown = number(low, lang) if low == high else f"{number(low, lang)}–{number(high, lang)}"
    return f"{shown} {unit(unit_name, lang)}" if unit_name else shown


def date(value: dt.date | None, lang: str = "de", *, missing: str = "ohne Datum") -> str:
    """``20.11.2026`` in German text, ISO 8601 in English."""
    if value is None:
        return missing if lang == "de" else "undated"
    if lang == "de":
        return format_date(value, format="dd.MM.yyyy", locale=LOCALES["de"])
    return value.isoformat()


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def text(value: str, lang: str = "de") -> str:
    """Free text from the knowledge base or the engine in the language's spelling: German
    units, decimal commas and dates (``2.5 mmol/L`` → ``2,5 mmol/l``, ``2026-11-20`` →
    ``20.11.2026``). English text is returned unchanged."""
    if lang != "de":
        return value
    out = _UNIT_IN_TEXT.sub(lambda m: _UNITS_DE[m.group(1)], value)
    out = _ISO_DATE.sub(lambda m: f"{m.group(3)}.{m.group(2)}.{m.group(1)}", out)
    return _DECIMAL_POINT.sub(r"\1,\2", out)

"""The tables a cohort run writes: one row per case, one per proposal item, one per error.

The schemas are declared once here (pyarrow) and used by the local runner, the report and the
Spark adapter, so that every face writes the same columns.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = ["CASE_SCHEMA", "ERROR_SCHEMA", "ITEM_SCHEMA"]

_str = pa.string()

SCORE = pa.struct(
    [
        ("name", _str),
        ("lesion", _str),
        ("total", pa.float64()),
        ("min", pa.float64()),
        ("max", pa.float64()),
        ("category", _str),
    ]
)
CASE_ITEM = pa.struct(
    [("kind", _str), ("code", _str), ("lesion", _str), ("status", _str), ("priority", _str)]
)
QUESTION = pa.struct([("fact", _str), ("priority", _str), ("decides", pa.list_(_str))])
MISSING = pa.struct([("field", _str), ("priority", _str)])
QUALITY = pa.struct([("id", _str), ("denominator", pa.bool_()), ("numerator", pa.bool_())])

#: One row per evaluated case.
CASE_SCHEMA = pa.schema(
    [
        ("source", _str),
        ("case_id", _str),
        ("engine_version", _str),
        ("kb_version", _str),
        ("kb_sha256", _str),
        ("primary_site", _str),
        ("lesions", pa.int32()),
        ("prognosis_band", _str),
        ("prognosis_basis", _str),
        ("prognosis_ge_6_months", pa.bool_()),
        ("scores", pa.list_(SCORE)),
        ("items", pa.list_(CASE_ITEM)),
        ("questions", pa.list_(QUESTION)),
        ("missing", pa.list_(MISSING)),
        ("quality", pa.list_(QUALITY)),
    ]
)

#: One row per emergency, recommendation and warning of a proposal.
ITEM_SCHEMA = pa.schema(
    [
        ("source", _str),
        ("case_id", _str),
        ("position", pa.int32()),
        ("kind", _str),
        ("code", _str),
        ("discipline", _str),
        ("lesion", _str),
        ("priority", _str),
        ("strength", _str),
        ("status", _str),
        ("rule", _str),
        ("because", pa.list_(_str)),
        ("conditions", pa.list_(_str)),
        ("assumed", pa.list_(_str)),
    ]
)

#: One row per case that could not be read or evaluated.
ERROR_SCHEMA = pa.schema([("source", _str), ("case_id", _str), ("error", _str)])

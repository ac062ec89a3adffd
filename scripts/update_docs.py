"""Regenerate the parts of docs/ that come from the model.

- docs/case.schema.json: the JSON Schema of the case format;
- docs/case-format.md: the field reference below its marker line (the introduction above it
  is written by hand and kept);
- docs/fhir.md: the code tables of the FHIR import below its marker line.

Run: .venv/bin/python scripts/update_docs.py  (tests/test_docs.py fails when these are stale)
"""

from __future__ import annotations

import json
from pathlib import Path

from osteoboard.case import Case
from osteoboard.casedoc import MARKER, field_reference

DOCS = Path(__file__).resolve().parents[1] / "docs"


def case_format(current: str) -> str:
    """docs/case-format.md with its reference regenerated (the marker appended if missing)."""
    intro = current.split(MARKER, 1)[0].rstrip("\n")
    return f"{intro}\n\n{MARKER}\n\n{field_reference()}"


def main() -> None:
    schema = json.dumps(Case.model_json_schema(), ensure_ascii=False, indent=2) + "\n"
    (DOCS / "case.schema.json").write_text(schema, encoding="utf-8")
    path = DOCS / "case-format.md"
    path.write_text(case_format(path.read_text(encoding="utf-8")), encoding="utf-8")
    fhir = DOCS / "fhir.md"
    fhir.write_text(fhir_doc(fhir.read_text(encoding="utf-8")), encoding="utf-8")


FHIR_MARKER = "<!-- generated from knowledge/fhir_codes.yaml: python scripts/update_docs.py -->"


def fhir_doc(current: str) -> str:
    """docs/fhir.md with its code tables regenerated below the marker."""
    from osteoboard.fhir.codes import load_fhir_codes, mapping_table

    intro = current.split(FHIR_MARKER, 1)[0].rstrip("\n")
    return f"{intro}\n\n{FHIR_MARKER}\n\n{mapping_table(load_fhir_codes())}"


if __name__ == "__main__":
    main()

"""FHIR R4 / mCODE in and out: ``import_resources`` turns a patient's resources into a
:class:`~osteoboard.case.Case` with a mapping report; the loaders read Bundles and bulk-export
NDJSON. Resources are parsed with the R4B classes of ``fhir.resources``; every code table is
in the knowledge base (``knowledge/fhir_codes.yaml``)."""

from __future__ import annotations

from osteoboard.fhir.errors import FhirImportError, FhirProblem
from osteoboard.fhir.importer import import_resources
from osteoboard.fhir.loaders import load_bundle, load_ndjson, load_path, parse_bundle, parse_ndjson
from osteoboard.fhir.report import (
    Conflict,
    ConflictCandidate,
    FieldSource,
    ImportResult,
    MappingReport,
    Unused,
)

__all__ = [
    "Conflict",
    "ConflictCandidate",
    "FhirImportError",
    "FhirProblem",
    "FieldSource",
    "ImportResult",
    "MappingReport",
    "Unused",
    "import_resources",
    "load_bundle",
    "load_ndjson",
    "load_path",
    "parse_bundle",
    "parse_ndjson",
]

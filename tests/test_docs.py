"""The published schema and examples in the docs stay in step with the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from osteoboard.case import Case

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_published_schema_is_generated_from_the_model() -> None:
    published = json.loads((DOCS / "case.schema.json").read_text(encoding="utf-8"))
    assert published == Case.model_json_schema(), "run: osteoboard schema > docs/case.schema.json"


def test_contract_doc_names_every_top_level_field() -> None:
    from osteoboard.proposal import Proposal

    text = (DOCS / "contract.md").read_text(encoding="utf-8")
    for name in Proposal.model_fields:
        assert f"`{name}`" in text or f"`{name}[]`" in text, name


def test_case_format_reference_is_generated_from_the_model() -> None:
    from osteoboard.casedoc import MARKER, field_reference

    text = (DOCS / "case-format.md").read_text(encoding="utf-8")
    intro, marker, reference = text.partition(MARKER)
    assert marker, "docs/case-format.md has lost its marker line"
    assert intro.startswith("# Case format\n"), "the introduction stays above the reference"
    assert reference.strip() == field_reference().strip(), "run: python scripts/update_docs.py"


def test_case_format_reference_names_every_field_with_its_meaning() -> None:
    from osteoboard.casedoc import fields

    rows = {row.path: row for block in fields() for row in block.fields}

    def walk(model: type[BaseModel], path: str) -> None:
        for name, info in model.model_fields.items():
            here = f"{path}.{name}" if path else name
            assert here in rows, here
            assert rows[here].meaning, f"{here}: add a Field description in case.py"
            inner = _model_in(info.annotation)
            if inner is not None:
                walk(inner, here + ("[]" if rows[here].type == "list of blocks" else ""))

    walk(Case, "")
    assert rows["lesions[].type"].allowed == (
        "`lytic` (osteolytisch), `mixed` (gemischt osteolytisch-osteoblastisch), "
        "`blastic` (osteoblastisch)"
    )
    assert rows["labs.calcium_mmol_l"].unit == "mmol/l"
    assert rows["labs.calcium_mg_dl"].unit == "mg/dl"  # conventional units are listed too
    assert rows["patient.karnofsky"].allowed == "≥ 0; ≤ 100; multiple of 10"
    assert rows["id"].required and not rows["board_date"].required
    # Every enumeration is named by labels.yaml.
    assert (
        rows["lesions[].side"].allowed
        == "`left` (links), `right` (rechts), `midline` (Mittellinie)"
    )


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for arg in (annotation, *get_args(annotation)):
        for inner in (arg, *get_args(arg)):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def test_enumeration_labels_need_the_whole_enumeration() -> None:
    """castration_status (sensitive, resistant) must not borrow the radiosensitivity names."""
    from osteoboard.casedoc import value_labels

    assert value_labels(["sensitive", "resistant"])["sensitive"].de.startswith("kastration")
    assert value_labels(["sensitive", "unheard_of"]) == {}
    assert value_labels(["female", "male"])["female"].de == "weiblich"
    assert value_labels(["0", "1a", "1b", "1c", "2", "3"])["1b"].de.startswith("Bilsky 1b")


def test_fhir_code_tables_in_the_docs_are_generated() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "update_docs", DOCS.parent / "scripts" / "update_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (DOCS / "fhir.md").read_text(encoding="utf-8")
    assert module.FHIR_MARKER in current
    assert module.fhir_doc(current) == current, "run: python scripts/update_docs.py"

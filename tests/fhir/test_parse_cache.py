"""Resources already validated are taken from a store keyed by their content: the same
content gives the same model, other content (even 1 against 1.0) is validated on its own,
invalid content is refused every time, and the store stays within its bound."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from osteoboard.fhir import FhirImportError, import_resources, load_path, r4b
from osteoboard.fhir.r4b import parse_resource

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fhir"


@pytest.fixture(autouse=True)
def empty_store() -> Iterator[None]:
    r4b.forget_parsed()
    yield
    r4b.forget_parsed()


def weight(oid: str, value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-01",
        "valueQuantity": {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org"},
    }


def test_the_same_content_gives_the_same_model_in_any_key_order() -> None:
    first = parse_resource(weight("w1", 70), "")
    reordered = dict(reversed(list(weight("w1", 70).items())))
    assert parse_resource(reordered, "") is first
    assert len(r4b._PARSED) == 1


def test_other_content_is_validated_on_its_own_even_one_against_one_point_zero() -> None:
    whole = parse_resource(weight("w1", 70), "")
    point = parse_resource(weight("w1", 70.0), "")
    other = parse_resource(weight("w2", 70), "")
    assert len({id(whole), id(point), id(other)}) == 3
    assert len(r4b._PARSED) == 3
    assert other.id == "w2"


def test_invalid_content_is_refused_every_time_and_never_kept() -> None:
    bad = weight("w1", 70)
    bad["effectiveDateTime"] = "yesterday"
    for _ in range(2):
        with pytest.raises(FhirImportError) as refused:
            parse_resource(copy.deepcopy(bad), "[0]")
        assert "effectiveDateTime" in refused.value.problems[0].where
    assert r4b._PARSED == {}


def test_content_json_cannot_spell_is_validated_without_the_store() -> None:
    with pytest.raises(FhirImportError):
        parse_resource(weight("w1", float("inf")), "")
    assert r4b._PARSED == {}


def test_forgetting_empties_the_store_and_its_count_of_characters() -> None:
    parse_resource(weight("w1", 70), "")
    assert r4b._PARSED and r4b._PARSED_CHARS[0] > 0
    r4b.forget_parsed()
    assert r4b._PARSED == {} and r4b._PARSED_CHARS[0] == 0
    first = parse_resource(weight("w1", 70), "")
    assert parse_resource(weight("w1", 70), "") is first  # kept again after forgetting


def test_the_store_keeps_at_most_its_bound_dropping_the_oldest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(r4b, "MAX_PARSED", 3)
    models = [parse_resource(weight(f"w{i}", 60 + i), "") for i in range(5)]
    assert len(r4b._PARSED) == 3
    assert parse_resource(weight("w4", 64), "") is models[4]  # kept
    assert parse_resource(weight("w0", 60), "") is not models[0]  # dropped, validated again


def test_a_large_resource_is_never_kept_and_the_texts_stay_within_their_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resource with a large text (an attachment) is validated every time; the texts kept
    stay within their bound in all, the oldest dropped first."""
    report = {
        "resourceType": "DocumentReference",
        "id": "report",
        "status": "current",
        "content": [{"attachment": {"contentType": "application/pdf", "data": "QUJD" * 5000}}],
    }
    assert parse_resource(report, "") is not parse_resource(report, "")
    assert r4b._PARSED == {}
    size = len(r4b._content_key(weight("w0", 60)) or "")
    monkeypatch.setattr(r4b, "MAX_PARSED_CHARS", 3 * size)
    models = [parse_resource(weight(f"w{i}", 60 + i), "") for i in range(5)]
    assert len(r4b._PARSED) == 3
    assert r4b._PARSED_CHARS[0] == sum(map(len, r4b._PARSED)) <= 3 * size
    assert parse_resource(weight("w4", 64), "") is models[4]


def test_threads_filling_the_store_at_once_never_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CDS Hooks service imports in a thread pool: many threads adding to a full store
    drop the oldest one at a time, and every parse returns its model."""
    monkeypatch.setattr(r4b, "MAX_PARSED", 2)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(number: int) -> None:
        try:
            start.wait()
            for i in range(300):
                model = parse_resource(weight(f"t{number}-{i}", 50 + i % 7), "")
                assert model.id == f"t{number}-{i}"
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(r4b._PARSED) <= 2
    assert r4b._PARSED_CHARS[0] == sum(map(len, r4b._PARSED))


def test_an_import_twice_gives_the_same_case_and_report_and_leaves_the_models_unchanged() -> None:
    resources = load_path(sorted(EXAMPLES.glob("*.json"))[0])
    day = dt.date(2026, 11, 20)
    first = import_resources(copy.deepcopy(resources), board_date=day)
    kept = {key: model.model_dump(mode="json") for key, model in r4b._PARSED.items()}
    assert len(kept) >= 5
    again = import_resources(copy.deepcopy(resources), board_date=day)
    assert again.case == first.case
    assert again.report == first.report
    assert {key: model.model_dump(mode="json") for key, model in r4b._PARSED.items()} == kept

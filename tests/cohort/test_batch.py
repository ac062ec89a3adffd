"""The pure batch function: raw cases in, case, item and error rows out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from osteoboard.caseio import load_case
from osteoboard.cohort import batch as batch_module
from osteoboard.cohort.batch import evaluate_batch
from osteoboard.engine import evaluate

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


def test_rows_mirror_each_proposal() -> None:
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    out = evaluate_batch(docs, [p.name for p in EXAMPLES])
    assert out.errors == []
    assert [c["source"] for c in out.cases] == [p.name for p in EXAMPLES]
    for path, row in zip(EXAMPLES, out.cases, strict=True):
        proposal = evaluate(load_case(path))
        expected = [
            *(("emergency", i.code, i.lesion, i.status.value) for i in proposal.emergencies),
            *(
                ("recommendation", i.code, i.lesion, i.status.value)
                for i in proposal.recommendations
            ),
            *(("warning", i.code, i.lesion, i.status.value) for i in proposal.warnings),
        ]
        assert [(i["kind"], i["code"], i["lesion"], i["status"]) for i in row["items"]] == expected
        items = [i for i in out.items if i["source"] == path.name]
        assert [(i["kind"], i["code"], i["lesion"], i["status"]) for i in items] == expected
        assert [i["position"] for i in items] == list(range(len(expected)))
        assert row["case_id"] == proposal.case_id
        assert row["prognosis_band"] == (proposal.prognosis.band and proposal.prognosis.band.value)
        assert [m["field"] for m in row["missing"]] == [m.field for m in proposal.missing_data]
        assert [q["fact"] for q in row["questions"]] == [q.fact for q in proposal.questions]
        assert {s["name"] for s in row["scores"]} == {s.name for s in proposal.scores}
        assert row["kb_version"] == proposal.knowledge_base.version  # type: ignore[union-attr]


def test_a_bad_case_becomes_an_error_row_and_the_batch_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8"))
    real = batch_module.evaluate

    def flaky(case, kb):  # type: ignore[no-untyped-def]
        if case.id == "boom":
            raise RuntimeError("rule exploded")
        return real(case, kb)

    monkeypatch.setattr(batch_module, "evaluate", flaky)
    docs = [
        {"id": "typo", "patient": {"agee": 70}},
        "{not json",
        ["a list"],
        {**good, "id": "boom"},
        good,
    ]
    out = evaluate_batch(docs, ["a", "b", "c", "d", "e"], lang="en")
    assert [c["source"] for c in out.cases] == ["e"]
    errors = {e["source"]: e for e in out.errors}
    assert list(errors) == ["a", "b", "c", "d"]
    assert errors["a"]["case_id"] == "typo"
    assert "patient.agee" in errors["a"]["error"] and "'age'" in errors["a"]["error"]
    assert errors["b"]["case_id"] is None and "line 1" in errors["b"]["error"]
    assert errors["d"]["error"] == "internal error: RuntimeError: rule exploded"
    assert all("\n" not in e["error"] for e in out.errors)


def test_errors_are_german_by_default() -> None:
    out = evaluate_batch([{"id": "x", "patient": {"agee": 70}}])
    assert out.errors[0]["error"] == "patient.agee: unbekanntes Feld; meinten Sie 'age'?"
    assert out.errors[0]["source"] == "0"


def test_one_source_per_document() -> None:
    with pytest.raises(ValueError, match="one source per document"):
        evaluate_batch([{"id": "a"}], ["a", "b"])

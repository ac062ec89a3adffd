"""Sloppy cohort inputs: one case id twice, a line that is not UTF-8 or cut short, and an
output folder inside the input folder (or the other way round)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from osteoboard.cohort.inputs import CohortInputError
from osteoboard.cohort.runner import run_cohort
from tests.cohort.conftest import table_rows

ROOT = Path(__file__).resolve().parents[2]


def _line(case_id: str, site: str = "breast") -> str:
    doc = {"id": case_id, "board_date": "2026-11-20", "primary": {"site": site}}
    return json.dumps(doc) + "\n"


def _errors(out: Path) -> dict[str, tuple[str | None, str]]:
    return {r["source"]: (r["case_id"], r["error"]) for r in table_rows(out, "errors")}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_case_id_is_evaluated_once(tmp_path: Path, jobs: int) -> None:
    """The second row with an id (another patient under the same pseudonym) is an error
    naming the first, whichever worker finishes first."""
    source = tmp_path / "c.ndjson"
    lines = [_line("c1"), _line("c2"), _line("c3"), _line("c2", "prostate"), _line("c4")]
    source.write_text("".join(lines), encoding="utf-8")
    summary = run_cohort(source, tmp_path / "out", jobs=jobs, chunk_size=1, lang="en")
    assert (summary.cases, summary.errors) == (4, 1)
    cases = table_rows(tmp_path / "out", "cases")
    assert [(r["source"], r["case_id"]) for r in cases] == [
        ("c.ndjson:1", "c1"),
        ("c.ndjson:2", "c2"),
        ("c.ndjson:3", "c3"),
        ("c.ndjson:5", "c4"),
    ]
    assert cases[1]["primary_site"] == "breast"
    assert _errors(tmp_path / "out") == {
        "c.ndjson:4": (
            "c2",
            "case id 'c2' already appears in c.ndjson:2; ids must be unique (not evaluated)",
        )
    }
    assert {r["source"] for r in table_rows(tmp_path / "out", "items")} == {
        "c.ndjson:1",
        "c.ndjson:2",
        "c.ndjson:3",
        "c.ndjson:5",
    }


def test_a_case_id_of_an_earlier_run_into_the_folder_counts(tmp_path: Path) -> None:
    (tmp_path / "a.ndjson").write_text(_line("c1") + _line("c2"), encoding="utf-8")
    (tmp_path / "b.ndjson").write_text(_line("c2") + _line("c3"), encoding="utf-8")
    out = tmp_path / "out"
    run_cohort(tmp_path / "a.ndjson", out, jobs=1)
    summary = run_cohort(tmp_path / "b.ndjson", out, jobs=1)
    assert (summary.cases, summary.errors) == (1, 1)
    assert _errors(out) == {
        "b.ndjson:1": (
            "c2",
            "Fall-ID 'c2' kommt schon in a.ndjson:2 vor; IDs müssen eindeutig sein (nicht "
            "ausgewertet)",
        )
    }


def test_bad_lines_are_named_as_they_are(tmp_path: Path) -> None:
    """A Latin-1 line was reported as binary data (NUL), a line cut short at line 2 of a
    one-line document."""
    source = tmp_path / "c.ndjson"
    source.write_bytes(
        _line("c1").encode()
        + '{"id": "c9", "primary": {"histology": "Größe"}}\n'.encode("latin-1")
        + b'{"id": "broken", "primary": {"site": "breast"\r\n'
        + b'{"id": "c3", "primary": {"si'
    )
    summary = run_cohort(source, tmp_path / "out", jobs=1)
    assert (summary.cases, summary.errors) == (1, 3)
    assert _errors(tmp_path / "out") == {
        "c.ndjson:2": (
            None,
            "c.ndjson:2: kein UTF-8-Text: Byte 0xF6 in Zeile 1, Spalte 42 (Latin-1 oder "
            "Windows-1252? als UTF-8 speichern)",
        ),
        "c.ndjson:3": (
            None,
            "c.ndjson:3: ungültiges JSON in Zeile 1: Komma oder schließende Klammer erwartet "
            "(ist das Dokument vollständig?)",
        ),
        "c.ndjson:4": (
            None,
            "c.ndjson:4: ungültiges JSON in Zeile 1: Text ohne schließendes Anführungszeichen "
            "(ist das Dokument vollständig?)",
        ),
    }


def test_a_latin1_file_in_a_folder_names_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.yaml").write_bytes(
        "id: a\nprimary:\n  histology: Gro\xdfzellig\n".encode("latin-1")
    )
    summary = run_cohort(folder, tmp_path / "out", jobs=1, lang="en")
    assert summary.errors == 1
    assert _errors(tmp_path / "out")["a.yaml"][1] == (
        "a.yaml: not UTF-8 text: byte 0xDF at line 3, column 17 (Latin-1 or Windows-1252? save "
        "it as UTF-8)"
    )


def test_an_output_folder_inside_the_input_folder_is_not_read(tmp_path: Path) -> None:
    """The second run read out/run.json as a case."""
    folder = tmp_path / "in"
    folder.mkdir()
    for path in sorted((ROOT / "examples").glob("0[1-3]-*.yaml")):
        shutil.copy(path, folder)
    out = folder / "out"
    first = run_cohort(folder, out, jobs=1)
    assert (first.total, first.cases, first.errors) == (3, 3, 0)
    assert (out / "run.json").is_file()
    again = run_cohort(folder, out, jobs=1)
    assert (again.total, again.skipped, again.cases, again.errors) == (3, 3, 0, 0)
    assert table_rows(out, "errors") == []


@pytest.mark.parametrize("where", [".", ".."])
def test_the_output_folder_may_not_be_or_hold_the_input_folder(tmp_path: Path, where: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(ROOT / "examples" / "01-breast-l2-fracture.yaml", folder)
    with pytest.raises(CohortInputError, match="the output folder is the input folder or holds"):
        run_cohort(folder, folder / where, jobs=1)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["01-breast-l2-fracture.yaml", "in"]

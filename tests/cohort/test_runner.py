"""The local runner: every input format, processes, errors, and resuming after a kill."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from osteoboard.cohort.inputs import CohortInputError, reader_for
from osteoboard.cohort.runner import part_files, run_cohort
from osteoboard.cohort.synth import write_cohort
from tests.cohort.conftest import N, table_rows

OSTEOBOARD = Path(sys.executable).with_name("osteoboard")
ROOT = Path(__file__).resolve().parents[2]


def _without_source(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    out = [{k: v for k, v in r.items() if k != "source"} for r in rows]
    return sorted(out, key=lambda r: (str(r["case_id"]), int(r.get("position", 0))))  # type: ignore[call-overload]


def test_every_input_format_gives_the_same_rows(
    cohort_dir: Path, ndjson_run: Path, tmp_path: Path
) -> None:
    cases = table_rows(ndjson_run, "cases")
    items = table_rows(ndjson_run, "items")
    assert len(cases) == N and table_rows(ndjson_run, "errors") == []
    assert cases[0]["source"] == "cohort.ndjson:1"
    # Two worker processes over the folder of YAML files and over the Parquet table.
    for name, source in (
        ("yaml", cohort_dir / "yaml"),
        ("parquet", cohort_dir / "parquet" / "cohort.parquet"),
    ):
        out = tmp_path / name
        summary = run_cohort(source, out, jobs=2, chunk_size=25)
        assert (summary.cases, summary.errors, summary.parts) == (N, 0, 5)
        assert _without_source(table_rows(out, "cases")) == _without_source(cases), name
        assert _without_source(table_rows(out, "items")) == _without_source(items), name
    assert table_rows(tmp_path / "yaml", "cases")[0]["source"].endswith(".yaml")
    assert table_rows(tmp_path / "parquet", "cases")[0]["source"] == "cohort.parquet#0"


def test_bad_cases_go_to_the_errors_file(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    write_cohort(5, folder, seed=3)
    (folder / "broken.yaml").write_text("id: x\npatient: {age: 70\n", encoding="utf-8")
    (folder / "typo.json").write_text('{"id": "t1", "lesions": [{"id": "A", "type": "lyric"}]}')
    (folder / "empty.yml").write_text("\n")
    (folder / "latin1.yaml").write_bytes("id: \xe4\n".encode("latin-1"))
    summary = run_cohort(folder, tmp_path / "out", jobs=1, lang="en")
    assert (summary.cases, summary.errors) == (5, 4)
    lines = (tmp_path / "out" / "errors.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "source\tcase_id\terror"
    by_source = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert sorted(by_source) == ["broken.yaml", "empty.yml", "latin1.yaml", "typo.json"]
    assert by_source["broken.yaml"][2].startswith("broken.yaml: invalid YAML at line 3")
    assert by_source["typo.json"][1] == "t1"
    assert "lesions[0].type" in by_source["typo.json"][2] and "'lytic'" in by_source["typo.json"][2]
    assert "empty" in by_source["empty.yml"][2]
    assert "UTF-8" in by_source["latin1.yaml"][2]


def test_the_errors_file_shows_hostile_names_and_ids_escaped(tmp_path: Path) -> None:
    """A file name with a line break or an escape sequence, an id meant as a spreadsheet
    formula: every error stays one row of three cells, a terminal shows no escape sequence,
    and a spreadsheet reads no formula."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a\nfake\trow.yaml").write_text("id: x\npatient: {age: 70\n", encoding="utf-8")
    (folder / "b\x1b[31mred.json").write_text('{"id": "=HYPERLINK(1)", "patient": {"ecog": 9}}')
    summary = run_cohort(folder, tmp_path / "out", jobs=1, lang="en")
    assert summary.errors == 2
    text = (tmp_path / "out" / "errors.tsv").read_text(encoding="utf-8")
    assert "\x1b" not in text
    rows = text.splitlines()
    assert len(rows) == 3 and all(row.count("\t") == 2 for row in rows)
    assert rows[1].startswith("a\\nfake\\trow.yaml\t")
    assert rows[2].split("\t")[:2] == ["b\\x1b[31mred.json", "'=HYPERLINK(1)"]


def test_pieces_of_a_chunk_give_the_parts_of_the_whole_chunk(tmp_path: Path) -> None:
    """Workers evaluate a chunk in pieces; its parts hold the same rows in the same order as
    when one worker read the whole chunk: the records it could not read first, then the
    others in the input's order."""
    folder = tmp_path / "cases"
    write_cohort(14, folder, seed=5)
    for n in (5, 9, 13):
        (folder / f"synth-5-{n:07d}-broken.yaml").write_text("id: x\npatient: {age: 70\n")
    typo = '{"id": "t1", "lesions": [{"type": "lyric"}]}'
    (folder / "synth-5-0000001-typo.json").write_text(typo)
    runs = {}
    for jobs, piece_size in ((2, 8), (2, 3), (2, 1), (1, 3)):
        out = tmp_path / f"pieces-{jobs}-{piece_size}"
        summary = run_cohort(folder, out, jobs=jobs, chunk_size=8, piece_size=piece_size)
        assert (summary.cases, summary.errors, summary.parts) == (14, 4, 3)
        runs[jobs, piece_size] = {
            table: [pq.read_table(p).to_pylist() for p in part_files(out, table)]
            for table in ("cases", "items", "errors")
        }
    whole = runs[2, 8]
    assert runs[2, 3] == whole and runs[2, 1] == whole and runs[1, 3] == whole
    first_errors = [row["source"] for row in whole["errors"][0]]
    # the first chunk: 1-typo, 1, 2, 3, 4, 5-broken, 5, 6 (in pieces of 3, the typo's piece
    # comes back before the broken file's)
    assert first_errors == ["synth-5-0000005-broken.yaml", "synth-5-0000001-typo.json"]


def test_pieces_are_joined_in_their_order_whatever_order_they_came_back_in() -> None:
    from osteoboard.cohort.batch import Batch
    from osteoboard.cohort.runner import _joined

    def piece(n: int) -> tuple[int, list[dict[str, Any]], Batch]:
        return (
            n,
            [{"source": f"unread-{n}"}],
            Batch(
                cases=[{"source": f"case-{n}"}],
                items=[{"source": f"item-{n}"}],
                errors=[{"source": f"bad-{n}"}],
            ),
        )

    joined = _joined([piece(2), piece(0), piece(1)])
    assert [r["source"] for r in joined.cases] == ["case-0", "case-1", "case-2"]
    assert [r["source"] for r in joined.items] == ["item-0", "item-1", "item-2"]
    assert [r["source"] for r in joined.errors] == [
        "unread-0",
        "unread-1",
        "unread-2",
        "bad-0",
        "bad-1",
        "bad-2",
    ]


def test_input_that_is_no_cohort(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CohortInputError, match="not a cohort input"):
        reader_for(tmp_path / "notes.txt")
    with pytest.raises(CohortInputError, match="no such file or folder"):
        reader_for(tmp_path / "missing")


def _run_in_background(source: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(OSTEOBOARD),
            "cohort",
            "run",
            str(source),
            "-o",
            str(out),
            "-j",
            "1",
            "--chunk-size",
            "2",
            "-q",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_run_resumes_without_loss_or_doubles(
    cohort_dir: Path, ndjson_run: Path, tmp_path: Path
) -> None:
    source = cohort_dir / "ndjson" / "cohort.ndjson"
    out = tmp_path / "out"
    process = _run_in_background(source, out)
    try:
        deadline = time.monotonic() + 120
        while not (out / "cases" / "part-000003.parquet").exists():
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    done = sorted((out / "cases").glob("part-*.parquet"))
    assert 3 <= len(done) < N // 2, "the kill came after the run had finished"
    # A chunk killed in flight leaves at most temporary files and parts without their cases
    # part; every part in place is a whole Parquet file.
    for table in ("cases", "items", "errors"):
        for part in (out / table).glob("part-*.parquet"):
            pq.read_table(part)
    (out / "items" / "part-000099.parquet").write_bytes(b"half a file")
    (out / "cases" / ".part-000099.parquet.1.tmp").write_bytes(b"half a file")

    summary = run_cohort(source, out, jobs=1, chunk_size=10)
    assert summary.skipped == len(done) * 2
    assert summary.cases == N - len(done) * 2
    assert not (out / "items" / "part-000099.parquet").exists()
    assert not list(out.rglob("*.tmp"))
    # The same rows as one run from start to end, each once.
    assert table_rows(out, "cases") == table_rows(ndjson_run, "cases")
    assert table_rows(out, "items") == table_rows(ndjson_run, "items")
    again = run_cohort(source, out, jobs=1)
    assert (again.cases, again.skipped) == (0, N)


def test_command_line(cohort_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = cohort_dir / "parquet" / "cohort.parquet"
    done = subprocess.run(
        [str(OSTEOBOARD), "cohort", "run", str(source), "-o", str(out), "-j", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith(f"{N} Fälle ausgewertet, 0 Fehler, 0 schon vorhanden;")
    bad = subprocess.run(
        [str(OSTEOBOARD), "--lang", "en", "cohort", "run", str(tmp_path / "nope"), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr == f"error: {tmp_path / 'nope'}: no such file or folder\n"
    info = yaml.safe_load((out / "run.json").read_text(encoding="utf-8"))
    assert info["cases_in_folder"] == N and info["knowledge_base"]["version"]


def test_fhir_bulk_export_folder(tmp_path: Path) -> None:
    from osteoboard.cohort.batch import evaluate_batch
    from osteoboard.cohort.inputs import data_date
    from osteoboard.fhir import import_resources, load_bundle

    bundles = sorted((ROOT / "examples" / "fhir").glob("0[1-4]-*.json"))
    by_type: dict[str, list[str]] = {}
    expected = []
    for bundle in bundles:
        resources = load_bundle(bundle)
        for resource in resources:
            by_type.setdefault(resource["resourceType"], []).append(json.dumps(resource))
        case = import_resources(resources, board_date=data_date(resources, dt.date.today())).case
        expected.append(case.model_dump(mode="json", exclude_none=True))
    folder = tmp_path / "export"
    folder.mkdir()
    for kind, lines in by_type.items():
        (folder / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run_cohort(folder, tmp_path / "out", jobs=1)
    assert (summary.total, summary.cases, summary.errors) == (len(bundles), len(bundles), 0)
    rows = table_rows(tmp_path / "out", "cases")
    want = evaluate_batch(expected, [f"Patient/{doc['id']}" for doc in expected]).cases
    assert rows == sorted(want, key=lambda r: r["source"])


def test_fhir_bulk_export_is_read_as_of_each_patients_latest_data(tmp_path: Path) -> None:
    """A registry's export of a patient last seen in 2024: the case is read as of that
    patient's latest dated event, so the creatinine of that week is current (a
    laboratory value has a maximum age before the board date) and is not asked for, and the
    paraparesis of that week is new; an appointment planned after today is no data."""
    from osteoboard.cohort.inputs import data_date

    sub = {"subject": {"reference": "Patient/reg-1"}}
    gm = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "reg-1", "gender": "female", "birthDate": "1950-05-01"},
        {
            "resourceType": "Condition",
            "id": "c1",
            "code": {"coding": [{"system": gm, "code": "C50.9"}]},
            "recordedDate": "2023-01-10",
            **sub,
        },
        {
            "resourceType": "Condition",
            "id": "c2",
            "code": {"coding": [{"system": gm, "code": "G82.11"}]},
            "onsetDateTime": "2024-03-02",
            **sub,
        },
        {
            "resourceType": "Observation",
            "id": "o1",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
            "valueQuantity": {"value": 0.9, "unit": "mg/dL", "code": "mg/dL"},
            "effectiveDateTime": "2024-03-04T08:15:00+01:00",
            **sub,
        },
        {
            "resourceType": "Encounter",
            "id": "e-planned",
            "status": "planned",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "AMB",
            },
            "period": {"start": (dt.date.today() + dt.timedelta(days=30)).isoformat()},
            **sub,
        },
    ]
    today = dt.date.today()
    assert data_date(resources, today) == dt.date(2024, 3, 4)
    assert data_date(resources[:1], today) == today  # nothing dated: the day of the run
    assert data_date([{"effectiveDateTime": "2024-03"}], today) == today  # no day
    folder = tmp_path / "export"
    folder.mkdir()
    for r in resources:
        with (folder / f"{r['resourceType']}.ndjson").open("a", encoding="utf-8") as f:
            f.write(json.dumps(r) + "\n")
    summary = run_cohort(folder, tmp_path / "out", jobs=1)
    assert (summary.cases, summary.errors) == (1, 0)
    (row,) = table_rows(tmp_path / "out", "cases")
    codes = {(r["code"], r["status"]) for r in table_rows(tmp_path / "out", "items")}
    assert ("EMERG.MSCC", "suspected") in codes
    missing = {m["field"] for m in row["missing"]}
    assert "labs.creatinine_umol_l" not in missing and "labs.calcium_mmol_l" in missing


def test_fhir_bulk_export_reads_recent_findings_as_of_the_run(tmp_path: Path) -> None:
    """An export has no board date: a patient's latest data date it, here two days ago, so a
    paraparesis recorded two days ago is new and raises the suspected spinal cord
    compression."""
    today = dt.date.today()
    gm = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"

    def condition(cid: str, code: str, **extra: Any) -> dict[str, Any]:
        return {
            "resourceType": "Condition",
            "id": cid,
            "code": {"coding": [{"system": gm, "code": code}]},
            "subject": {"reference": "Patient/bulk-1"},
            "recordedDate": (today - dt.timedelta(days=2)).isoformat(),
            **extra,
        }

    folder = tmp_path / "export"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "bulk-1", "gender": "female"}
    (folder / "Patient.ndjson").write_text(json.dumps(patient) + "\n", encoding="utf-8")
    conditions = [
        condition("c1", "C50.9"),
        condition(
            "c2",
            "C79.5",
            bodySite=[{"coding": [{"system": "http://snomed.info/sct", "code": "66794005"}]}],
        ),
        condition("c3", "G82.11"),  # spastic paraparesis, acute incomplete (GM fifth digit)
    ]
    (folder / "Condition.ndjson").write_text(
        "\n".join(json.dumps(c) for c in conditions) + "\n", encoding="utf-8"
    )
    summary = run_cohort(folder, tmp_path / "out", jobs=1)
    assert (summary.cases, summary.errors) == (1, 0)
    items = table_rows(tmp_path / "out", "items")
    assert ("EMERG.MSCC", "suspected") in {(r["code"], r["status"]) for r in items}


def test_fhir_bulk_export_lines_are_streamed_and_a_bad_line_is_named(tmp_path: Path) -> None:
    from osteoboard.cohort.inputs import FhirBulkReader, Unreadable

    folder = tmp_path / "export"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "bulk-2", "gender": "male"}
    # A byte-order mark, CRLF line ends and a blank line are read as a bulk export writes them.
    (folder / "Patient.ndjson").write_bytes(
        b"\xef\xbb\xbf" + json.dumps(patient).encode() + b"\r\n\r\n"
    )
    records = list(FhirBulkReader().read(folder))
    assert [r.source for r in records] == ["Patient/bulk-2"]
    (folder / "Observation.ndjson").write_bytes(
        b'{"resourceType": "Observation"}\n[1, 2]\n{"resourceType": "Observation", "id": "\xff"}\n'
    )
    records = list(FhirBulkReader().read(folder))
    assert FhirBulkReader().count(folder) == len(records) == 3
    bad = {r.source: r.payload for r in records if isinstance(r.payload, Unreadable)}
    assert bad["Observation.ndjson:2"].en.startswith(
        "Observation.ndjson:2: not a FHIR resource (not a JSON object); belongs to no patient"
    )
    assert bad["Observation.ndjson:3"].de.startswith("Observation.ndjson:3: kein UTF-8-Text")


def test_fhir_bulk_export_with_broken_lines_goes_on(tmp_path: Path) -> None:
    """A line cut short never stops the run (it did: exit 2, every patient lost). Its patient,
    when the line names one, is not imported (without that resource an older value could
    stand for the lost one); a line that names none is an error row of its own, and the
    other patients are imported."""
    folder = ROOT / "tests" / "fhir" / "hostile" / "bulk-broken-lines"
    out = tmp_path / "out"
    run = subprocess.run(
        [str(OSTEOBOARD), "cohort", "run", str(folder), "-o", str(out), "-j", "1", "-q"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert [r["source"] for r in table_rows(out, "cases")] == ["Patient/hb-1", "Patient/hb-2"]
    errors = {r["source"]: r["error"] for r in table_rows(out, "errors")}
    assert set(errors) == {"Observation.ndjson:2", "Patient/hb-3"}
    assert errors["Observation.ndjson:2"].startswith(
        "Observation.ndjson:2: kein gültiges JSON: Expecting property name enclosed in double "
        "quotes (Spalte 42); keinem Patienten zuzuordnen"
    )
    assert errors["Patient/hb-3"].startswith("Observation.ndjson:4: kein gültiges JSON")
    assert "Patient/hb-3" in (out / "errors.tsv").read_text(encoding="utf-8")
    again = run_cohort(folder, out, jobs=1)  # resumed: nothing twice
    assert (again.total, again.skipped, again.cases, again.errors) == (4, 4, 0, 0)

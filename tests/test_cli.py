"""The command line: output contract on stdout, one-line errors on stderr with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from osteoboard.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
runner = CliRunner()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_evaluate_json_for_every_example(path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    for key in ("case_id", "engine_version", "prognosis", "scores", "missing_data"):
        assert key in doc
    assert doc["case_id"].startswith("demo-")
    assert result.stderr == ""


def test_evaluate_is_deterministic() -> None:
    path = str(EXAMPLES[0])
    first = runner.invoke(app, ["evaluate", path]).stdout
    second = runner.invoke(app, ["evaluate", path]).stdout
    assert first == second


def test_text_summary_names_the_scores() -> None:
    result = runner.invoke(
        app, ["evaluate", str(ROOT / "examples/05-kidney-femur-impending.yaml"), "-f", "text"]
    )
    assert result.exit_code == 0
    assert "Mirels-Score" in result.stdout
    assert "Prognose" in result.stdout


def test_invalid_case_is_one_line_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nlesions:\n  - {id: L1, region: spine, type: lyric}\n")
    result = runner.invoke(app, ["evaluate", str(bad)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: lesions[0].type: must be one of")


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_score_command_prints_working() -> None:
    result = runner.invoke(
        app,
        [
            "score",
            "sins",
            "--level",
            "L2",
            "--pain",
            "mechanical",
            "--type",
            "lytic",
            "--alignment",
            "normal",
            "--collapse",
            "lt_50",
            "--posterolateral",
            "unilateral",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "10 → potenziell instabil" in result.stdout


def test_score_json_range_for_missing_items() -> None:
    result = runner.invoke(app, ["score", "sins", "--json", "--level=T11", "--pain", "mechanical"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["total"] is None
    assert doc["range"] == [6, 18]  # 3 + 3 known; type 0–2, alignment 0–4, collapse 0–3, pl 0–3


def test_score_rejects_unknown_item() -> None:
    result = runner.invoke(app, ["score", "sins", "--colour", "red"])
    assert result.exit_code == 2
    assert "sins has no item 'colour'" in result.stderr


def test_score_rejects_invalid_value() -> None:
    result = runner.invoke(app, ["score", "sins", "--pain", "severe"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: sins.pain: must be one of")


def test_unknown_score_lists_known_ones() -> None:
    result = runner.invoke(app, ["score", "nonesuch"])
    assert result.exit_code == 2
    assert "known:" in result.stderr and "sins" in result.stderr


def test_schema_is_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    doc = json.loads(result.stdout)
    assert doc["title"] == "Case"
    assert doc["additionalProperties"] is False


def test_installed_console_script_runs() -> None:
    exe = Path(sys.executable).with_name("osteoboard")
    proc = subprocess.run(
        [str(exe), "evaluate", str(EXAMPLES[0])], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["case_id"] == "demo-001"


def test_demo_writes_protocol_and_letter_per_case(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in ("01-breast-l2-fracture.yaml", "09-myeloma-relapse.yaml"):
        (folder / name).write_bytes((ROOT / "examples" / name).read_bytes())
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--directory", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "demo-001" in result.stdout and "demo-009" in result.stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"{cid}.{kind}.{ext}"
        for cid in ("demo-001", "demo-009")
        for kind in ("board", "patient")
        for ext in ("html", "pdf")
    )


def test_demo_on_an_empty_folder_fails(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--directory", str(tmp_path)])
    assert result.exit_code == 2
    assert "no case files" in result.stderr


def test_evaluate_reads_standard_input() -> None:
    text = (ROOT / "examples/05-kidney-femur-impending.yaml").read_text()
    result = runner.invoke(app, ["evaluate", "-"], input=text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["case_id"] == "demo-005"
    bad = runner.invoke(app, ["evaluate", "-"], input="id: x\npatient: {ecog: 7}\n")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: patient.ecog:")


def test_text_summary_keeps_bracketed_lesion_ids() -> None:
    """Rich markup must not swallow lesion ids in brackets or missing-data priorities."""
    result = runner.invoke(
        app, ["evaluate", str(ROOT / "examples/04-lung-mscc-emergency.yaml"), "-f", "text"]
    )
    assert result.exit_code == 0
    assert "DRINGEND RT.MSCC [T6]" in result.stdout
    assert "(dringend)" in result.stdout or "(zeitnah)" in result.stdout

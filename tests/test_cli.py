"""The command line: output contract on stdout; errors on stderr, one line each, exit 2;
German messages by default, English with --lang en."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
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
    assert result.stderr.splitlines() == [
        "Fehler: lesions[0].type: muss einer dieser Werte sein: 'lytic', 'mixed' oder "
        "'blastic' (erhalten 'lyric'); meinten Sie 'lytic'?"
    ]


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert result.stderr == f"Fehler: {tmp_path / 'none.yaml'}: Datei nicht gefunden\n"
    english = runner.invoke(app, ["--lang", "en", "evaluate", str(tmp_path / "none.yaml")])
    assert english.stderr == f"error: {tmp_path / 'none.yaml'}: no such file\n"


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
    assert result.stderr.startswith("Fehler: sins hat kein Item 'colour'; Items: --level, --pain")
    result = runner.invoke(app, ["--lang", "en", "score", "sins", "--pian", "mechanical"])
    assert result.stderr == "error: sins has no item 'pian'; did you mean --pain?\n"


def test_score_rejects_invalid_values_all_at_once() -> None:
    result = runner.invoke(app, ["score", "sins", "--pain", "severe", "--level", "BWK 13"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("Fehler: sins.level: muss ein Wirbelsegment sein")
    assert lines[1].startswith("Fehler: sins.pain: muss einer dieser Werte sein: 'mechanical'")


def test_score_refuses_an_item_given_twice_with_two_values() -> None:
    argv = ["--lang", "en", "score", "sins", "--level", "L2", "--pain", "mechanical"]
    result = runner.invoke(app, [*argv, "--pain=none"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --pain given twice ('mechanical', then 'none'); give it once\n"
    )
    same = runner.invoke(app, [*argv, "--pain", "mechanical", "--json"])
    assert same.exit_code == 0, same.stderr


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--weight-kg", "nan"], "crcl_cockcroft_gault.weight_kg: must be a finite number"),
        (
            ["--creatinine-umol-l", "12"],
            "crcl_cockcroft_gault.creatinine_umol_l: must be at least 18",
        ),
    ],
)
def test_score_limits_are_the_case_formats(argv: list[str], line: str) -> None:
    result = runner.invoke(app, ["--lang", "en", "score", "crcl_cockcroft_gault", *argv])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {line}"), result.stderr


@pytest.mark.parametrize(
    ("level", "location"), [("BWK 8", "semi_rigid"), ("Th 12", "junctional"), ("lwk3", "mobile")]
)
def test_score_reads_german_vertebra_notation(level: str, location: str) -> None:
    result = runner.invoke(app, ["score", "sins", "--json", "--level", level])
    assert result.exit_code == 0, result.stderr
    item = next(i for i in json.loads(result.stdout)["items"] if i["name"] == "location")
    assert item["value"] == location


def test_unknown_score_lists_known_ones() -> None:
    result = runner.invoke(app, ["score", "nonesuch"])
    assert result.exit_code == 2
    assert "bekannt:" in result.stderr and "sins" in result.stderr
    result = runner.invoke(app, ["--lang", "en", "score", "sinz"])
    assert "known:" in result.stderr and result.stderr.endswith("; did you mean 'sins'?\n")


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


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_output_that_cannot_be_written_is_one_line_not_a_traceback(fmt: str) -> None:
    """A full device as standard output: one line naming the failure, exit code 1; a reader
    that goes away (``| head``) ends the run quietly."""
    exe = Path(sys.executable).with_name("osteoboard")
    command = [str(exe), "evaluate", str(EXAMPLES[0]), "-f", fmt]
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, check=False)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "Fehler: Ein- oder Ausgabe fehlgeschlagen (No space left on device)"
    ]
    pipe = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert pipe.stdout is not None and pipe.stderr is not None
    pipe.stdout.read(10)
    pipe.stdout.close()
    pipe.wait(timeout=60)
    assert "Traceback" not in pipe.stderr.read().decode()


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
    assert result.stderr == f"Fehler: {tmp_path}: keine Falldateien (*.yaml, *.json)\n"


def test_evaluate_reads_standard_input() -> None:
    text = (ROOT / "examples/05-kidney-femur-impending.yaml").read_text()
    result = runner.invoke(app, ["evaluate", "-"], input=text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["case_id"] == "demo-005"
    bad = runner.invoke(app, ["evaluate", "-"], input="id: x\npatient: {ecog: 7}\n")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Fehler: patient.ecog: darf höchstens 4 sein (erhalten 7)")


def test_text_summary_keeps_bracketed_lesion_ids() -> None:
    """Rich markup must not swallow lesion ids in brackets or missing-data priorities."""
    result = runner.invoke(
        app, ["evaluate", str(ROOT / "examples/04-lung-mscc-emergency.yaml"), "-f", "text"]
    )
    assert result.exit_code == 0
    assert "DRINGEND RT.MSCC [T6]" in result.stdout
    assert "(dringend)" in result.stdout or "(zeitnah)" in result.stdout


def test_text_summary_marks_an_urgent_step_on_a_condition() -> None:
    """An urgent step that waits for open facts says so in the urgent block, with its
    conditions: a decompression read as decided would carry harm."""
    case = ROOT / "tests/cases/001-breast-leg-weakness-no-mri.yaml"
    doc = yaml.safe_load(case.read_text())["case"]
    result = runner.invoke(app, ["evaluate", "-", "-f", "text"], input=yaml.safe_dump(doc))
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "DRINGEND (unter Bedingungen) SURG.DECOMPRESSION_STABILIZATION" in text
    block = text.split("DRINGEND (unter Bedingungen) SURG.DECOMPRESSION_STABILIZATION", 1)[1]
    assert "wenn:" in block.split("DRINGEND", 1)[0]
    # A firm step names its conditions as the case it prepares for, not as still open.
    mri = text.split("DRINGEND DX.MRI_WHOLE_SPINE_URGENT", 1)[1].split("DRINGEND", 1)[0]
    assert "vorsorglich, für den Fall:" in mri and "wenn:" not in mri


# --------------------------------------------------------------------------------------------
# Every problem of a case at once, with help to fix it

THREE_ERRORS = """\
id: demo-x
board_date: 20.11.2026
patient: {agee: 64, ecog: 1}
lesions:
  - {id: L1, region: spine, level: L2, type: lyric}
"""


def _errors(text: str, *options: str, output: Path | None = None) -> list[str]:
    """stderr lines of a rejected case (exit 2, nothing on stdout, nothing written)."""
    args = [*options, "evaluate", "-"] + (["-o", str(output)] if output else [])
    result = runner.invoke(app, args, input=text)
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert result.stdout == ""
    assert output is None or not output.parent.exists() or list(output.parent.iterdir()) == []
    return result.stderr.splitlines()


def test_three_errors_are_reported_at_once(tmp_path: Path) -> None:
    lines = _errors(THREE_ERRORS, output=tmp_path / "out.json")
    assert sorted(lines) == sorted(
        [
            "Fehler: board_date: muss ein Datum im Format JJJJ-MM-TT sein (erhalten "
            "'20.11.2026'); Datum als JJJJ-MM-TT schreiben: 2026-11-20",
            "Fehler: patient.agee: unbekanntes Feld; meinten Sie 'age'?",
            "Fehler: lesions[0].type: muss einer dieser Werte sein: 'lytic', 'mixed' oder "
            "'blastic' (erhalten 'lyric'); meinten Sie 'lytic'?",
        ]
    )


def test_three_errors_in_english() -> None:
    lines = _errors(THREE_ERRORS, "--lang", "en")
    assert sorted(lines) == sorted(
        [
            "error: board_date: must be a date as YYYY-MM-DD (got '20.11.2026'); write the "
            "date as YYYY-MM-DD: 2026-11-20",
            "error: patient.agee: unknown field; did you mean 'age'?",
            "error: lesions[0].type: must be one of 'lytic', 'mixed' or 'blastic' (got 'lyric'); "
            "did you mean 'lytic'?",
        ]
    )


def test_language_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSTEOBOARD_LANG", "en")
    assert _errors("id: x\npatient: {agee: 64}\n") == [
        "error: patient.agee: unknown field; did you mean 'age'?"
    ]
    assert _errors("id: x\npatient: {agee: 64}\n", "--lang", "de") == [
        "Fehler: patient.agee: unbekanntes Feld; meinten Sie 'age'?"
    ]


def test_unknown_language_is_a_usage_error() -> None:
    result = runner.invoke(app, ["--lang", "fr", "evaluate", "-"], input="id: x\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("Fehler: ungültiger Wert für '--lang'")
    assert "'fr' ist keiner von 'de', 'en'" in result.stderr


def test_decimal_comma_in_a_flow_mapping() -> None:
    """`{calcium_mmol_l: 2,52}` is YAML for calcium 2 and a second field named 52."""
    assert _errors("id: x\nlabs: {calcium_mmol_l: 2,52, albumin_g_l: 38}\n") == [
        "Fehler: labs.calcium_mmol_l: Dezimalkomma in 2,52: in {…} trennt das Komma Felder; "
        "Dezimalzahlen mit Punkt schreiben: 2.52"
    ]
    # The fraction keeps its leading zero: 2,05 is not 2.5.
    assert _errors("id: x\nlabs: {calcium_mmol_l: 2,05}\n", "--lang", "en") == [
        "error: labs.calcium_mmol_l: decimal comma in 2,05: inside {…} a comma separates "
        "fields; write decimals with a point: 2.05"
    ]


def test_a_comma_in_a_text_of_a_flow_mapping() -> None:
    """`{histology: IgG, lambda}` is YAML for the text IgG and a field named lambda without a
    value: the error names the text field and how to quote it, once for several words."""
    assert _errors("id: x\nprimary: {site: myeloma, histology: IgG, lambda}\n") == [
        "Fehler: primary.histology: Komma im Text „IgG, lambda“: in {…} trennt das Komma "
        'Felder; den Text in Anführungszeichen setzen: histology: "IgG, lambda"'
    ]
    lines = _errors(
        "id: x\nprimary: {site: myeloma, histology: IgG, lambda, Bence Jones}\n", "--lang", "en"
    )
    assert lines == [
        "error: primary.histology: comma in the text 'IgG, lambda, Bence Jones': inside {…} a "
        'comma separates fields; put the text in quotes: histology: "IgG, lambda, Bence Jones"'
    ]
    # A field name after a number is no text cut at a comma.
    assert "unknown field" in _errors("id: x\npatient: {age: 70, lambda}\n", "--lang", "en")[0]


def test_decimal_comma_in_a_block_mapping() -> None:
    assert _errors("id: x\nlabs:\n  calcium_mmol_l: 2,52\n") == [
        "Fehler: labs.calcium_mmol_l: muss eine Zahl sein (erhalten '2,52'); Dezimalzahlen "
        "mit Punkt schreiben: 2.52"
    ]


def test_a_field_named_by_a_number_is_no_decimal_comma() -> None:
    """A number key after a text value, or with a value of its own, is just unknown."""
    lines = _errors("id: x\npatient: {sex: male, 52: 1}\n", "--lang", "en")
    assert lines == [
        "error: patient['52']: unknown field; allowed: age, sex, weight_kg, ecog, karnofsky, "
        "life_expectancy_months, fit_for_surgery, dental_exam_done, "
        "invasive_dental_procedure_planned, hypercalcemia_symptoms, hypocalcemia_symptoms, "
        "on_dialysis, platelet_transfusion_refractory, pregnant, breastfeeding, "
        "fetal_dose_acceptable, jaw_osteonecrosis, jaw_osteonecrosis_stage, cardiac_device, "
        "cardiac_device_mr_conditional, mri_contraindicated, mri_contraindication_reason, declines"
    ]


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("20.11.2026", "Datum als JJJJ-MM-TT schreiben: 2026-11-20"),
        ("1.2.2026", "Datum als JJJJ-MM-TT schreiben: 2026-02-01"),
        ("31.02.2026", "Datum als JJJJ-MM-TT schreiben"),  # no such day: no conversion
        ("20.11.26", "Datum als JJJJ-MM-TT schreiben"),  # which century?
    ],
)
def test_german_dates_get_the_format(value: str, hint: str) -> None:
    (line,) = _errors(f"id: x\nboard_date: {value}\n")
    assert line.startswith("Fehler: board_date: muss ein Datum im Format JJJJ-MM-TT sein (erh")
    assert line.endswith(f"; {hint}")


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        (
            "calcium_mmol_l",
            "10.1",
            "Wert in mg/dl? Dann calcium_mg_dl: 10.1 angeben (entspricht 2.52 mmol/l)",
        ),
        (
            "creatinine_umol_l",
            "1.2",
            "Wert in mg/dl? Dann creatinine_mg_dl: 1.2 angeben (entspricht 106.1 µmol/l)",
        ),
        ("albumin_g_l", "3.8", "Wert in g/dl? Dann albumin_g_dl: 3.8 angeben (entspricht 38 g/l)"),
    ],
)
def test_conventional_units_are_pointed_to(field: str, value: str, hint: str) -> None:
    (line,) = _errors(f"id: x\nlabs: {{{field}: {value}}}\n")
    assert line.startswith(f"Fehler: labs.{field}: muss ")
    assert line.endswith(f"; {hint}")


def test_no_conventional_unit_hint_where_it_would_not_fit() -> None:
    """Calcium 60 is implausible in mmol/l and in mg/dl (15 mmol/l): no hint."""
    assert _errors("id: x\nlabs: {calcium_mmol_l: 60}\n") == [
        "Fehler: labs.calcium_mmol_l: muss kleiner als 6.0 sein (erhalten 60)"
    ]


def test_misspelt_enum_and_german_value_names() -> None:
    lines = _errors("id: x\npatient: {sex: weiblich}\nprimary: {site: Prostata}\n")
    assert lines == [
        "Fehler: patient.sex: muss einer dieser Werte sein: 'female' oder 'male' (erhalten "
        "'weiblich'); meinten Sie 'female'?",
        "Fehler: primary.site: muss einer dieser Werte sein: 'breast', 'prostate', 'thyroid', "
        "'kidney', 'lung_nsclc', 'lung_sclc', 'myeloma', 'lymphoma', 'uterus', 'cervix', "
        "'ovary', 'rectum', 'colon', 'stomach', 'oesophagus', 'pancreas', 'liver', "
        "'gallbladder', 'bladder', 'melanoma', 'sarcoma', 'osteosarcoma', 'head_neck', "
        "'neuroendocrine', 'germ_cell', 'unknown' oder 'other' (erhalten 'Prostata'); "
        "meinten Sie 'prostate'?",
    ]


def test_conventional_lab_names_are_suggested() -> None:
    assert _errors("id: x\nlabs: {calcium_mg_dI: 10}\n") == [
        "Fehler: labs.calcium_mg_dI: unbekanntes Feld; meinten Sie 'calcium_mg_dl'?"
    ]


def test_many_errors_are_counted_not_listed() -> None:
    lesions = "".join(f"  - {{id: L{i}, region: spine, type: lyric}}\n" for i in range(30))
    lines = _errors(f"id: x\nlesions:\n{lesions}")
    assert len(lines) == 21
    assert lines[-1] == "Fehler: … und 10 weitere Fehler (zuerst die gezeigten beheben)"


# --------------------------------------------------------------------------------------------
# German vertebra notation


def test_german_vertebra_notation_round_trip() -> None:
    text = (
        "id: x\nprimary: {site: lung_nsclc}\n"
        "lesions:\n"
        "  - {id: BWK-8, region: spine, level: BWK 8, type: lytic, pain: mechanical}\n"
        "  - {id: L3, region: spine, level: lwk3, type: lytic}\n"
    )
    result = runner.invoke(app, ["evaluate", "-"], input=text)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    sins = {s["lesion"]: s for s in doc["scores"] if s["name"] == "sins"}
    assert set(sins) == {"BWK-8", "L3"}  # ids as given
    levels = {
        fact["value"]
        for fact in _walk_dicts(doc)
        if isinstance(fact, dict) and fact.get("fact") == "lesion.level"
    }
    # A level shows where a rule read it (a prophylactic schedule at L3); the painful T8 is
    # read as the semi-rigid thoracic spine by SINS.
    assert "L3" in levels and levels <= {"T8", "L3"}
    assert sins["BWK-8"]["items"][0]["value"] == "semi_rigid"
    assert sins["L3"]["items"][0]["value"] == "mobile"
    text_out = runner.invoke(app, ["evaluate", "-", "-f", "text"], input=text).stdout
    assert "lwk3" not in text_out  # the input's spelling is not echoed
    # Texts name a lesion by its id with the level in German notation.
    texts = [i["text"]["de"] for i in doc["recommendations"] if i.get("lesion") == "BWK-8"]
    named = [t for t in texts if "BWK-8" in t]
    assert named and all("Läsion BWK-8 (BWK 8)" in t for t in named), texts


def _walk_dicts(node: object) -> list[object]:
    out: list[object] = [node]
    if isinstance(node, dict):
        for value in node.values():
            out += _walk_dicts(value)
    elif isinstance(node, list):
        for value in node:
            out += _walk_dicts(value)
    return out


# --------------------------------------------------------------------------------------------
# Terminals: width of the summary, no PDF


def _on_terminal(args: list[str], columns: int) -> tuple[int, str, str]:
    """Run the installed command with stdout on a pseudo-terminal of ``columns`` columns."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    exe = Path(sys.executable).with_name("osteoboard")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES"}}
    env["NO_COLOR"] = "1"
    proc = subprocess.Popen(
        [str(exe), *args], stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the terminal closed (Linux)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    out = b"".join(chunks).decode(errors="replace").replace("\r\n", "\n")
    return proc.returncode, out, err


def _widest(text: str) -> int:
    import re

    return max(len(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line)) for line in text.splitlines())


EXAMPLE_04 = str(ROOT / "examples/04-lung-mscc-emergency.yaml")


def test_text_summary_follows_the_terminal_width() -> None:
    code, out, err = _on_terminal(["evaluate", EXAMPLE_04, "-f", "text"], columns=72)
    assert code == 0, err
    assert "Fall demo-004" in out
    assert _widest(out) == 72


def test_text_summary_has_a_fixed_width_off_a_terminal() -> None:
    result = runner.invoke(app, ["evaluate", EXAMPLE_04, "-f", "text"])
    assert result.exit_code == 0
    assert _widest(result.stdout) == 100


def test_text_summary_goes_to_the_output_file(tmp_path: Path) -> None:
    target = tmp_path / "summary.txt"
    result = runner.invoke(app, ["evaluate", EXAMPLE_04, "-f", "text", "-o", str(target)])
    assert result.exit_code == 0
    assert result.stdout == ""  # nothing on the console: it is in the file
    text = target.read_text(encoding="utf-8")
    assert "Fall demo-004" in text and "Prognose" in text
    assert "\x1b" not in text  # plain text, no terminal colours
    assert _widest(text) == 100


def test_pdf_is_not_written_to_a_terminal() -> None:
    code, out, err = _on_terminal(["evaluate", EXAMPLE_04, "-f", "pdf"], columns=80)
    assert code == 2
    assert out == ""
    assert err.startswith("Fehler: ein PDF ist binär und gehört nicht ins Terminal; mit -o DATEI")
    assert len(err.splitlines()) == 1


def test_pdf_goes_to_a_pipe() -> None:
    exe = Path(sys.executable).with_name("osteoboard")
    proc = subprocess.run(
        [str(exe), "evaluate", EXAMPLE_04, "-f", "pdf"], capture_output=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "german", "english"),
    [
        (["evaluate", "x", "--bogus"], "unbekannte Option --bogus", "No such option: --bogus"),
        (
            ["evaluate", "x", "--formt", "json"],
            "unbekannte Option --formt (möglich: --format)",
            "No such option: --formt (Possible options: --format)",
        ),
        (
            ["evaluate", "x", "-f", "xml"],
            "ungültiger Wert für '--format' / '-f': 'xml' ist keiner von 'json', 'text', 'html', "
            "'pdf', 'fhir'",
            "Invalid value for '--format' / '-f': 'xml' is not one of 'json', 'text', 'html', "
            "'pdf', 'fhir'.",
        ),
        (["evaluate", "x", "-f"], "Option '-f' braucht einen Wert", "Option '-f' requires an"),
        (["evaluate"], "Argument 'case_file' fehlt", "Missing argument 'case_file'."),
        (
            ["evaluat"],
            "unbekannter Befehl 'evaluat'; meinten Sie 'evaluate' oder 'reevaluate'?",
            "No such command 'evaluat'. Did you mean 'evaluate' or 'reevaluate'?",
        ),
        (
            ["socre"],
            "unbekannter Befehl 'socre'; meinten Sie 'score'?",
            "No such command 'socre'. Did you mean 'score'?",
        ),
        (["evaluate", "a", "b"], "unerwartete zusätzliche Argumente (b)", "extra arguments (b)"),
    ],
)
def test_usage_errors_in_both_languages(args: list[str], german: str, english: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Fehler: {german}"), result.stderr
    result = runner.invoke(app, ["--lang", "en", *args])
    assert result.stderr.startswith("error: ") and english in result.stderr, result.stderr


def test_schema_as_markdown_is_the_field_reference() -> None:
    from osteoboard.casedoc import field_reference

    result = runner.invoke(app, ["schema", "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout == field_reference()
    assert "| `lesions[].level` | text |" in result.stdout


def test_a_knowledge_base_that_does_not_load_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A centre's edited knowledge base with an error: one line naming it, exit 1, no
    traceback."""
    import osteoboard.engine
    from osteoboard.errors import OsteoboardError
    from osteoboard.knowledge_files import KnowledgeError

    def broken(*args: object, **kwargs: object) -> None:
        raise KnowledgeError("kb.yaml: definition x: unknown definition 'def.y' (define it first)")

    monkeypatch.setattr(osteoboard.engine, "load_knowledge_base", broken)
    result = runner.invoke(app, ["evaluate", str(EXAMPLES[0])])
    assert result.exit_code == 1
    assert result.stderr == (
        "Fehler: Die Wissensbasis ist ungültig: kb.yaml: definition x: unknown definition "
        "'def.y' (define it first)\n"
    )
    assert issubclass(KnowledgeError, OsteoboardError)

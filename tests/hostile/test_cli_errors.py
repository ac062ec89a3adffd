"""The command line under bad options and outputs: one line on stderr, exit 2, nothing
computed or written, no traceback. (Checked in English, `--lang en`; the German default is
checked in tests/test_cli.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from osteoboard.cli import app

ROOT = Path(__file__).resolve().parents[2]
CASE = str(ROOT / "examples/05-kidney-femur-impending.yaml")
runner = CliRunner()


def _one_line_error(args: list[str], input: str | None = None) -> str:
    result = runner.invoke(app, ["--lang", "en", *args], input=input)
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("target", [".", "/", "", "sub/"])
def test_output_that_is_a_directory(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    line = _one_line_error(["evaluate", CASE, "-o", target])
    assert "cannot write (a directory; give a file name)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


def test_output_below_a_file(tmp_path: Path) -> None:
    (tmp_path / "FILE").write_text("keep")
    line = _one_line_error(["evaluate", CASE, "-o", str(tmp_path / "FILE" / "x.json")])
    assert line.endswith("is not a folder)")
    assert (tmp_path / "FILE").read_text() == "keep"


def test_output_in_a_missing_folder(tmp_path: Path) -> None:
    line = _one_line_error(["evaluate", CASE, "-o", str(tmp_path / "none" / "x.json")])
    assert "cannot write (no folder" in line


def test_output_name_too_long(tmp_path: Path) -> None:
    line = _one_line_error(["evaluate", CASE, "-o", str(tmp_path / ("a" * 254))])
    assert "file name longer than" in line
    assert list(tmp_path.iterdir()) == []


def test_output_is_checked_before_the_case_is_read(tmp_path: Path) -> None:
    line = _one_line_error(["evaluate", str(tmp_path / "missing.yaml"), "-o", str(tmp_path)])
    assert "a directory" in line


def test_write_failure_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", refuse)
    line = _one_line_error(["evaluate", CASE, "-o", str(tmp_path / "out.json")])
    assert line.endswith("cannot write (No space left on device)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["evaluate", CASE, "-f", "xml"], "Invalid value for '--format'"),
        (["evaluate", CASE, "--bogus"], "No such option: --bogus"),
        (["evaluate"], "Missing argument"),
        (["nonsense"], "No such command"),
        (["evaluate", CASE, "-a", "patient", "-f", "text"], "--format text is the clinician"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], expected: str) -> None:
    assert expected in _one_line_error(args)


def test_control_characters_in_a_file_name_are_escaped(tmp_path: Path) -> None:
    line = _one_line_error(["evaluate", str(tmp_path / "a\x1b[2J\rb\n.yaml")])
    assert "\\x1b[2J\\rb\\n.yaml: no such file" in line


def test_unknown_key_with_escape_sequences_is_escaped() -> None:
    line = _one_line_error(["evaluate", "-"], input='id: x\n"\\e[31m\\r\\n": 1\n')
    assert line.startswith("error: ['\\x1b[31m\\r\\n']: unknown field; allowed: id, board_date,")


def test_huge_value_is_not_echoed_whole() -> None:
    line = _one_line_error(
        ["evaluate", "-"], input="id: x\npatient: {sex: " + "z" * 100_000 + "}\n"
    )
    assert len(line) < 200


def test_score_item_errors_are_one_line() -> None:
    line = _one_line_error(["score", "sins", "--level", "\x1b[31m" + "x" * 10_000])
    assert line.startswith("error: sins.level:")
    assert len(line) < 300


def test_no_arguments_prints_the_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "Usage" in result.stdout


def test_evaluate_does_not_overwrite_its_input(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text(Path(CASE).read_text(encoding="utf-8"), encoding="utf-8")
    before = case.read_bytes()
    (tmp_path / "sub").mkdir()
    for target in (case, tmp_path / "sub" / ".." / "c.yaml"):
        line = _one_line_error(["evaluate", str(case), "-f", "json", "-o", str(target)])
        assert (
            line
            == f"error: -o {target}: is the input file and would be overwritten; give another file"
        )
    (tmp_path / "link.yaml").symlink_to(case)
    line = _one_line_error(["evaluate", str(tmp_path / "link.yaml"), "-o", str(case)])
    assert "is the input file" in line
    assert case.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml", "link.yaml", "sub"]


def test_import_fhir_does_not_overwrite_its_input_or_write_one_file_twice(tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    bundle.write_bytes((ROOT / "examples/fhir/09-myeloma-relapse.json").read_bytes())
    before = bundle.read_bytes()
    day = ["--board-date", "2026-11-20"]
    for option in ("-o", "--report"):
        line = _one_line_error(["import-fhir", str(bundle), option, str(bundle), *day])
        assert line == (
            f"error: {option} {bundle}: is the input file and would be overwritten; give another "
            "file"
        )
    same = tmp_path / "s.yaml"
    line = _one_line_error(
        ["import-fhir", str(bundle), "-o", str(same), "--report", str(same), *day]
    )
    assert line == f"error: -o and --report name the same file {same}; give two different files"
    assert bundle.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]
    # A device may take both.
    result = runner.invoke(
        app, ["import-fhir", str(bundle), "-o", "/dev/null", "--report", "/dev/null", *day]
    )
    assert result.exit_code == 0, result.stderr

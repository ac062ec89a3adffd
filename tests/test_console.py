"""The console script (osteoboard.console): the command line with the garbage collector
paused while it is imported, and on again when the command runs."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "05-kidney-femur-impending.yaml"

#: Runs the console script's main with the given arguments and reports, as the last line on
#: stderr, the collector's state when the command line starts the command.
PROBE = """
import gc, json, sys
import osteoboard.cli as cli

seen = {}
real = cli._lang_of

def probe(args):
    seen.update(
        enabled=gc.isenabled(),
        frozen=gc.get_freeze_count(),
        engine="osteoboard.engine" in sys.modules,
    )
    return real(args)

cli._lang_of = probe
sys.argv = ["osteoboard", *sys.argv[1:]]
from osteoboard.console import main
try:
    main()
finally:
    sys.stderr.write(json.dumps(seen) + "\\n")
"""


def _run(*args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    return proc, json.loads(proc.stderr.strip().splitlines()[-1])


def test_the_console_script_runs_console_main() -> None:
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "osteoboard"]
    assert script.value == "osteoboard.console:main"


def test_commands_run_with_the_collector_on_after_their_imports_were_frozen() -> None:
    proc, evaluating = _run("--lang", "en", "evaluate", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["case_id"]
    assert evaluating["enabled"] is True
    assert evaluating["engine"] is True  # imported with the command line, before the freeze

    proc, listing = _run("kb", "--help")
    assert proc.returncode == 0, proc.stderr
    assert listing["enabled"] is True and listing["engine"] is False
    assert 0 < listing["frozen"] < evaluating["frozen"]  # the engine's objects were frozen too

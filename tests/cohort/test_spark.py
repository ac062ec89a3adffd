"""The one Spark test: the batch function through mapInPandas on local[2] gives the local
runner's rows. Java comes from Debian (scripts/install-java.sh installs it when missing)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from osteoboard.cohort.runner import run_cohort
from osteoboard.cohort.spark import run_spark
from osteoboard.cohort.synth import write_cohort
from tests.cohort.conftest import table_rows

ROOT = Path(__file__).resolve().parents[2]


def _java() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install-java.sh")], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"Java 17 is needed for Spark and could not be installed: {done.stderr}")


def test_spark_gives_the_local_runners_rows(tmp_path: Path) -> None:
    _java()
    source = write_cohort(200, tmp_path / "in", seed=21, format="ndjson")
    first = json.loads(source.read_text(encoding="utf-8").splitlines()[0])["id"]
    with source.open("a", encoding="utf-8") as f:
        f.write('{"id": "bad", "lesions": [{"id": "A", "region": "spine", "bone": "femur"}]}\n')
        f.write(json.dumps({"id": first, "primary": {"site": "kidney"}}) + "\n")  # id twice
    local = run_cohort(source, tmp_path / "local", jobs=2, chunk_size=100)
    spark = run_spark(source, tmp_path / "spark", master="local[2]", chunk_size=100)
    assert (spark.cases, spark.errors, spark.items) == (local.cases, local.errors, local.items)
    assert (local.cases, local.errors) == (200, 2)
    duplicate = table_rows(tmp_path / "spark", "errors")[-1]
    assert duplicate["source"] == "cohort.ndjson:202"
    assert duplicate["error"].startswith(f"Fall-ID '{first}' kommt schon in cohort.ndjson:1 vor")
    for table in ("cases", "items", "errors"):
        assert table_rows(tmp_path / "spark", table) == table_rows(tmp_path / "local", table), table

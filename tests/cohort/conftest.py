"""Shared cohorts for the cohort tests: a synthetic cohort in each input format and one local
run of it (session-wide, so the engine runs over it once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from osteoboard.cohort.runner import part_files, run_cohort
from osteoboard.cohort.synth import write_cohort

#: Cases of the shared cohort.
N = 120
SEED = 11


def table_rows(out: Path, table: str) -> list[dict[str, Any]]:
    """Every row of one table of a run folder, in a stable order."""
    parts = part_files(out, table)
    if not parts:
        return []
    rows = pa.concat_tables(pq.read_table(p) for p in parts).to_pylist()
    return sorted(rows, key=lambda r: (r["source"], r.get("position", 0)))


@pytest.fixture(scope="session")
def cohort_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cohort")
    for fmt in ("yaml", "ndjson", "parquet"):
        write_cohort(N, folder / fmt, seed=SEED, format=fmt)
    return folder


@pytest.fixture(scope="session")
def ndjson_run(cohort_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    run_cohort(cohort_dir / "ndjson" / "cohort.ndjson", out, jobs=1, chunk_size=40)
    return out

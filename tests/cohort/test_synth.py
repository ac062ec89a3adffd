"""Synthetic cohorts: valid, reproducible to the byte, and drawn as the data file says."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from osteoboard.cohort.batch import evaluate_batch
from osteoboard.cohort.synth import SYNTH_FILE, _spec, synth_cases, write_cohort
from osteoboard.guideline import load_knowledge_base


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("fmt", ["yaml", "ndjson", "parquet"])
def test_same_seed_same_bytes(tmp_path: Path, fmt: str) -> None:
    for folder, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_cohort(40, tmp_path / folder, seed=seed, format=fmt)  # type: ignore[arg-type]
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert len(_digest(tmp_path / "a")) == (40 if fmt == "yaml" else 1)


def test_command_line(tmp_path: Path) -> None:
    osteoboard = Path(sys.executable).with_name("osteoboard")
    done = subprocess.run(
        [
            str(osteoboard),
            "cohort",
            "synth",
            "12",
            "-o",
            str(tmp_path),
            "--seed",
            "4",
            "-f",
            "ndjson",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == f"12 Fälle: {tmp_path / 'cohort.ndjson'}\n"
    lines = (tmp_path / "cohort.ndjson").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == list(synth_cases(12, seed=4))


def test_a_smaller_cohort_is_the_start_of_a_larger_one() -> None:
    assert list(synth_cases(30, seed=2)) == list(synth_cases(60, seed=2))[:30]


def test_every_synthetic_case_is_valid() -> None:
    out = evaluate_batch(list(synth_cases(150, seed=9)))
    assert out.errors == []
    assert len(out.cases) == 150


def test_drawn_as_the_data_file_says() -> None:
    spec = _spec(SYNTH_FILE)
    cases = list(synth_cases(3000, seed=1))
    sites = Counter(c["primary"]["site"] for c in cases)
    weights = spec["case"]["primary"]["site"]["choice"]
    total = sum(weights.values())
    for site in ("breast", "prostate", "lung_nsclc"):
        expected = weights[site] / total
        assert abs(sites[site] / len(cases) - expected) < 0.03, site
    # Spinal levels: thoracic before lumbar before cervical (Klimo 2004).
    levels = Counter(
        lesion["level"][0]
        for c in cases
        for lesion in c["lesions"]
        if lesion.get("region") == "spine" and "level" in lesion
    )
    assert levels["T"] > levels["L"] > levels["C"]
    assert 0.6 < levels["T"] / sum(levels.values()) < 0.76
    # Missing data: about the rate written for creatinine (8 %, with the labs block 5 %).
    without = sum(1 for c in cases if "creatinine_umol_l" not in c.get("labs", {}))
    assert 0.09 < without / len(cases) < 0.17
    # Sex follows the primary.
    assert {c["patient"]["sex"] for c in cases if c["primary"]["site"] == "prostate"} == {"male"}
    # Site-specific fields only for their site (the case model would refuse them otherwise).
    assert all(
        "hormone_receptor" not in c["primary"] for c in cases if c["primary"]["site"] != "breast"
    )


def test_the_data_file_cites_known_sources() -> None:
    spec = _spec(SYNTH_FILE)
    sources = load_knowledge_base().sources
    assert {"coleman2006", "hernandez2018", "klimo2004"} <= set(spec["sources"])
    assert all(key in sources for key in spec["sources"])

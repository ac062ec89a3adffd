"""Median time to import each demo FHIR bundle (examples/fhir/): reading the file, R4B
validation of every resource, the mapping and the case's validation.

    .venv/bin/python bench/fhir_import.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from osteoboard.caseio import load_case
from osteoboard.fhir import import_resources, load_path
from osteoboard.fhir.codes import load_fhir_codes

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    codes = load_fhir_codes()
    bundles = sorted((ROOT / "examples" / "fhir").glob("*.json"))
    import_resources(load_path(bundles[0]), codes=codes)  # warm up: imports, code tables
    medians = []
    print(f"{'bundle':40} {'resources':>9} {'median ms':>10}")
    for path in bundles:
        twin = ROOT / "examples" / f"{path.stem}.yaml"
        day = load_case(twin if twin.exists() else path.with_suffix(".yaml")).board_date
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = import_resources(load_path(path), board_date=day, codes=codes)
            times.append(time.perf_counter() - start)
        median = statistics.median(times) * 1000
        medians.append(median)
        print(f"{path.stem:40} {result.report.resources:>9} {median:>10.2f}")
    print(f"{'median of the medians':40} {'':>9} {statistics.median(medians):>10.2f}")


if __name__ == "__main__":
    main()

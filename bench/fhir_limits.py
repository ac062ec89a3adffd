"""Time and peak memory of the FHIR import on large and hostile input: a bundle just under
the size limit (many Observations), one over it, a resource with a huge array, deep nesting.

    .venv/bin/python bench/fhir_limits.py

Each case runs in a fresh process so that its peak resident memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PAT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}


def _obs(i: int, pad: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"o{i}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2000-8"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-01",
        "valueQuantity": {"value": 2.4, "unit": "mmol/L", "code": "mmol/L"},
        "note": [{"text": "x" * pad}],
    }


def _write(path: Path, kind: str) -> None:
    if kind == "near-limit":  # 20 000 entries (the limit), about 45 MB
        entries = [{"resource": PAT}] + [{"resource": _obs(i, 2150)} for i in range(19_999)]
        data: Any = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        path.write_text(json.dumps(data))
    elif kind == "over-limit":  # 100 MB
        with path.open("w") as f:
            f.write('{"resourceType": "Bundle", "type": "collection", "entry": [')
            f.write(" " * 100_000_000)
            f.write("]}")
    elif kind == "huge-array":  # one resource with 900 000 codings, about 45 MB
        obs = _obs(0, 0)
        obs["code"]["coding"] = [{"system": "http://loinc.org", "code": "2000-8"}] * 900_000
        entries = [{"resource": PAT}, {"resource": obs}]
        path.write_text(
            json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
        )
    elif kind == "deep":  # 1 million nested arrays
        path.write_text("[" * 1_000_000 + "]" * 1_000_000)


def _run(path: str, out: Any) -> None:
    import datetime as dt

    from osteoboard.fhir import FhirImportError, import_resources, load_path

    t = time.perf_counter()
    try:
        result = import_resources(load_path(path), board_date=dt.date(2026, 11, 20))
        outcome = f"imported, {result.report.resources} resources"
    except FhirImportError as exc:
        outcome = "refused: " + exc.lines("en")[0][-70:]
    ms = (time.perf_counter() - t) * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put((ms, rss, outcome))


def main() -> None:
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'input':12} {'size MB':>8} {'ms':>8} {'peak MB':>8}  outcome")
        for kind in ("near-limit", "over-limit", "huge-array", "deep"):
            path = Path(tmp) / f"{kind}.json"
            _write(path, kind)
            size = path.stat().st_size / 1e6
            q = ctx.Queue()
            p = ctx.Process(target=_run, args=(str(path), q))
            p.start()
            ms, rss, outcome = q.get()
            p.join()
            print(f"{kind:12} {size:8.1f} {ms:8.0f} {rss:8.0f}  {outcome}")
            path.unlink()
    sys.stdout.flush()


if __name__ == "__main__":
    main()

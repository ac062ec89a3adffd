"""Benchmark of the cohort runner. Prints figures, asserts nothing.

    .venv/bin/python bench/cohort.py                 # 100,000 synthetic cases
    .venv/bin/python bench/cohort.py --n 5000        # a quick run
    .venv/bin/python bench/cohort.py --spark-n 0     # without Spark

1. The local runner on 2 worker processes over a synthetic cohort (NDJSON): cases/s, the peak
   memory (RSS) of a worker, and the time 1,000,000 cases would take at that rate.
2. Where a case's time goes, in one process over a sample: reading the JSON text, validating
   the case (pydantic), the engine, the rows (views, quality indicators), writing Parquet.
   Together with the run's wall time this shows the runner's own overhead (start-up of the
   workers, sending chunks to them, the progress bookkeeping).
3. The same batch function on Spark ``local[2]`` over a smaller cohort (``--spark-n``), with
   Spark's start-up counted.

Targets: 1,000 cases/s on 2 cores, 100 MB per worker. Figures are for this machine only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from osteoboard.caseio import parse_case, read_document  # noqa: E402
from osteoboard.cohort.batch import Batch, _rows  # noqa: E402
from osteoboard.cohort.runner import run_cohort, write_parts  # noqa: E402
from osteoboard.cohort.synth import write_cohort  # noqa: E402
from osteoboard.engine import evaluate  # noqa: E402
from osteoboard.guideline import load_knowledge_base  # noqa: E402

TARGET_RATE = 1000.0
TARGET_MB = 100.0


def local(source: Path, work: Path, jobs: int) -> None:
    memory: list[tuple[int, int | None]] = []
    summary = run_cohort(source, work / "local", jobs=jobs, chunk_size=500, memory=memory)
    rate = summary.rate
    peak_mb = max(rss for rss, _ in memory) / 1024 if memory else 0.0
    pss = [p for _, p in memory if p is not None]
    pss_mb = max(pss) / 1024 if pss else float("nan")
    print(f"local runner, {jobs} worker processes, {summary.cases:,} cases:")
    print(f"  {summary.seconds:8.1f} s   {rate:8.0f} cases/s   (target {TARGET_RATE:,.0f})")
    print(f"  {peak_mb:8.1f} MB peak RSS per worker   (target {TARGET_MB:.0f})")
    print(f"  {pss_mb:8.1f} MB PSS per worker (shared libraries divided among the processes)")
    if rate:
        hours = 1_000_000 / rate / 3600
        print(f"  1,000,000 cases: {hours:.1f} h projected ({1_000_000 / rate / 60:.0f} min)")


def breakdown(source: Path, work: Path, sample: int) -> float:
    """Per-case time of each step in one process; returns the total in ms."""
    kb = load_knowledge_base()
    lines = source.read_text(encoding="utf-8").splitlines()[:sample]
    steps = {"read JSON": 0.0, "validate (pydantic)": 0.0, "engine": 0.0, "rows": 0.0}
    batch = Batch()
    for i, line in enumerate(lines):
        t0 = time.perf_counter()
        doc = read_document(line, name=str(i))
        t1 = time.perf_counter()
        case = parse_case(doc)
        t2 = time.perf_counter()
        proposal = evaluate(case, kb)
        t3 = time.perf_counter()
        _rows(batch, str(i), case, proposal, kb)
        t4 = time.perf_counter()
        steps["read JSON"] += t1 - t0
        steps["validate (pydantic)"] += t2 - t1
        steps["engine"] += t3 - t2
        steps["rows"] += t4 - t3
    t0 = time.perf_counter()
    write_parts(work / "breakdown", 1, batch)
    steps["write Parquet"] = time.perf_counter() - t0
    total = sum(steps.values())
    print(f"where the time goes, one process, {len(lines):,} cases (warm knowledge base):")
    for name, seconds in steps.items():
        ms = seconds / len(lines) * 1000
        print(f"  {name:22s} {ms:7.3f} ms/case   {100 * seconds / total:5.1f} %")
    per_case = total / len(lines) * 1000
    print(f"  {'total':22s} {per_case:7.3f} ms/case   = {1000 / per_case:.0f} cases/s per core")
    return per_case


def spark(source: Path, work: Path, n: int) -> None:
    from osteoboard.cohort.spark import run_spark

    small = work / "spark-in.ndjson"
    with source.open(encoding="utf-8") as f, small.open("w", encoding="utf-8") as g:
        for _, line in zip(range(n), f, strict=False):
            g.write(line)
    started = time.perf_counter()
    summary = run_spark(small, work / "spark", master="local[2]", chunk_size=500)
    seconds = time.perf_counter() - started
    print(f"Spark local[2], {summary.cases:,} cases (start-up included):")
    print(f"  {seconds:8.1f} s   {summary.cases / seconds:8.0f} cases/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="cases for the local runner")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=2000, help="cases for the breakdown")
    parser.add_argument("--spark-n", type=int, default=10_000, help="cases on Spark (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="osteoboard-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        source = write_cohort(args.n, work / "in", seed=args.seed, format="ndjson")
        lesions = [len(json.loads(line)["lesions"]) for line in source.open(encoding="utf-8")]
        print(
            f"synthetic cohort: {args.n:,} cases, seed {args.seed}, median "
            f"{statistics.median(lesions):.0f} lesions ({time.perf_counter() - started:.1f} s)"
        )
        local(source, work, args.jobs)
        breakdown(source, work, min(args.sample, args.n))
        if args.spark_n:
            spark(source, work, min(args.spark_n, args.n))


if __name__ == "__main__":
    main()

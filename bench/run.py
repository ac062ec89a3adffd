"""Benchmarks: prints figures, asserts nothing.

    .venv/bin/python bench/run.py            # all
    .venv/bin/python bench/run.py scores     # one group: scores, cli, engine, curve, kb,
                                             # memory, documents

Figures are medians over many runs on this machine; compare them on the same machine only.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from osteoboard.caseio import load_case, parse_case  # noqa: E402
from osteoboard.engine import evaluate  # noqa: E402
from osteoboard.guideline import load_knowledge_base  # noqa: E402
from osteoboard.scores import compute_all  # noqa: E402

FIVE_LESIONS: dict[str, Any] = {
    "id": "bench-5",
    "board_date": "2026-11-20",
    "patient": {"age": 66, "sex": "female", "weight_kg": 70, "ecog": 1, "fit_for_surgery": True},
    "primary": {
        "site": "breast",
        "hormone_receptor": "positive",
        "her2": "negative",
        "controlled": True,
    },
    "visceral_metastases": {
        "present": True,
        "pattern": "nodular",
        "removable": False,
        "treatable": True,
    },
    "bone_metastases": {"vertebral_count": 3, "extraspinal_count": 2},
    "prior_therapy": {"chemotherapy": True, "bone_modifying_agent": "none"},
    "labs": {
        "calcium_mmol_l": 2.4,
        "albumin_g_l": 38,
        "creatinine_umol_l": 85,
        "ldh_u_l": 240,
        "crp_mg_l": 5,
        "platelets_10e9_l": 220,
        "bilirubin_umol_l": 9,
    },
    "neurology": {"frankel": "E", "new_deficit": False, "radicular_pain": False},
    "lesions": [
        {
            "id": "T4",
            "region": "spine",
            "level": "T4",
            "type": "lytic",
            "pain": "mechanical",
            "alignment": "normal",
            "collapse": "lt_50",
            "posterolateral": "unilateral",
            "escc_grade": "1b",
        },
        {
            "id": "T12",
            "region": "spine",
            "level": "T12",
            "type": "mixed",
            "pain": "none",
            "alignment": "normal",
            "collapse": "none",
            "posterolateral": "none",
            "escc_grade": "0",
        },
        {"id": "L3", "region": "spine", "level": "L3", "type": "blastic"},
        {
            "id": "F1",
            "region": "long_bone",
            "bone": "femur",
            "segment": "peritrochanteric",
            "type": "lytic",
            "mirels_pain": "moderate",
            "cortical_involvement": "one_to_two_thirds",
        },
        {
            "id": "H1",
            "region": "long_bone",
            "bone": "humerus",
            "segment": "diaphyseal",
            "type": "mixed",
            "mirels_pain": "mild",
            "cortical_involvement": "lt_one_third",
        },
    ],
}


def median_us(fn: Callable[[], object], runs: int = 2000, warmup: int = 100) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e6)
    return statistics.median(samples)


def bench_scores(runs: int = 2000) -> None:
    # A fresh case object for every run, parsed beforehand: nothing memoised on a case
    # carries over from one run to the next.
    cases = iter([parse_case(FIVE_LESIONS) for _ in range(runs + 100)])
    us = median_us(lambda: compute_all(next(cases)), runs=runs)
    n = len(compute_all(parse_case(FIVE_LESIONS)))
    print(f"scores: all {n} score results of a 5-lesion case, in-process: median {us:.0f} µs")


def bench_cli(runs: int = 15) -> None:
    exe = Path(sys.executable).with_name("osteoboard")
    example = ROOT / "examples" / "05-kidney-femur-impending.yaml"
    samples = []
    for i in range(runs + 2):
        t = time.perf_counter()
        out = subprocess.run([str(exe), "evaluate", str(example)], capture_output=True, check=True)
        dt = (time.perf_counter() - t) * 1000
        json.loads(out.stdout)
        if i >= 2:
            samples.append(dt)
    print(
        f"cli: start-up to JSON for one case: median {statistics.median(samples):.0f} ms "
        f"(min {min(samples):.0f}, max {max(samples):.0f}, {runs} runs)"
    )
    phases: dict[str, list[float]] = {}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _CLI_PHASES, str(example)], capture_output=True, check=True
        )
        for name, ms in json.loads(out.stdout).items():
            phases.setdefault(name, []).append(ms)
    print(
        "cli: breakdown (medians, one process each): "
        + ", ".join(f"{name} {statistics.median(ms):.0f} ms" for name, ms in phases.items())
    )


#: The steps of ``osteoboard evaluate CASE`` timed one by one in a fresh process, the imports
#: as the console script does them (osteoboard.console).
_CLI_PHASES = """
import time
t0 = time.perf_counter()
import gc, json, sys
from pathlib import Path
gc.disable()
import osteoboard.cli, osteoboard.engine
gc.freeze()
gc.enable()
t1 = time.perf_counter()
from typer.main import get_command
get_command(osteoboard.cli.app)
t2 = time.perf_counter()
from osteoboard.guideline import load_knowledge_base
load_knowledge_base()
t3 = time.perf_counter()
case = osteoboard.cli.load_case(Path(sys.argv[1]))
proposal = osteoboard.engine.evaluate(case)
t4 = time.perf_counter()
text = proposal.model_dump_json(indent=2)
t5 = time.perf_counter()
steps = ("import", "command line", "knowledge base", "read and evaluate", "JSON")
times = (t0, t1, t2, t3, t4, t5)
print(json.dumps({s: (b - a) * 1000 for s, a, b in zip(steps, times, times[1:])}))
"""


def bench_kb(runs: int = 15) -> None:
    samples = []
    for _ in range(runs):
        load_knowledge_base.cache_clear()
        t = time.perf_counter()
        kb = load_knowledge_base()
        samples.append((time.perf_counter() - t) * 1000)
    print(
        f"kb: load, lint and compile {len(kb.rules)} rules: median "
        f"{statistics.median(samples):.0f} ms"
    )


def _referral_cases() -> list[Any]:
    """The incomplete referrals of the test suite (tests/cases), parsed."""
    from tests.test_referral_cases import load_referral

    return [load_referral(p).case for p in sorted((ROOT / "tests" / "cases").glob("*.yaml"))]


def _shared_stores(kb: Any) -> list[dict[Any, Any]]:
    """What the engine shares between cases by the values it is a function of: verdicts,
    lesion facts, missing data and questions, score results. (Reasons and item texts are
    left as they are, as before.)"""
    from osteoboard import engine
    from osteoboard.scores import REGISTRY

    return [
        kb.verdicts,
        kb.lesion_fact_sets,
        engine._VALUES,
        *(spec.results for spec in REGISTRY.values()),
    ]


def bench_engine(runs: int = 30) -> None:
    """evaluate() per example three ways, since the engine shares what it derived between
    cases (verdicts, lesion facts, score results …): cold (nothing of it shared), unseen
    (after the referral cases and the other examples, as in a server or a cohort run) and
    repeated (the same case again)."""
    kb = load_knowledge_base()
    memo = kb.verdicts
    stores = _shared_stores(kb)
    paths = sorted((ROOT / "examples").glob("*.yaml"))
    examples = [load_case(p) for p in paths]
    referrals = _referral_cases()
    figures: dict[str, list[float]] = {"cold": [], "unseen": [], "repeated": []}
    found: list[float] = []

    def forget() -> None:
        for store in stores:
            store.clear()

    for path, case in zip(paths, examples, strict=True):
        forget()
        evaluate(case)  # warm: cached test points
        added_cold = len(memo)

        def cold(c: Any = case) -> None:
            forget()
            evaluate(c)

        forget()
        for other in [*referrals, *(e for e in examples if e is not case)]:
            evaluate(other)
        seen = [dict(store) for store in stores]
        evaluate(case)
        added_unseen = len(memo) - len(seen[0])

        def unseen(c: Any = case, seen: list[dict[Any, Any]] = seen) -> None:
            for store, saved in zip(stores, seen, strict=True):
                store.clear()
                store.update(saved)
            evaluate(c)

        row = {
            "cold": _median_us_setup(cold, runs),
            "unseen": _median_us_setup(unseen, runs),
            "repeated": median_us(lambda c=case: evaluate(c), runs=runs, warmup=1),
        }
        for name, us in row.items():
            figures[name].append(us)
        if added_cold:
            found.append(1 - added_unseen / added_cold)
        print(
            f"engine: {path.stem}: cold {row['cold']:.0f} µs, unseen {row['unseen']:.0f} µs, "
            f"repeated {row['repeated']:.0f} µs"
        )
    for name, values in figures.items():
        print(
            f"engine: evaluate() per example case, scores included, {name}: median "
            f"{statistics.median(values):.0f} µs (range {min(values):.0f}–{max(values):.0f} µs "
            f"over {len(paths)} cases, {runs} runs each)"
        )
    print(
        f"engine: open verdicts an unseen example finds already reached: median "
        f"{100 * statistics.median(found):.0f} % (after {len(referrals)} referral cases and "
        f"the other examples)"
    )


def _median_us_setup(fn: Callable[[], object], runs: int) -> float:
    """Median of ``fn`` where the setup inside it is cheap next to evaluate() (the shared
    stores restored): measured as a whole, so the figure is an upper bound."""
    return median_us(fn, runs=runs, warmup=1)


def lesion_curve_case(n: int) -> Any:
    """A sparse case with ``n`` lytic spinal lesions (levels repeat after 29)."""
    from osteoboard.case import SPINE_LEVELS, Case

    return Case.model_validate(
        {
            "id": "curve",
            "patient": {"age": 60, "sex": "female"},
            "primary": {"site": "breast"},
            "lesions": [
                {
                    "id": f"X{i}",
                    "region": "spine",
                    "level": SPINE_LEVELS[i % len(SPINE_LEVELS)],
                    "type": "lytic",
                }
                for i in range(n)
            ],
        }
    )


def bench_curve(sizes: tuple[int, ...] = (1, 10, 50, 200), runs: int = 3) -> None:
    evaluate(lesion_curve_case(1))  # warm
    first = None
    for n in sizes:
        case = lesion_curve_case(n)
        best = float("inf")
        for _ in range(runs):
            t = time.perf_counter()
            proposal = evaluate(case)
            best = min(best, time.perf_counter() - t)
        first = first or best
        # What the engine has to write: a sparse lesion lacks its ESCC grade, which is an
        # input of a case fact built from every lesion's grade that each lesion's
        # cord-compression items read; each grade's missing input names the items of every
        # lesion, n × n in all.
        named = sum(len(m.needed_for) for m in proposal.missing_data)
        size = len(proposal.model_dump_json()) / 1024
        print(
            f"curve: evaluate() of {n} sparse spinal lesions: best of {runs} "
            f"{best * 1000:.1f} ms ({best / first:.1f}× one lesion); {len(proposal.missing_data)} "
            f"missing inputs naming {named} items, proposal {size:,.0f} KB of JSON"
        )


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def bench_memory(n: int = 10_000) -> None:
    from hypothesis import HealthCheck, given, settings
    from tests.cases import cases as case_strategy

    generated: list[dict[str, Any]] = []

    @settings(max_examples=200, database=None, suppress_health_check=list(HealthCheck))
    @given(case_strategy())
    def collect(data: dict[str, Any]) -> None:
        generated.append(data)

    collect()
    parsed = [parse_case(d) for d in generated]
    evaluate(parsed[0])
    gc.collect()
    after_first = _rss_mb()
    peak = after_first
    t = time.perf_counter()
    for i in range(n):
        evaluate(parsed[i % len(parsed)])
        if i % 500 == 0:
            peak = max(peak, _rss_mb())
    elapsed = time.perf_counter() - t
    peak = max(peak, _rss_mb())
    print(
        f"memory: {n} evaluations of {len(parsed)} generated cases: RSS after first "
        f"{after_first:.1f} MB, peak {peak:.1f} MB (+{peak - after_first:.1f} MB); "
        f"{elapsed / n * 1e6:.0f} µs per case"
    )


def bench_documents(runs: int = 20) -> None:
    from osteoboard.render.html import render_protocol_html
    from osteoboard.render.letter import render_letter_html, render_letter_pdf
    from osteoboard.render.protocol import render_protocol_pdf

    pairs = []
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        case = load_case(path)
        pairs.append((case, evaluate(case)))
    t = time.perf_counter()
    render_protocol_html(pairs[0][1], pairs[0][0])
    cold_html = (time.perf_counter() - t) * 1000
    for name, fn in (
        ("protocol HTML", render_protocol_html),
        ("protocol PDF", render_protocol_pdf),
        ("letter HTML", render_letter_html),
        ("letter PDF", render_letter_pdf),
    ):
        medians = []
        for case, proposal in pairs:
            fn(proposal, case)  # warm: templates, fonts, citations
            samples = []
            for _ in range(runs):
                t = time.perf_counter()
                fn(proposal, case)
                samples.append((time.perf_counter() - t) * 1000)
            medians.append(statistics.median(samples))
        print(
            f"documents: {name} per case: median {statistics.median(medians):.1f} ms "
            f"(range {min(medians):.1f}–{max(medians):.1f} ms over {len(pairs)} cases)"
        )
    print(
        f"documents: first protocol HTML in a fresh process (citations not yet cached): "
        f"{cold_html:.0f} ms"
    )


GROUPS = {
    "scores": bench_scores,
    "cli": bench_cli,
    "kb": bench_kb,
    "engine": bench_engine,
    "curve": bench_curve,
    "memory": bench_memory,
    "documents": bench_documents,
}


def main(argv: list[str]) -> None:
    names = argv or list(GROUPS)
    for name in names:
        if name not in GROUPS:
            raise SystemExit(f"unknown group {name!r}; groups: {', '.join(GROUPS)}")
        GROUPS[name]()


if __name__ == "__main__":
    main(sys.argv[1:])

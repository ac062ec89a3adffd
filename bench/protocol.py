"""Protocol benchmark: milliseconds to render each example's board protocol as PDF and HTML.

    .venv/bin/python bench/protocol.py          # every example, median of 5 runs each

The case is evaluated once; the figure is the rendering alone (view, Typst or Jinja2). The
target is at most 300 ms per protocol PDF. Prints figures, asserts nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from osteoboard.caseio import load_case  # noqa: E402
from osteoboard.engine import evaluate  # noqa: E402
from osteoboard.guideline import load_knowledge_base  # noqa: E402
from osteoboard.render.html import render_protocol_html  # noqa: E402
from osteoboard.render.protocol import render_protocol_pdf  # noqa: E402

RUNS = 5
TARGET_MS = 300.0


def _median_ms(work: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    kb = load_knowledge_base()
    render_protocol_pdf(
        *reversed(
            (case := load_case(ROOT / "examples/01-breast-l2-fracture.yaml"), evaluate(case))
        ),
        kb,
    )  # warm-up: fonts, style, templates
    print(f"{'example':40} {'PDF ms':>8} {'HTML ms':>8}")
    worst = 0.0
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        case = load_case(path)
        proposal = evaluate(case, kb)
        pdf_ms = _median_ms(lambda: render_protocol_pdf(proposal, case, kb))  # noqa: B023
        html_ms = _median_ms(lambda: render_protocol_html(proposal, case, kb))  # noqa: B023
        worst = max(worst, pdf_ms)
        print(f"{path.name:40} {pdf_ms:8.1f} {html_ms:8.1f}")
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"slowest protocol PDF {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()

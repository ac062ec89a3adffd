"""Benchmark of the patient letter: PDF time and length per example. Prints figures.

    .venv/bin/python bench/letter.py            # every example, 10 runs each
    .venv/bin/python bench/letter.py 20         # 20 runs each

Per example: the median and the slowest time to build and compile the letter PDF (warm: the
first run, which loads fonts and the citation style, is not counted), its pages, and its words
(everything printed but the list of sources; with the sources). The budget is 300 ms per
letter PDF; examples above it are marked. Figures are for this machine only.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pypdf import PdfReader  # noqa: E402

from osteoboard.caseio import load_case  # noqa: E402
from osteoboard.engine import evaluate  # noqa: E402
from osteoboard.render.letter import build_letter, load_contact, render_letter_pdf  # noqa: E402

BUDGET_MS = 300.0


def main(runs: int = 10) -> None:
    contact = load_contact(cwd=ROOT)
    medians = []
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        case = load_case(path)
        proposal = evaluate(case)
        pdf = render_letter_pdf(proposal, case, contact=contact)  # warm
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            render_letter_pdf(proposal, case, contact=contact)
            samples.append((time.perf_counter() - t) * 1000)
        median = statistics.median(samples)
        medians.append(median)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        r = build_letter(proposal, case, contact=contact).readability
        mark = "  OVER BUDGET" if median > BUDGET_MS else ""
        print(
            f"{path.name:40s} letter PDF median {median:6.1f} ms (max {max(samples):6.1f}), "
            f"{pages} pages, {r.prose_words} words ({r.words} with sources){mark}"
        )
    print(
        f"letter PDF over {len(medians)} examples: median {statistics.median(medians):.1f} ms, "
        f"slowest {max(medians):.1f} ms (budget {BUDGET_MS:.0f} ms)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)

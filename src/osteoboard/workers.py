"""Settings of long-running worker processes: the server's and the cohort runner's.

The cyclic garbage collector walks every container object of a generation when it collects
it. A worker holds the knowledge base and the engine's shared stores for its whole life, and
an evaluation allocates many short-lived objects but builds few reference cycles. Measured on
4,000 synthetic cases in one process: 5.78 ms per case with CPython's defaults, 5.55 with the
loaded state frozen, 5.32 with that and a young generation of 20,000 allocations, 5.07 with
no collection at all.
"""

from __future__ import annotations

import gc

__all__ = ["GC_YOUNG_THRESHOLD", "settle_worker"]

#: Allocations between two collections of the youngest generation (CPython's default: 700).
GC_YOUNG_THRESHOLD = 20_000


def settle_worker() -> None:
    """Once the knowledge base is loaded: collect, move everything alive into the permanent
    generation (``gc.freeze``: never walked again), and collect the young generation less
    often."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), middle, old)

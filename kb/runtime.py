"""What a server process does once it has loaded the project, before it answers requests."""

from __future__ import annotations

import gc

# How many allocations (less deallocations) start a collection of the youngest generation,
# and how many collections of one generation start a collection of the next: Python's
# defaults are 700, 10, 10.
GC_THRESHOLDS = (10_000, 10, 10)


def freeze_loaded_objects() -> None:
    """Load the URLs and the views they name, then move everything loaded so far out of the
    garbage collector's reach (gc.freeze, as the Python documentation advises for long-lived
    server processes), and collect less often (GC_THRESHOLDS).

    What start-up loads lives as long as the process; left in, each full collection walks all
    of it again. A 500-claim API page builds some 200,000 objects that live until the
    response is written, and at Python's default thresholds the collector walked them about
    15 times a page: 7.6 ms of a 72 ms page at a million claims, 3.1 ms with these thresholds
    (measured on kb_bench's database with gc.callbacks)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)

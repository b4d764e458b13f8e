"""The API process's heap, made cheap for the garbage collector once start-up is done.

A full (generation 2) collection walks every object the collector tracks. The API's imports
(scikit-learn, SciPy, pandas, PyMongo, FastAPI) leave a few hundred thousand, so a full
collection during load held the event loop for 110 to 130 ms, and every request in flight
waited behind it: one-row predictions at 8 clients had a p99 of 24 to 50 ms against the bare
endpoint's 8 to 10 (`python -m bench.predict_profile --load 10`, a gc callback timing each
collection). Freezing moves what start-up made into a permanent generation the collector no
longer walks; it lives as long as the process anyway. Objects made later (requests, loaded
models) are collected as before.
"""

import gc
import logging
import time

logger = logging.getLogger(__name__)


def freeze_startup_heap() -> None:
    """Collect start-up's garbage once, then freeze what is left (see the module docstring)."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    logger.debug(
        "froze %d start-up objects in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )

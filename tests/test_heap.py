"""The API freezes its start-up heap, so a full garbage collection under load walks only what
requests made (app/heap.py: a full walk of the imports held the event loop for ~110 ms)."""

import gc

from fastapi import FastAPI


async def test_startup_objects_are_frozen_out_of_the_collectors_walk(app: FastAPI) -> None:
    assert gc.get_freeze_count() > 10_000  # the imports' objects: scikit-learn, pandas, ...
    before = len(gc.get_objects(generation=2))
    gc.collect()
    assert len(gc.get_objects(generation=2)) < gc.get_freeze_count()
    assert before < gc.get_freeze_count()

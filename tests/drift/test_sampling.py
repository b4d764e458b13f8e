"""The predict path's buffer stays bounded between flushes and keeps the newest rows."""

import asyncio
import json

import numpy as np
import redis.asyncio as aioredis

from app.config import Settings
from app.drift.sampling import LiveSampler, Pending, encode, live_sampling, sample_key
from app.inference.columns import model_input
from app.inference.rows import model_rows
from tensorfleet.schemas.inference import PredictRequest
from workers.worker import drift_cron


def test_buffer_keeps_at_most_the_cap_newest_rows() -> None:
    pending = Pending()
    for batch in range(50):
        rows = np.full((40, 2), float(batch))
        pending.add(rows, [str(batch)] * 40, None, cap=100)
        assert pending.rows < 100 + 40  # never more than one entry beyond the cap
    lines = encode(pending, cap=100)
    assert len(lines) == 100
    assert [json.loads(line)[-1] for line in lines] == ["47"] * 20 + ["48"] * 40 + ["49"] * 40


def test_sampled_frame_rows_keep_values_and_gaps_as_the_request_gave_them() -> None:
    """A pipeline model's rows (the predict path's DataFrame) are stored as plain JSON values,
    a gap as null, whatever the column's type; the same rows the frame-wide pandas conversion
    gave before the column-wise one replaced it."""
    schema = [
        {"name": "age", "type": "numeric"},
        {"name": "plan", "type": "categorical"},
        {"name": "member", "type": "boolean"},
    ]
    rows = [[41, "pro", True], [None, None, None], [2.5, 7, False]]
    request = PredictRequest.model_validate({"inputs": rows})
    X = model_rows(request, model_input({"input_schema": schema}), max_rows=10)
    pending = Pending()
    pending.add(X, ["yes", "no", "yes"], None, cap=10)
    lines = [json.loads(line) for line in encode(pending, cap=10)]
    assert lines == [
        [41.0, "pro", True, "yes"],
        [None, None, None, "no"],
        [2.5, "7", False, "yes"],
    ]
    frame_wide = X.astype(object).where(X.notna(), None).to_numpy().tolist()
    assert [line[:-1] for line in lines] == frame_wide


def test_rate_keeps_about_that_share_of_rows() -> None:
    sampler = LiveSampler(redis=None, database="db", rate=0.25, cap=1_000_000)  # type: ignore[arg-type]
    for _ in range(400):
        sampler.offer("m", True, np.zeros((10, 1)), ["x"] * 10)
    kept = sampler._pending["m"].rows
    assert 800 <= kept <= 1200  # 4,000 rows at 0.25: 1,000 expected, sd about 27


def test_models_without_reference_or_rate_zero_are_not_buffered() -> None:
    sampler = LiveSampler(redis=None, database="db", rate=1.0, cap=10)  # type: ignore[arg-type]
    sampler.offer("old", False, np.zeros((1, 1)), ["x"])
    off = LiveSampler(redis=None, database="db", rate=0.0, cap=10)  # type: ignore[arg-type]
    off.offer("new", True, np.zeros((1, 1)), ["x"])
    assert not sampler._pending and not off._pending


def test_worker_schedules_the_drift_check_unless_turned_off() -> None:
    every_five = drift_cron(Settings(_env_file=None, drift_check_minutes=5))
    assert [job.name for job in every_five] == ["cron:check_drift"]
    assert every_five[0].minute == set(range(0, 60, 5))
    assert drift_cron(Settings(_env_file=None, drift_check_minutes=0)) == []


async def test_closing_while_a_flush_runs_keeps_every_offered_row(settings: Settings) -> None:
    """Shutdown used to cancel the flush task; a flush caught between taking the buffers and
    writing them lost its rows (seen as a short sample after the API stopped)."""
    redis = aioredis.from_url(str(settings.redis_url))
    try:
        for attempt in range(20):
            flushing = LiveSampler(
                redis=redis, database=f"close{attempt}", rate=1.0, cap=10_000, flush_seconds=0
            )
            async with live_sampling(flushing):
                for row in range(30):
                    flushing.offer("m", True, np.full((1, 1), float(row)), ["y"])
                    await asyncio.sleep(0)
            stored = await redis.llen(sample_key(f"close{attempt}", "m"))
            assert stored == 30
    finally:
        await redis.aclose()

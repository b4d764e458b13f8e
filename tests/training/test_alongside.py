"""A job's progress write runs beside its fit or upload: it is always finished, or cancelled
when the main step fails, and never replaces the main step's result or error."""

import asyncio

import pytest

from workers.training import alongside


async def test_both_run_at_once_and_both_have_finished_on_return() -> None:
    events: list[str] = []

    async def write() -> None:
        events.append("write started")
        await asyncio.sleep(0.05)
        events.append("write done")

    async def fit() -> str:
        events.append("fit started")
        await asyncio.sleep(0.01)
        return "model"

    assert await alongside(write(), fit()) == "model"
    assert events == ["fit started", "write started", "write done"]


async def test_a_failed_main_step_cancels_the_write_and_keeps_its_own_error() -> None:
    write_cancelled = asyncio.Event()

    async def write() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            write_cancelled.set()
            raise

    async def fit() -> None:
        await asyncio.sleep(0.01)
        raise ValueError("bad hyperparameters")

    with pytest.raises(ValueError, match="bad hyperparameters"):
        await alongside(write(), fit())
    assert write_cancelled.is_set()

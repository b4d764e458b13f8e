"""The process pool the worker fits in: forked from a server with scikit-learn preloaded.

A pool whose process died (killed, out of memory) is broken for good in concurrent.futures;
FitPool replaces it, so one bad job does not fail every job after it.
"""

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any


class FitProcessDied(RuntimeError):
    pass


def new_executor(max_workers: int) -> ProcessPoolExecutor:
    """Processes forked from a server that has scikit-learn imported already, so a pool process
    starts in milliseconds and inherits nothing of the worker's event loop or sockets."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.training.fitting"])
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=context)


class FitPool:
    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self.executor = new_executor(max_workers)

    async def warm_up(self) -> None:
        """Start every pool process now, so the first jobs do not pay for it."""
        await asyncio.gather(*(self.run(os.getpid) for _ in range(self.max_workers)))

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        executor = self.executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
        except BrokenProcessPool:
            self._replace(executor)
            raise FitProcessDied("the fit process died (killed or out of memory)") from None

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self.executor is broken:  # the first of the jobs it broke replaces it
            self.executor = new_executor(self.max_workers)
            broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

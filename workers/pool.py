"""The process pool the worker fits in: forked from a server with scikit-learn preloaded.

A pool whose process died (killed, out of memory) is broken for good in concurrent.futures;
FitPool replaces it, so one bad job does not fail every job after it.

Each pool process caps its BLAS and OpenMP threads (threadpoolctl) so that the fits running at
once share the CPUs instead of each starting a thread per CPU: uncapped, two processes of two
OpenBLAS threads each on 2 CPUs made a logistic regression on Iris fit 2 to 3 times slower.
"""

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from threadpoolctl import threadpool_limits


class FitProcessDied(RuntimeError):
    pass


def default_threads_per_fit(max_workers: int, cpus: int | None = None) -> int:
    """The worker's CPUs (WORKER_CPUS, else those this process may run on), shared out between
    the fits that run at once."""
    return max(1, (cpus or len(os.sched_getaffinity(0))) // max_workers)


def limit_threads(threads: int) -> None:
    """Pool process initialiser: the cap holds for every fit the process runs."""
    threadpool_limits(limits=threads)


def new_executor(max_workers: int, threads_per_fit: int) -> ProcessPoolExecutor:
    """Processes forked from a server that has scikit-learn imported already, so a pool process
    starts in milliseconds and inherits nothing of the worker's event loop or sockets."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.training.fitting"])
    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=context,
        initializer=limit_threads,
        initargs=(threads_per_fit,),
    )


class FitPool:
    def __init__(self, max_workers: int, threads_per_fit: int | None = None) -> None:
        self.max_workers = max_workers
        self.threads_per_fit = threads_per_fit or default_threads_per_fit(max_workers)
        self.executor = new_executor(max_workers, self.threads_per_fit)

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
            self.executor = new_executor(self.max_workers, self.threads_per_fit)
            broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)

"""The processes the worker fits in: pre-forked, scikit-learn preloaded, and killable.

Why not concurrent.futures: a ProcessPoolExecutor cannot stop a call it started. Cancelling
the awaiting coroutine (a job timeout, a cancel, a shutdown) left the process fitting, its
slot busy and a SIGTERM waiting for it. Here each slot is one process of our own with a pipe:

- a call that is cancelled kills its process at once (SIGKILL: a fit has nothing worth
  saving), waits until it is reaped, and starts a replacement, so the CPU is free and the next
  job finds a ready process;
- a process that dies (killed, out of memory) fails only its own call (FitProcessDied) and is
  replaced; an idle one found dead is replaced before it is used;
- shutdown kills every process.

The processes are forked from a forkserver that imported scikit-learn and the fitting code
first, so starting one takes milliseconds, not the second or more of a fresh interpreter, and
it inherits nothing of the worker's event loop or sockets. A slot serves many calls; only a
killed or dead one is replaced. Each call's pipe I/O runs in a thread, so pickling a large
dataset or model never blocks the event loop. What each process sets up (thread and memory
caps, dying with the worker) is in workers/fit_process.py.
"""

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.context import ForkServerContext, ForkServerProcess
from typing import Any

from workers.fit_process import MIB, Outcome, serve

PRELOAD = ["app.training.fitting", "app.tuning.trial", "workers.fit_process"]
REAP_TIMEOUT_SECONDS = 5


class FitProcessDied(RuntimeError):
    pass


def default_threads_per_fit(max_workers: int, cpus: int | None = None) -> int:
    """The worker's CPUs (WORKER_CPUS, else those this process may run on), shared out between
    the fits that run at once."""
    return max(1, (cpus or len(os.sched_getaffinity(0))) // max_workers)


def forkserver() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


class FitSlot:
    """One fit process and our end of its pipe."""

    def __init__(self, context: ForkServerContext, threads: int, memory_limit_bytes: int) -> None:
        self.connection, child_end = context.Pipe()
        lifeline, self.lifeline = context.Pipe(duplex=False)  # ours closes when we exit
        self.process: ForkServerProcess = context.Process(
            target=serve,
            args=(child_end, lifeline, threads, memory_limit_bytes),
            name="tensorfleet-fit",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        lifeline.close()

    def call(self, function: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
        """Send a call and wait for its outcome (in a thread); EOFError or OSError when the
        process died, after which the slot is closed."""
        try:
            with contextlib.suppress(BrokenPipeError):  # it stopped reading: its answer, if it
                self.connection.send((function, args))  # gave one, is in the pipe
            return self.connection.recv()
        except (EOFError, OSError):
            self.close()
            raise

    def close(self) -> None:
        """Reap the process (killed or ended) and close the pipe."""
        self.process.join(REAP_TIMEOUT_SECONDS)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self.connection.close()
        self.lifeline.close()


class FitPool:
    def __init__(
        self,
        max_workers: int,
        threads_per_fit: int | None = None,
        memory_limit_mb: int | None = None,
    ) -> None:
        self.max_workers = max_workers
        self.threads_per_fit = threads_per_fit or default_threads_per_fit(max_workers)
        self.memory_limit_bytes = (memory_limit_mb or 0) * MIB
        self.context = forkserver()
        self.pipe_threads = ThreadPoolExecutor(2 * max_workers, thread_name_prefix="fit-pipe")
        self.slots: set[FitSlot] = set()
        self.idle: asyncio.Queue[FitSlot] = asyncio.Queue()
        self.starting: set[asyncio.Task[None]] = set()
        self.closed = False
        self._handed_off = asyncio.Event()  # replaced by a fresh one at each hand-off

    async def _new_slot(self) -> FitSlot:
        """Start a process (in a thread: the first start waits for the forkserver to import
        scikit-learn, seconds on a busy machine) and count it as ours."""
        slot = await asyncio.get_running_loop().run_in_executor(
            self.pipe_threads, FitSlot, self.context, self.threads_per_fit, self.memory_limit_bytes
        )
        self.slots.add(slot)
        return slot

    async def start(self) -> None:
        """Start every process and wait until each answers, so the first jobs do not pay for
        it."""
        for slot in await asyncio.gather(*(self._new_slot() for _ in range(self.max_workers))):
            self.idle.put_nowait(slot)
        await asyncio.gather(*(self.run(os.getpid) for _ in range(self.max_workers)))

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in a fit process. Cancelling this kills that process."""
        slot = await self._take()
        call = asyncio.get_running_loop().run_in_executor(
            self.pipe_threads, slot.call, function, args
        )
        self._handed_off, handed_off = asyncio.Event(), self._handed_off
        handed_off.set()
        try:
            succeeded, value = await asyncio.shield(call)
        except asyncio.CancelledError:
            await self._retire(slot, call)
            raise
        except (EOFError, OSError):
            await self._retire(slot, call)
            raise FitProcessDied("the fit process died (killed or out of memory)") from None
        self.idle.put_nowait(slot)
        if not succeeded:
            raise value
        return value

    def next_hand_off(self) -> asyncio.Event:
        """An event set when the next call is handed to a fit process (its fit runs there and
        this event loop is free for other work)."""
        return self._handed_off

    async def _take(self) -> FitSlot:
        while True:
            slot = await self.idle.get()
            if slot.process.is_alive():
                return slot
            self.slots.discard(slot)  # died while idle (killed from outside): not this call's
            slot.close()  # fault; the next idle one serves it
            self._refill()

    async def _retire(self, slot: FitSlot, call: asyncio.Future[Outcome]) -> None:
        """Kill the slot's process, start a fresh one in its place, and wait until the call
        has seen the pipe close (the process is reaped by then)."""
        slot.process.kill()
        self.slots.discard(slot)
        self._refill()
        await asyncio.shield(asyncio.gather(call, return_exceptions=True))

    def _refill(self) -> None:
        """Start a replacement in the background: a second cancel of the caller cannot stop
        it halfway, so the pool never shrinks."""
        if not self.closed:
            task = asyncio.get_running_loop().create_task(self._add_idle_slot())
            self.starting.add(task)
            task.add_done_callback(self.starting.discard)

    async def _add_idle_slot(self) -> None:
        slot = await self._new_slot()
        if self.closed:
            slot.process.kill()
        else:
            self.idle.put_nowait(slot)

    def shutdown(self) -> None:
        """Kill every fit process; what they were fitting is handed back by the caller."""
        self.closed = True
        for slot in list(self.slots):
            slot.process.kill()
        for slot in list(self.slots):
            slot.process.join(REAP_TIMEOUT_SECONDS)
        while not self.idle.empty():  # a busy slot's pipe is closed by its call's thread
            self.idle.get_nowait().close()
        self.slots.clear()
        self.pipe_threads.shutdown(wait=False, cancel_futures=True)

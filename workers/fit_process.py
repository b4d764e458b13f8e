"""The inside of a fit process: set up once, then run one call at a time from its pipe.

This module runs in the children of the forkserver (see workers/pool.py), which imported it
and scikit-learn before forking them. Each child is set up once:

- its BLAS and OpenMP threads are capped (threadpoolctl), so that the fits running at once share
  the CPUs instead of each starting a thread per CPU: uncapped, two processes of two OpenBLAS
  threads each on 2 CPUs made a logistic regression on Iris fit 2 to 3 times slower;
- its writable memory is capped (RLIMIT_DATA) at what it holds when idle plus the configured
  limit, so an allocation beyond the cap fails inside this process with a MemoryError, which
  ends the job `failed` (FitMemoryExceeded) and touches nothing beside it. RLIMIT_DATA counts
  heap and private writable mappings (NumPy arrays, thread stacks), not shared libraries or
  reserved address space, so it is close to the memory a fit really asks for;
- it dies with the worker: a thread waits on a pipe whose other end only the worker holds, and
  kills the process when that end closes, which the kernel does when the worker exits, also on
  SIGKILL. (Neither the forkserver, which stays up while its children hold its liveness pipe,
  nor PR_SET_PDEATHSIG, whose parent is the forkserver, can do this.)
"""

import contextlib
import io
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from threadpoolctl import threadpool_limits

MIB = 2**20
Outcome = tuple[bool, Any]  # (True, the result) or (False, the exception)


class FitMemoryExceeded(MemoryError):
    """A fit asked for more memory than its cap (FIT_MEMORY_LIMIT_MB)."""


def data_bytes() -> int:
    """This process's writable private memory, as RLIMIT_DATA counts it (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[5]) * os.sysconf("SC_PAGE_SIZE")


def warm_up() -> None:
    """Make, before the cap, what every fit makes at its first call and keeps: OpenBLAS's work
    buffer (32 MiB) and Arrow's thread pools. Their thread stacks count against RLIMIT_DATA, and
    Arrow, failing to launch a thread under the cap, raised and then hung the process at exit,
    so a dataset fit under a small cap never ended."""
    np.ones((256, 256)) @ np.ones((256, 256))
    table = io.BytesIO()
    pq.write_table(pa.table({"number": [1.0, 2.0], "text": ["a", "b"]}), table)
    pq.read_table(io.BytesIO(table.getvalue())).to_pandas()


def cap_memory(limit_bytes: int) -> None:
    """Allow `limit_bytes` beyond the idle footprint, measured after warm_up."""
    warm_up()
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    soft = data_bytes() + limit_bytes
    resource.setrlimit(resource.RLIMIT_DATA, (soft if hard < 0 else min(soft, hard), hard))


def die_with_worker(lifeline: Connection) -> None:
    """End this process, fit or not, once the worker's end of `lifeline` closes."""

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            lifeline.recv_bytes()
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def set_up(lifeline: Connection, threads: int, memory_limit_bytes: int) -> None:
    die_with_worker(lifeline)
    threadpool_limits(limits=threads)
    if memory_limit_bytes and sys.platform == "linux":
        cap_memory(memory_limit_bytes)


def out_of_memory(exc: MemoryError, limit_bytes: int) -> FitMemoryExceeded:
    detail = f": {exc}" if str(exc) else ""
    return FitMemoryExceeded(
        f"the fit needed more memory than its cap of {limit_bytes // MIB} MiB "
        f"(FIT_MEMORY_LIMIT_MB){detail}"
    )


def call(function: Callable[..., Any], args: tuple[Any, ...], limit_bytes: int) -> Outcome:
    try:
        return True, function(*args)
    except MemoryError as exc:
        return False, out_of_memory(exc, limit_bytes)
    except Exception as exc:
        return False, exc


def reply(connection: Connection, outcome: Outcome, limit_bytes: int) -> None:
    """Send the outcome; one that cannot be pickled (or not within the cap) becomes an error."""
    try:
        connection.send(outcome)
    except MemoryError as exc:
        connection.send((False, out_of_memory(exc, limit_bytes)))
    except Exception as exc:
        connection.send((False, RuntimeError(f"cannot send the fit's outcome back: {exc!r}")))


def serve(
    connection: Connection, lifeline: Connection, threads: int, memory_limit_bytes: int
) -> None:
    """The process's life: set up, then answer each (function, args) until the pipe closes."""
    set_up(lifeline, threads, memory_limit_bytes)
    while True:
        try:
            function, args = connection.recv()
        except EOFError:
            return
        except MemoryError as exc:  # the arguments alone are beyond the cap; the pipe may
            # hold the rest of them unread, so this process answers and ends (it is replaced)
            reply(connection, (False, out_of_memory(exc, memory_limit_bytes)), memory_limit_bytes)
            return
        reply(connection, call(function, args, memory_limit_bytes), memory_limit_bytes)

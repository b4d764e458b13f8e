"""The worker process of `python -m workers`: settings, dependency checks, the metrics endpoint
and the arq worker, run again whenever Redis comes back.

arq's worker ends when it loses Redis; this process then closes what the worker opened and
starts a new one once Redis answers again, so a Redis restart needs no process restart.

Shutdown (SIGTERM or SIGINT), the semantics deployments rely on:
1. The worker stops taking jobs and cancels the ones it runs. A job that is fitting has its fit
   process killed at once (SIGKILL; see workers/pool.py); a job that is publishing finishes that
   step first (it is short, and a model is never left half published).
2. Each interrupted job stays on the queue (arq's "will be run again") and the next worker runs
   it, as another attempt (`attempts` + 1); its record stays `running` until then, and its lease
   (see workers/lease.py) lapses so nothing waits on a worker that has gone.
3. The remaining fit processes are killed, the clients closed, and the process exits 0.
So a shutdown takes about a second whatever the jobs were doing, not the length of a fit: a grace
period of 10 s is plenty. A worker killed outright (SIGKILL) takes its fit processes with it; its
jobs run again once arq's claim on them expires (JOB_TIMEOUT_SECONDS + 15 s).
"""

import asyncio
import logging
import time

from arq import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.config import Settings
from app.log import configure_logging
from app.startup import check_dependencies_or_exit, load_settings_or_exit
from workers.metrics import serve_metrics
from workers.worker import build_worker, shutdown

logger = logging.getLogger("tensorfleet.worker")
REDIS_LOST = (RedisConnectionError, RedisTimeoutError, ConnectionError)
RECONNECT_DELAY_SECONDS = 2.0


def run_once(settings: Settings) -> bool:
    """Run a worker until it stops; False when it stopped because Redis was lost."""
    worker = build_worker(settings)
    try:
        worker.run()
        return True
    except REDIS_LOST as exc:
        logger.warning("lost Redis (%s); starting again in %.0f s", exc, RECONNECT_DELAY_SECONDS)
        return False
    except asyncio.CancelledError:
        # A shutdown signal that catches a job still starting (inside arq's own Redis calls):
        # arq 0.28's Worker.close gathers its cancelled tasks without return_exceptions and
        # re-raises that cancellation. The job stays queued; the stop itself went fine.
        logger.info("stopped while a job was starting; it stays queued")
        return True
    finally:
        worker.loop.run_until_complete(stop_jobs_and_close(worker))


async def stop_jobs_and_close(worker: Worker) -> None:
    """Interrupted jobs stay queued in Redis and run again once it is back."""
    for task in worker.tasks.values():
        task.cancel()
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    await shutdown(worker.ctx)


def main() -> int:
    settings = load_settings_or_exit()
    configure_logging(settings.log_level)
    check_dependencies_or_exit(settings)
    serve_metrics(settings.worker_metrics_port)
    while not run_once(settings):
        time.sleep(RECONNECT_DELAY_SECONDS)
    return 0

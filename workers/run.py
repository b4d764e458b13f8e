"""The worker process of `python -m workers`: settings, dependency checks, the metrics endpoint
and the arq worker, run again whenever Redis comes back.

arq's worker ends when it loses Redis; this process then closes what the worker opened and
starts a new one once Redis answers again, so a Redis restart needs no process restart.
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

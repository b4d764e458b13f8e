"""`python -m workers`: run the training worker. `python -m workers --check`: exit 0 when a
worker on this queue reported healthy in the last few seconds (for container probes)."""

import asyncio
import logging
import sys

from arq.worker import async_check_health

from app.__main__ import check_dependencies_or_exit, load_settings_or_exit
from app.log import configure_logging
from app.resources import redis_settings
from workers.main import build_worker

logger = logging.getLogger("tensorfleet.worker")


def main(argv: list[str]) -> int:
    settings = load_settings_or_exit()
    configure_logging(settings.log_level)
    if "--check" in argv:
        return asyncio.run(async_check_health(redis_settings(settings), None, settings.queue_name))
    check_dependencies_or_exit(settings)
    build_worker(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

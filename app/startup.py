"""Start-up checks shared by `python -m app` and `python -m workers`.

A bad setting or an unreachable store ends the process with one clear log line and exit code 1.
This module imports no web server, so the worker does not load uvicorn to use it.
"""

import asyncio
import logging
import sys

from pydantic import ValidationError

from app.config import Settings
from app.log import configure_logging
from app.resources import DependencyUnavailable, open_resources

logger = logging.getLogger("tensorfleet")


def load_settings_or_exit() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        configure_logging("INFO")
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            logger.error("invalid setting %s: %s", name, error["msg"])
        sys.exit(1)


async def check_dependencies(settings: Settings) -> None:
    resources = await open_resources(settings)
    await resources.close()


def check_dependencies_or_exit(settings: Settings) -> None:
    try:
        asyncio.run(check_dependencies(settings))
    except DependencyUnavailable as exc:
        logger.error("%s", exc)
        sys.exit(1)

"""`python -m app`: check settings and stores, then serve the API with uvicorn.

A bad setting or an unreachable store ends the process with one clear log line and exit code 1.
"""

import asyncio
import logging
import sys

import uvicorn

from app.config import Settings
from app.log import configure_logging
from app.resources import open_resources
from app.security.keys import count_admin_keys
from app.startup import check_dependencies_or_exit, load_settings_or_exit

logger = logging.getLogger("tensorfleet")


AUTH_OFF = (
    "authentication is OFF: anyone who can reach this port can delete models; set AUTH_ENABLED=true"
)


async def admin_key_count(settings: Settings) -> int:
    resources = await open_resources(settings)
    try:
        return await count_admin_keys(resources.db)
    finally:
        await resources.close()


def check_auth_or_exit(settings: Settings) -> None:
    """Warn when auth is off; with auth on, refuse to start with no way to become admin."""
    if not settings.auth_enabled:
        logger.warning("%s", AUTH_OFF)
    elif settings.bootstrap_admin_key is None and asyncio.run(admin_key_count(settings)) == 0:
        logger.error(
            "AUTH_ENABLED is true but there is no admin key: set BOOTSTRAP_ADMIN_KEY "
            "(at least 32 characters, e.g. `openssl rand -hex 32`); see docs/security.md"
        )
        sys.exit(1)


def main() -> None:
    settings = load_settings_or_exit()
    configure_logging(settings.log_level)
    check_dependencies_or_exit(settings)
    check_auth_or_exit(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        timeout_keep_alive=settings.http_keep_alive_seconds,
    )


if __name__ == "__main__":
    main()

"""The worker's liveness, per pod: each worker process keeps its own health key in Redis, and
`python -m workers --check` (the container probe) reads the key of the pod it runs in.

arq's default key is one per queue, so any healthy replica made every pod's probe pass and a
hung pod was never restarted. The key is named after the host name, which is the pod name in
Kubernetes and the container id in Docker, so the probe (run inside the same container) finds
its own worker's key. arq writes it every health-check interval with an expiry of that interval
plus one second; a worker whose event loop stops writing it fails the probe soon after.

This module imports only the settings and the Redis client: the probe runs every 30 s beside
running fits, and importing the worker (scikit-learn) cost about 5 s of CPU per probe.
"""

import socket
import sys

import redis
from pydantic import ValidationError

from app.config import Settings

PROBE_TIMEOUT_SECONDS = 5.0


def health_key(queue_name: str, host: str | None = None) -> str:
    """The Redis key the worker on `host` (this host when None) refreshes while it is alive."""
    return f"{queue_name}:health-check:{host or socket.gethostname()}"


def check() -> int:
    """0 when this host's worker refreshed its health key within its expiry, else 1."""
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"worker check: invalid settings: {exc}", file=sys.stderr)
        return 1
    client = redis.Redis.from_url(
        str(settings.redis_url),
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
    )
    key = health_key(settings.queue_name)
    try:
        alive = bool(client.exists(key))
    except redis.RedisError as exc:
        print(f"worker check: Redis: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(f"worker check: {key} {'fresh' if alive else 'missing or expired'}", file=sys.stderr)
    return 0 if alive else 1

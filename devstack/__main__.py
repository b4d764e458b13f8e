"""`python -m devstack`: the whole service in the foreground, as `make run` starts it.

Starts Redis and FerretDB with data under ./data (unless REDIS_URL / MONGODB_URL name servers
to use), then the API on PORT (8000), a second API process on LOCAL_REGISTRY_PORT (8083, the
port the seed's registry commands use; empty or 0: none) and one worker. Ctrl-C (or SIGTERM)
stops all of them, newest first.
"""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devstack.services import (
    PROJECT,
    Service,
    ServiceError,
    ferretdb_service,
    redis_service,
    stop_process,
)

logging.basicConfig(level="INFO", format="%(asctime)s devstack: %(message)s")
log = logging.getLogger("devstack")

DATA = Path(os.environ.get("TENSORFLEET_DATA_DIR", PROJECT / "data"))


def start_stores(env: dict[str, str]) -> list[Service]:
    services = []
    if not env.get("REDIS_URL"):
        port = int(env.get("LOCAL_REDIS_PORT", "6379"))
        services.append(redis_service(port, DATA / "redis").start())
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        log.info("redis on 127.0.0.1:%d (data in %s)", port, DATA / "redis")
    if not env.get("MONGODB_URL"):
        port = int(env.get("LOCAL_MONGODB_PORT", "27017"))
        services.append(ferretdb_service(port, DATA / "ferretdb").start())
        env["MONGODB_URL"] = f"mongodb://127.0.0.1:{port}/"
        log.info("ferretdb on 127.0.0.1:%d (data in %s)", port, DATA / "ferretdb")
    return services


def start_process(name: str, module: str, env: dict[str, str]) -> subprocess.Popen:
    log.info("starting %s (python -m %s)", name, module)
    return subprocess.Popen([sys.executable, "-m", module], env=env, start_new_session=True)


def wait_until_serving(process: subprocess.Popen, port: str, timeout: float = 120) -> None:
    """Until the API answers /health (its start-up done), so a second one starts after it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)


class Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise Stop


def supervise(processes: dict[str, subprocess.Popen]) -> int:
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                log.error("%s exited with code %s; stopping the stack", name, process.returncode)
                return 1
        time.sleep(0.5)


def main() -> int:
    env = dict(os.environ)
    # Both explicitly: a shell starting us in the background may have set SIGINT to ignored.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    stores: list[Service] = []
    processes: dict[str, subprocess.Popen] = {}
    code = 0
    try:
        stores = start_stores(env)
        port = env.setdefault("PORT", "8000")
        processes["api"] = start_process("api", "app", env)
        registry_port = env.get("LOCAL_REGISTRY_PORT", "8083")
        if registry_port not in ("", "0", port):
            wait_until_serving(processes["api"], port)
            name = f"api on :{registry_port}"
            processes[name] = start_process(name, "app", env | {"PORT": registry_port})
        processes["worker"] = start_process("worker", "workers", env)
        log.info("Swagger UI: http://localhost:%s/docs  (Ctrl-C stops everything)", port)
        code = supervise(processes)
    except (KeyboardInterrupt, Stop):
        log.info("stopping")
    except ServiceError as exc:
        log.error("%s", exc)
        code = 1
    finally:
        for process in reversed(processes.values()):
            stop_process(process)
        for service in reversed(stores):
            service.stop()
        log.info("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())

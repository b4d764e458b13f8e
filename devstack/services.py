"""Local Redis and FerretDB processes for `make run`, `make test` and `make bench`.

Each service is a child process with its data under a folder we choose, on a loopback port.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
FERRETDB = PROJECT / ".tools" / "bin" / "ferretdb"
# Stock v1.24.2, built on demand beside it: what the patches are measured and tested against.
FERRETDB_STOCK = PROJECT / ".tools" / "bin" / "ferretdb-stock"
# FerretDB's Go garbage collector runs when the heap doubles (GOGC=100). Its live heap is small
# (tens of MB) and every read allocates a decoded copy of each document, so collections took a
# fifth of a find's CPU; at 400 they take a few per cent. A GOGC in the environment wins.
FERRETDB_GOGC = "400"


class ServiceError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM the process, SIGKILL if it lingers, then SIGTERM what is left of its process
    group (children started with start_new_session lead one: a worker's fit processes)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)


@dataclass
class Service:
    name: str
    argv: list[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)  # added to the inherited environment
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, timeout: float = 20.0) -> "Service":
        if port_open(self.port):
            raise ServiceError(f"{self.name}: port {self.port} is already in use")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = process = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=os.environ | self.env,
        )
        log.close()
        self._wait_ready(process, timeout)
        return self

    def _wait_ready(self, process: subprocess.Popen, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServiceError(
                    f"{self.name} exited with {process.returncode}; see {self.log_path}"
                )
            if port_open(self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise ServiceError(f"{self.name} did not listen on {self.port} within {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None:
            stop_process(self.process, timeout)

    def kill(self) -> None:
        """SIGKILL, for fault tests."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def redis_service(port: int, data_dir: Path, databases: int = 16) -> Service:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError("redis-server is not installed; run scripts/ensure-redis.sh")
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--databases",
        str(databases),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
    ]
    return Service("redis", argv, port, data_dir / "redis.log")


def build_stock_ferretdb() -> Path:
    """Stock v1.24.2 (scripts/install-ferretdb.sh with PATCHES=none), built once."""
    env = os.environ | {"PATCHES": "none", "OUT": str(FERRETDB_STOCK)}
    subprocess.run([str(PROJECT / "scripts" / "install-ferretdb.sh")], env=env, check=True)
    return FERRETDB_STOCK


def ferretdb_service(port: int, data_dir: Path, binary: Path = FERRETDB) -> Service:
    """FerretDB on SQLite; `binary` is the patched build of scripts/install-ferretdb.sh unless
    the bench asks for another (stock v1.24.2, to measure the patch)."""
    if not binary.exists():
        raise ServiceError(f"{binary} is missing; run scripts/install-ferretdb.sh")
    sqlite_dir, state_dir = data_dir / "sqlite", data_dir / "state"
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        str(binary),
        "--handler=sqlite",
        f"--sqlite-url=file:{sqlite_dir}/",
        f"--listen-addr=127.0.0.1:{port}",
        f"--state-dir={state_dir}",
        "--telemetry=disable",
        "--debug-addr=-",
        "--log-level=warn",
    ]
    env = {"GOGC": os.environ.get("GOGC", FERRETDB_GOGC)}
    return Service("ferretdb", argv, port, data_dir / "ferretdb.log", env=env)

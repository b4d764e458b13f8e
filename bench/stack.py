"""The stack a benchmark runs against: Redis and FerretDB (as `make test` starts them), or a
MongoDB given by URL instead of FerretDB, the API (`python -m app`) and N workers
(`python -m workers`) as subprocesses on free ports.

Each process is started in its own session and stopped by its own id (its process group, so
a worker's pool processes go with it).
"""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from pymongo import MongoClient

from app.storage import CHUNKS, FILES, JOB_ENDINGS, JOBS, MODEL_COUNTERS, MODELS
from devstack.services import (
    FERRETDB,
    PROJECT,
    Service,
    ferretdb_service,
    free_port,
    redis_service,
    stop_process,
)

READY_TIMEOUT_SECONDS = 90.0


class StackError(RuntimeError):
    pass


@dataclass
class Stack:
    """Stores, API and workers for one benchmark run; use as a context manager."""

    work_dir: Path
    worker_env: dict[str, str] = field(default_factory=dict)
    external_mongodb_url: str = ""  # a MongoDB to measure instead of starting FerretDB
    ferretdb_binary: Path = FERRETDB  # another FerretDB build to start (bench.store_patch)
    services: list[Service] = field(default_factory=list)
    api: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    mongodb_url: str = ""
    redis_url: str = ""
    api_port: int = 0
    started_workers: int = 0
    database: str = field(default_factory=lambda: f"bench_{uuid.uuid4().hex[:8]}")

    def __enter__(self) -> "Stack":
        self.work_dir.mkdir(parents=True, exist_ok=True)
        redis = redis_service(free_port(), self.work_dir / "redis").start()
        self.services.append(redis)
        self.redis_url = f"redis://127.0.0.1:{redis.port}/0"
        if self.external_mongodb_url:
            self.mongodb_url = self.external_mongodb_url
        else:
            ferretdb = ferretdb_service(
                free_port(), self.work_dir / "ferretdb", self.ferretdb_binary
            ).start()
            self.services.append(ferretdb)
            self.mongodb_url = f"mongodb://127.0.0.1:{ferretdb.port}/"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_workers()
        if self.api is not None:
            stop_process(self.api)
        if self.external_mongodb_url:  # leave someone else's server as we found it
            with MongoClient[dict[str, Any]](self.mongodb_url) as client:
                client.drop_database(self.database)
        for service in reversed(self.services):
            service.stop()

    def store_version(self) -> str:
        """What answers on MONGODB_URL: `FerretDB v1.24.2` or `MongoDB 7.0.14`."""
        with MongoClient[dict[str, Any]](self.mongodb_url) as client:
            info = client.admin.command("buildInfo")
        if "ferretdbVersion" in info:
            return f"FerretDB {info['ferretdbVersion']}"
        return f"MongoDB {info['version']}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self, **extra: str) -> dict[str, str]:
        return (
            os.environ
            | {
                "MONGODB_URL": self.mongodb_url,
                "MONGODB_DB": self.database,
                "REDIS_URL": self.redis_url,
                "QUEUE_NAME": f"bench:{self.database}",
                "HOST": "127.0.0.1",
                "LOG_LEVEL": "WARNING",
                "WORKER_METRICS_PORT": "0",
                "PYTHONUNBUFFERED": "1",
                # bursts of hundreds of jobs from one client are the bench's load, not abuse
                "MAX_ACTIVE_JOBS_PER_KEY": "0",
            }
            | extra
        )

    def start_api(self) -> int:
        """Start `python -m app` and wait until /health answers 200; returns its pid."""
        self.api_port = free_port()
        self.api = start_process("app", self.env(PORT=str(self.api_port)), self.log("api"))
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                code = self.api.returncode
                raise StackError(f"the API exited with {code}; see {self.log('api')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return self.api.pid
            time.sleep(0.1)
        raise StackError("the API did not become healthy in time")

    def start_workers(self, count: int, **extra: str) -> None:
        """Start `count` workers (their settings: the run's, then `extra`) and wait until each
        has logged that it is ready."""
        env = self.env(LOG_LEVEL="INFO", **(self.worker_env | extra))
        for _ in range(count):
            self.started_workers += 1
            log = self.log(f"worker-{self.started_workers}")
            self.workers.append(start_process("workers", env, log))
            wait_for_line(self.workers[-1], log, "worker ready")

    def stop_workers(self) -> None:
        for process in self.workers:
            stop_process(process)
        self.workers.clear()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each part of the stack (a process with its children)."""
        parts = {s.name: [s.process.pid] for s in self.services if s.process is not None}
        parts["api"] = [self.api.pid] if self.api is not None else []
        parts["workers"] = [worker.pid for worker in self.workers]
        return {name: sum(tree_cpu_seconds(pid) for pid in pids) for name, pids in parts.items()}

    def clear_jobs_and_models(self) -> None:
        """Empty the jobs and the registry (indexes kept), so runs compared with each other
        start from the same store: on FerretDB v1.24 a lookup by `_id` scans its collection,
        so a run after 500 earlier jobs is slower for that reason alone."""
        with MongoClient[dict[str, Any]](self.mongodb_url) as client:
            db = client[self.database]
            for name in (JOBS, JOB_ENDINGS, MODELS, MODEL_COUNTERS, FILES, CHUNKS):
                db[name].delete_many({})

    def log(self, name: str) -> Path:
        return self.work_dir / "logs" / f"{name}.log"


def tree_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process and its live children."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def start_process(module: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            env=env,
            cwd=PROJECT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for_line(process: subprocess.Popen, log_path: Path, text: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"process exited with {process.returncode}; see {log_path}")
        if log_path.exists() and text in log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise StackError(f"{log_path.name}: no {text!r} within {READY_TIMEOUT_SECONDS}s")

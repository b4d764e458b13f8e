"""The client and CLI tests' helpers: a served API (with or without a worker) and the CLI's
captured result. The fixtures that use them are in tests/client/conftest.py."""

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.config import Settings
from tests.support import run_api, run_worker


@dataclass
class Server:
    url: str
    logs: Path

    def output(self) -> str:
        return "".join(p.read_text() for p in sorted(self.logs.glob("*.log")))


@contextmanager
def serve(settings: Settings, logs: Path, *, with_worker: bool) -> Iterator[Server]:
    with contextlib.ExitStack() as running:
        api = running.enter_context(run_api(settings, logs / "app.log"))
        if with_worker:
            running.enter_context(run_worker(settings, logs / "workers.log"))
        yield Server(api.url, logs)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


Tensorfleet = Callable[..., CliResult]

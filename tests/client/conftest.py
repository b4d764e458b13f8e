"""The real service for the client and CLI tests.

`live` is `python -m app` plus `python -m workers` as subprocesses on the module's namespace (the
sync client and the CLI talk to it over TCP); `idle` is an API with no worker, so its jobs stay
queued (cancel, wait timeouts); the root conftest's `worker` runs in this event loop for the
async client's in-process app. `tensorfleet` runs the CLI's entry point and captures its output.
"""

from collections.abc import Iterator

import pytest

from app.config import Settings
from tensorfleet.cli import run
from tests.client.support import CliResult, Server, Tensorfleet, serve
from tests.support import SettingsFactory


@pytest.fixture(scope="module")
def live(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(settings, tmp_path_factory.mktemp("live"), with_worker=True) as server:
        yield server


@pytest.fixture(scope="module")
def idle(
    settings_factory: SettingsFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with serve(settings_factory(), tmp_path_factory.mktemp("idle"), with_worker=False) as server:
        yield server


@pytest.fixture
def tensorfleet(capsys: pytest.CaptureFixture[str]) -> Tensorfleet:
    """Run `tensorfleet ARGS...` in this process, as the console script does."""

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke

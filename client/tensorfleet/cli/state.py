"""What every command shares: the server settings, the client, errors as one line and exit codes."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, NoReturn

import typer

from tensorfleet.client import TensorFleetClient, TensorFleetError

EXIT_ERROR = 1  # the server answered with an error, or could not be reached
EXIT_USAGE = 2  # bad arguments
EXIT_JOB_FAILED = 3  # the job ended failed or cancelled
EXIT_TIMEOUT = 4  # gave up waiting for the job

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts), not a table.")]


@dataclass(frozen=True)
class CliState:
    url: str | None
    api_key: str | None
    timeout: float


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def describe(exc: TensorFleetError) -> str:
    return f"{exc.message} (HTTP {exc.status_code})" if exc.status_code else exc.message


@contextmanager
def server_errors() -> Iterator[None]:
    """Turn a client error into one line on stderr and exit code 1."""
    try:
        yield
    except TensorFleetError as exc:
        fail(describe(exc))


@contextmanager
def client_for(ctx: typer.Context) -> Iterator[TensorFleetClient]:
    state: CliState = ctx.obj
    with (
        server_errors(),
        TensorFleetClient(state.url, api_key=state.api_key, timeout=state.timeout) as client,
    ):
        yield client

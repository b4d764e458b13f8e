"""`tensorfleet`: the command line of the TensorFleet API (typer, rich).

Exit codes: 0 success, 1 the server answered with an error or could not be reached, 2 bad
arguments, 3 the job failed or was cancelled, 4 gave up waiting for a job, 5 the model
drifted (`drift --fail-on-drift`).
"""

import sys
from typing import Annotated

import typer

from tensorfleet.cli import (
    aliases,
    batch,
    datasets,
    demo,
    drift,
    endpoints,
    evaluation,
    predict,
    registry,
    training,
    tuning,
)
from tensorfleet.cli.state import EXIT_ERROR, CliState
from tensorfleet.client.config import API_KEY_ENV, DEFAULT_TIMEOUT_SECONDS, URL_ENV

try:  # typer >= 0.22 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

app = typer.Typer(
    name="tensorfleet",
    help="Train scikit-learn models on a TensorFleet server and manage its model registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def connect(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(envvar=URL_ENV, help="Server URL.", show_default="http://localhost:8000"),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar=API_KEY_ENV, help="API key (Bearer).", show_default=False)
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="HTTP timeout, seconds.")
    ] = DEFAULT_TIMEOUT_SECONDS,
) -> None:
    ctx.obj = CliState(url=url, api_key=api_key, timeout=timeout)


app.command()(training.train)
app.add_typer(training.jobs_app, name="jobs")
app.add_typer(registry.models_app, name="models")
app.add_typer(datasets.datasets_app, name="datasets")
app.add_typer(aliases.aliases_app, name="aliases")
app.command()(tuning.tune)
app.add_typer(tuning.tuning_app, name="tuning")
app.add_typer(endpoints.endpoints_app, name="endpoints")
app.add_typer(batch.batch_app, name="batch")
app.command()(training.algorithms)
app.command()(predict.predict)
app.command()(evaluation.evaluate)
app.command()(evaluation.evaluations)
app.command()(drift.drift)
app.command()(registry.stats)
app.command()(registry.health)
app.command()(demo.demo)


def usage_error(exc: click_errors.ClickException) -> int:
    hint = ""
    if isinstance(exc, click_errors.UsageError) and exc.ctx is not None:
        hint = f" (see `{exc.ctx.command_path} --help`)"
    typer.echo(f"error: {exc.format_message()}{hint}", err=True)
    return exc.exit_code


def run(args: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; errors are one line on stderr, never a traceback."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="tensorfleet", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:
        typer.echo(exc.format_message(), err=True)
        return exc.exit_code
    except click_errors.ClickException as exc:
        return usage_error(exc)
    except typer.Abort:
        typer.echo("aborted", err=True)
        return EXIT_ERROR
    return code if isinstance(code, int) else 0


def main() -> None:
    sys.exit(run())

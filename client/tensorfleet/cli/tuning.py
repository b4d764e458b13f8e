"""`tune` (with a live leaderboard) and `tuning list|show|wait|cancel`."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Group
from rich.live import Live

from tensorfleet.cli import output
from tensorfleet.cli.state import (
    EXIT_JOB_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    JsonFlag,
    client_for,
    fail,
)
from tensorfleet.client import JobWaitTimeout, TensorFleetClient
from tensorfleet.client.errors import describe_detail
from tensorfleet.schemas.training import AlgorithmName, JobStatus
from tensorfleet.schemas.tuning import Metric, Strategy, TuningRead, TuningRequest

tuning_app = typer.Typer(help="Searches: list, show, wait for, cancel.", no_args_is_help=True)
Timeout = Annotated[float, typer.Option(help="Seconds to wait for the search to end.")]
LEADERBOARD_ROWS = 10


def read_space(text: str | None) -> Any:
    """JSON, or @FILE holding JSON."""
    if text is None:
        return None
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="'--space'") from None


def build_request(**fields: Any) -> TuningRequest:
    try:
        return TuningRequest(**fields)
    except ValidationError as exc:
        fail(f"invalid tuning request: {describe_detail(exc.errors())}", EXIT_USAGE)


def compact(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={output.cell(v)}" for k, v in params.items())


def leaderboard(tuning: TuningRead) -> Any:
    rows = [
        (row.rank, row.number, row.algorithm, row.score, row.fit_seconds, compact(row.params))
        for row in tuning.leaderboard[:LEADERBOARD_ROWS]
    ]
    title = (
        f"Search {tuning.tuning_id}: {tuning.status.value}, {tuning.trials_done} done, "
        f"{tuning.trials_running} running, "
        f"{'-' if tuning.trials_left is None else tuning.trials_left} left ({tuning.metric})"
    )
    columns = ("rank", "trial", "algorithm", tuning.metric, "fit s", "params")
    return output.table(title, columns, rows)


def summary(tuning: TuningRead) -> Any:
    error = f"{tuning.error.type}: {tuning.error.message}" if tuning.error else None
    best = tuning.best
    return output.fields(
        f"Search {tuning.tuning_id}",
        [
            ("status", tuning.status.value),
            ("algorithms", ", ".join(tuning.algorithms)),
            (
                "best trial",
                f"{best.number} {best.algorithm} {compact(best.params)}" if best else None,
            ),
            (f"cv {tuning.metric}", tuning.cv_score),
            (f"hold-out {tuning.metric}", tuning.holdout_score),
            ("model id", tuning.model_id),
            ("model version", tuning.model_version),
            ("error", error),
        ],
    )


def report(tuning: TuningRead, as_json: bool) -> None:
    """The search, then exit 3 when it did not succeed."""
    if as_json:
        output.emit_json(tuning)
    else:
        output.show(Group(leaderboard(tuning), summary(tuning)))
    if tuning.status in (JobStatus.failed, JobStatus.cancelled):
        raise typer.Exit(EXIT_JOB_FAILED)


def wait_live(client: TensorFleetClient, tuning_id: str, timeout: float, quiet: bool) -> TuningRead:
    """Wait for the search; unless quiet, redraw its leaderboard on stderr as trials end."""
    try:
        if quiet:
            return client.wait_for_tuning(tuning_id, timeout=timeout)
        with Live(console=output.stderr(), auto_refresh=False, transient=True) as live:
            return client.wait_for_tuning(
                tuning_id,
                timeout=timeout,
                on_update=lambda t: live.update(leaderboard(t), refresh=True),
            )
    except JobWaitTimeout as exc:
        fail(
            f"{exc.message} after {timeout:g}s; see `tensorfleet tuning show {tuning_id}`",
            EXIT_TIMEOUT,
        )


def tune(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="A dataset (`datasets`).")],
    algorithm: Annotated[
        AlgorithmName | None, typer.Option("--algorithm", "-a", help="Omit for AutoML.")
    ] = None,
    trials: Annotated[int | None, typer.Option("--trials", min=1, help="Trial budget.")] = None,
    seconds: Annotated[float | None, typer.Option(help="Time budget, seconds.")] = None,
    metric: Annotated[Metric | None, typer.Option(help="Default: accuracy or r2.")] = None,
    strategy: Annotated[Strategy, typer.Option(help="tpe, random or grid.")] = "tpe",
    cv: Annotated[int, typer.Option(min=2, max=10, help="Folds.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of sampler, split and folds.")] = 42,
    space: Annotated[
        str | None, typer.Option(help="Search space as JSON, or @FILE (see `algorithms --json`).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Model name.")] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow it with a live leaderboard.")
    ] = False,
    timeout: Timeout = 3600.0,
    as_json: JsonFlag = False,
) -> None:
    """Search hyperparameters (omit -a to search every algorithm: AutoML); the best
    configuration is refitted and registered."""
    request = build_request(
        dataset_name=dataset,
        algorithm=algorithm,
        max_trials=trials,
        max_seconds=seconds,
        metric=metric,
        strategy=strategy,
        cv=cv,
        seed=seed,
        space=read_space(space),
        model_name=name,
    )
    with client_for(ctx) as client:
        submitted = client.tune(request)
        if not wait:
            if as_json:
                return output.emit_json(submitted)
            return output.show(
                f"tuning {submitted.tuning_id} {submitted.status.value}; follow it with "
                f"`tensorfleet tuning wait {submitted.tuning_id}`"
            )
        tuning = wait_live(client, submitted.tuning_id, timeout, quiet=as_json)
    report(tuning, as_json)


@tuning_app.command("list")
def list_tunings(
    ctx: typer.Context,
    status: Annotated[JobStatus | None, typer.Option(help="Only searches in this status.")] = None,
    page: Annotated[int, typer.Option(min=1)] = 1,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Searches, newest first."""
    with client_for(ctx) as client:
        found = client.list_tunings(status=status, page=page, limit=limit)
    if as_json:
        return output.emit_json(found)
    rows = [
        (
            t.tuning_id,
            t.status.value,
            t.dataset_name,
            ", ".join(t.algorithms),
            t.metric,
            t.best_score,
            t.created_at,
        )
        for t in found.items
    ]
    columns = ("id", "status", "dataset", "algorithms", "metric", "hold-out", "created")
    title = f"Searches (page {found.page} of {found.pages}, {found.total} in all)"
    output.show(output.table(title, columns, rows))


@tuning_app.command("show")
def show(ctx: typer.Context, tuning_id: str, as_json: JsonFlag = False) -> None:
    """One search: its leaderboard, best trial and registered model."""
    with client_for(ctx) as client:
        tuning = client.get_tuning(tuning_id)
    output.emit_json(tuning) if as_json else output.show(
        Group(leaderboard(tuning), summary(tuning))
    )


@tuning_app.command("wait")
def wait_tuning(
    ctx: typer.Context, tuning_id: str, timeout: Timeout = 3600.0, as_json: JsonFlag = False
) -> None:
    """Wait for a search to end (live leaderboard); exit 3 when it failed or was cancelled."""
    with client_for(ctx) as client:
        tuning = wait_live(client, tuning_id, timeout, quiet=as_json)
    report(tuning, as_json)


@tuning_app.command("cancel")
def cancel(ctx: typer.Context, tuning_id: str, as_json: JsonFlag = False) -> None:
    """Cancel a search and stop its running trials."""
    with client_for(ctx) as client:
        tuning = client.cancel_tuning(tuning_id)
    output.emit_json(tuning) if as_json else output.show(f"tuning {tuning.tuning_id} cancelled")

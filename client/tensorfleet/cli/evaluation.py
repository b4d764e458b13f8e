"""`evaluate` (a promotion gate: exit 0 on a pass, 3 on a fail) and `evaluations MODEL`."""

from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Group

from tensorfleet.cli import output
from tensorfleet.cli.state import (
    EXIT_JOB_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    JsonFlag,
    client_for,
    fail,
)
from tensorfleet.client import JobWaitTimeout
from tensorfleet.client.errors import describe_detail
from tensorfleet.schemas.evaluation import EvaluationRead
from tensorfleet.schemas.training import JobStatus

Minimums = Annotated[
    list[str], typer.Option("--min", metavar="METRIC=VALUE", help="At least (repeatable).")
]
Maximums = Annotated[
    list[str], typer.Option("--max", metavar="METRIC=VALUE", help="At most (repeatable).")
]
HEADLINE = ("accuracy", "f1_macro", "roc_auc", "pr_auc", "log_loss", "r2", "mae", "rmse")


def parse_bounds(minimums: list[str], maximums: list[str]) -> dict[str, dict[str, float]]:
    """`accuracy=0.9` pairs as thresholds: {"accuracy": {"min": 0.9}}."""
    thresholds: dict[str, dict[str, float]] = {}
    for side, pairs in (("min", minimums), ("max", maximums)):
        for pair in pairs:
            metric, _, value = pair.partition("=")
            try:
                thresholds.setdefault(metric.strip(), {})[side] = float(value)
            except ValueError:
                fail(f"--{side} {pair!r}: expected METRIC=NUMBER", EXIT_USAGE)
    return thresholds


def summary(evaluation: EvaluationRead) -> Any:
    metrics = evaluation.metrics.model_dump() if evaluation.metrics else {}
    verdict = {True: "passed", False: "failed", None: "-"}[evaluation.passed]
    promoted = evaluation.promoted
    pairs = [
        ("status", evaluation.status.value),
        ("model", f"{evaluation.model.name} v{evaluation.model.version} ({evaluation.model.id})"),
        ("dataset", f"{evaluation.dataset_name} v{evaluation.dataset_version}"),
        ("verdict", verdict),
        *((name, metrics[name]) for name in HEADLINE if metrics.get(name) is not None),
        ("promoted", f"{promoted.alias} -> v{promoted.to_version}" if promoted else None),
        (
            "error",
            f"{evaluation.error['type']}: {evaluation.error['message']}"
            if evaluation.error
            else None,
        ),
    ]
    reasons = output.table("Thresholds", ("reason",), [(r,) for r in evaluation.reasons])
    title = f"Evaluation {evaluation.id}"
    return (
        Group(output.fields(title, pairs), reasons)
        if evaluation.reasons
        else output.fields(title, pairs)
    )


def report(evaluation: EvaluationRead, as_json: bool) -> None:
    """Show it; exit 3 when it failed or its thresholds were not met."""
    output.emit_json(evaluation) if as_json else output.show(summary(evaluation))
    if evaluation.status is JobStatus.failed or evaluation.passed is False:
        raise typer.Exit(EXIT_JOB_FAILED)


def evaluate(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="A model id, or a name (its latest version).")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="A dataset (`datasets`).")],
    dataset_version: Annotated[
        int | None, typer.Option(min=1, help="Default: latest ready.")
    ] = None,
    version: Annotated[int | None, typer.Option(min=1, help="This version of a name.")] = None,
    alias: Annotated[str | None, typer.Option(help="The version this alias names.")] = None,
    minimum: Minimums = [],  # noqa: B006 (typer reads the default, never mutates it)
    maximum: Maximums = [],  # noqa: B006
    promote: Annotated[str | None, typer.Option(help="Move this alias here on a pass.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the verdict.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 600.0,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate a model on a dataset: metrics, thresholds (--min accuracy=0.9 --max rmse=3),
    and --promote ALIAS on a pass. With --wait, exit 0 on a pass and 3 on a fail."""
    options: dict[str, Any] = {
        "version": version,
        "alias": alias,
        "dataset_version": dataset_version,
    }
    options |= {"thresholds": parse_bounds(minimum, maximum), "promote": promote}
    with client_for(ctx) as client:
        try:
            submitted = client.evaluate(model, dataset, **options)
        except (ValidationError, ValueError) as exc:
            detail = describe_detail(exc.errors()) if isinstance(exc, ValidationError) else exc
            fail(f"invalid evaluation: {detail}", EXIT_USAGE)
        if not wait:
            return (
                output.emit_json(submitted)
                if as_json
                else output.show(
                    f"evaluation {submitted.id} {submitted.status.value}; see "
                    f"`tensorfleet evaluations {submitted.model.id}`"
                )
            )
        try:
            evaluation = client.wait_for_evaluation(submitted.id, timeout=timeout)
        except JobWaitTimeout as exc:
            fail(f"{exc.message} after {timeout:g}s", EXIT_TIMEOUT)
    report(evaluation, as_json)


def evaluations(
    ctx: typer.Context,
    model_id: Annotated[str, typer.Argument(help="A model id (`models list`).")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    as_json: JsonFlag = False,
) -> None:
    """A model's evaluations, newest first."""
    with client_for(ctx) as client:
        found = client.evaluations(model_id, limit=limit)
    if as_json:
        return output.emit_json(found)
    rows = [
        (
            e.id,
            e.status.value,
            f"{e.dataset_name} v{e.dataset_version}",
            {True: "passed", False: "failed", None: "-"}[e.passed],
            next((f"{k}={v:.4g}" for k, v in _headline(e)), "-"),
            e.promoted.alias if e.promoted else "",
            e.created_at,
        )
        for e in found.items
    ]
    columns = ("id", "status", "dataset", "verdict", "metric", "promoted", "created")
    output.show(output.table(f"Evaluations ({found.total} in all)", columns, rows))


def _headline(evaluation: EvaluationRead) -> list[tuple[str, float]]:
    metrics = evaluation.metrics.model_dump() if evaluation.metrics else {}
    return [(k, metrics[k]) for k in HEADLINE if isinstance(metrics.get(k), float)]

"""`tensorfleet drift MODEL [--json]`: a model's live traffic against its training reference."""

from typing import Annotated

import typer

from tensorfleet.cli import output
from tensorfleet.cli.predict import resolve
from tensorfleet.cli.state import EXIT_USAGE, JsonFlag, client_for, fail
from tensorfleet.schemas.drift import ColumnDrift, DriftReport

DRIFT_COLUMNS = ("column", "test", "psi", "statistic", "p-value", "drifted")
EXIT_DRIFTED = 5  # with --fail-on-drift: the model drifted


def column_row(column: ColumnDrift) -> tuple:
    return (
        column.name,
        column.test,
        round(column.psi, 4),
        None if column.statistic is None else round(column.statistic, 4),
        None if column.p_value is None else float(f"{column.p_value:.3g}"),
        "yes" if column.drifted else "no",
    )


def summary(report: DriftReport) -> str:
    head = f"{report.model_name} v{report.version}: {report.samples} live rows"
    if report.status == "no_reference":
        return f"{head}; no reference profile (trained before drift profiles)"
    if report.status == "insufficient_samples":
        return f"{head}; the report needs {report.min_samples}"
    verdict = ", ".join(report.drifted_columns) or "predictions" if report.drifted else "none"
    limits = report.thresholds
    return f"{head}; drifted: {verdict} (PSI >= {limits.psi} and p < {limits.p_value})"


def drift(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="A model id, or a name (its latest version).")],
    version: Annotated[int | None, typer.Option(min=1, help="This version of a name.")] = None,
    alias: Annotated[str | None, typer.Option(help="The version this alias names.")] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help=f"Exit {EXIT_DRIFTED} when it drifted.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """A model's drift report: each input column's and the predictions' PSI and test."""
    if version is not None and alias is not None:
        fail("give --version or --alias, not both", EXIT_USAGE)
    with client_for(ctx) as client:
        report = client.drift(resolve(client, model, version, alias).id)
    if as_json:
        output.emit_json(report)
    else:
        columns = [*report.columns, *([report.prediction] if report.prediction else [])]
        if columns:
            output.show(output.table(None, DRIFT_COLUMNS, map(column_row, columns)))
        typer.echo(summary(report))
    if fail_on_drift and report.drifted:
        raise typer.Exit(EXIT_DRIFTED)

"""`datasets [list]`, `datasets upload|show|preview|delete`: the dataset catalogue and uploads."""

from pathlib import Path
from typing import Annotated, Any

import typer

from tensorfleet.cli import output
from tensorfleet.cli.state import EXIT_JOB_FAILED, EXIT_TIMEOUT, JsonFlag, client_for, fail
from tensorfleet.cli.uploading import upload_with_progress
from tensorfleet.client import JobWaitTimeout, TensorFleetClient
from tensorfleet.schemas.datasets import DatasetVersionRead
from tensorfleet.schemas.training import Task

datasets_app = typer.Typer(help="Datasets: list, upload, show, preview, delete a version.")
Version = Annotated[
    int | None, typer.Option("--version", "-v", min=1, help="A version (default: the latest).")
]


@datasets_app.callback(invoke_without_command=True)
def datasets(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Datasets you can train on (`tensorfleet datasets` alone lists them)."""
    if ctx.invoked_subcommand is None:
        list_datasets(ctx, as_json)


@datasets_app.command("list")
def list_datasets(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Each dataset as its latest ready version."""
    with client_for(ctx) as client:
        found = client.list_datasets()
    if as_json:
        return output.emit_json(found)
    rows = [
        (
            d.name,
            d.version,
            d.status,
            d.n_samples,
            d.n_features,
            ", ".join(d.classes),
            d.description,
        )
        for d in found
    ]
    columns = ("name", "version", "status", "samples", "features", "classes", "description")
    output.show(output.table("Datasets", columns, rows))


@datasets_app.command("upload")
def upload(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The dataset's name.")],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="The target column; omit it for unlabeled rows."),
    ] = None,
    task: Annotated[Task | None, typer.Option(help="Override the inferred task.")] = None,
    description: Annotated[str, typer.Option(help="What the data is.")] = "",
    wait: Annotated[bool, typer.Option("--wait", help="Wait until it is ingested.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for ingestion.")] = 600.0,
    as_json: JsonFlag = False,
) -> None:
    """Stream FILE to the server as a new version of --name; --wait until it is ready."""
    with client_for(ctx) as client:
        found = upload_with_progress(
            client,
            file,
            quiet=as_json,
            name=name,
            target=target,
            task=task,
            description=description,
        )
        if wait:
            found = wait_for(client, found, timeout)
    report_version(found, as_json)


def wait_for(client: TensorFleetClient, found: DatasetVersionRead, timeout: float) -> Any:
    try:
        return client.wait_for_dataset(found.name, found.version, timeout=timeout)
    except JobWaitTimeout as exc:
        fail(f"{exc.message} after {timeout:g}s", EXIT_TIMEOUT)


def report_version(found: DatasetVersionRead, as_json: bool) -> None:
    """The version's record; exit 3 (and its error on stderr) when ingestion failed."""
    output.emit_json(found) if as_json else output.show(version_fields(found))
    if found.status == "failed":
        fail(f"ingestion failed: {error_text(found)}", EXIT_JOB_FAILED)


def error_text(found: DatasetVersionRead) -> str | None:
    error = found.error
    if error is None:
        return None
    where = [f"{k} {v}" for k, v in (("row", error.row), ("column", error.column)) if v]
    return f"{error.message} ({', '.join(where)})" if where else error.message


def version_fields(found: DatasetVersionRead) -> Any:
    counts = ", ".join(f"{c.label}: {c.count}" for c in found.class_counts)
    return output.fields(
        f"Dataset {found.name} v{found.version}",
        [
            ("status", found.status),
            ("file", f"{found.format}, {output.size(found.size)}, sha256 {found.sha256[:12]}"),
            ("target", found.target_column or "none (unlabeled)"),
            ("task", found.task),
            ("samples", found.n_samples),
            ("rows dropped", found.rows_dropped),
            ("features", ", ".join(found.features)),
            ("classes", counts),
            ("error", error_text(found)),
            ("created", found.created_at),
        ],
    )


def column_rows(found: DatasetVersionRead) -> list[tuple]:
    return [
        (c.name, c.type, c.missing, c.distinct, c.min, c.mean, c.max, c.reason or "")
        for c in found.columns or []
    ]


@datasets_app.command("show")
def show(ctx: typer.Context, name: str, version: Version = None, as_json: JsonFlag = False) -> None:
    """A dataset's versions, or one version (--version) with its columns' profile."""
    with client_for(ctx) as client:
        if version is None:
            detail = client.get_dataset(name)
            return output.emit_json(detail) if as_json else show_versions(detail.versions)
        found = client.dataset_version(name, version)
    if as_json:
        return output.emit_json(found)
    output.show(version_fields(found))
    columns = ("column", "type", "missing", "distinct", "min", "mean", "max", "excluded")
    output.show(output.table("Columns", columns, column_rows(found)))


def show_versions(versions: list[DatasetVersionRead]) -> None:
    rows = [
        (v.version, v.status, v.task, v.n_samples, v.n_features, output.size(v.size), v.created_at)
        for v in versions
    ]
    columns = ("version", "status", "task", "samples", "features", "size", "created")
    output.show(output.table(f"Dataset {versions[0].name}", columns, rows))


@datasets_app.command("preview")
def preview(
    ctx: typer.Context,
    name: str,
    version: Version = None,
    rows: Annotated[int, typer.Option(min=1, max=20)] = 10,
    as_json: JsonFlag = False,
) -> None:
    """The first rows of a version's file, every column."""
    with client_for(ctx) as client:
        chosen = version or client.get_dataset(name).version
        found = client.preview_dataset(name, chosen, rows=rows)
    if as_json:
        return output.emit_json(found)
    columns = list(found.rows[0]) if found.rows else []
    table_rows = [[row.get(c) for c in columns] for row in found.rows]
    output.show(output.table(f"{name} v{chosen}", columns, table_rows))


@datasets_app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    version: int,
    force: Annotated[
        bool, typer.Option("--force", help="Also delete models trained on it.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Delete a version; refused (naming the models) when models were trained on it."""
    with client_for(ctx) as client:
        found = client.delete_dataset(name, version, force=force)
    if as_json:
        return output.emit_json(found)
    models = f" and models {', '.join(found.models)}" if found.models else ""
    output.show(f"deleted dataset {found.name} v{found.version}{models}")

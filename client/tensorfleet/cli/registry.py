"""`models list|show|download|delete`, `stats`, `health`."""

from pathlib import Path
from typing import Annotated, Any

import typer

from tensorfleet.cli import output
from tensorfleet.cli.state import EXIT_ERROR, JsonFlag, client_for
from tensorfleet.client import TensorFleetClient
from tensorfleet.schemas.health import HealthRead
from tensorfleet.schemas.registry import ModelRead, ModelSort, SortOrder, StatisticsRead

models_app = typer.Typer(
    help="The model registry: list, show, download, delete.", no_args_is_help=True
)
MODEL_COLUMNS = ("id", "name", "version", "algorithm", "dataset", "test acc", "size", "created")


def model_row(model: ModelRead) -> tuple:
    return (
        model.id,
        model.name,
        model.version,
        model.algorithm,
        model.dataset_name,
        model.metrics.test_accuracy,
        output.size(model.size),
        model.created_at,
    )


@models_app.command("list")
def list_models(
    ctx: typer.Context,
    algorithm: Annotated[str | None, typer.Option(help="Only this algorithm.")] = None,
    name: Annotated[str | None, typer.Option(help="Only this model name.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only models trained on this.")] = None,
    sort: Annotated[ModelSort, typer.Option(help="Order by.")] = ModelSort.created_at,
    order: Annotated[SortOrder, typer.Option()] = SortOrder.desc,
    page: Annotated[int, typer.Option(min=1)] = 1,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    all_pages: Annotated[bool, typer.Option("--all", help="Every page (ignores --page).")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Registered models, newest first by default."""
    filters: dict[str, Any] = dict(
        algorithm=algorithm, name=name, dataset_name=dataset, sort=sort, order=order
    )
    with client_for(ctx) as client:
        if all_pages:
            return show_models(list(client.iter_models(page_size=limit, **filters)), as_json)
        listing = client.list_models(page=page, limit=limit, **filters)
    if as_json:
        return output.emit_json(listing)
    title = f"Models (page {listing.page} of {listing.pages}, {listing.total} in all)"
    output.show(output.table(title, MODEL_COLUMNS, map(model_row, listing.items)))


def show_models(models: list[ModelRead], as_json: bool) -> None:
    if as_json:
        return output.emit_json(models)
    output.show(output.table(f"Models ({len(models)})", MODEL_COLUMNS, map(model_row, models)))


def model_fields(model: ModelRead) -> Any:
    metrics = model.metrics.model_dump(exclude={"confusion_matrix"}, exclude_none=True)
    return output.fields(
        f"Model {model.name} v{model.version}",
        [
            ("id", model.id),
            ("algorithm", model.algorithm),
            ("dataset", model.dataset_name),
            ("hyperparameters", model.hyperparameters),
            ("metrics", metrics),
            ("classes", ", ".join(model.classes)),
            ("features", ", ".join(model.features)),
            ("job id", model.job_id),
            ("size", output.size(model.size)),
            ("sha256", model.sha256),
            ("format", model.format),
            ("libraries", model.library_versions),
            ("created", model.created_at),
        ],
    )


def find_model(
    client: TensorFleetClient,
    model_id: str | None,
    name: str | None,
    version: int | None,
    alias: str | None = None,
) -> ModelRead:
    if (model_id is None) == (name is None):
        raise typer.BadParameter("give either a MODEL_ID or --name", param_hint="MODEL_ID")
    if version is not None and alias is not None:
        raise typer.BadParameter("give --version or --alias, not both", param_hint="--alias")
    if model_id is not None:
        return client.get_model(model_id)
    assert name is not None
    if alias is not None:
        return client.aliased_model(name, alias)
    return client.latest_model(name) if version is None else client.model_version(name, version)


ModelId = Annotated[str | None, typer.Argument(help="The model id.", show_default=False)]
NameOption = Annotated[str | None, typer.Option("--name", help="A model name instead of an id.")]
VersionOption = Annotated[int | None, typer.Option(min=1, help="With --name; default: latest.")]
AliasOption = Annotated[str | None, typer.Option(help="With --name: the version it names.")]


@models_app.command("show")
def show_model(
    ctx: typer.Context,
    model_id: ModelId = None,
    name: NameOption = None,
    version: VersionOption = None,
    alias: AliasOption = None,
    as_json: JsonFlag = False,
) -> None:
    """One model's metadata, by id or by --name (latest, --version or --alias)."""
    with client_for(ctx) as client:
        model = find_model(client, model_id, name, version, alias)
    output.emit_json(model) if as_json else output.show(model_fields(model))


@models_app.command("download")
def download_model(
    ctx: typer.Context,
    model_id: ModelId = None,
    name: NameOption = None,
    version: VersionOption = None,
    alias: AliasOption = None,
    to: Annotated[Path, typer.Option("--output", "-o", help="File or directory.")] = Path("."),
    as_json: JsonFlag = False,
) -> None:
    """Download the serialised model (joblib); its sha256 is checked."""
    with client_for(ctx) as client:
        model = find_model(client, model_id, name, version, alias)
        saved = client.download_model(model.id, to)
    if as_json:
        return output.emit_json(
            {
                "model_id": saved.model_id,
                "path": str(saved.path),
                "size": saved.size,
                "sha256": saved.sha256,
            }
        )
    output.show(f"saved {saved.path} ({output.size(saved.size)}, sha256 {saved.sha256})")


@models_app.command("delete")
def delete_model(
    ctx: typer.Context,
    model_id: Annotated[str, typer.Argument(help="The model id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Also remove the aliases pointing at it.")
    ] = False,
) -> None:
    """Delete a model's metadata and file (refused while aliases point at it, unless --force)."""
    if not yes:
        typer.confirm(f"Delete model {model_id}?", abort=True, err=True)
    with client_for(ctx) as client:
        deleted = client.delete_model(model_id, force=force)
    removed = deleted.removed_aliases if deleted else []
    suffix = f" and its aliases {', '.join(removed)}" if removed else ""
    output.show(f"deleted model {model_id}{suffix}")


def stats(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Registry statistics: totals, per algorithm, recent models, jobs."""
    with client_for(ctx) as client:
        statistics = client.statistics()
    if as_json:
        return output.emit_json(statistics)
    for renderable in statistics_tables(statistics):
        output.show(renderable)


def statistics_tables(statistics: StatisticsRead) -> list[Any]:
    jobs = ", ".join(f"{k} {v}" for k, v in sorted(statistics.jobs_by_status.items()))
    totals = output.fields(
        "Registry",
        [
            ("models", statistics.total_models),
            ("files", statistics.files_stored),
            ("stored", output.size(statistics.bytes_stored)),
            ("jobs", jobs or "none"),
        ],
    )
    rows = [(a.algorithm, a.count, a.mean_test_accuracy) for a in statistics.algorithms]
    per_algorithm = output.table("By algorithm", ("algorithm", "models", "mean test acc"), rows)
    recent = output.table("Recent models", MODEL_COLUMNS, map(model_row, statistics.recent_models))
    return [totals, per_algorithm, recent]


def health(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Whether the API and its MongoDB and Redis are up (exit code 1 when not)."""
    with client_for(ctx) as client:
        report = client.health()
    output.emit_json(report) if as_json else output.show(health_table(report))
    if report.status != "ok":
        raise typer.Exit(EXIT_ERROR)


def health_table(report: HealthRead) -> Any:
    rows = [(name, d.status, d.latency_ms, d.error) for name, d in report.dependencies.items()]
    return output.table(
        f"TensorFleet: {report.status}", ("dependency", "status", "latency ms", "error"), rows
    )

"""`endpoints set|list|show|rm|stats|predict`: A/B endpoints that split a model name's traffic
between versions (or aliases) by weight, with an optional shadow."""

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from tensorfleet.cli import output
from tensorfleet.cli.predict import BATCH_ROWS, read_rows, write_predictions
from tensorfleet.cli.state import EXIT_USAGE, JsonFlag, client_for, fail
from tensorfleet.client.errors import describe_detail
from tensorfleet.client.lifecycle import endpoint_body
from tensorfleet.schemas.endpoints import EndpointRead, EndpointStats

endpoints_app = typer.Typer(
    help="A/B endpoints: set, list, show, rm, stats, predict.", no_args_is_help=True
)
Name = Annotated[str, typer.Argument(help="The endpoint's name.")]


def target(text: str) -> dict[str, Any]:
    """`3` is version 3, anything else an alias."""
    return {"version": int(text)} if text.isdigit() else {"alias": text}


def route(text: str) -> dict[str, Any]:
    """`TARGET=WEIGHT`, e.g. `3=90` or `production=10`."""
    name, equals, weight = text.rpartition("=")
    try:
        return target(name) | {"weight": float(weight)} if equals and name else {}
    except ValueError:
        return {}


def parse_routes(texts: list[str]) -> list[dict[str, Any]]:
    routes = [route(text) for text in texts]
    if not routes or not all(routes):
        raise typer.BadParameter("give routes as TARGET=WEIGHT, e.g. 3=90", param_hint="--route")
    return routes


def describe(endpoint: EndpointRead) -> Any:
    routes = ", ".join(f"{r.label} x{r.weight:g}" for r in endpoint.routes)
    return output.fields(
        f"Endpoint {endpoint.name}",
        [
            ("model", endpoint.model),
            ("routes", routes),
            ("shadow", endpoint.shadow.label if endpoint.shadow else None),
            ("updated", endpoint.updated_at),
            ("by", endpoint.updated_by),
        ],
    )


@endpoints_app.command("set")
def set_endpoint(
    ctx: typer.Context,
    name: Name,
    model: Annotated[str, typer.Option(help="The model name.")],
    routes: Annotated[
        list[str], typer.Option("--route", help="TARGET=WEIGHT (a version or an alias).")
    ],
    shadow: Annotated[str | None, typer.Option(help="A version or alias to shadow.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create or replace endpoint NAME (one write: requests see old or new weights)."""
    parsed, shadowed = parse_routes(routes), target(shadow) if shadow else None
    try:
        body = endpoint_body(model, parsed, shadowed)
    except ValidationError as exc:
        fail(f"invalid endpoint: {describe_detail(exc.errors())}", EXIT_USAGE)
    with client_for(ctx) as client:
        endpoint = client.put_endpoint(name, model=model, routes=body.routes, shadow=body.shadow)
    output.emit_json(endpoint) if as_json else output.show(describe(endpoint))


@endpoints_app.command("list")
def list_endpoints(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every endpoint and its routes."""
    with client_for(ctx) as client:
        listing = client.list_endpoints()
    if as_json:
        return output.emit_json(listing)
    rows = [
        (
            e.name,
            e.model,
            ", ".join(f"{r.label} x{r.weight:g}" for r in e.routes),
            e.shadow and e.shadow.label,
        )
        for e in listing.items
    ]
    output.show(output.table("Endpoints", ("name", "model", "routes", "shadow"), rows))


@endpoints_app.command("show")
def show_endpoint(ctx: typer.Context, name: Name, as_json: JsonFlag = False) -> None:
    with client_for(ctx) as client:
        endpoint = client.get_endpoint(name)
    output.emit_json(endpoint) if as_json else output.show(describe(endpoint))


@endpoints_app.command("rm")
def remove_endpoint(ctx: typer.Context, name: Name) -> None:
    """Remove endpoint NAME and its stats (the versions stay)."""
    with client_for(ctx) as client:
        client.delete_endpoint(name)
    output.show(f"removed endpoint {name}")


def stats_tables(stats: EndpointStats) -> list[Any]:
    rows = [
        (v.role, v.version, v.requests, v.share, v.errors, v.invalid_input, v.mean_latency_ms)
        for v in stats.versions
    ]
    columns = ("role", "version", "requests", "share", "errors", "invalid", "mean ms")
    tables: list[Any] = [output.table(f"Endpoint {stats.name} ({stats.model})", columns, rows)]
    if stats.shadow is not None:
        shadow = stats.shadow
        tables.append(
            output.fields(
                "Shadow",
                [
                    ("compared rows", shadow.compared_rows),
                    ("disagreed rows", shadow.disagreed_rows),
                    ("disagreement rate", shadow.disagreement_rate),
                    ("skipped", shadow.skipped),
                ],
            )
        )
    return tables


@endpoints_app.command("stats")
def endpoint_stats(ctx: typer.Context, name: Name, as_json: JsonFlag = False) -> None:
    """Per version requests, share, errors, latency; the shadow's disagreement."""
    with client_for(ctx) as client:
        stats = client.endpoint_stats(name)
    if as_json:
        return output.emit_json(stats)
    for table in stats_tables(stats):
        output.show(table)


@endpoints_app.command("predict")
def predict(
    ctx: typer.Context,
    name: Name,
    file: Annotated[Path, typer.Option("--file", "-f", help="CSV with a header row.")],
    routing_key: Annotated[
        str | None, typer.Option(help="The same key always reaches the same version.")
    ] = None,
    proba: Annotated[bool, typer.Option("--proba", help="Add class probabilities.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the CSV here, not to stdout.")] = None,
) -> None:
    """Predict the rows of a CSV file through endpoint NAME."""
    rows = read_rows(file)
    if not rows:
        fail(f"{file} has no rows", EXIT_USAGE)
    with client_for(ctx) as client:
        answers = [
            client.predict_endpoint(
                name, rows[i : i + BATCH_ROWS], routing_key=routing_key, probabilities=proba
            )
            for i in range(0, len(rows), BATCH_ROWS)
        ]
    write_predictions(answers, out)
    served = Counter(f"v{a.model.version}" for a in answers)
    typer.echo(f"{len(rows)} predictions through {name}, served by {dict(served)}", err=True)

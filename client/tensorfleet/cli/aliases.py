"""`aliases set|list|rm|history`: which version of a model name `production` (or any alias)
points at, and who moved it when."""

from typing import Annotated

import typer

from tensorfleet.cli import output
from tensorfleet.cli.state import JsonFlag, client_for
from tensorfleet.schemas.aliases import AliasChange

aliases_app = typer.Typer(
    help="Aliases of a model name: set (or move), list, rm, history.", no_args_is_help=True
)
Name = Annotated[str, typer.Argument(help="The model name.")]
Alias = Annotated[str, typer.Argument(help="The alias, e.g. production.")]


def describe(change: AliasChange) -> str:
    before = "-" if change.from_version is None else f"v{change.from_version}"
    after = "-" if change.to_version is None else f"v{change.to_version}"
    return f"{change.name}@{change.alias}: {before} -> {after}"


@aliases_app.command("set")
def set_alias(
    ctx: typer.Context,
    name: Name,
    alias: Alias,
    version: Annotated[int, typer.Argument(min=1, help="The version it will point at.")],
    warm: Annotated[bool, typer.Option(help="Load the version before the move.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Point ALIAS of NAME at VERSION (creating or moving it, atomically)."""
    with client_for(ctx) as client:
        change = client.set_alias(name, alias, version, warm=warm)
    output.emit_json(change) if as_json else output.show(describe(change))


@aliases_app.command("list")
def list_aliases(ctx: typer.Context, name: Name, as_json: JsonFlag = False) -> None:
    """The aliases of NAME and the version each points at."""
    with client_for(ctx) as client:
        listing = client.list_aliases(name)
    if as_json:
        return output.emit_json(listing)
    rows = [(a.alias, a.version, a.model_id, a.updated_at, a.updated_by) for a in listing.items]
    columns = ("alias", "version", "id", "moved", "by")
    output.show(output.table(f"Aliases of {name}", columns, rows))


@aliases_app.command("rm")
def remove_alias(ctx: typer.Context, name: Name, alias: Alias, as_json: JsonFlag = False) -> None:
    """Remove ALIAS of NAME (the version stays)."""
    with client_for(ctx) as client:
        change = client.remove_alias(name, alias)
    output.emit_json(change) if as_json else output.show(describe(change))


@aliases_app.command("history")
def history(
    ctx: typer.Context,
    name: Name,
    alias: Annotated[str | None, typer.Option(help="Only this alias.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Every change of NAME's aliases, newest first."""
    with client_for(ctx) as client:
        changes = client.alias_history(name, alias=alias, limit=limit)
    if as_json:
        return output.emit_json(changes)
    rows = [(c.changed_at, c.alias, c.from_version, c.to_version, c.by) for c in changes.items]
    columns = ("when", "alias", "from", "to", "by")
    output.show(output.table(f"Alias history of {name}", columns, rows))

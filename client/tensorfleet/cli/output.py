"""Printing results: rich tables for people, JSON for scripts."""

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import pydantic_core
import typer
from rich.console import Console
from rich.table import Table

UNWRAPPED = {"id", "job id"}
PIPE_WIDTH = 200  # piped output is not wrapped at 80 columns


def stdout() -> Console:
    return Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def emit_json(value: Any) -> None:
    typer.echo(pydantic_core.to_json(value, indent=2).decode())


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold", no_wrap=column in UNWRAPPED)
    for row in rows:
        grid.add_row(*(cell(value) for value in row))
    return grid


def fields(title: str, pairs: Iterable[tuple[str, Any]]) -> Table:
    """A two-column table of one record's fields, skipping empty ones."""
    rows = [(name, value) for name, value in pairs if value not in (None, [], {}, "")]
    grid = table(title, ("field", "value"), rows)
    grid.show_header = False
    return grid


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def size(n_bytes: int) -> str:
    scaled = float(n_bytes)
    for unit in ("B", "KiB", "MiB"):
        if scaled < 1024:
            return f"{scaled:.0f} {unit}" if unit == "B" else f"{scaled:.1f} {unit}"
        scaled /= 1024
    return f"{scaled:.1f} GiB"


def show(renderable: Any) -> None:
    stdout().print(renderable)

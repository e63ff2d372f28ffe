"""The final table an entry point prints: one row per figure, in a rich box (torch-free)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

from figures.number_format import format_number


def print_results_table(
    title: str, rows: Mapping[str, object], console: Console | None = None
) -> None:
    """Print ``rows`` (figure name -> value) as a two-column table under ``title``."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("figure")
    table.add_column("value", justify="right", overflow="fold")
    for name, value in rows.items():
        table.add_row(name, format_number(value))
    (console or Console()).print(table)

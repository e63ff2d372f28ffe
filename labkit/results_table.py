"""The final table an entry point prints: one row per figure, in a rich box (torch-free)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table


def format_value(value: object) -> str:
    """Floats: 4 decimals (``0.9812``), 2 when large (``12.34``), 4 significant digits when tiny
    (``1.62e-09``, so a small gap is not shown as 0); others as is."""
    if isinstance(value, float):
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.3g}"
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"
    return str(value)


def print_results_table(
    title: str, rows: Mapping[str, object], console: Console | None = None
) -> None:
    """Print ``rows`` (figure name -> value) as a two-column table under ``title``."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("figure")
    table.add_column("value", justify="right", overflow="fold")
    for name, value in rows.items():
        table.add_row(name, format_value(value))
    (console or Console()).print(table)

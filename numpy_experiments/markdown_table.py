"""Markdown tables for ``results.md`` files (GitHub-flavoured, numbers formatted for reading)."""

from __future__ import annotations

from collections.abc import Sequence

from labkit.number_format import format_number

__all__ = ["format_number", "markdown_table"]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """``| h1 | h2 |`` header, separator, one line per row; numbers right-aligned."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if _numeric(rows, i) else "---" for i in range(len(headers))) + "|",
    ]
    lines += ["| " + " | ".join(format_number(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _numeric(rows: Sequence[Sequence[object]], column: int) -> bool:
    return bool(rows) and all(isinstance(row[column], int | float) for row in rows)

"""The one Markdown table builder (GitHub-flavoured) and the escaping its cells go through.

Text in a cell may hold anything (an error message, an override, a metric name): it goes through
:func:`escape`, so a ``|`` or a newline cannot break the table and ``<script>`` or ``*x*`` is shown
as written, not rendered. A cell that is Markdown on purpose is a :class:`Markdown` (``code(x)``,
``bold(x)``). Numbers go through :func:`figures.number_format.format_number` and a column of
numbers is right-aligned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from figures.number_format import format_number

# Where a text had line breaks: it stays on one line (a table row, a list item).
LINE_BREAK = " ⏎ "
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Characters that start Markdown (code, emphasis, links, tables, strikethrough, math, headings)
# get a backslash; HTML's become entities; "_" only where it could start or end emphasis.
_SPECIAL = re.compile(r"[\\`*\[\]|~$#&<>]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


class Markdown(str):
    """Text that is Markdown already (escaped, or built of escaped parts): written as it is."""


def _one_line(text: object) -> str:
    # A lone surrogate (JSON's "\ud800") cannot be written as UTF-8: it becomes "?".
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    lines = _LINE_BREAKS.split(text)
    if len(lines) > 1:  # each line trimmed, blank ones dropped; one line is left as it is
        text = LINE_BREAK.join(line.strip() for line in lines if line.strip())
    return _CONTROL.sub("\ufffd", text.replace("\t", " "))


def escape(text: object) -> Markdown:
    """``text`` on one line, to be shown as written (a :class:`Markdown` is returned as it is)."""
    if isinstance(text, Markdown):
        return text
    return Markdown(_SPECIAL.sub(lambda m: _ENTITIES.get(m[0], "\\" + m[0]), _one_line(text)))


def code(text: object) -> Markdown:
    """``text`` as inline code, on one line, whatever backticks it holds.

    In a table cell a ``|`` inside it is escaped too: GitHub splits cells before it reads code.
    """
    text = _one_line(text)
    if not text:
        return Markdown("")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")


def bold(text: object) -> Markdown:
    return Markdown(f"**{escape(text)}**")


def _cell(value: object) -> Markdown:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Markdown(format_number(value))
    return escape("" if value is None else value)


def _numeric(rows: Sequence[Sequence[object]], column: int) -> bool:
    values = [row[column] for row in rows if row[column] is not None]
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


def markdown_table(headers: Sequence[object], rows: Sequence[Sequence[object]]) -> str:
    """``| h1 | h2 |`` header, separator, one line per row; every cell escaped (a
    :class:`Markdown` one is written as it is), numbers formatted, number columns right-aligned."""

    def line(cells: Sequence[object]) -> str:
        return "| " + " | ".join(_cell(c) for c in cells) + " |"

    separator = line(
        [Markdown("---:" if _numeric(rows, i) else "---") for i in range(len(headers))]
    )
    return "\n".join([line(headers), separator, *(line(r) for r in rows)])

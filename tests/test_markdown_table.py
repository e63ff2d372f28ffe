"""The one Markdown table builder: text shown as written, numbers formatted and right-aligned."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from figures.markdown_table import Markdown, code, markdown_table


def _cells(table: str) -> list[list[tuple[str, str]]]:
    """``[(alignment, text), ...]`` per rendered row (alignment '' when none)."""
    html = MarkdownIt("commonmark").enable("table").render(table)
    rows = re.findall(r"<tr>\n(.*?)</tr>", html, flags=re.S)
    found = [
        re.findall(r'<t[hd](?: style="text-align:(\w+)")?>(.*?)</t[hd]>', r, flags=re.S)
        for r in rows
    ]
    return [list(row) for row in found]


def test_numbers_are_formatted_and_their_columns_right_aligned():
    table = markdown_table(
        ["block", "features", "accuracy"], [["a", 235146, 0.981234], ["b", 16, None]]
    )
    rows = _cells(table)
    assert rows[0] == [("", "block"), ("right", "features"), ("right", "accuracy")]
    assert rows[1] == [("", "a"), ("right", "235,146"), ("right", "0.9812")]
    assert rows[2] == [("", "b"), ("right", "16"), ("right", "")]


def test_text_is_shown_as_written_and_markdown_cells_are_kept():
    table = markdown_table(
        ["name", "note"],
        [["x|y", "*not emphasis* <b>"], [code("features.3"), Markdown("**kept**")]],
    )
    rows = _cells(table)
    assert [text for _, text in rows[1]] == ["x|y", "*not emphasis* &lt;b&gt;"]
    assert [text for _, text in rows[2]] == ["<code>features.3</code>", "<strong>kept</strong>"]
    assert len(table.splitlines()) == 4  # a newline in a cell would have broken the table


def test_a_column_of_text_and_numbers_is_left_aligned():
    rows = _cells(markdown_table(["value"], [[1.5], ["failed"]]))
    assert rows[0] == [("", "value")]
    assert [row[0] for row in rows[1:]] == [("", "1.5"), ("", "failed")]

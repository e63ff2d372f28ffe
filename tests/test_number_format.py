"""The one number formatter: digits kept, tiny gaps visible, a diverged loss named."""

import pytest

from figures.number_format import format_number


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.981234, "0.9812"),
        (12.3456, "12.35"),
        (1.62e-9, "1.62e-09"),
        (float("inf"), "diverged"),
        (float("nan"), "nan"),
        (235146, "235,146"),
        (1234.0, "1,234"),
        (1e30, "1e+30"),
        (None, ""),
        (True, "True"),
        ("eval", "eval"),
    ],
)
def test_numbers_are_shown_with_four_significant_digits_and_counts_with_separators(value, shown):
    assert format_number(value) == shown

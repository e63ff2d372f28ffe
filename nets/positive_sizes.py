"""The check every net runs on its size arguments (channels, classes, widths, image sides)."""

from __future__ import annotations


def check_positive_sizes(net: str, **sizes: object) -> None:
    """Raise ``ValueError`` naming the first of ``sizes`` that is not a positive integer."""
    for name, value in sizes.items():
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{net} {name} must be a positive integer, got {value!r}.")

"""The one number formatter of every printed table, torch and NumPy sides alike (torch-free)."""

from __future__ import annotations

import math


def format_number(value: object, digits: int = 4) -> str:
    """Floats with ``digits`` significant digits (``0.9812``, ``12.35``, ``1.62e-09``, so a small
    gap is never shown as 0); an infinite float as ``diverged`` (a loss that blew up), NaN as
    ``nan``; anything else as ``str``."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "diverged"
        return f"{value:.{digits}g}"
    return str(value)

"""The one number formatter of every printed table and figure, torch and NumPy sides alike."""

from __future__ import annotations

import math


def format_number(value: object, digits: int = 4) -> str:
    """A number as a table or a figure shows it.

    Floats keep ``digits`` significant digits (``0.9812``, ``12.35``, ``1.62e-09``, so a small gap
    is never shown as 0); counts, and whole floats from 1000 to 1e15, get thousands separators
    (``235,146``); an infinite float is ``diverged`` (a loss that blew up), NaN ``nan``, None
    blank; anything else is ``str(value)``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "diverged"
        if value.is_integer() and 1000 <= abs(value) < 1e15:  # 1e+30 stays 1e+30
            return f"{int(value):,}"
        return f"{value:.{digits}g}"
    return str(value)

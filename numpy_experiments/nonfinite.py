"""Stop a NumPy experiment at NaN/inf figures instead of writing them into its results.

A loss that overflowed, or data that made every fit meaningless, used to come out as a
``results.md`` full of ``inf``/``nan`` and then a matplotlib traceback (a log axis of no finite
values). The runners check their figures with :func:`check_finite` before they write anything,
and :func:`check_report_is_finite` is the last check on the text itself; both raise
:class:`NonFiniteResultError`, which ``train_numpy.py`` shows as one message with exit status 2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from labkit.errors import LabkitError

# "inf", "-inf", "nan" as numbers print them (f"{x:.4g}", repr, numpy arrays); not "infinite".
_NONFINITE_WORD = re.compile(r"(?<![\w.])-?(inf|nan)(?![\w])", re.IGNORECASE)


class NonFiniteResultError(LabkitError):
    """A training or its figures produced NaN or inf; nothing was written from them."""


def nonfinite_entries(values: Mapping[str, object]) -> list[str]:
    """``"name = value"`` for each value (a number or an array) that holds a NaN or an inf."""
    bad = []
    for name, value in values.items():
        array = np.asarray(value, dtype=np.float64)
        if np.isfinite(array).all():
            continue
        if array.ndim == 0:
            bad.append(f"{name} = {float(array)}")
        else:
            first = int(np.flatnonzero(~np.isfinite(array))[0])
            bad.append(f"{name} = {float(array.flat[first])} (entry {first} of {array.size})")
    return bad


def check_finite(what: str, values: Mapping[str, object], fix: str) -> None:
    """Raise :class:`NonFiniteResultError` naming every non-finite entry of ``values``.

    ``what``: the run, e.g. ``"numpy_linear_ae"``; ``fix``: what the user can change.
    """
    bad = nonfinite_entries(values)
    if bad:
        raise NonFiniteResultError(
            f"{what} produced non-finite figures: {'; '.join(bad)}. Nothing was written from "
            f"them (no results.md, plots or summary). {fix}"
        )


def check_report_is_finite(what: str, name: str, text: str) -> None:
    """Refuse to write ``text`` (the report ``name``) when it prints an ``inf`` or a ``nan``."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _NONFINITE_WORD.search(line)
        if match:
            raise NonFiniteResultError(
                f"{what}: {name} would print {match.group(0)!r} on its line {number} "
                f"({line[:120]!r}), a figure that is not finite; it was not written. This is a bug "
                "of the runner's checks: please report it with the command line."
            )

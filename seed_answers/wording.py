"""The few phrases every seed page shares: numbers, percentages, an implementation's check."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from figures.number_format import format_number
from seed_answers.question import Answer, Facts
from seed_answers.records import Job


def n(value: Any, digits: int = 4) -> str:
    """A measured number as the pages print it (the one formatter of tables and figures)."""
    return format_number(float(value) if isinstance(value, int | float) else value, digits)


def pct(value: float, digits: int = 2) -> str:
    return "nan" if value is None or math.isnan(value) else f"{100 * value:.{digits}f}%"


def check_values(job: Job, piece: str) -> dict[str, Any]:
    """The ``check/<piece>/...`` figures of a layer-check run (numpy_bridge/layer_checks.py)."""
    prefix = f"check/{piece}/"
    values = {k[len(prefix) :]: v for k, v in job.summary.items() if k.startswith(prefix)}
    if not values:
        raise KeyError(f"the layer checks measured nothing for {piece!r}")
    return values


def check_sentence(
    job: Job,
    piece: str,
    explanation: str,
    figures=(),
    keys: tuple[str, ...] = (),
    function: str | None = None,
) -> Answer:
    """An implementation item: what it does, where it is, and its measured distance to torch.

    ``keys``: only the figures whose names start with one of these (one function of a piece);
    ``function``: the name to show in the piece's file instead of the one its check names.
    """
    values = check_values(job, piece)
    where = values.pop("where", "?")
    if function:
        where = f"{where.split(':', 1)[0]}:{function}"
    if keys:
        values = {k: v for k, v in values.items() if k.startswith(keys)}
    errors = ", ".join(
        f"{name.replace('_max_abs', '').replace('_', ' ')} {n(v, 2)}"
        for name, v in values.items()
        if isinstance(v, int | float) and name.endswith("max_abs")
    )
    flags = [name for name, v in values.items() if name.endswith("within_bounds")]
    text = f"{explanation} labkit's implementation is `{where}`; checked against torch on seeded random inputs in float64"
    text += f", the largest absolute differences are: {errors}." if errors else "."
    if "init_bound" in values:  # an init checked against torch's bound for the same shape
        text += (
            f" Init: every weight within torch's xavier_uniform_ bound a = "
            f"{n(values['init_bound'])} for this shape (the largest at "
            f"{pct(values['init_largest_over_bound'], 1)} of a) and every bias 0: "
            f"{'yes' if values.get('init_within_bounds') == 1.0 else 'NO'}."
        )
        flags = [flag for flag in flags if flag != "init_within_bounds"]
    for flag in flags:
        text += f" {flag.replace('_', ' ')}: {'yes' if values[flag] == 1.0 else 'NO'}."
    return Answer(text, {"where": where, **values}, list(figures))


def layer_check(piece: str, explanation: str) -> Callable[[Facts], Answer]:
    """An implementation item's answer, from the demo study's layer checks.

    ``piece``: ``name[:key prefixes[@function]]`` of a check, e.g. ``dict_mlp:grad@backward``
    (only the figures whose names start with ``grad``, shown as the file's ``backward``).
    """
    name, _, rest = piece.partition(":")
    keys, _, function = rest.partition("@")

    def answer(f: Facts) -> Answer:
        return check_sentence(
            f.record("demo").jobs[0],
            name,
            explanation,
            keys=tuple(keys.split(",")) if keys else (),
            function=function or None,
        )

    return answer


def layer_checks(pieces: dict[str, str], explanation: str) -> Callable[[Facts], Answer]:
    """Several implementation items in one answer: ``pieces`` maps a check name to a label."""

    def answer(f: Facts) -> Answer:
        job = f.record("demo").jobs[0]
        parts, values = [explanation], {}
        for piece, label in pieces.items():
            one = check_sentence(job, piece, "")
            parts.append(f"{label}: " + one.text.strip())
            values[piece] = one.values
        return Answer(" ".join(parts), values)

    return answer

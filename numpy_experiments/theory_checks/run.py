"""Runner of ``numpy_theory_checks``: the numerical checks of the answers in ``docs/theory/``.

Writes ``summary.json`` (the figures of :func:`theory_figures`), ``metrics.csv`` (one row per
instance), ``plots/saddle_directions.png`` and a W&B run (offline by default) to the run dir.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from figures.results_table import print_results_table
from labkit.run_logger import RunLogger, run_logger_from_config
from labkit.run_record import record_finished
from numpy_experiments.nonfinite import check_finite
from numpy_experiments.theory_checks.backprop_check import (
    BackpropResult,
    backprop_figures,
    check_backprop,
)
from numpy_experiments.theory_checks.deep_linear_saddle import (
    SaddleResult,
    check_saddles,
    saddle_figures,
)
from numpy_experiments.theory_checks.logistic_limit import logistic_at_saturated_logit
from numpy_experiments.theory_checks.saddle_plot import save_saddle_directions


def run(cfg: DictConfig) -> dict[str, float]:
    """Run the three checks of ``cfg.theory_checks`` with one generator seeded by ``cfg.seed``."""
    start = time.perf_counter()
    settings = cfg.theory_checks
    rng = np.random.default_rng(cfg.seed)
    s = settings.saddle
    saddles = check_saddles(
        s.instances,
        list(s.depths),
        s.max_width,
        s.max_samples,
        s.probe_fraction,
        s.grid_points,
        s.fd_step,
        rng,
    )
    b = settings.backprop
    backprops = check_backprop(b.instances, b.batch_size, b.fd_step, rng)
    logistic = logistic_at_saturated_logit(settings.logistic.logit, settings.logistic.batch_size)
    figures = {**saddle_figures(saddles), **backprop_figures(backprops), **logistic.figures()}
    check_finite(cfg.task_name, figures, "Lower theory_checks.*.fd_step or the widths.")
    output_dir = Path(cfg.paths.output_dir)
    with run_logger_from_config(cfg, job_type="theory") as logger:
        _log_instances(logger, saddles, backprops)
        plot = save_saddle_directions(
            saddles, output_dir / "plots" / "saddle_directions.png", s.plot_points
        )
        logger.log_image("plots/saddle_directions", plot)
        logger.log_summary(figures)
        # Checks, not a training: no epochs, parameters or checkpoint to record.
        summary = record_finished(
            output_dir,
            figures,
            job="theory",
            epochs=None,
            params_total=None,
            wall_time_s=time.perf_counter() - start,
            checkpoint=None,
        )
    print_results_table(
        f"{cfg.task_name} (NumPy)",
        {**summary, "logistic/naive_loss": logistic.naive_loss, "run dir": str(output_dir)},
    )
    return figures


def _log_instances(
    logger: RunLogger, saddles: list[SaddleResult], backprops: list[BackpropResult]
) -> None:
    """One metrics.csv row per instance index (a saddle instance, a backprop instance or both)."""
    for step in range(max(len(saddles), len(backprops))):
        row: dict[str, float] = {}
        if step < len(saddles):
            r = saddles[step]
            row |= {
                "saddle/depth": r.instance.depth,
                "saddle/grad_norm_at_zero": r.grad_norm_at_zero,
                "saddle/decrease": r.decrease,
                "saddle/increase": r.increase,
                "saddle/probe_t": r.probe_t,
                "saddle/sigma": r.path.sigma,
            }
        if step < len(backprops):
            row["backprop/rel_error"] = backprops[step].fd_rel_error
        logger.log_metrics(row, step=step)

"""Runner of ``numpy_linear_ae``: linear autoencoders on the ulu point cloud (seed 000 Part 2).

(a) ``Linear(3,3)`` by full-batch GD on the raw data over a sweep of learning rates, with the
    curvature that explains why none converges well; (b) a 3→2→3 autoencoder against the SVD
    minimum; (d) an autoencoder with ``DropoutOne`` on the code whose first code dimension
    separates foreground from background, against the optimal expected loss. Writes
    ``results.md``, ``summary.json``, ``metrics.csv``, PNG plots under ``plots/`` and a W&B run to
    the run dir. Its theory and analysis are in ``numpy_experiments/ulu_exercise/``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from datamodules.ulu_points import load_ulu
from figures.markdown_table import markdown_table
from figures.number_format import format_number
from figures.results_table import print_results_table
from labkit.atomic_files import write_text
from labkit.errors import ConfigError
from labkit.run_logger import RunLogger, run_logger_from_config
from labkit.run_record import record_finished
from numpy_experiments.nonfinite import check_finite, check_report_is_finite
from numpy_experiments.ulu_exercise import autoencoder_plots as plots
from numpy_experiments.ulu_exercise.foreground_split import (
    PlaneSplit,
    SplitAgreement,
    split_agreement,
    two_plane_split,
)
from numpy_experiments.ulu_exercise.identity_fit_sweep import LrRun, sweep_learning_rates
from numpy_experiments.ulu_exercise.input_whitening import fit_normaliser
from numpy_experiments.ulu_exercise.linear_ae_theory import (
    IdentityFitCurvature,
    best_rank_k_affine_loss,
    covariance_condition_number,
    dropout_one_optimal_loss,
    identity_fit_curvature,
    principal_coordinates,
    principal_variances,
)
from numpy_experiments.ulu_exercise.linear_autoencoder import AutoencoderRun, train_autoencoder


@dataclass
class LinearAEResults:
    """Everything the three parts produced, for the report, the plots and the logger."""

    points: np.ndarray
    variances: np.ndarray
    curvature: IdentityFitCurvature
    reference: PlaneSplit
    sweep: list[LrRun]
    sweep_steps: int
    bottleneck: AutoencoderRun
    bottleneck_minimum: float
    dropout: AutoencoderRun
    dropout_minimum: float
    agreement: SplitAgreement
    agreement_at_smaller_code: SplitAgreement  # c_1 at the optimum with a code one smaller

    @property
    def bottleneck_loss(self) -> float:
        return self.bottleneck.losses[-1]

    @property
    def dropout_loss(self) -> float:
        return self.dropout.losses[-1]

    def figures(self) -> dict[str, float]:
        """The headline numbers, by name (W&B summary, the printed table, the return value)."""
        stable = [r for r in self.sweep if not r.diverged]
        best = min(stable, key=lambda r: r.final_loss) if stable else None
        return {
            "a/covariance_condition_number": covariance_condition_number(self.points),
            "a/hessian_condition_number": self.curvature.condition_number,
            "a/max_stable_lr": self.curvature.max_stable_lr,
            "a/best_contraction_per_step": self.curvature.best_contraction,
            f"a/best_contraction_over_{self.sweep_steps}_steps": self.curvature.best_contraction
            ** self.sweep_steps,
            "a/best_final_loss": best.final_loss if best else float("inf"),
            "a/best_final_loss_lr": best.lr if best else float("nan"),
            "b/loss": self.bottleneck_loss,
            "b/svd_minimum": self.bottleneck_minimum,
            "b/relative_gap": self.bottleneck_loss / self.bottleneck_minimum - 1,
            "d/expected_loss": self.dropout_loss,
            "d/optimal_expected_loss": self.dropout_minimum,
            "d/relative_gap": self.dropout_loss / self.dropout_minimum - 1,
            "d/code1_auc": self.agreement.auc,
            "d/code1_best_threshold_acc": self.agreement.best_threshold_accuracy,
            "d/code1_label_free_acc": self.agreement.gap_split_accuracy,
        }


def run(cfg: DictConfig) -> dict[str, float]:
    """Run parts (a), (b), (d) of ``cfg.linear_ae`` on ``cfg.numpy_data`` (ulu.csv)."""
    run_start = time.perf_counter()
    data_cfg = cfg.numpy_data
    points = load_ulu(data_cfg.data_dir, data_cfg.labkit_data, data_cfg.download, data_cfg.url)
    results = compute_results(points, cfg.linear_ae, np.random.default_rng(cfg.seed))
    check_results_are_finite(results, cfg.task_name)
    output_dir = Path(cfg.paths.output_dir)
    report = results_markdown(results, cfg.linear_ae)
    check_report_is_finite(cfg.task_name, "results.md", report)
    write_text(output_dir / "results.md", report)
    with run_logger_from_config(cfg) as logger:
        _log_curves(logger, results)
        for path in save_plots(results, output_dir / "plots"):
            logger.log_image(f"plots/{path.stem}", path)
        _log_tables(logger, results)
        logger.log_summary(results.figures())
        # Full-batch GD in three parts of different models: no epoch or parameter count to give.
        summary = record_finished(
            output_dir,
            results.figures(),
            job="train",
            epochs=None,
            params_total=None,
            wall_time_s=time.perf_counter() - run_start,
            checkpoint=None,
        )
    print_results_table(f"{cfg.task_name} (NumPy)", {**summary, "run dir": str(output_dir)})
    return results.figures()


def compute_results(
    points: np.ndarray, settings: DictConfig, rng: np.random.Generator
) -> LinearAEResults:
    """The three parts on ``points: (N, D)`` with the settings of ``linear_ae`` (see the config)."""
    sweep_cfg, bottleneck_cfg, dropout_cfg = (
        settings.lr_sweep,
        settings.bottleneck,
        settings.dropout,
    )
    dim = points.shape[1]
    for name, code_dim in (
        ("bottleneck", bottleneck_cfg.code_dim),
        ("dropout", dropout_cfg.code_dim),
    ):
        if not 1 <= code_dim <= dim:
            raise ConfigError(f"linear_ae.{name}.code_dim must be in [1, {dim}], got {code_dim}")
    curvature = identity_fit_curvature(points)
    lrs = np.geomspace(sweep_cfg.lr_min, sweep_cfg.lr_max, sweep_cfg.num_lrs)
    if sweep_cfg.include_best_lr:  # the step size that theory says is best, so the sweep shows it
        lrs = np.sort(np.append(lrs, curvature.best_lr))
    sweep = sweep_learning_rates(points, lrs, sweep_cfg.steps, rng, sweep_cfg.init)
    normaliser = fit_normaliser(points, settings.input_normalisation)
    bottleneck = train_autoencoder(
        points,
        normaliser,
        bottleneck_cfg.code_dim,
        bottleneck_cfg.steps,
        bottleneck_cfg.lr,
        rng,
        name="linear_ae.bottleneck",
    )
    dropout = train_autoencoder(
        points,
        normaliser,
        dropout_cfg.code_dim,
        dropout_cfg.steps,
        dropout_cfg.lr,
        rng,
        dropout=True,
        name="linear_ae.dropout",
    )
    reference = two_plane_split(points)
    smaller_code_c1 = principal_coordinates(points)[:, max(dropout_cfg.code_dim - 2, 0)]
    return LinearAEResults(
        points=points,
        variances=principal_variances(points),
        curvature=curvature,
        reference=reference,
        sweep=sweep,
        sweep_steps=sweep_cfg.steps,
        bottleneck=bottleneck,
        bottleneck_minimum=best_rank_k_affine_loss(points, bottleneck_cfg.code_dim),
        dropout=dropout,
        dropout_minimum=dropout_one_optimal_loss(points, dropout_cfg.code_dim),
        agreement=split_agreement(dropout.encode(points)[:, 0], reference.foreground),
        agreement_at_smaller_code=split_agreement(smaller_code_c1, reference.foreground),
    )


def check_results_are_finite(results: LinearAEResults, task_name: str) -> None:
    """Raise :class:`NonFiniteResultError` if any figure the report prints is NaN or inf.

    The one exception is part (a)'s best final loss when every lr of the sweep diverged: that is
    a result (the report says so in words), not a broken figure. Diverged lrs of the sweep are
    shown as "diverged" in its table.
    """
    figures = results.figures()
    if not any(not r.diverged for r in results.sweep):
        del figures["a/best_final_loss"], figures["a/best_final_loss_lr"]
    raw_w, raw_b = results.dropout.raw_encoder_weights()
    check_finite(
        task_name,
        {
            **figures,
            "covariance eigenvalues": results.variances,
            "Hessian eigenvalues": results.curvature.hessian_eigenvalues,
            "a/initial_loss": results.sweep[0].losses[0],
            "a/contraction per lr": [r.contraction for r in results.sweep],
            "b/losses": results.bottleneck.losses,
            "d/losses": results.dropout.losses,
            "d/raw encoder weights": raw_w,
            "d/raw encoder bias": raw_b,
            "reference split gap": results.reference.gap,
            "reference split thickness": results.reference.thickness,
            "reference split normal": results.reference.normal,
        },
        "Check the points (datamodules/ulu_points.py refuses NaN, inf and outliers on loading) "
        "and lower the learning rates (linear_ae.bottleneck.lr, linear_ae.dropout.lr).",
    )


def steps_to_within(losses: list[float], minimum: float, tolerance: float = 0.01) -> int | None:
    """First step whose loss is within ``tolerance`` (relative) of ``minimum``; None if never."""
    for step, loss in enumerate(losses):
        if loss <= minimum * (1 + tolerance):
            return step
    return None


def save_plots(results: LinearAEResults, plots_dir: Path) -> list[Path]:
    steps = results.sweep_steps
    codes = results.dropout.encode(results.points)
    bottleneck_codes = results.bottleneck.encode(results.points)
    return [
        plots.save_lr_sweep_curves(
            results.sweep, plots_dir / "a_lr_sweep_losses.png", results.curvature.max_stable_lr
        ),
        plots.save_lr_sweep_final(
            results.sweep,
            plots_dir / "a_lr_sweep_final_loss.png",
            results.curvature.max_stable_lr,
            steps,
        ),
        plots.save_loss_curves_with_minima(
            {"(b) 3→2→3": results.bottleneck.losses, "(d) with DropoutOne": results.dropout.losses},
            {
                "(b) 3→2→3": results.bottleneck_minimum,
                "(d) with DropoutOne": results.dropout_minimum,
            },
            plots_dir / "bd_loss_curves.png",
            "Autoencoders by full-batch GD (d: expected loss over dropout masks)",
        ),
        plots.save_labelled_scatter(
            codes[:, :2],
            results.reference.foreground,
            plots_dir / "d_code_scatter.png",
            f"(d) code with DropoutOne (AUC of code 1: {results.agreement.auc:.4f})",
            "code dimension 1 (dropped half the time)",
            "code dimension 2",
        ),
        plots.save_labelled_scatter(
            bottleneck_codes[:, :2],
            results.reference.foreground,
            plots_dir / "b_code_scatter.png",
            "(b) 2-d code without dropout",
            "code dimension 1",
            "code dimension 2",
        ),
        plots.save_labelled_scatter(
            results.reference.in_plane,
            results.reference.foreground,
            plots_dir / "reference_split.png",
            f"Reference split: two parallel planes (gap/thickness = {results.reference.separation:.0f})",
            "in-plane direction 1",
            "in-plane direction 2",
            equal_aspect=True,
        ),
    ]


def _log_curves(logger: RunLogger, results: LinearAEResults) -> None:
    """One CSV row / W&B step per GD step: every lr's loss (a) and the two autoencoders (b, d)."""
    horizon = max(
        results.sweep_steps, len(results.bottleneck.losses) - 1, len(results.dropout.losses) - 1
    )
    for step in range(horizon + 1):
        row = {}
        if step <= results.sweep_steps:
            for run_ in results.sweep:
                if np.isfinite(run_.losses[step]):
                    row[f"a/loss_lr={run_.lr:.3g}"] = run_.losses[step]
        if step < len(results.bottleneck.losses):
            row["b/loss"] = results.bottleneck.losses[step]
        if step < len(results.dropout.losses):
            row["d/expected_loss"] = results.dropout.losses[step]
        logger.log_metrics(row, step=step)


def _log_tables(logger: RunLogger, results: LinearAEResults) -> None:
    logger.log_table("a_lr_sweep", *_sweep_table(results))
    logger.log_table(
        "final_metrics", ["figure", "value"], [[k, v] for k, v in results.figures().items()]
    )


def _sweep_table(results: LinearAEResults) -> tuple[list[str], list[list[object]]]:
    headers = [
        "lr",
        f"loss after {results.sweep_steps} steps",
        "closed form",
        "worst factor per step: max_i abs(1 - η h_i)",
        "slowest direction: abs(1 - η h_min)",
    ]
    rows = [
        [
            r.lr,
            r.final_loss,
            r.predicted_final_loss if r.predicted_final_loss < 1e12 else float("inf"),
            r.contraction,
            r.slow_contraction,
        ]
        for r in results.sweep
    ]
    return headers, rows


def _sweep_outcome(results: LinearAEResults, fig: dict[str, float]) -> str:
    """The sentence of part (a) on what the sweep measured (in words when every lr diverged)."""
    initial = f"{results.sweep[0].losses[0]:.4g} at the shared random init"
    if not np.isfinite(fig["a/best_final_loss"]):
        return (
            f"Measured: the loss is {initial}, and every learning rate of the sweep diverged (all "
            f"are above 2/h_max = {results.curvature.max_stable_lr:.4g}); the minimum is 0 "
            "(W = I, b = 0)."
        )
    converges_well = results.curvature.best_contraction**results.sweep_steps <= 0.5
    return (
        f"Measured: the loss falls from {initial} to at best {fig['a/best_final_loss']:.4g} "
        f"(lr {fig['a/best_final_loss_lr']:.3g}), while the minimum is 0 (W = I, b = 0)"
        + ("." if converges_well else ": no learning rate converges well.")
    )


def results_markdown(results: LinearAEResults, settings: DictConfig) -> str:
    """``results.md``: every number of the three parts with the reasoning that connects them."""
    fig = results.figures()
    curvature, steps = results.curvature, results.sweep_steps
    lam = results.variances
    b_cfg, d_cfg = settings.bottleneck, settings.dropout
    b_within = steps_to_within(results.bottleneck.losses, results.bottleneck_minimum)
    d_within = steps_to_within(results.dropout.losses, results.dropout_minimum)
    raw_w, raw_b = results.dropout.raw_encoder_weights()
    n_fg = int(results.reference.foreground.sum())
    sections = [
        "# numpy_linear_ae: linear autoencoders on ulu.csv",
        f"{len(results.points)} points in {results.points.shape[1]}-D. Losses are the mean squared "
        "Euclidean distance to the ORIGINAL data. Covariance eigenvalues λ: "
        + ", ".join(format_number(float(v)) for v in lam)
        + f"; condition number κ(C) = {fig['a/covariance_condition_number']:.4g}.",
        "## (a) Linear(3,3) by full-batch GD on raw data",
        "The loss is quadratic, with Hessian 2M ⊗ I (M = E[x̃x̃ᵀ], x̃ = [x; 1]): eigenvalues h = "
        + ", ".join(format_number(float(h)) for h in curvature.hessian_eigenvalues)
        + f", κ(H) = {curvature.condition_number:.4g}. GD multiplies the error along eigen-direction "
        f"i by (1 - ηh_i) per step, so it diverges for η > 2/h_max = {curvature.max_stable_lr:.4g}; "
        f"the best worst-case factor over all η is (κ-1)/(κ+1) = {curvature.best_contraction:.5f} "
        f"per step at η* = {curvature.best_lr:.4g}, i.e. {curvature.best_contraction**steps:.3f} "
        f"after {steps} steps: the flattest direction keeps over "
        f"{100 * curvature.best_contraction**steps:.0f}% of its initial error whatever the lr. "
        + _sweep_outcome(results, fig),
        markdown_table(*_sweep_table(results)),
        "## (b) 3→2→3 autoencoder",
        markdown_table(
            [
                "achieved loss",
                "theoretical minimum (SVD, Σ_{i>2} λ_i)",
                "relative gap",
                "GD steps",
                "steps to within 1%",
                "lr",
                "input normalisation",
            ],
            [
                [
                    fig["b/loss"],
                    fig["b/svd_minimum"],
                    fig["b/relative_gap"],
                    b_cfg.steps,
                    b_within if b_within is not None else "never",
                    b_cfg.lr,
                    settings.input_normalisation,
                ]
            ],
        ),
        "The minimum is the residual of the best rank-2 affine fit (Eckart–Young on the centred "
        "data): the sum of the discarded covariance eigenvalues. Only the encoder's input is "
        "normalised (for GD's conditioning); the normaliser is folded into the encoder's weights, "
        "so the model maps raw points to reconstructions on the raw scale.",
        "## (d) DropoutOne on the code: the first code dimension",
        f"Reference split: the points lie on two parallel planes (a linear image of (x, y, colour) "
        f"with colour ∈ {{0, 1}}); along their common normal the two planes are "
        f"{results.reference.gap:.4g} apart and each is at most {results.reference.thickness:.3g} "
        f"thick (ratio {results.reference.separation:.0f}). Foreground = the smaller plane "
        f"({n_fg} of {len(results.points)} points; plotted in-plane it shows the logo's letters, "
        "see plots/reference_split.png).",
        markdown_table(
            [
                "code dim",
                "achieved expected loss",
                "optimal expected loss",
                "relative gap",
                "GD steps",
                "steps to within 1%",
                "lr",
            ],
            [
                [
                    d_cfg.code_dim,
                    fig["d/expected_loss"],
                    fig["d/optimal_expected_loss"],
                    fig["d/relative_gap"],
                    d_cfg.steps,
                    d_within if d_within is not None else "never",
                    d_cfg.lr,
                ]
            ],
        ),
        markdown_table(
            [
                "score",
                "AUC vs reference",
                "best-threshold accuracy",
                "label-free (largest gap) accuracy",
            ],
            [
                [
                    "code dimension 1 (trained)",
                    results.agreement.auc,
                    results.agreement.best_threshold_accuracy,
                    results.agreement.gap_split_accuracy,
                ],
                [
                    f"c_1 at the optimum with a {d_cfg.code_dim - 1}-d code (principal coordinate "
                    f"{max(d_cfg.code_dim - 1, 1)})",
                    results.agreement_at_smaller_code.auc,
                    results.agreement_at_smaller_code.best_threshold_accuracy,
                    results.agreement_at_smaller_code.gap_split_accuracy,
                ],
            ],
        ),
        "Optimal expected loss. With probability ½ the decoder sees the whole k-d code (a rank-k "
        "affine reconstruction, loss ≥ Σ_{i>k} λ_i) and with probability ½ only c_2..c_k (rank "
        "k-1, loss ≥ Σ_{i≥k} λ_i). One model attains both bounds: c_2..c_k carry the top k-1 "
        "principal coordinates and c_1 the k-th. So min E[L] = ½ Σ_{i≥k} λ_i + ½ Σ_{i>k} λ_i, and "
        "at the optimum c_1 is the k-th principal coordinate. Here the colour is the "
        "least-variance direction (the planes are thin and close compared with the logo's "
        "extent), so c_1 separates the colours only when k = D = 3: then c_2, c_3 carry the "
        "logo's plane and c_1 the direction across it, min E[L] = ½ λ_3. With a 2-d code c_1 "
        "would carry the second principal coordinate, a direction within the logo's plane "
        "(second row above).",
        f"Equivalent raw-data encoder row of code dimension 1: w = "
        f"[{', '.join(f'{v:.4g}' for v in raw_w[0])}], b = {raw_b[0]:.4g}; the plane normal is "
        f"[{', '.join(f'{v:.4g}' for v in results.reference.normal)}] (cosine "
        f"{abs(raw_w[0] @ results.reference.normal) / np.linalg.norm(raw_w[0]):.4f}).",
    ]
    return "\n\n".join(sections) + "\n"

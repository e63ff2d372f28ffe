"""``python probe.py``: answer (a)-(d) of the bouba-kiki exercise and write the run dir.

Order: the images and their reference labels (NumPy and SciPy only, so a bad file is reported
before torch loads), the net, (a) from the module, one forward pass per batch for the features of
every block (and of the CIFAR images up to the split block) and (d)'s pixels baseline, then (b),
(c), (d) on those features; the report, the PNGs, ``metrics.csv``, the W&B run and
``summary.json`` last.

The same command gives the same figures: every random choice is seeded from ``seed`` (k-means
starts, the folds, the CIFAR images, which ``cifar_scores`` picks by content, not by the order the
source files hold them in), each scikit-learn fit runs on one thread, and the random net is built
under its own seed. Only the timings differ between two runs on one machine (another device or
number of torch threads may change the features in their last bits).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from omegaconf import DictConfig
from rich.console import Console

from labkit.errors import ConfigError, DataError
from labkit.run_record import record_finished
from mobilenet_probe.probe_config import BLOCKS, check_probe_config


class _Stopwatch:
    """Wall and CPU seconds per step: on a shared machine the wall time depends on others' load."""

    def __init__(self) -> None:
        self.steps: dict[str, tuple[float, float]] = {}
        self._start = self._last = (time.perf_counter(), time.process_time())

    def lap(self, name: str) -> None:
        now = (time.perf_counter(), time.process_time())
        self.steps[name] = (now[0] - self._last[0], now[1] - self._last[1])
        self._last = now

    def total(self) -> tuple[float, float]:
        return (time.perf_counter() - self._start[0], time.process_time() - self._start[1])


def _images(cfg: DictConfig) -> tuple[np.ndarray, np.ndarray | None, str]:
    """``(images (N, H, W) uint8, the generator's labels or None, where they came from)``."""
    data = cfg.bouba_kiki
    if data.source == "generated":
        from datamodules.bouba_kiki_generator import generate_bouba_kiki

        images, labels = generate_bouba_kiki(
            data.generated_count, data.generated_size, data.generated_seed
        )
        return images, labels, f"the procedural generator (seed {data.generated_seed})"
    from datamodules.bouba_kiki import load_bouba_kiki

    images, path = load_bouba_kiki(data.path, data.data_dir, data.labkit_data, data.download)
    return images, None, f"`{path}`"


def _reference(cfg: DictConfig, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sharpest corner per image (N,), reference labels (N,))``; DataError if one kind is rare."""
    from mobilenet_probe.corner_rule import corner_scores, reference_labels

    rule = cfg.reference_rule
    corners = corner_scores(images, rule.arc_px, rule.smoothing_px)
    reference = reference_labels(corners, rule.threshold_deg)
    if np.bincount(reference, minlength=2).min() < cfg.probe.folds:
        raise DataError(
            f"The reference rule calls {int(reference.sum())} of {len(reference)} images kiki: "
            f"too few of one kind for {cfg.probe.folds}-fold cross-validation. Check the images "
            "(dark shapes on a light background?) or reference_rule.threshold_deg."
        )
    return corners, reference


def _device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("probe.device=cuda but torch sees no GPU. Fix: probe.device=auto or cpu.")
    return torch.device(name)


def _progress(console: Console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("images"),
        TimeElapsedColumn(),
        console=console,
    )


def _features(
    extract: Callable[..., dict[str, np.ndarray]],
    images: np.ndarray,
    cifar_images: np.ndarray | None,
    split_layer: str,
    console: Console,
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Every block's pooled features of ``images``; the split block's of ``cifar_images``."""
    with _progress(console) as progress:
        bar = progress.add_task("bouba-kiki features", total=len(images))
        features = extract(images, BLOCKS, advance=lambda n: progress.advance(bar, n))
        if cifar_images is None:
            return features, None
        bar = progress.add_task("CIFAR-10 features", total=len(cifar_images))
        cifar = extract(cifar_images, [split_layer], advance=lambda n: progress.advance(bar, n))
        return features, cifar[split_layer]


def run_probe(cfg: DictConfig) -> dict[str, float]:
    """Run the whole probe for a composed ``configs/probe.yaml``; returns the figures it logged."""
    check_probe_config(cfg)
    clock = _Stopwatch()
    console = Console()
    probe, cifar = cfg.probe, cfg.cifar
    images, generator_labels, data_source = _images(cfg)
    corners, reference = _reference(cfg, images)
    clock.lap("images and reference labels")

    from labkit.runtime import set_threads
    from mobilenet_probe import figures as probe_figures
    from mobilenet_probe.cifar_scores import load_cifar_classes, prob_higher, summarise_scores
    from mobilenet_probe.conv_parameters import conv_parameter_count
    from mobilenet_probe.corner_rule import threshold_margin
    from mobilenet_probe.findings import ProbeFindings
    from mobilenet_probe.layer_features import pooled_layer_features
    from mobilenet_probe.layerwise_probe import (
        compare_with_baseline,
        earliest_better,
        earliest_layer_over,
        probe_layers,
        probe_scores,
    )
    from mobilenet_probe.mobilenet_weights import load_mobilenet_v3_small
    from mobilenet_probe.pixel_baseline import BASELINE_NAME, pixel_features
    from mobilenet_probe.report import write_report
    from mobilenet_probe.unsupervised_split import split_bouba_kiki

    set_threads(cfg.get("threads"))
    clock.lap("imports")

    loaded = load_mobilenet_v3_small(cfg.weights.source, cfg.weights.path)
    if loaded.missing_head_keys:
        console.print(
            f"weights: {loaded.source} has no classifier head ({len(loaded.missing_head_keys)} "
            f"keys missing: {', '.join(loaded.missing_head_keys)}); the probe does not use it."
        )
    net = loaded.net.to(_device(probe.device))
    conv = conv_parameter_count(net, probe.conv_layer)
    cifar_images = cifar_labels = None
    if cifar.enabled:
        cifar_images, cifar_labels = load_cifar_classes(
            list(cifar.classes),
            cifar.per_class,
            seed=cfg.seed,
            data_dir=cifar.data_dir,
            labkit_data=cifar.labkit_data,
            download=cifar.download,
        )
    clock.lap("weights and CIFAR-10 images")

    def extract(some_images, layers, advance):
        return pooled_layer_features(
            net,
            some_images,
            layers,
            size=probe.input_size,
            mean=loaded.mean,
            std=loaded.std,
            batch_size=probe.batch_size,
            advance=advance,
        )

    features, cifar_features = _features(extract, images, cifar_images, probe.split_layer, console)
    pixels = pixel_features(
        images,
        size=probe.input_size,
        pixels_size=probe.pixels_size,
        mean=loaded.mean,
        std=loaded.std,
        batch_size=probe.batch_size,
    )
    clock.lap("features (forward passes)")

    split = split_bouba_kiki(features[probe.split_layer], reference, probe.split_layer, cfg.seed)
    cifar_summary = cifar_scores = cifar_prob = cifar_prob_supervised = None
    if cifar_features is not None:
        cifar_scores = split.axis.score(cifar_features)
        cifar_summary = summarise_scores(cifar_scores, cifar_labels, list(cifar.classes))
        cifar_prob = prob_higher(cifar_scores, cifar_labels, 1, 0)
        supervised = probe_scores(features[probe.split_layer], reference, cifar_features, probe.C)
        cifar_prob_supervised = prob_higher(supervised, cifar_labels, 1, 0)
    baseline, *layers = probe_layers(
        {BASELINE_NAME: pixels, **features},
        reference,
        folds=probe.folds,
        repeats=probe.repeats,
        C=probe.C,
        seed=cfg.seed,
    )
    comparisons = compare_with_baseline(baseline, layers, probe.alpha)
    earliest = earliest_better(comparisons)
    over_threshold = earliest_layer_over(layers, probe.accuracy_threshold)
    # (b)'s label-free split on every block too: where the kinds separate with no fitting to labels.
    kmeans_agreement = {
        layer: split_bouba_kiki(features[layer], reference, layer, cfg.seed).agreement
        for layer in BLOCKS
    }
    folds_text = f"{probe.folds}-fold cross-validation × {probe.repeats} repeats"
    clock.lap("(b) split, (c) scores, (d) probes")

    output_dir = Path(cfg.paths.output_dir)
    plots_dir = output_dir / "plots"
    plots = {
        "reference_labels": probe_figures.reference_grid(
            plots_dir / "reference_labels.png",
            images,
            corners,
            reference,
            cfg.reference_rule.threshold_deg,
            cfg.reference_rule.grid_limit,
        ),
        "split_examples": probe_figures.split_examples(
            plots_dir / "split_examples.png",
            images,
            split.clusters,
            split.scores,
            reference,
            probe.split_examples,
            probe.split_layer,
        ),
        "layer_accuracy": probe_figures.layer_accuracy_plot(
            plots_dir / "layer_accuracy.png", layers, baseline, comparisons, folds_text
        ),
    }
    if cifar_features is not None:
        plots["cifar_extremes"] = probe_figures.cifar_extremes(
            plots_dir / "cifar_extremes.png",
            cifar_images,
            cifar_labels,
            cifar_scores,
            list(cifar.classes),
            cifar.examples,
        )
    clock.lap("plots")

    bouba_max, kiki_min = threshold_margin(corners, cfg.reference_rule.threshold_deg)
    findings = ProbeFindings(
        data_source=data_source,
        image_count=len(images),
        image_shape=tuple(images.shape[1:]),
        weights_source=loaded.source,
        missing_head_keys=loaded.missing_head_keys,
        input_size=probe.input_size,
        rule_threshold=cfg.reference_rule.threshold_deg,
        rule_arc_px=cfg.reference_rule.arc_px,
        kiki_count=int(reference.sum()),
        bouba_max_deg=bouba_max,
        kiki_min_deg=kiki_min,
        generator_agreement=(
            None if generator_labels is None else float(np.mean(reference == generator_labels))
        ),
        conv=conv,
        total_parameters=sum(p.numel() for p in net.parameters()),
        split_layer=probe.split_layer,
        split_agreement=split.agreement,
        cifar=cifar_summary,
        cifar_prob_second_higher=cifar_prob,
        cifar_prob_second_higher_supervised=cifar_prob_supervised,
        axis_half_gap=split.axis.half_gap,
        layers=layers,
        pixels=baseline,
        pixels_size=min(probe.pixels_size, probe.input_size),
        comparisons=comparisons,
        alpha=probe.alpha,
        C=probe.C,
        kmeans_agreement=kmeans_agreement,
        probe_threshold=probe.accuracy_threshold,
        probe_folds=folds_text,
        earliest_layer=earliest.layer if earliest else None,
        earliest_over_threshold=over_threshold.layer if over_threshold else None,
        timings_s={**clock.steps, "total": clock.total()},
        plots={k: str(p.relative_to(output_dir)) for k, p in plots.items()},
    )
    report = write_report(output_dir / "report.md", findings)
    metrics = findings.metrics()
    _log_run(cfg, findings, plots, console, report)
    record_finished(
        output_dir,
        {**metrics, "probe/earliest_better_layer": findings.earliest_layer or "none"},
        job="probe",
        epochs=None,
        params_total=findings.total_parameters,
        wall_time_s=clock.total()[0],
        checkpoint=None,
    )
    return metrics


def _log_run(
    cfg: DictConfig, findings, plots: dict[str, Path], console: Console, report: Path
) -> None:
    """``metrics.csv``, the W&B run (figures, PNGs, the per-block table), the closing table."""
    from figures.results_table import print_results_table
    from labkit.run_logger import run_logger_from_config

    metrics = findings.metrics()
    kmeans = findings.kmeans_agreement
    wall_s, cpu_s = findings.timings_s["total"]
    with run_logger_from_config(cfg, job_type="probe") as logger:
        logger.log_metrics(metrics, step=0)
        for name, path in plots.items():
            logger.log_image(f"plots/{name}", path)
        logger.log_table(
            "probe/layers",
            [
                "block",
                "features",
                "accuracy",
                "std",
                "95% low",
                "95% high",
                "gain over pixels",
                "p (paired)",
                "k-means agreement",
            ],
            [
                [r.layer, r.dims, r.mean, r.std, r.low, r.high, c.gain, c.p_value, kmeans[r.layer]]
                for r, c in zip(findings.layers, findings.comparisons, strict=True)
            ],
        )
        logger.log_summary({**metrics, "wall_s": wall_s, "cpu_s": cpu_s})
    shown = {k: v for k, v in metrics.items() if not k.startswith("probe/features.")}
    print_results_table(
        f"{cfg.task_name}: MobileNetV3-small on bouba-kiki",
        {
            **shown,
            "earliest block better than the pixels": findings.earliest_layer or "none",
            "wall_s (before logging)": wall_s,
            "cpu_s (before logging)": cpu_s,
            "report": str(report),
        },
        console=console,
    )

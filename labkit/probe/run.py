"""``python probe.py``: answer (a)-(d) of the bouba-kiki exercise and write the run dir.

Order: the images and their reference labels, the net, (a) from the module, one forward pass per
batch for the features of every block (and of the CIFAR images up to the split block), then (b),
(c), (d) on those features; the report, the PNGs, ``metrics.csv`` and the W&B run last. This
module imports torch and scikit-learn only after the config has passed its checks.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from omegaconf import DictConfig
from rich.console import Console

from labkit.probe.probe_config import BLOCKS, check_probe_config


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


def run_probe(cfg: DictConfig) -> dict[str, float]:
    """Run the whole probe for a composed ``configs/probe.yaml``; returns the figures it logged."""
    check_probe_config(cfg)
    started = time.perf_counter()
    # Wall and CPU seconds per step: on a shared machine the wall time depends on the others' load.
    timings: dict[str, tuple[float, float]] = {}
    cpu_started = time.process_time()
    console = Console()

    def lap(name: str, since: tuple[float, float]) -> tuple[float, float]:
        now = (time.perf_counter(), time.process_time())
        timings[name] = (now[0] - since[0], now[1] - since[1])
        return now

    # numpy and scipy only: a bad npz or an unusable rule is reported before torch loads.
    from labkit.errors import DataError
    from labkit.probe.corner_rule import corner_scores, reference_labels, threshold_margin

    rule, probe, cifar = cfg.reference_rule, cfg.probe, cfg.cifar
    images, generator_labels, data_source = _images(cfg)
    corners = corner_scores(images, rule.arc_px, rule.smoothing_px)
    reference = reference_labels(corners, rule.threshold_deg)
    if np.bincount(reference, minlength=2).min() < probe.folds:
        raise DataError(
            f"The reference rule calls {int(reference.sum())} of {len(reference)} images kiki: "
            f"too few of one kind for {probe.folds}-fold cross-validation. Check the images "
            f"(dark shapes on a light background?) or reference_rule.threshold_deg."
        )
    t = lap("images and reference labels", (started, cpu_started))

    import torch

    from labkit.probe import figures
    from labkit.probe.cifar_scores import load_cifar_classes, prob_higher, summarise_scores
    from labkit.probe.conv_parameters import conv_parameter_count
    from labkit.probe.layer_features import pooled_layer_features
    from labkit.probe.layerwise_probe import earliest_layer_over, probe_layers, probe_scores
    from labkit.probe.mobilenet_weights import load_mobilenet_v3_small
    from labkit.probe.report import ProbeFindings, write_report
    from labkit.probe.unsupervised_split import split_bouba_kiki
    from labkit.run_logger import run_logger_from_config
    from labkit.runtime import set_threads

    set_threads(cfg.get("threads"))
    output_dir = Path(cfg.paths.output_dir)
    plots_dir = output_dir / "plots"

    t = lap("imports", t)

    loaded = load_mobilenet_v3_small(cfg.weights.source, cfg.weights.path)
    if loaded.missing_head_keys:
        console.print(
            f"weights: {loaded.source} has no classifier head ({len(loaded.missing_head_keys)} "
            f"keys missing: {', '.join(loaded.missing_head_keys)}); the probe does not use it."
        )
    device = probe.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    net = loaded.net.to(device)
    conv = conv_parameter_count(net, probe.conv_layer)
    total_parameters = sum(p.numel() for p in net.parameters())
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
    t = lap("weights and CIFAR-10 images", t)

    extract = dict(
        size=probe.input_size, mean=loaded.mean, std=loaded.std, batch_size=probe.batch_size
    )
    with _progress(console) as progress:
        bar = progress.add_task("bouba-kiki features", total=len(images))
        features = pooled_layer_features(
            net, images, BLOCKS, **extract, advance=lambda n: progress.advance(bar, n)
        )
        cifar_features = None
        if cifar_images is not None:
            bar = progress.add_task("CIFAR-10 features", total=len(cifar_images))
            cifar_features = pooled_layer_features(
                net,
                cifar_images,
                [probe.split_layer],
                **extract,
                advance=lambda n: progress.advance(bar, n),
            )[probe.split_layer]
    t = lap("features (forward passes)", t)

    split = split_bouba_kiki(features[probe.split_layer], reference, probe.split_layer, cfg.seed)
    cifar_summary = cifar_prob = cifar_prob_supervised = None
    if cifar_features is not None:
        cifar_scores = split.axis.score(cifar_features)
        cifar_summary = summarise_scores(cifar_scores, cifar_labels, list(cifar.classes))
        cifar_prob = prob_higher(cifar_scores, cifar_labels, 1, 0)
        supervised = probe_scores(features[probe.split_layer], reference, cifar_features, C=probe.C)
        cifar_prob_supervised = prob_higher(supervised, cifar_labels, 1, 0)
    layers = probe_layers(
        features, reference, folds=probe.folds, repeats=probe.repeats, C=probe.C, seed=cfg.seed
    )
    earliest = earliest_layer_over(layers, probe.accuracy_threshold)
    # (b)'s label-free split on every block too: where the classes separate without any fitting
    # to labels.
    kmeans_agreement = {
        layer: split_bouba_kiki(features[layer], reference, layer, cfg.seed).agreement
        for layer in BLOCKS
    }
    folds_text = f"{probe.folds}-fold cross-validation × {probe.repeats} repeats"
    t = lap("(b) split, (c) scores, (d) probes", t)

    plots = {
        "reference_labels": figures.reference_grid(
            plots_dir / "reference_labels.png",
            images,
            corners,
            reference,
            rule.threshold_deg,
            rule.grid_limit,
        ),
        "split_examples": figures.split_examples(
            plots_dir / "split_examples.png",
            images,
            split.clusters,
            split.scores,
            reference,
            probe.split_examples,
            probe.split_layer,
        ),
        "layer_accuracy": figures.layer_accuracy_plot(
            plots_dir / "layer_accuracy.png", layers, probe.accuracy_threshold, folds_text
        ),
    }
    if cifar_features is not None:
        plots["cifar_extremes"] = figures.cifar_extremes(
            plots_dir / "cifar_extremes.png",
            cifar_images,
            cifar_labels,
            cifar_scores,
            list(cifar.classes),
            cifar.examples,
        )
    t = lap("plots", t)

    bouba_max, kiki_min = threshold_margin(corners, rule.threshold_deg)
    metrics: dict[str, float] = {
        "reference/kiki_count": int(reference.sum()),
        "reference/bouba_max_deg": bouba_max,
        "reference/kiki_min_deg": kiki_min,
        "conv/parameters_counted": conv.counted,
        "conv/parameters_formula": conv.formula,
        "net/parameters": total_parameters,
        "split/agreement": split.agreement,
        "probe/earliest_block": BLOCKS.index(earliest.layer) if earliest else -1,
    }
    if generator_labels is not None:
        metrics["reference/generator_agreement"] = float(np.mean(reference == generator_labels))
    for s in cifar_summary or []:
        metrics |= {
            f"cifar/{s.name}/score_mean": s.mean,
            f"cifar/{s.name}/score_std": s.std,
            f"cifar/{s.name}/kiki_fraction": s.kiki_fraction,
        }
    if cifar_prob is not None:
        pair = f"{cifar.classes[1]}_above_{cifar.classes[0]}"
        metrics[f"cifar/p_{pair}"] = cifar_prob
        metrics[f"cifar/p_{pair}_supervised_axis"] = cifar_prob_supervised
    for r in layers:
        metrics |= {
            f"probe/{r.layer}/acc": r.mean,
            f"probe/{r.layer}/acc_std": r.std,
            f"probe/{r.layer}/kmeans_agreement": kmeans_agreement[r.layer],
        }
    timings["total"] = (time.perf_counter() - started, time.process_time() - cpu_started)
    findings = ProbeFindings(
        data_source=data_source,
        image_count=len(images),
        image_shape=tuple(images.shape[1:]),
        weights_source=loaded.source,
        missing_head_keys=loaded.missing_head_keys,
        input_size=probe.input_size,
        rule_threshold=rule.threshold_deg,
        rule_arc_px=rule.arc_px,
        kiki_count=int(reference.sum()),
        bouba_max_deg=bouba_max,
        kiki_min_deg=kiki_min,
        generator_agreement=metrics.get("reference/generator_agreement"),
        conv=conv,
        total_parameters=total_parameters,
        split_layer=probe.split_layer,
        split_agreement=split.agreement,
        cifar=cifar_summary,
        cifar_prob_second_higher=cifar_prob,
        cifar_prob_second_higher_supervised=cifar_prob_supervised,
        axis_half_gap=split.axis.half_gap,
        layers=layers,
        kmeans_agreement=kmeans_agreement,
        probe_threshold=probe.accuracy_threshold,
        probe_folds=folds_text,
        earliest_layer=earliest.layer if earliest else None,
        timings_s=dict(timings),
        plots={k: str(p.relative_to(output_dir)) for k, p in plots.items()},
    )
    report = write_report(output_dir / "report.md", findings)

    with run_logger_from_config(cfg, job_type="probe") as logger:
        logger.log_metrics(metrics, step=0)
        for name, path in plots.items():
            logger.log_image(f"plots/{name}", path)
        logger.log_table(
            "probe/layers",
            ["block", "features", "accuracy", "std", "k-means agreement"],
            [[r.layer, r.dims, r.mean, r.std, kmeans_agreement[r.layer]] for r in layers],
        )
        logger.log_summary({**metrics, "wall_s": timings["total"][0], "cpu_s": timings["total"][1]})

    from labkit.results_table import print_results_table

    shown = {k: v for k, v in metrics.items() if not k.startswith("probe/features.")}
    print_results_table(
        f"{cfg.task_name}: MobileNetV3-small on bouba-kiki",
        {
            **shown,
            "earliest block over threshold": earliest.layer if earliest else "none",
            "wall_s (before logging)": timings["total"][0],
            "cpu_s (before logging)": timings["total"][1],
            "report": str(report),
        },
        console=console,
    )
    return metrics

"""Checks of probe.py's config that need nothing but the config (torch-free: before the imports)."""

from __future__ import annotations

from omegaconf import DictConfig

from labkit.errors import ConfigError

# The blocks of torchvision's mobilenet_v3_small().features, in order.
BLOCKS = tuple(f"features.{i}" for i in range(13))


def _must(ok: bool, key: str, value: object, must_be: str, example: str) -> None:
    if not ok:
        raise ConfigError(
            f"{key} must be {must_be}, got {value!r}. "
            f"Fix it in configs/probe.yaml or override it, e.g. {key}={example}"
        )


def _int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def check_probe_config(cfg: DictConfig) -> None:
    """Raise ConfigError for the first probe setting out of range, naming the key and an example."""
    data, rule, probe, cifar = cfg.bouba_kiki, cfg.reference_rule, cfg.probe, cfg.cifar
    _must(
        data.source in ("file", "generated"),
        "bouba_kiki.source",
        data.source,
        "file or generated",
        "generated",
    )
    _must(
        _int(data.generated_count) and data.generated_count >= 2 * probe.folds,
        "bouba_kiki.generated_count",
        data.generated_count,
        f"an integer >= 2 * probe.folds ({2 * probe.folds})",
        "200",
    )
    _must(
        _int(data.generated_size) and data.generated_size >= 32,
        "bouba_kiki.generated_size",
        data.generated_size,
        "an integer >= 32",
        "100",
    )
    _must(
        _num(rule.threshold_deg) and 0 < rule.threshold_deg < 180,
        "reference_rule.threshold_deg",
        rule.threshold_deg,
        "a number of degrees in (0, 180)",
        "60",
    )
    _must(
        _int(rule.arc_px) and rule.arc_px >= 1,
        "reference_rule.arc_px",
        rule.arc_px,
        "an integer >= 1",
        "3",
    )
    _must(
        cfg.weights.source in ("imagenet", "random"),
        "weights.source",
        cfg.weights.source,
        "imagenet or random",
        "imagenet",
    )
    _must(
        probe.device in ("auto", "cpu", "cuda"),
        "probe.device",
        probe.device,
        "auto, cpu or cuda",
        "cpu",
    )
    _must(
        _int(probe.input_size) and probe.input_size >= 32,
        "probe.input_size",
        probe.input_size,
        "an integer >= 32",
        "224",
    )
    _must(
        probe.split_layer in BLOCKS,
        "probe.split_layer",
        probe.split_layer,
        "one of features.0 ... features.12",
        "features.12",
    )
    _must(
        _int(probe.folds) and probe.folds >= 2, "probe.folds", probe.folds, "an integer >= 2", "5"
    )
    _must(
        _int(probe.repeats) and probe.repeats >= 1,
        "probe.repeats",
        probe.repeats,
        "an integer >= 1",
        "2",
    )
    _must(_num(probe.C) and probe.C > 0, "probe.C", probe.C, "a number > 0", "1.0")
    _must(
        _int(probe.pixels_size) and probe.pixels_size >= 1,
        "probe.pixels_size",
        probe.pixels_size,
        "an integer >= 1",
        "56",
    )
    _must(
        _num(probe.alpha) and 0 < probe.alpha < 1,
        "probe.alpha",
        probe.alpha,
        "a number in (0, 1)",
        "0.05",
    )
    _must(
        _num(probe.accuracy_threshold) and 0 < probe.accuracy_threshold <= 1,
        "probe.accuracy_threshold",
        probe.accuracy_threshold,
        "a number in (0, 1]",
        "0.95",
    )
    _must(
        _int(cifar.per_class) and cifar.per_class >= 0,
        "cifar.per_class",
        cifar.per_class,
        "an integer >= 0 (0 = all)",
        "300",
    )
    _must(
        len(cifar.classes) == 2,
        "cifar.classes",
        list(cifar.classes),
        "two CIFAR-10 class names",
        "[frog,airplane]",
    )

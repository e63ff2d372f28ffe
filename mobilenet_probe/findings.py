"""What the probe found: one record that the report formats and the loggers flatten."""

from __future__ import annotations

from dataclasses import dataclass, field

from mobilenet_probe.cifar_scores import ClassScores
from mobilenet_probe.conv_parameters import ConvCount
from mobilenet_probe.layerwise_probe import BaselineComparison, LayerAccuracy
from mobilenet_probe.pixel_baseline import BASELINE_NAME


@dataclass
class ProbeFindings:
    """Everything the report states; the run fills it, and the report only formats it."""

    data_source: str
    image_count: int
    image_shape: tuple[int, int]
    weights_source: str
    missing_head_keys: list[str]
    input_size: int
    rule_threshold: float
    rule_arc_px: int
    kiki_count: int
    bouba_max_deg: float
    kiki_min_deg: float
    generator_agreement: float | None  # rule vs the generator's true labels, when generated
    conv: ConvCount
    total_parameters: int
    split_layer: str
    split_agreement: float
    cifar: list[ClassScores] | None
    cifar_prob_second_higher: float | None  # P(second class scores above the first)
    cifar_prob_second_higher_supervised: float | None  # the same on (d)'s logistic axis
    axis_half_gap: float  # the kiki centre's score (the bouba centre's is minus this)
    layers: list[LayerAccuracy]
    pixels: LayerAccuracy  # (d)'s baseline: the probe on the net's input pixels
    pixels_size: int  # ... shrunk to this square
    comparisons: list[BaselineComparison]  # each of ``layers`` against ``pixels``, same order
    alpha: float  # family-wise level of those comparisons
    C: float  # the probe's inverse L2 strength
    kmeans_agreement: dict[str, float]  # (b)'s unsupervised split run on each block
    probe_threshold: float
    probe_folds: str
    earliest_layer: str | None  # the earliest block reliably better than the pixels
    earliest_over_threshold: str | None  # secondary: the first whose accuracy reaches the threshold
    timings_s: dict[str, tuple[float, float]] = field(default_factory=dict)  # (wall, CPU)
    plots: dict[str, str] = field(default_factory=dict)  # name -> path relative to the run dir

    def metrics(self) -> dict[str, float]:
        """The figures as flat ``name: number`` pairs, for ``metrics.csv`` and W&B."""
        metrics: dict[str, float] = {
            "reference/kiki_count": self.kiki_count,
            "reference/bouba_max_deg": self.bouba_max_deg,
            "reference/kiki_min_deg": self.kiki_min_deg,
            "conv/parameters_counted": self.conv.counted,
            "conv/parameters_formula": self.conv.formula,
            "net/parameters": self.total_parameters,
            "split/agreement": self.split_agreement,
            # (d)'s answer as the block's index (features.<index>), -1 for none.
            "probe/earliest_block": self._index(self.earliest_layer),
            "probe/earliest_block_over_threshold": self._index(self.earliest_over_threshold),
            "probe/alpha": self.alpha,
            f"probe/{BASELINE_NAME}/dims": self.pixels.dims,
            f"probe/{BASELINE_NAME}/acc": self.pixels.mean,
            f"probe/{BASELINE_NAME}/acc_std": self.pixels.std,
            f"probe/{BASELINE_NAME}/acc_low": self.pixels.low,
            f"probe/{BASELINE_NAME}/acc_high": self.pixels.high,
        }
        if self.generator_agreement is not None:
            metrics["reference/generator_agreement"] = self.generator_agreement
        for s in self.cifar or []:
            metrics |= {
                f"cifar/{s.name}/score_mean": s.mean,
                f"cifar/{s.name}/score_std": s.std,
                f"cifar/{s.name}/kiki_fraction": s.kiki_fraction,
            }
        if self.cifar and len(self.cifar) > 1 and self.cifar_prob_second_higher is not None:
            pair = f"{self.cifar[1].name}_above_{self.cifar[0].name}"
            metrics[f"cifar/p_{pair}"] = self.cifar_prob_second_higher
            if self.cifar_prob_second_higher_supervised is not None:
                metrics[f"cifar/p_{pair}_supervised_axis"] = (
                    self.cifar_prob_second_higher_supervised
                )
        for r, c in zip(self.layers, self.comparisons, strict=True):
            metrics |= {
                f"probe/{r.layer}/acc": r.mean,
                f"probe/{r.layer}/acc_std": r.std,
                f"probe/{r.layer}/acc_low": r.low,
                f"probe/{r.layer}/acc_high": r.high,
                f"probe/{r.layer}/gain_over_pixels": c.gain,
                f"probe/{r.layer}/p_over_pixels": c.p_value,
                f"probe/{r.layer}/better_than_pixels": int(c.better),
                f"probe/{r.layer}/kmeans_agreement": self.kmeans_agreement[r.layer],
            }
        return metrics

    def _index(self, layer: str | None) -> int:
        return [r.layer for r in self.layers].index(layer) if layer else -1

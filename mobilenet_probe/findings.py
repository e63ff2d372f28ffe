"""What the probe found: one record that the report formats and the loggers flatten."""

from __future__ import annotations

from dataclasses import dataclass, field

from mobilenet_probe.cifar_scores import ClassScores
from mobilenet_probe.conv_parameters import ConvCount
from mobilenet_probe.layerwise_probe import LayerAccuracy


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
    kmeans_agreement: dict[str, float]  # (b)'s unsupervised split run on each block
    probe_threshold: float
    probe_folds: str
    earliest_layer: str | None
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
            "probe/earliest_block": (
                [r.layer for r in self.layers].index(self.earliest_layer)
                if self.earliest_layer
                else -1
            ),
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
        for r in self.layers:
            metrics |= {
                f"probe/{r.layer}/acc": r.mean,
                f"probe/{r.layer}/acc_std": r.std,
                f"probe/{r.layer}/kmeans_agreement": self.kmeans_agreement[r.layer],
            }
        return metrics

"""scikit-learn baseline: ``python baseline.py`` (LogisticRegression on 2000 MNIST training images).

Prints the test accuracy on all 10000 test images; leaves ``metrics.csv``, a W&B run (offline by
default) and ``plots/test_predictions.png`` in ``outputs/baseline/<time>/``.
"""

import math
from pathlib import Path

import hydra
from omegaconf import DictConfig

from labkit.entry import run_checked, skip_garbage_collection_at_exit
from labkit.help import answer_help
from labkit.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="configs", config_name="baseline")
def main(cfg: DictConfig) -> float:
    metrics = run_checked(
        cfg, entry="baseline", task="numpy_experiments.logistic_regression_baseline.run_baseline"
    )
    return metrics.get("test/acc", math.nan)  # a failed job of a sweep has none


if __name__ == "__main__":
    if not answer_help(Path(__file__).parent / "configs", "baseline"):
        main()
    skip_garbage_collection_at_exit()

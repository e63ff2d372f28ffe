"""scikit-learn baseline: ``python baseline.py`` (LogisticRegression on 2000 MNIST training images).

Prints the test accuracy on all 10000 test images; leaves ``metrics.csv``, a W&B run (offline by
default) and ``plots/test_predictions.png`` in ``outputs/baseline/<time>/``.
"""

import hydra
from omegaconf import DictConfig

from labkit.entry import run_or_explain
from labkit.resolvers import register_resolvers
from numpy_experiments.logistic_regression_baseline import run_baseline

register_resolvers()


@hydra.main(version_base="1.3", config_path="configs", config_name="baseline")
def main(cfg: DictConfig) -> float:
    return run_or_explain(lambda: run_baseline(cfg))["test/acc"]


if __name__ == "__main__":
    main()

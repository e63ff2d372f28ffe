"""Run one NumPy experiment: ``python train_numpy.py experiment=numpy_<name> [key=value ...]``.

The experiments train the from-scratch models of ``numpy_ref`` (no torch anywhere on this path);
``-m`` runs a sweep. Each run leaves ``metrics.csv``, ``plots/*.png``, a W&B run (offline by
default) and, where the experiment has one, ``results.md`` in ``outputs/<task_name>/<time>/``.
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from labkit.entry import run_or_explain
from labkit.resolvers import register_resolvers
from numpy_experiments.experiment_runner import run_experiment

register_resolvers()


@hydra.main(version_base="1.3", config_path="configs", config_name="train_numpy")
def main(cfg: DictConfig) -> float | None:
    metrics = run_or_explain(lambda: run_experiment(cfg, Path(__file__).parent / "configs"))
    # A sweeper optimises the value returned here (configured by `optimized_metric`).
    return metrics.get(cfg.get("optimized_metric") or "")


if __name__ == "__main__":
    main()

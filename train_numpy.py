"""Run one NumPy experiment: ``python train_numpy.py experiment=numpy_<name> [key=value ...]``.

The experiments train the from-scratch models of ``numpy_ref`` (no torch anywhere on this path);
``-m`` runs a sweep. Each run leaves ``metrics.csv``, ``plots/*.png``, a W&B run (offline by
default) and, where the experiment has one, ``results.md`` in ``outputs/<task_name>/<time>/``.
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from labkit.entry import run_checked, skip_garbage_collection_at_exit
from labkit.help import answer_help
from labkit.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="configs", config_name="train_numpy")
def main(cfg: DictConfig) -> float | None:
    metrics = run_checked(
        cfg,
        entry="train_numpy",
        task="numpy_experiments.experiment_runner.run_experiment",
        config_dir=Path(__file__).parent / "configs",
    )
    # A sweeper optimises the value returned here (configured by `optimized_metric`).
    return metrics.get(cfg.get("optimized_metric") or "")


if __name__ == "__main__":
    if not answer_help(Path(__file__).parent / "configs", "train_numpy"):
        main()
    skip_garbage_collection_at_exit()

"""Run one NumPy experiment: ``python train_numpy.py experiment=numpy_<name> [key=value ...]``.

The experiments train the from-scratch models of ``numpy_ref`` (no torch anywhere on this path);
``-m`` runs a sweep. Each run leaves the record a ``train.py`` run leaves, in
``outputs/<task_name>/<time>/``: ``summary.json`` (how it ended, the final figures),
``metrics.csv``, ``plots/*.png``, ``.hydra/`` and a W&B run (offline by default), plus
``results.md`` where the experiment writes one.
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from labkit.entry import run_checked, skip_garbage_collection_at_exit
from labkit.help import answer_help
from labkit.optimized_metric import sweep_value
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
    # A sweeper optimises the value returned here (configured by `optimized_metric`); a failed
    # or diverged job returns None, which Optuna records as a failed trial.
    return sweep_value(metrics, cfg.get("optimized_metric"))


if __name__ == "__main__":
    if not answer_help(Path(__file__).parent / "configs", "train_numpy"):
        main()
    skip_garbage_collection_at_exit()

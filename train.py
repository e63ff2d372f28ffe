"""Train and test one experiment: ``python train.py experiment=<name> [key=value ...]``.

``python train.py --help`` lists the experiments and every config group; ``-m`` runs a sweep.
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from labkit.entry import quiet_known_warnings, run_checked, skip_garbage_collection_at_exit
from labkit.help import answer_help
from labkit.optimized_metric import sweep_value
from labkit.resolvers import register_resolvers

register_resolvers()
quiet_known_warnings()


@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    # torch and Lightning load only once the config has passed its checks.
    metrics = run_checked(cfg, entry="train", task="labkit.training.train")
    # A sweeper optimises the value returned here (configured by `optimized_metric`); a failed
    # or diverged job returns None, which Optuna records as a failed trial.
    return sweep_value(metrics, cfg.get("optimized_metric"))


if __name__ == "__main__":
    if not answer_help(Path(__file__).parent / "configs", "train"):
        main()
    skip_garbage_collection_at_exit()

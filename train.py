"""Train and test one experiment: ``python train.py experiment=<name> [key=value ...]``.

``python train.py --help`` lists the experiments and every config group; ``-m`` runs a sweep.
"""

import hydra
from omegaconf import DictConfig

from labkit.entry import quiet_known_warnings, run_or_explain
from labkit.resolvers import register_resolvers
from labkit.training import train

register_resolvers()
quiet_known_warnings()


@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    metrics = run_or_explain(lambda: train(cfg))
    # A sweeper optimises the value returned here (configured by `optimized_metric`).
    return metrics.get(cfg.get("optimized_metric") or "")


if __name__ == "__main__":
    main()

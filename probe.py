"""MobileNetV3-small probe: ``python probe.py`` (bouba-kiki split, CIFAR-10 frogs vs airplanes,
layerwise linear probe; seed 000 part 3).

A pretrained net, no fine-tuning. Leaves ``report.md`` (answers (a)-(d)), ``plots/*.png``,
``metrics.csv`` and a W&B run (offline by default) in ``outputs/probe/<time>/``.
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from labkit.entry import run_checked, skip_garbage_collection_at_exit
from labkit.help import answer_help
from labkit.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="configs", config_name="probe")
def main(cfg: DictConfig) -> float:
    # torch, torchvision and scikit-learn load only once the config has passed its checks.
    metrics = run_checked(cfg, entry="probe", task="mobilenet_probe.run.run_probe")
    return metrics["split/agreement"]


if __name__ == "__main__":
    if not answer_help(Path(__file__).parent / "configs", "probe"):
        main()
    skip_garbage_collection_at_exit()

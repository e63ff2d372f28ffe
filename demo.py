"""Seed 003's torch loop, measured: ``python demo.py`` (one tiny real run per answer, MNIST).

Cross-entropy of the given prediction, MSE vs cross-entropy gradients, a Softmax before
CrossEntropyLoss, a missing ``loss.backward()`` or ``optimizer.zero_grad()``, Dropout and
BatchNorm in train vs eval mode, a forgotten ``model.eval()``. Plain torch loops, no Lightning.
Leaves ``summary.json`` and ``plots/*.png`` in ``outputs/demo/<time>/``.
"""

import math
from pathlib import Path

import hydra
from omegaconf import DictConfig

from labkit.entry import run_checked, skip_garbage_collection_at_exit
from labkit.help import answer_help
from labkit.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="configs", config_name="demo")
def main(cfg: DictConfig) -> float:
    # torch loads only once the config has passed its checks.
    metrics = run_checked(cfg, entry="demo", task="loop_demos.run.run_demos")
    return metrics.get("p1c/plain/test_acc", math.nan)  # a failed job of a sweep has none


if __name__ == "__main__":
    if not answer_help(Path(__file__).parent / "configs", "demo"):
        main()
    skip_garbage_collection_at_exit()

"""Compose a run's config outside ``@hydra.main`` (tests, benchmarks, notebooks)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from labkit.resolvers import register_resolvers

CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "configs")


def compose_run_config(
    overrides: Sequence[str], output_dir: str | Path, config_name: str = "train", job_num: int = 0
) -> DictConfig:
    """The config ``python <entry>.py <overrides>`` would get, with its run dir at ``output_dir``.

    Hydra's runtime config is set too, so ``${hydra:runtime.output_dir}`` resolves as in a real
    run; ``job_num``: the job's number in a sweep (``hydra.job.num``).
    """
    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name, overrides=list(overrides), return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(output_dir)
        cfg.hydra.job.num = job_num
    HydraConfig.instance().set_config(cfg)
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    return cfg

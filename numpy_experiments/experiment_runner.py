"""Dispatch a composed ``train_numpy.yaml`` config to its experiment's runner function.

An experiment names its runner by dotted path (``runner: numpy_experiments.<module>.run``), so a
new NumPy experiment is a new config plus a function, never a new script.
"""

from __future__ import annotations

from pathlib import Path

from hydra.utils import get_method
from omegaconf import DictConfig

from labkit.config_checks import check_config
from labkit.errors import ConfigError


def available_experiments(config_dir: Path) -> list[str]:
    """Names of the NumPy experiment configs (``configs/experiment/numpy_*.yaml``)."""
    return sorted(p.stem for p in (config_dir / "experiment").glob("numpy_*.yaml"))


def run_experiment(cfg: DictConfig, config_dir: Path) -> dict[str, float]:
    """Check ``cfg``, set the BLAS thread count if asked, call ``cfg.runner(cfg)``."""
    if cfg.get("entry") != "train_numpy" or not cfg.get("runner"):
        raise ConfigError(
            f"{cfg.get('task_name')!r} is not a NumPy experiment. Choose one with "
            f"experiment=<name>: {', '.join(available_experiments(config_dir))} "
            "(torch experiments run with train.py)."
        )
    check_config(cfg)
    try:
        runner = get_method(cfg.runner)
    except Exception as err:  # hydra wraps import and attribute errors alike
        raise ConfigError(f"runner={cfg.runner!r} cannot be imported: {err}") from err
    if cfg.get("threads"):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=cfg.threads):
            return runner(cfg)
    return runner(cfg)

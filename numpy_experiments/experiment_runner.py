"""Dispatch a composed ``train_numpy.yaml`` config to its experiment's runner function.

An experiment names its runner by dotted path (``runner: numpy_experiments.<module>.run``), so a
new NumPy experiment is a new config plus a function, never a new script.
"""

from __future__ import annotations

from pathlib import Path

from hydra.errors import InstantiationException
from hydra.utils import get_method
from omegaconf import DictConfig

from labkit.config_checks import check_config
from labkit.errors import ConfigError, LabkitError
from labkit.run_record import record_end


def available_experiments(config_dir: Path) -> list[str]:
    """Names of the NumPy experiment configs (``configs/experiment/numpy_*.yaml``)."""
    return sorted(p.stem for p in (config_dir / "experiment").glob("numpy_*.yaml"))


def run_experiment(cfg: DictConfig, config_dir: Path) -> dict[str, float]:
    """Check ``cfg``, set the BLAS thread count if asked, call ``cfg.runner(cfg)``.

    A runner leaves summary.json ``finished`` (``labkit.run_record.record_finished``); a run
    that raises leaves it ``failed``, with the error.
    """
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
    try:
        if cfg.get("threads"):
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=cfg.threads):
                return runner(cfg)
        return runner(cfg)
    except Exception as err:
        # As labkit.training records a torch run: a bug too leaves "failed" in summary.json.
        # The entry point records user errors itself (a bad value met while building from the
        # config among them, in its own words), and a signal as "interrupted".
        if not isinstance(err, LabkitError | InstantiationException):
            record_end(Path(cfg.paths.output_dir), "failed", f"{type(err).__name__}: {err}")
        raise

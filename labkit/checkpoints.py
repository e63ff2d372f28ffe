"""Which checkpoint a run starts from, whether it fits the model, and loading its weights alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchmetrics import Metric

from labkit.checkpoint_io import verify_checksum
from labkit.errors import ConfigError


def resume_path(
    ckpt_path: str | None, resume: bool, output_dir: str, train: bool = True
) -> str | None:
    """``ckpt_path`` if given; with ``resume``, the run dir's ``checkpoints/last.ckpt``; else None.

    Without training (``train=false``) there is only a checkpoint to evaluate: ``ckpt_path``.
    The checkpoint returned matches the checksum written with it (``labkit.checkpoint_io``).
    """
    if not train and not ckpt_path:
        raise ConfigError(
            "train=false evaluates a trained model, but no checkpoint was given: add "
            "ckpt_path=<file>, e.g. ckpt_path=outputs/<experiment>/<run>/checkpoints/best.ckpt "
            "(with the experiment and model overrides it was trained with)."
        )
    if ckpt_path:
        if not Path(ckpt_path).is_file():
            raise ConfigError(
                f"ckpt_path={ckpt_path} does not exist. Give the path of a .ckpt file."
            )
        verify_checksum(ckpt_path)
        return ckpt_path
    if not resume:
        return None
    last = Path(output_dir) / "checkpoints" / "last.ckpt"
    if not last.is_file():
        raise ConfigError(
            f"resume=true but {last} does not exist. Resume a run by re-running it in its own run "
            f"dir: python train.py <same overrides> resume=true hydra.run.dir=<that run dir>, "
            f"or start from any checkpoint with ckpt_path=<file>."
        )
    verify_checksum(last)
    return str(last)


def tested_checkpoint(callback: Any, run_dir: str) -> str | None:
    """The best checkpoint of a fit (``callback``: its ModelCheckpoint, or None): a file in ``run_dir``.

    Refuses a path outside the run dir, which only a checkpoint state from another dir can
    hold: testing that file would report another run's weights as this run's.
    """
    best = getattr(callback, "best_model_path", "") or None
    if best is None:
        return None
    inside = Path(best).resolve().is_relative_to(Path(run_dir).resolve())
    if not inside or not Path(best).is_file():
        raise ConfigError(
            f"The best checkpoint of this run should be in {run_dir}/checkpoints, but the "
            f"checkpoint state points at {best}. Test this run's own file with: python train.py "
            f"<overrides> train=false ckpt_path={run_dir}/checkpoints/best.ckpt"
        )
    return best


def checkpoint_position(path: str | Path) -> str | None:
    """Where checkpoint ``path`` stands, e.g. ``"step 24 (epoch 1)"``; None if it is not there."""
    if not Path(path).is_file():
        return None
    try:
        checkpoint = read_checkpoint(str(path))
    except ConfigError:
        return None
    return f"step {checkpoint.get('global_step')} (epoch {checkpoint.get('epoch')})"


def read_checkpoint(path: str) -> dict[str, Any]:
    """The checkpoint's plain data (tensors memory-mapped, not read), or a ConfigError saying why not."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:  # unreadable, truncated, or not a Lightning checkpoint
        raise ConfigError(f"Cannot read checkpoint {path}: {err}") from err


def check_checkpoint_fits(path: str, model: nn.Module) -> None:
    """Raise ConfigError when the checkpoint's weights do not match ``model``'s names and shapes."""
    checkpoint = read_checkpoint(path)
    if "state_dict" not in checkpoint:
        raise ConfigError(f"Cannot read checkpoint {path}: it holds no state_dict.")
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in checkpoint["state_dict"].items()}
    missing, unexpected = (
        sorted(expected.keys() - found.keys()),
        sorted(found.keys() - expected.keys()),
    )
    wrong = sorted(k for k in expected.keys() & found.keys() if expected[k] != found[k])
    if missing or unexpected or wrong:
        details = []
        if missing:
            details.append(f"missing {missing[:5]}")
        if unexpected:
            details.append(f"unexpected {unexpected[:5]}")
        if wrong:
            details += [f"{k}: checkpoint {found[k]} vs model {expected[k]}" for k in wrong[:5]]
        raise ConfigError(
            f"Checkpoint {path} was saved by a different model ({'; '.join(details)}). "
            f"Use the experiment and model overrides it was trained with, or another checkpoint."
        )


def load_weights(path: str, model: nn.Module) -> None:
    """Copy the checkpoint's weights into ``model``, and nothing else.

    The state of the module's metrics (e.g. the best validation accuracy so far) stays that of
    ``model``: a new run started from these weights keeps its own record.
    """
    metrics = [name for name, m in model.named_modules() if isinstance(m, Metric)]
    is_metric = lambda key: any(key.startswith(f"{name}.") for name in metrics)
    weights = {k: v for k, v in read_checkpoint(path)["state_dict"].items() if not is_metric(k)}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    left_out = [k for k in missing if not is_metric(k)]
    if left_out or unexpected:  # check_checkpoint_fits catches these first, with more detail
        raise ConfigError(f"Checkpoint {path} does not fit the model: {left_out or unexpected}.")

"""Which checkpoint a run resumes from, and whether it fits the model before Lightning loads it."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from labkit.errors import ConfigError


def resume_path(ckpt_path: str | None, resume: bool, output_dir: str) -> str | None:
    """``ckpt_path`` if given; with ``resume``, the run dir's ``checkpoints/last.ckpt``; else None."""
    if ckpt_path:
        if not Path(ckpt_path).is_file():
            raise ConfigError(
                f"ckpt_path={ckpt_path} does not exist. Give the path of a .ckpt file."
            )
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
    return str(last)


def check_checkpoint_fits(path: str, model: nn.Module) -> None:
    """Raise ConfigError when the checkpoint's weights do not match ``model``'s names and shapes."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    except Exception as err:  # unreadable, truncated, or not a Lightning checkpoint
        raise ConfigError(f"Cannot read checkpoint {path}: {err}") from err
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
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

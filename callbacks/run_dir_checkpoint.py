"""Lightning's ModelCheckpoint with its paths kept relative to the checkpoint folder in checkpoints.

Lightning stores absolute paths in the callback's state and, when a resumed run's folder differs
from the stored one, drops the best score: after ``mv run_a run_b`` and a resume, the next
validation overwrote ``best.ckpt`` with a worse epoch, and the final test loaded ``run_a``'s file
(or failed when it was gone). Stored relative, the state means the same wherever the run dir is.
"""

from __future__ import annotations

import os
from typing import Any

from pytorch_lightning.callbacks import ModelCheckpoint

_PATH_KEYS = ("best_model_path", "kth_best_model_path", "last_model_path")


class RunDirCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` (same arguments) whose saved state survives a moved or copied run dir."""

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["dirpath"] = "."
        for key in _PATH_KEYS:
            state[key] = self._relative(state.get(key))
        state["best_k_models"] = {self._relative(k): v for k, v in state["best_k_models"].items()}
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        old_dir = state_dict.get("dirpath", self.dirpath)
        state = {**state_dict, "dirpath": self.dirpath}
        for key in _PATH_KEYS:
            if key in state:
                state[key] = self._rebased(state[key], old_dir)
        if "best_k_models" in state:
            models = state["best_k_models"]
            state["best_k_models"] = {self._rebased(k, old_dir): v for k, v in models.items()}
        super().load_state_dict(state)

    def _relative(self, path: str | None) -> str | None:
        if not path or not self.dirpath or not os.path.isabs(path):
            return path
        return os.path.relpath(path, self.dirpath)

    def _rebased(self, path: str | None, old_dir: str | None) -> str | None:
        """``path`` (relative to ``old_dir``, or absolute inside it) as a path in ``self.dirpath``."""
        if not path or not self.dirpath:
            return path
        if os.path.isabs(path):
            if not old_dir or old_dir == "." or os.path.commonpath([path, old_dir]) != old_dir:
                return path  # outside the run's checkpoint folder: not this run's file
            path = os.path.relpath(path, old_dir)
        return os.path.join(self.dirpath, path)

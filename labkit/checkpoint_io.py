"""Checkpoint files written in place atomically, each with a SHA-256 beside it that is checked on load.

Lightning's own writer builds the file in a temporary location and copies it across filesystems,
so a full disk left a truncated ``last.ckpt`` under its real name. Here the bytes go to a part
file in the checkpoint's own folder and are renamed into place (``labkit.atomic_files``); then
``<name>.sha256`` (``sha256sum`` format: ``sha256sum -c last.ckpt.sha256`` checks it by hand)
is written the same way. A checkpoint whose bytes no longer match is refused before a resume or
an evaluation, naming the other checkpoint of the run that is still intact.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import torch
from pytorch_lightning.plugins.io import TorchCheckpointIO

from labkit.atomic_files import write_bytes, write_text
from labkit.errors import ConfigError

CHECKSUM_SUFFIX = ".sha256"
_CHUNK = 1 << 20


def checksum_path(path: str | Path) -> Path:
    """``<path>.sha256``: where the checksum of checkpoint ``path`` is kept."""
    path = Path(path)
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def recorded_checksum(path: str | Path) -> str | None:
    """The SHA-256 written beside checkpoint ``path``, or None if it has none (made elsewhere)."""
    sidecar = checksum_path(path)
    if not sidecar.is_file():
        return None
    fields = sidecar.read_text().split()
    return fields[0] if fields else ""


def is_intact(path: str | Path) -> bool:
    """Whether ``path`` exists and matches its recorded checksum (or has none to match)."""
    if not Path(path).is_file():
        return False
    recorded = recorded_checksum(path)
    return recorded is None or recorded == sha256_of(path)


def verify_checksum(path: str | Path) -> None:
    """Raise ConfigError when checkpoint ``path`` does not match the checksum written with it.

    A checkpoint without a ``.sha256`` beside it (from another tool, or an older labkit) passes:
    there is nothing to compare.
    """
    recorded = recorded_checksum(path)
    if recorded is None:
        return
    actual = sha256_of(path)
    if actual == recorded:
        return
    others = sorted(p for p in Path(path).parent.glob("*.ckpt") if p.name != Path(path).name)
    intact = [p for p in others if is_intact(p)]
    if intact:
        other = (
            f"{intact[0]} is intact: start a new run from its weights with ckpt_path={intact[0]}, "
            f"or evaluate it with train=false ckpt_path={intact[0]}."
        )
    else:
        other = "The run has no other intact checkpoint."
    raise ConfigError(
        f"Checkpoint {path} is corrupt: its SHA-256 is {actual[:16]}..., but "
        f"{checksum_path(path).name} recorded {recorded[:16]}... when it was written. {other}"
    )


class ChecksummedCheckpointIO(TorchCheckpointIO):
    """Lightning's ``torch.save`` checkpoints, renamed into place and checksummed (see the module).

    Give it to the Trainer as a plugin: ``Trainer(plugins=[ChecksummedCheckpointIO()])``.
    """

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError("ChecksummedCheckpointIO.save_checkpoint takes no storage_options.")
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        data = buffer.getvalue()
        write_bytes(path, data)
        write_text(checksum_path(path), f"{hashlib.sha256(data).hexdigest()}  {Path(path).name}\n")

    def load_checkpoint(self, path: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        verify_checksum(path)
        return super().load_checkpoint(path, *args, **kwargs)

    def remove_checkpoint(self, path: Any) -> None:
        super().remove_checkpoint(path)
        checksum_path(path).unlink(missing_ok=True)

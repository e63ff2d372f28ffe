"""A MobileNetV3-small with ImageNet weights, from a local file offline or torchvision online.

Where the weights come from, first found wins: the config's ``weights.path``; the file named by
``LABKIT_WEIGHTS``; a known file name inside ``LABKIT_WEIGHTS_DIR`` (the Makefile points it at
``../shared/weights``); torchvision's own cache or download of ``IMAGENET1K_V1``. A backbone-only
state dict (``features.*`` without the ``classifier.*`` head) is accepted: the probe never runs the
head, and only ``classifier.*`` keys may be missing. Anything else, one clear error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torchvision.models import MobileNet_V3_Small_Weights

from labkit.errors import ConfigError, DataError
from nets.mobilenet_v3_small import MobileNetV3Small

WEIGHTS = MobileNet_V3_Small_Weights.IMAGENET1K_V1
# The backbone re-saved without its head (../shared/weights), then torchvision's own file name.
KNOWN_FILE_NAMES = ("mobilenet_v3_small_imagenet1k_v1_features.pth", Path(WEIGHTS.url).name)
HEAD_PREFIX = "classifier."
SOURCES = ("imagenet", "random")


@dataclass
class LoadedNet:
    """The net in eval mode, where its weights came from, and the head keys the file lacked."""

    net: MobileNetV3Small
    source: str
    missing_head_keys: list[str] = field(default_factory=list)
    # The input normalisation the weights were trained with (ImageNet's mean and std).
    mean: tuple[float, ...] = tuple(WEIGHTS.transforms().mean)
    std: tuple[float, ...] = tuple(WEIGHTS.transforms().std)


def candidate_files(config_path: str | None) -> list[Path]:
    """Local files to try, in order: config, ``LABKIT_WEIGHTS``, ``LABKIT_WEIGHTS_DIR/<known>``."""
    candidates = []
    if config_path:
        candidates.append(Path(config_path).expanduser())
    if os.environ.get("LABKIT_WEIGHTS"):
        candidates.append(Path(os.environ["LABKIT_WEIGHTS"]).expanduser())
    if os.environ.get("LABKIT_WEIGHTS_DIR"):
        folder = Path(os.environ["LABKIT_WEIGHTS_DIR"]).expanduser()
        candidates += [folder / name for name in KNOWN_FILE_NAMES]
    hub = Path(torch.hub.get_dir()) / "checkpoints" / Path(WEIGHTS.url).name
    return [*candidates, hub]


def load_mobilenet_v3_small(source: str = "imagenet", path: str | None = None) -> LoadedNet:
    """MobileNetV3-small (``nets.mobilenet_v3_small``) in eval mode: ``source="imagenet"``
    (pretrained) or ``"random"`` (tests).

    Raises ConfigError for an unknown ``source`` or a ``path`` that does not exist, DataError for
    weights that are not found or belong to another architecture.
    """
    if source not in SOURCES:
        raise ConfigError(f"weights.source must be one of {SOURCES}, got {source!r}.")
    if path and not Path(path).expanduser().is_file():
        raise ConfigError(
            f"weights.path={path} does not exist. Fix: point it at a MobileNetV3-small state dict "
            f"(e.g. ../shared/weights/{KNOWN_FILE_NAMES[0]}) or leave it null."
        )
    with torch.random.fork_rng(devices=[]):  # the random net is the same in every run
        torch.manual_seed(0)
        net = MobileNetV3Small()
    if source == "random":
        return LoadedNet(net.eval(), "random initialisation (no pretrained weights)")
    tried = candidate_files(path)
    for candidate in tried:
        if candidate.is_file():
            missing = load_state_dict_checked(net, _read_state_dict(candidate), str(candidate))
            return LoadedNet(net.eval(), str(candidate), missing)
    try:  # online: torchvision downloads into its cache (the last candidate above)
        state = WEIGHTS.get_state_dict(progress=False, check_hash=True)
    except Exception as err:  # offline, proxy, bad hash: one message with every path looked at
        raise DataError(
            "MobileNetV3-small ImageNet weights not found. Looked for:\n  "
            + "\n  ".join(str(c) for c in tried)
            + f"\ndownload from {WEIGHTS.url} failed: {err}.\n"
            f"Fix: connect to the internet, or set LABKIT_WEIGHTS=<file.pth> (or weights.path=) to "
            f"a MobileNetV3-small state dict, e.g. ../shared/weights/{KNOWN_FILE_NAMES[0]}."
        ) from err
    missing = load_state_dict_checked(net, state, f"torchvision {WEIGHTS}")
    return LoadedNet(net.eval(), f"torchvision {WEIGHTS} ({WEIGHTS.url})", missing)


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # not a torch file, truncated, pickled code
        raise DataError(
            f"Cannot read {path} as a torch state dict: {err}. Fix: point weights.path or "
            "LABKIT_WEIGHTS at a MobileNetV3-small state dict saved with torch.save."
        ) from err
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # a checkpoint that wraps the weights
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise DataError(f"{path} is not a state dict (name -> tensor) of MobileNetV3-small.")
    return state


def load_state_dict_checked(
    net: nn.Module, state: dict[str, torch.Tensor], where: str
) -> list[str]:
    """Load ``state`` into ``net``; returns the missing keys, which may only be ``classifier.*``.

    Raises DataError naming the first keys or shapes that do not fit: another architecture.
    """
    expected = net.state_dict()
    unexpected = sorted(set(state) - set(expected))
    missing = sorted(set(expected) - set(state))
    wrong_shape = [
        f"{k}: {tuple(state[k].shape)} instead of {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    missing_body = [k for k in missing if not k.startswith(HEAD_PREFIX)]
    if unexpected or missing_body or wrong_shape:
        details = []
        if missing_body:
            details.append(f"missing {len(missing_body)} keys, e.g. {missing_body[:3]}")
        if unexpected:
            details.append(f"{len(unexpected)} unknown keys, e.g. {unexpected[:3]}")
        if wrong_shape:
            details.append(f"{len(wrong_shape)} tensors of another shape, e.g. {wrong_shape[:2]}")
        raise DataError(
            f"{where} is not a MobileNetV3-small state dict ({'; '.join(details)}). Expected "
            f"torchvision's mobilenet_v3_small keys (features.0.0.weight ...); only the "
            f"{HEAD_PREFIX}* head may be missing. Fix: use {WEIGHTS.url} or "
            f"../shared/weights/{KNOWN_FILE_NAMES[0]}."
        )
    net.load_state_dict(state, strict=False)
    return missing

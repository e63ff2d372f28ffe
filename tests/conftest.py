"""Shared fixtures: tiny IDX datasets on disk and the real Hydra config composed around them."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from labkit.compose import CONFIG_DIR, compose_run_config
from tests.helpers.idx_writer import write_tiny_dataset

__all__ = ["CONFIG_DIR"]
LABKIT_DATA = os.environ.get("LABKIT_DATA")


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="LABKIT_DATA is not set (real datasets not on this machine)")
    for item in items:
        if "real_data" in item.keywords and not LABKIT_DATA:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _offline_wandb(monkeypatch):
    """No test may reach W&B's servers or prompt for a login."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails at once, as on a machine without internet."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="session")
def tiny_data_root(tmp_path_factory) -> Path:
    """A read-only-style folder with tiny MNIST and FashionMNIST in torchvision's layout."""
    root = tmp_path_factory.mktemp("labkit_data")
    write_tiny_dataset(root, "MNIST", seed=0, compress=True)
    write_tiny_dataset(root, "FashionMNIST", seed=1)
    return root


@pytest.fixture
def make_cfg(tmp_path, tiny_data_root) -> Callable[..., DictConfig]:
    """Compose ``train.yaml`` with overrides, its run dir in tmp_path and data from tiny files."""

    def _make(
        *overrides: str, config_name: str = "train", tiny: bool = True, run_dir: str = "run"
    ) -> DictConfig:
        base = [f"paths.data_dir={tmp_path / 'cache'}"]
        if tiny:
            base += [
                f"paths.labkit_data={tiny_data_root}",
                "data.val_size=100",
                "data.eval_batch_size=100",
                "data.batch_size=32",
            ]
        return compose_run_config([*base, *overrides], tmp_path / run_dir, config_name)

    yield _make
    GlobalHydra.instance().clear()

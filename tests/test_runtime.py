"""labkit.runtime: the per-step NVML probe is switched off only where there is no GPU."""

import os

import torch

from labkit import runtime


def test_nvml_check_is_dropped_without_gpus(monkeypatch):
    monkeypatch.setenv(runtime.NVML_CHECK_VAR, "1")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    runtime.skip_gpu_probe_without_gpus()
    assert runtime.NVML_CHECK_VAR not in os.environ


def test_nvml_check_stays_where_a_gpu_could_be_forked_over(monkeypatch):
    monkeypatch.setenv(runtime.NVML_CHECK_VAR, "1")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    runtime.skip_gpu_probe_without_gpus()
    assert os.environ[runtime.NVML_CHECK_VAR] == "1"

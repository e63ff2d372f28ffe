"""NumpyParityCallback during real runs: it only observes, logs its errors, and catches real bugs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import numpy_ref
from callbacks.numpy_parity import NumpyParityCallback, NumpyParityError
from labkit.errors import ConfigError
from labkit.training import train

# 16 batches per epoch of the tiny data: 32 optimizer steps in 2 epochs.
TINY = (
    "trainer.max_epochs=2",
    "trainer.log_every_n_steps=1",
    "callbacks.progress_bar=null",
    "logger=csv",
)
PARITY = ("+callbacks/numpy_parity=default", "callbacks.numpy_parity.every_n_steps=4")
# Two hidden layers of one width, so a square weight can hide a transposed gradient.
SQUARE = "model.net.hidden_sizes=[16,16]"


def _rows(run: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((run / "metrics.csv").open()))


def test_a_run_with_the_check_gives_bit_identical_metrics_and_logs_its_errors(make_cfg, tmp_path):
    plain = train(make_cfg(*TINY, run_dir="plain"))
    checked = train(make_cfg(*TINY, *PARITY, run_dir="checked"))
    assert checked == plain
    rows = _rows(tmp_path / "checked")
    without_parity = [{k: v for k, v in row.items() if not k.startswith("parity/")} for row in rows]
    training_rows = [row for row in without_parity if any(row[k] for k in row if k != "step")]
    assert training_rows == [
        r for r in _rows(tmp_path / "plain") if any(v for k, v in r.items() if k != "step")
    ]
    checks = [row for row in rows if row.get("parity/max")]
    # A check every 4 of the 32 optimizer steps, each on the row of its batch's train/loss.
    check_steps = [int(row["step"]) for row in checks]
    assert check_steps == list(range(0, 32, 4))
    loss_steps = {int(row["step"]) for row in rows if row.get("train/loss")}
    assert loss_steps == set(range(32)) and set(check_steps) <= loss_steps
    for row in checks:
        errors = {k: float(v) for k, v in row.items() if k.startswith("parity/") and v}
        assert {"parity/logits", "parity/loss", "parity/grad/layers.0.weight"} <= set(errors)
        assert max(errors.values()) < 1e-12, errors


def _transposed_weight_gradient(self, grad_out):
    """Linear.backward with ∂L/∂W transposed (only visible, and storable, in a square layer)."""
    grad_w = grad_out.T @ self._x
    self.grads["weight"][...] = grad_w.T if grad_w.shape[0] == grad_w.shape[1] else grad_w
    if "bias" in self.params:
        self.grads["bias"][...] = grad_out.sum(axis=0)
    return grad_out @ self.params["weight"]


def _relu_mask_from_the_gradient(self, grad_out):
    """ReLU.backward masking with the upstream gradient's sign instead of the forward output's."""
    return np.where(grad_out > 0, grad_out, 0)


@pytest.mark.parametrize(
    ("layer", "broken", "named"),
    [
        (
            numpy_ref.Linear,
            _transposed_weight_gradient,
            "layer layers.2 (Linear): grad/layers.2.weight",
        ),
        (numpy_ref.ReLU, _relu_mask_from_the_gradient, "layer layers.3 (ReLU): input gradient"),
    ],
)
def test_a_broken_backward_stops_the_run_at_the_first_check_naming_its_layer(
    make_cfg, monkeypatch, layer, broken, named
):
    monkeypatch.setattr(layer, "backward", broken)
    with pytest.raises(NumpyParityError, match="step 0: ") as err:
        train(make_cfg(*TINY, *PARITY, SQUARE))
    assert named in str(err.value)


def test_warn_mode_reports_the_breach_and_lets_the_run_finish(make_cfg, monkeypatch):
    monkeypatch.setattr(numpy_ref.ReLU, "backward", _relu_mask_from_the_gradient)
    with pytest.warns(UserWarning, match=r"layers\.3 \(ReLU\)"):
        metrics = train(make_cfg(*TINY, *PARITY, SQUARE, "callbacks.numpy_parity.on_breach=warn"))
    assert "test/acc" in metrics


@pytest.mark.parametrize(
    "kwargs", [{"every_n_steps": 0}, {"tolerance": 0.0}, {"on_breach": "ignore"}]
)
def test_bad_settings_are_named(kwargs):
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        NumpyParityCallback(**kwargs)


def test_a_net_without_a_twin_is_refused_at_fit_start_with_the_supported_layers(make_cfg):
    with pytest.raises(ConfigError, match=r"layers\.1 \(GELU\).*Linear, Conv2d, MaxPool2d"):
        train(make_cfg(*TINY, *PARITY, "model.net.activation=gelu"))


class _RankZeroSays:
    """A DDP strategy stub: what rank zero broadcasts."""

    def __init__(self, message):
        self.message, self.calls = message, 0

    def broadcast(self, obj, src=0):
        assert src == 0 and obj is None, "only rank zero checks; others send nothing"
        self.calls += 1
        return self.message


@pytest.mark.parametrize("message", [None, "step 0: NumPy twin differs from torch at layer x"])
def test_under_ddp_other_ranks_only_follow_rank_zeros_verdict(message):
    from types import SimpleNamespace

    import torch

    strategy = _RankZeroSays(message)
    trainer = SimpleNamespace(
        global_step=0, is_global_zero=False, world_size=2, strategy=strategy, loggers=[]
    )
    batch = (torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long))
    callback = NumpyParityCallback(every_n_steps=1)
    # pl_module=None: a rank that tried to check would fail on it.
    if message is None:
        callback.on_train_batch_start(trainer, None, batch, 0)
    else:
        with pytest.raises(NumpyParityError, match="layer x"):
            callback.on_train_batch_start(trainer, None, batch, 0)
    assert strategy.calls == 1 and callback.history == []

"""The probe's torch parts: weights loading and its messages, (a)'s count, one-pass features, (d)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.models import mobilenet_v3_small

from labkit.errors import ConfigError, DataError
from mobilenet_probe.conv_parameters import conv_parameter_count
from mobilenet_probe.layer_features import pooled_layer_features, to_net_input
from mobilenet_probe.layerwise_probe import earliest_layer_over, probe_layers
from mobilenet_probe.mobilenet_weights import load_mobilenet_v3_small
from mobilenet_probe.probe_config import BLOCKS

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@pytest.fixture
def no_local_weights(monkeypatch, tmp_path):
    """No weights file anywhere the loader looks, as on a fresh offline machine."""
    monkeypatch.delenv("LABKIT_WEIGHTS", raising=False)
    monkeypatch.delenv("LABKIT_WEIGHTS_DIR", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))


def _state(**changes):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        state = mobilenet_v3_small().state_dict()
    state.update(changes)
    return state


def test_a_backbone_only_file_loads_and_reports_just_the_head_keys(tmp_path, no_local_weights):
    state = {k: v for k, v in _state().items() if not k.startswith("classifier.")}
    torch.save(state, tmp_path / "backbone.pth")
    loaded = load_mobilenet_v3_small("imagenet", str(tmp_path / "backbone.pth"))
    assert loaded.missing_head_keys == [
        "classifier.0.bias",
        "classifier.0.weight",
        "classifier.3.bias",
        "classifier.3.weight",
    ]
    torch.testing.assert_close(loaded.net.features[0][0].weight, state["features.0.0.weight"])
    assert not loaded.net.training


def test_labkit_weights_env_names_the_file(tmp_path, monkeypatch, no_local_weights):
    torch.save(_state(), tmp_path / "full.pth")
    monkeypatch.setenv("LABKIT_WEIGHTS", str(tmp_path / "full.pth"))
    loaded = load_mobilenet_v3_small("imagenet")
    assert loaded.source == str(tmp_path / "full.pth") and loaded.missing_head_keys == []


@pytest.mark.parametrize(
    ("make_state", "message"),
    [
        (lambda: _state(**{"features.0.0.weight": torch.zeros(8, 3, 3, 3)}), "of another shape"),
        (
            lambda: {k: v for k, v in _state().items() if k != "features.3.block.0.0.weight"},
            "missing 1 keys, e.g. ['features.3.block.0.0.weight']",
        ),
        (lambda: {"conv1.weight": torch.zeros(64, 3, 7, 7)}, "unknown keys"),
    ],
)
def test_a_state_dict_of_another_architecture_is_refused(
    tmp_path, no_local_weights, make_state, message
):
    torch.save(make_state(), tmp_path / "other.pth")
    with pytest.raises(DataError, match="is not a MobileNetV3-small state dict") as err:
        load_mobilenet_v3_small("imagenet", str(tmp_path / "other.pth"))
    assert message in str(err.value)


def test_missing_weights_offline_name_every_place_looked(
    tmp_path, monkeypatch, no_local_weights, no_network
):
    monkeypatch.setenv("LABKIT_WEIGHTS_DIR", str(tmp_path / "weights"))
    with pytest.raises(DataError) as err:
        load_mobilenet_v3_small("imagenet")
    text = str(err.value)
    assert str(tmp_path / "weights" / "mobilenet_v3_small_imagenet1k_v1_features.pth") in text
    assert str(tmp_path / "torch_home") in text
    assert "download from https://download.pytorch.org" in text and "LABKIT_WEIGHTS=" in text
    with pytest.raises(ConfigError, match="weights.path=.* does not exist"):
        load_mobilenet_v3_small("imagenet", str(tmp_path / "nope.pth"))


def test_conv_parameter_counts_match_the_formula_for_plain_depthwise_and_biased_convs():
    net = mobilenet_v3_small()
    stem = conv_parameter_count(net, "features.0.0")
    assert (stem.counted, stem.formula, stem.has_bias) == (432, 432, False)  # 3*16*3*3
    depthwise = conv_parameter_count(net, "features.1.block.0.0")
    assert depthwise.groups == 16 and depthwise.counted == depthwise.formula == 16 * 3 * 3
    squeeze = conv_parameter_count(net, "features.1.block.1.fc1")  # 1x1 conv with a bias
    assert squeeze.has_bias and squeeze.counted == squeeze.formula == 16 * 8 + 8
    with pytest.raises(ConfigError, match="is a BatchNorm2d, expected a Conv2d"):
        conv_parameter_count(net, "features.0.1")


def test_one_pass_features_equal_each_block_run_on_its_own():
    net = load_mobilenet_v3_small("random").net
    images = np.random.default_rng(0).choice(np.array([0, 255], np.uint8), (5, 40, 40))
    calls = []
    net.features[0].register_forward_hook(lambda *args: calls.append(1))
    features = pooled_layer_features(net, images, BLOCKS, size=64, mean=MEAN, std=STD, batch_size=2)
    assert len(calls) == 3, "the first block ran more than once per batch"
    with torch.inference_mode():
        x = to_net_input(images, 64, MEAN, STD)
        for i, block in enumerate(net.features):
            x = block(x)
            np.testing.assert_allclose(
                features[f"features.{i}"], x.mean(dim=(2, 3)).numpy(), rtol=1e-4, atol=1e-5
            )


def _hooked_layer_features(net, images, layers, *, size, batch_size):
    """The probe's features as they were computed before ``forward_intermediates``: a forward
    hook on each block of torchvision's net keeps its output averaged over space."""
    indices = sorted({BLOCKS.index(name) for name in layers})
    blocks = net.features[: indices[-1] + 1].to(memory_format=torch.channels_last)
    pooled = {i: [] for i in indices}
    hooks = [
        blocks[i].register_forward_hook(
            lambda _module, _inputs, output, i=i: pooled[i].append(output.mean(dim=(2, 3)))
        )
        for i in indices
    ]
    try:
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                blocks(to_net_input(images[start : start + batch_size], size, MEAN, STD))
    finally:
        for hook in hooks:
            hook.remove()
    return {BLOCKS[i]: torch.cat(pooled[i]).numpy() for i in indices}


@pytest.mark.parametrize("layers", [BLOCKS, ("features.9", "features.2", "features.9")])
def test_block_features_are_bit_identical_to_the_forward_hooks_ones(layers):
    torchvision_net = mobilenet_v3_small().eval()
    with torch.no_grad():  # BatchNorm statistics as trained weights have them, not 0 and 1
        for module in torchvision_net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    net = load_mobilenet_v3_small("random").net
    net.load_state_dict(torchvision_net.state_dict())
    images = np.random.default_rng(1).integers(0, 256, (5, 48, 48, 3), dtype=np.uint8)
    expected = _hooked_layer_features(torchvision_net, images, layers, size=64, batch_size=2)
    features = pooled_layer_features(net, images, layers, size=64, mean=MEAN, std=STD, batch_size=2)
    assert list(features) == list(expected) == sorted(set(layers), key=BLOCKS.index)
    for name, values in expected.items():
        assert features[name].dtype == values.dtype == np.float32
        assert np.array_equal(features[name], values), (
            f"{name}: largest difference {np.abs(features[name] - values).max()}"
        )


def test_a_signal_planted_at_one_block_is_found_there_and_not_before():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 30)
    planted_at = 7
    features = {}
    for i, name in enumerate(BLOCKS):
        x = rng.normal(size=(60, 16))
        if i >= planted_at:
            x[:, 3] += 8.0 * labels  # separable along one feature from this block on
        features[name] = x
    results = probe_layers(features, labels, folds=5, repeats=1)
    earliest = earliest_layer_over(results, 0.95)
    assert earliest is not None and earliest.layer == f"features.{planted_at}", [
        (r.layer, round(r.mean, 3)) for r in results
    ]
    assert all(r.mean < 0.8 for r in results[:planted_at])
    assert all(0 <= r.std < 0.3 and r.folds == 5 for r in results)

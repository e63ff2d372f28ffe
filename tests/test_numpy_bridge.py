"""The torch ↔ NumPy bridge: twins by structure, one name mapping, clear errors on bad input."""

import numpy as np
import pytest
import torch
from torch import nn

import numpy_ref
from nets.mlp import MLP
from numpy_bridge.comparison import compare
from numpy_bridge.twin import (
    SUPPORTED_LAYERS,
    TwinMismatchError,
    UnsupportedLayerError,
    build_twin,
    float64_reference,
    wrap_twin,
)

TOLERANCE = 1e-10


def test_mlp_twin_maps_layers_n_to_n_and_agrees_with_autograd():
    torch.manual_seed(0)
    net = MLP(784, [32, 16], 10)
    twin = build_twin(net)
    assert twin.key_pairs()[:2] == [("0.weight", "layers.0.weight"), ("0.bias", "layers.0.bias")]
    assert [t for _, t in twin.key_pairs()] == [k for k, _ in net.named_parameters()]
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 1, 28, 28)), rng.integers(0, 10, 8)
    result = compare(float64_reference(net), twin, x, targets=y, input_grad=True)
    assert result.culprit(TOLERANCE) is None, result.describe(TOLERANCE)
    assert {"logits", "loss", "grad/input", "grad/layers.4.weight"} <= set(result.errors)


def test_cnn_twin_with_pooling_flatten_and_softmax_agrees_with_autograd():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 5 * 5, 6),
        nn.Sigmoid(),
        nn.Linear(6, 3),
        nn.Softmax(dim=1),
    )
    twin = build_twin(net)
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((5, 1, 10, 10)), rng.standard_normal((5, 3))
    result = compare(float64_reference(net), twin, x, grad_out=g, input_grad=True)
    assert result.culprit(TOLERANCE) is None, result.describe(TOLERANCE)
    assert isinstance(twin.layers[2], numpy_ref.MaxPool2d)


def test_an_unsupported_layer_is_refused_with_the_supported_list():
    net = nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 2))
    with pytest.raises(UnsupportedLayerError) as err:
        build_twin(net)
    message = str(err.value)
    assert "layer 1 (GELU)" in message
    assert all(name in message for name in SUPPORTED_LAYERS)


def test_a_twin_of_other_shapes_names_the_first_differing_tensor():
    net = MLP(20, [8, 6], 3)
    other = numpy_ref.MLP([20, 8, 5, 3])
    with pytest.raises(TwinMismatchError, match=r"layers\.2\.weight.*\(6, 8\).*\(5, 8\)"):
        wrap_twin(net, other)
    twin = build_twin(MLP(20, [8, 5], 3))
    with pytest.raises(TwinMismatchError, match=r"layers\.2\.weight: the net's shape is \(6, 8\)"):
        twin.load_from(net)


def test_weights_round_trip_through_the_one_mapping():
    net = MLP(12, [7], 4)
    numpy_model = numpy_ref.MLP([12, 7, 4], rng=np.random.default_rng(3))
    twin = wrap_twin(net, numpy_model)
    twin.copy_to(net)
    for numpy_key, torch_key in twin.key_pairs():
        np.testing.assert_array_equal(
            numpy_model.params[numpy_key], dict(net.named_parameters())[torch_key].detach().numpy()
        )

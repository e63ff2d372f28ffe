import numpy as np
import pytest
import torch

from numpy_ref.activations import ReLU, Tanh
from numpy_ref.linear import Linear
from numpy_ref.sequential import MLP, Sequential
from tests.helpers.gradcheck import check_layer_gradients, check_torch_parity

TORCH_ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}


def torch_mlp(sizes, activation):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(TORCH_ACTIVATIONS[activation]())
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("sizes", [[3, 2], [5, 8, 3], [10, 16, 12, 4]])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_output_and_all_grads_match_torch(sizes, activation):
    rng = np.random.default_rng(len(sizes))
    mlp = MLP(sizes, activation=activation, dtype=np.float64, rng=rng)
    check_torch_parity(mlp, torch_mlp(sizes, activation), rng.standard_normal((9, sizes[0])), rng)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_mlp_grads_match_finite_differences(activation):
    rng = np.random.default_rng(11)
    mlp = MLP([4, 7, 5, 3], activation=activation, dtype=np.float64, rng=rng)
    check_layer_gradients(mlp, rng.standard_normal((6, 4)), rng)


def test_mlp_state_dict_keys_and_shapes_equal_torch_sequential():
    mlp = MLP([784, 256, 128, 10], rng=np.random.default_rng(0))
    expected = {
        k: tuple(v.shape) for k, v in torch_mlp([784, 256, 128, 10], "relu").state_dict().items()
    }
    assert {k: v.shape for k, v in mlp.state_dict().items()} == expected
    assert list(mlp.state_dict()) == list(expected)  # same order, for optimiser twins


def test_torch_state_dict_converted_with_numpy_loads_and_gives_torch_outputs():
    net = torch_mlp([6, 5, 4], "tanh").double()
    mlp = MLP([6, 5, 4], activation="tanh", dtype=np.float64, rng=np.random.default_rng(1))
    mlp.load_state_dict({k: v.numpy() for k, v in net.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((3, 6))
    np.testing.assert_allclose(
        mlp.forward(x), net(torch.from_numpy(x)).detach().numpy(), atol=1e-12
    )


def test_sequential_backward_runs_layers_in_reverse_order():
    calls = []

    class Recorder(ReLU):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def backward(self, grad_out):
            calls.append(self.tag)
            return super().backward(grad_out)

    net = Sequential(Recorder("a"), Recorder("b"), Recorder("c"))
    net.forward(np.ones((1, 2)))
    net.backward(np.ones((1, 2)))
    assert calls == ["c", "b", "a"]


def test_sequential_parameters_are_the_layers_own_arrays():
    first, last = Linear(3, 4, dtype=np.float64), Linear(4, 2, dtype=np.float64)
    net = Sequential(first, Tanh(), last)
    names = [name for name, _, _ in net.parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert net.params["2.weight"] is last.params["weight"]
    assert net.grads["0.bias"] is first.grads["bias"]
    assert net.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2


def test_sequential_train_eval_reaches_every_layer():
    net = MLP([2, 3, 2])
    net.eval()
    assert not any(layer.training for layer in net.layers)
    net.train()
    assert all(layer.training for layer in net.layers)


def test_mlp_rejects_unknown_activation_listing_valid_names():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; valid names: \['relu'"):
        MLP([3, 4, 2], activation="swish")


def test_mlp_without_input_grad_returns_none_and_the_same_parameter_grads():
    rng = np.random.default_rng(12)
    full = MLP([5, 6, 3], dtype=np.float64, rng=np.random.default_rng(0))
    lean = MLP([5, 6, 3], dtype=np.float64, rng=np.random.default_rng(0), input_grad=False)
    x, grad_out = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    full.forward(x)
    lean.forward(x)
    assert full.backward(grad_out) is not None
    assert lean.backward(grad_out) is None
    for name, grad in full.grads.items():
        np.testing.assert_array_equal(lean.grads[name], grad, err_msg=name)


def test_sequential_rejects_input_grad_off_on_a_middle_layer():
    net = MLP([3, 4, 2], dtype=np.float64)
    net.layers[2].input_grad = False
    net.forward(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"layer 2 Linear.*input_grad=False, but layer 1"):
        net.backward(np.ones((1, 2)))

import numpy as np
import pytest
import torch

from numpy_ref.linear import Linear
from numpy_ref.losses import SoftmaxCrossEntropyLoss
from numpy_ref.optim import SGD, Adam
from numpy_ref.sequential import MLP
from tests.helpers.gradcheck import assert_close

SIZES = [6, 8, 5, 3]
STEPS = 6

CONFIGS = {
    "sgd": (SGD, torch.optim.SGD, {"lr": 0.1}),
    "sgd_weight_decay": (SGD, torch.optim.SGD, {"lr": 0.1, "weight_decay": 0.01}),
    "sgd_momentum": (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    "sgd_momentum_dampening": (
        SGD,
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
    ),
    "sgd_nesterov": (SGD, torch.optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "adam": (Adam, torch.optim.Adam, {"lr": 1e-3}),
    "adam_large_lr": (Adam, torch.optim.Adam, {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    "adam_weight_decay": (Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.05}),
}


def _torch_twin(mlp):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers).double()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in mlp.state_dict().items()})
    return net


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_optimizer_steps_on_mlp_match_torch(config):
    numpy_optimizer, torch_optimizer, kwargs = CONFIGS[config]
    rng = np.random.default_rng(0)
    mlp = MLP(SIZES, dtype=np.float64, rng=rng)
    net = _torch_twin(mlp)
    optimizer = numpy_optimizer(mlp, **kwargs)
    optimizer_t = torch_optimizer(net.parameters(), **kwargs)
    loss = SoftmaxCrossEntropyLoss()
    for step in range(STEPS):
        x = rng.standard_normal((10, SIZES[0]))
        labels = rng.integers(0, SIZES[-1], size=10)
        optimizer.zero_grad()
        value = loss.forward(mlp.forward(x), labels)
        mlp.backward(loss.backward())
        optimizer.step()
        optimizer_t.zero_grad()
        value_t = torch.nn.functional.cross_entropy(
            net(torch.from_numpy(x)), torch.from_numpy(labels)
        )
        value_t.backward()
        optimizer_t.step()
        assert_close(f"loss at step {step}", np.float64(value), value_t)
        for name, param_t in net.named_parameters():
            assert_close(f"{name} after step {step}", mlp.params[name], param_t)


def test_optimizer_updates_parameters_in_place():
    mlp = MLP([3, 4, 2], dtype=np.float64, rng=np.random.default_rng(1))
    arrays = {name: param for name, param, _ in mlp.parameters()}
    before = mlp.state_dict()
    optimizer = Adam(mlp, lr=0.1)
    mlp.backward(np.ones_like(mlp.forward(np.ones((2, 3)))))
    optimizer.step()
    for name, param, _ in mlp.parameters():
        assert param is arrays[name]
        assert not np.array_equal(param, before[name]), f"{name} did not change"


def test_optimizer_accepts_parameter_triples_and_zero_grad_clears_them():
    layer = Linear(3, 2, dtype=np.float64, rng=np.random.default_rng(2))
    optimizer = SGD(list(layer.parameters()), lr=0.5)
    layer.forward(np.ones((1, 3)))
    layer.backward(np.ones((1, 2)))
    weight_before = layer.params["weight"].copy()
    optimizer.step()
    np.testing.assert_allclose(layer.params["weight"], weight_before - 0.5 * np.ones((2, 3)))
    optimizer.zero_grad()
    assert np.all(layer.grads["weight"] == 0) and np.all(layer.grads["bias"] == 0)


def test_adam_keeps_float32_state_and_parameters():
    mlp = MLP([4, 3, 2], rng=np.random.default_rng(3))
    optimizer = Adam(mlp, lr=1e-2)
    out = mlp.forward(np.ones((5, 4), np.float32))
    mlp.backward(np.ones_like(out))
    optimizer.step()
    assert all(p.dtype == np.float32 for _, p, _ in mlp.parameters())
    assert all(m.dtype == np.float32 for m in optimizer.exp_avg + optimizer.exp_avg_sq)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda layer: SGD(layer, lr=0.0), r"learning rate must be > 0, got lr=0.0"),
        (lambda layer: SGD(layer, lr=-1), r"learning rate must be > 0, got lr=-1"),
        (lambda layer: SGD(layer, lr=0.1, momentum=-0.5), r"momentum must be ≥ 0"),
        (lambda layer: SGD(layer, lr=0.1, nesterov=True), r"Nesterov momentum needs momentum > 0"),
        (
            lambda layer: SGD(layer, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
            r"dampening = 0",
        ),
        (
            lambda layer: Adam(layer, lr=0.1, betas=(0.9, 1.0)),
            r"betas must be two numbers in \[0, 1\)",
        ),
        (lambda layer: Adam(layer, lr=0.1, eps=-1e-8), r"eps must be ≥ 0"),
        (lambda layer: Adam([], lr=0.1), r"empty parameter list"),
    ],
)
def test_optimizer_rejects_invalid_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make(Linear(2, 2))


def test_float32_mlp_trained_with_adam_learns_a_nonlinear_rule_and_stays_float32():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, size=(512, 2)).astype(np.float32)
    labels = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # XOR of the signs: not linearly separable
    mlp = MLP([2, 32, 2], rng=rng, input_grad=False)
    optimizer = Adam(mlp, lr=0.01)
    loss = SoftmaxCrossEntropyLoss()
    for step in range(300):
        batch = rng.choice(512, size=64, replace=False)
        logits = mlp.forward(x[batch])
        assert logits.dtype == np.float32, f"logits upcast to {logits.dtype} at step {step}"
        loss.forward(logits, labels[batch])
        grad = loss.backward()
        assert grad.dtype == np.float32
        mlp.backward(grad)
        optimizer.step()
    accuracy = np.mean(np.argmax(mlp.forward(x), axis=1) == labels)
    assert accuracy > 0.95, f"training accuracy {accuracy:.3f}"
    assert all(g.dtype == np.float32 for _, _, g in mlp.parameters())

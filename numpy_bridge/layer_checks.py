"""How far every piece of ``numpy_ref`` is from torch, forward and backward, as flat metrics.

``layer_check_metrics`` runs each piece of the from-scratch NumPy library (layers, activation
functions and their ``grad=True`` derivatives, losses and their gradients, ``MLP``/``Sequential``,
the optimisers, the seed-002 dict MLP and the seed-004 sigmoid net) and its torch counterpart on
the same small seeded random inputs, with the same weights copied into both, and reports the
largest absolute difference of every output and every gradient; torch autograd gives the
reference gradients. Both sides run in float64: float32 rounding alone differs by ~1e-7 between
two correct implementations (a different summation order suffices), which would hide a wrong
term of that size, whereas in float64 correct code agrees to ~1e-15 and any error above ~1e-12
is the implementation's.

Keys are ``check/<piece>/<metric>``: metrics whose name holds ``max_abs`` are errors,
``check/<piece>/init_within_bounds`` is 1.0 or 0.0 (the dict MLP's and the seed-002 conv's init;
the conv's also gives ``init_bound``, torch's xavier_uniform_ bound, and
``init_largest_over_bound``), and ``check/<piece>/where`` names the code
checked (``numpy_ref/<file>.py:<qualname>``, found with ``inspect``). ``check/max_abs_overall`` is
the largest error. ``tests/test_layer_checks.py`` holds them to their tolerances.
"""

from __future__ import annotations

import inspect
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits
from torch import nn

import numpy_ref
from numpy_bridge.optimizer import numpy_optimizer
from numpy_bridge.twin import wrap_twin
from numpy_ref import dict_mlp, sigmoid_net
from numpy_ref.activations import relu, sigmoid, softmax, tanh
from numpy_ref.layer import Layer
from numpy_ref.losses import (
    cross_entropy,
    cross_entropy_grad,
    logistic_loss,
    mse_reconstruction,
    mse_reconstruction_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    stable_logistic_loss,
    stable_logistic_loss_grad,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
OPTIMIZER_STEPS = 5

Metrics = dict[str, float]
Check = Callable[[np.random.Generator], Metrics]


# -- shared helpers
def _max_abs(actual: object, expected: object) -> float:
    """``max |actual - expected|`` over all entries; the shapes must agree (no broadcasting)."""
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"NumPy shape {actual.shape} differs from torch's {expected.shape}")
    return float(np.max(np.abs(actual - expected), initial=0.0))


def _leaf(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=True)


def _where(implementation: object) -> str:
    path = Path(inspect.getsourcefile(implementation)).resolve().relative_to(REPO_ROOT)
    return f"{path.as_posix()}:{implementation.__qualname__}"


def _randomise_biases(layer: Layer, rng: np.random.Generator) -> None:
    # Layers initialise b = 0, which would hide a forward that adds the bias wrongly.
    for name, param, _ in layer.parameters():
        if name.endswith("bias"):
            param[...] = rng.standard_normal(param.shape)


def _torch_mlp(sizes: list[int], activation: type[nn.Module]) -> nn.Sequential:
    """``nn.Sequential(Linear, act, ..., Linear)``: ``numpy_ref.MLP``'s layout and names."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def _layer_check(
    layer: Layer, module: nn.Module, x: np.ndarray, rng: np.random.Generator
) -> Metrics:
    """Output, ``∂L/∂x`` and every ``∂L/∂θ`` of ``layer`` and ``module`` for one random ``∂L/∂y``.

    ``layer``'s weights are copied into the float64 ``module`` through the bridge's twin, which
    also checks that the two have the same layers and parameter shapes.
    """
    module = module.double()
    twin = wrap_twin(module, layer)
    twin.copy_to(module)
    y = layer.forward(x)
    grad_out = rng.standard_normal(y.shape)
    grad_x = layer.backward(grad_out)
    x_t = _leaf(x)
    y_t = module(x_t)
    y_t.backward(torch.from_numpy(grad_out))
    metrics = {
        "forward_max_abs": _max_abs(y, y_t),
        "grad_input_max_abs": _max_abs(grad_x, x_t.grad),
    }
    torch_params = dict(module.named_parameters())
    for key, _, grad in twin.parameters():
        metrics[f"grad_{key.replace('.', '_')}_max_abs"] = _max_abs(grad, torch_params[key].grad)
    return metrics


# -- layers
def _check_linear(rng: np.random.Generator) -> Metrics:
    layer = numpy_ref.Linear(5, 4, dtype=np.float64, rng=rng)
    _randomise_biases(layer, rng)
    return _layer_check(layer, nn.Linear(5, 4), rng.standard_normal((6, 5)), rng)


def _activation_layer_check(kind: type[Layer], module: Callable[[], nn.Module]) -> Check:
    def check(rng: np.random.Generator) -> Metrics:
        return _layer_check(kind(), module(), 3 * rng.standard_normal((6, 5)), rng)

    return check


def _conv2d_check(
    batch: int,
    channels: int,
    size: tuple[int, int],
    filters: int,
    kernel: int | tuple[int, int],
    stride: int | tuple[int, int],
    padding: int | tuple[int, int],
) -> Check:
    def check(rng: np.random.Generator) -> Metrics:
        options = {"stride": stride, "padding": padding}
        layer = numpy_ref.Conv2d(channels, filters, kernel, dtype=np.float64, rng=rng, **options)
        _randomise_biases(layer, rng)
        x = rng.standard_normal((batch, channels, *size))
        return _layer_check(layer, nn.Conv2d(channels, filters, kernel, **options), x, rng)

    return check


def _torch_xavier_bound(shape: tuple[int, ...]) -> float:
    """The ``a`` of torch's ``xavier_uniform_`` draw ``U(-a, a)`` for a tensor of ``shape``.

    Read back from a draw, not from torch's fan computation: with the same generator state the
    draw is ``-a + 2a u`` for torch's own uniform ``u``.
    """
    generator = torch.Generator().manual_seed(0)
    drawn = nn.init.xavier_uniform_(torch.empty(shape, dtype=torch.float64), generator=generator)
    u = torch.empty_like(drawn).uniform_(0, 1, generator=generator.manual_seed(0))
    scale = (2 * u - 1).flatten()
    i = scale.abs().argmax()
    return (drawn.flatten()[i] / scale[i]).item()


def _check_seed_conv2d(rng: np.random.Generator) -> Metrics:
    """Seed 002 Q2.1's layer, 64 3×3 filters on 1×32×32 images: its init, forward and backward."""
    layer = numpy_ref.Conv2d(1, 64, 3, dtype=np.float64, rng=rng)
    weight, bias = layer.params["weight"], layer.params["bias"]
    bound = _torch_xavier_bound(weight.shape)
    largest = float(np.abs(weight).max())
    init = {
        "init_bound": bound,
        "init_largest_over_bound": largest / bound,
        "init_within_bounds": float(largest <= bound and not bias.any()),
    }
    return init | _conv2d_check(2, 1, (32, 32), 64, 3, 1, 0)(rng)


def _check_maxpool2d(rng: np.random.Generator) -> Metrics:
    # 7×6 leaves a trailing row that fills no window: it must get no gradient, as in torch.
    x = rng.standard_normal((2, 3, 7, 6))
    return _layer_check(numpy_ref.MaxPool2d(2), nn.MaxPool2d(2), x, rng)


def _check_flatten(rng: np.random.Generator) -> Metrics:
    # A channel-major view, the layout Conv2d hands on: Flatten must read it in (N, C, H, W) order.
    x = rng.standard_normal((3, 2, 4, 5)).transpose(1, 0, 2, 3)
    return _layer_check(numpy_ref.Flatten(), nn.Flatten(), x, rng)


def _check_dropout_one(rng: np.random.Generator) -> Metrics:
    """The layer against ``x * keep`` in torch, ``keep`` 1 except ``keep[n, 0] = m_n``.

    ``m_n = 1[u_n ≥ p]`` with ``u`` the first uniforms of a generator seeded as the layer's, so
    the mask rule is checked too; torch's own dropout rescales and drops every feature.
    """
    n, d, p = 16, 3, 0.5
    mask_seed = int(rng.integers(2**32))
    layer = numpy_ref.DropoutOne(p=p, rng=np.random.default_rng(mask_seed))
    mask = (np.random.default_rng(mask_seed).random(n) >= p).astype(np.float64)
    x = rng.standard_normal((n, d))
    y = layer.forward(x)
    drawn = layer.mask
    grad_out = rng.standard_normal((n, d))
    grad_x = layer.backward(grad_out)
    keep = torch.ones(n, d, dtype=torch.float64)
    keep[:, 0] = torch.from_numpy(mask)
    x_t = _leaf(x)
    y_t = x_t * keep
    y_t.backward(torch.from_numpy(grad_out))
    return {
        "mask_max_abs": _max_abs(drawn, mask),
        "forward_max_abs": _max_abs(y, y_t),
        "grad_input_max_abs": _max_abs(grad_x, x_t.grad),
        "eval_forward_max_abs": _max_abs(layer.eval().forward(x), x_t),  # identity at eval
    }


def _check_mlp(rng: np.random.Generator) -> Metrics:
    sizes = [6, 8, 5, 3]
    mlp = numpy_ref.MLP(sizes, activation="tanh", dtype=np.float64, rng=rng)
    _randomise_biases(mlp, rng)
    return _layer_check(mlp, _torch_mlp(sizes, nn.Tanh), rng.standard_normal((7, 6)), rng)


def _check_sequential(rng: np.random.Generator) -> Metrics:
    kwargs = {"dtype": np.float64, "rng": rng}
    net = numpy_ref.Sequential(
        numpy_ref.Conv2d(2, 3, 3, padding=1, **kwargs),
        numpy_ref.ReLU(),
        numpy_ref.MaxPool2d(2),
        numpy_ref.Flatten(),
        numpy_ref.Linear(3 * 3 * 3, 4, **kwargs),
    )
    _randomise_biases(net, rng)
    module = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(27, 4)
    )
    return _layer_check(net, module, rng.standard_normal((2, 2, 6, 6)), rng)


# -- activation functions and their grad=True forms
def _elementwise_function_check(
    function: Callable[..., np.ndarray], torch_function: Callable[[torch.Tensor], torch.Tensor]
) -> Check:
    def check(rng: np.random.Generator) -> Metrics:
        x = 3 * rng.standard_normal((6, 5))
        x_t = _leaf(x)
        y_t = torch_function(x_t)
        y_t.sum().backward()  # ∂/∂x_i Σ_j f(x_j) = f'(x_i)
        return {
            "value_max_abs": _max_abs(function(x), y_t),
            "derivative_max_abs": _max_abs(function(x, grad=True), x_t.grad),
        }

    return check


def _check_softmax_function(rng: np.random.Generator) -> Metrics:
    x = 3 * rng.standard_normal((5, 4))
    x_t = torch.from_numpy(x)
    full = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=-1), x_t)
    # full[n, i, m, k] = ∂s_ni/∂x_mk; rows do not mix, so each row's Jacobian is full[n, :, n, :].
    per_row = torch.diagonal(full, dim1=0, dim2=2).permute(2, 0, 1)
    return {
        "value_max_abs": _max_abs(softmax(x), torch.softmax(x_t, dim=-1)),
        "jacobian_max_abs": _max_abs(softmax(x, grad=True), per_row),
    }


# -- losses
def _check_cross_entropy(rng: np.random.Generator) -> Metrics:
    probs = softmax(2 * rng.standard_normal((6, 4)))
    labels = rng.integers(0, 4, size=6)
    probs_t = _leaf(probs)
    loss_t = F.nll_loss(torch.log(probs_t), torch.from_numpy(labels))
    loss_t.backward()
    targets = (labels, np.eye(4)[labels])  # labels and one-hot rows must give the same
    return {
        "value_max_abs": max(_max_abs(cross_entropy(probs, t), loss_t) for t in targets),
        "grad_max_abs": max(_max_abs(cross_entropy_grad(probs, t), probs_t.grad) for t in targets),
    }


def _check_softmax_cross_entropy(rng: np.random.Generator) -> Metrics:
    logits = 2 * rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, size=6)
    logits_t = _leaf(logits)
    loss_t = F.cross_entropy(logits_t, torch.from_numpy(labels))
    loss_t.backward()
    targets = (labels, np.eye(4)[labels])
    return {
        "value_max_abs": max(_max_abs(softmax_cross_entropy(logits, t), loss_t) for t in targets),
        "grad_max_abs": max(
            _max_abs(softmax_cross_entropy_grad(logits, t), logits_t.grad) for t in targets
        ),
    }


def _check_mse_reconstruction(rng: np.random.Generator) -> Metrics:
    pred, target = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    pred_t = _leaf(pred)
    # Mean over samples of a sum over features: torch's summed MSE divided by N.
    loss_t = F.mse_loss(pred_t, torch.from_numpy(target), reduction="sum") / len(pred)
    loss_t.backward()
    return {
        "value_max_abs": _max_abs(mse_reconstruction(pred, target), loss_t),
        "grad_max_abs": _max_abs(mse_reconstruction_grad(pred, target), pred_t.grad),
    }


def _binary_problem(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return 3 * rng.standard_normal(8), rng.integers(0, 2, size=8).astype(np.float64)


def _check_logistic_loss(rng: np.random.Generator) -> Metrics:
    z, y = _binary_problem(rng)
    y_hat = sigmoid(z)
    loss_t = F.binary_cross_entropy(torch.from_numpy(y_hat), torch.from_numpy(y))
    return {"value_max_abs": _max_abs(logistic_loss(y, y_hat), loss_t)}


def _check_stable_logistic_loss(rng: np.random.Generator) -> Metrics:
    z, y = _binary_problem(rng)
    z_t = _leaf(z)
    loss_t = F.binary_cross_entropy_with_logits(z_t, torch.from_numpy(y))
    loss_t.backward()
    return {
        "value_max_abs": _max_abs(stable_logistic_loss(y, z), loss_t),
        "grad_max_abs": _max_abs(stable_logistic_loss_grad(y, z), z_t.grad),
    }


# -- optimisers
# piece -> (the numpy_ref optimiser, the torch one, settings); numpy_optimizer picks the first.
OPTIMIZERS: dict[str, tuple[type, type[torch.optim.Optimizer], dict]] = {
    "sgd": (numpy_ref.SGD, torch.optim.SGD, {"lr": 0.1}),
    "sgd_momentum": (
        numpy_ref.SGD,
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
    ),
    "sgd_nesterov": (
        numpy_ref.SGD,
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    ),
    "adam": (numpy_ref.Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.01}),
}


def _optimizer_check(
    numpy_kind: type, torch_kind: type[torch.optim.Optimizer], settings: dict
) -> Check:
    """Parameters of a NumPy MLP and its torch twin after training both on the same batches."""

    def check(rng: np.random.Generator) -> Metrics:
        sizes = [4, 6, 3]
        mlp = numpy_ref.MLP(sizes, activation="tanh", dtype=np.float64, rng=rng)
        _randomise_biases(mlp, rng)
        module = _torch_mlp(sizes, nn.Tanh).double()
        twin = wrap_twin(module, mlp)
        twin.copy_to(module)
        optimizer_t = torch_kind(module.parameters(), **settings)
        optimizer = numpy_optimizer(optimizer_t, twin)
        if type(optimizer) is not numpy_kind:  # the piece's `where` would name the wrong code
            raise TypeError(f"numpy_optimizer gave {type(optimizer).__name__}, not {numpy_kind}")
        loss = numpy_ref.SoftmaxCrossEntropyLoss()
        for _ in range(OPTIMIZER_STEPS):
            x, labels = rng.standard_normal((8, 4)), rng.integers(0, 3, size=8)
            optimizer.zero_grad()
            loss.forward(mlp.forward(x), labels)
            mlp.backward(loss.backward())
            optimizer.step()
            optimizer_t.zero_grad()
            F.cross_entropy(module(torch.from_numpy(x)), torch.from_numpy(labels)).backward()
            optimizer_t.step()
        torch_params = dict(module.named_parameters())
        error = max(_max_abs(param, torch_params[key]) for key, param, _ in twin.parameters())
        return {f"param_max_abs_after_{OPTIMIZER_STEPS}_steps": error}

    return check


# -- seed 002 Q1: the dict MLP
def _init_within_bounds(params: dict[str, np.ndarray], dims: tuple[int, ...]) -> bool:
    """Seed 002's rule: ``W_l: (h_{l-1}, h_l)`` in ``[-1/sqrt(h0), 1/sqrt(h0)]``, ``b_l = 0``."""
    limit = 1 / np.sqrt(dims[0])
    expected = {}
    for layer, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:], strict=True), start=1):
        expected |= {f"W{layer}": (n_in, n_out), f"b{layer}": (1, n_out)}
    if {key: value.shape for key, value in params.items()} != expected:
        return False
    weights_ok = all(np.abs(v).max() <= limit for k, v in params.items() if k.startswith("W"))
    return weights_ok and not any(np.any(v) for k, v in params.items() if k.startswith("b"))


def _check_dict_mlp(rng: np.random.Generator) -> Metrics:
    """Seed 002's 784-128-64-10 network: init, activation(grad), cache, loss, backward, update."""
    dims, lr = dict_mlp.DIMS, 0.1
    num_layers = len(dims) - 1
    params = dict_mlp.initialize_weights(dims, rng)
    metrics = {"init_within_bounds": float(_init_within_bounds(params, dims))}
    for key in params:
        if key.startswith("b"):
            params[key] += 0.1 * rng.standard_normal(params[key].shape)

    torch_activations = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
    z = 3 * rng.standard_normal((4, 5))
    value_errors, grad_errors = [], []
    for name, function in torch_activations.items():
        z_t = _leaf(z)
        a_t = function(z_t)
        a_t.sum().backward()
        value_errors.append(_max_abs(dict_mlp.activation(z, name), a_t))
        grad_errors.append(_max_abs(dict_mlp.activation(z, name, grad=True), z_t.grad))
    metrics["activation_max_abs"] = max(value_errors)
    metrics["activation_grad_max_abs"] = max(grad_errors)

    x = rng.standard_normal((4, dims[0]))
    labels = rng.integers(0, dims[-1], size=4)
    cache = dict_mlp.forward(params, x)
    grads = dict_mlp.backward(params, cache, labels)
    params_t = {key: _leaf(value) for key, value in params.items()}
    a_t = {0: _leaf(x)}
    z_t = {}
    for layer in range(1, num_layers + 1):
        z_t[layer] = a_t[layer - 1] @ params_t[f"W{layer}"] + params_t[f"b{layer}"]
        z_t[layer].retain_grad()
        last = layer == num_layers
        a_t[layer] = torch.softmax(z_t[layer], dim=1) if last else torch.relu(z_t[layer])
        a_t[layer].retain_grad()
    # dict_mlp.loss reads the probabilities; torch's cross-entropy of the logits is the same loss.
    loss_t = F.cross_entropy(z_t[num_layers], torch.from_numpy(labels))
    loss_t.backward()

    layers = range(1, num_layers + 1)
    metrics["forward_Z_max_abs"] = max(_max_abs(cache[f"Z{i}"], z_t[i]) for i in layers)
    metrics["forward_A_max_abs"] = max(_max_abs(cache[f"A{i}"], a_t[i]) for i in layers)
    metrics["loss_max_abs"] = _max_abs(dict_mlp.loss(cache[f"A{num_layers}"], labels), loss_t)
    for key, value_t in params_t.items():
        metrics[f"grad_{key}_max_abs"] = _max_abs(grads[f"d{key}"], value_t.grad)
    metrics["grad_Z_max_abs"] = max(_max_abs(grads[f"dZ{i}"], z_t[i].grad) for i in layers)
    metrics["grad_A_max_abs"] = max(
        _max_abs(grads[f"dA{i}"], a_t[i].grad) for i in range(num_layers)
    )
    with torch.no_grad():
        stepped_t = {key: value - lr * value.grad for key, value in params_t.items()}
    dict_mlp.update(params, grads, lr)
    metrics["update_max_abs"] = max(_max_abs(params[k], stepped_t[k]) for k in params)
    return metrics


# -- seed 004 §1: the sigmoid net
def _check_sigmoid_net(rng: np.random.Generator) -> Metrics:
    weights = sigmoid_net.init_weights(rng)
    x = rng.standard_normal((16, sigmoid_net.D))
    y = rng.integers(0, 2, size=16).astype(np.float64)
    z1, z2, y_hat = sigmoid_net.predict(x, weights)
    grads = sigmoid_net.gradient(x, y, weights)
    w1_t, w2_t = _leaf(weights["w_1"]), _leaf(weights["w_2"])
    z1_t = torch.from_numpy(x) @ w1_t
    z2_t = (torch.sigmoid(z1_t) @ w2_t)[:, 0]
    loss_t = F.binary_cross_entropy_with_logits(z2_t, torch.from_numpy(y))
    loss_t.backward()
    return {
        "predict_max_abs": max(
            _max_abs(z1, z1_t), _max_abs(z2, z2_t), _max_abs(y_hat, torch.sigmoid(z2_t))
        ),
        "loss_max_abs": _max_abs(stable_logistic_loss(y, z2), loss_t),
        "grad_max_abs": max(_max_abs(grads["w_1"], w1_t.grad), _max_abs(grads["w_2"], w2_t.grad)),
    }


# piece -> (the numpy_ref code it checks, the check)
PIECES: dict[str, tuple[object, Check]] = {
    "linear": (numpy_ref.Linear, _check_linear),
    "relu": (numpy_ref.ReLU, _activation_layer_check(numpy_ref.ReLU, nn.ReLU)),
    "sigmoid": (numpy_ref.Sigmoid, _activation_layer_check(numpy_ref.Sigmoid, nn.Sigmoid)),
    "tanh": (numpy_ref.Tanh, _activation_layer_check(numpy_ref.Tanh, nn.Tanh)),
    "softmax": (
        numpy_ref.Softmax,
        _activation_layer_check(numpy_ref.Softmax, lambda: nn.Softmax(dim=-1)),
    ),
    "relu_function": (relu, _elementwise_function_check(relu, torch.relu)),
    "sigmoid_function": (sigmoid, _elementwise_function_check(sigmoid, torch.sigmoid)),
    "tanh_function": (tanh, _elementwise_function_check(tanh, torch.tanh)),
    "softmax_function": (softmax, _check_softmax_function),
    "cross_entropy": (cross_entropy, _check_cross_entropy),
    "softmax_cross_entropy": (softmax_cross_entropy, _check_softmax_cross_entropy),
    "mse_reconstruction": (mse_reconstruction, _check_mse_reconstruction),
    "logistic_loss": (logistic_loss, _check_logistic_loss),
    "stable_logistic_loss": (stable_logistic_loss, _check_stable_logistic_loss),
    "mlp": (numpy_ref.MLP, _check_mlp),
    "sequential": (numpy_ref.Sequential, _check_sequential),
    # Seed 002 Q2's layer: 64 3×3 filters on 1×32×32 images.
    "conv2d": (numpy_ref.Conv2d, _check_seed_conv2d),
    "conv2d_padding1": (numpy_ref.Conv2d, _conv2d_check(2, 2, (7, 6), 4, 3, 1, 1)),
    "conv2d_stride2_padding1": (numpy_ref.Conv2d, _conv2d_check(2, 3, (8, 9), 5, (2, 3), 2, 1)),
    # 11 + 2·2 = 15 rows: stride 3 leaves the last padded row and column unread (no gradient).
    "conv2d_stride3_padding2": (numpy_ref.Conv2d, _conv2d_check(1, 4, (11, 11), 3, 5, 3, 2)),
    "maxpool2d": (numpy_ref.MaxPool2d, _check_maxpool2d),
    "dropout_one": (numpy_ref.DropoutOne, _check_dropout_one),
    "flatten": (numpy_ref.Flatten, _check_flatten),
    **{
        name: (numpy_kind, _optimizer_check(numpy_kind, torch_kind, settings))
        for name, (numpy_kind, torch_kind, settings) in OPTIMIZERS.items()
    },
    "dict_mlp": (dict_mlp.backward, _check_dict_mlp),
    "sigmoid_net": (sigmoid_net.gradient, _check_sigmoid_net),
}


def layer_check_metrics(seed: int = 0) -> dict[str, float | str]:
    """``{"check/<piece>/<metric>": error or flag, "check/<piece>/where": code, ...}``.

    Every piece draws its inputs from its own generator, seeded by ``seed`` and the piece's name,
    so one piece's inputs do not change when another is added. Torch's global random state (which
    building torch modules draws on) is restored on return, and gradients are on even when the
    caller is under ``torch.no_grad()``.
    """
    metrics: dict[str, float | str] = {}
    errors = []
    threads = torch.get_num_threads()
    # One thread: on tensors this small, handing work to a thread pool costs far more than the
    # work itself when other processes hold the cores, and the results then do not depend on
    # the caller's thread count. Restored on return.
    torch.set_num_threads(1)
    try:
        # NumPy's BLAS on one thread too: with several, how a product's sums are split varies
        # with the machine's load, and the last bits of an error (1e-13) with it.
        with (
            threadpool_limits(limits=1),
            torch.random.fork_rng(devices=[]),
            torch.enable_grad(),
        ):
            for piece, (implementation, check) in PIECES.items():
                rng = np.random.default_rng([seed, zlib.crc32(piece.encode())])
                for metric, value in check(rng).items():
                    metrics[f"check/{piece}/{metric}"] = value
                    if "max_abs" in metric:
                        errors.append(value)
                metrics[f"check/{piece}/where"] = _where(implementation)
    finally:
        torch.set_num_threads(threads)
    metrics["check/max_abs_overall"] = float(np.max(errors))  # np.max keeps a nan, max() may not
    return metrics

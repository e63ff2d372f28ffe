"""The one torch ↔ NumPy bridge: a ``numpy_ref`` twin of a torch net, weight copies, comparisons.

A twin is built by structure: the net's leaf modules, in registration order, each become the
``numpy_ref`` layer of the same kind with the same options. A net whose forward runs its layers in
that order (``nn.Sequential``, ``nets.mlp.MLP``) is twinned exactly; the comparison checks that the
layers really ran in that order. Weights move under one name mapping: the torch key of a parameter
is its module path plus its name (``layers.2.weight``), the twin's key the layer's index in the
twin plus the name (``2.weight``, ``numpy_ref.Sequential``'s naming), so for ``MLP`` the mapping is
``layers.N.* ↔ N.*``.

The gradient-check tests, ``benchmarks/numpy_vs_torch.py`` and ``callbacks/numpy_parity.py`` use it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

import numpy_ref
from labkit.errors import ConfigError
from numpy_ref.layer import Layer
from numpy_ref.losses import softmax_cross_entropy, softmax_cross_entropy_grad


class UnsupportedLayerError(ConfigError):
    """The net holds a layer (or a layer option) the bridge has no NumPy twin for."""


class TwinMismatchError(ConfigError):
    """A twin's layers or parameter shapes differ from the net's."""


def _linear(m: nn.Linear, dtype: np.dtype) -> Layer:
    return numpy_ref.Linear(m.in_features, m.out_features, bias=m.bias is not None, dtype=dtype)


def _conv2d(m: nn.Conv2d, dtype: np.dtype) -> Layer:
    plain = m.dilation == (1, 1) and m.groups == 1 and m.padding_mode == "zeros"
    if not plain or isinstance(m.padding, str):
        raise UnsupportedLayerError(
            f"{m!r}: the NumPy Conv2d has numeric zero padding, no dilation and no groups; "
            f"use nn.Conv2d(in, out, k, stride=s, padding=p)."
        )
    return numpy_ref.Conv2d(
        m.in_channels,
        m.out_channels,
        m.kernel_size,
        stride=m.stride,
        padding=m.padding,
        bias=m.bias is not None,
        dtype=dtype,
    )


def _maxpool2d(m: nn.MaxPool2d, dtype: np.dtype) -> Layer:
    sizes = {"kernel_size": m.kernel_size, "stride": m.stride}
    if any(isinstance(v, tuple) and len(set(v)) > 1 for v in sizes.values()):
        raise UnsupportedLayerError(f"{m!r}: the NumPy MaxPool2d has square windows only.")
    kernel, stride = (v[0] if isinstance(v, tuple) else v for v in sizes.values())
    if m.padding not in (0, (0, 0)) or m.dilation not in (1, (1, 1)) or m.ceil_mode:
        raise UnsupportedLayerError(
            f"{m!r}: the NumPy MaxPool2d has no padding, dilation or ceil_mode."
        )
    return numpy_ref.MaxPool2d(kernel, stride)


def _flatten(m: nn.Flatten, dtype: np.dtype) -> Layer:
    if m.start_dim != 1 or m.end_dim != -1:
        raise UnsupportedLayerError(
            f"{m!r}: the NumPy Flatten keeps the batch axis only (dims 1..-1)."
        )
    return numpy_ref.Flatten()


def _softmax(m: nn.Softmax, dtype: np.dtype) -> Layer:
    if m.dim not in (-1, 1):
        raise UnsupportedLayerError(f"{m!r}: the NumPy Softmax is over the last axis (dim=-1).")
    return numpy_ref.Softmax()


def _activation(kind: type[Layer]) -> Callable[[nn.Module, np.dtype], Layer]:
    def build(m: nn.Module, dtype: np.dtype) -> Layer:
        if getattr(m, "inplace", False):
            raise UnsupportedLayerError(
                f"{m!r}: an in-place activation overwrites the tensor the comparison reads; "
                f"use inplace=False."
            )
        return kind()

    return build


TWIN_BUILDERS: dict[type[nn.Module], Callable[[nn.Module, np.dtype], Layer]] = {
    nn.Linear: _linear,
    nn.Conv2d: _conv2d,
    nn.MaxPool2d: _maxpool2d,
    nn.Flatten: _flatten,
    nn.ReLU: _activation(numpy_ref.ReLU),
    nn.Tanh: _activation(numpy_ref.Tanh),
    nn.Sigmoid: _activation(numpy_ref.Sigmoid),
    nn.Softmax: _softmax,
}
SUPPORTED_LAYERS = tuple(kind.__name__ for kind in TWIN_BUILDERS)


def leaf_modules(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(path, module)`` of every module without children, in registration order."""
    return [
        (name, module)
        for name, module in net.named_modules()
        if not any(True for _ in module.children()) and not isinstance(module, nn.Identity)
    ]


def _check_supported(leaves: Sequence[tuple[str, nn.Module]]) -> None:
    unsupported = [(name, m) for name, m in leaves if type(m) not in TWIN_BUILDERS]
    if unsupported:
        name, module = unsupported[0]
        raise UnsupportedLayerError(
            f"The NumPy twin cannot mirror layer {name or '<net>'} ({type(module).__name__}); "
            f"the bridge supports {', '.join(SUPPORTED_LAYERS)}. Remove the parity/twin callback "
            f"for this net (e.g. callbacks.numpy_parity=null) or build the net from those layers."
        )


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """``max |a - e| / max(max |a|, max |e|)``; 0 when both are all zero."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, np.float64)
    scale = max(
        float(np.max(np.abs(actual), initial=0)), float(np.max(np.abs(expected), initial=0))
    )
    if scale == 0:
        return 0.0
    return float(np.max(np.abs(actual - expected))) / scale


@dataclass
class NumpyTwin:
    """A ``numpy_ref`` model mirroring a torch net layer by layer.

    Attributes:
        layers: the NumPy layers, in the torch net's forward order.
        layer_names: the torch module path of each layer (``"layers.0"``; ``""`` for a net that
            is itself a single layer).
        flatten_input: whether the input is flattened to ``(N, -1)`` first (a net whose first
            layer is a Linear flattens its images in ``forward``, as ``nets.mlp.MLP`` does).
    """

    layers: list[Layer]
    layer_names: list[str]
    flatten_input: bool
    model: Layer = field(init=False)

    def __post_init__(self) -> None:
        # A lone layer keeps its own parameter names ("weight"), as a lone torch module does.
        single = len(self.layers) == 1 and self.layer_names == [""]
        self.model = self.layers[0] if single else numpy_ref.Sequential(*self.layers)

    def key_pairs(self) -> list[tuple[str, str]]:
        """``(numpy key, torch key)`` of every parameter, in order: the one name mapping."""
        pairs = []
        for index, (layer, path) in enumerate(zip(self.layers, self.layer_names, strict=True)):
            for name, _, _ in layer.parameters():
                numpy_key = name if self.model is layer else f"{index}.{name}"
                pairs.append((numpy_key, f"{path}.{name}" if path else name))
        return pairs

    def torch_key(self, numpy_key: str) -> str:
        return dict(self.key_pairs())[numpy_key]

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``(torch key, param, grad)`` of every parameter of the twin."""
        own = {name: (param, grad) for name, param, grad in self.model.parameters()}
        return [(t, *own[n]) for n, t in self.key_pairs()]

    def load_from(self, net: nn.Module) -> None:
        """Copy ``net``'s parameters into the twin (cast to the twin's dtype).

        Raises ``TwinMismatchError`` naming the first tensor whose shape differs (nothing is
        copied then).
        """
        torch_params = dict(net.named_parameters())
        pairs = []
        for key, param, _ in self.parameters():
            if key not in torch_params:
                raise TwinMismatchError(f"The NumPy twin has parameter {key}; the net has none.")
            source = torch_params[key]
            if tuple(source.shape) != param.shape:
                raise TwinMismatchError(
                    f"Tensor {key}: the net's shape is {tuple(source.shape)} but the NumPy twin's "
                    f"is {param.shape}."
                )
            pairs.append((param, source))
        with torch.no_grad():
            for param, source in pairs:
                np.copyto(param, source.detach().cpu().numpy(), casting="unsafe")

    def copy_to(self, net: nn.Module) -> None:
        """Copy the twin's parameters into ``net`` (same names, same layouts)."""
        torch_params = dict(net.named_parameters())
        with torch.no_grad():
            for key, param, _ in self.parameters():
                target = torch_params[key]
                if tuple(target.shape) != param.shape:
                    raise TwinMismatchError(
                        f"Tensor {key}: the net's shape is {tuple(target.shape)} but the NumPy "
                        f"twin's is {param.shape}."
                    )
                target.copy_(torch.from_numpy(np.ascontiguousarray(param)))

    def prepare_input(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), -1) if self.flatten_input else x

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.model.forward(self.prepare_input(x))

    def train(self, mode: bool = True) -> NumpyTwin:
        self.model.train(mode)
        return self


def build_twin(net: nn.Module, dtype: np.dtype | type = np.float64) -> NumpyTwin:
    """The ``numpy_ref`` twin of ``net`` with ``net``'s current weights.

    Raises ``UnsupportedLayerError`` (listing the supported layers) for a layer without a twin.
    """
    leaves = leaf_modules(net)
    _check_supported(leaves)
    if not leaves:
        raise UnsupportedLayerError(f"{type(net).__name__} holds no layers to twin.")
    dtype = np.dtype(dtype)
    layers = [TWIN_BUILDERS[type(m)](m, dtype) for _, m in leaves]
    twin = NumpyTwin(layers, [name for name, _ in leaves], isinstance(leaves[0][1], nn.Linear))
    twin.load_from(net)
    return twin


def wrap_twin(net: nn.Module, model: Layer) -> NumpyTwin:
    """A twin around an existing ``numpy_ref`` model (a ``Sequential`` or one layer).

    Checks that its layers are those ``build_twin`` would make, in kind and parameter shapes, and
    raises ``TwinMismatchError`` naming the first that differs. The weights are left as they are
    (``copy_to``/``load_from`` move them).
    """
    leaves = leaf_modules(net)
    _check_supported(leaves)
    layers = list(model.layers) if isinstance(model, numpy_ref.Sequential) else [model]
    if len(layers) != len(leaves):
        raise TwinMismatchError(
            f"The NumPy model has {len(layers)} layers, the net {len(leaves)} "
            f"({', '.join(type(m).__name__ for _, m in leaves)})."
        )
    for layer, (name, module) in zip(layers, leaves, strict=True):
        expected = TWIN_BUILDERS[type(module)](module, np.dtype(np.float64))
        if type(layer) is not type(expected):
            raise TwinMismatchError(
                f"Layer {name}: the net has {type(module).__name__}, the NumPy model "
                f"{type(layer).__name__}."
            )
        for pname, param, _ in layer.parameters():
            want = expected.params.get(pname)
            if want is None or want.shape != param.shape:
                raise TwinMismatchError(
                    f"Tensor {name + '.' if name else ''}{pname}: the net's shape is "
                    f"{None if want is None else want.shape} but the NumPy model's is {param.shape}."
                )
    twin = NumpyTwin(layers, [name for name, _ in leaves], isinstance(leaves[0][1], nn.Linear))
    if isinstance(model, numpy_ref.Sequential):
        twin.model = model
    return twin


def float64_reference(net: nn.Module) -> nn.Module:
    """A float64 CPU copy of ``net`` (the torch side of a comparison; ``net`` is not touched)."""
    return copy.deepcopy(net).to(device="cpu", dtype=torch.float64)


@dataclass
class Comparison:
    """Largest relative error per tensor, and where along the net a difference first appears.

    ``errors``: ``"logits"``, ``"loss"`` (with a loss), ``"grad/<torch parameter key>"`` for every
    parameter, ``"grad/input"`` when the input gradient was compared.
    ``layer_errors``: per layer ``"<path>/output"`` (forward) and ``"<path>/input_grad"`` (what its
    backward returned), and ``"loss/logits_grad"`` (the loss's gradient).
    """

    errors: dict[str, float]
    layer_errors: dict[str, float]
    layer_kinds: dict[str, str]
    param_layers: dict[str, str]

    @property
    def largest(self) -> float:
        return max(self.errors.values())

    def culprit(self, tolerance: float) -> tuple[str, str, float] | None:
        """``(layer, tensor, error)`` where a difference beyond ``tolerance`` first appears.

        Forward: the first layer whose output differs. Backward (walked from the loss towards the
        input, the way gradients flow): the first layer whose parameter gradient or returned input
        gradient differs; a wrong backward shows there first, and every layer before it inherits
        the error. None when everything agrees.
        """
        paths = list(self.layer_kinds)
        for path in paths:
            error = self.layer_errors.get(f"{path}/output", 0.0)
            if error > tolerance:
                return path, "output", error
        error = self.layer_errors.get("loss/logits_grad", 0.0)
        if error > tolerance:
            return "loss", "gradient with respect to the logits", error
        for path in reversed(paths):
            for key, owner in self.param_layers.items():
                if owner == path and self.errors[key] > tolerance:
                    return path, key, self.errors[key]
            error = self.layer_errors.get(f"{path}/input_grad", 0.0)
            if error > tolerance:
                return path, "input gradient", error
        for key, error in self.errors.items():
            if error > tolerance:
                return "net", key, error
        return None

    def describe(self, tolerance: float) -> str:
        """One message naming the layer and the tensor, and the largest errors."""
        found = self.culprit(tolerance)
        if found is None:
            return f"NumPy twin agrees with torch (largest relative error {self.largest:.2e})."
        path, tensor, error = found
        kind = self.layer_kinds.get(path, "")
        worst = sorted(self.errors.items(), key=lambda kv: -kv[1])[:3]
        return (
            f"NumPy twin differs from torch at layer {path or '<net>'}"
            f"{f' ({kind})' if kind else ''}: {tensor} has relative error {error:.3g} > "
            f"tolerance {tolerance:g}. Largest errors: "
            + ", ".join(f"{k} {v:.3g}" for k, v in worst)
        )


def compare(
    reference: nn.Module,
    twin: NumpyTwin,
    x: np.ndarray,
    targets: np.ndarray | None = None,
    grad_out: np.ndarray | None = None,
    input_grad: bool = False,
) -> Comparison:
    """Forward and backward through the float64 torch ``reference`` and the twin; compare.

    Give either ``targets`` (class indices ``(N,)``: the loss is the mean cross-entropy of the
    logits, as ``nn.CrossEntropyLoss``) or ``grad_out`` (``∂L/∂y`` for the output ``y``).
    ``input_grad`` also compares ``∂L/∂x``. The twin must hold ``reference``'s weights
    (``twin.load_from``). Neither side's weights change; the twin's gradients are overwritten.
    """
    if (targets is None) == (grad_out is None):
        raise ValueError("compare() needs exactly one of targets= or grad_out=")
    leaves = dict(leaf_modules(reference))
    kinds = {path: type(module).__name__ for path, module in leaves.items()}
    run_order: list[str] = []
    outputs: dict[str, torch.Tensor] = {}

    def keep(path: str) -> Callable:
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            run_order.append(path)
            if output.requires_grad:
                output.retain_grad()
            outputs[path] = output

        return hook

    handles = [leaves[p].register_forward_hook(keep(p)) for p in twin.layer_names]
    try:
        x_t = torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=input_grad)
        logits_t = reference(x_t)
    finally:
        for handle in handles:
            handle.remove()
    if run_order != twin.layer_names:
        raise TwinMismatchError(
            f"{type(reference).__name__}'s forward ran its layers as {run_order}, not in "
            f"registration order {twin.layer_names}: the bridge twins nets whose forward runs "
            f"their layers one after the other."
        )
    logits_t.retain_grad()
    reference.zero_grad(set_to_none=True)

    # NumPy side, layer by layer, keeping every output and every returned input gradient.
    twin.train(reference.training)
    h = twin.prepare_input(np.asarray(x, dtype=np.float64))
    np_outputs = []
    for layer in twin.layers:
        h = layer.forward(h)
        np_outputs.append(h)
    logits = np_outputs[-1]
    errors: dict[str, float] = {}
    layer_errors: dict[str, float] = {}
    if logits.shape != tuple(logits_t.shape):
        raise TwinMismatchError(
            f"Tensor logits: torch's shape is {tuple(logits_t.shape)} but the NumPy twin's is "
            f"{logits.shape}."
        )
    errors["logits"] = relative_error(logits, logits_t.detach().numpy())
    if targets is not None:
        targets = np.asarray(targets)
        loss_t = nn.functional.cross_entropy(logits_t, torch.from_numpy(targets).long())
        loss_t.backward()
        errors["loss"] = relative_error(softmax_cross_entropy(logits, targets), loss_t.item())
        g = softmax_cross_entropy_grad(logits, targets)
    else:
        g = np.asarray(grad_out, dtype=np.float64)
        logits_t.backward(torch.from_numpy(g))
    layer_errors["loss/logits_grad"] = relative_error(g, logits_t.grad.numpy())

    for index in range(len(twin.layers) - 1, -1, -1):
        layer, path = twin.layers[index], twin.layer_names[index]
        layer_errors[f"{path}/output"] = relative_error(
            np_outputs[index], outputs[path].detach().numpy()
        )
        g = layer.backward(g)
        if index > 0:
            previous = outputs[twin.layer_names[index - 1]]
            if previous.grad is not None and g is not None:
                layer_errors[f"{path}/input_grad"] = relative_error(g, previous.grad.numpy())
        elif input_grad and g is not None:
            expected = x_t.grad.numpy().reshape(np.shape(g))
            errors["grad/input"] = layer_errors[f"{path}/input_grad"] = relative_error(g, expected)

    torch_params = dict(reference.named_parameters())
    param_layers = {}
    for torch_key, _, grad in twin.parameters():
        expected = torch_params[torch_key].grad
        expected = np.zeros(grad.shape) if expected is None else expected.numpy()
        errors[f"grad/{torch_key}"] = relative_error(grad, expected)
        param_layers[f"grad/{torch_key}"] = torch_key.rsplit(".", 1)[0] if "." in torch_key else ""
    return Comparison(errors, layer_errors, kinds, param_layers)


def numpy_optimizer(optimizer: torch.optim.Optimizer, twin: NumpyTwin) -> numpy_ref.optim.Optimizer:
    """The ``numpy_ref`` optimiser with ``optimizer``'s rule and settings, over the twin's parameters.

    ``torch.optim.Adam`` (without amsgrad) and ``torch.optim.SGD`` (momentum, dampening,
    Nesterov, weight decay) have twins; others raise ``ConfigError``.
    """
    if len(optimizer.param_groups) != 1:
        raise ConfigError("The NumPy twin follows an optimizer with one parameter group.")
    group = optimizer.param_groups[0]
    params = twin.parameters()
    if type(optimizer) is torch.optim.Adam and not group["amsgrad"]:
        return numpy_ref.Adam(
            params,
            lr=group["lr"],
            betas=group["betas"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
        )
    if type(optimizer) is torch.optim.SGD:
        return numpy_ref.SGD(
            params,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
        )
    raise ConfigError(
        f"The NumPy twin has no optimizer like {type(optimizer).__name__}; it follows "
        f"torch.optim.Adam (amsgrad=False) and torch.optim.SGD (e.g. optimizer=adam)."
    )

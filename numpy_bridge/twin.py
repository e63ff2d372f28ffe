"""A ``numpy_ref`` twin of a torch net, built by structure, and the weights copied between them.

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

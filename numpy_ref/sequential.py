"""Composition of layers: ``Sequential`` and the ``MLP`` built from a list of sizes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from numpy_ref.activations import get_activation
from numpy_ref.layer import Layer
from numpy_ref.linear import Linear


class Sequential(Layer):
    """``y = f_L(... f_2(f_1(x)))``; backward applies the layers' backwards in reverse order.

    Parameters are named ``"<index>.<name>"`` (``"0.weight"``, ``"2.bias"``), exactly like
    ``torch.nn.Sequential``, so ``state_dict``s move between the two after ``.numpy()``.
    Indices count every layer, parameter-free ones included.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        self.layers = list(layers)

    # params/grads are views assembled from the children, so that there is one source of truth.
    @property
    def params(self) -> dict[str, np.ndarray]:
        return {name: param for name, param, _ in self.parameters()}

    @params.setter
    def params(self, value: dict[str, np.ndarray]) -> None:
        if value:
            raise AttributeError("Sequential holds no parameters of its own")

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {name: grad for name, _, grad in self.parameters()}

    @grads.setter
    def grads(self, value: dict[str, np.ndarray]) -> None:
        if value:
            raise AttributeError("Sequential holds no gradients of its own")

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def parameters(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        for index, layer in enumerate(self.layers):
            for name, param, grad in layer.parameters():
                yield f"{index}.{name}", param, grad

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """Backward through the layers in reverse; ``None`` if the first skips ``∂L/∂x``."""
        for index in range(len(self.layers) - 1, -1, -1):
            if grad_out is None:
                raise ValueError(
                    f"Sequential: layer {index + 1} {self.layers[index + 1]!r} has "
                    f"input_grad=False, but layer {index} before it needs that gradient"
                )
            grad_out = self.layers[index].backward(grad_out)
        return grad_out

    def init_weights(self, rng: np.random.Generator) -> None:
        for layer in self.layers:
            layer.init_weights(rng)

    def train(self, mode: bool = True) -> Sequential:
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Load ``"<index>.<name>"`` entries into the children (see ``Layer.load_state_dict``)."""
        own = set(self.params)
        missing = sorted(own - set(state))
        unexpected = sorted(set(state) - own)
        if missing or unexpected:
            raise ValueError(
                f"Sequential: state dict keys do not match; "
                f"missing {missing}, unexpected {unexpected}"
            )
        per_layer: list[dict[str, np.ndarray]] = [{} for _ in self.layers]
        for key, value in state.items():
            index, name = key.split(".", 1)
            per_layer[int(index)][name] = value
        # Validate all layers first so that a bad entry leaves the whole model unchanged.
        for index, layer in enumerate(self.layers):
            for name, param, _ in layer.parameters():
                given = np.shape(per_layer[index][name])
                if given != param.shape:
                    raise ValueError(
                        f"Sequential layer {index} {layer!r}: parameter '{name}' "
                        f"('{index}.{name}') expects shape {param.shape}, got {given}"
                    )
        for layer, layer_state in zip(self.layers, per_layer, strict=True):
            layer.load_state_dict(layer_state)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


class MLP(Sequential):
    """Multi-layer perceptron ``Linear, act, Linear, act, ..., Linear`` (no final activation).

    Parameters
    ----------
    sizes : list[int]
        Layer widths ``[in, hidden_1, ..., out]`` (at least two entries).
    activation : str
        Hidden activation name (see ``activations.get_activation``).
    init, dtype, rng
        Passed to every ``Linear``.
    input_grad : bool
        If ``False`` the first layer skips ``∂L/∂x`` and ``backward`` returns ``None`` (use it when
        the input is data, as torch does for inputs without ``requires_grad``).

    Layer indices match ``nn.Sequential(nn.Linear, nn.ReLU, nn.Linear, ...)``: Linear layers sit at
    even indices, so the state dict keys are ``"0.weight", "0.bias", "2.weight", ...``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        init: str = "xavier_uniform",
        dtype: np.dtype | type = np.float32,
        rng: np.random.Generator | None = None,
        input_grad: bool = True,
    ) -> None:
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least [in, out] sizes, got {list(sizes)}")
        get_activation(activation)  # fail early, with the list of valid names
        rng = rng if rng is not None else np.random.default_rng()
        layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Linear(n_in, n_out, init=init, dtype=dtype, rng=rng))
            if i < len(sizes) - 2:
                layers.append(get_activation(activation))
        layers[0].input_grad = input_grad
        super().__init__(*layers)
        self.sizes = list(sizes)
        self.activation = activation

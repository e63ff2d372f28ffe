"""The ``Layer`` base class shared by every NumPy module.

A layer maps an input ``x`` to an output ``y = f(x; θ)``. ``forward`` computes ``y`` and caches
what ``backward`` needs; ``backward`` receives ``∂L/∂y`` and returns ``∂L/∂x``, writing
``∂L/∂θ`` into ``grads`` as a side effect. Parameters use torch's names and layouts, so a torch
``state_dict`` converted with ``.numpy()`` loads directly and the two compare entry by entry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np


class Layer:
    """Base class: named parameters, their gradients, train/eval mode and (de)serialisation.

    Attributes
    ----------
    params : dict[str, np.ndarray]
        Parameters by torch name (e.g. ``"weight"``, ``"bias"``).
    grads : dict[str, np.ndarray]
        ``∂L/∂θ`` for every key of ``params``, same shape and dtype. ``backward`` *overwrites* them
        (it does not accumulate as torch does); optimisers read them after each backward.
    training : bool
        ``True`` in training mode (affects e.g. dropout).
    input_grad : bool
        If ``False``, layers that can (``Linear``, ``Conv2d``) skip computing ``∂L/∂x`` and
        ``backward`` returns ``None`` — the analogue of a torch input with
        ``requires_grad=False``. Set it on the first layer of a network fed with data (e.g.
        ``MLP(..., input_grad=False)``): that product is a quarter of an MLP's backward FLOPs.

    Notes
    -----
    Parameter and gradient arrays are allocated once and always updated in place (``init_weights``,
    ``load_state_dict``, optimiser steps, ``backward``), so references handed to an optimiser stay
    valid for the life of the layer.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training = True
        self.input_grad = True

    # -- computation
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def init_weights(self, rng: np.random.Generator) -> None:
        """(Re)initialise parameters in place from ``rng``; a no-op for parameter-free layers."""

    # -- parameters
    def _add_param(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.params[name] = np.zeros(shape, dtype=dtype)
        self.grads[name] = np.zeros(shape, dtype=dtype)

    def parameters(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Yield ``(name, param, grad)`` for every parameter, in ``state_dict`` order."""
        for name, param in self.params.items():
            yield name, param, self.grads[name]

    def zero_grad(self) -> None:
        for _, _, grad in self.parameters():
            grad.fill(0)

    def num_parameters(self) -> int:
        return sum(param.size for _, param, _ in self.parameters())

    # -- modes
    def train(self, mode: bool = True) -> Layer:
        self.training = mode
        return self

    def eval(self) -> Layer:
        return self.train(False)

    # -- serialisation
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters under torch's names (so later steps do not alter them)."""
        return {name: param.copy() for name, param, _ in self.parameters()}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy ``state`` into the parameters in place (cast to their dtype).

        Accepts anything ``np.asarray`` understands, e.g. a torch state dict's tensors on CPU.

        Raises
        ------
        ValueError
            If keys are missing or unexpected, or a shape differs; the message names this layer,
            the parameter, the expected and the given shape.
        """
        own = dict((name, param) for name, param, _ in self.parameters())
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing or unexpected:
            raise ValueError(
                f"{self!r}: state dict keys do not match; "
                f"missing {missing}, unexpected {unexpected}"
            )
        # Check every shape before copying anything, so a failed load leaves the layer unchanged.
        arrays = {name: np.asarray(state[name]) for name in own}
        for name, param in own.items():
            if arrays[name].shape != param.shape:
                raise ValueError(
                    f"{self!r}: parameter '{name}' expects shape {param.shape}, "
                    f"got {arrays[name].shape}"
                )
        for name, param in own.items():
            np.copyto(param, arrays[name], casting="unsafe")

    def _shape_error(self, expected: str, x: np.ndarray) -> ValueError:
        return ValueError(f"{self!r}: expected input of shape {expected}, got {tuple(x.shape)}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

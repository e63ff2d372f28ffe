"""A 784-128-64-10 MLP written as plain functions over a parameter dict (seed 002 Q1).

Parameters live in one dict, ``{"W1": (h0, h1), "b1": (1, h1), "W2": ..., "b3": (1, h3)}``; the
weights are stored ``(in, out)`` as in the seed's notebook, so ``Z_l = A_{l-1} W_l + b_l``
(the transpose of ``Linear``'s torch layout). Hidden layers use a named activation and the output
a softmax; the loss is the batch-averaged cross-entropy. The activation and loss functions are the
ones in ``numpy_ref.activations`` and ``numpy_ref.losses``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from numpy_ref.activations import activation_function, softmax
from numpy_ref.losses import check_classification_batch, cross_entropy, one_hot

DIMS = (784, 128, 64, 10)


def initialize_weights(
    dims: Sequence[int] = DIMS,
    rng: np.random.Generator | None = None,
    dtype: np.dtype | type = np.float64,
) -> dict[str, np.ndarray]:
    """``W_l ~ U(±1/sqrt(h0))`` for every layer (``h0 = dims[0]``, as the seed states), ``b_l = 0``.

    Returns ``{"W1": (h0, h1), "b1": (1, h1), ..., "WL": (h_{L-1}, h_L), "bL": (1, h_L)}``.
    """
    rng = rng if rng is not None else np.random.default_rng()
    limit = 1.0 / np.sqrt(dims[0])
    params: dict[str, np.ndarray] = {}
    for layer, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:], strict=True), start=1):
        params[f"W{layer}"] = rng.uniform(-limit, limit, size=(n_in, n_out)).astype(dtype)
        params[f"b{layer}"] = np.zeros((1, n_out), dtype=dtype)
    return params


def activation(x: np.ndarray, name: str, grad: bool = False) -> np.ndarray:
    """Apply the activation ``name`` (relu, sigmoid, tanh, softmax), or its derivative if ``grad``.

    See ``numpy_ref.activations`` (softmax's derivative is the per-row Jacobian ``(N, K, K)``).
    Raises ``ValueError`` listing the valid names for an unknown one.
    """
    return activation_function(name)(x, grad=grad)


def _num_layers(params: dict[str, np.ndarray]) -> int:
    return sum(1 for key in params if key.startswith("W"))


def forward(params: dict[str, np.ndarray], x: np.ndarray, hidden: str = "relu") -> dict:
    """Forward pass; returns the cache ``{"Z0": x, "A0": x, "Z1", "A1", ..., "ZL", "AL"}``.

    ``Z_l = A_{l-1} W_l + b_l`` (pre-activations), ``A_l = hidden(Z_l)`` for hidden layers and
    ``A_L = softmax(Z_L)`` (class probabilities ``(N, h_L)``). ``x: (N, h0)``.
    """
    if x.ndim != 2 or x.shape[1] != params["W1"].shape[0]:
        raise ValueError(
            f"dict_mlp.forward: expected x of shape (N, {params['W1'].shape[0]}), "
            f"got {tuple(x.shape)}"
        )
    cache = {"Z0": x, "A0": x}
    num_layers = _num_layers(params)
    for layer in range(1, num_layers + 1):
        z = cache[f"A{layer - 1}"] @ params[f"W{layer}"] + params[f"b{layer}"]
        cache[f"Z{layer}"] = z
        cache[f"A{layer}"] = softmax(z) if layer == num_layers else activation(z, hidden)
    return cache


def loss(prediction: np.ndarray, labels: np.ndarray) -> float:
    """Cross-entropy ``-1/N Σ y log p`` of probabilities ``(N, K)``; labels ``(N,)`` or one-hot."""
    return cross_entropy(prediction, labels)


def backward(
    params: dict[str, np.ndarray], cache: dict, labels: np.ndarray, hidden: str = "relu"
) -> dict[str, np.ndarray]:
    """Backpropagate the batch-averaged cross-entropy through the cached forward pass.

    With ``Y`` the one-hot labels and ``N`` the batch size, softmax and cross-entropy together give
    ``dZ_L = (A_L - Y) / N``; then for ``l = L, ..., 1``:
    ``dW_l = A_{l-1}ᵀ dZ_l``, ``db_l = Σ_n dZ_l``, ``dA_{l-1} = dZ_l W_lᵀ`` and, for hidden layers,
    ``dZ_{l-1} = dA_{l-1} ⊙ hidden'(Z_{l-1})``.

    Returns
    -------
    dict
        ``{"dZL", "dWL", "dbL", "dA{L-1}", "dZ{L-1}", ..., "dW1", "db1", "dA0"}``: gradients with
        respect to the activations and pre-activations of every layer and to every parameter,
        each of the same shape as the thing it is the gradient of.
    """
    num_layers = _num_layers(params)
    probs = cache[f"A{num_layers}"]
    check_classification_batch("dict_mlp.backward", probs, np.asarray(labels))
    n = probs.shape[0]
    grads: dict[str, np.ndarray] = {}
    dz = (probs - one_hot(labels, probs.shape[1], probs.dtype)) / n
    for layer in range(num_layers, 0, -1):
        grads[f"dZ{layer}"] = dz
        grads[f"dW{layer}"] = cache[f"A{layer - 1}"].T @ dz
        grads[f"db{layer}"] = np.sum(dz, axis=0, keepdims=True)
        grads[f"dA{layer - 1}"] = dz @ params[f"W{layer}"].T
        if layer > 1:
            dz = grads[f"dA{layer - 1}"] * activation(cache[f"Z{layer - 1}"], hidden, grad=True)
    return grads


def update(params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> None:
    """Gradient-descent step in place: ``W_l ← W_l - lr dW_l``, ``b_l ← b_l - lr db_l``."""
    for key, value in params.items():
        value -= lr * grads[f"d{key}"]

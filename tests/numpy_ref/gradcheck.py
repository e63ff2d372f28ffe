"""Shared checks for the NumPy library's tests: finite differences and comparison with torch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

# Centred differences in float64: truncation error ~ h²·f'''/6 ≈ 1e-11, rounding error
# ~ eps·|f|/h ≈ 1e-10 for the O(10) objectives used here, both far below the 1e-6 budget.
FD_STEP = 1e-5
FD_TOLERANCE = 1e-6
TORCH_TOLERANCE = 1e-10


def relative_error(analytic: float, numeric: float) -> float:
    """``|a - n| / max(|a|, |n|)``, defined as 0 when both are exactly 0 (a dead unit)."""
    scale = max(abs(analytic), abs(numeric))
    return 0.0 if scale == 0 else abs(analytic - numeric) / scale


def numerical_gradient(
    f: Callable[[], float], array: np.ndarray, index: tuple[int, ...], h: float = FD_STEP
) -> float:
    """``(f(a + h e_i) - f(a - h e_i)) / 2h``, perturbing ``array[index]`` in place (restored)."""
    original = array[index]
    array[index] = original + h
    f_plus = f()
    array[index] = original - h
    f_minus = f()
    array[index] = original
    return (f_plus - f_minus) / (2 * h)


def random_indices(
    shape: tuple[int, ...], count: int, rng: np.random.Generator
) -> list[tuple[int, ...]]:
    """Up to ``count`` distinct random multi-indices into an array of ``shape``."""
    size = int(np.prod(shape))
    flat = rng.choice(size, size=min(count, size), replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def assert_gradient_matches_fd(
    name: str,
    f: Callable[[], float],
    array: np.ndarray,
    analytic: np.ndarray,
    rng: np.random.Generator,
    count: int = 8,
) -> None:
    """Compare ``analytic`` with centred differences of ``f`` at ``count`` random entries."""
    assert array.dtype == np.float64, f"{name}: finite differences need float64, got {array.dtype}"
    assert analytic.shape == array.shape, (
        f"{name}: gradient shape {analytic.shape} != parameter shape {array.shape}"
    )
    for index in random_indices(array.shape, count, rng):
        numeric = numerical_gradient(f, array, index)
        error = relative_error(float(analytic[index]), numeric)
        assert error <= FD_TOLERANCE, (
            f"{name}{list(index)}: analytic {analytic[index]:.10g} vs finite difference "
            f"{numeric:.10g}, relative error {error:.2e} > {FD_TOLERANCE}"
        )


def check_layer_gradients(layer, x: np.ndarray, rng: np.random.Generator, count: int = 8) -> None:
    """Finite-difference check of ``layer``'s input gradient and of every parameter's gradient.

    The scalar objective is ``L = Σ forward(x) ⊙ G`` for a fixed random ``G``, so ``∂L/∂y = G``.
    """
    probe = rng.standard_normal(layer.forward(x).shape)
    objective = lambda: float(np.sum(layer.forward(x) * probe))
    layer.forward(x)
    grad_x = np.array(layer.backward(probe))
    grads = {name: grad.copy() for name, _, grad in layer.parameters()}
    assert_gradient_matches_fd("input", objective, x, grad_x, rng, count)
    for name, param, _ in layer.parameters():
        assert_gradient_matches_fd(name, objective, param, grads[name], rng, count)


def assert_close(name: str, actual: np.ndarray, expected, tol: float = TORCH_TOLERANCE) -> None:
    """``max |actual - expected| ≤ tol · max(1, max |expected|)``, naming ``name`` if not."""
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().cpu().numpy()
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{name}: shape {actual.shape} differs from torch's {expected.shape}"
    )
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    error = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
    assert error <= tol * scale, (
        f"{name}: max abs difference {error:.3e} exceeds {tol:.0e} × {scale:.3g}"
    )


def torch_leaf(array: np.ndarray) -> torch.Tensor:
    """A float64 torch copy of ``array`` that records its gradient."""
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=True)


def load_into_torch(module: torch.nn.Module, layer) -> None:
    """Copy a NumPy layer's ``state_dict`` into the torch module (same names, same layouts)."""
    state = {name: torch.from_numpy(value) for name, value in layer.state_dict().items()}
    module.load_state_dict(state)


def check_torch_parity(layer, module: torch.nn.Module, x: np.ndarray, rng: np.random.Generator):
    """Same weights, same input, same upstream gradient → same output and same gradients.

    Loads ``layer``'s weights into the float64 torch ``module``, runs both forward and backward
    with one random ``∂L/∂y`` and compares the output, ``∂L/∂x`` and every parameter's gradient
    (torch's ``named_parameters`` names are the NumPy layer's ``params`` keys).
    """
    module = module.double()
    load_into_torch(module, layer)
    y = layer.forward(x)
    x_t = torch_leaf(x)
    y_t = module(x_t)
    assert_close("output", y, y_t)
    grad_out = rng.standard_normal(y.shape)
    grad_x = layer.backward(grad_out)
    y_t.backward(torch.from_numpy(grad_out))
    assert_close("input gradient", grad_x, x_t.grad)
    torch_grads = dict(module.named_parameters())
    assert set(torch_grads) == set(layer.grads), (
        f"parameter names differ: numpy {sorted(layer.grads)} vs torch {sorted(torch_grads)}"
    )
    for name, grad in layer.grads.items():
        assert_close(f"gradient of {name}", grad, torch_grads[name].grad)

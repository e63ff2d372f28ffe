"""Shared checks for the NumPy library's tests: finite differences and comparison with torch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from numpy_bridge.comparison import compare
from numpy_bridge.twin import wrap_twin

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


def check_torch_parity(layer, module: torch.nn.Module, x: np.ndarray, rng: np.random.Generator):
    """Same weights, same input, same upstream gradient → same output and same gradients.

    Through the torch ↔ NumPy bridge: ``layer`` (one NumPy layer or a ``Sequential``) is checked
    to mirror the float64 torch ``module`` by structure, its weights are copied into the module,
    and the output, ``∂L/∂x`` and every parameter's gradient are compared for one random
    ``∂L/∂y``; a failure names the tensor and the layer where the difference first appears.
    """
    module = module.double()
    twin = wrap_twin(module, layer)
    twin.copy_to(module)
    grad_out = rng.standard_normal(twin.forward(x).shape)
    comparison = compare(module, twin, x, grad_out=grad_out, input_grad=True)
    assert comparison.culprit(TORCH_TOLERANCE) is None, comparison.describe(TORCH_TOLERANCE)
    expected = {"logits", "grad/input"} | {f"grad/{key}" for key, _, _ in twin.parameters()}
    assert set(comparison.errors) == expected, f"compared {sorted(comparison.errors)}"

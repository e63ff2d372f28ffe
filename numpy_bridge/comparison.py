"""Run a torch net and its NumPy twin on one batch and measure where they differ, layer by layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from numpy_bridge.twin import NumpyTwin, TwinMismatchError, leaf_modules
from numpy_ref.losses import softmax_cross_entropy, softmax_cross_entropy_grad


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
    outputs: dict[str, torch.Tensor] = {}
    # The bridge twins nets whose forward runs their layers one after the other: run those
    # layers here, keeping each output for the layer-by-layer comparison, and check that the
    # chain is the net's own forward (no hooks on the reference net).
    x_t = torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=input_grad)
    h = x_t.flatten(1) if twin.flatten_input else x_t  # as the twin prepares its input
    for path in twin.layer_names:
        h = leaves[path](h)
        if h.requires_grad:
            h.retain_grad()
        outputs[path] = h
    logits_t = h
    with torch.no_grad():
        direct = reference(x_t)
    if direct.shape != logits_t.shape or not torch.allclose(
        direct, logits_t.detach(), rtol=0, atol=0
    ):
        raise TwinMismatchError(
            f"{type(reference).__name__}'s forward is not its layers {twin.layer_names} run one "
            f"after the other in registration order: the bridge twins only such nets."
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

"""Linear autoencoders ``D → k → D`` built from numpy_ref layers, trained by full-batch GD.

Model: ``c = z W₁ᵀ + b₁`` (encoder ``Linear(D, k)`` on the normalised input ``z``), optionally
``DropoutOne`` on the code (zeros ``c_1`` of each row with probability ½ in training), then
``x̂ = c W₂ᵀ + b₂`` (decoder ``Linear(k, D)``) on the ORIGINAL data scale. The loss is always
``L = 1/N Σ_n ||x̂_n - x_n||²`` against the original data; only the encoder's input is normalised
(see :mod:`numpy_experiments.ulu_exercise.input_whitening`), and the normaliser is folded back into the
encoder's weights for reporting.

With DropoutOne the training loss is random (one mask per step); the *expected* loss over masks
is exact and cheap, because the mask only decides whether ``c_1`` is kept:
``E[L] = ½ L(c) + ½ L(c with c_1 = 0)`` (:func:`expected_loss`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from numpy_experiments.nonfinite import NonFiniteResultError
from numpy_experiments.ulu_exercise.input_whitening import InputNormaliser
from numpy_ref.dropout import DropoutOne
from numpy_ref.linear import Linear
from numpy_ref.losses import MSEReconstructionLoss, mse_reconstruction
from numpy_ref.optim import SGD
from numpy_ref.sequential import Sequential


@dataclass
class AutoencoderRun:
    """A trained autoencoder and its loss curve.

    ``losses[t]``: the loss optimised at step t (with dropout: the exact expected loss over masks,
    before the step's update), ``losses[-1]`` after the last step. ``model`` reads normalised
    inputs ``normaliser(x)``; :meth:`encode` takes raw points.
    """

    model: Sequential
    normaliser: InputNormaliser
    dropout: bool
    losses: list[float] = field(default_factory=list)

    @property
    def encoder(self) -> Linear:
        return self.model[0]

    @property
    def decoder(self) -> Linear:
        return self.model[-1]

    def encode(self, points: np.ndarray) -> np.ndarray:
        """Codes ``(N, k)`` of raw ``points: (N, D)`` (no dropout)."""
        return self.encoder.forward(self.normaliser(points))

    def raw_encoder_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W: (k, D), b: (k,))`` of the equivalent encoder on raw data (normaliser folded in)."""
        return self.normaliser.fold_into(self.encoder.params["weight"], self.encoder.params["bias"])

    def final_loss(self, points: np.ndarray) -> float:
        """Loss on the original scale; the expected loss over dropout masks when dropout is on."""
        codes = self.encode(points)
        if self.dropout:
            return expected_loss(self.decoder, codes, points)
        return mse_reconstruction(self.decoder.forward(codes), points)


def expected_loss(decoder: Linear, codes: np.ndarray, points: np.ndarray) -> float:
    """``E_mask[L] = ½ L(decoder(c), x) + ½ L(decoder(c with c_1 = 0), x)``, exactly."""
    kept = mse_reconstruction(decoder.forward(codes), points)
    dropped_codes = codes.copy()
    dropped_codes[:, 0] = 0
    dropped = mse_reconstruction(decoder.forward(dropped_codes), points)
    return 0.5 * kept + 0.5 * dropped


def build_autoencoder(
    dim: int, code_dim: int, dropout: bool, rng: np.random.Generator, init: str = "xavier_uniform"
) -> Sequential:
    """``Linear(dim, code_dim)``, [``DropoutOne``], ``Linear(code_dim, dim)`` in float64."""
    layers = [Linear(dim, code_dim, init=init, dtype=np.float64, rng=rng)]
    if dropout:
        layers.append(DropoutOne(p=0.5, rng=rng))
    layers.append(Linear(code_dim, dim, init=init, dtype=np.float64, rng=rng))
    return Sequential(*layers)


def train_autoencoder(
    points: np.ndarray,
    normaliser: InputNormaliser,
    code_dim: int,
    steps: int,
    lr: float,
    rng: np.random.Generator,
    dropout: bool = False,
    init: str = "xavier_uniform",
    name: str = "autoencoder",
) -> AutoencoderRun:
    """Full-batch gradient descent (``numpy_ref.optim.SGD``, no momentum) for ``steps`` steps.

    Each step: forward the whole normalised data set (a fresh dropout mask), the gradient of the
    original-scale loss ``∂L/∂x̂ = 2 (x̂ - x) / N``, backward, ``θ ← θ - lr ∇θ``.

    Raises :class:`NonFiniteResultError` at the first NaN/inf loss, naming the step and the lr
    (``name``: the config key of these settings, for the message).
    """
    model = build_autoencoder(points.shape[1], code_dim, dropout, rng, init)
    run = AutoencoderRun(model, normaliser, dropout)
    inputs = normaliser(points)
    loss_fn = MSEReconstructionLoss()
    optimizer = SGD(model, lr=lr)
    # Overflow is checked below, at the loss of every step, so numpy's warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps + 1):
            run.losses.append(run.final_loss(points))
            if not np.isfinite(run.losses[-1]):
                raise NonFiniteResultError(
                    f"{name}: the loss became {run.losses[-1]} at full-batch GD step {step} of "
                    f"{steps} (lr {lr:g}; it was {_last_finite(run.losses)} before): the step size "
                    f"is too large for this data. Lower {name}.lr."
                )
            if step == steps:
                break
            model.train()
            loss_fn.forward(model.forward(inputs), points)
            model.backward(loss_fn.backward())
            optimizer.step()
    return run


def _last_finite(losses: list[float]) -> str:
    finite = [loss for loss in losses if np.isfinite(loss)]
    return f"{finite[-1]:.4g}" if finite else "not finite from the start"

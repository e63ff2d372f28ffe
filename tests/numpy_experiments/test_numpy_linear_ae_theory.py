"""The closed forms of the autoencoder experiment, each checked against an independent computation."""

import numpy as np
import pytest

from numpy_experiments.ulu_exercise.identity_fit_sweep import (
    fit_identity_by_gd,
    sweep_learning_rates,
)
from numpy_experiments.ulu_exercise.input_whitening import fit_normaliser
from numpy_experiments.ulu_exercise.linear_ae_theory import (
    best_rank_k_affine_loss,
    dropout_one_optimal_loss,
    identity_fit_curvature,
    identity_fit_gd_loss,
    principal_variances,
)
from numpy_experiments.ulu_exercise.linear_autoencoder import expected_loss, train_autoencoder
from numpy_ref.linear import Linear
from tests.helpers.synthetic_points import two_plane_points


@pytest.fixture
def anisotropic():
    """Correlated 3-D Gaussian points with well separated variances (about 9, 1, 0.04)."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2000, 3)) * np.array([3.0, 1.0, 0.2])
    rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    return z @ rotation.T + np.array([5.0, -2.0, 1.0])


def test_svd_minimum_is_zero_for_points_on_a_plane():
    rng = np.random.default_rng(1)
    plane = rng.standard_normal((500, 2)) @ rng.standard_normal((2, 3)) + 3.0
    assert best_rank_k_affine_loss(plane, 2) == pytest.approx(0, abs=1e-20)
    assert best_rank_k_affine_loss(plane, 1) > 0.1


def test_gd_autoencoder_reaches_zero_on_rank_two_data():
    rng = np.random.default_rng(2)
    plane = rng.standard_normal((500, 2)) @ rng.standard_normal((2, 3)) + 3.0
    run = train_autoencoder(plane, fit_normaliser(plane, "standardise"), 2, 1500, 0.05, rng)
    assert run.losses[-1] < 1e-6 * run.losses[0], f"loss {run.losses[0]} -> {run.losses[-1]}"


def test_no_rank_two_affine_map_beats_the_svd_minimum(anisotropic):
    minimum = best_rank_k_affine_loss(anisotropic, 2)
    rng = np.random.default_rng(3)
    centred = anisotropic - anisotropic.mean(axis=0)
    for _ in range(200):
        q, _ = np.linalg.qr(rng.standard_normal((3, 2)))
        projection = q @ q.T  # orthogonal projection on a random plane
        product = rng.standard_normal((3, 2)) @ rng.standard_normal((2, 3))  # any rank-2 map
        for linear in (projection, product):
            loss = np.mean(np.sum((centred @ linear.T - centred) ** 2, axis=1))
            assert loss >= minimum - 1e-9


def test_gd_autoencoder_reaches_the_svd_minimum(anisotropic):
    run = train_autoencoder(
        anisotropic, fit_normaliser(anisotropic, "whiten"), 2, 500, 0.05, np.random.default_rng(4)
    )
    assert run.losses[-1] == pytest.approx(best_rank_k_affine_loss(anisotropic, 2), rel=1e-3)


def test_dropout_optimum_is_attained_by_the_principal_component_model(anisotropic):
    """Build the model the derivation names (c_rest = top k-1 PCs, c_1 = k-th PC) and evaluate it."""
    mean = anisotropic.mean(axis=0)
    _, _, directions = np.linalg.svd(anisotropic - mean, full_matrices=False)
    for k in (2, 3):
        order = [k - 1, *range(k - 1)]  # code 1 = k-th direction, then the top k-1
        encoder_w = directions[order]
        decoder = Linear(k, 3, dtype=np.float64)
        decoder.load_state_dict({"weight": encoder_w.T, "bias": mean})
        codes = (anisotropic - mean) @ encoder_w.T
        assert expected_loss(decoder, codes, anisotropic) == pytest.approx(
            dropout_one_optimal_loss(anisotropic, k), rel=1e-12
        )


def test_dropout_optimum_formula(anisotropic):
    lam = principal_variances(anisotropic)
    assert dropout_one_optimal_loss(anisotropic, 3) == pytest.approx(0.5 * lam[2])
    assert dropout_one_optimal_loss(anisotropic, 2) == pytest.approx(
        0.5 * (lam[1] + lam[2]) + 0.5 * lam[2]
    )


def test_gd_with_dropout_reaches_the_optimum_and_puts_the_smallest_direction_in_code_one():
    points, foreground = two_plane_points(3000, np.random.default_rng(5))
    run = train_autoencoder(
        points,
        fit_normaliser(points, "whiten"),
        3,
        500,
        0.08,
        np.random.default_rng(6),
        dropout=True,
    )
    optimum = dropout_one_optimal_loss(points, 3)
    assert run.losses[-1] == pytest.approx(optimum, rel=0.02), f"{run.losses[-1]} vs {optimum}"
    code_one = run.encode(points)[:, 0]
    gap = min(
        code_one[foreground].min() - code_one[~foreground].max(),
        code_one[~foreground].min() - code_one[foreground].max(),
        key=abs,
    )
    separated = (
        code_one[foreground].min() > code_one[~foreground].max()
        or code_one[~foreground].min() > code_one[foreground].max()
    )
    assert separated, f"code 1 does not separate the two planes (gap {gap})"


def test_closed_form_gd_loss_equals_simulated_gd(anisotropic):
    rng = np.random.default_rng(7)
    init = Linear(3, 3, dtype=np.float64, rng=rng).state_dict()
    for lr in (1e-4, 1e-3, 1e-2):
        simulated = fit_identity_by_gd(anisotropic, lr, 30, init)[-1]
        predicted = identity_fit_gd_loss(anisotropic, init["weight"], init["bias"], lr, 30)
        assert simulated == pytest.approx(predicted, rel=1e-9), f"lr={lr}"


def test_gd_diverges_just_above_and_converges_just_below_two_over_h_max(anisotropic):
    curvature = identity_fit_curvature(anisotropic)
    below, above = sweep_learning_rates(
        anisotropic, np.array([0.95, 1.05]) * curvature.max_stable_lr, 400, np.random.default_rng(8)
    )
    assert not below.diverged and below.losses[-1] < below.losses[0]
    assert above.diverged


def test_best_contraction_matches_a_search_over_learning_rates(anisotropic):
    curvature = identity_fit_curvature(anisotropic)
    lrs = np.linspace(1e-6, curvature.max_stable_lr, 200001)
    searched = min(np.abs(1 - np.outer(lrs, curvature.hessian_eigenvalues)).max(axis=1))
    assert curvature.best_contraction == pytest.approx(searched, abs=1e-6)
    assert curvature.contraction(curvature.best_lr) == pytest.approx(curvature.best_contraction)

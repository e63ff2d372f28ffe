"""The shipped experiment configs on the real data (LABKIT_DATA): the figures docs/answers/ reports."""

import os
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from labkit.resolvers import register_resolvers

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
pytestmark = pytest.mark.real_data


def _experiment(name: str, *overrides: str):
    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("train_numpy", overrides=[f"experiment={name}", *overrides])


@pytest.fixture(scope="module")
def ulu():
    from datamodules.ulu_points import load_ulu

    return load_ulu("/nonexistent", os.environ["LABKIT_DATA"], download=False)


def test_bottleneck_autoencoder_gets_within_1_percent_of_the_svd_minimum(ulu):
    from numpy_experiments.ulu_exercise.input_whitening import fit_normaliser
    from numpy_experiments.ulu_exercise.linear_ae_theory import best_rank_k_affine_loss
    from numpy_experiments.ulu_exercise.linear_autoencoder import train_autoencoder

    settings = _experiment("numpy_linear_ae").linear_ae
    b = settings.bottleneck
    run = train_autoencoder(
        ulu,
        fit_normaliser(ulu, settings.input_normalisation),
        b.code_dim,
        b.steps,
        b.lr,
        np.random.default_rng(0),
    )
    minimum = best_rank_k_affine_loss(ulu, b.code_dim)
    assert run.losses[-1] <= 1.01 * minimum, f"loss {run.losses[-1]} vs SVD minimum {minimum}"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dropout_autoencoder_code_one_separates_foreground_within_500_steps(ulu, seed):
    from numpy_experiments.ulu_exercise.foreground_split import split_agreement, two_plane_split
    from numpy_experiments.ulu_exercise.input_whitening import fit_normaliser
    from numpy_experiments.ulu_exercise.linear_ae_theory import dropout_one_optimal_loss
    from numpy_experiments.ulu_exercise.linear_autoencoder import train_autoencoder

    settings = _experiment("numpy_linear_ae").linear_ae
    d = settings.dropout
    assert d.steps <= 500
    run = train_autoencoder(
        ulu,
        fit_normaliser(ulu, settings.input_normalisation),
        d.code_dim,
        d.steps,
        d.lr,
        np.random.default_rng(seed),
        dropout=True,
    )
    optimum = dropout_one_optimal_loss(ulu, d.code_dim)
    assert run.losses[-1] <= 1.01 * optimum, f"expected loss {run.losses[-1]} vs optimum {optimum}"
    agreement = split_agreement(run.encode(ulu)[:, 0], two_plane_split(ulu).foreground)
    assert agreement.gap_split_accuracy > 0.99, agreement


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "target"), [("numpy_mlp_mnist", 0.95), ("numpy_mlp_mnist_fast", 0.98)]
)
def test_mlp_experiment_reaches_its_test_accuracy(name, target, tmp_path):
    from numpy_experiments.classifier_experiment import run

    cfg = _experiment(
        name, f"paths.output_dir={tmp_path}", "run_logger.use_wandb=false", "progress_bar=false"
    )
    assert run(cfg)["test/acc"] >= target

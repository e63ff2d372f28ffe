"""Minibatch training of numpy_ref MLPs on in-memory arrays, the data arrays and the lr schedules."""

import dataclasses
import math

import numpy as np
import pytest

from labkit.errors import ConfigError
from numpy_experiments.classifier_training import train_classifier
from numpy_experiments.mnist_arrays import ClassificationArrays, load_classification_arrays
from numpy_ref.lr_schedules import make_lr_schedule
from numpy_ref.optim import Adam
from numpy_ref.sequential import MLP
from numpy_ref.training import evaluate
from tests.helpers.idx_writer import learnable_digits


def _arrays(n_train=600, n_test=200, seed=0) -> ClassificationArrays:
    """Learnable digits: ``n_train`` to train on, ``n_test`` to test on, no validation split."""
    rng = np.random.default_rng(seed)
    train_images, train_labels = learnable_digits(n_train, rng)
    test_images, test_labels = learnable_digits(n_test, rng)
    flat = lambda a: (a.reshape(len(a), 784).astype(np.float32) / 255 - 0.2) / 0.3
    return ClassificationArrays(
        flat(train_images),
        train_labels.astype(np.int64),
        flat(train_images[:0]),
        train_labels[:0].astype(np.int64),
        flat(test_images),
        test_labels.astype(np.int64),
        test_images,
        0.2,
        0.3,
    )


def test_training_lowers_the_loss_and_reaches_the_target_on_learnable_data():
    data = _arrays()
    rng = np.random.default_rng(0)
    model = MLP([784, 32, 10], "relu", rng=rng)
    before_loss, before_acc = evaluate(model, data.x_test, data.y_test, 64)
    logged = []
    history = train_classifier(
        model,
        Adam(model, lr=3e-3),
        data,
        epochs=3,
        batch_size=32,
        rng=rng,
        lr_schedule=make_lr_schedule("cosine", 3e-3, 3 * 19),
        target_test_acc=0.9,
        log_every=5,
        on_metrics=lambda metrics, step, epoch: logged.append((step, epoch, metrics)),
        show_progress=False,
    )
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test, 64)
    assert test_loss < before_loss / 3, (before_loss, test_loss)
    assert test_acc > max(0.9, before_acc) and history.final.test_acc == test_acc
    assert history.time_to_target_s is not None and history.time_to_target_s <= history.train_wall_s
    # Counted as Lightning counts: epochs and steps from 0.
    assert [r.epoch for r in history.epochs] == [0, 1, 2]
    assert history.epochs[-1].step == 3 * math.ceil(600 / 32)
    epoch_rows = [(s, e, m) for s, e, m in logged if "train/loss_epoch" in m]
    assert [(s, e) for s, e, _ in epoch_rows] == [(18, 0), (37, 1), (56, 2)]
    assert "val/acc" not in epoch_rows[0][2]  # no val split given
    assert history.best_epoch is None and history.best_state is None
    step_rows = [(s, e) for s, e, m in logged if "train/loss" in m]
    assert step_rows[:4] == [(4, 0), (9, 0), (14, 0), (19, 1)], step_rows
    assert [s for s, e, m in logged if "lr-Adam" in m] == [0, 19, 38]
    assert not any(k.startswith("test/") for _, _, m in logged for k in m), (
        "test/ is the final test"
    )


def _noisy_arrays(seed=0) -> ClassificationArrays:
    """Learnable digits with half the training labels random: the val loss rises after a while."""
    rng = np.random.default_rng(seed)
    clean = _arrays(600, 200, seed)
    labels = clean.y_train.copy()
    flip = rng.random(len(labels)) < 0.5
    labels[flip] = rng.integers(0, 10, int(flip.sum()))
    val_x, val_y = clean.x_test[:100], clean.y_test[:100]
    return dataclasses.replace(
        clean,
        y_train=labels,
        x_val=val_x,
        y_val=val_y,
        x_test=clean.x_test[100:],
        y_test=clean.y_test[100:],
    )


def test_the_weights_kept_are_those_of_the_epoch_with_the_best_validation_monitor():
    data, rng = _noisy_arrays(), np.random.default_rng(0)
    model = MLP([784, 128, 10], "relu", rng=rng)
    logged = []
    history = train_classifier(
        model,
        Adam(model, lr=3e-3),
        data,
        epochs=5,
        batch_size=32,
        rng=rng,
        lr_schedule=make_lr_schedule("constant", 3e-3, 5 * 19),
        on_metrics=lambda metrics, step, epoch: logged.append(metrics),
        show_progress=False,
        monitor="val/loss",
    )
    val_losses = [r.val_loss for r in history.epochs]
    assert history.best_epoch == int(np.argmin(val_losses))
    assert history.best_epoch < 4, f"this seed's val loss should rise before the end: {val_losses}"
    # Evaluated in batches of the training's eval_batch_size, so the sums add up alike.
    final_loss = evaluate(model, data.x_val, data.y_val, 2000)[0]
    model.load_state_dict(history.best_state)
    assert evaluate(model, data.x_val, data.y_val, 2000)[0] == val_losses[history.best_epoch]
    assert final_loss == val_losses[-1] != val_losses[history.best_epoch]
    running_best = [m["val/loss_best"] for m in logged if "val/loss_best" in m]
    assert running_best == list(np.minimum.accumulate(val_losses))


def test_same_seed_gives_the_same_run():
    def run():
        data, rng = _arrays(), np.random.default_rng(1)
        model = MLP([784, 16, 10], "relu", rng=rng)
        history = train_classifier(
            model,
            Adam(model, lr=1e-3),
            data,
            1,
            50,
            rng,
            make_lr_schedule("constant", 1e-3, 12),
            show_progress=False,
        )
        return history.final.train_loss, evaluate(model, data.x_test, data.y_test, 64)

    assert run() == run()


def test_cosine_schedule_starts_at_the_base_and_ends_at_the_final_fraction():
    schedule = make_lr_schedule("cosine", 0.1, 100, final_fraction=0.1)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(50) == pytest.approx(0.1 * (0.1 + 0.9 * 0.5))
    assert schedule(100) == pytest.approx(0.01) and schedule(150) == pytest.approx(0.01)
    assert make_lr_schedule("linear", 1.0, 10)(5) == pytest.approx(0.5)
    assert make_lr_schedule("constant", 0.3, 10)(7) == 0.3


def test_unknown_schedule_is_a_config_error():
    with pytest.raises(ValueError, match="unknown lr schedule 'step'"):
        make_lr_schedule("step", 0.1, 10)


def test_arrays_are_normalised_with_training_statistics_and_split_reproducibly(
    tiny_data_root, tmp_path
):
    load = lambda seed: load_classification_arrays(
        "MNIST", tmp_path, tiny_data_root, 100, seed, download=False
    )
    data = load(0)
    assert data.x_train.dtype == np.float32 and data.x_train.shape == (500, 784)
    assert data.x_val.shape == (100, 784) and data.x_test.shape == (200, 784)
    assert abs(float(data.x_train.mean())) < 1e-4 and float(data.x_train.std()) == pytest.approx(
        1, abs=1e-3
    )
    np.testing.assert_array_equal(load(0).y_val, data.y_val)
    assert not np.array_equal(load(1).y_val, data.y_val)


def test_val_size_out_of_range_is_a_config_error(tiny_data_root, tmp_path):
    with pytest.raises(ConfigError, match="numpy_data.val_size"):
        load_classification_arrays("MNIST", tmp_path, tiny_data_root, 600, 0, download=False)


def test_zero_val_size_trains_on_every_image(tiny_data_root, tmp_path):
    data = load_classification_arrays("MNIST", tmp_path, tiny_data_root, 0, 0, download=False)
    assert data.x_train.shape == (600, 784) and data.x_val.shape == (0, 784)

"""The tuned Fashion-MNIST model: its augmentation, and its Optuna search running as a Hydra sweep."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from datamodules.augmented_fashion_mnist import AugmentedFashionMNISTDataModule
from labkit.errors import ConfigError
from tests.helpers.cli_runner import TINY_ARGS, run_train


def _datamodule(tmp_path, tiny_data_root, **kwargs) -> AugmentedFashionMNISTDataModule:
    datamodule = AugmentedFashionMNISTDataModule(
        data_dir=str(tmp_path),
        labkit_data=str(tiny_data_root),
        batch_size=32,
        eval_batch_size=100,
        val_size=100,
        split_seed=0,
        shuffle_seed=0,
        **kwargs,
    )
    datamodule.setup("fit")
    return datamodule


def test_shifted_images_are_crops_of_the_padded_original(tmp_path, tiny_data_root):
    datamodule = _datamodule(tmp_path, tiny_data_root, max_shift=2, flip_p=0.0)
    x, y = datamodule.splits["train"][0][:64], datamodule.splits["train"][1][:64]
    torch.manual_seed(0)
    shifted, same_y = datamodule.augment_batch(x, y)
    assert shifted.shape == x.shape and torch.equal(same_y, y)
    background = -datamodule.pixel_mean[0] / datamodule.pixel_std[0]
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), value=background)
    offsets = set()
    for i in range(len(x)):
        matches = [
            (a, b)
            for a in range(5)
            for b in range(5)
            if torch.equal(shifted[i], padded[i, :, a : a + 28, b : b + 28])
        ]
        assert matches, f"image {i} is not a 28x28 crop of its padded original"
        offsets.add(matches[0])
    assert len(offsets) > 5, "the shifts do not vary between images"


def test_mirroring_flips_about_half_the_images_left_right(tmp_path, tiny_data_root):
    datamodule = _datamodule(tmp_path, tiny_data_root, max_shift=0, flip_p=0.5)
    x, y = datamodule.splits["train"][0][:200], datamodule.splits["train"][1][:200]
    torch.manual_seed(0)
    out, _ = datamodule.augment_batch(x, y)
    flipped = [
        torch.equal(o, i.flip(-1)) and not torch.equal(o, i) for o, i in zip(out, x, strict=True)
    ]
    kept = [torch.equal(o, i) for o, i in zip(out, x, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 60 < sum(flipped) < 140


def test_erasing_sets_one_rectangle_of_some_images_to_the_background(tmp_path, tiny_data_root):
    datamodule = _datamodule(
        tmp_path, tiny_data_root, max_shift=0, flip_p=0.0, erase_p=0.5, erase_area=(0.1, 0.3)
    )
    x, y = datamodule.splits["train"][0][:200], datamodule.splits["train"][1][:200]
    x = x + 10.0  # no pixel equals the background before erasing
    torch.manual_seed(0)
    out, _ = datamodule.augment_batch(x, y)
    background = -datamodule.pixel_mean[0] / datamodule.pixel_std[0]
    erased = out != x
    assert torch.all(out[erased] == torch.tensor(background, dtype=out.dtype))
    counts = erased.flatten(1).sum(1)
    assert 60 < int((counts > 0).sum()) < 140
    for i in torch.nonzero(counts).flatten().tolist():
        rows = torch.nonzero(erased[i, 0].any(1)).flatten()
        cols = torch.nonzero(erased[i, 0].any(0)).flatten()
        height, width = len(rows), len(cols)
        # One solid rectangle, its area within erase_area up to the rounding of its sides.
        assert rows[-1] - rows[0] + 1 == height and cols[-1] - cols[0] + 1 == width
        assert counts[i] == height * width
        assert 0.1 * 784 * 0.7 <= counts[i] <= 0.3 * 784 * 1.3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_shift": -1}, "max_shift"),
        ({"flip_p": 2.0}, "flip_p"),
        ({"erase_p": -0.1}, "erase_p"),
        ({"erase_area": (0.5, 0.2)}, "erase_area"),
    ],
)
def test_bad_augmentation_settings_are_refused(tmp_path, tiny_data_root, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        _datamodule(tmp_path, tiny_data_root, **kwargs)


def test_the_optuna_search_runs_its_trials_as_jobs_of_one_sweep(tmp_path, tiny_data_root):
    result = run_train(
        tmp_path,
        "experiment=fashion_best",
        "hparams_search=fashion_best_optuna",
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.sampler.n_startup_trials=2",
        *TINY_ARGS,
        "model.net.channels=[4,4,4]",
        "trainer.max_epochs=1",
        "callbacks.sample_grid=null",
        "hydra.sweep.dir=search",
        labkit_data=tiny_data_root,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    search = tmp_path / "search"
    jobs = sorted(p for p in search.iterdir() if p.name.isdigit())
    assert [j.name for j in jobs] == ["0", "1"]
    values = [json.loads((j / "summary.json").read_text()) for j in jobs]
    assert all(v["status"] == "finished" for v in values)
    trial_lrs = [
        next(
            o
            for o in yaml.safe_load((j / ".hydra" / "overrides.yaml").read_text())
            if o.startswith("model.optimizer.lr=")
        )
        for j in jobs
    ]
    assert trial_lrs[0] != trial_lrs[1], "both trials got the same learning rate"
    best = yaml.safe_load((search / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) >= {
        "model.optimizer.lr",
        "model.label_smoothing",
        "data.erase_p",
    }

"""SampleGrid, ReconstructionGrid, LatentScatter: what they draw, from a tiny real Trainer run."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

import callbacks.latent_scatter as latent_scatter
import callbacks.reconstruction_grid as reconstruction_grid
import callbacks.sample_grid as sample_grid
from callbacks.latent_scatter import LatentScatter
from callbacks.reconstruction_grid import ReconstructionGrid
from callbacks.sample_grid import SampleGrid, caption_labels
from labkit.errors import ConfigError
from nets.autoencoder import MLPAutoencoder

N_TRAIN, N_TEST, TEST_BATCH = 24, 20, 7  # 3 test batches, the last one short
CLASS_NAMES = ("zero", "one", "two", "three")


class _TinyImages(pl.LightningDataModule):
    """4-class 1x8x8 images; ``splits`` as labkit's datamodules set it in setup."""

    class_names = CLASS_NAMES

    def __init__(self, labels_per_sample: int = 1) -> None:
        super().__init__()
        self.labels_per_sample = labels_per_sample

    def setup(self, stage: str) -> None:
        g = torch.Generator().manual_seed(0)
        shape = (-1,) if self.labels_per_sample == 1 else (-1, self.labels_per_sample)

        def split(n: int):
            y = torch.randint(0, 4, (n * self.labels_per_sample,), generator=g).reshape(shape)
            return torch.randn(n, 1, 8, 8, generator=g), y

        self.splits = {"train": split(N_TRAIN), "test": split(N_TEST)}

    def train_dataloader(self):
        return DataLoader(TensorDataset(*self.splits["train"]), batch_size=8)

    def test_dataloader(self):
        return DataLoader(TensorDataset(*self.splits["test"]), batch_size=TEST_BATCH)


class _TinyAutoencoder(pl.LightningModule):
    def __init__(self, code_size: int = 2) -> None:
        super().__init__()
        self.net = MLPAutoencoder((1, 8, 8), [6], code_size=code_size)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        return F.mse_loss(self(batch[0]), batch[0])

    def test_step(self, batch, batch_idx):
        self.log("test/loss", F.mse_loss(self(batch[0]), batch[0]))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def _trainer(tmp_path, callbacks) -> pl.Trainer:
    return pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=callbacks,
    )


def _recording(module, name: str, calls: list):
    """``module.<name>`` wrapped to keep each call's arguments; the real function still runs."""
    real = getattr(module, name)

    def record(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    return record


@pytest.fixture
def media(monkeypatch):
    """The W&B keys and files each callback hands to ``log_image_files``."""
    logged = []
    for module in (sample_grid, reconstruction_grid, latent_scatter):
        monkeypatch.setattr(
            module, "log_image_files", lambda trainer, key, paths: logged.append((key, paths))
        )
    return logged


def _is_png(path) -> bool:
    return (
        path.is_file()
        and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        and path.stat().st_size > 1000
    )


def test_fit_and_test_write_every_plot_and_log_it(tmp_path, monkeypatch, media):
    torch.manual_seed(0)
    drawn = {"grid": [], "scatter": []}
    monkeypatch.setattr(
        sample_grid, "save_image_grid", _recording(sample_grid, "save_image_grid", drawn["grid"])
    )
    monkeypatch.setattr(
        latent_scatter, "save_scatter", _recording(latent_scatter, "save_scatter", drawn["scatter"])
    )
    out = tmp_path / "plots"
    scatter = LatentScatter(str(out))
    callbacks = [SampleGrid(str(out), num_images=5), ReconstructionGrid(str(out), 6), scatter]
    trainer, model, data = _trainer(tmp_path, callbacks), _TinyAutoencoder(), _TinyImages()
    trainer.fit(model, data)
    trainer.test(model, data)

    for name in ("samples.png", "reconstructions.png", "latent_codes.png"):
        assert _is_png(out / name), name
    assert [key for key, _ in media] == [
        "plots/samples",
        "plots/reconstructions",
        "plots/latent_codes",
    ]
    # SampleGrid drew the first five training images, captioned with their class names.
    (_, images, captions), _ = drawn["grid"][0]
    np.testing.assert_array_equal(images, data.splits["train"][0][:5].numpy())
    assert captions == [CLASS_NAMES[k] for k in data.splits["train"][1][:5].tolist()]
    # LatentScatter drew every test sample (3 batches, the last one short) at its code.
    assert scatter.plotted_count == N_TEST
    (_, points, labels), _ = drawn["scatter"][0]
    x_test, y_test = data.splits["test"]
    with torch.no_grad():
        codes = model.net.forward_features(x_test).numpy()
    np.testing.assert_allclose(points, codes, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(labels, y_test.numpy())


def test_reconstruction_grid_puts_inputs_above_their_reconstructions(tmp_path, monkeypatch, media):
    torch.manual_seed(0)
    drawn = []
    monkeypatch.setattr(
        reconstruction_grid,
        "save_image_grid",
        _recording(reconstruction_grid, "save_image_grid", drawn),
    )
    model, data = _TinyAutoencoder(), _TinyImages()
    _trainer(tmp_path, [ReconstructionGrid(str(tmp_path), num_images=4)]).test(model, data)
    (_, images, captions), kwargs = drawn[0]
    x = data.splits["test"][0][:4]
    with torch.no_grad():
        x_hat = model(x)
    assert kwargs["ncols"] == 4  # one column per input: row 1 inputs, row 2 reconstructions
    np.testing.assert_array_equal(images[:4], x.numpy())
    np.testing.assert_allclose(images[4:], x_hat.numpy(), rtol=1e-5, atol=1e-6)
    assert captions == ["input"] * 4 + ["reconstruction"] * 4
    assert kwargs["value_range"] == (float(x.min()), float(x.max()))


def test_reconstruction_grid_warns_and_draws_nothing_for_a_classifier(tmp_path, media):
    class Classifier(_TinyAutoencoder):
        def forward(self, x):
            return x.flatten(1)[:, :4]  # logits-shaped, not a reconstruction

        def test_step(self, batch, batch_idx):
            pass

    with pytest.warns(UserWarning, match=r"returned \(4, 4\) for inputs \(4, 1, 8, 8\)"):
        _trainer(tmp_path, [ReconstructionGrid(str(tmp_path), 4)]).test(Classifier(), _TinyImages())
    assert not (tmp_path / "reconstructions.png").exists()
    assert media == []


def test_latent_scatter_of_a_wider_code_plots_its_first_two_dimensions(
    tmp_path, monkeypatch, media
):
    drawn = []
    monkeypatch.setattr(
        latent_scatter, "save_scatter", _recording(latent_scatter, "save_scatter", drawn)
    )
    scatter = LatentScatter(str(tmp_path))
    trainer = _trainer(tmp_path, [scatter])
    model, data = _TinyAutoencoder(code_size=3), _TinyImages()
    trainer.test(model, data)
    (_, points, _), kwargs = drawn[0]
    with torch.no_grad():
        codes = model.net.forward_features(data.splits["test"][0]).numpy()
    np.testing.assert_allclose(points, codes[:, :2], rtol=1e-5, atol=1e-6)
    assert "first 2 of 3 dimensions" in kwargs["title"]
    trainer.test(model, data)  # a second test run starts from an empty collection
    assert scatter.plotted_count == N_TEST


def test_sample_grid_captions_one_label_per_task():
    multi = torch.tensor([[3, 7], [0, 1]])
    assert caption_labels(multi, None) == ["3 | 7", "0 | 1"]
    assert caption_labels(multi, CLASS_NAMES[:2] + ("2", "3", "4", "5", "6", "7")) == [
        "3 | 7",
        "zero | one",
    ]
    assert caption_labels(torch.tensor([2, 0]), CLASS_NAMES) == ["two", "zero"]


def test_sample_grid_draws_multitask_labels_in_a_run(tmp_path, monkeypatch, media):
    drawn = []
    monkeypatch.setattr(
        sample_grid, "save_image_grid", _recording(sample_grid, "save_image_grid", drawn)
    )
    data = _TinyImages(labels_per_sample=2)
    _trainer(tmp_path, [SampleGrid(str(tmp_path), num_images=3)]).fit(_TinyAutoencoder(), data)
    (_, _, captions), _ = drawn[0]
    y = data.splits["train"][1][:3].tolist()
    assert captions == [f"{CLASS_NAMES[a]} | {CLASS_NAMES[b]}" for a, b in y]
    assert _is_png(tmp_path / "samples.png")


def test_callbacks_name_what_the_run_lacks_before_training():
    no_splits = SimpleNamespace(datamodule=SimpleNamespace())
    with pytest.raises(ConfigError, match=r"splits\['train'\].*Remove the sample_grid callback"):
        SampleGrid("out").setup(no_splits, None, "fit")
    with pytest.raises(ConfigError, match=r"forward_features.*remove the latent_scatter callback"):
        LatentScatter("out").setup(SimpleNamespace(), torch.nn.Linear(2, 2), "test")
    with pytest.raises(ConfigError, match="num_images must be a positive integer, got 0"):
        ReconstructionGrid("out", num_images=0)

"""FirstTestBatchFigure: what the figure callbacks are handed from the test run, and PredictionGrid."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import callbacks.prediction_grid as prediction_grid
from callbacks.first_test_batch_figure import FirstTestBatchFigure
from callbacks.prediction_grid import PredictionGrid
from labkit.errors import ConfigError

N_TEST, TEST_BATCH = 11, 4  # 3 test batches


class _TinyClassifier(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x)

    def predict_labels(self, x):
        return self(x).argmax(dim=1)

    def test_step(self, batch, batch_idx):
        self.log("test/loss", nn.functional.cross_entropy(self(batch[0]), batch[1]))


def _test_data():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(N_TEST, 1, 4, 4, generator=g), torch.randint(0, 3, (N_TEST,), generator=g)
    return x, y, DataLoader(TensorDataset(x, y), batch_size=TEST_BATCH)


def _test(tmp_path, callback, model=None):
    trainer = pl.Trainer(
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )
    x, y, loader = _test_data()
    trainer.test(model or _TinyClassifier(), loader)
    return x, y


class _Recorder(FirstTestBatchFigure):
    def __init__(self, num_images):
        super().__init__(num_images)
        self.calls = []

    def draw(self, trainer, pl_module, x, y):
        self.calls.append((x.clone(), y.clone(), torch.is_grad_enabled()))


@pytest.mark.parametrize("num_images,expected", [(3, 3), (10, TEST_BATCH)])
def test_draw_gets_the_first_images_of_the_first_test_batch_once_without_grad(
    tmp_path, num_images, expected
):
    recorder = _Recorder(num_images)
    x, y = _test(tmp_path, recorder)
    assert len(recorder.calls) == 1, "draw must run once per test run, for batch 0 only"
    got_x, got_y, grad = recorder.calls[0]
    torch.testing.assert_close(got_x, x[:expected])
    torch.testing.assert_close(got_y, y[:expected])
    assert not grad


@pytest.mark.parametrize("bad", [0, -2, 2.5, True])
def test_num_images_must_be_a_positive_integer_named_by_the_callback(bad):
    with pytest.raises(ConfigError, match=rf"PredictionGrid num_images .* got {bad!r}"):
        PredictionGrid("out", num_images=bad)


def test_prediction_grid_captions_pred_and_true_and_marks_wrong_ones_red(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(
        prediction_grid, "save_image_grid", lambda path, *a, **k: drawn.append((path, a, k)) or path
    )
    logged = []
    monkeypatch.setattr(
        prediction_grid, "log_image_files", lambda trainer, key, paths: logged.append(key)
    )
    model = _TinyClassifier()
    x, y = _test(tmp_path, PredictionGrid(str(tmp_path), num_images=3), model)
    with torch.no_grad():
        pairs = list(zip(model.predict_labels(x[:3]).tolist(), y[:3].tolist(), strict=True))
    [(path, (images, captions), kwargs)] = drawn
    assert path == tmp_path / "test_predictions.png"
    torch.testing.assert_close(torch.from_numpy(images), x[:3])
    assert captions == [f"pred {p}\ntrue {t}" for p, t in pairs]
    assert kwargs["caption_colors"] == ["black" if p == t else "red" for p, t in pairs]
    assert logged == ["plots/test_predictions"]

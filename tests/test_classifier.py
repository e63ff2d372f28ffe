"""ImageClassifier: epoch metrics equal a direct computation, bad net widths are named, and
last.ckpt is written every N optimizer steps and at every epoch end."""

import pytest
import pytorch_lightning as pl
import torch
from torch import nn

from callbacks.last_checkpoint import LastCheckpoint
from datamodules.tensor_batches import ShardedBatchSampler, TensorBatchLoader
from labkit.errors import ConfigError
from lightning_modules.classifier import ImageClassifier


def _loader(x, y, batch_size):
    return TensorBatchLoader(x, y, ShardedBatchSampler(len(x), batch_size, shuffle=False, seed=0))


def _model(out_features=3):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, out_features))
    return ImageClassifier(net, optimizer=torch.optim.SGD, num_classes=3)


def _trainer():
    return pl.Trainer(
        logger=False, enable_checkpointing=False, enable_progress_bar=False, max_epochs=1
    )


def _fit(model, loader, epochs=2, callbacks=()):
    """Fit without validation, loggers or progress bar; checkpoints only from ``callbacks``."""
    trainer = pl.Trainer(
        logger=False,
        enable_checkpointing=any(isinstance(cb, pl.callbacks.Checkpoint) for cb in callbacks),
        enable_progress_bar=False,
        enable_model_summary=False,
        max_epochs=epochs,
        limit_val_batches=0,
        callbacks=list(callbacks),
    )
    trainer.fit(model, train_dataloaders=loader)
    return trainer


def test_validation_metrics_are_sample_weighted_over_the_whole_epoch():
    gen = torch.Generator().manual_seed(1)
    x, y = torch.randn(23, 1, 2, 2, generator=gen), torch.randint(0, 3, (23,), generator=gen)
    model = _model()
    # 23 samples in batches of 5: the short last batch must weigh 3/23, not 1/5.
    metrics = _trainer().validate(model, _loader(x, y, 5), verbose=False)[0]
    with torch.no_grad():
        logits = model(x)
    assert metrics["val/loss"] == pytest.approx(float(nn.functional.cross_entropy(logits, y)))
    assert metrics["val/acc"] == pytest.approx(float((logits.argmax(1) == y).float().mean()))


def test_training_epoch_metrics_cover_every_batch_and_reset_between_epochs():
    gen = torch.Generator().manual_seed(2)
    x, y = torch.randn(20, 1, 2, 2, generator=gen), torch.randint(0, 3, (20,), generator=gen)
    model = _model()
    labels = [y.clone(), torch.randint(0, 3, (20,), generator=gen)]
    seen = []

    class SwapLabelsAndRecord(pl.Callback):
        # New labels in epoch 2: its accuracy differs, so totals carried over would show.
        def on_train_epoch_start(self, trainer, pl_module):
            y.copy_(labels[trainer.current_epoch])

        def on_train_epoch_end(self, trainer, pl_module):
            seen.append(float(trainer.callback_metrics["train/acc"]))

    # lr 0: the weights stay put, so each epoch's accuracy must equal the fixed model's.
    model.optimizer_factory = lambda params: torch.optim.SGD(params, lr=0.0)
    _fit(model, _loader(x, y, 6), callbacks=[SwapLabelsAndRecord()])
    with torch.no_grad():
        predicted = model(x).argmax(1)
    expected = [float((predicted == t).float().mean()) for t in labels]
    assert expected[0] != expected[1]
    assert seen == pytest.approx(expected)


def test_a_net_with_the_wrong_output_width_is_named():
    x, y = torch.randn(4, 1, 2, 2), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ConfigError, match="outputs 5 logits .* num_classes=3"):
        _trainer().validate(_model(out_features=5), _loader(x, y, 4), verbose=False)


def test_label_smoothing_changes_the_training_loss_only():
    gen = torch.Generator().manual_seed(4)
    x, y = torch.randn(12, 1, 2, 2, generator=gen), torch.randint(0, 3, (12,), generator=gen)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    model = ImageClassifier(net, optimizer=torch.optim.SGD, num_classes=3, label_smoothing=0.2)
    with torch.no_grad():
        logits = model(x)
        train_loss = model.train().loss_and_statistics((x, y))[0]
        eval_loss = model.eval().loss_and_statistics((x, y))[0]
    smoothed = nn.functional.cross_entropy(logits, y, label_smoothing=0.2)
    assert float(train_loss) == pytest.approx(float(smoothed))
    assert float(eval_loss) == pytest.approx(float(nn.functional.cross_entropy(logits, y)))
    assert float(train_loss) != pytest.approx(float(eval_loss))
    with pytest.raises(ConfigError, match=r"label_smoothing must be in \[0, 1\)"):
        ImageClassifier(net, optimizer=torch.optim.SGD, num_classes=3, label_smoothing=1.0)


def test_mirror_averaging_evaluates_the_mean_logits_of_each_image_and_its_mirror():
    gen = torch.Generator().manual_seed(5)
    x, y = torch.randn(12, 1, 2, 3, generator=gen), torch.randint(0, 3, (12,), generator=gen)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(6, 3))
    model = ImageClassifier(net, optimizer=torch.optim.SGD, num_classes=3, mirror_averaging=True)
    with torch.no_grad():
        averaged = (net(x) + net(x.flip(-1))) / 2
        assert not torch.allclose(averaged, net(x))
        eval_loss = model.eval().loss_and_statistics((x, y))[0]
        train_loss = model.train().loss_and_statistics((x, y))[0]
        torch.testing.assert_close(model.eval().predict_labels(x), averaged.argmax(1))
    assert float(eval_loss) == pytest.approx(float(nn.functional.cross_entropy(averaged, y)))
    assert float(train_loss) == pytest.approx(float(nn.functional.cross_entropy(net(x), y)))


def _steps_model():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    return ImageClassifier(
        net, optimizer=lambda params: torch.optim.Adam(params, lr=0.01), num_classes=3
    )


def _data(n=46):
    gen = torch.Generator().manual_seed(3)
    return torch.randn(n, 1, 2, 2, generator=gen), torch.randint(0, 3, (n,), generator=gen)


def test_last_checkpoint_saves_every_n_steps_and_at_every_epoch_end(tmp_path):
    x, y = _data(35)  # 7 batches of 5 per epoch: steps 1..7 | 8..14
    saved = []

    class RecordSaves(pl.Callback):
        def on_save_checkpoint(self, trainer, pl_module, checkpoint):
            saved.append(trainer.global_step)

    last = LastCheckpoint(str(tmp_path), every_n_train_steps=4)
    _fit(_steps_model(), _loader(x, y, 5), callbacks=[last, RecordSaves()])
    # Steps 4, 8 and 12 are multiples of 4; 7 and 14 are epoch ends. Lightning's
    # ModelCheckpoint takes a step or an epoch interval, not both.
    assert saved == [4, 7, 8, 12, 14]
    assert (tmp_path / "last.ckpt").exists()

"""ImageClassifier: its epoch metrics equal a direct computation, and it names bad net widths."""

import pytest
import pytorch_lightning as pl
import torch
from torch import nn

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
    trainer = pl.Trainer(
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        max_epochs=2,
        limit_val_batches=0,
        callbacks=[SwapLabelsAndRecord()],
    )
    trainer.fit(model, train_dataloaders=_loader(x, y, 6))
    with torch.no_grad():
        predicted = model(x).argmax(1)
    expected = [float((predicted == t).float().mean()) for t in labels]
    assert expected[0] != expected[1]
    assert seen == pytest.approx(expected)


def test_a_net_with_the_wrong_output_width_is_named():
    x, y = torch.randn(4, 1, 2, 2), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ConfigError, match="outputs 5 logits .* num_classes=3"):
        _trainer().validate(_model(out_features=5), _loader(x, y, 4), verbose=False)

"""ThrottledRichProgressBar moves on an epoch's first two batches, every N and on its last one."""

from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
from pytorch_lightning.callbacks import RichProgressBar
from pytorch_lightning.demos.boring_classes import BoringModel

from callbacks.progress_bar import ThrottledRichProgressBar


def test_updates_on_the_first_two_batches_every_n_batches_and_on_the_last(monkeypatch):
    updated = []
    monkeypatch.setattr(
        RichProgressBar, "on_train_batch_end", lambda self, t, m, o, b, i: updated.append(i + 1)
    )
    bar = ThrottledRichProgressBar(update_every_n_batches=20)
    bar._trainer = SimpleNamespace(num_training_batches=45, max_epochs=1, max_steps=-1)
    for batch_idx in range(45):
        bar.on_train_batch_end(bar._trainer, None, None, None, batch_idx)
    assert updated == [1, 2, 20, 40, 45]


def test_zero_batches_between_updates_is_refused():
    with pytest.raises(ValueError, match="update_every_n_batches"):
        ThrottledRichProgressBar(update_every_n_batches=0)


class _BarAfterBatch(pl.Callback):
    """Records the training bar's position and estimate of the time left after each batch."""

    def __init__(self, bar: ThrottledRichProgressBar) -> None:
        self.bar, self.seen = bar, []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        task = self.bar.train_progress_bar
        self.seen.append((task.completed, task.time_remaining))


def test_bar_moves_at_the_first_batch_and_has_an_eta_from_the_second(tmp_path):
    bar = ThrottledRichProgressBar(update_every_n_batches=20)
    probe = _BarAfterBatch(bar)  # after the bar in the list: Lightning calls them in this order
    trainer = pl.Trainer(
        default_root_dir=tmp_path,
        max_epochs=1,
        limit_train_batches=30,
        limit_val_batches=0,
        callbacks=[bar, probe],
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
    )
    trainer.fit(BoringModel())
    (first, first_eta), (second, second_eta), (third, _) = probe.seen[:3]
    assert (first, second, third) == (1, 2, 2), "the bar moves at batches 1 and 2, then waits for N"
    assert first_eta is None and second_eta is not None, "the time left is known from batch 2"
    assert probe.seen[19][0] == 20 and probe.seen[-1][0] == 30

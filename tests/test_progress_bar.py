"""ThrottledRichProgressBar moves every N training batches and on each epoch's last one."""

from types import SimpleNamespace

import pytest
from pytorch_lightning.callbacks import RichProgressBar

from callbacks.progress_bar import ThrottledRichProgressBar


def test_updates_every_n_batches_and_on_the_last(monkeypatch):
    updated = []
    monkeypatch.setattr(
        RichProgressBar, "on_train_batch_end", lambda self, t, m, o, b, i: updated.append(i + 1)
    )
    bar = ThrottledRichProgressBar(update_every_n_batches=20)
    bar._trainer = SimpleNamespace(num_training_batches=45, max_epochs=1, max_steps=-1)
    for batch_idx in range(45):
        bar.on_train_batch_end(bar._trainer, None, None, None, batch_idx)
    assert updated == [20, 40, 45]


def test_zero_batches_between_updates_is_refused():
    with pytest.raises(ValueError, match="update_every_n_batches"):
        ThrottledRichProgressBar(update_every_n_batches=0)

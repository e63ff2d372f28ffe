"""TrainingModule, the base of every labkit module: clipping and accumulation at any
steps_per_execution, the monitor's best value, the metric names a sweeper may ask for, and the
multitask and autoencoder modules built on it."""

import pytest
import pytorch_lightning as pl
import torch
from torch import nn

from datamodules.batch_groups import BatchGroups
from datamodules.tensor_batches import ShardedBatchSampler, TensorBatchLoader
from labkit.errors import ConfigError
from labkit.optimized_metric import check_optimized_metric
from lightning_modules.autoencoder import Autoencoder
from lightning_modules.classifier import ImageClassifier
from lightning_modules.multitask import MultitaskClassifier


def _loader(x, y, batch_size=5):
    return TensorBatchLoader(x, y, ShardedBatchSampler(len(x), batch_size, shuffle=False, seed=0))


def _data(n=46, labels=(3,)):
    gen = torch.Generator().manual_seed(3)
    y = torch.randint(0, 3, (n, *labels[1:]), generator=gen) if len(labels) > 1 else None
    x = torch.randn(n, 1, 2, 2, generator=gen)
    return x, (y if y is not None else torch.randint(0, labels[0], (n,), generator=gen))


def _classifier(steps_per_execution, scheduler=None, interval="epoch"):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    return ImageClassifier(
        net,
        optimizer=lambda params: torch.optim.SGD(params, lr=0.5, momentum=0.9),
        num_classes=3,
        scheduler=scheduler,
        scheduler_interval=interval,
        steps_per_execution=steps_per_execution,
    )


def _fit(model, loader, epochs=2, **trainer_options):
    trainer = pl.Trainer(
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        max_epochs=epochs,
        limit_val_batches=0,
        **trainer_options,
    )
    trainer.fit(model, train_dataloaders=loader)
    return trainer


def _assert_same_weights(a, b):
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), f"{name} differs between one step at a time and grouped steps"


@pytest.mark.parametrize("algorithm", ["norm", "value"])
def test_gradient_clipping_at_any_steps_per_execution_matches_lightnings(algorithm):
    x, y = _data()  # 10 batches of 5 (the last of 1)
    one, grouped = _classifier(1), _classifier(3)
    # lr 0.5 with momentum: unclipped gradients would take very different steps.
    _fit(one, _loader(x, y), gradient_clip_val=0.05, gradient_clip_algorithm=algorithm)
    grouped.adopt_step_options(0.05, algorithm, 1)
    _fit(grouped, BatchGroups(_loader(x, y), 3))
    unclipped = _classifier(1)
    _fit(unclipped, _loader(x, y))
    _assert_same_weights(one, grouped)
    assert not torch.equal(unclipped.net[1].weight, one.net[1].weight), "clipping changed nothing"


@pytest.mark.parametrize("accumulate", [2, 3])
def test_gradient_accumulation_at_any_steps_per_execution_matches_lightnings(accumulate):
    x, y = _data()  # 10 batches per epoch; with 3, the epoch's last step takes one batch
    decay = lambda optimizer: torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.7)  # noqa: E731
    one, grouped = _classifier(1, scheduler=decay, interval="step"), None
    one_trainer = _fit(one, _loader(x, y), accumulate_grad_batches=accumulate)
    grouped = _classifier(4, scheduler=decay, interval="step")
    grouped.adopt_step_options(None, None, accumulate)
    grouped_trainer = _fit(grouped, BatchGroups(_loader(x, y), 4))
    steps = 2 * -(-10 // accumulate)
    assert one_trainer.global_step == grouped_trainer.global_step == steps
    _assert_same_weights(one, grouped)
    assert grouped.lr_schedulers().last_epoch == one.lr_schedulers().last_epoch == steps


def test_a_per_step_schedule_counts_accumulated_steps():
    x, y = _data()
    one_cycle = lambda optimizer, total_steps: torch.optim.lr_scheduler.OneCycleLR(  # noqa: E731
        optimizer, max_lr=0.01, total_steps=total_steps
    )
    model = _classifier(4, scheduler=one_cycle, interval="step")
    model.adopt_step_options(None, None, 3)
    _fit(model, BatchGroups(_loader(x, y), 4), epochs=3)
    # 10 batches per epoch, a step every 3 and at the epoch's end: 4 steps x 3 epochs.
    assert model.lr_schedulers().total_steps == 12 == model.lr_schedulers().last_epoch


def test_the_best_monitored_value_follows_the_monitor_mode():
    x, y = _data()
    model = Autoencoder(nn.Sequential(nn.Flatten(), nn.Linear(4, 4), nn.Unflatten(1, (1, 2, 2))),
                        optimizer=lambda p: torch.optim.SGD(p, lr=0.0))  # fmt: skip
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False)
    trainer.validate(model, _loader(x, y), verbose=False)  # sanity-free validation: best = first
    first = float(trainer.callback_metrics["val/loss"])
    assert float(trainer.callback_metrics["val/loss_best"]) == pytest.approx(first)
    with torch.no_grad():
        model.net[1].weight.mul_(3)  # a worse model: the best (lowest) loss must stay
    trainer.validate(model, _loader(x, y), verbose=False)
    assert float(trainer.callback_metrics["val/loss"]) > first
    assert float(trainer.callback_metrics["val/loss_best"]) == pytest.approx(first)


def test_a_monitor_the_model_does_not_log_is_refused():
    with pytest.raises(ConfigError, match=r"model.monitor='val/accuracy'.*'val/acc'"):
        ImageClassifier(nn.Linear(4, 3), torch.optim.SGD, num_classes=3, monitor="val/accuracy")


def test_an_optimized_metric_the_model_does_not_log_is_named_with_the_choices():
    model = _classifier(1)
    check_optimized_metric("val/acc_best", model)
    check_optimized_metric("test/loss", model)
    with pytest.raises(ConfigError, match=r"optimized_metric=val/accuracy .*val/acc_best"):
        check_optimized_metric("val/accuracy", model)


def test_multitask_logs_each_task_and_their_mean():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(12, 1, 2, 2, generator=gen), torch.randint(0, 3, (12, 2), generator=gen)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 6), nn.Unflatten(1, (2, 3)))
    model = MultitaskClassifier(net, torch.optim.SGD, num_classes=3, num_tasks=2)
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False)
    metrics = trainer.validate(model, _loader(x, y, 5), verbose=False)[0]
    with torch.no_grad():
        logits = model(x)
    for t in range(2):
        loss = nn.functional.cross_entropy(logits[:, t], y[:, t])
        acc = (logits[:, t].argmax(1) == y[:, t]).float().mean()
        assert metrics[f"val/task{t + 1}/loss"] == pytest.approx(float(loss), rel=1e-6)
        assert metrics[f"val/task{t + 1}/acc"] == pytest.approx(float(acc))
    mean_loss = (metrics["val/task1/loss"] + metrics["val/task2/loss"]) / 2
    assert metrics["val/loss"] == pytest.approx(mean_loss, rel=1e-6)
    assert metrics["val/acc"] == pytest.approx(
        (metrics["val/task1/acc"] + metrics["val/task2/acc"]) / 2
    )
    assert model.predict_labels(x).shape == (12, 2)


def test_a_multitask_net_with_the_wrong_heads_is_named():
    x, y = torch.randn(4, 1, 2, 2), torch.zeros(4, 2, dtype=torch.long)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))  # one head, not (N, 2, 3)
    model = MultitaskClassifier(net, torch.optim.SGD, num_classes=3, num_tasks=2)
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False)
    with pytest.raises(ConfigError, match=r"shape \(4, 2, 3\).*got outputs \(4, 3\)"):
        trainer.validate(model, _loader(x, y, 4), verbose=False)


def test_an_autoencoder_output_of_the_wrong_size_is_named():
    x, y = torch.randn(4, 1, 2, 2), torch.zeros(4, dtype=torch.long)
    model = Autoencoder(nn.Sequential(nn.Flatten(), nn.Linear(4, 3)), torch.optim.SGD)
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False)
    with pytest.raises(ConfigError, match=r"returns \(4, 3\) for inputs of shape \(4, 1, 2, 2\)"):
        trainer.validate(model, _loader(x, y, 4), verbose=False)

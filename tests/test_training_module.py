"""TrainingModule, the base of every labkit module: Lightning's own clipping, accumulation and
per-step schedules act on it exactly as on a plain torch loop, the monitor's best value, the
metric names a sweeper may ask for, and the multitask and autoencoder modules built on it."""

import csv

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger
from torch import nn

from datamodules.tensor_batches import ShardedBatchSampler, TensorBatchLoader
from labkit.errors import ConfigError
from labkit.optimized_metric import check_optimized_metric, sweep_value
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


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def _sgd(params):
    return torch.optim.SGD(params, lr=0.5, momentum=0.9)


def _classifier(scheduler=None, interval="epoch"):
    return ImageClassifier(
        _net(), optimizer=_sgd, num_classes=3, scheduler=scheduler, scheduler_interval=interval
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


def _torch_loop(x, y, epochs=2, accumulate=1, clip=None, algorithm="norm"):
    """What Lightning's docs say clipping and accumulation do, as a plain loop: the reference."""
    net = _net()
    optimizer = _sgd(net.parameters())
    batches = list(_loader(x, y))
    for _ in range(epochs):
        for i, (xb, yb) in enumerate(batches):
            (nn.functional.cross_entropy(net(xb), yb) / accumulate).backward()
            if (i + 1) % accumulate == 0 or i + 1 == len(batches):
                if clip is not None and algorithm == "norm":
                    nn.utils.clip_grad_norm_(net.parameters(), clip)
                elif clip is not None:
                    nn.utils.clip_grad_value_(net.parameters(), clip)
                optimizer.step()
                optimizer.zero_grad()
    return net


def _assert_same_weights(model, net):
    for (name, p), q in zip(model.net.named_parameters(), net.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7, msg=f"{name} differs")


@pytest.mark.parametrize("algorithm", ["norm", "value"])
def test_lightnings_gradient_clipping_acts_as_in_a_plain_loop(algorithm):
    x, y = _data()  # 10 batches of 5 (the last of 1)
    clipped = _classifier()
    _fit(clipped, _loader(x, y), gradient_clip_val=0.05, gradient_clip_algorithm=algorithm)
    _assert_same_weights(clipped, _torch_loop(x, y, clip=0.05, algorithm=algorithm))
    # lr 0.5 with momentum: unclipped gradients take very different steps.
    unclipped = _torch_loop(x, y)
    assert not torch.allclose(unclipped[1].weight, clipped.net[1].weight), "clipping did nothing"


@pytest.mark.parametrize("accumulate", [2, 3])
def test_lightnings_gradient_accumulation_acts_as_in_a_plain_loop(accumulate):
    x, y = _data()  # 10 batches per epoch; with 3, the epoch's last step takes one batch
    decay = lambda optimizer: torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=1.0)  # noqa: E731
    model = _classifier(scheduler=decay, interval="step")
    trainer = _fit(model, _loader(x, y), accumulate_grad_batches=accumulate)
    steps = 2 * -(-10 // accumulate)
    assert trainer.global_step == steps
    assert model.lr_schedulers().last_epoch == steps, "a per-step schedule steps per optimizer step"
    _assert_same_weights(model, _torch_loop(x, y, accumulate=accumulate))


def test_a_one_cycle_schedule_spans_the_runs_optimizer_steps():
    x, y = _data()
    one_cycle = lambda optimizer, total_steps: torch.optim.lr_scheduler.OneCycleLR(  # noqa: E731
        optimizer, max_lr=0.01, total_steps=total_steps
    )
    model = _classifier(scheduler=one_cycle, interval="step")
    _fit(model, _loader(x, y), epochs=3, accumulate_grad_batches=3)
    # 10 batches per epoch, a step every 3 and at the epoch's end: 4 steps x 3 epochs.
    assert model.lr_schedulers().total_steps == 12 == model.lr_schedulers().last_epoch


@pytest.mark.parametrize(
    "options, steps",
    [({"limit_train_batches": 4}, 8), ({"max_steps": 13}, 13), ({"limit_train_batches": 0.5}, 10)],
)
def test_limit_train_batches_and_max_steps_mean_what_lightning_says(options, steps):
    x, y = _data()  # 10 batches per epoch, 2 epochs
    trainer = _fit(_classifier(), _loader(x, y), **options)
    assert trainer.global_step == steps


def test_train_loss_reaches_the_loggers_every_log_every_n_steps(tmp_path):
    x, y = _data()
    trainer = pl.Trainer(
        logger=CSVLogger(tmp_path, name="", version=""),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        max_epochs=2,
        limit_val_batches=0,
        log_every_n_steps=3,
    )
    trainer.fit(_classifier(), train_dataloaders=_loader(x, y))
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    steps = [int(row["step"]) for row in rows if row.get("train/loss")]
    # Lightning logs when (step + 1) is a multiple of 3, at that step: 20 steps in all.
    assert steps == [2, 5, 8, 11, 14, 17]


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


def test_a_failed_or_diverged_job_hands_its_sweeper_none():
    assert sweep_value({"val/acc_best": 0.9}, "val/acc_best") == 0.9
    assert sweep_value({}, "val/acc_best") is None  # a failed job: no metrics
    assert sweep_value({"val/acc_best": float("nan")}, "val/acc_best") is None
    assert sweep_value({"val/acc_best": 0.9}, None) is None  # no sweep metric configured

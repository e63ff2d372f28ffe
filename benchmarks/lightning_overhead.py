"""What labkit adds on top of Lightning, and Lightning on top of a plain torch loop, side by side.

Three arms train the same MLP 784-512-512-10 (same seed, so the same initial weights) with Adam
1e-3 on the same MNIST batches (the same loader, so the same order) for the same epochs, validate
after every epoch and test at the end:

- ``labkit_run``: ``train(cfg)`` exactly as ``train.py`` runs it: DataModule, LightningModule,
  Trainer, the default callbacks (checkpoints, progress bar, plots, summary, NaN guard) and
  loggers (CSV, W&B offline);
- ``bare_lightning``: the same net in a bare LightningModule on a Trainer with everything off;
- ``plain_loop``: the same work in plain torch.

The arms alternate (the first one rotates), several repeats; each figure is the median of the
per-repeat ratios of per-epoch times (first epoch start to the end of the last epoch's
validation and checkpoints), so start-up, test and W&B's finish, paid once per run, are apart.

    python benchmarks/lightning_overhead.py [--epochs 3] [--repeats 5] [--override KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hydra  # noqa: E402
import pytorch_lightning as pl  # noqa: E402
import torch  # noqa: E402
from omegaconf import open_dict  # noqa: E402
from torch import nn  # noqa: E402

from labkit.compose import compose_run_config  # noqa: E402
from labkit.entry import quiet_known_warnings  # noqa: E402
from labkit.training import train  # noqa: E402

OVERRIDES = [
    "experiment=mnist_mlp",
    "model.net.hidden_sizes=[512,512]",
    "model.optimizer.lr=0.001",
    "model.scheduler=null",
    "data.batch_size=128",
]


@dataclass
class Timing:
    """One arm's run: whole wall time, the part spent in its epochs, and its test results."""

    total_s: float
    epochs_s: float
    test_acc: float
    test_loss: float

    @property
    def rest_s(self) -> float:
        """Start-up, test and close: paid once per run, whatever its length."""
        return self.total_s - self.epochs_s


class _EpochSpan(pl.Callback):
    """Times the epochs: from the first one's start to the end of training (every epoch's train,
    validation and checkpoints)."""

    def __init__(self) -> None:
        self.start: float | None = None
        self.end: float | None = None

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if self.start is None:
            self.start = time.perf_counter()

    def on_train_end(self, trainer, pl_module) -> None:
        self.end = time.perf_counter()


SPANS: list[_EpochSpan] = []  # train() builds labkit's span from the config; it lands here


def epoch_span() -> _EpochSpan:
    span = _EpochSpan()
    SPANS.append(span)
    return span


def plain_loop(cfg) -> Timing:
    """The same work in plain torch: load, train, validate each epoch, test."""
    # A plain script never imports Lightning, which sets this variable and with it a GPU probe
    # on every Adam step; the baseline must not carry that cost.
    nvml_check = os.environ.pop("PYTORCH_NVML_BASED_CUDA_CHECK", None)
    try:
        return _plain_loop(cfg)
    finally:
        if nvml_check is not None:
            os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = nvml_check


def _plain_loop(cfg) -> Timing:
    start = time.perf_counter()
    pl.seed_everything(cfg.seed, workers=True)
    # Same loading code and batches as labkit, handed out one at a time.
    datamodule = hydra.utils.instantiate(cfg.data)
    net: nn.Module = hydra.utils.instantiate(cfg.model.net)
    datamodule.setup()
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.model.optimizer.lr)
    loss_fn = nn.CrossEntropyLoss()

    def evaluate(loader) -> tuple[float, float]:
        """Accuracy and mean cross-entropy."""
        net.eval()
        correct = total = loss_sum = 0
        with torch.no_grad():
            for x, y in loader:
                logits = net(x)
                correct += int((logits.argmax(1) == y).sum())
                loss_sum += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
                total += len(y)
        net.train()
        return correct / total, loss_sum / total

    train_loader = datamodule.train_dataloader()
    epochs_start = time.perf_counter()
    for epoch in range(cfg.trainer.max_epochs):
        train_loader.batch_sampler.set_epoch(epoch)
        for x, y in train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss_fn(net(x), y).backward()
            optimizer.step()
        evaluate(datamodule.val_dataloader())
    epochs_s = time.perf_counter() - epochs_start
    accuracy, loss = evaluate(datamodule.test_dataloader())
    return Timing(time.perf_counter() - start, epochs_s, accuracy, loss)


class _BareModule(pl.LightningModule):
    """The least a LightningModule can be: net, loss, Adam; nothing logged."""

    def __init__(self, net: nn.Module, lr: float) -> None:
        super().__init__()
        self.net, self.lr, self.loss_fn = net, lr, nn.CrossEntropyLoss()
        self.correct = self.total = self.loss_sum = 0

    def training_step(self, batch, batch_idx):
        x, y = batch
        return self.loss_fn(self.net(x), y)

    def validation_step(self, batch, batch_idx):
        self.net(batch[0]).argmax(1)

    def test_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        self.correct += int((logits.argmax(1) == y).sum())
        self.loss_sum += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
        self.total += len(y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def bare_lightning(cfg) -> Timing:
    """Lightning's own floor: the same work through a bare module and a Trainer with nothing on."""
    start = time.perf_counter()
    pl.seed_everything(cfg.seed, workers=True)
    datamodule = hydra.utils.instantiate(cfg.data)
    module = _BareModule(hydra.utils.instantiate(cfg.model.net), cfg.model.optimizer.lr)
    span = _EpochSpan()
    trainer = pl.Trainer(
        max_epochs=cfg.trainer.max_epochs,
        callbacks=[span],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        use_distributed_sampler=False,
    )
    trainer.fit(module, datamodule=datamodule)
    trainer.test(module, datamodule=datamodule, verbose=False)
    elapsed = time.perf_counter() - start
    total = module.total
    return Timing(elapsed, span.seconds, module.correct / total, module.loss_sum / total)


def labkit_run(cfg) -> Timing:
    import wandb

    # The one addition to train.py's run: a callback with two epoch-level hooks, to split the time.
    cfg = copy.deepcopy(cfg)
    with open_dict(cfg):
        cfg.callbacks.epoch_span = {"_target_": f"{__name__}.epoch_span"}
    start = time.perf_counter()
    metrics = train(cfg)
    elapsed = time.perf_counter() - start
    wandb.teardown()  # stop W&B's service, so every repeat pays its start-up like a fresh train.py
    span = SPANS.pop()
    return Timing(elapsed, span.seconds, metrics["test/acc"], metrics["test/loss"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    # Single runs vary by ±10% on a 2-core VM; the ratio of arms run side by side varies less.
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--override", nargs="*", default=[], help="more config overrides")
    args = parser.parse_args()
    quiet_known_warnings()
    os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")
    overrides = [*OVERRIDES, f"trainer.max_epochs={args.epochs}", *args.override]
    with tempfile.TemporaryDirectory() as tmp:
        arms = [plain_loop, bare_lightning, labkit_run]
        runs: dict[str, list[Timing]] = {fn.__name__: [] for fn in arms}
        for repeat in range(args.repeats):
            cfg = compose_run_config(overrides, Path(tmp) / f"run{repeat}")
            # Rotate which goes first, so drift in machine load hits every arm alike.
            order = arms[repeat % len(arms) :] + arms[: repeat % len(arms)]
            results = {fn.__name__: fn(cfg) for fn in order}
            line = []
            for name, timing in results.items():
                runs[name].append(timing)
                line.append(
                    f"{name} {timing.total_s:.2f} s (epochs {timing.epochs_s:.2f} s, "
                    f"test acc {timing.test_acc:.4f}, loss {timing.test_loss:.4f})"
                )
            print(f"repeat {repeat}: " + " | ".join(line), flush=True)
    report(runs, args)


def report(runs: dict[str, list[Timing]], args: argparse.Namespace) -> None:
    def epoch_ratios(name: str, base: str) -> list[float]:
        pairs = zip(runs[name], runs[base], strict=True)
        return sorted(t.epochs_s / b.epochs_s for t, b in pairs)

    labkit = epoch_ratios("labkit_run", "bare_lightning")
    lightning = epoch_ratios("bare_lightning", "plain_loop")
    extra_rest = statistics.median(
        t.rest_s - b.rest_s for t, b in zip(runs["labkit_run"], runs["bare_lightning"], strict=True)
    )
    epochs = statistics.median(t.epochs_s for t in runs["bare_lightning"]) / args.epochs
    print(f"threads: {torch.get_num_threads()}, epochs: {args.epochs}, repeats: {args.repeats}")
    print(f"bare Lightning, median per epoch: {epochs:.2f} s")
    print(f"labkit / bare Lightning per epoch, per repeat (sorted): {_listed(labkit)}")
    print(f"bare Lightning / plain loop per epoch, per repeat (sorted): {_listed(lightning)}")
    print(
        f"bare_lightning_vs_plain_ratio: {statistics.median(lightning):.3f} "
        "(Lightning's own loop, per epoch)"
    )
    print(
        f"labkit_once_per_run_extra: {extra_rest:+.2f} s (start-up, test of the best checkpoint, "
        "figures, W&B: paid once per run)"
    )
    print(
        f"labkit_vs_bare_lightning_ratio: {statistics.median(labkit):.3f} "
        "(per epoch; target <= 1.05)"
    )


def _listed(ratios: list[float]) -> str:
    return ", ".join(f"{r:.3f}" for r in ratios)


if __name__ == "__main__":
    main()

"""What labkit's training stack costs over a plain torch loop, measured side by side.

Both sides train the same MLP 784-512-512-10 (same seed, so the same initial weights) with Adam 1e-3
on the same MNIST batches (the same loader, so the same order) for the same epochs, validate after
every epoch and test at the end. labkit runs through ``train(cfg)`` exactly as ``train.py`` does —
DataModule, LightningModule, Trainer, with the default callbacks (checkpoints, progress bar, plots,
summary) and loggers (CSV, W&B offline) on. The two alternate, several repeats; the figure is the
median of the per-repeat ratios labkit / plain.

    python benchmarks/lightning_overhead.py [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hydra  # noqa: E402
import pytorch_lightning as pl  # noqa: E402
import torch  # noqa: E402
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


def plain_loop(cfg) -> tuple[float, float]:
    """The same work in plain torch: load, train, validate each epoch, test. Returns (s, test acc)."""
    start = time.perf_counter()
    pl.seed_everything(cfg.seed, workers=True)
    datamodule = hydra.utils.instantiate(cfg.data)  # same loading code and batches as labkit
    net: nn.Module = hydra.utils.instantiate(cfg.model.net)
    datamodule.setup()
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.model.optimizer.lr)
    loss_fn = nn.CrossEntropyLoss()

    def evaluate(loader) -> float:
        net.eval()
        correct = total = 0
        with torch.no_grad():
            for x, y in loader:
                correct += int((net(x).argmax(1) == y).sum())
                total += len(y)
        net.train()
        return correct / total

    train_loader = datamodule.train_dataloader()
    for epoch in range(cfg.trainer.max_epochs):
        train_loader.batch_sampler.set_epoch(epoch)
        for x, y in train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss_fn(net(x), y).backward()
            optimizer.step()
        evaluate(datamodule.val_dataloader())
    return time.perf_counter() - start, evaluate(datamodule.test_dataloader())


def labkit_run(cfg) -> tuple[float, float]:
    import wandb

    start = time.perf_counter()
    metrics = train(cfg)
    elapsed = time.perf_counter() - start
    wandb.teardown()  # stop W&B's service, so every repeat pays its start-up like a fresh train.py
    return elapsed, metrics["test/acc"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    quiet_known_warnings()
    os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")
    overrides = [*OVERRIDES, f"trainer.max_epochs={args.epochs}"]
    with tempfile.TemporaryDirectory() as tmp:
        ratios = []
        for repeat in range(args.repeats):
            cfg = compose_run_config(overrides, Path(tmp) / f"run{repeat}")
            # Alternate which goes first, so drift in machine load hits both sides alike.
            order = [plain_loop, labkit_run] if repeat % 2 == 0 else [labkit_run, plain_loop]
            results = {fn.__name__: fn(cfg) for fn in order}
            (t_plain, acc_plain), (t_lab, acc_lab) = results["plain_loop"], results["labkit_run"]
            ratios.append(t_lab / t_plain)
            print(
                f"repeat {repeat}: plain {t_plain:.2f} s (test acc {acc_plain:.4f}) | "
                f"labkit {t_lab:.2f} s (test acc {acc_lab:.4f}) | ratio {ratios[-1]:.3f}",
                flush=True,
            )
    print(f"threads: {torch.get_num_threads()}, epochs: {args.epochs}, repeats: {args.repeats}")
    print(f"lightning_overhead_ratio: {statistics.median(ratios):.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()

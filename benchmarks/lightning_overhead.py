"""What labkit's training stack costs over a plain torch loop, measured side by side.

Both sides train the same MLP 784-512-512-10 (same seed, so the same initial weights) with Adam 1e-3
on the same MNIST batches (the same loader, so the same order) for the same epochs, validate after
every epoch and test at the end. labkit runs through ``train(cfg)`` exactly as ``train.py`` does —
DataModule, LightningModule, Trainer, with the default callbacks (checkpoints, progress bar, plots,
summary) and loggers (CSV, W&B offline) on. The two alternate, several repeats; the figure is the
median of the per-repeat ratios labkit / plain. mnist_mlp runs 8 optimizer steps per Lightning
step (``steps_per_execution``); two more arms show what that buys: labkit with one step per
Lightning step, and a bare LightningModule on a Trainer with everything off (Lightning's own
per-step cost, the floor for one step at a time).

    python benchmarks/lightning_overhead.py [--epochs 3] [--repeats 5]
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
    # A plain script never imports Lightning, which sets this variable and with it a GPU probe
    # on every Adam step; the baseline must not carry that cost.
    nvml_check = os.environ.pop("PYTORCH_NVML_BASED_CUDA_CHECK", None)
    try:
        return _plain_loop(cfg)
    finally:
        if nvml_check is not None:
            os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = nvml_check


def _plain_loop(cfg) -> tuple[float, float]:
    start = time.perf_counter()
    pl.seed_everything(cfg.seed, workers=True)
    # Same loading code and batches as labkit, handed out one at a time.
    datamodule = hydra.utils.instantiate(cfg.data, steps_per_execution=1)
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


class _BareModule(pl.LightningModule):
    """The least a LightningModule can be: net, loss, Adam; nothing logged."""

    def __init__(self, net: nn.Module, lr: float) -> None:
        super().__init__()
        self.net, self.lr, self.loss_fn = net, lr, nn.CrossEntropyLoss()
        self.correct = self.total = 0

    def training_step(self, batch, batch_idx):
        x, y = batch
        return self.loss_fn(self.net(x), y)

    def validation_step(self, batch, batch_idx):
        self.net(batch[0]).argmax(1)

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.correct += int((self.net(x).argmax(1) == y).sum())
        self.total += len(y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def bare_lightning(cfg) -> tuple[float, float]:
    """Lightning's own floor: the same work through a bare module and a Trainer with nothing on."""
    start = time.perf_counter()
    pl.seed_everything(cfg.seed, workers=True)
    datamodule = hydra.utils.instantiate(cfg.data, steps_per_execution=1)
    module = _BareModule(hydra.utils.instantiate(cfg.model.net), cfg.model.optimizer.lr)
    trainer = pl.Trainer(
        max_epochs=cfg.trainer.max_epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        use_distributed_sampler=False,
    )
    trainer.fit(module, datamodule=datamodule)
    trainer.test(module, datamodule=datamodule, verbose=False)
    return time.perf_counter() - start, module.correct / module.total


def labkit_run(cfg) -> tuple[float, float]:
    import wandb

    start = time.perf_counter()
    metrics = train(cfg)
    elapsed = time.perf_counter() - start
    wandb.teardown()  # stop W&B's service, so every repeat pays its start-up like a fresh train.py
    return elapsed, metrics["test/acc"]


def labkit_one_step(cfg) -> tuple[float, float]:
    """labkit as above, but one optimizer step per Lightning step."""
    cfg = cfg.copy()
    cfg.steps_per_execution = 1
    return labkit_run(cfg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)  # runs vary ±10% here
    args = parser.parse_args()
    quiet_known_warnings()
    os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")
    overrides = [*OVERRIDES, f"trainer.max_epochs={args.epochs}"]
    with tempfile.TemporaryDirectory() as tmp:
        arms = [plain_loop, bare_lightning, labkit_one_step, labkit_run]
        ratios: dict[str, list[float]] = {fn.__name__: [] for fn in arms[1:]}
        for repeat in range(args.repeats):
            cfg = compose_run_config(overrides, Path(tmp) / f"run{repeat}")
            # Rotate which goes first, so drift in machine load hits every arm alike.
            order = arms[repeat % len(arms) :] + arms[: repeat % len(arms)]
            results = {fn.__name__: fn(cfg) for fn in order}
            t_plain = results["plain_loop"][0]
            line = [f"repeat {repeat}:"]
            for name, (seconds, acc) in results.items():
                if name != "plain_loop":
                    ratios[name].append(seconds / t_plain)
                line.append(f"{name} {seconds:.2f} s (test acc {acc:.4f})")
            print(" | ".join(line), flush=True)
    print(f"threads: {torch.get_num_threads()}, epochs: {args.epochs}, repeats: {args.repeats}")
    # Lightning's own loop (hooks, closures, progress tracking) costs ~1 ms per step here,
    # whatever labkit adds; this line separates the two.
    floor = statistics.median(ratios["bare_lightning"])
    print(f"bare_lightning_ratio: {floor:.3f} (Lightning alone, one step at a time)")
    one_step = statistics.median(ratios["labkit_one_step"])
    print(f"labkit_one_step_ratio: {one_step:.3f} (labkit with steps_per_execution=1)")
    print(
        f"lightning_overhead_ratio: {statistics.median(ratios['labkit_run']):.3f} (target <= 1.10)"
    )


if __name__ == "__main__":
    main()

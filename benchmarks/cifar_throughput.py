"""Training images/s of ResNet-18 on CIFAR-10 through labkit and through a plain torch loop.

Both arms train the same net (same seed, so the same initial weights) with the same SGD
(Nesterov momentum, the experiment's lr and weight decay) on the same batches: labkit through
``train(cfg)`` exactly as ``python train.py experiment=cifar10_resnet18`` runs it (DataModule,
LightningModule, Trainer, the default callbacks and loggers), the plain loop with the same
DataModule's batches and on-device augmentation, autocast, memory order and placement. Each arm
times its training steps after ``--warmup`` steps (cuDNN autotuning, compilation), from the start
of the first timed step to the end of the last (the device synchronised at both ends); validation,
testing and start-up are outside the window. The arms alternate over ``--repeats``; the figure is
the median of the per-repeat ratios labkit / plain.

Data: CIFAR-10 from ``data_dir`` / ``LABKIT_DATA`` when there, else random images of its shape
(throughput does not depend on the pixels; the script says which).

    python benchmarks/cifar_throughput.py                     # CPU-sized default: a few steps
    python benchmarks/cifar_throughput.py --gpu --batch-size 512 --steps 60 --repeats 3
"""

from __future__ import annotations

import argparse
import copy
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
from omegaconf import open_dict  # noqa: E402
from torch import nn  # noqa: E402

from labkit.compose import compose_run_config  # noqa: E402
from labkit.entry import quiet_known_warnings  # noqa: E402
from labkit.errors import DataError  # noqa: E402
from labkit.training import train  # noqa: E402


def overrides(args: argparse.Namespace, labkit_data: str | None) -> list[str]:
    steps = args.warmup + args.steps
    return [
        "experiment=cifar10_resnet18",
        *(["trainer=gpu"] if args.gpu else ["trainer=cpu"]),
        f"data.batch_size={args.batch_size}",
        f"data.eval_batch_size={args.batch_size}",
        "data.progress=false",
        f"model.net.width={args.width}",
        f"model.compile={str(args.compile).lower()}",
        "trainer.max_epochs=1",
        f"trainer.limit_train_batches={steps}",
        "trainer.limit_val_batches=1",
        "trainer.limit_test_batches=1",
        "scheduler=none",  # a schedule over one short epoch would step the lr to zero
        *([f"paths.labkit_data={labkit_data}"] if labkit_data else []),
        *args.override,
    ]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class StepWindow(pl.Callback):
    """Times training batches ``warmup`` .. the last: their images and seconds."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.start, self.end, self.images = warmup, None, None, 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx == self.warmup:
            _sync(pl_module.device)
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if batch_idx >= self.warmup:
            self.images += len(batch[0])
            _sync(pl_module.device)
            self.end = time.perf_counter()

    def images_per_s(self) -> float:
        return self.images / (self.end - self.start)


WINDOWS: list[StepWindow] = []  # train() builds labkit's window from the config; it lands here


def step_window(warmup: int) -> StepWindow:
    window = StepWindow(warmup)
    WINDOWS.append(window)
    return window


def labkit_arm(cfg, warmup: int) -> float:
    """Training images/s through train(cfg), as train.py runs it."""
    import wandb

    cfg = copy.deepcopy(cfg)
    with open_dict(cfg):
        cfg.callbacks.step_window = {"_target_": f"{__name__}.step_window", "warmup": warmup}
    train(cfg)
    wandb.teardown()
    return WINDOWS.pop().images_per_s()


def plain_arm(cfg, warmup: int) -> float:
    """The same steps in plain torch: the DataModule's batches, the net, SGD, autocast."""
    pl.seed_everything(cfg.seed, workers=True)
    device = torch.device("cuda" if cfg.trainer.accelerator == "gpu" else "cpu")
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    if datamodule.on_device is not False:  # as the DataModule does under a Trainer
        datamodule.splits = {
            k: (x.to(device), y.to(device)) for k, (x, y) in datamodule.splits.items()
        }
    net: nn.Module = hydra.utils.instantiate(cfg.model.net).to(device)
    channels_last = cfg.model.channels_last is True or (
        cfg.model.channels_last == "auto" and device.type == "cuda"
    )
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    if cfg.model.compile:
        net.compile()
    opt = cfg.model.optimizer
    optimizer = torch.optim.SGD(
        net.parameters(),
        lr=opt.lr,
        momentum=opt.momentum,
        nesterov=opt.nesterov,
        weight_decay=opt.weight_decay,
    )
    bf16 = str(cfg.trainer.precision).startswith("bf16")
    loss_fn = nn.CrossEntropyLoss()
    steps = cfg.trainer.limit_train_batches
    images, start = 0, None
    net.train()
    for i, (x, y) in enumerate(datamodule.train_dataloader()):
        if i == steps:
            break
        if i == warmup:
            _sync(device)
            start = time.perf_counter()
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        x, y = datamodule.augment_batch(x, y)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(net(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if i >= warmup:
            images += len(y)
    _sync(device)
    return images / (time.perf_counter() - start)


def _data_root(cfg_overrides: list[str], tmp: Path) -> tuple[str | None, str]:
    """LABKIT_DATA when CIFAR-10 is found there or in data_dir; else random images in ``tmp``."""
    from datamodules.cifar10_files import locate_cifar10

    cfg = compose_run_config(cfg_overrides, tmp / "probe")
    try:
        locate_cifar10(
            data_dir=cfg.paths.data_dir, labkit_data=cfg.paths.labkit_data, download=False
        )
        return None, "CIFAR-10"
    except DataError:
        from tests.helpers.cifar_writer import tiny_cifar, write_pickles

        write_pickles(tmp / "random", "train", *tiny_cifar(10000, seed=0))
        write_pickles(tmp / "random", "test", *tiny_cifar(1000, seed=1))
        return str(tmp / "random"), "random images of CIFAR-10's shape (CIFAR-10 not found)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=4, help="timed training steps per arm")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--width", type=int, default=64, help="64 = ResNet-18")
    parser.add_argument("--gpu", action="store_true", help="trainer=gpu: bf16, channels-last")
    parser.add_argument("--compile", action="store_true", help="model.compile=true")
    parser.add_argument("--override", action="append", default=[], help="more Hydra overrides")
    args = parser.parse_args()
    quiet_known_warnings()
    os.environ.setdefault("WANDB_MODE", "offline")
    os.environ.setdefault("WANDB_SILENT", "true")
    runs: dict[str, list[float]] = {"plain": [], "labkit": []}
    with tempfile.TemporaryDirectory() as tmp:
        labkit_data, data = _data_root(overrides(args, None), Path(tmp))
        for repeat in range(args.repeats):
            cfg = compose_run_config(overrides(args, labkit_data), Path(tmp) / f"run{repeat}")
            arms = [("plain", plain_arm), ("labkit", labkit_arm)]
            for name, arm in arms if repeat % 2 == 0 else arms[::-1]:
                runs[name].append(arm(cfg, args.warmup))
            print(
                f"repeat {repeat}: plain {runs['plain'][-1]:.1f} img/s, "
                f"labkit {runs['labkit'][-1]:.1f} img/s",
                flush=True,
            )
    where = f"{'cuda' if args.gpu else 'cpu'}, {torch.get_num_threads()} threads"
    net = "ResNet-18" if args.width == 64 else f"ResNet-18 at width {args.width}"
    print(
        f"data: {data}; {net}; batch {args.batch_size}; {args.steps} timed steps after "
        f"{args.warmup}; {args.repeats} repeats; {where}"
    )
    ratio = statistics.median(lk / p for lk, p in zip(runs["labkit"], runs["plain"], strict=True))
    plain, labkit = statistics.median(runs["plain"]), statistics.median(runs["labkit"])
    print(f"cifar_plain_images_per_s: {plain:.1f} (plain torch loop, {where})")
    print(f"cifar_labkit_images_per_s: {labkit:.1f} (labkit train.py path, {where})")
    print(f"cifar_throughput_ratio: {ratio:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()

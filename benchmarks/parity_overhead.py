"""The NumPy parity check's cost at its default frequency, as a share of a training epoch.

    python benchmarks/parity_overhead.py [--repeats 3] [--threads 2]

Measured side by side in one process on fashion_mlp's settings (MLP 784-256-128-10, Adam 2e-3,
batch 128, the 48000 training images of the 80/20 split; random data of that shape, since the
values do not change the time): the wall time of one epoch of the bare training loop (forward,
cross-entropy, backward, Adam: no Lightning, no validation, so the share printed is an upper
bound of the share in a real run), and the wall time of one check of ``NumpyParityCallback``
(float64 copies of the weights, forward, loss and backward through torch and the NumPy twin,
every tensor compared) on one batch. The two alternate, so a slow phase of a shared machine
hits both; each figure is a median.

Prints ``parity_overhead_pct: P (target <= 3 ...)`` with
``P = 100 · check time · (steps per epoch / every_n_steps) / epoch time``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

import torch  # noqa: E402
import yaml  # noqa: E402

from callbacks.numpy_parity import NumpyParityCallback  # noqa: E402
from nets.mlp import MLP  # noqa: E402

TRAIN_IMAGES, BATCH, LR, HIDDEN = 48000, 128, 0.002, [256, 128]
CONFIG = ROOT / "configs" / "callbacks" / "numpy_parity" / "default.yaml"


def default_callback() -> NumpyParityCallback:
    """The callback as ``+callbacks/numpy_parity=default`` configures it."""
    settings = yaml.safe_load(CONFIG.read_text())
    settings.pop("_target_")
    return NumpyParityCallback(**settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed (median)")
    parser.add_argument("--checks", type=int, default=10, help="checks timed per repeat")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"machine load (1-min average) at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    torch.manual_seed(0)
    x = torch.randn(TRAIN_IMAGES, 1, 28, 28)
    y = torch.randint(0, 10, (TRAIN_IMAGES,))
    net = MLP(784, HIDDEN, 10)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    callback = default_callback()
    steps = -(-TRAIN_IMAGES // BATCH)

    def epoch() -> None:
        for s in range(0, TRAIN_IMAGES, BATCH):
            optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(net(x[s : s + BATCH]), y[s : s + BATCH]).backward()
            optimizer.step()

    def checks() -> None:
        for i in range(args.checks):
            s = i * BATCH
            callback.check(net, x[s : s + BATCH], y[s : s + BATCH])

    callback.check(net, x[:BATCH], y[:BATCH])  # builds the twin: once per run, untimed
    epoch_times, check_times = [], []
    for r in range(args.repeats):
        for which in ("epoch", "checks") if r % 2 == 0 else ("checks", "epoch"):
            start = time.perf_counter()
            epoch() if which == "epoch" else checks()
            elapsed = time.perf_counter() - start
            (epoch_times if which == "epoch" else check_times).append(
                elapsed if which == "epoch" else elapsed / args.checks
            )
    epoch_s, check_s = statistics.median(epoch_times), statistics.median(check_times)
    per_epoch = steps / callback.every_n_steps
    share = 100 * check_s * per_epoch / epoch_s
    print(
        f"epoch of the bare loop: {epoch_s:.2f} s ({steps} steps; runs "
        f"{', '.join(f'{t:.2f}' for t in epoch_times)}); one check: {1e3 * check_s:.1f} ms "
        f"(runs {', '.join(f'{1e3 * t:.1f}' for t in check_times)}); "
        f"{per_epoch:.2f} checks per epoch at every_n_steps={callback.every_n_steps}"
    )
    print(
        f"parity_overhead_pct: {share:.2f} % (target <= 3; every {callback.every_n_steps} steps, "
        f"{1e3 * check_s:.1f} ms per check, {epoch_s:.2f} s per epoch, median of {args.repeats})"
    )
    print(f"machine load (1-min average) at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

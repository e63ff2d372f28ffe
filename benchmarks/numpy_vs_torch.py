"""NumPy (numpy_ref) against torch on the CPU, measured side by side in one process.

    python benchmarks/numpy_vs_torch.py [--repeats 3] [--threads 2] [--skip-time-to-target]

Prints three figures, each as one line ``name: value (target ...)``:

(i)   ``mlp_epoch_time_ratio``: NumPy / torch wall time of one training epoch (forward, cross-entropy,
      backward, Adam) of the ``numpy_mlp_mnist_fast`` MLP, same initial weights, same batches, same
      thread count; target <= 1.2.
(ii)  ``conv2d_fwd_bwd_time_ratio``: NumPy / torch wall time of Conv2d forward + backward (grads of
      input, weight and bias) at N=64, C 16->32, 28x28, k=3, pad=1; target <= 2.0.
(iii) ``time_to_98_test_acc_s``: the ``numpy_mlp_mnist_fast`` experiment run through its own code
      path (no W&B, no progress bar), seconds of training until test accuracy first reaches 98%;
      target <= 15 s.

The two implementations alternate (NumPy first on even repeats, torch first on odd ones) so that a
slow phase of a shared machine hits both; each figure is the ratio of the medians. Uses the real
MNIST when LABKIT_DATA (or data_dir) has it, random data of the same shape for (i) otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from labkit.errors import DataError  # noqa: E402
from nets.mlp import MLP as TorchMLP  # noqa: E402
from numpy_bridge.twin import wrap_twin  # noqa: E402
from numpy_experiments.mnist_arrays import load_classification_arrays  # noqa: E402
from numpy_ref.conv import Conv2d  # noqa: E402
from numpy_ref.optim import Adam  # noqa: E402
from numpy_ref.sequential import MLP  # noqa: E402
from numpy_ref.training import train_step  # noqa: E402

FAST_EXPERIMENT = "numpy_mlp_mnist_fast"


def median_times(
    first: Callable[[], None], second: Callable[[], None], repeats: int
) -> tuple[list[float], list[float]]:
    """Wall times of ``first`` and ``second``, alternating which runs first; returns both lists."""
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(repeats):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for which in order:
            fn = (first, second)[which]
            start = time.perf_counter()
            fn()
            times[which].append(time.perf_counter() - start)
    return times


@dataclass(frozen=True)
class Twins:
    """One computation in NumPy and in torch, each a zero-argument callable, plus the module each
    updates (so a test can check that both sides really compute the same thing)."""

    run_numpy: Callable[[], None]
    run_torch: Callable[[], None]
    numpy_module: object
    torch_module: torch.nn.Module


def figure_line(name: str, value: float, target: str, detail: str) -> str:
    return f"{name}: {value:.2f} (target {target}; {detail})"


# -- (i) MLP epoch ------------------------------------------------------------------------------------
def mlp_models(sizes: list[int], seed: int) -> tuple[MLP, TorchMLP]:
    """The NumPy MLP and labkit's torch MLP with its weights, paired through the bridge."""
    numpy_model = MLP(sizes, "relu", dtype=np.float32, rng=np.random.default_rng(seed))
    torch_model = TorchMLP(sizes[0], sizes[1:-1], sizes[-1])
    wrap_twin(torch_model, numpy_model).copy_to(torch_model)
    return numpy_model, torch_model


def mlp_epoch_twins(
    x: np.ndarray, y: np.ndarray, sizes: list[int], batch_size: int, lr: float, seed: int
) -> Twins:
    """One training epoch over the same batches of ``x, y`` on each side, from equal weights."""
    numpy_model, torch_model = mlp_models(sizes, seed)
    numpy_opt = Adam(numpy_model, lr=lr)
    torch_opt = torch.optim.Adam(torch_model.parameters(), lr=lr)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)  # shared memory, no copy
    starts = range(0, len(x), batch_size)

    def numpy_epoch() -> None:
        for s in starts:
            train_step(numpy_model, numpy_opt, x[s : s + batch_size], y[s : s + batch_size])

    def torch_epoch() -> None:
        for s in starts:
            torch_opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(
                torch_model(x_t[s : s + batch_size]), y_t[s : s + batch_size]
            )
            loss.backward()
            torch_opt.step()

    return Twins(numpy_epoch, torch_epoch, numpy_model, torch_model)


def epoch_arrays(seed: int, data_dir: str) -> tuple[np.ndarray, np.ndarray, str]:
    """One epoch's inputs in a fixed shuffled order: real MNIST if available, else random data."""
    rng = np.random.default_rng(seed)
    try:
        data = load_classification_arrays(
            "MNIST", data_dir, os.environ.get("LABKIT_DATA"), val_size=0, seed=seed, download=False
        )
        order = rng.permutation(len(data.x_train))
        return np.ascontiguousarray(data.x_train[order]), data.y_train[order], "MNIST train"
    except DataError:
        x = rng.standard_normal((60000, 784), dtype=np.float32)
        return x, rng.integers(0, 10, 60000), "random data (MNIST not found)"


# -- (ii) Conv2d ------------------------------------------------------------------------------------
def conv_twins(n: int, c_in: int, c_out: int, size: int, seed: int) -> Twins:
    """Forward + backward of a 3x3, pad-1 convolution in NumPy and in torch, same data and weights."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, size, size), dtype=np.float32)
    grad_out = rng.standard_normal((n, c_out, size, size), dtype=np.float32)
    numpy_conv = Conv2d(c_in, c_out, 3, padding=1, rng=rng)
    torch_conv = torch.nn.Conv2d(c_in, c_out, 3, padding=1)
    wrap_twin(torch_conv, numpy_conv).copy_to(torch_conv)
    x_t, grad_t = torch.from_numpy(x), torch.from_numpy(grad_out)

    def numpy_fwd_bwd() -> None:
        numpy_conv.forward(x)
        numpy_conv.backward(grad_out)

    def torch_fwd_bwd() -> None:
        x_leaf = x_t.detach().requires_grad_(True)  # input gradient too, as NumPy computes it
        torch_conv.zero_grad(set_to_none=True)
        torch_conv(x_leaf).backward(grad_t)

    return Twins(numpy_fwd_bwd, torch_fwd_bwd, numpy_conv, torch_conv)


# -- (iii) time to 98% ------------------------------------------------------------------------------
def time_to_target(output_dir: str) -> tuple[float | None, dict[str, float]]:
    """Run the fast experiment through its runner (its config, its code) with W&B off."""
    from hydra import compose, initialize_config_dir

    from labkit.resolvers import register_resolvers
    from numpy_experiments.classifier_experiment import run

    register_resolvers()
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose(
            "train_numpy",
            overrides=[
                f"experiment={FAST_EXPERIMENT}",
                f"paths.output_dir={output_dir}",
                "run_logger.use_wandb=false",
                "progress_bar=false",
            ],
        )
    results = run(cfg)
    key = f"time_to_{cfg.numpy_training.target_test_acc:g}_test_acc_s"
    value = results.get(key)
    return (None if value is None or value != value else value), results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each side (median)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both")
    parser.add_argument("--conv-repeats", type=int, default=15)
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    parser.add_argument("--skip-time-to-target", action="store_true", help="skip figure (iii)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # Other processes on a small machine distort wall times (BLAS threads wait for descheduled
    # peers), so the load is printed with the figures: compare runs made at low load only.
    print(
        f"machine load (1-min average) at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    with threadpool_limits(limits=args.threads):
        x, y, source = epoch_arrays(0, args.data_dir)
        sizes, batch_size, lr = fast_experiment_settings()
        epoch = mlp_epoch_twins(x, y, sizes, batch_size, lr, seed=0)
        warm_x, warm_y = x[: 20 * batch_size], y[: 20 * batch_size]
        warm = mlp_epoch_twins(warm_x, warm_y, sizes, batch_size, lr, seed=0)
        warm.run_numpy(), warm.run_torch()  # first-call costs (allocations, thread pools) untimed
        numpy_times, torch_times = median_times(epoch.run_numpy, epoch.run_torch, args.repeats)
        np_med, t_med = statistics.median(numpy_times), statistics.median(torch_times)
        print(
            f"(i) MLP {'-'.join(map(str, sizes))}, batch {batch_size}, Adam, float32, {len(x)} "
            f"images of {source}, {args.threads} threads: NumPy epoch {np_med:.2f} s "
            f"(runs {', '.join(f'{t:.2f}' for t in numpy_times)}), torch epoch {t_med:.2f} s "
            f"(runs {', '.join(f'{t:.2f}' for t in torch_times)})"
        )
        print(
            figure_line(
                "mlp_epoch_time_ratio", np_med / t_med, "<= 1.2", f"median of {args.repeats}"
            )
        )

        print(f"machine load (1-min average) after (i): {os.getloadavg()[0]:.2f}")
        conv = conv_twins(64, 16, 32, 28, seed=0)
        conv.run_numpy(), conv.run_torch()  # warm-up
        numpy_times, torch_times = median_times(conv.run_numpy, conv.run_torch, args.conv_repeats)
        np_med, t_med = statistics.median(numpy_times), statistics.median(torch_times)
        print(
            f"(ii) Conv2d N=64, C 16->32, 28x28, k=3, pad=1, forward + backward: NumPy "
            f"{1e3 * np_med:.1f} ms, torch {1e3 * t_med:.1f} ms"
        )
        print(
            figure_line(
                "conv2d_fwd_bwd_time_ratio",
                np_med / t_med,
                "<= 2.0",
                f"median of {args.conv_repeats}",
            )
        )

        if args.skip_time_to_target:
            return
        with tempfile.TemporaryDirectory() as tmp:
            try:
                seconds, results = time_to_target(tmp)
            except DataError as err:
                print(f"time_to_98_test_acc_s: n/a (target <= 15 s; MNIST not available: {err})")
                return
        reached = "never reached" if seconds is None else f"{seconds:.2f}"
        print(
            f"time_to_98_test_acc_s: {reached} (target <= 15 s; {FAST_EXPERIMENT}, final test "
            f"acc {results['test/acc']:.4f} after {results['epochs']} epochs, training "
            f"{results['train_wall_s']:.2f} s, data loading {results['data_load_s']:.2f} s)"
        )


def fast_experiment_settings() -> tuple[list[int], int, float]:
    """MLP sizes, batch size and lr of ``numpy_mlp_mnist_fast``, read from its config."""
    from hydra import compose, initialize_config_dir

    from labkit.resolvers import register_resolvers

    register_resolvers()
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("train_numpy", overrides=[f"experiment={FAST_EXPERIMENT}"])
    return (
        list(cfg.numpy_model.sizes),
        int(cfg.numpy_training.batch_size),
        float(cfg.numpy_optim.lr),
    )


if __name__ == "__main__":
    main()

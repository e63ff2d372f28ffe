"""Time to generate the whole MultiMNIST (60000 train + 10000 test samples) from the real MNIST.

    LABKIT_DATA=/work/shared/data python benchmarks/multimnist_generation.py [--repeats 7]

Times ``datamodules.multimnist_samples.generate`` on both splits (MNIST already in memory; reading
the IDX files is not counted), median of the repeats. Also prints, without a target, the time of
``load_or_build`` answering from its cache (fingerprint hash of the source, then reading the
``.npz``), so the two can be weighed against each other.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

from datamodules.idx_files import load_split  # noqa: E402
from datamodules.multimnist_samples import SPLIT_SIZES, generate, load_or_build  # noqa: E402
from labkit.errors import DataError  # noqa: E402

TARGET_S = 0.5


def _median_time(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        sources = {
            split: load_split("MNIST", split, args.data_dir, os.environ.get("LABKIT_DATA"), False)
            for split in SPLIT_SIZES
        }
    except DataError as err:
        sys.exit(f"This benchmark needs the real MNIST: {err}")

    def generate_all() -> None:
        for split, (images, labels) in sources.items():
            generate(images, labels, SPLIT_SIZES[split], args.seed)

    generate_all()  # warm-up: first-touch page faults of the source arrays
    gen_s, gen_times = _median_time(generate_all, args.repeats)
    with tempfile.TemporaryDirectory() as cache:

        def read_all() -> None:
            for split, (images, labels) in sources.items():
                load_or_build(cache, split, images, labels, seed=args.seed)

        read_all()  # builds the caches; the repeats read them
        read_s, _ = _median_time(read_all, args.repeats)
    print("generation, per repeat (s): " + ", ".join(f"{t:.3f}" for t in sorted(gen_times)))
    print(
        f"multimnist_cache_read_s: {read_s:.3f} s (load_or_build of both splits from its cache: "
        f"source hash and npz read; median of {args.repeats})"
    )
    print(f"multimnist_generation_s: {gen_s:.3f} s (target <= {TARGET_S} s)")


if __name__ == "__main__":
    main()

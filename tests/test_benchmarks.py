"""The benchmark scripts' own logic: what `make bench` collects, and that the overhead arms match."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    """A script in benchmarks/ as a module (registered, so Hydra can locate targets in it)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_results_table_collects_figure_lines_with_or_without_a_target():
    run_all = _load("run_all")
    stdout = "\n".join(
        [
            "repeat 0: plain_loop 17.20 s (epochs 15.90 s, test acc 0.9732)",
            "labkit / plain, per repeat: 0.957, 1.024",
            "labkit_once_per_run_extra: +0.83 s (start-up, test, figures, W&B: paid once per run)",
            "lightning_overhead_ratio: 1.086 (target <= 1.10)",
        ]
    )
    assert run_all.parse_figures(stdout) == [
        {
            "name": "labkit_once_per_run_extra",
            "value": "+0.83 s",
            "note": "start-up, test, figures, W&B: paid once per run",
        },
        {"name": "lightning_overhead_ratio", "value": "1.086", "note": "target <= 1.10"},
    ]


def test_overhead_arms_train_the_same_steps_and_split_their_time(make_cfg):
    bench = _load("lightning_overhead")
    # One epoch, because labkit tests its best-validation checkpoint: on tiny data validation
    # accuracy is 1.0 from the first epoch, so a longer run would test the first epoch's weights.
    cfg = make_cfg(*bench.OVERRIDES, "trainer.max_epochs=1")
    plain, bare, labkit = bench.plain_loop(cfg), bench.bare_lightning(cfg), bench.labkit_run(cfg)
    for timing in (plain, bare, labkit):
        assert 0 < timing.epochs_s < timing.total_s
        assert timing.rest_s == pytest.approx(timing.total_s - timing.epochs_s)
    # Same initial weights, batches and optimizer steps: the comparison is like with like only
    # if all end with the same test results. (The loss tells more than the accuracy, which
    # saturates on the tiny data.)
    for timing in (bare, labkit):
        assert timing.test_loss == pytest.approx(plain.test_loss, rel=1e-5)
        assert timing.test_acc == pytest.approx(plain.test_acc, abs=1e-6)
    assert not bench.SPANS  # labkit_run took its span back


@pytest.mark.slow
def test_cifar_throughput_arms_time_the_same_steps(tmp_path, make_cfg):
    from tests.helpers.cifar_writer import tiny_cifar, write_pickles

    bench = _load("cifar_throughput")
    write_pickles(tmp_path / "cifar", "train", *tiny_cifar(120, seed=0))
    write_pickles(tmp_path / "cifar", "test", *tiny_cifar(20, seed=1))
    args = bench.argparse.Namespace(
        batch_size=8, steps=2, warmup=1, width=8, gpu=False, compile=False, override=[]
    )
    cfg = make_cfg(*bench.overrides(args, str(tmp_path / "cifar")), "data.val_size=20")
    assert bench.plain_arm(cfg, args.warmup) > 0
    assert bench.labkit_arm(cfg, args.warmup) > 0
    assert not bench.WINDOWS  # labkit_arm took its window back

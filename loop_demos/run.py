"""``python demo.py``: every demo of seed 003's plain torch loop, one summary.json and the plots.

The data first (MNIST subsets, read with NumPy), then the demos in the seed's order, each seeded
by ``cfg.seed`` on its own so that one demo's figures do not depend on which ran before it.
"""

from __future__ import annotations

import time
from pathlib import Path

from omegaconf import DictConfig


def run_demos(cfg: DictConfig) -> dict[str, float]:
    """Run every demo for a composed ``configs/demo.yaml``; returns the figures of summary.json."""
    start = time.perf_counter()
    from figures.results_table import print_results_table
    from labkit.run_record import record_finished
    from labkit.runtime import set_threads
    from loop_demos.architecture_facts import resnet18_facts
    from loop_demos.mnist_tensors import load_mnist_tensors
    from loop_demos.p1a_cross_entropy import cross_entropy_of_prediction
    from loop_demos.p1b_loss_gradients import loss_gradients
    from loop_demos.p1c_softmax_before_loss import softmax_before_cross_entropy
    from loop_demos.p3d_missing_backward import missing_backward
    from loop_demos.p3e_missing_zero_grad import missing_zero_grad
    from loop_demos.p3f_train_eval_layers import dropout_and_batchnorm_modes
    from loop_demos.p3g_forgotten_eval import check_test_batch_sizes, forgotten_eval
    from loop_demos.quiz_locations import quiz_locations
    from numpy_bridge.layer_checks import layer_check_metrics

    set_threads(cfg.get("threads"))
    mnist, loop = cfg.mnist, cfg.training
    check_test_batch_sizes(list(cfg.p3g.test_batch_sizes), mnist.test_size)  # before any demo runs
    data = load_mnist_tensors(
        mnist.dataset,
        mnist.data_dir,
        mnist.labkit_data,
        mnist.download,
        mnist.train_size,
        mnist.test_size,
        cfg.seed,
    )
    run_dir = Path(cfg.paths.output_dir)
    plots = run_dir / "plots"
    loop_args = dict(batch_size=loop.batch_size, lr=loop.lr, seed=cfg.seed)
    metrics = {
        **cross_entropy_of_prediction(list(cfg.p1a.prediction), cfg.p1a.label),
        **loss_gradients(
            {name: (case.true_prob, case.wrong_prob) for name, case in cfg.p1b.cases.items()},
            cfg.p1b.label,
            cfg.p1b.wrong_class,
            cfg.p1b.sweep_points,
            plot_to=plots / "p1b_gradient_sweep.png",
        ),
        **softmax_before_cross_entropy(
            data,
            loop.hidden,
            loop.steps,
            **loop_args,
            plot_to=plots / "p1c_softmax_before_loss.png",
        ),
        **missing_backward(data, loop.hidden, cfg.p3d.steps, **loop_args),
        **missing_zero_grad(
            data,
            loop.hidden,
            loop.steps,
            cfg.p3e.accumulated_steps,
            **loop_args,
            plot_to=plots / "p3e_missing_zero_grad.png",
        ),
        **dropout_and_batchnorm_modes(
            data, cfg.p3f.dropout, cfg.p3f.batch_size, cfg.p3f.warmup_batches, cfg.seed
        ),
        **forgotten_eval(
            data,
            cfg.p3g.hidden,
            cfg.p3g.dropout,
            loop.steps,
            test_batch_sizes=list(cfg.p3g.test_batch_sizes),
            **loop_args,
            plot_to=plots / "p3g_forgotten_eval.png",
        ),
    }
    # Strings stay strings: where a class is defined, where labkit implements a layer.
    metrics = {k: v if isinstance(v, str) else float(v) for k, v in metrics.items()}
    metrics.update(quiz_locations())
    metrics.update(resnet18_facts())
    metrics.update(layer_check_metrics(cfg.seed))
    wall_s = time.perf_counter() - start
    record_finished(
        run_dir,
        metrics,
        job="demo",
        epochs=None,
        params_total=None,
        wall_time_s=wall_s,
        checkpoint=None,
    )
    print_results_table(
        f"{cfg.task_name}: seed 003's torch loop, measured",
        {
            # The layer checks are many rows; the table shows their largest difference only.
            **{k: v for k, v in metrics.items() if not k.startswith("check/")},
            "check/max_abs_overall": metrics.get("check/max_abs_overall"),
            "wall_s (before the table)": wall_s,
            "run dir": str(run_dir),
        },
    )
    return metrics

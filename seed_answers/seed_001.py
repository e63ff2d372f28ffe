"""Seed 001: a NumPy library interchangeable with torch (§1-2), FashionMNIST twins (§3), a proof (§4)."""

from __future__ import annotations

import json
import math

from figures.markdown_table import markdown_table
from seed_answers.question import Answer, Facts, Question
from seed_answers.records import Job
from seed_answers.theory import theory_section
from seed_answers.wording import layer_check, layer_checks, n, pct

LN10 = math.log(10)  # the loss of a uniform guess over 10 classes


_dense = layer_check(
    "linear",
    "`Dense(x) = x Wᵀ + b` with W of shape (m, d) and b of shape (m,), shapes checked; "
    "Xavier/Glorot uniform init U(±√(6/(d+m))) and zero biases. Backward: ∂L/∂W = gᵀx, "
    "∂L/∂b = Σ g, ∂L/∂x = g W.",
)


_activations = layer_checks(
    {"softmax": "Softmax", "tanh": "Tanh", "relu": "ReLU"},
    "Softmax is row-wise and max-shifted (no scipy), its backward the Jacobian-vector product "
    "s ⊙ (g − Σ g ⊙ s); tanh is (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ) written as 1 − 2/(e²ˣ + 1) so that it "
    "stays finite for large |x| (no np.tanh), backward (1 − tanh²) ⊙ g; ReLU max(x, 0), "
    "backward g ⊙ (x > 0).",
)


_cross_entropy = layer_check(
    "cross_entropy",
    "Cross-entropy from probabilities, averaged over the batch: −(1/N) Σ yᵢ log pᵢ (log "
    "clipped away from 0); its gradient with respect to p is −y/(N p).",
)


_mlp = layer_check(
    "mlp",
    "The MLP is a Sequential of Dense and activation layers built from a list of sizes; "
    "forward composes them, backward runs them in reverse, init_weights initialises each Dense.",
)


def _val_acc(job: Job, prefix: str = "") -> float:
    return job.series(f"{prefix}val/acc")[-1]


def _train_loss(job: Job, prefix: str = "") -> float:
    return job.series(f"{prefix}train/loss_epoch")[-1]


def _lr_sweep(f: Facts) -> Answer:
    record = f.record("fashion_mlp_lr")
    rows, values, figures = [], {}, []
    for job in record.jobs:
        lr = job.override("model.optimizer.lr")
        one = {
            "torch_val_acc": _val_acc(job),
            "numpy_val_acc": _val_acc(job, "numpy/"),
            "torch_train_loss": _train_loss(job),
            "numpy_train_loss": _train_loss(job, "numpy/"),
        }
        values[f"lr={lr}"] = one
        rows.append(
            [
                lr,
                one["torch_train_loss"],
                one["numpy_train_loss"],
                one["torch_val_acc"],
                one["numpy_val_acc"],
            ]
        )
        figures += [
            job.folder / "plots" / "torch_vs_numpy_train_loss.png",
            job.folder / "plots" / "torch_vs_numpy_val_acc.png",
        ]
    best = max(values, key=lambda k: values[k]["torch_val_acc"])
    twin_gap = max(abs(v["torch_val_acc"] - v["numpy_val_acc"]) for v in values.values())
    notes = []
    for key, one in values.items():
        loss = one["torch_train_loss"]
        if key == best:
            notes.append(f"{key} learns best (val accuracy {pct(one['torch_val_acc'])})")
        elif loss > LN10 * 1.5 or not math.isfinite(loss):
            notes.append(
                f"{key} overshoots: the loss ends at {n(loss)}, far above a uniform guess's {n(LN10)}"
            )
        elif loss > LN10 * 0.9:
            notes.append(f"{key} barely moves: the loss stays near a uniform guess's {n(LN10)}")
        else:
            notes.append(
                f"{key} ends with training loss {n(loss)} and val accuracy {pct(one['torch_val_acc'])}"
            )
    epochs = record.jobs[0].summary["epochs"]
    table = markdown_table(
        ["lr", "torch train loss", "NumPy train loss", "torch val acc", "NumPy val acc"], rows
    )
    return Answer(
        f"The torch MLP 784-256-128-10 and its NumPy twin train side by side from the same "
        f"initial weights on the same batches ({epochs} epoch(s), Adam): {'; '.join(notes)}. The "
        "two implementations overlay in every figure: their final validation accuracies differ "
        f"by at most {100 * twin_gap:.2f} points. The step size trades speed against stability: too small and each step changes "
        "the loss too little to learn in the epochs given; too large and steps overshoot the "
        "minimum, the loss grows and the weights can blow up.\n\n" + table,
        values,
        figures,
    )


def _sizes(f: Facts) -> Answer:
    record = f.record("fashion_mlp_sizes")
    rows, values = [], {}
    for job in record.jobs:
        s = job.summary
        sizes = job.override("model.net.hidden_sizes")
        one = {
            "params": s["params_total"],
            "torch_test_acc": s["test/acc"],
            "numpy_test_acc": s.get("numpy/test/acc"),
            "torch_train_s": s.get("time/train_s"),
            "numpy_train_s": s.get("numpy/time/train_s"),
        }
        values[sizes] = one
        rows.append(
            [
                sizes,
                one["params"],
                one["torch_test_acc"],
                one["numpy_test_acc"],
                one["torch_train_s"],
                one["numpy_train_s"],
            ]
        )
    fastest = min(values, key=lambda k: values[k]["numpy_train_s"] or math.inf)
    slowest = max(values, key=lambda k: values[k]["numpy_train_s"] or 0)
    best = max(values, key=lambda k: values[k]["torch_test_acc"])
    worst = min(values, key=lambda k: values[k]["torch_test_acc"])
    follows = _rank_correlation(
        [v["params"] for v in values.values()], [v["numpy_train_s"] for v in values.values()]
    )
    table = markdown_table(
        [
            "hidden sizes",
            "parameters",
            "torch test acc",
            "NumPy test acc",
            "torch train s",
            "NumPy train s",
        ],
        rows,
    )
    timing = (
        f"Training time follows the parameter count (rank correlation {n(follows, 2)}). "
        if follows > 0.7
        else f"At this scale the training times hardly follow the parameter count (rank "
        f"correlation {n(follows, 2)}): the runs are too short for the matrix products to "
        "dominate. "
    ) + _layer_time_ranges(values)
    widths = {k: min(json.loads(k)) for k in values}
    narrow = (
        " The worst has the narrowest layer: a bottleneck, everything the output sees must pass "
        "through its few units."
        if widths[worst] == min(widths.values())
        else ""
    )
    return Answer(
        f"Measured: the fastest NumPy training is {fastest} ({n(values[fastest]['numpy_train_s'])} s), "
        f"the slowest {slowest} ({n(values[slowest]['numpy_train_s'])} s); the best test accuracy "
        f"is {best} ({pct(values[best]['torch_test_acc'])}), the worst {worst} "
        f"({pct(values[worst]['torch_test_acc'])}). {timing}{narrow}\n\n" + table,
        values,
        [record.path("report/curves.png")] if record.path("report/curves.png").is_file() else [],
    )


def _layer_time_ranges(values: dict[str, dict]) -> str:
    """How far changing h₁ (with h₂ = 128) and h₂ (with h₁ = 256) moves the NumPy time."""
    sizes = {k: json.loads(k) for k in values}
    first = [values[k]["numpy_train_s"] for k, v in sizes.items() if len(v) == 2 and v[1] == 128]
    second = [values[k]["numpy_train_s"] for k, v in sizes.items() if len(v) == 2 and v[0] == 256]
    if len(first) < 2 or len(second) < 2 or None in first + second:
        return ""
    moves_first = max(first) - min(first) > max(second) - min(second)
    return (
        f"Changing h₁ moves the NumPy time between {n(min(first))} and {n(max(first))} s, "
        f"changing h₂ between {n(min(second))} and {n(max(second))} s"
        + (
            ": the first layer's 784 × h₁ weights dominate the cost."
            if moves_first
            else ": here the second layer's size weighs more."
        )
    )


def _rank_correlation(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation (ties broken by order): 1 when ys grow with xs."""

    def ranks(values: list[float]) -> list[int]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0] * len(values)
        for rank, i in enumerate(order):
            out[i] = rank
        return out

    rx, ry = ranks(xs), ranks(ys)
    m = len(xs)
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry, strict=True)) / (m * (m * m - 1))


def _saddle(f: Facts) -> Answer:
    s = f.record("numpy_theory_checks").jobs[0].summary
    values = {k: v for k, v in s.items() if k.startswith("saddle/")}
    v = {k.removeprefix("saddle/"): x for k, x in values.items()}
    count = int(v["instances"])
    checked = (
        f"on {count} random small instances the gradient's largest norm at W = 0 is "
        f"{n(v['max_grad_norm_at_zero'])} (a one-layer net's, L = 0, is at least "
        f"{n(v['min_grad_norm_at_zero_one_layer'])}: there 0 is no critical point); the gradient "
        f"matches finite differences to a relative {n(v['grad_fd_max_rel_error'], 2)}; "
        f"{int(v['instances_lower_found'])} of {count} instances have a nearby point of lower "
        f"loss and {int(v['instances_higher_found'])} of {count} one of higher loss (by at "
        f"least {n(v['min_decrease'], 5)} and {n(v['min_increase'], 5)}); the closed form of the loss "
        f"along both paths matches the computed loss to a relative "
        f"{n(v['max_closed_form_rel_error'], 2)}"
    )
    return Answer(
        theory_section("001_4.1_deep_linear_saddle.md") + f"\n\nChecked numerically: {checked}.",
        values,
        sorted(f.record("numpy_theory_checks").jobs[0].folder.glob("plots/saddle*.png")),
        status="theory",
    )


QUESTIONS = [
    Question(
        "001-1.1",
        "The Dense layer: y = xWᵀ + b with Xavier uniform init and zero biases.",
        ["demo"],
        _dense,
    ),
    Question(
        "001-1.2", "Softmax, tanh and ReLU layers: forward and backward.", ["demo"], _activations
    ),
    Question(
        "001-1.3",
        "The cross-entropy loss layer, averaged over the batch.",
        ["demo"],
        _cross_entropy,
    ),
    Question("001-2.1", "The multi-layer perceptron from these layers.", ["demo"], _mlp),
    Question(
        "001-3.1",
        "Train the torch and the custom MLP with lr 0.002, a very small and a very large lr: loss and validation accuracy curves; how does the learning rate affect training?",
        ["fashion_mlp_lr"],
        _lr_sweep,
    ),
    Question(
        "001-3.2",
        "Hidden sizes {8, 16, 64, 1024} in either layer, and no second layer: test accuracy and training time.",
        ["fashion_mlp_sizes"],
        _sizes,
    ),
    Question(
        "001-4.1",
        "Bonus: prove that W = 0 is a saddle point of the deep linear net's square loss.",
        ["numpy_theory_checks"],
        _saddle,
    ),
]

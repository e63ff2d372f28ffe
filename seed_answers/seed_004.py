"""Seed 004: backpropagation by hand (§1), FashionMNIST optimizers and models (§2), MultiMNIST (§3)."""

from __future__ import annotations

import math

from figures.markdown_table import markdown_table
from seed_answers.question import Answer, Facts, Question
from seed_answers.records import Job, Record
from seed_answers.theory import theory_section
from seed_answers.wording import layer_check, n, pct

LN10 = math.log(10)  # the loss of a uniform guess over 10 classes

OPTIMIZER_NAMES = {
    "sgd": "SGD lr 0.01",
    "sgd_nesterov": "SGD lr 0.01, Nesterov momentum 0.9",
    "adam_lr1e-2": "Adam lr 0.01",
    "adam_lr1": "Adam lr 1",
}


def _theory_values(f: Facts, prefix: str) -> tuple[dict, Job]:
    job = f.record("numpy_theory_checks").jobs[0]
    return {k: v for k, v in job.summary.items() if k.startswith(prefix)}, job


_predict = layer_check(
    "sigmoid_net:predict@predict",
    "`predict(X, W)` computes the whole batch with two matrix products, no loop: "
    "z¹ = X W¹ (B × K), x¹ = σ(z¹), z² = x¹ w² (B × 1), ŷ = σ(z²).",
)


def _logistic_zero(f: Facts) -> Answer:
    v, _ = _theory_values(f, "logistic/")
    nan = v.get("logistic/naive_is_nan") == 1
    return Answer(
        "With ŷ = 0 and y = 0 each sample's loss is −y log ŷ − (1 − y) log(1 − ŷ) = −0·log 0 − "
        "1·log 1. The second term is 0; the first is 0·(−∞), which floating point does not "
        "define: "
        + (
            "measured, `numpy_ref/losses.py:logistic_loss` returns nan for it (ŷ = σ(−10¹⁰), "
            "which is exactly 0 in float64)"
            if nan
            else "measured, `numpy_ref/losses.py:logistic_loss` returns a finite value"
        )
        + ". Yet the loss's limit as ŷ → 0 is 0: the prediction is exactly right, and "
        "y log ŷ → 0. The naive formula fails on a perfect prediction; a loss computed from "
        "the logit (1.3) never takes log 0.",
        v,
    )


def _logistic_stable(f: Facts) -> Answer:
    v, _ = _theory_values(f, "logistic/")
    return Answer(
        "In terms of the logit, −y log σ(z) − (1 − y) log(1 − σ(z)) = log(1 + eᶻ) − y z, computed "
        "as np.logaddexp(0, z) − y z = max(0, z) + log(1 + e^(−|z|)) − y z: it never forms σ(z), "
        "never takes log 0 and never overflows. At z² = −10¹⁰·1 and y = 0 the average stable "
        f"loss is **{n(v['logistic/stable_loss'])}** (measured), the correctly rounded value of "
        "log(1 + e^(−10¹⁰)), while the naive loss on ŷ = σ(−10¹⁰), which rounds to exactly 0, "
        f"is {'nan' if v.get('logistic/naive_is_nan') == 1 else 'finite'} (measured): the "
        "0·log 0 of 1.2.",
        v,
    )


def _backprop(f: Facts) -> Answer:
    v, _ = _theory_values(f, "backprop/")
    return Answer(
        theory_section("004_1.4_backprop.md")
        + f"\n\nChecked against central finite differences: largest relative error "
        f"{n(v.get('backprop/max_rel_error'))}.",
        v,
        status="theory",
    )


_gradient = layer_check(
    "sigmoid_net:grad@gradient",
    "`gradient(X, y, W)` vectorises the derivation of 1.4 over the batch: "
    "δ² = σ(z²) − y (B × 1), ∂L/∂w² = x¹ᵀ δ² / B, δ¹ = (δ² w²ᵀ) ⊙ x¹ ⊙ (1 − x¹), "
    "∂L/∂W¹ = Xᵀ δ¹ / B; no loop over samples.",
)


def _transform(f: Facts) -> Answer:
    record = f.record("fashion_optimizers")
    job = record.jobs[0]
    data = job.config["data"]
    val = data["val_size"]
    return Answer(
        "The images are PIL images (or uint8 arrays) of 28×28 pixels in 0..255; the models take "
        "float tensors of shape (N, 1, 28, 28). So the transform needed is `ToTensor()` (uint8 "
        "HWC → float CHW in [0, 1]), usually followed by `Normalize(mean, std)` so that the "
        "inputs are centred for the optimiser. labkit does the same once for the whole dataset "
        "(`datamodules/`: uint8 → float / 255, then standardised with the training set's mean "
        f"and std). The split is 60000 − {val} = {60000 - val} training and {val} validation "
        "images, a seeded split of the official training set; the test set is the official 10000.",
        {"val_size": val, "train_size": 60000 - val},
        sorted(job.folder.glob("plots/samples.png")),
    )


def _optimizer_jobs(record: Record, net: str) -> list[Job]:
    return [job for job in record.jobs if job.override("net") == net]


def _optimizers(net: str, label: str):
    def answer(f: Facts) -> Answer:
        record = f.record("fashion_optimizers")
        rows, values = [], {}
        for job in _optimizer_jobs(record, net):
            opt = job.override("optimizer")
            s = job.summary
            one = {
                "train_loss": job.series("train/loss_epoch")[-1],
                "val_loss": s["val/loss"],
                "val_acc": s["val/acc"],
                "test_acc": s["test/acc"],
            }
            values[opt] = one
            rows.append(
                [OPTIMIZER_NAMES.get(opt, opt), one["train_loss"], one["val_loss"], one["val_acc"]]
            )
        best = max(values, key=lambda k: values[k]["val_acc"])
        worst = min(values, key=lambda k: values[k]["val_acc"])
        epochs = record.jobs[0].summary["epochs"]
        figure = record.path(f"report/curves_net_{net}.png")  # report.py --group-by net
        return Answer(
            f"The {label} trained {epochs} epoch(s) with each optimizer: the best is "
            f"{OPTIMIZER_NAMES.get(best, best)} (val accuracy {pct(values[best]['val_acc'])}), the "
            f"worst {OPTIMIZER_NAMES.get(worst, worst)} ({pct(values[worst]['val_acc'])}). "
            + _optimizer_comments(values)
            + "\n\n"
            + markdown_table(["optimizer", "final train loss", "val loss", "val acc"], rows),
            values,
            [figure] if figure.is_file() else sorted(record.folder.glob("report/curves*.png")),
        )

    return answer


def _optimizer_comments(values: dict[str, dict[str, float]]) -> str:
    """What the four runs show, from their figures (each sentence only where its runs exist)."""
    said = []
    if "sgd" in values and "sgd_nesterov" in values:
        gain = values["sgd_nesterov"]["val_acc"] - values["sgd"]["val_acc"]
        said.append(
            f"Nesterov momentum {'raises' if gain >= 0 else 'lowers'} the val accuracy of plain "
            f"SGD at the same lr by {abs(100 * gain):.1f} points"
            + (
                ": momentum averages the steps, so a small lr covers more ground."
                if gain >= 0
                else "."
            )
        )
    if "adam_lr1" in values:
        loss = values["adam_lr1"]["train_loss"]
        if not math.isfinite(loss) or loss > 0.9 * LN10:
            said.append(
                f"Adam at lr 1 does not learn: its final training loss {n(loss)} is no better "
                f"than a uniform guess's {n(LN10)}; Adam's steps are about lr in size for every "
                "weight, so lr 1 throws the weights far past any minimum."
            )
        else:
            said.append(f"Adam at lr 1 ends with training loss {n(loss)}.")
    if "adam_lr1e-2" in values and "sgd" in values:
        gap = values["adam_lr1e-2"]["val_acc"] - values["sgd"]["val_acc"]
        said.append(
            f"Adam at lr 0.01 is {abs(100 * gap):.1f} points {'above' if gap >= 0 else 'below'} "
            "plain SGD at the same lr: its per-weight step sizes do not wait for large gradients."
        )
    return " ".join(said)


def _param_counts(f: Facts) -> Answer:
    record = f.record("fashion_optimizers")
    values = {}
    for net in ("mlp_2x100", "cnn"):
        jobs = _optimizer_jobs(record, net)
        values[net] = {
            "params": jobs[0].summary["params_total"],
            "best_val_acc": max(j.summary["val/acc"] for j in jobs),
        }
    mlp, cnn = values["mlp_2x100"], values["cnn"]
    more = "more" if cnn["params"] > mlp["params"] else "fewer"
    better = "better" if cnn["best_val_acc"] > mlp["best_val_acc"] else "worse"
    return Answer(
        "labkit counts a model's parameters as `sum(p.numel() for p in model.parameters())` "
        "(the parameter_count callback logs it; summary.json's `params_total`). The MLP "
        f"784-100-100-10 has {n(mlp['params'])} parameters, the CNN {n(cnn['params'])}: the CNN "
        f"has {more} parameters and does {better} (best val accuracy {pct(cnn['best_val_acc'])} "
        f"against {pct(mlp['best_val_acc'])}). "
        + (
            "So more parameters do not by themselves mean better performance: the convolution "
            "shares each small filter across the image and builds in locality and translation "
            "equivariance, an inductive bias that fits images; the MLP spends most of its "
            "weights on its first layer, connecting every pixel to every unit."
            if more == "fewer" and better == "better"
            else "The count alone does not decide: how the weights are used (shared filters "
            "over local patches against one dense layer over every pixel) matters as much."
        ),
        values,
    )


def _permuted(f: Facts) -> Answer:
    record = f.record("permuted_fashion")
    values, rows = {}, []
    for job in record.jobs:
        net, data = job.override("net"), job.override("data")
        values[f"{net}/{data}"] = job.summary["test/acc"]
        rows.append([net, data, job.summary["val/acc"], job.summary["test/acc"]])
    drops = {}
    for net in ("mlp_2x100", "cnn"):
        plain, perm = (
            values.get(f"{net}/fashion_mnist"),
            values.get(f"{net}/permuted_fashion_mnist"),
        )
        drops[net] = (plain - perm) if plain is not None and perm is not None else None
    more = max(drops, key=lambda k: drops[k] if drops[k] is not None else -1)
    figures = [p for job in record.jobs for p in job.folder.glob("plots/permuted_samples.png")][:1]
    figures += [p for p in [record.path("report/curves.png")] if p.is_file()]
    return Answer(
        "One fixed random permutation of the 784 pixels, the same for every image, applied last. "
        f"With the permutation, test accuracy changes by {100 * -drops['mlp_2x100']:+.2f} "
        f"points for the MLP and by {100 * -drops['cnn']:+.2f} points for the CNN: the "
        f"{'CNN' if more == 'cnn' else 'MLP'} is hurt more. "
        "An MLP is invariant to a fixed permutation of its inputs (permuting the first layer's "
        "weights gives the same function), so it can learn the permuted task as well as the "
        "original"
        + (
            "; a CNN's filters assume that neighbouring pixels belong together, which the "
            "permutation destroys."
            if more == "cnn"
            else ": its change here is one run's noise, and the CNN, whose filters assume that "
            "neighbouring pixels belong together, should be the one hurt; a rerun with other "
            "seeds would tell."
        )
        + "\n\n"
        + markdown_table(["net", "data", "val acc", "test acc"], rows),
        {"test_acc": values, "drop": drops},
        figures,
    )


def _plain_cnn(f: Facts) -> str:
    """What the best plain CNN of 2.3 shows of over-fitting: its epoch losses, measured."""
    record = f.record("fashion_optimizers")
    cnns = [job for job in record.jobs if job.override("net") == "cnn"]
    job = max(cnns, key=lambda j: j.summary["val/acc"])
    val, train = job.series("val/loss"), job.series("train/loss_epoch")
    low = min(range(len(val)), key=val.__getitem__)
    name = OPTIMIZER_NAMES.get(job.override("optimizer"), job.override("optimizer"))
    said = (
        f"The best plain CNN of 2.3 ({name}, test accuracy {pct(job.summary['test/acc'])}) "
        f"ends with training loss {n(train[-1])}; its validation loss is lowest at epoch "
        f"{low + 1} of {len(val)} ({n(val[low])}) and ends at {n(val[-1])}"
    )
    if val[-1] > 1.02 * val[low]:
        return (
            said + ": it over-fits, which weight decay, label smoothing and augmentation counter."
        )
    return said + ": it has not begun to over-fit in these epochs."


def _took(record) -> str:
    seconds = record.study.get("seconds")
    return f" (the whole run, test included, took {seconds / 60:.1f} min here)" if seconds else ""


def _smoothing_floor(eps: float, classes: int) -> str:
    """Why the curve's training loss sits above the validation loss: the smoothed targets' entropy."""
    if eps == 0:
        return ""
    hit, rest = 1 - eps + eps / classes, eps / classes
    floor = -hit * math.log(hit) - (classes - 1) * rest * math.log(rest)
    return (
        "Its training loss lies above its validation loss in the figure because it is taken "
        f"against the smoothed targets, whose entropy ({n(floor)}) no prediction can go below, "
        "on augmented images; the validation and test losses are plain cross-entropy. "
    )


def _best(f: Facts) -> Answer:
    job = f.record("fashion_best").jobs[0]
    s, cfg = job.summary, job.config
    model = cfg["model"]
    return Answer(
        f"labkit's fashion_best: a CNN with BatchNorm ({n(s['params_total'])} parameters), "
        f"AdamW (weight decay {n(model['optimizer']['weight_decay'])}) on a one-cycle schedule "
        f"peaking at lr {n(model['optimizer']['lr'])}, label smoothing "
        f"{n(model['label_smoothing'])}, training images shifted by up to "
        f"{cfg['data']['max_shift']} pixel and mirrored with probability "
        f"{n(cfg['data']['flip_p'])}, and "
        + (
            "evaluation on the mean logits of each image and its mirror. "
            if model.get("mirror_averaging")
            else "plain evaluation. "
        )
        + f"Validation accuracy **{pct(s['val/acc'])}**, test accuracy **{pct(s['test/acc'])}** "
        f"after {s['epochs']} epoch(s){_took(f.record('fashion_best'))}. BatchNorm and the one-cycle schedule allow a large "
        "learning rate without divergence. "
        + _smoothing_floor(model["label_smoothing"], model["num_classes"])
        + _plain_cnn(f),
        {k: s[k] for k in ("val/acc", "test/acc", "epochs", "params_total")},
        [job.folder / "plots" / "curves.png"],
    )


def _multimnist(f: Facts) -> Job:
    return f.record("multimnist").jobs[0]


def _mm_sample(f: Facts) -> Answer:
    job = _multimnist(f)
    return Answer(
        "`make_new_sample(x1, x2)` (datamodules/multimnist.py) builds a 36×36 image of zeros, "
        "places x1 in the top-left 28×28 corner and x2 in the bottom-right one, and takes the "
        "element-wise maximum where they overlap (the 20×20 centre). The figure shows five "
        "samples with their two labels.",
        {},
        [job.folder / "plots" / "samples.png"],
    )


def _mm_dataset(f: Facts) -> Answer:
    job = _multimnist(f)
    data = job.config["data"]
    sizes = {k: data[k] for k in ("train_samples", "test_samples", "val_size")}
    return Answer(
        "The train set pairs MNIST training images only and the test set MNIST test images only "
        "(so no test digit is seen in training), stored as a TensorDataset-like pair of tensors: "
        f"images (N, 1, 36, 36) and labels (N, 2). This run generated {n(sizes['train_samples'])} "
        f"training and {n(sizes['test_samples'])} test samples, and held "
        f"{n(sizes['val_size'])} of the training samples out for validation.",
        sizes,
    )


def _mm_model(f: Facts) -> Answer:
    job = _multimnist(f)
    net = job.config["model"]["net"]
    return Answer(
        "A shared encoder, conv(1→10, k5) + ReLU + MaxPool(2), conv(10→20, k5) + ReLU + MaxPool(2), "
        "flatten (20×6×6 = 720 for 36×36 inputs) and Linear(720→50) + ReLU, then two "
        f"Linear(50→10) heads, one per digit (`{net['_target_']}`): "
        f"{n(job.summary['params_total'])} parameters.",
        {"params_total": job.summary["params_total"]},
    )


def _mm_train(f: Facts) -> Answer:
    job = _multimnist(f)
    s = job.summary
    keys = sorted(k for k in s if k.startswith("test/task"))
    values = {k: s[k] for k in keys}
    digits = {1: "the top-left digit (task 1)", 2: "the bottom-right digit (task 2)"}
    shown = "; ".join(
        f"{digits.get(t, f'task {t}')}: accuracy {pct(s[f'test/task{t}/acc'])}, loss "
        f"{n(s[f'test/task{t}/loss'])}"
        for t in sorted({int(k.split("/")[1].removeprefix("task")) for k in keys})
    )
    return Answer(
        "Trained on the mean of the two tasks' cross-entropy losses for "
        f"{s['epochs']} epoch(s); on the test set, {shown}. Both heads read the same 50 encoder features, "
        "so the encoder has to keep what both digits need.",
        values,
        [job.folder / "plots" / "curves.png"],
    )


QUESTIONS = [
    Question(
        "004-1.1",
        "predict(X, W): the outputs (z1, z2, ŷ) of the batch, no loops.",
        ["demo"],
        _predict,
    ),
    Question(
        "004-1.2",
        "logistic_loss(y, ŷ): the average loss at ŷ = 0, y = 0; explain.",
        ["numpy_theory_checks"],
        _logistic_zero,
    ),
    Question(
        "004-1.3",
        "A stable logistic loss from the logits: its value at z2 = −1e10·1, y = 0; explain.",
        ["numpy_theory_checks"],
        _logistic_stable,
    ),
    Question(
        "004-1.4",
        "Derive ∂L/∂w_ij^(1) and ∂L/∂w_i^(2) by backpropagation.",
        ["numpy_theory_checks"],
        _backprop,
    ),
    Question("004-1.5", "gradient(X, y, W) for a batch, without loops.", ["demo"], _gradient),
    Question(
        "004-2.1",
        "Load FashionMNIST with a 50000/10000 train/val split; which transform is necessary?",
        ["fashion_optimizers"],
        _transform,
    ),
    Question(
        "004-2.2",
        "A 2×100 MLP trained with four optimizers: learning curves, comments.",
        ["fashion_optimizers"],
        _optimizers("mlp_2x100", "MLP 784-100-100-10"),
    ),
    Question(
        "004-2.3",
        "A 3-conv CNN trained with the same four configurations.",
        ["fashion_optimizers"],
        _optimizers("cnn", "CNN (16, 32, 64 channels, k=3, max-pool after each)"),
    ),
    Question(
        "004-2.4",
        "The number of parameters of both models; does more mean better?",
        ["fashion_optimizers"],
        _param_counts,
    ),
    Question(
        "004-2.5",
        "PermutedFashionMNIST: MLP and CNN with SGD + Nesterov momentum. Which is more affected?",
        ["permuted_fashion"],
        _permuted,
    ),
    Question(
        "004-2.6",
        "Bonus: optimise the validation performance; validation and test accuracy.",
        ["fashion_best", "fashion_optimizers"],
        _best,
    ),
    Question(
        "004-3.1",
        "make_new_sample(x1, x2): a 36×36 MultiMNIST sample; five samples with labels.",
        ["multimnist"],
        _mm_sample,
    ),
    Question(
        "004-3.2",
        "The MultiMNIST train and test sets (60000 and 10000).",
        ["multimnist"],
        _mm_dataset,
    ),
    Question(
        "004-3.3",
        "The multitask model: shared conv encoder, two linear heads.",
        ["multimnist"],
        _mm_model,
    ),
    Question(
        "004-3.4",
        "Train it on the mean of the task losses: accuracy and loss per task.",
        ["multimnist"],
        _mm_train,
    ),
]

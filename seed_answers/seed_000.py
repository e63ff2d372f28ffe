"""Seed 000: a NumPy MLP on MNIST, linear autoencoders on ulu.csv, the bouba-kiki probe."""

from __future__ import annotations

from seed_answers.question import Answer, Facts, Question
from seed_answers.wording import layer_check, n, pct


def _baseline(f: Facts) -> Answer:
    job = f.record("baseline").jobs[0]
    last = job.metrics()[-1]
    values = {k: last[k] for k in ("test/acc", "train_size", "test_size", "lbfgs_iterations")}
    return Answer(
        f"scikit-learn's LogisticRegression (L-BFGS, {n(values['lbfgs_iterations'])} iterations) "
        f"trained on {n(values['train_size'])} MNIST training images reaches "
        f"**{pct(values['test/acc'])}** on the {n(values['test_size'])} test images. The figure "
        "shows test images with the baseline's predictions (mistakes in red).",
        values,
        [job.folder / "plots" / "test_predictions.png"],
    )


_relu = layer_check(
    "relu",
    "ReLU passes a positive input through and zeroes a negative one, so its derivative is 1 "
    "where x > 0 and 0 where x < 0 (0 is used at x = 0, as torch does); the backward pass "
    "multiplies the incoming gradient by that mask: grad_in = grad_out * (x > 0).",
)


def _numpy_mlp(study: str, target: float):
    def answer(f: Facts) -> Answer:
        job = f.record(study).jobs[0]
        s, cfg = job.summary, job.config
        sizes = "-".join(str(v) for v in cfg["numpy_model"]["sizes"])
        values = {
            "sizes": sizes,
            "test/acc": s["test/acc"],
            "epochs": s["epochs"],
            "train_wall_s": s.get("train_wall_s"),
            "target": target,
        }
        met = "meets" if s["test/acc"] >= target else "does not meet"
        return Answer(
            f"A NumPy-only MLP {sizes} (Linear and ReLU modules, {cfg['numpy_optim']['_target_'].rsplit('.', 1)[-1]} "
            f"lr {n(cfg['numpy_optim']['lr'])}, batch {cfg['numpy_training']['batch_size']}) trained "
            f"{s['epochs']} epoch(s) in {n(s.get('train_wall_s'))} s reaches **{pct(s['test/acc'])}** "
            f"test accuracy, which {met} the {pct(target)} target.",
            values,
            [job.folder / "plots" / "curves.png"],
        )

    return answer


def _ae_a(f: Facts) -> Answer:
    job = f.record("numpy_linear_ae").jobs[0]
    s = job.summary
    values = {k: s[k] for k in s if k.startswith("a/")}
    # 50 steps that leave most of the error along the flattest direction: no good rate exists.
    verdict = "No." if s["a/best_contraction_over_50_steps"] > 0.5 else "Yes."
    return Answer(
        f"{verdict} Full-batch GD on the raw data is a quadratic problem whose Hessian has condition "
        f"number {n(s['a/hessian_condition_number'])} (the data's covariance alone: "
        f"{n(s['a/covariance_condition_number'])}). GD diverges above lr "
        f"{n(s['a/max_stable_lr'])}, and even the best lr shrinks the error along the flattest "
        f"direction only by a factor {n(s['a/best_contraction_per_step'])} per step "
        f"({n(s['a/best_contraction_over_50_steps'])} over 50 steps). Measured over the lr sweep, "
        f"the best loss after 50 steps is {n(s['a/best_final_loss'])} (lr "
        f"{n(s['a/best_final_loss_lr'])}) while the minimum is 0 (W = I, b = 0).",
        values,
        [job.folder / "plots" / "a_lr_sweep_losses.png"],
    )


def _ae_b(f: Facts) -> Answer:
    job = f.record("numpy_linear_ae").jobs[0]
    s = job.summary
    values = {k: s[k] for k in ("b/loss", "b/svd_minimum", "b/relative_gap")}
    steps = job.config["linear_ae"]["bottleneck"]["steps"]
    return Answer(
        f"The 3→2→3 linear autoencoder trained by {steps} steps of full-batch GD reaches a "
        f"reconstruction loss of **{n(s['b/loss'])}**; the theoretical minimum (the residual of "
        f"the best rank-2 affine fit, the smallest covariance eigenvalue, by SVD) is "
        f"**{n(s['b/svd_minimum'])}**: a relative gap of {n(s['b/relative_gap'])}.",
        values,
        [job.folder / "plots" / "bd_loss_curves.png", job.folder / "plots" / "b_code_scatter.png"],
    )


_dropout_one = layer_check(
    "dropout_one",
    "The forward pass draws one mask per row (the first feature kept with probability 0.5) "
    "and keeps it; the backward pass multiplies the incoming gradient by the same mask: a "
    "zeroed entry did not affect the output, so its gradient is 0, every other entry passes "
    "its gradient through unchanged. At evaluation the module is the identity.",
)


def _ae_d(f: Facts) -> Answer:
    job = f.record("numpy_linear_ae").jobs[0]
    s = job.summary
    values = {k: s[k] for k in s if k.startswith("d/")}
    steps = job.config["linear_ae"]["dropout"]["steps"]
    return Answer(
        f"With DropoutOne on the first code dimension, {steps} steps of full-batch GD reach an "
        f"expected loss of **{n(s['d/expected_loss'])}** beside the optimal expected loss "
        f"**{n(s['d/optimal_expected_loss'])}** (relative gap {n(s['d/relative_gap'])}). The "
        "optimum follows from the two cases the decoder sees: with probability ½ the whole code "
        "(loss at least the sum of the discarded covariance eigenvalues) and with probability ½ "
        "the code without c₁ (one eigenvalue more), so min E[L] = ½ Σ_{i≥k} λᵢ + ½ Σ_{i>k} λᵢ, "
        "with c₁ carrying the k-th principal coordinate. The first code dimension separates "
        f"foreground from background with AUC {n(s['d/code1_auc'])} against the reference split "
        f"(the two parallel planes of the data), best-threshold accuracy "
        f"{pct(s['d/code1_best_threshold_acc'])}, label-free accuracy "
        f"{pct(s['d/code1_label_free_acc'])}.",
        values,
        [job.folder / "plots" / "d_code_scatter.png", job.folder / "plots" / "reference_split.png"],
    )


def _probe(f: Facts):
    job = f.record("probe").jobs[0]
    return job, job.summary, job.config


def _probe_a(f: Facts) -> Answer:
    job, s, cfg = _probe(f)
    layer = cfg["probe"]["conv_layer"]
    return Answer(
        "A convolutional linear layer is a linear map whose weights are shared across positions: "
        "every output pixel is the same affine function of the k×k input patch around it (one "
        "small kernel per output channel slid over the image), so its parameter count depends on "
        f"the channels and the kernel, not on the image size. `{layer}` (the first conv, 3 → 16 "
        "channels, 3×3, stride 2, no bias) has in·out·k·k = "
        f"**{n(s['conv/parameters_formula'])}** weights by the formula and "
        f"{n(s['conv/parameters_counted'])} counted in the module; the whole net has "
        f"{n(s['net/parameters'])} parameters.",
        {k: s[k] for k in ("conv/parameters_formula", "conv/parameters_counted", "net/parameters")},
    )


def _probe_b(f: Facts) -> Answer:
    job, s, cfg = _probe(f)
    layer = cfg["probe"]["split_layer"]
    return Answer(
        f"Without fine-tuning and without the head: average the output of block `{layer}` over "
        "space for every image (resized to 224×224), standardise the features and split them "
        "with k-means (k = 2); the cluster holding more sharp shapes is called kiki. Against a "
        "geometric reference (an image is kiki when its outline's sharpest convex corner turns "
        f"more than {cfg['reference_rule']['threshold_deg']}°; "
        f"{n(s['reference/kiki_count'])} of the images are), the split agrees on "
        f"**{pct(s['split/agreement'])}** of the images. The figure shows examples of each side.",
        {k: s[k] for k in ("split/agreement", "reference/kiki_count")},
        [
            job.folder / "plots" / "split_examples.png",
            job.folder / "plots" / "reference_labels.png",
        ],
    )


def _probe_c(f: Facts) -> Answer:
    job, s, _ = _probe(f)
    p = s["cifar/p_airplane_above_frog"]
    sup = s["cifar/p_airplane_above_frog_supervised_axis"]
    more = "airplanes" if p > 0.5 else "frogs"
    return Answer(
        "Score every CIFAR-10 frog and airplane on the axis through the two k-means centres of "
        f"(b) (> 0: the kiki side). Mean scores: frogs {n(s['cifar/frog/score_mean'])}, airplanes "
        f"{n(s['cifar/airplane/score_mean'])}; a random airplane scores above a random frog with "
        f"probability **{n(p, 3)}** ({n(sup, 3)} on the axis of a logistic regression fitted to "
        f"the reference labels instead). So the model finds **{more}** more kiki"
        + (
            ", which agrees with intuition: wings, tails and straight edges against rounded, "
            "blob-like frogs."
            if more == "airplanes"
            else ", against intuition (airplanes have the wings, tails and straight edges)."
        )
        + " Both classes lie far from the drawings in feature space, so only their order along "
        "the axis means something, not the side of 0.",
        {k: s[k] for k in s if k.startswith("cifar/")},
        [job.folder / "plots" / "cifar_extremes.png"],
    )


def _probe_d(f: Facts) -> Answer:
    job, s, cfg = _probe(f)
    layer = s["probe/earliest_better_layer"]
    prefix = f"probe/{layer}/"
    folds, repeats = cfg["probe"]["folds"], cfg["probe"]["repeats"]
    return Answer(
        f"A linear probe (logistic regression, {folds}-fold cross-validation repeated {repeats}×) "
        "on every block's pooled features, against the same probe on the raw pixels "
        f"({n(s['probe/pixels/dims'])} grey values of the shrunk input): the pixels reach "
        f"{pct(s['probe/pixels/acc'])} [95% interval {pct(s['probe/pixels/acc_low'])}, "
        f"{pct(s['probe/pixels/acc_high'])}]. The earliest block that is reliably better than "
        f"the pixels (a paired one-sided test on the same images, Bonferroni over the blocks, "
        f"α = {n(s['probe/alpha'])}) is **`{layer}`**: {pct(s[prefix + 'acc'])} "
        f"[{pct(s[prefix + 'acc_low'])}, {pct(s[prefix + 'acc_high'])}], p = "
        f"{n(s[prefix + 'p_over_pixels'], 2)}. The plot shows every block's accuracy with its "
        "interval beside the pixels' band.",
        {k: s[k] for k in s if k.startswith("probe/")},
        [job.folder / "plots" / "layer_accuracy.png"],
    )


QUESTIONS = [
    Question(
        "000-1a",
        "Load and display MNIST; a LogisticRegression baseline on 2000 training images: its test accuracy.",
        ["baseline"],
        _baseline,
    ),
    Question(
        "000-1b", "Write a ReLU module; explain how you derived the backward pass.", ["demo"], _relu
    ),
    Question(
        "000-1c",
        "A Linear+ReLU MLP trained on MNIST with at least 95% test accuracy.",
        ["numpy_mlp_mnist"],
        _numpy_mlp("numpy_mlp_mnist", 0.95),
    ),
    Question(
        "000-1d",
        "Bonus: a NumPy MLP with at least 98% test accuracy that trains in under 5 minutes.",
        ["numpy_mlp_mnist_fast"],
        _numpy_mlp("numpy_mlp_mnist_fast", 0.98),
    ),
    Question(
        "000-2a",
        "Linear(3,3) on ulu.csv, 50 steps of full-batch GD on raw data: is there a learning rate with a good rate of convergence?",
        ["numpy_linear_ae"],
        _ae_a,
    ),
    Question(
        "000-2b",
        "A 2-d code autoencoder: its final reconstruction loss against the theoretical minimum.",
        ["numpy_linear_ae"],
        _ae_b,
    ),
    Question("000-2c", "A DropoutOne module: the correct backward pass.", ["demo"], _dropout_one),
    Question(
        "000-2d",
        "DropoutOne on the code: the first dimension separates foreground and background; the optimal expected loss.",
        ["numpy_linear_ae"],
        _ae_d,
    ),
    Question(
        "000-3a",
        "MobileNetV3-small: what is a convolutional linear layer? Count the parameters of one conv layer.",
        ["probe"],
        _probe_a,
    ),
    Question(
        "000-3b",
        "Separate bouba from kiki without fine-tuning and without the head; show examples.",
        ["probe"],
        _probe_b,
    ),
    Question(
        "000-3c", "Are CIFAR-10 frogs or airplanes more kiki? Do you agree?", ["probe"], _probe_c
    ),
    Question(
        "000-3d",
        "Bonus: the earliest layer that distinguishes bouba from kiki, and how you found it.",
        ["probe"],
        _probe_d,
    ),
]

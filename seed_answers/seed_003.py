"""Seed 003: cross-entropy (P1), an autoencoder loop (P2), a PyTorch quiz (P3), sequence models (P5).

The seed holds a student's answers; every figure here is computed by the demo study
(``loop_demos/``) or read from labkit's own runs, never copied (its 1A value is wrong).
"""

from __future__ import annotations

from seed_answers.question import Answer, Facts, Question
from seed_answers.theory import theory_section
from seed_answers.wording import n, pct


def _demo(f: Facts, prefix: str) -> tuple[dict, object]:
    job = f.record("demo").jobs[0]
    s = job.summary
    return {k: v for k, v in s.items() if k.startswith(prefix)}, job


def _p1a(f: Facts) -> Answer:
    v, _ = _demo(f, "p1a/")
    return Answer(
        "Only the true class's probability counts: CE = −log ŷ₃ = −ln 0.4 = "
        f"**{n(v['p1a/cross_entropy'])}** (natural log, as nn.CrossEntropyLoss uses; computed "
        "with torch's NLLLoss on log ŷ). The seed's worked answer, −1·log(0.4) = −0.397, takes "
        f"a base-10 log (−log₁₀ 0.4 = {n(v['p1a/cross_entropy_log10'])}) and then gets the sign "
        "wrong: a cross-entropy is never negative.",
        v,
    )


def _p1b(f: Facts) -> Answer:
    v, job = _demo(f, "p1b/")
    right = {
        k.removeprefix("p1b/confident_right/"): x for k, x in v.items() if "/confident_right/" in k
    }
    wrong = {
        k.removeprefix("p1b/confident_wrong/"): x for k, x in v.items() if "/confident_wrong/" in k
    }
    return Answer(
        "Cross-entropy is the negative log-likelihood of the label under the softmax model, the "
        "loss maximum likelihood asks for; MSE treats the ten probabilities as unrelated "
        "regression targets. Measured with autograd at ŷ₃ = 0.9 (the rest sharing 0.1): "
        f"∂MSE/∂ŷ₃ = {n(right['mse_grad_prob_true'])} against ∂CE/∂ŷ₃ = "
        f"{n(right['ce_grad_prob_true'])}; through the softmax, with respect to the true "
        f"class's logit, MSE gives {n(right['mse_grad_logit_true'])} and CE "
        f"{n(right['ce_grad_logit_true'])} ({n(right['ce_over_mse_logit_true'])}× larger). For a "
        f"confident mistake (ŷ₃ = 0.1, ŷ₅ = 0.8) the logit gradients are MSE "
        f"{n(wrong['mse_grad_logit_true'])} against CE {n(wrong['ce_grad_logit_true'])} "
        f"({n(wrong['ce_over_mse_logit_true'])}×). CE's logit gradient is exactly ŷ − y, "
        "proportional to the error however saturated the softmax is, while MSE's carries the "
        "softmax's derivative ŷ(1 − ŷ), which vanishes exactly when the net is confident. So CE "
        "gives the larger signal, and one that keeps pushing a confident prediction to certainty "
        "and corrects a confident mistake at full strength.",
        v,
        sorted(job.folder.glob("plots/p1b*.png")),
    )


def _p1c(f: Facts) -> Answer:
    v, job = _demo(f, "p1c/")
    plain = {k.removeprefix("p1c/plain/"): x for k, x in v.items() if "/plain/" in k}
    extra = {k.removeprefix("p1c/softmax/"): x for k, x in v.items() if "/softmax/" in k}
    steps = job.config["training"]["steps"]
    acc_gap = extra["test_acc"] - plain["test_acc"]
    return Answer(
        "nn.CrossEntropyLoss takes logits and applies log-softmax itself (fused and stable): it "
        "already turns the outputs into probabilities. An extra softmax makes the loss "
        "−log softmax(softmax(z))ᵧ: the inputs to the second softmax lie in [0, 1], so the loss "
        "cannot go below "
        f"{n(extra['loss_floor'])} and its gradients shrink. Measured on the seed's 784-64-10 "
        f"MLP ({steps} Adam steps, same init, same batches): the first gradient's norm falls from "
        f"{n(plain['first_grad_norm'])} to {n(extra['first_grad_norm'])}, the final training loss "
        f"is {n(extra['train_loss'])}"
        + (" (stuck near its floor)" if extra["train_loss"] < 1.1 * extra["loss_floor"] else "")
        + f" against {n(plain['train_loss'])}; test accuracy {pct(extra['test_acc'])} against "
        f"{pct(plain['test_acc'])} ({'+' if acc_gap >= 0 else ''}{100 * acc_gap:.1f} points)"
        + (
            ": Adam rescales the small gradients, which hides the damage to accuracy here, while "
            "the loss no longer measures the fit."
            if acc_gap > -0.01
            else ": the shrunken gradients cost accuracy too."
        )
        + " Probabilities for a prediction come from softmax(logits) outside the loss.",
        v,
        sorted(job.folder.glob("plots/p1c*.png")),
    )


def _p2a(f: Facts) -> Answer:
    job = f.record("mnist_autoencoder").jobs[0]
    losses = job.series("train/loss_epoch") or job.series("train/loss")
    values = {"test/loss": job.summary["test/loss"], "params_total": job.summary["params_total"]}
    return Answer(
        "(a) `nn.MSELoss()` (reconstruction: compare pixels); (b) `model.train()`; (c) "
        "`images.view(images.size(0), -1)` flattens each 28×28 image to 784 values; (d) "
        "`loss_fn(x_hat, x)`: the target is the input itself; (e) `loss.backward()`; (f) "
        "`optimizer.step()`; (g) `optimizer.zero_grad()` (before the next backward; here after "
        "the step, which is equivalent). In labkit the same loop is Lightning's: "
        "`lightning_modules/autoencoder.py` computes (c) and (d) in its step with MSE (a); "
        "Lightning's fit loop calls `model.train()` (b) at each epoch's start, and its automatic "
        "optimisation runs (g), (e) and (f) around the step. labkit's mnist_autoencoder run "
        f"({n(values['params_total'])} parameters) reaches a test MSE of {n(values['test/loss'])}"
        + (f", from {n(losses[0])} in its first logged epoch." if losses else "."),
        values,
        [job.folder / "plots" / "curves.png"],
    )


def _p2b(f: Facts) -> Answer:
    job = f.record("mnist_autoencoder").jobs[0]
    s = job.summary
    code = job.config["model"]["net"].get("code_size") or job.config["model"]["net"].get(
        "latent_dim"
    )
    return Answer(
        f"It learns to compress each 784-pixel image into a {code or 'low'}-dimensional code and "
        "to rebuild the image from it: a non-linear generalisation of PCA, trained without labels. "
        "MSE fits because the target is the image itself, a vector of real intensities: it is the "
        "Gaussian negative log-likelihood of the pixels and penalises every pixel's error alike. "
        f"Measured: test MSE {n(s['test/loss'])} per pixel. The code scatter colours every test "
        "image's code by its digit, a label the model never saw: where one colour gathers, the "
        "code has found that digit without being told.",
        {"test/loss": s["test/loss"], "code_size": code},
        [job.folder / "plots" / "reconstructions.png", job.folder / "plots" / "latent_codes.png"],
    )


def _quiz(key: str, text: str):
    def answer(f: Facts) -> Answer:
        v, _ = _demo(f, f"{key}/")
        found = ", ".join(f"`{x}`" for x in v.values())
        return Answer(text.format(found=found), v)

    return answer


def _p3d(f: Facts) -> Answer:
    v, job = _demo(f, "p3d/")
    steps = job.config["p3d"]["steps"]
    unchanged = v["p3d/max_abs_weight_change"] == 0.0 and v["p3d/params_with_grad"] == 0.0
    outcome = (
        f"no parameter has a .grad and the largest weight change is 0: the net keeps its initial "
        f"test accuracy, {pct(v['p3d/test_acc_before'])} before and {pct(v['p3d/test_acc_after'])} "
        "after"
        if unchanged
        else f"the weights moved by up to {n(v['p3d/max_abs_weight_change'])} "
        f"({int(v['p3d/params_with_grad'])} parameters have a .grad), which a loop without "
        "backward should never do"
    )
    return Answer(
        "No gradients are computed, so `optimizer.step()` has nothing to apply (every .grad "
        f"stays None) and the weights never change. Measured: after {steps} Adam steps without "
        f"`loss.backward()`, {outcome}; the same steps with it move the weights by up to "
        f"{n(v['p3d/max_abs_weight_change_with_backward'])}.",
        v,
    )


def _p3e(f: Facts) -> Answer:
    v, job = _demo(f, "p3e/")
    kept = job.config["p3e"]["accumulated_steps"]
    steps = job.config["training"]["steps"]
    with_, without = "p3e/with_zero_grad/", "p3e/without_zero_grad/"
    return Answer(
        "`backward()` adds into .grad; without zeroing, each step uses the sum of all gradients "
        f"so far, an ever-growing, stale direction. Measured: after {kept} steps without "
        "`zero_grad()`, .grad equals the sum of those steps' batch gradients (relative "
        f"difference {n(v['p3e/accumulated_rel_diff'], 2)}) and is "
        f"{n(v['p3e/accumulated_over_fresh_norm'])}× as long as the last batch's own gradient. "
        f"Over {steps} steps from the same weights on the same batches, the loop with "
        f"`zero_grad()` ends at training loss {n(v[with_ + 'train_loss'])} and test accuracy "
        f"{pct(v[with_ + 'test_acc'])}; without it, {n(v[without + 'train_loss'])} and "
        f"{pct(v[without + 'test_acc'])}.",
        v,
        sorted(job.folder.glob("plots/p3e*.png")),
    )


def _p3f(f: Facts) -> Answer:
    v, job = _demo(f, "p3f/")
    c = job.config["p3f"]
    return Answer(
        "In train mode Dropout zeroes random units (scaling the rest by 1/(1-p)) and BatchNorm "
        "normalises with the batch's own statistics (updating its running ones); in eval mode "
        "Dropout is the identity and BatchNorm uses the running statistics, so an output no "
        "longer depends on chance or on the rest of the batch. Measured on MNIST pixels: "
        f"Dropout(p = {c['dropout']}) in train mode zeroes {pct(v['p3f/dropout_train_zeroed_fraction'])} "
        f"of the lit pixels and scales the others by {n(v['p3f/dropout_train_kept_scale'])}, so "
        f"two passes of one batch differ by up to {n(v['p3f/dropout_train_max_abs_diff'])}; in "
        f"eval mode two passes differ by {n(v['p3f/dropout_eval_max_abs_diff'])} and the output "
        f"differs from the input by {n(v['p3f/dropout_eval_max_abs_change'])}. One image's "
        f"BatchNorm output, in two batches of {c['batch_size']} that differ only in its "
        f"batchmates, differs by up to {n(v['p3f/batchnorm_train_max_abs_diff'])} in train mode "
        f"and by {n(v['p3f/batchnorm_eval_max_abs_diff'])} in eval mode.",
        v,
    )


def _p3g(f: Facts) -> Answer:
    v, job = _demo(f, "p3g/")
    sizes = sorted(job.config["p3g"]["test_batch_sizes"])
    rows = ", ".join(f"{pct(v[f'p3g/train_mode/batch_{b}/test_acc'])} at batch {b}" for b in sizes)
    evals = {v[f"p3g/eval_mode/batch_{b}/test_acc"] for b in sizes}
    in_eval = (
        f"{pct(evals.pop())} on the test images at every batch size"
        if len(evals) == 1
        else "on the test images "
        + ", ".join(f"{pct(v[f'p3g/eval_mode/batch_{b}/test_acc'])} at batch {b}" for b in sizes)
    )
    return Answer(
        "`model.eval()` (with `torch.no_grad()` for speed). labkit never forgets it: Lightning "
        "switches the module to eval mode for every validation and test loop. Measured on an "
        f"MLP with BatchNorm and Dropout(p = {job.config['p3g']['dropout']}) trained to "
        f"{pct(v['p3g/train_acc'])} training accuracy: in eval mode it scores "
        f"{in_eval}; left in train mode it scores "
        f"{rows}, since BatchNorm then normalises with the few test samples of each batch and "
        "Dropout drops units. With BatchNorm in eval mode and only Dropout left on, it scores "
        f"{pct(v['p3g/dropout_only/test_acc'])} at batch {sizes[-1]}. A train-mode pass over "
        "the test set also moves BatchNorm's running mean by up to "
        f"{n(v['p3g/running_mean_max_change'])}: the forgotten line changes the model itself.",
        v,
        sorted(job.folder.glob("plots/p3g*.png")),
    )


def _theory(part: str):
    def answer(f: Facts) -> Answer:
        return Answer(theory_section("003_P5_sequence_models.md", part), {}, [], status="theory")

    return answer


QUESTIONS = [
    Question(
        "003-P1A",
        "Cross-entropy of ŷ = [0.1, 0.1, 0.0, 0.4, 0.05, 0.05, 0.05, 0.05, 0.1, 0.1] for the digit 3.",
        ["demo"],
        _p1a,
    ),
    Question(
        "003-P1B", "Why cross-entropy, not MSE? ∂MSE/∂ŷ_k vs ∂CE/∂ŷ_k at ŷ₃ = 0.9.", ["demo"], _p1b
    ),
    Question("003-P1C", "Why no nn.Softmax() before CrossEntropyLoss()?", ["demo"], _p1c),
    Question(
        "003-P2A",
        "Fill in the blanks (a)-(g) of the autoencoder training loop.",
        ["mnist_autoencoder"],
        _p2a,
    ),
    Question(
        "003-P2B",
        "What is this model learning, and why does the loss make sense?",
        ["mnist_autoencoder"],
        _p2b,
    ),
    Question(
        "003-P3A",
        "Which sub-package hosts MNIST?",
        ["demo"],
        _quiz(
            "p3a",
            "`torchvision.datasets` (found: {found}); labkit reads the same IDX files through `datamodules/idx_files.py` and downloads them with torchvision when they are missing.",
        ),
    ),
    Question(
        "003-P3B",
        "Where does Adam live?",
        ["demo"],
        _quiz(
            "p3b",
            "`torch.optim` (found: {found}); labkit's `configs/optimizer/adam.yaml` targets it.",
        ),
    ),
    Question(
        "003-P3C",
        "Which class shuffles and batches data during training?",
        ["demo"],
        _quiz(
            "p3c",
            "`torch.utils.data.DataLoader` (found: {found}); labkit's in-memory DataModules hand out shuffled tensor slices of the same kind (`datamodules/tensor_batches.py`).",
        ),
    ),
    Question(
        "003-P3D",
        "What happens if loss.backward() is missing?",
        ["demo"],
        _p3d,
    ),
    Question(
        "003-P3E",
        "Why call optimizer.zero_grad() every iteration?",
        ["demo"],
        _p3e,
    ),
    Question(
        "003-P3F",
        "Dropout and BatchNorm in model.train() vs model.eval()?",
        ["demo"],
        _p3f,
    ),
    Question(
        "003-P3G",
        "Low training loss but poor test performance: which line is missing before inference?",
        ["demo"],
        _p3g,
    ),
    Question(
        "003-P5A",
        "Why might an MLP be a poor choice for 50×8 time-series samples?",
        [],
        _theory("A"),
    ),
    Question(
        "003-P5B", "When would a CNN be most and least effective on this dataset?", [], _theory("B")
    ),
    Question(
        "003-P5C",
        "Two other model families that would suit this dataset, and why.",
        [],
        _theory("C"),
    ),
]

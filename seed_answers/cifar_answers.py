"""Seed 002 Q3: ResNet-18 on CIFAR-10, at the scale of the profile that ran it.

The cpu profile trains a quarter-width ResNet-18 and an MLP matched to its parameter count, on
part of each epoch, for a few epochs; every answer states the scale its figures come from (from
the run's own config), and the full profile's figures are the seed's settings.
"""

from __future__ import annotations

import json

from figures.markdown_table import markdown_table
from seed_answers.question import Answer, Facts, Question
from seed_answers.records import Job
from seed_answers.wording import n, pct


def scale_of(job: Job) -> str:
    """The run's scale in words: width, epochs, batches per epoch (from its config)."""
    cfg = job.config
    net = cfg["model"]["net"]
    width = net.get("width")
    limit = cfg["trainer"].get("limit_train_batches")
    parts = [
        f"{'ResNet-18' if width == 64 else f'ResNet-18 at width {width}'}" if width else "the MLP",
        f"{job.summary['epochs']} epoch(s)",
        "every training batch" if limit in (None, 1.0) else f"{limit} training batches per epoch",
    ]
    return ", ".join(parts)


def _facts(f: Facts) -> dict:
    s = f.record("demo").jobs[0].summary
    return {k: v for k, v in s.items() if k.startswith("resnet/")}


def _block(f: Facts) -> Answer:
    v = _facts(f)
    return Answer(
        "`nets/resnet.py:BasicBlock`: conv 3×3 (stride 1 or 2) → BatchNorm → activation → conv "
        "3×3 → BatchNorm, plus the residual: the identity, or a 1×1 stride-2 conv (padding 0) "
        "+ BatchNorm where the block downsamples; the activation follows the sum. Every conv has "
        f"bias=False (measured on the net: {n(v['resnet/conv_layers_with_bias'])} of "
        f"{n(v['resnet/conv_layers'])} convs have a bias; {n(v['resnet/batchnorm_layers'])} "
        "BatchNorm layers, one after every conv).",
        v,
    )


def _resnet(f: Facts) -> Answer:
    v = _facts(f)
    maps = ", ".join(v[f"resnet/map{i}"] for i in range(5))
    return Answer(
        "`nets/resnet.py:ResNet18`: a CIFAR stem (3×3 conv 3→64, stride 1, no max-pool), four "
        "stages of two BasicBlocks each (64, 128, 256, 512 channels, the last three starting "
        "with stride 2; `_create_layer` builds a stage), global average pooling and a linear "
        f"layer to 10 logits. Measured: {n(v['resnet/params'])} parameters; the stem's and "
        f"stages' maps for a 32×32 input are {maps} (channels × height × width), the figure's "
        f"32, 32, 16, 8, 4; output {v['resnet/logits']} logits.",
        v,
    )


def _loops(f: Facts) -> Answer:
    job = f.record("cifar10_resnet18").jobs[0]
    val = job.series("val/acc")
    return Answer(
        "labkit's `lightning_modules/classifier.py` is the train and valid loop's body: a batch "
        "→ logits → cross-entropy and accuracy; Lightning's fit loop runs it over the training "
        "batches (forward, backward, optimizer step, scheduler) and validates after every epoch "
        f"(`check_val_every_n_epoch: 1`). Run at this profile's scale ({scale_of(job)}): "
        f"validation accuracy per epoch {', '.join(pct(a, 1) for a in val)}.",
        {"val/acc": val},
    )


def _curves(f: Facts) -> Answer:
    job = f.record("cifar10_resnet18").jobs[0]
    s, net = job.summary, job.config["model"]["net"]
    return Answer(
        f"ReLU, {net['init']} initialisation, {scale_of(job)}: final validation accuracy "
        f"{pct(s['val/acc'])}, validation loss {n(s['val/loss'])}; test accuracy of the best "
        f"epoch {pct(s['test/acc'])}. The figure has the training and validation loss and "
        "accuracy against the epoch.",
        {k: s[k] for k in ("val/acc", "val/loss", "test/acc", "epochs", "params_total")},
        [job.folder / "plots" / "curves.png"],
    )


def _conv_properties(job: Job) -> dict:
    path = job.folder / "plots" / "conv_properties.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _against(value: float, chance: float, more: str, less: str) -> str:
    """``value`` beside a random filter's ``chance``, said as ``more`` / ``less`` / alike."""
    if chance and value > 1.2 * chance:
        word = more
    elif chance and value < chance / 1.2:
        word = less
    else:
        word = "about as random filters"
    return f"{n(value, 3)} against {n(chance, 3)} for random filters of that shape: {word}"


def _filters(f: Facts) -> Answer:
    job = f.record("cifar10_resnet18").jobs[0]
    props = _conv_properties(job)
    first = props["first_conv"]["filters"]
    last = props["last_conv"]["filters"]
    r1, r2 = first["random_reference"], last["random_reference"]
    return Answer(
        f"At this profile's scale ({scale_of(job)}), measured on the trained weights. First conv "
        f"({first['count']} filters of 3×3 over the {first['input_channels']} colour channels): "
        f"share of a filter's energy in its mean (smooth, blob-like parts) "
        f"{_against(first['dc_energy_fraction'], r1['dc_energy_fraction'], 'smoother', 'more oscillating')}; "
        f"colour share {_against(first['colour_fraction'], r1['colour_fraction'], 'more colour-opponent', 'closer to grey')}; "
        f"orientation strength {_against(first['orientation_strength'], r1['orientation_strength'], 'more oriented', 'less oriented')}. "
        f"These filters read the pixels directly: each is a small colour-and-intensity pattern "
        f"one can look at. Last conv ({last['count']} filters of 3×3 over "
        f"{last['input_channels']} feature channels): a filter's strongest input channel holds "
        f"{_against(last['input_channel_concentration'], r2['input_channel_concentration'], 'more selective', 'less selective')}, "
        f"it draws on {n(last['effective_input_channels'], 3)} input channels in effect, and "
        f"its orientation strength is "
        f"{_against(last['orientation_strength'], r2['orientation_strength'], 'more oriented', 'less oriented')}. "
        "So they differ in kind: the first layer's filters are pixel patterns, the last layer's "
        "are mixtures of many learnt features over a 4×4 grid, and one 3×3 slice of them (what "
        "the figure draws, the strongest input channel) is not an image.",
        props,
        [
            job.folder / "plots" / "first_conv_filters.png",
            job.folder / "plots" / "last_conv_filters.png",
        ],
    )


def _stride_words(pixels: float) -> str:
    """How many input pixels one map position stands for, along a side."""
    if pixels == 1:
        return "one position per input pixel"
    return f"one position per {n(pixels)} input pixels along a side"


def _maps(f: Facts) -> Answer:
    job = f.record("cifar10_resnet18").jobs[0]
    props = _conv_properties(job)
    image = props["image"]
    said = [
        f"For validation image {image['index']} (class {image['class_name']}), at this "
        "profile's scale."
    ]
    last = props["last_conv"]["maps"]
    for layer, name in (("first_conv", "First"), ("last_conv", "Last")):
        m = props[layer]["maps"]
        said.append(
            f"{name} layer's maps: {m['channels']} channels of {m['height']}×{m['width']} "
            f"({_stride_words(m['input_pixels_per_position'])}); "
            f"{pct(m['active_fraction'], 1)} of the units are active, "
            f"{pct(m['silent_channel_fraction'], 1)} of the channels silent, and a channel's top "
            f"10% of positions hold {pct(m['energy_top10pct_fraction'], 1)} of its energy "
            f"(evenly spread would be {pct(m['top10pct_position_fraction'], 1)})."
        )
    said.append(
        "The first layer's maps keep the image's resolution and light up wherever their pattern "
        "(an edge direction, a colour contrast) occurs, so the object's outline and colour "
        "regions show in them; the last layer's coarse maps say in which of "
        f"{last['height'] * last['width']} regions a learnt feature is present, and the linear "
        "layer weighs those features, averaged over the regions, for the class."
    )
    return Answer(
        " ".join(said),
        props,
        [job.folder / "plots" / "first_conv_maps.png", job.folder / "plots" / "last_conv_maps.png"],
    )


def _grid_comments(values: dict[str, dict[str, float]]) -> str:
    """What the grid's accuracies say about activation against init, measured."""
    acc = {tuple(k.split("/")): v["val_acc"] for k, v in values.items()}
    acts = sorted({a for a, _ in acc})
    inits = sorted({i for _, i in acc})
    if acts != ["relu", "tanh"] or any((a, i) not in acc for a in acts for i in inits):
        return ""
    gaps = [acc["relu", i] - acc["tanh", i] for i in inits]
    spread = {a: max(acc[a, i] for i in inits) - min(acc[a, i] for i in inits) for a in acts}
    said = []
    if min(gaps) > 0:
        said.append(
            f"ReLU beats tanh under every initialisation, by {100 * min(gaps):.1f} to "
            f"{100 * max(gaps):.1f} points: tanh saturates for large pre-activations, where its "
            "gradient vanishes, while ReLU passes the gradient of every active unit unchanged."
        )
    elif max(gaps) < 0:
        said.append(
            f"tanh beats ReLU under every initialisation, by up to {100 * -min(gaps):.1f} points."
        )
    else:
        said.append("Neither activation wins under every initialisation.")
    larger = "activation" if min(abs(g) for g in gaps) > max(spread.values()) else "init"
    said.append(
        f"The initialisation moves the accuracy by {100 * spread['relu']:.1f} points for ReLU "
        f"and {100 * spread['tanh']:.1f} for tanh, so here the {larger} matters more."
    )
    return " ".join(said)


def _grid(f: Facts) -> Answer:
    record = f.record("cifar10_grid")
    rows, values = [], {}
    for job in record.jobs:
        act, init = job.override("model.net.activation"), job.override("model.net.init")
        s = job.summary
        values[f"{act}/{init}"] = {"val_acc": s["val/acc"], "val_loss": s["val/loss"]}
        rows.append([act, init, s["val/acc"], s["val/loss"]])
    best = max(values, key=lambda k: values[k]["val_acc"])
    act, init = best.split("/")
    return Answer(
        f"Grid over activation × initialisation at this profile's scale "
        f"({scale_of(record.jobs[0])}): the best is **{act} with {init}**, validation accuracy "
        f"{pct(values[best]['val_acc'])} and validation loss {n(values[best]['val_loss'])} "
        f"(each cell is one run, seed {record.jobs[0].config.get('seed')}). "
        + _grid_comments(values)
        + "\n\n"
        + markdown_table(["activation", "init", "val acc", "val loss"], rows),
        values,
        [p for p in [record.path("report/curves.png")] if p.is_file()],
    )


def _run_times(cnn_s: float | None, mlp_s: float | None) -> str:
    if not cnn_s or not mlp_s:
        return ""
    faster, ratio = ("MLP", cnn_s / mlp_s) if mlp_s < cnn_s else ("ResNet", mlp_s / cnn_s)
    return (
        f" The {faster} runs {n(ratio, 3)}× faster ({n(min(cnn_s, mlp_s))} s against "
        f"{n(max(cnn_s, mlp_s))} s): a parameter costs one multiply per image in a dense layer, "
        "but one per position of its map in a convolution."
        if faster == "MLP"
        else f" The ResNet runs {n(ratio, 3)}× faster ({n(min(cnn_s, mlp_s))} s against "
        f"{n(max(cnn_s, mlp_s))} s)."
    )


def _matched(f: Facts) -> Answer:
    record = f.record("cifar10_mlp_matched")
    rows, values = [], {}
    for job in record.jobs:
        s = job.summary
        net = job.override("net")
        values[net] = {
            "params": s["params_total"],
            "val_acc": s["val/acc"],
            "val_loss": s["val/loss"],
            "train_s": s.get("wall_time_s"),
        }
        rows.append([net, s["params_total"], s["val/acc"], s["val/loss"], s.get("wall_time_s")])
    cnn = next(k for k in values if k.startswith("resnet"))
    mlp = next(k for k in values if k.startswith("mlp"))
    better = cnn if values[cnn]["val_acc"] >= values[mlp]["val_acc"] else mlp
    epochs = record.jobs[0].summary["epochs"]
    return Answer(
        f"Same epochs ({epochs}) and data for both, at this profile's scale: the "
        f"{'ResNet' if better == cnn else 'MLP'} is better (val accuracy "
        f"{pct(values[cnn]['val_acc'])} against {pct(values[mlp]['val_acc'])} with "
        f"{n(values[cnn]['params'])} and {n(values[mlp]['params'])} parameters). "
        + (
            "The convolution's weights are shared across positions and see local "
            "neighbourhoods, so its parameters go into depth and into features that hold "
            "anywhere in the image; the MLP spends nearly all of its parameters on one dense "
            "layer over raw pixels and must learn every pattern at every position separately."
            if better == cnn
            else "At this scale the MLP is ahead: its few dense layers fit quickly, while the "
            "deep network has had too few steps to get going; the comparison the seed asks "
            "for (25 epochs of the full data) is the full profile's, on a GPU."
        )
        + _run_times(values[cnn]["train_s"], values[mlp]["train_s"])
        + " Run time is each job's whole wall time (training, validation and test).\n\n"
        + markdown_table(["net", "parameters", "val acc", "val loss", "run time (s)"], rows),
        values,
        [p for p in [record.path("report/curves.png")] if p.is_file()],
    )


CIFAR_QUESTIONS = [
    Question(
        "002-Q3.1",
        "The ResidualBlock: __init__, activation, residual and forward.",
        ["demo"],
        _block,
    ),
    Question("002-Q3.2", "ResNet18: __init__, _create_layer and forward.", ["demo"], _resnet),
    Question(
        "002-Q3.3",
        "train_loop and valid_loop; validate after every epoch.",
        ["cifar10_resnet18"],
        _loops,
        needs_gpu_at_full_scale=True,
    ),
    Question(
        "002-Q3.4",
        "Training and validation loss and accuracy curves (ReLU, xavier_normal).",
        ["cifar10_resnet18"],
        _curves,
        needs_gpu_at_full_scale=True,
    ),
    Question(
        "002-Q3.5",
        "Filters of the first and last conv layers: what do they learn, how do they differ?",
        ["cifar10_resnet18"],
        _filters,
        needs_gpu_at_full_scale=True,
    ),
    Question(
        "002-Q3.6",
        "Feature maps of those filters for one image: what do they detect?",
        ["cifar10_resnet18"],
        _maps,
        needs_gpu_at_full_scale=True,
    ),
    Question(
        "002-Q3.7",
        "Grid search over activation (ReLU, tanh) × init (Glorot uniform, Glorot normal, He normal).",
        ["cifar10_grid"],
        _grid,
        needs_gpu_at_full_scale=True,
    ),
    Question(
        "002-Q3.8",
        "An MLP with about ResNet-18's parameters: parameters, val accuracy, val loss, training time; which is better?",
        ["cifar10_mlp_matched"],
        _matched,
        needs_gpu_at_full_scale=True,
    ),
]

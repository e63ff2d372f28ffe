"""The probe's ``report.md``: the answers to (a)-(d) with their figures, from measured values."""

from __future__ import annotations

from pathlib import Path

from figures.markdown_table import code, markdown_table
from labkit.atomic_files import write_text
from mobilenet_probe.findings import ProbeFindings

SECTIONS = (
    "## Data and reference labels",
    "## (a) Parameters of a convolutional layer",
    "## (b) Unsupervised bouba/kiki split",
    "## (c) CIFAR-10 on the bouba<->kiki axis",
    "## (d) Layerwise linear probe",
    "## Run",
)


def _percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def _image(findings: ProbeFindings, name: str, alt: str) -> str:
    return f"![{alt}]({findings.plots[name]})" if name in findings.plots else ""


def _plural(name: str) -> str:
    return name if name.endswith("s") else name + "s"


def render_report(f: ProbeFindings) -> str:
    """The Markdown text of the report."""
    parts = [
        "# MobileNetV3-small probe: bouba/kiki (seed 000, part 3)",
        "",
        f"Weights: {f.weights_source}."
        + (
            f" The file holds no classifier head ({len(f.missing_head_keys)} keys missing: "
            f"{', '.join(f.missing_head_keys)}); the probe never runs the head."
            if f.missing_head_keys
            else ""
        ),
        f"Images are resized to {f.input_size}×{f.input_size} and normalised with ImageNet's "
        "mean and std; features are each block's output averaged over space, all blocks from one "
        "forward pass per batch. No fine-tuning: nothing in the net is trained.",
        "",
        SECTIONS[0],
        "",
        f"{f.image_count} images of {f.image_shape[0]}×{f.image_shape[1]} from {f.data_source}.",
        f"Reference labels come from a geometric rule, not from the net: an image is *kiki* when "
        f"the sharpest convex corner of its outlines (the turn of the smoothed outline over "
        f"{2 * f.rule_arc_px} px) exceeds {f.rule_threshold:g}°; ellipses turn smoothly, "
        f"triangle corners and star tips by 80-150° once smoothed.",
        f"Result: {f.kiki_count} kiki, {f.image_count - f.kiki_count} bouba. No image lies near "
        f"the threshold: the sharpest bouba turns {f.bouba_max_deg:.1f}°, the bluntest kiki "
        f"{f.kiki_min_deg:.1f}°.",
    ]
    if f.generator_agreement is not None:
        parts.append(
            f"On these generated images the rule agrees with the generator's true labels on "
            f"{_percent(f.generator_agreement)} of them."
        )
    parts += [
        "Every image with its score and label, to check by eye:",
        "",
        _image(f, "reference_labels", "reference labels"),
        "",
        SECTIONS[1],
        "",
        "A convolutional layer is a linear layer whose weights are shared across positions: each "
        "output pixel is the same affine map of the k×k input patch around it, so the layer is a "
        "huge sparse matrix on the flattened image with one small kernel repeated along its "
        "diagonals. Its parameter count depends on the channels and the kernel size, not on the "
        "image size: in·out·k·k/groups weights (+ out biases).",
        "",
        markdown_table(
            [
                "layer",
                "in",
                "out",
                "kernel",
                "stride",
                "groups",
                "bias",
                "formula",
                "by the formula",
                "counted in the module",
            ],
            [
                [
                    code(f.conv.name),
                    f.conv.in_channels,
                    f.conv.out_channels,
                    "×".join(map(str, f.conv.kernel_size)),
                    "×".join(map(str, f.conv.stride)),
                    f.conv.groups,
                    "yes" if f.conv.has_bias else "no",
                    f.conv.formula_text,
                    f.conv.formula,
                    f.conv.counted,
                ]
            ],
        ),
        "",
        f"Formula and module agree: {'yes' if f.conv.formula == f.conv.counted else 'NO'}. "
        f"The whole net has {f.total_parameters:,} parameters.",
        "",
        SECTIONS[2],
        "",
        f"k-means (k = 2) on the standardised pooled features of `{f.split_layer}`, fitted "
        "without labels; the cluster holding more kiki references is named kiki (the only use of "
        f"the labels). Agreement with the reference labels: **{_percent(f.split_agreement)}**.",
        "",
        _image(f, "split_examples", "both sides of the split"),
        "",
        SECTIONS[3],
        "",
    ]
    if f.cifar:
        first, second = f.cifar[0], f.cifar[1] if len(f.cifar) > 1 else None
        parts += [
            f"Each image is scored on the axis through the two k-means centres of (b) (standardised "
            f"`{f.split_layer}` features, 0 = midway, > 0 = kiki side).",
            "",
            markdown_table(
                ["class", "images", "mean score", "std", "std. error", "share on the kiki side"],
                [
                    [s.name, s.count, s.mean, s.std, s.sem, _percent(s.kiki_fraction)]
                    for s in f.cifar
                ],
            ),
            "",
        ]
        parts.append(
            f"On this axis the bouba-kiki images' own cluster centres lie at "
            f"{-f.axis_half_gap:+.2f} (bouba) and {f.axis_half_gap:+.2f} (kiki). Photographs lie "
            "far from both clusters in feature space, so the side of 0 they fall on says little; "
            "what the axis measures is their order along it."
        )
        if second is not None and f.cifar_prob_second_higher is not None:
            kiki = second if second.mean > first.mean else first
            bouba = first if kiki is second else second
            parts += [
                "",
                f"**{_plural(kiki.name).capitalize()} are more kiki than {_plural(bouba.name)}**: "
                f"mean score {kiki.mean:+.2f} vs {bouba.mean:+.2f}; a random {second.name} scores "
                f"above a random {first.name} with probability {f.cifar_prob_second_higher:.3f} "
                "(0.5 = no order).",
            ]
            if f.cifar_prob_second_higher_supervised is not None:
                parts.append(
                    f"Cross-check on a supervised axis (the logistic regression of (d) on "
                    f"`{f.split_layer}`, fitted on the reference labels): that probability is "
                    f"{f.cifar_prob_second_higher_supervised:.3f}."
                )
        parts += ["", _image(f, "cifar_extremes", "CIFAR extremes")]
    else:
        parts.append("Not run (cifar.enabled=false).")
    parts += ["", SECTIONS[4], "", *_layerwise_text(f), ""]
    parts += [
        _image(f, "layer_accuracy", "probe accuracy per block"),
        "",
        SECTIONS[5],
        "",
        "Seconds per step, wall clock and CPU (this process, all its threads); on a shared "
        "machine the wall time grows with the others' load, the CPU time does not.",
        "",
        markdown_table(
            ["step", "wall s", "CPU s"], [[k, w, c] for k, (w, c) in f.timings_s.items()]
        ),
        "",
    ]
    return "\n".join(parts)


def _interval(low: float, high: float) -> str:
    return f"[{low:.3f}, {high:.3f}]"


def _layerwise_text(f: ProbeFindings) -> list[str]:
    """(d): the probe per block against the pixels baseline, the answer, and the table."""
    px = f.pixels
    level = f.alpha / len(f.layers)
    by_layer = {c.layer: c for c in f.comparisons}
    best = next((r for r in f.layers if r.layer == f.earliest_layer), None)
    if best is not None:
        c = by_layer[best.layer]
        answer = (
            f"**`{best.layer}` is the earliest block reliably better than the raw pixels**: "
            f"accuracy {best.mean:.3f} {_interval(best.low, best.high)}, {c.gain:+.3f} over the "
            f"pixels on the same images, one-sided p = {c.p_value:.2g} < {level:.2g}."
        )
        before = [r.layer for r in f.layers[: f.layers.index(best)]]
        if before:
            answer += (
                f" No block before it ({', '.join(f'`{b}`' for b in before)}) passes the test."
            )
    else:
        answer = (
            f"**No block is reliably better than the raw pixels** (no one-sided p below "
            f"{level:.2g})."
        )
    threshold = (
        f"the first block whose mean accuracy reaches {f.probe_threshold:g} is "
        f"`{f.earliest_over_threshold}`"
        if f.earliest_over_threshold
        else f"no block's mean accuracy reaches {f.probe_threshold:g}"
    )
    return [
        f"Logistic regression (standardised inputs, L2, C = {f.C:g}) on each block's pooled "
        f"features and, as the baseline, on the raw pixels the net sees (its "
        f"{f.input_size}×{f.input_size} input shrunk to {f.pixels_size}×{f.pixels_size}: "
        f"{px.dims} inputs), every input on the same folds: {f.probe_folds}. Intervals are 95% "
        f"Wilson intervals over the {len(px.correct)} images (every repeat tests each image once, "
        "so the repeats add no images); ± is the standard deviation over folds. Each block is "
        "compared with the pixels on the same images by an exact paired sign-flip test on the "
        "per-image differences (McNemar's exact test with one repeat); a block is *reliably "
        f"better* when its one-sided p is below {f.alpha:g}/{len(f.layers)} = {level:.2g} "
        f"(Bonferroni over the {len(f.layers)} blocks scanned for the earliest one).",
        "",
        f"Raw pixels: accuracy **{px.mean:.3f}** {_interval(px.low, px.high)} (± {px.std:.3f}). "
        f"{answer} No threshold decides this; for comparison with a fixed-threshold rule, "
        f"{threshold}. The last column is (b)'s label-free k-means split run on that block "
        "instead: its agreement with the reference labels.",
        "",
        markdown_table(
            [
                "input",
                "features",
                "accuracy",
                "95% low",
                "95% high",
                "± std",
                "gain over pixels",
                "p (paired)",
                "better",
                "k-means agreement",
            ],
            [["raw pixels", px.dims, px.mean, px.low, px.high, px.std, None, None, "", None]]
            + [
                [
                    code(r.layer),
                    r.dims,
                    r.mean,
                    r.low,
                    r.high,
                    r.std,
                    by_layer[r.layer].gain,
                    by_layer[r.layer].p_value,
                    "yes" if by_layer[r.layer].better else "no",
                    f.kmeans_agreement.get(r.layer),
                ]
                for r in f.layers
            ],
        ),
    ]


def write_report(path: Path, findings: ProbeFindings) -> Path:
    write_text(path, render_report(findings))
    return path

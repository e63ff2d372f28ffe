"""Measured properties of conv filters and feature maps, the numbers behind the filter figures.

Each function takes a conv weight ``(C_out, C_in, k, k)`` or one image's maps ``(C, h, w)`` and
returns one value per filter or channel; :func:`filter_properties` and :func:`map_properties`
gather them into the JSON-ready dicts ``ConvFiltersAndMaps`` writes. A property that is
undefined for an input (a ratio over zero energy) is NaN, written as ``null``.
"""

from __future__ import annotations

import math

import torch

# Edge orientations are summarised in four 45-degree bins named by their centres.
ORIENTATION_BINS_DEG = (0, 45, 90, 135)
# Filters drawn from N(0, 1) for the chance level of each scale-free filter property.
RANDOM_REFERENCE_FILTERS = 1024


def _ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """``num / den``, NaN where ``den`` is 0 (the ratio is undefined there)."""
    return torch.where(den > 0, num / den.clamp_min(torch.finfo(den.dtype).tiny), math.nan)


def filter_norms(weight: torch.Tensor) -> torch.Tensor:
    """``(C_out,)``: each filter's L2 norm over its ``(C_in, k, k)`` weights."""
    return weight.flatten(1).norm(dim=1)


def dc_energy_fraction(weight: torch.Tensor) -> torch.Tensor:
    """``(C_out,)``: the energy of each input channel's spatial mean, summed, over the filter's
    energy, ``sum_c k^2 mean(w_c)^2 / sum w^2``.

    Near 1 the filter is smooth (a blob, a colour or brightness average); near 0 it oscillates
    over its window (edges, bars, texture). An iid random ``k x k`` filter scores ``1 / k^2``.
    """
    w = weight.double()
    dc = w.mean(dim=(-2, -1)).pow(2).sum(dim=1) * w.shape[-2] * w.shape[-1]
    return _ratio(dc, w.pow(2).sum(dim=(1, 2, 3))).to(weight.dtype)


def colour_fraction(weight: torch.Tensor) -> torch.Tensor:
    """``(C_out,)`` for RGB filters (``C_in == 3``): the energy of each filter's deviation from its
    channel mean (its grey part) over its energy.

    0 is a luminance-only filter (the same kernel in R, G and B); larger values weigh the
    channels differently (colour-opponent); 1 means the channels sum to zero at every position.
    An iid random filter scores 2/3.
    """
    if weight.shape[1] != 3:
        raise ValueError(f"colour_fraction needs 3 input channels, got {weight.shape[1]}.")
    w = weight.double()
    deviation = (w - w.mean(dim=1, keepdim=True)).pow(2).sum(dim=(1, 2, 3))
    return _ratio(deviation, w.pow(2).sum(dim=(1, 2, 3))).to(weight.dtype)


def orientation(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(strength, angle_deg)``, each ``(C_out,)``, from each filter's gradient structure tensor.

    The tensor ``J = sum (g_x, g_y)^T (g_x, g_y)`` sums over the filter's input channels and
    positions (``torch.gradient``: central differences, one-sided at the border; ``k >= 2``).
    ``strength = (l1 - l2) / (l1 + l2)`` of its eigenvalues: 0 when the filter varies equally in
    every direction, 1 when it varies along one direction only (a straight edge or bars).
    ``angle_deg`` is the orientation of that edge, the direction along which the filter varies
    least, in ``[0, 180)`` counter-clockwise from the image's horizontal (x to the right, y up,
    so a vertical edge is 90 and the diagonal from bottom-left to top-right 45). Both are NaN
    for a filter that is constant over its window.
    """
    if min(weight.shape[-2:]) < 2:
        raise ValueError(f"orientation needs a window of at least 2x2, got {weight.shape[-2:]}.")
    w = weight.double()
    d_row, d_col = torch.gradient(w, dim=(-2, -1))
    gx, gy = d_col, -d_row  # rows run down the image; y runs up
    jxx, jyy = gx.pow(2).sum(dim=(1, 2, 3)), gy.pow(2).sum(dim=(1, 2, 3))
    jxy = (gx * gy).sum(dim=(1, 2, 3))
    strength = _ratio(torch.sqrt((jxx - jyy).pow(2) + 4 * jxy.pow(2)), jxx + jyy)
    gradient_deg = torch.rad2deg(0.5 * torch.atan2(2 * jxy, jxx - jyy))
    angle = torch.remainder(gradient_deg + 90.0, 180.0)
    angle = torch.where(torch.isnan(strength), math.nan, angle)
    return strength.to(weight.dtype), angle.to(weight.dtype)


def input_channel_energy(weight: torch.Tensor) -> torch.Tensor:
    """``(C_out, C_in)``: each filter's energy in each input channel, as a fraction of its total."""
    energy = weight.double().pow(2).sum(dim=(-2, -1))
    return _ratio(energy, energy.sum(dim=1, keepdim=True)).to(weight.dtype)


def input_channel_concentration(weight: torch.Tensor) -> torch.Tensor:
    """``(C_out,)``: the fraction of each filter's energy in its strongest input channel; 1 reads
    one channel only, ``1 / C_in`` spreads evenly over all of them."""
    return input_channel_energy(weight).max(dim=1).values


def effective_input_channels(weight: torch.Tensor) -> torch.Tensor:
    """``(C_out,)``: how many input channels a filter uses, ``1 / sum_c p_c^2`` of its energy
    shares ``p_c`` (1 for one channel, ``C_in`` for an even spread)."""
    return 1.0 / input_channel_energy(weight).pow(2).sum(dim=1)


def active_fraction(maps: torch.Tensor) -> torch.Tensor:
    """``(C,)``: the fraction of each channel's ``h x w`` positions where ``maps: (C, h, w)`` is
    positive (where the unit fires, after a ReLU)."""
    return (maps > 0).flatten(1).float().mean(dim=1).to(maps.dtype)


def top_positions(height: int, width: int, fraction: float = 0.1) -> int:
    """How many of ``height x width`` positions make the top ``fraction`` (at least one)."""
    return max(1, math.ceil(fraction * height * width))


def energy_top_fraction(maps: torch.Tensor, fraction: float = 0.1) -> torch.Tensor:
    """``(C,)``: the share of each channel's energy (sum of squares) in its
    :func:`top_positions` strongest positions of ``maps: (C, h, w)``.

    1 when the channel responds at a few positions only (spatially concentrated); a map equal
    everywhere scores ``top_positions(h, w, fraction) / (h w)``. NaN for an all-zero channel.
    """
    energy = maps.double().flatten(1).pow(2)
    top = energy.topk(top_positions(*maps.shape[-2:], fraction), dim=1).values.sum(dim=1)
    return _ratio(top, energy.sum(dim=1)).to(maps.dtype)


def peaks(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(row, col, value)``, each ``(C,)``: where each channel of ``maps: (C, h, w)`` is largest
    (the first such position in row-major order) and its value there."""
    values, flat = maps.flatten(1).max(dim=1)
    return flat // maps.shape[-1], flat % maps.shape[-1], values


def _number(value: torch.Tensor | float) -> float | None:
    """A float for JSON, ``None`` for NaN."""
    value = float(value)
    return None if math.isnan(value) else value


def _mean(values: torch.Tensor) -> float | None:
    """The mean over the values that are defined (not NaN); ``None`` if none is."""
    return _number(values.double().nanmean()) if values.numel() else None


def _scale_free(weight: torch.Tensor) -> dict[str, torch.Tensor]:
    """The per-filter properties that do not depend on the weights' scale, by name."""
    props = {"dc_energy_fraction": dc_energy_fraction(weight)}
    if weight.shape[1] == 3:
        props["colour_fraction"] = colour_fraction(weight)
    if min(weight.shape[-2:]) >= 2:
        props["orientation_strength"], props["dominant_orientation_deg"] = orientation(weight)
    props["input_channel_concentration"] = input_channel_concentration(weight)
    props["effective_input_channels"] = effective_input_channels(weight)
    return props


def orientation_counts(angle_deg: torch.Tensor) -> dict[str, int]:
    """How many of the defined angles in ``angle_deg: (n,)`` fall in each 45-degree bin, keyed by
    the bin's centre (``"0"`` holds ``[157.5, 180) + [0, 22.5)``)."""
    angle = angle_deg[~torch.isnan(angle_deg)].double()
    bins = torch.remainder(torch.round(angle / 45.0), len(ORIENTATION_BINS_DEG)).long()
    return {str(c): int((bins == i).sum()) for i, c in enumerate(ORIENTATION_BINS_DEG)}


def filter_properties(weight: torch.Tensor, count: int) -> dict:
    """The JSON-ready properties of a conv layer's ``weight: (C_out, C_in, k, k)``.

    Means over all ``C_out`` filters under each property's name (``colour_fraction`` only for 3
    input channels, the orientation pair only for windows of at least 2x2); ``norm_*``
    statistics of the filter norms; ``dominant_orientation_counts`` (:func:`orientation_counts`);
    ``random_reference``, the same means for :data:`RANDOM_REFERENCE_FILTERS` iid N(0, 1)
    filters of this shape (seeded; the chance level an untrained layer sits at); and ``drawn``,
    one dict per filter ``0 .. count - 1`` with its own values, its norm and its strongest input
    channel (the one a figure of a deeper filter shows), and, where ``C_in != 3``, the
    orientation of that channel's ``(k, k)`` slice alone (``strongest_channel_orientation_*``).
    """
    weight = weight.detach().float().cpu()
    props, norms = _scale_free(weight), filter_norms(weight)
    generator = torch.Generator().manual_seed(0)
    random = torch.randn(RANDOM_REFERENCE_FILTERS, *weight.shape[1:], generator=generator)
    means = {
        name: _mean(values) for name, values in props.items() if name != "dominant_orientation_deg"
    }
    summary: dict = {
        "count": weight.shape[0],
        "input_channels": weight.shape[1],
        "kernel_size": list(weight.shape[-2:]),
        **means,
        "norm_mean": _number(norms.mean()),
        "norm_std": _number(norms.std()) if len(norms) > 1 else None,
        "norm_min": _number(norms.min()),
        "norm_max": _number(norms.max()),
    }
    if "dominant_orientation_deg" in props:
        summary["dominant_orientation_counts"] = orientation_counts(
            props["dominant_orientation_deg"]
        )
    summary["random_reference"] = {
        name: _mean(values)
        for name, values in _scale_free(random).items()
        if name != "dominant_orientation_deg"
    }
    strongest = input_channel_energy(weight).argmax(dim=1)
    drawn = min(count, weight.shape[0])
    summary["drawn"] = [
        {
            "filter": k,
            **{name: _number(values[k]) for name, values in props.items()},
            "strongest_input_channel": int(strongest[k]),
            "norm": _number(norms[k]),
        }
        for k in range(drawn)
    ]
    if weight.shape[1] != 3 and "orientation_strength" in props:
        # Summed over many unrelated input channels the structure tensor averages out; the
        # figure shows the strongest channel's slice alone, so its orientation is given too.
        slices = weight[torch.arange(drawn), strongest[:drawn]][:, None]
        for entry, strength, angle in zip(summary["drawn"], *orientation(slices), strict=True):
            entry["strongest_channel_orientation_strength"] = _number(strength)
            entry["strongest_channel_orientation_deg"] = _number(angle)
    return summary


def map_properties(maps: torch.Tensor, count: int, image_size: tuple[int, int]) -> dict:
    """The JSON-ready properties of one image's feature maps ``maps: (1, C, h, w)``.

    ``height``, ``width`` and ``input_pixels_per_position`` (the image's ``image_size`` over
    ``h``: how far apart in the input two neighbouring positions are); the means over all
    channels of :func:`active_fraction` and :func:`energy_top_fraction` (over the channels
    that are not all zero); ``silent_channel_fraction``, the share of channels positive nowhere
    for this image; ``top10pct_position_fraction``, what an evenly spread channel scores on
    ``energy_top10pct_fraction``; and ``drawn``, per channel ``0 .. count - 1`` its own values,
    its mean and its peak (row, col, value) from :func:`peaks`.
    """
    if maps.dim() != 4 or maps.shape[0] != 1:
        raise ValueError(f"map_properties takes one image's maps (1, C, h, w), got {maps.shape}.")
    maps = maps[0].detach().float().cpu()
    channels, h, w = maps.shape
    active, top = active_fraction(maps), energy_top_fraction(maps)
    rows, cols, values = peaks(maps)
    means = maps.flatten(1).mean(dim=1)
    return {
        "channels": channels,
        "height": h,
        "width": w,
        "input_pixels_per_position": image_size[0] / h,
        "active_fraction": _mean(active),
        "energy_top10pct_fraction": _mean(top),
        "top10pct_position_fraction": top_positions(h, w) / (h * w),
        "silent_channel_fraction": _number((active == 0).float().mean()),
        "drawn": [
            {
                "channel": k,
                "active_fraction": _number(active[k]),
                "energy_top10pct_fraction": _number(top[k]),
                "mean": _number(means[k]),
                "peak_row": int(rows[k]),
                "peak_col": int(cols[k]),
                "peak_value": _number(values[k]),
            }
            for k in range(min(count, channels))
        ],
    }
